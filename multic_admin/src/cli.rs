//! The command line of `multic_admin`: the old tool's options, plus
//! `--allow-link-local`, `--no-announce`, `--json`, `-R`, `--import` and
//! `--config`.

use clap::{ArgAction, Parser};
use mcast_admin_core::cli::{Generate, Tool};
use mcast_admin_core::client::{self, ClientOptions};
use mcast_admin_core::docs::{self, Section};
use mcast_admin_core::side::CLIENT;
use std::path::PathBuf;
use std::process::ExitCode;

/// Configures rust_mcast_client, which restores the unicast copies a
/// configured server sends to this host into their multicast group.
#[derive(Parser, Debug)]
#[command(
    name = "multic_admin",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    infer_long_args = true,
    long_about = "Configures rust_mcast_client, which restores the unicast copies a configured server sends to this host (marked with TOS 0xE0) into their multicast group, keyed by the server's address and the UDP destination port (0 = any port). Applications receive them by joining the group on the interface the copies arrive on. The sending side is configured with multis_admin(8).\n\nChanges go to the module first and then to the configuration file, which `service multic start` restores with -R after loading the module. Queries (-L, -P) read the module only; they and -H need no privilege. Give exactly one command.",
    after_help = "Give exactly one command. See multic_admin(8) for exit statuses, files and the differences from the old tool."
)]
pub struct Cli {
    /// Map packets from server -i to UDP port -p onto group -m
    #[arg(short = 'A', long = "add", help_heading = "Commands")]
    pub add: bool,
    /// Delete the entry of server -i and port -p
    #[arg(short = 'D', long = "delete", help_heading = "Commands")]
    pub delete: bool,
    /// Delete every entry
    #[arg(short = 'C', long = "clear", help_heading = "Commands")]
    pub clear: bool,
    /// Print the global counters, or with -i and -p those of one entry
    #[arg(short = 'P', long = "stats", help_heading = "Commands")]
    pub stats: bool,
    /// Print every entry
    #[arg(short = 'L', long = "list", help_heading = "Commands")]
    pub list: bool,
    /// Make the module equal to the configuration file (adds and removes)
    #[arg(short = 'R', long = "restore", help_heading = "Commands")]
    pub restore: bool,
    /// Adopt an old tool's configuration file when ours is empty (module untouched)
    #[arg(long = "import", value_name = "FILE", help_heading = "Commands")]
    pub import: Option<PathBuf>,
    /// Print help
    #[arg(short = 'H', long = "help", short_alias = 'h', action = ArgAction::Help, help_heading = "Commands")]
    pub help: Option<bool>,

    /// The sending host's unicast address
    #[arg(
        short = 'i',
        long = "ip",
        value_name = "SERVER",
        help_heading = "Options"
    )]
    pub ip: Option<String>,
    /// The UDP destination port, decimal; 0 means any port (and VRRP)
    #[arg(
        short = 'p',
        long = "port",
        value_name = "PORT",
        help_heading = "Options"
    )]
    pub port: Option<String>,
    /// The group: a multicast address or 255.255.255.255
    #[arg(
        short = 'm',
        long = "multiip",
        alias = "multi_ip",
        value_name = "GROUP",
        help_heading = "Options"
    )]
    pub multiip: Option<String>,
    /// Allow a link-local group (224.0.0.0/24, e.g. VRRP's 224.0.0.18) for this entry
    #[arg(long = "allow-link-local", help_heading = "Options")]
    pub allow_link_local: bool,
    /// Do not announce this host's IGMP reports for group -m to server -i (a server that does not learn, e.g. the old tool)
    #[arg(long = "no-announce", help_heading = "Options")]
    pub no_announce: bool,
    /// Print -L or -P output as JSON
    #[arg(long = "json", help_heading = "Options")]
    pub json: bool,
    #[arg(long = "config", value_name = "FILE", help = CLIENT.config_help(), help_heading = "Options")]
    pub config: Option<PathBuf>,
    /// Print version
    #[arg(short = 'V', long = "version", action = ArgAction::Version, help_heading = "Options")]
    pub version: Option<bool>,

    #[command(flatten)]
    pub generate: Generate,
}

impl Cli {
    /// The options for the core, unchecked.
    pub fn options(&self) -> ClientOptions {
        ClientOptions {
            add: self.add,
            delete: self.delete,
            clear: self.clear,
            stats: self.stats,
            list: self.list,
            restore: self.restore,
            import: self.import.clone(),
            server: self.ip.clone(),
            port: self.port.clone(),
            group: self.multiip.clone(),
            allow_link_local: self.allow_link_local,
            no_announce: self.no_announce,
            json: self.json,
        }
    }

    /// The configuration file: `--config`, `$MULTIC_CONFIG` or the default.
    pub fn config_path(&self) -> PathBuf {
        CLIENT.config_path(self.config.clone())
    }
}

impl Tool for Cli {
    fn generate(&self) -> &Generate {
        &self.generate
    }

    fn man_sections() -> Vec<Section> {
        docs::client_sections()
    }

    fn run(&self) -> ExitCode {
        client::main(&self.options(), self.config_path())
    }
}
