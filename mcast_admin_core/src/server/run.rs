//! Carrying out a checked server command. A change goes to the kernel
//! first and to the file after; the file is written only if the kernel
//! accepted, and all of it happens under the file's lock. Queries read the
//! kernel only and never touch the file.

use super::{Change, Members, Query, ServerCommand};
use crate::config::document::{adopt, edit, load};
use crate::config::{ConfigFile, ServerConfig, ServerLimits};
use crate::error::{Failures, Result};
use crate::kernel::{ServerKernel, ServerStats, MEMBERS_PER_REQUEST};
use crate::output::{self, server as layout};
use mcast_shared::addr::Ipv4;
use mcast_shared::error::errno;
use std::io::Write;

/// Runs `command`; query output goes to `out`.
pub fn execute(
    command: &ServerCommand,
    kernel: &mut dyn ServerKernel,
    file: &ConfigFile,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        ServerCommand::Query(query) => output::print(out, &ask(query, kernel)?),
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
                true => layout::stats_json(&stats),
                false => layout::stats_text(&stats),
            }
        }
        Query::Stats {
            group: Some(group),
            json,
        } => {
            let info = kernel.group_stats(group)?;
            match json {
                true => layout::group_stats_json(&info),
                false => layout::group_stats_text(&info),
            }
        }
        Query::List { group, json } => {
            let members = kernel.members(group)?;
            match json {
                true => layout::list_json(group, &members),
                false => layout::list_text(group, &members),
            }
        }
        Query::Show { json } => {
            let groups = kernel.groups()?;
            match json {
                true => layout::show_json(&groups),
                false => layout::show_text(&groups),
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
    let limits = ServerLimits {
        max_groups: stats.max_groups,
        max_members: stats.max_members,
    };
    match change {
        Change::Add { group, members } => {
            edit(file, &limits, |config: &mut ServerConfig| match members {
                Members::Keep => add(kernel, config, stats, *group, &[]),
                Members::Join(members) => add(kernel, config, stats, *group, members),
                Members::Quit(members) => {
                    quit_in_requests(kernel, *group, members, MEMBERS_PER_REQUEST)?;
                    Ok(config.remove_members(*group, members))
                }
            })
        }
        Change::Delete(group) => edit(file, &limits, |config: &mut ServerConfig| {
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
        Change::Clear => edit(file, &limits, |config: &mut ServerConfig| {
            kernel.clear()?;
            let changed = !config.groups.is_empty();
            config.groups.clear();
            Ok(changed)
        }),
        Change::Restore => restore(kernel, file, &limits),
    }
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
/// the others, unless the failure would repeat for all of them. A file
/// the module could not hold is refused before the first group.
fn restore(kernel: &mut dyn ServerKernel, file: &ConfigFile, limits: &ServerLimits) -> Result<()> {
    let locked = file.lock()?;
    let config: ServerConfig = load(&locked, limits)?;
    let mut failures = Failures::default();
    for g in &config.groups {
        if let Err(e) = add_in_requests(kernel, g.group, &g.members, MEMBERS_PER_REQUEST) {
            failures.keep(e, || format!("group {}", g.group))?;
        }
    }
    failures.into_result()
}

/// Checks an old tool's file and makes it the configuration file; the
/// kernel is not touched. An existing configuration is never overwritten.
fn import(file: &ConfigFile, from: &ConfigFile) -> Result<()> {
    let config = from
        .load(ServerConfig::parse)?
        .ok_or_else(|| from.error("no such file"))?;
    config
        .check_limits(&ServerLimits::DEFAULT)
        .map_err(|reason| from.error(reason))?;
    adopt(file, from, &config)
}
