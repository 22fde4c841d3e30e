//! Carrying out a checked client command. A change goes to the kernel
//! first and to the file after; the file is written only if the kernel
//! accepted, and all of it happens under the file's lock. Queries read the
//! kernel only and never touch the file.

use super::{Change, ClientCommand, Query};
use crate::config::document::{adopt, edit, load};
use crate::config::{ClientConfig, ClientEntry, ConfigFile};
use crate::error::{Failures, Result};
use crate::kernel::{ClientKernel, ClientStats};
use crate::output::{self, client as layout};
use mcast_shared::error::errno;
use mcast_shared::genl::limits;
use std::io::Write;

/// Runs `command`; query output goes to `out`.
pub fn execute(
    command: &ClientCommand,
    kernel: &mut dyn ClientKernel,
    file: &ConfigFile,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        ClientCommand::Query(query) => output::print(out, &ask(query, kernel)?),
        ClientCommand::Change(change) => {
            // Asked first: it gives the limit, and a missing module is
            // reported before any file is created.
            let stats = kernel.stats()?;
            apply(change, &stats, kernel, file)
        }
        ClientCommand::Import {
            from,
            allow_link_local,
        } => import(file, &ConfigFile::new(from), *allow_link_local),
    }
}

/// The output of a query.
fn ask(query: &Query, kernel: &mut dyn ClientKernel) -> Result<String> {
    Ok(match *query {
        Query::Stats { key: None, json } => {
            let stats = kernel.stats()?;
            match json {
                true => layout::stats_json(&stats),
                false => layout::stats_text(&stats),
            }
        }
        Query::Stats {
            key: Some((server, port)),
            json,
        } => {
            let info = kernel.entry_stats(server, port)?;
            match json {
                true => layout::entry_stats_json(&info),
                false => layout::entry_stats_text(&info),
            }
        }
        Query::List { json } => {
            let entries = kernel.entries()?;
            match json {
                true => layout::list_json(&entries),
                false => layout::list_text(&entries),
            }
        }
    })
}

/// Carries out a change.
fn apply(
    change: &Change,
    stats: &ClientStats,
    kernel: &mut dyn ClientKernel,
    file: &ConfigFile,
) -> Result<()> {
    match change {
        Change::Add(entry) => edit(file, &stats.max_entries, |config| {
            add(kernel, config, entry, stats.max_entries)
        }),
        Change::Delete { server, port } => {
            edit(file, &stats.max_entries, |config: &mut ClientConfig| {
                match kernel.del_entry(*server, *port) {
                    Ok(()) => {}
                    // Gone from the kernel already (a module reload without a
                    // restore): the file catches up.
                    Err(e)
                        if e.kernel_errno() == Some(errno::ENOENT)
                            && config.find(*server, *port).is_some() => {}
                    Err(e) => return Err(e),
                }
                Ok(config.remove(*server, *port))
            })
        }
        Change::Clear => edit(file, &stats.max_entries, |config: &mut ClientConfig| {
            kernel.clear()?;
            let changed = !config.entries.is_empty();
            config.entries.clear();
            Ok(changed)
        }),
        Change::Restore => restore(kernel, file, stats.max_entries),
    }
}

/// `-A`: checks the entry limit, adds the entry to the module, then to the
/// configuration.
fn add(
    kernel: &mut dyn ClientKernel,
    config: &mut ClientConfig,
    entry: &ClientEntry,
    max_entries: u32,
) -> Result<bool> {
    config.check_set(entry, max_entries)?;
    match kernel.add_entry(entry) {
        Ok(()) => {}
        // The kernel has it already but the file does not (a change made
        // behind the tool's back): the file catches up. With the file in
        // agreement it stays an error, as in the old tool.
        Err(e)
            if e.kernel_errno() == Some(errno::EEXIST)
                && config.find(entry.server, entry.port) != Some(entry) => {}
        Err(e) => return Err(e),
    }
    Ok(config.set(*entry))
}

/// Adds every configured entry to the kernel; entries it already has
/// unchanged are fine, and nothing is removed. A failing entry does not stop
/// the others, unless the failure would repeat for all of them. A file the
/// module could not hold is refused before the first entry.
fn restore(kernel: &mut dyn ClientKernel, file: &ConfigFile, max_entries: u32) -> Result<()> {
    let locked = file.lock()?;
    let config: ClientConfig = load(&locked, &max_entries)?;
    let mut failures = Failures::default();
    for entry in &config.entries {
        match kernel.add_entry(entry) {
            Ok(()) => {}
            Err(e) if e.kernel_errno() == Some(errno::EEXIST) => {}
            Err(e) => failures.keep(e, || format!("entry {} port {}", entry.server, entry.port))?,
        }
    }
    failures.into_result()
}

/// Checks an old tool's file and makes it the configuration file; the
/// kernel is not touched. An existing configuration is never overwritten.
fn import(file: &ConfigFile, from: &ConfigFile, allow_link_local: bool) -> Result<()> {
    let config = from
        .load(|text| ClientConfig::parse(text, allow_link_local))?
        .ok_or_else(|| from.error("no such file"))?;
    config
        .check_limits(limits::DEFAULT_MAX_ENTRIES)
        .map_err(|reason| from.error(reason))?;
    adopt(file, from, &config)
}
