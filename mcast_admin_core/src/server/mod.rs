//! `multis_admin`: from the parsed command line to a checked command, and
//! from there to the kernel, the configuration file and the output.

mod run;
#[cfg(test)]
mod tests;

pub use run::execute;

use crate::config::{ConfigFile, LearnConfig};
use crate::error::{report, Result};
use crate::netlink::NeliServer;
use crate::usage::{Given, ADD, CLEAR, DELETE, IMPORT, LIST, RESTORE, SHOW, STATS};
use crate::{parse, usage};
use mcast_shared::addr::Ipv4;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line as given, before any check (the binary's clap
/// definition fills it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// `-A/--add`
    pub add: bool,
    /// `-D/--delete`
    pub delete: bool,
    /// `-C/--clear`
    pub clear: bool,
    /// `-P/--stats`
    pub stats: bool,
    /// `-L/--list`
    pub list: bool,
    /// `-S/--show`
    pub show: bool,
    /// `-R/--restore`
    pub restore: bool,
    /// `--import FILE`
    pub import: Option<PathBuf>,
    /// `-m/--multiip GROUP`
    pub group: Option<String>,
    /// `-j/--join IP,...`
    pub join: Option<String>,
    /// `-q/--quit IP,...`
    pub quit: Option<String>,
    /// `--learn PREFIX,...`
    pub learn: Option<String>,
    /// `--learn-timeout SECONDS`
    pub learn_timeout: Option<String>,
    /// `--no-learn`
    pub no_learn: bool,
    /// `--json`
    pub json: bool,
}

/// What `-A` does to the members.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Members {
    /// Nothing: only make sure the group exists.
    Keep,
    /// Add these (`-j`).
    Join(Vec<Ipv4>),
    /// Remove these (`-q`).
    Quit(Vec<Ipv4>),
}

/// A checked `multis_admin` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCommand {
    /// Reads the module, prints, touches no file.
    Query(Query),
    /// Changes the module, then the file.
    Change(Change),
    /// `--import FILE`: adopt an old tool's file as the configuration.
    Import(PathBuf),
}

/// A query of the module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// `-P [-m G] [--json]`
    Stats {
        /// One group, or the global counters.
        group: Option<Ipv4>,
        /// JSON output.
        json: bool,
    },
    /// `-L -m G [--json]`
    List {
        /// The group.
        group: Ipv4,
        /// JSON output.
        json: bool,
    },
    /// `-S [--json]`
    Show {
        /// JSON output.
        json: bool,
    },
}

/// A change of the module (and, except for a restore, of the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `-A -m G [-j L | -q L]`
    Add {
        /// The group.
        group: Ipv4,
        /// The member change.
        members: Members,
    },
    /// `-A -m G --learn P [--learn-timeout S]` or `-A -m G --no-learn`
    Learn {
        /// The group; created if absent.
        group: Ipv4,
        /// Its learning; `None`: off.
        learn: Option<LearnConfig>,
    },
    /// `-D -m G`
    Delete(Ipv4),
    /// `-C`
    Clear,
    /// `-R`: apply the configuration file to the kernel.
    Restore,
}

/// Checks the combination and the values; touches nothing.
pub fn resolve(o: &ServerOptions) -> Result<ServerCommand> {
    let command = usage::one_command(
        &[
            (ADD, o.add),
            (DELETE, o.delete),
            (CLEAR, o.clear),
            (STATS, o.stats),
            (LIST, o.list),
            (SHOW, o.show),
            (RESTORE, o.restore),
            (IMPORT, o.import.is_some()),
        ],
        "-A, -D, -C, -P, -L, -S, -R or --import",
    )?;
    let group = ("-m/--multiip", o.group.is_some());
    let join = ("-j/--join", o.join.is_some());
    let quit = ("-q/--quit", o.quit.is_some());
    let learn = ("--learn", o.learn.is_some());
    let learn_timeout = ("--learn-timeout", o.learn_timeout.is_some());
    let no_learn = ("--no-learn", o.no_learn);
    usage::only_with(
        ("--json", o.json),
        command,
        &[STATS, LIST, SHOW],
        "-P, -L or -S",
    )?;
    for option in [learn, learn_timeout, no_learn] {
        usage::only_with(option, command, &[ADD], "-A")?;
    }
    let needs_group = || usage::require(command, &[group], "-m/--multiip GROUP");
    let the_group = || parse::group(o.group.as_deref().unwrap_or_default());
    match command {
        ADD => {
            needs_group()?;
            check_add_options([join, quit], [learn, no_learn], learn_timeout)?;
            Ok(ServerCommand::Change(add(o, the_group()?)?))
        }
        DELETE | LIST => {
            needs_group()?;
            usage::refuse(command, &[join, quit])?;
            let group = the_group()?;
            Ok(match command {
                DELETE => ServerCommand::Change(Change::Delete(group)),
                _ => ServerCommand::Query(Query::List {
                    group,
                    json: o.json,
                }),
            })
        }
        STATS => {
            usage::refuse(command, &[join, quit])?;
            let group = o.group.as_deref().map(parse::group).transpose()?;
            Ok(ServerCommand::Query(Query::Stats {
                group,
                json: o.json,
            }))
        }
        _ => {
            usage::refuse(command, &[group, join, quit])?;
            Ok(match command {
                CLEAR => ServerCommand::Change(Change::Clear),
                SHOW => ServerCommand::Query(Query::Show { json: o.json }),
                RESTORE => ServerCommand::Change(Change::Restore),
                _ => ServerCommand::Import(o.import.clone().unwrap_or_default()),
            })
        }
    }
}

/// `-A` changes either the members (`-j` or `-q`) or the learning
/// (`--learn` or `--no-learn`), one kind at a time; `--learn-timeout` goes
/// with `--learn`.
fn check_add_options(
    members: [Given<'_>; 2],
    learning: [Given<'_>; 2],
    timeout: Given<'_>,
) -> Result<()> {
    usage::apart(members[0], members[1], "")?;
    usage::apart(learning[0], learning[1], "")?;
    for l in learning {
        for m in members {
            usage::apart(l, m, ": give them in two commands")?;
        }
    }
    if timeout.1 {
        let what = "--learn PREFIX,...: the timeout is set with the prefixes";
        usage::require(timeout.0, &learning[..1], what)?;
    }
    Ok(())
}

/// The change `-A -m group` asks for (its options checked).
fn add(o: &ServerOptions, group: Ipv4) -> Result<Change> {
    if let Some(prefixes) = &o.learn {
        let learn = LearnConfig {
            prefixes: parse::prefixes(prefixes)?,
            timeout: o
                .learn_timeout
                .as_deref()
                .map(parse::learn_timeout)
                .transpose()?,
        };
        return Ok(Change::Learn {
            group,
            learn: Some(learn),
        });
    }
    if o.no_learn {
        return Ok(Change::Learn { group, learn: None });
    }
    let members = match (&o.join, &o.quit) {
        (Some(list), _) => Members::Join(parse::members(list)?),
        (_, Some(list)) => Members::Quit(parse::members(list)?),
        _ => Members::Keep,
    };
    Ok(Change::Add { group, members })
}

/// Runs `multis_admin` against the running module and the configuration
/// file `config`; prints any error and returns the exit status.
pub fn main(options: &ServerOptions, config: PathBuf) -> ExitCode {
    report(resolve(options).and_then(|command| {
        execute(
            &command,
            &mut NeliServer::default(),
            &ConfigFile::new(config),
            &mut io::stdout().lock(),
        )
    }))
}
