//! The command line of `multis_admin`: the old tool's options, plus
//! `--learn`, `--learn-timeout`, `--no-learn`, `--json`, `-R`, `--import`
//! and `--config`.

use clap::{ArgAction, Parser};
use mcast_admin_core::cli::{Generate, Tool};
use mcast_admin_core::docs::{self, Section};
use mcast_admin_core::server::{self, ServerOptions};
use mcast_admin_core::side::SERVER;
use std::path::PathBuf;
use std::process::ExitCode;

/// Configures rust_mcast_server, which turns every datagram this host sends
/// to a configured multicast group into one unicast copy per member.
#[derive(Parser, Debug)]
#[command(
    name = "multis_admin",
    version,
    disable_help_flag = true,
    disable_version_flag = true,
    infer_long_args = true,
    long_about = "Configures rust_mcast_server, which turns every datagram this host sends to a configured multicast group into one unicast copy per member (TOS 0xE0), for networks that carry no multicast. Receivers restore the copies with rust_mcast_client (see multic_admin(8)).\n\nChanges go to the module first and then to the configuration file, which `service multis start` restores with -R after loading the module. Queries (-L, -S, -P) read the module only; they and -H need no privilege. Give exactly one command.",
    after_help = "Give exactly one command. See multis_admin(8) for exit statuses, files and the differences from the old tool."
)]
pub struct Cli {
    /// Create group -m if absent; with -j add members, with -q remove members, with --learn or --no-learn set its learning
    #[arg(short = 'A', long = "add", help_heading = "Commands")]
    pub add: bool,
    /// Delete group -m
    #[arg(short = 'D', long = "delete", help_heading = "Commands")]
    pub delete: bool,
    /// Delete every group
    #[arg(short = 'C', long = "clear", help_heading = "Commands")]
    pub clear: bool,
    /// Print the global counters, or with -m those of one group
    #[arg(short = 'P', long = "stats", help_heading = "Commands")]
    pub stats: bool,
    /// Print the members of group -m
    #[arg(short = 'L', long = "list", help_heading = "Commands")]
    pub list: bool,
    /// Print every group
    #[arg(short = 'S', long = "show", help_heading = "Commands")]
    pub show: bool,
    /// Make the module equal to the configuration file (adds and removes)
    #[arg(short = 'R', long = "restore", help_heading = "Commands")]
    pub restore: bool,
    /// Adopt an old tool's configuration file when ours is empty (module untouched)
    #[arg(long = "import", value_name = "FILE", help_heading = "Commands")]
    pub import: Option<PathBuf>,
    /// Print help
    #[arg(short = 'H', long = "help", short_alias = 'h', action = ArgAction::Help, help_heading = "Commands")]
    pub help: Option<bool>,

    /// The group: a multicast address or 255.255.255.255
    #[arg(
        short = 'm',
        long = "multiip",
        value_name = "GROUP",
        help_heading = "Options"
    )]
    pub multiip: Option<String>,
    /// Members to add, comma-separated unicast addresses
    #[arg(
        short = 'j',
        long = "join",
        value_name = "IP,...",
        help_heading = "Options"
    )]
    pub join: Option<String>,
    /// Members to remove, comma-separated unicast addresses
    #[arg(
        short = 'q',
        long = "quit",
        value_name = "IP,...",
        help_heading = "Options"
    )]
    pub quit: Option<String>,
    /// Learn members from our clients' IGMP reports sent from inside these prefixes (A.B.C.D/LEN or an address); with -A -m
    #[arg(long = "learn", value_name = "PREFIX,...", help_heading = "Options")]
    pub learn: Option<String>,
    /// Seconds a learned member stays without a new report, 2-86400 [default: 260]; with --learn
    #[arg(
        long = "learn-timeout",
        value_name = "SECONDS",
        help_heading = "Options"
    )]
    pub learn_timeout: Option<String>,
    /// Stop learning and forget the learned members; with -A -m
    #[arg(long = "no-learn", help_heading = "Options")]
    pub no_learn: bool,
    /// Print -L, -S or -P output as JSON
    #[arg(long = "json", help_heading = "Options")]
    pub json: bool,
    #[arg(long = "config", value_name = "FILE", help = SERVER.config_help(), help_heading = "Options")]
    pub config: Option<PathBuf>,
    /// Print version
    #[arg(short = 'V', long = "version", action = ArgAction::Version, help_heading = "Options")]
    pub version: Option<bool>,

    #[command(flatten)]
    pub generate: Generate,
}

impl Cli {
    /// The options for the core, unchecked.
    pub fn options(&self) -> ServerOptions {
        ServerOptions {
            add: self.add,
            delete: self.delete,
            clear: self.clear,
            stats: self.stats,
            list: self.list,
            show: self.show,
            restore: self.restore,
            import: self.import.clone(),
            group: self.multiip.clone(),
            join: self.join.clone(),
            quit: self.quit.clone(),
            learn: self.learn.clone(),
            learn_timeout: self.learn_timeout.clone(),
            no_learn: self.no_learn,
            json: self.json,
        }
    }

    /// The configuration file: `--config`, `$MULTIS_CONFIG` or the default.
    pub fn config_path(&self) -> PathBuf {
        SERVER.config_path(self.config.clone())
    }
}

impl Tool for Cli {
    fn generate(&self) -> &Generate {
        &self.generate
    }

    fn man_sections() -> Vec<Section> {
        docs::server_sections()
    }

    fn run(&self) -> ExitCode {
        server::main(&self.options(), self.config_path())
    }
}
