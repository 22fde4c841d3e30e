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
            apply(change, &stats, kernel, file, out)
        }
        // The old tool took link-local groups (VRRP) without a flag, so its
        // entries always come across with the allowance; the option is
        // accepted for scripts that pass it.
        ClientCommand::Import { from, .. } => {
            output::print(out, &import(file, &ConfigFile::new(from))?)
        }
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
    out: &mut dyn Write,
) -> Result<()> {
    match change {
        Change::Add(entry) => {
            let mut before = None;
            edit(file, &stats.max_entries, |config: &mut ClientConfig| {
                before = config.find(entry.server, entry.port).copied();
                add(kernel, config, entry, stats.max_entries)
            })?;
            // Re-mapping a (sender, port) silently redirects its traffic:
            // say what it was.
            match before {
                Some(old) if old.group != entry.group => output::print(
                    out,
                    &format!(
                        "sender {} port {} mapped to {} before; now to {}\n",
                        entry.server, entry.port, old.group, entry.group
                    ),
                ),
                _ => Ok(()),
            }
        }
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

/// Makes the kernel equal to the file: entries the file lacks are removed,
/// the ones it has are added or updated (present unchanged is fine). A
/// failing entry does not stop the others, unless the failure would repeat
/// for all of them. A file the module could not hold is refused before the
/// first change.
fn restore(kernel: &mut dyn ClientKernel, file: &ConfigFile, max_entries: u32) -> Result<()> {
    let locked = file.lock()?;
    let config: ClientConfig = load(&locked, &max_entries)?;
    let mut failures = Failures::default();
    // Removals first: they make room for the entries the file adds.
    for info in kernel.entries()? {
        let (server, port) = (info.entry.server, info.entry.port);
        if config.find(server, port).is_none() {
            if let Err(e) = kernel.del_entry(server, port) {
                failures.keep(e, || {
                    format!("entry {server} port {port} (not in the file)")
                })?;
            }
        }
    }
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
/// kernel is not touched. A configuration holding entries is never
/// overwritten. Returns the report: what came across, and which entries got
/// the link-local allowance.
fn import(file: &ConfigFile, from: &ConfigFile) -> Result<String> {
    let config = from
        .load(|text| ClientConfig::parse(text, true))?
        .ok_or_else(|| from.error("no such file"))?;
    config
        .check_limits(limits::DEFAULT_MAX_ENTRIES)
        .map_err(|reason| from.error(reason))?;
    adopt(file, from, &config)?;
    let mut report = format!(
        "imported {} entries from {} into {}\n",
        config.entries.len(),
        from.path().display(),
        file.path().display()
    );
    for e in config.entries.iter().filter(|e| e.allow_link_local) {
        report += &format!(
            "entry {} port {} -> {}: link-local group (VRRP), imported with --allow-link-local\n",
            e.server, e.port, e.group
        );
    }
    Ok(report)
}
