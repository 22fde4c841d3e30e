//! Carrying out a checked server command. A change goes to the kernel
//! first and to the file after; the file is written only if the kernel
//! accepted, and all of it happens under the file's lock. Queries read the
//! kernel only and never touch the file.

use super::{Change, Members, Query, ServerCommand};
use crate::config::{ConfigFile, Locked, ServerConfig};
use crate::error::{Error, Result};
use crate::kernel::{ServerKernel, ServerStats, MEMBERS_PER_REQUEST};
use crate::output::server as output;
use mcast_shared::addr::Ipv4;
use mcast_shared::error::errno;
use mcast_shared::genl::limits;
use std::io::Write;

/// Runs `command`; query output goes to `out`.
pub fn execute(
    command: &ServerCommand,
    kernel: &mut dyn ServerKernel,
    file: &ConfigFile,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        ServerCommand::Query(query) => {
            let text = ask(query, kernel)?;
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(Error::Output)
        }
        ServerCommand::Change(change) => {
            // Asked first: it gives the limits, and a missing module is
            // reported before any file is created.
            let stats = kernel.stats()?;
            apply(change, &stats, kernel, file)
        }
        ServerCommand::Import(from) => import(file, &ConfigFile::new(from)),
    }
}

/// The output of a query.
fn ask(query: &Query, kernel: &mut dyn ServerKernel) -> Result<String> {
    Ok(match *query {
        Query::Stats { group: None, json } => {
            let stats = kernel.stats()?;
            match json {
                true => output::stats_json(&stats),
                false => output::stats_text(&stats),
            }
        }
        Query::Stats {
            group: Some(group),
            json,
        } => {
            let info = kernel.group_stats(group)?;
            match json {
                true => output::group_stats_json(&info),
                false => output::group_stats_text(&info),
            }
        }
        Query::List { group, json } => {
            let members = kernel.members(group)?;
            match json {
                true => output::list_json(group, &members),
                false => output::list_text(group, &members),
            }
        }
        Query::Show { json } => {
            let groups = kernel.groups()?;
            match json {
                true => output::show_json(&groups),
                false => output::show_text(&groups),
            }
        }
    })
}

/// Carries out a change.
fn apply(
    change: &Change,
    stats: &ServerStats,
    kernel: &mut dyn ServerKernel,
    file: &ConfigFile,
) -> Result<()> {
    match change {
        Change::Add { group, members } => edit(file, |config| match members {
            Members::Keep => add(kernel, config, stats, *group, &[]),
            Members::Join(members) => add(kernel, config, stats, *group, members),
            Members::Quit(members) => {
                quit_in_requests(kernel, *group, members, MEMBERS_PER_REQUEST)?;
                Ok(config.remove_members(*group, members))
            }
        }),
        Change::Delete(group) => edit(file, |config| {
            match kernel.del_group(*group) {
                Ok(()) => {}
                // Gone from the kernel already (a module reload without a
                // restore): the file catches up.
                Err(e)
                    if e.kernel_errno() == Some(errno::ENOENT) && config.find(*group).is_some() => {
                }
                Err(e) => return Err(e),
            }
            Ok(config.remove_group(*group))
        }),
        Change::Clear => edit(file, |config| {
            kernel.clear()?;
            let changed = !config.groups.is_empty();
            config.groups.clear();
            Ok(changed)
        }),
        Change::Restore => restore(kernel, file),
    }
}

/// Locks the file, reads it, lets `change` alter the kernel and the
/// configuration, and writes the file if `change` succeeded with a change.
fn edit(file: &ConfigFile, change: impl FnOnce(&mut ServerConfig) -> Result<bool>) -> Result<()> {
    let locked = file.lock()?;
    let mut config = load(&locked)?;
    if change(&mut config)? {
        locked.store(&config.to_json_c())?;
    }
    Ok(())
}

fn load(locked: &Locked<'_>) -> Result<ServerConfig> {
    Ok(locked.load(ServerConfig::parse)?.unwrap_or_default())
}

/// `-A -m G [-j L]`: checks the module's limits against the configuration,
/// then creates the group and adds the members.
fn add(
    kernel: &mut dyn ServerKernel,
    config: &mut ServerConfig,
    stats: &ServerStats,
    group: Ipv4,
    members: &[Ipv4],
) -> Result<bool> {
    config.check_add(group, members, stats.max_groups, stats.max_members)?;
    add_in_requests(kernel, group, members, MEMBERS_PER_REQUEST)?;
    Ok(config.add_members(group, members))
}

/// Creates `group` and adds `members`, `per_request` at most in a request.
pub(super) fn add_in_requests(
    kernel: &mut dyn ServerKernel,
    group: Ipv4,
    members: &[Ipv4],
    per_request: usize,
) -> Result<()> {
    let mut parts = members.chunks(per_request);
    kernel.add_group(group, parts.next().unwrap_or_default())?;
    parts.try_for_each(|part| kernel.join(group, part))
}

/// Removes `members` from `group`, `per_request` at most in a request.
pub(super) fn quit_in_requests(
    kernel: &mut dyn ServerKernel,
    group: Ipv4,
    members: &[Ipv4],
    per_request: usize,
) -> Result<()> {
    members
        .chunks(per_request)
        .try_for_each(|part| kernel.quit(group, part))
}

/// Adds every configured group and member to the kernel. Existing groups
/// and members are fine; nothing is removed. A failing group does not stop
/// the others, unless the failure would repeat for all of them.
fn restore(kernel: &mut dyn ServerKernel, file: &ConfigFile) -> Result<()> {
    let locked = file.lock()?;
    let config = load(&locked)?;
    let mut failures = Vec::new();
    for g in &config.groups {
        if let Err(e) = add_in_requests(kernel, g.group, &g.members, MEMBERS_PER_REQUEST) {
            if e.is_fatal() {
                return Err(e);
            }
            let context = format!("group {}", g.group);
            failures.push(Error::During {
                context,
                source: Box::new(e),
            });
        }
    }
    match failures.len() {
        0 => Ok(()),
        _ => Err(Error::Several(failures)),
    }
}

/// Checks an old tool's file and makes it the configuration file; the
/// kernel is not touched. An existing configuration is never overwritten.
fn import(file: &ConfigFile, from: &ConfigFile) -> Result<()> {
    let config = from
        .load(ServerConfig::parse)?
        .ok_or_else(|| from.error("no such file"))?;
    config
        .check_limits(limits::DEFAULT_MAX_GROUPS, limits::DEFAULT_MAX_MEMBERS)
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
