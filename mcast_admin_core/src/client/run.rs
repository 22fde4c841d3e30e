//! Carrying out a checked client command. A change goes to the kernel
//! first and to the file after; the file is written only if the kernel
//! accepted, and all of it happens under the file's lock. Queries read the
//! kernel only and never touch the file.

use super::{Change, ClientCommand, Query};
use crate::config::{ClientConfig, ClientEntry, ConfigFile, Locked};
use crate::error::{Error, Result};
use crate::kernel::{ClientKernel, ClientStats};
use crate::output::client as output;
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
        ClientCommand::Query(query) => {
            let text = ask(query, kernel)?;
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(Error::Output)
        }
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
                true => output::stats_json(&stats),
                false => output::stats_text(&stats),
            }
        }
        Query::Stats {
            key: Some((server, port)),
            json,
        } => {
            let info = kernel.entry_stats(server, port)?;
            match json {
                true => output::entry_stats_json(&info),
                false => output::entry_stats_text(&info),
            }
        }
        Query::List { json } => {
            let entries = kernel.entries()?;
            match json {
                true => output::list_json(&entries),
                false => output::list_text(&entries),
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
        Change::Add(entry) => edit(file, |config| add(kernel, config, entry, stats.max_entries)),
        Change::Delete { server, port } => edit(file, |config| {
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
        }),
        Change::Clear => edit(file, |config| {
            kernel.clear()?;
            let changed = !config.entries.is_empty();
            config.entries.clear();
            Ok(changed)
        }),
        Change::Restore => restore(kernel, file),
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

/// Locks the file, reads it, lets `change` alter the kernel and the
/// configuration, and writes the file if `change` succeeded with a change.
fn edit(file: &ConfigFile, change: impl FnOnce(&mut ClientConfig) -> Result<bool>) -> Result<()> {
    let locked = file.lock()?;
    let mut config = load(&locked)?;
    if change(&mut config)? {
        locked.store(&config.to_json_c())?;
    }
    Ok(())
}

fn load(locked: &Locked<'_>) -> Result<ClientConfig> {
    Ok(locked
        .load(|text| ClientConfig::parse(text, false))?
        .unwrap_or_default())
}

/// Adds every configured entry to the kernel; entries it already has
/// unchanged are fine, and nothing is removed. A failing entry does not stop
/// the others, unless the failure would repeat for all of them.
fn restore(kernel: &mut dyn ClientKernel, file: &ConfigFile) -> Result<()> {
    let locked = file.lock()?;
    let config = load(&locked)?;
    let mut failures = Vec::new();
    for entry in &config.entries {
        match kernel.add_entry(entry) {
            Ok(()) => {}
            Err(e) if e.kernel_errno() == Some(errno::EEXIST) => {}
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => {
                let context = format!("entry {} port {}", entry.server, entry.port);
                failures.push(Error::During {
                    context,
                    source: Box::new(e),
                });
            }
        }
    }
    match failures.len() {
        0 => Ok(()),
        _ => Err(Error::Several(failures)),
    }
}

/// Checks an old tool's file and makes it the configuration file; the
/// kernel is not touched. An existing configuration is never overwritten.
fn import(file: &ConfigFile, from: &ConfigFile, allow_link_local: bool) -> Result<()> {
    let config = from
        .load(|text| ClientConfig::parse(text, allow_link_local))?
        .ok_or_else(|| from.error("no such file"))?;
    config
        .check_limits(limits::DEFAULT_MAX_ENTRIES)
        .map_err(|e| from.error(e.to_string()))?;
    let locked = file.lock()?;
    if file.read_unlocked()?.is_some() {
        let reason = format!(
            "exists already; remove it first to import {}",
            from.path().display()
        );
        return Err(file.error(reason));
    }
    locked.store(&config.to_json_c())
}
