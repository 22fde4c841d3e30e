//! A group's learning in the server's configuration file:
//! `"learn_prefixes":["A.B.C.D/LEN",...]` and, when one was given,
//! `"learn_timeout":SECONDS` beside the group's `member_array`. Both keys
//! are absent for a group that does not learn, so the old tool's files read
//! unchanged. Learned members are soft state and are never written.

use super::fields::{prefix_value, Element};
use super::json_c::Json;
use crate::kernel::Learning;
use crate::parse;
use mcast_shared::learn::{Prefixes, DEFAULT_LEARN_TIMEOUT_S};
use serde_json::Value;

const PREFIXES: &str = "learn_prefixes";
const TIMEOUT: &str = "learn_timeout";

/// A group's learning as configured (`--learn`, `--learn-timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LearnConfig {
    /// The sources it learns members from; never empty.
    pub prefixes: Prefixes,
    /// Seconds a learned member stays; `None`: the module's default.
    pub timeout: Option<u32>,
}

impl LearnConfig {
    /// The timeout the module applies.
    pub fn effective_timeout(&self) -> u32 {
        self.timeout.unwrap_or(DEFAULT_LEARN_TIMEOUT_S)
    }

    /// Whether the module's `learning` is this one.
    pub fn is_applied(&self, learning: Option<&Learning>) -> bool {
        learning
            .is_some_and(|l| l.prefixes == self.prefixes && l.timeout == self.effective_timeout())
    }

    /// Reads the learning of a group element; `None` without its keys.
    pub fn read(element: &Element<'_>) -> Result<Option<LearnConfig>, String> {
        let prefixes = match element.get(PREFIXES) {
            None => None,
            Some(value) => Some(read_prefixes(element, value)?),
        };
        let timeout = match element.get(TIMEOUT) {
            None => None,
            Some(value) => Some(read_timeout(value).map_err(|e| element.problem(TIMEOUT, e))?),
        };
        match (prefixes, timeout) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(element.problem(TIMEOUT, format!("needs {PREFIXES}"))),
            (Some(prefixes), timeout) => Ok(Some(LearnConfig { prefixes, timeout })),
        }
    }

    /// The keys written after the group's members.
    pub fn fields(&self) -> Vec<(&'static str, Json)> {
        let prefixes = self.prefixes.as_slice().iter();
        let mut fields = vec![(
            PREFIXES,
            Json::Array(prefixes.map(|p| Json::Str(p.to_string())).collect()),
        )];
        if let Some(seconds) = self.timeout {
            fields.push((TIMEOUT, Json::Int(seconds.into())));
        }
        fields
    }
}

fn read_prefixes(element: &Element<'_>, value: &Value) -> Result<Prefixes, String> {
    let Value::Array(list) = value else {
        return Err(element.problem(PREFIXES, "not an array"));
    };
    if list.is_empty() {
        return Err(element.problem(
            PREFIXES,
            "empty (leave the key out for a group that does not learn)",
        ));
    }
    let mut prefixes = Prefixes::default();
    for (j, item) in list.iter().enumerate() {
        let place = format!("{PREFIXES}[{j}]");
        let prefix = prefix_value(item).map_err(|e| element.problem(&place, e))?;
        prefixes
            .push(prefix)
            .map_err(|e| element.problem(PREFIXES, e))?;
    }
    Ok(prefixes)
}

/// A whole number of seconds, checked as `--learn-timeout` is.
fn read_timeout(value: &Value) -> Result<u32, String> {
    match value {
        Value::Number(n) => parse::learn_timeout(&n.to_string()).map_err(|e| e.to_string()),
        _ => Err("not a number of seconds".into()),
    }
}
