//! Carrying out a checked server command. A change goes to the kernel
//! first and to the file after; the file is written only if the kernel
//! accepted, and all of it happens under the file's lock. Queries read the
//! kernel only and never touch the file.

use super::{Change, Members, Query, ServerCommand};
use crate::config::document::{adopt, edit, load};
use crate::config::{ConfigFile, GroupConfig, LearnConfig, ServerConfig, ServerLimits};
use crate::error::{Failures, Result};
use crate::kernel::{Learning, ServerKernel, ServerStats, MEMBERS_PER_REQUEST};
use crate::output::{self, server as layout};
use mcast_shared::addr::Ipv4;
use mcast_shared::error::errno;
use mcast_shared::rules;
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
        ServerCommand::Import(from) => output::print(out, &import(file, &ConfigFile::new(from))?),
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
            let list = kernel.member_list(group)?;
            match json {
                true => layout::list_json(group, &list),
                false => layout::list_text(group, &list),
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
        Change::Learn { group, learn } => edit(file, &limits, |config: &mut ServerConfig| {
            set_learning(kernel, config, stats, *group, learn.as_ref())
        }),
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

/// `-A -m G --learn P` or `--no-learn`: checks the group limit, then
/// creates the group if needed and sets its learning.
fn set_learning(
    kernel: &mut dyn ServerKernel,
    config: &mut ServerConfig,
    stats: &ServerStats,
    group: Ipv4,
    learn: Option<&LearnConfig>,
) -> Result<bool> {
    config.check_add(group, &[], stats.max_groups, stats.max_members)?;
    kernel.set_learning(group, learn)?;
    Ok(config.set_learn(group, learn.copied()))
}

/// Creates `group` and adds `members`, `per_request` at most in a request.
/// All or nothing: when a later request fails, what the earlier ones added
/// is taken out again, so the kernel stays as it was.
pub(super) fn add_in_requests(
    kernel: &mut dyn ServerKernel,
    group: Ipv4,
    members: &[Ipv4],
    per_request: usize,
) -> Result<()> {
    if members.len() <= per_request {
        return kernel.add_group(group, members);
    }
    let before = existing_members(kernel, group)?;
    let mut parts = members.chunks(per_request);
    kernel.add_group(group, parts.next().unwrap_or_default())?;
    let mut applied = per_request;
    for part in parts {
        if let Err(e) = kernel.join(group, part) {
            undo_add(kernel, group, &members[..applied], before.as_deref());
            return Err(e);
        }
        applied += part.len();
    }
    Ok(())
}

/// The members of `group` in the kernel; `None` when it has no such group.
fn existing_members(kernel: &mut dyn ServerKernel, group: Ipv4) -> Result<Option<Vec<Ipv4>>> {
    match kernel.members(group) {
        Ok(members) => Ok(Some(members)),
        Err(e) if e.kernel_errno() == Some(errno::ENOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Takes back an add that failed part way: the group if it was new, else
/// the members it did not have. Best effort: the add's own error is the one
/// the operator needs.
fn undo_add(kernel: &mut dyn ServerKernel, group: Ipv4, applied: &[Ipv4], before: Option<&[Ipv4]>) {
    let _ = match before {
        None => kernel.del_group(group),
        Some(old) => {
            let added: Vec<Ipv4> = rules::remaining_members(applied, old).collect();
            quit_in_requests(kernel, group, &added, MEMBERS_PER_REQUEST)
        }
    };
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

/// Makes the kernel equal to the file: groups and members the file lacks
/// are removed, the ones it has are added, and each group's learning is
/// set as the file has it (learned members are left to the module). A
/// failing group does not stop the others, unless the failure would repeat
/// for all of them. A file the module could not hold is refused before the
/// first change.
fn restore(kernel: &mut dyn ServerKernel, file: &ConfigFile, limits: &ServerLimits) -> Result<()> {
    let locked = file.lock()?;
    let config: ServerConfig = load(&locked, limits)?;
    let mut failures = Failures::default();
    let groups = kernel.groups()?;
    // Removals first: they make room for the groups the file adds.
    for g in &groups {
        if config.find(g.group).is_none() {
            if let Err(e) = kernel.del_group(g.group) {
                failures.keep(e, || format!("group {} (not in the file)", g.group))?;
            }
        }
    }
    for g in &config.groups {
        let in_kernel = groups.iter().find(|k| k.group == g.group);
        let learning = in_kernel.and_then(|k| k.learning.as_ref());
        let synced = sync_group(kernel, g).and_then(|()| sync_learning(kernel, g, learning));
        if let Err(e) = synced {
            failures.keep(e, || format!("group {}", g.group))?;
        }
    }
    failures.into_result()
}

/// Gives the kernel's `g.group` exactly the members `g` lists.
fn sync_group(kernel: &mut dyn ServerKernel, g: &GroupConfig) -> Result<()> {
    let Some(current) = existing_members(kernel, g.group)? else {
        return add_in_requests(kernel, g.group, &g.members, MEMBERS_PER_REQUEST);
    };
    let extra: Vec<Ipv4> = rules::remaining_members(&current, &g.members).collect();
    quit_in_requests(kernel, g.group, &extra, MEMBERS_PER_REQUEST)?;
    let missing: Vec<Ipv4> = rules::new_members(&current, &g.members).collect();
    if missing.is_empty() {
        return Ok(());
    }
    add_in_requests(kernel, g.group, &missing, MEMBERS_PER_REQUEST)
}

/// Gives the kernel's `g.group` the learning `g` has, unless it has it
/// already (`current`), which keeps what it learned untouched.
fn sync_learning(
    kernel: &mut dyn ServerKernel,
    g: &GroupConfig,
    current: Option<&Learning>,
) -> Result<()> {
    let applied = match &g.learn {
        Some(learn) => learn.is_applied(current),
        None => current.is_none(),
    };
    if applied {
        return Ok(());
    }
    kernel.set_learning(g.group, g.learn.as_ref())
}

/// Checks an old tool's file and makes it the configuration file; the
/// kernel is not touched. A configuration holding groups is never
/// overwritten. Returns the report: what came across, and the link-local
/// groups (VRRP), which the receivers' entries must allow.
fn import(file: &ConfigFile, from: &ConfigFile) -> Result<String> {
    let config = from
        .load(ServerConfig::parse)?
        .ok_or_else(|| from.error("no such file"))?;
    config
        .check_limits(&ServerLimits::DEFAULT)
        .map_err(|reason| from.error(reason))?;
    adopt(file, from, &config)?;
    let members: usize = config.groups.iter().map(|g| g.members.len()).sum();
    let mut report = format!(
        "imported {} groups ({members} members) from {} into {}\n",
        config.groups.len(),
        from.path().display(),
        file.path().display()
    );
    for g in config
        .groups
        .iter()
        .filter(|g| g.group.is_link_local_multicast())
    {
        report += &format!(
            "group {}: link-local group (VRRP), imported; the receivers' entries for it need --allow-link-local\n",
            g.group
        );
    }
    Ok(report)
}
