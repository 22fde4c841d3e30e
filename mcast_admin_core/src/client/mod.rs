//! `multic_admin`: from the parsed command line to a checked command, and
//! from there to the kernel, the configuration file and the output.

mod run;
#[cfg(test)]
mod tests;

pub use run::execute;

use crate::config::{ClientEntry, ConfigFile};
use crate::error::{report, Result};
use crate::netlink::NeliClient;
use crate::usage::{ADD, CLEAR, DELETE, IMPORT, LIST, RESTORE, STATS};
use crate::{parse, usage};
use mcast_shared::addr::Ipv4;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

/// The command line as given, before any check (the binary's clap
/// definition fills it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientOptions {
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
    /// `-R/--restore`
    pub restore: bool,
    /// `--import FILE`
    pub import: Option<PathBuf>,
    /// `-i/--ip SERVER`
    pub server: Option<String>,
    /// `-p/--port PORT`
    pub port: Option<String>,
    /// `-m/--multiip GROUP`
    pub group: Option<String>,
    /// `--allow-link-local`
    pub allow_link_local: bool,
    /// `--no-announce`
    pub no_announce: bool,
    /// `--json`
    pub json: bool,
}

/// A checked `multic_admin` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCommand {
    /// Reads the module, prints, touches no file.
    Query(Query),
    /// Changes the module, then the file.
    Change(Change),
    /// `--import FILE [--allow-link-local]`: adopt an old tool's file.
    Import {
        /// The old file.
        from: PathBuf,
        /// Allow the link-local groups it maps to.
        allow_link_local: bool,
    },
}

/// A query of the module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// `-P [-i S -p P] [--json]`
    Stats {
        /// One entry, or the global counters.
        key: Option<(Ipv4, u16)>,
        /// JSON output.
        json: bool,
    },
    /// `-L [--json]`
    List {
        /// JSON output.
        json: bool,
    },
}

/// A change of the module (and, except for a restore, of the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// `-A -i S -p P -m G [--allow-link-local] [--no-announce]`
    Add(ClientEntry),
    /// `-D -i S -p P`
    Delete {
        /// The sending host.
        server: Ipv4,
        /// The UDP port (0 = any).
        port: u16,
    },
    /// `-C`
    Clear,
    /// `-R`: apply the configuration file to the kernel.
    Restore,
}

/// Checks the combination and the values; touches nothing.
pub fn resolve(o: &ClientOptions) -> Result<ClientCommand> {
    let command = usage::one_command(
        &[
            (ADD, o.add),
            (DELETE, o.delete),
            (CLEAR, o.clear),
            (STATS, o.stats),
            (LIST, o.list),
            (RESTORE, o.restore),
            (IMPORT, o.import.is_some()),
        ],
        "-A, -D, -C, -P, -L, -R or --import",
    )?;
    let server = ("-i/--ip", o.server.is_some());
    let port = ("-p/--port", o.port.is_some());
    let group = ("-m/--multiip", o.group.is_some());
    usage::only_with(("--json", o.json), command, &[STATS, LIST], "-P or -L")?;
    usage::only_with(
        ("--allow-link-local", o.allow_link_local),
        command,
        &[ADD, IMPORT],
        "-A or --import",
    )?;
    usage::only_with(("--no-announce", o.no_announce), command, &[ADD], "-A")?;
    let key = || -> Result<(Ipv4, u16)> {
        Ok((
            parse::address(o.server.as_deref().unwrap_or_default())?,
            parse::port(o.port.as_deref().unwrap_or_default())?,
        ))
    };
    match command {
        ADD => {
            usage::require(
                command,
                &[server, port, group],
                "-i/--ip SERVER, -p/--port PORT and -m/--multiip GROUP",
            )?;
            let (server, port) = key()?;
            let group = parse::group(o.group.as_deref().unwrap_or_default())?;
            let entry = ClientEntry {
                server,
                port,
                group,
                allow_link_local: o.allow_link_local,
                no_announce: o.no_announce,
            };
            entry.check()?;
            Ok(ClientCommand::Change(Change::Add(entry)))
        }
        DELETE => {
            usage::require(
                command,
                &[server, port],
                "-i/--ip SERVER and -p/--port PORT",
            )?;
            usage::refuse(command, &[group])?;
            let (server, port) = key()?;
            Ok(ClientCommand::Change(Change::Delete { server, port }))
        }
        STATS => {
            usage::refuse(command, &[group])?;
            let key = match (server.1, port.1) {
                (false, false) => None,
                (true, true) => Some(key()?),
                _ => {
                    return Err(crate::error::Error::Usage(format!(
                        "{command} needs both -i/--ip and -p/--port, or neither"
                    )))
                }
            };
            Ok(ClientCommand::Query(Query::Stats { key, json: o.json }))
        }
        _ => {
            usage::refuse(command, &[server, port, group])?;
            Ok(match command {
                CLEAR => ClientCommand::Change(Change::Clear),
                LIST => ClientCommand::Query(Query::List { json: o.json }),
                RESTORE => ClientCommand::Change(Change::Restore),
                _ => ClientCommand::Import {
                    from: o.import.clone().unwrap_or_default(),
                    allow_link_local: o.allow_link_local,
                },
            })
        }
    }
}

/// Runs `multic_admin` against the running module and the configuration
/// file `config`; prints any error and returns the exit status.
pub fn main(options: &ClientOptions, config: PathBuf) -> ExitCode {
    report(resolve(options).and_then(|command| {
        execute(
            &command,
            &mut NeliClient::default(),
            &ConfigFile::new(config),
            &mut io::stdout().lock(),
        )
    }))
}
