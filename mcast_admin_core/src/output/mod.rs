//! What the queries print: the old tool's layouts to the byte, and the
//! same data as JSON for `--json` (one compact line, like `ip -j`).

pub mod client;
pub mod server;

use crate::error::{Error, Result};
use mcast_shared::genl::Counter;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::io::Write;

/// Writes a query's output, all of it, to `out`.
pub fn print(out: &mut dyn Write, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(Error::Output)
}

/// Counters as a JSON object keyed by their names, in table order, followed
/// by extra named values (the module's limits).
struct Named<'a> {
    table: &'a [Counter],
    values: &'a [u64],
    extra: &'a [(&'static str, u64)],
}

impl Serialize for Named<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.table.len() + self.extra.len()))?;
        for (counter, value) in self.table.iter().zip(self.values) {
            map.serialize_entry(counter.name, value)?;
        }
        for (name, value) in self.extra {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// One line of compact JSON.
fn json_line(value: &impl Serialize) -> String {
    let mut text = serde_json::to_string(value).expect("plain data always serializes");
    text.push('\n');
    text
}
