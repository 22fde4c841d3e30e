//! `multis_admin`: configures rust_mcast_server on the sending host. A
//! drop-in for the old tool of the same name; see multis_admin(8).

mod cli;
#[cfg(test)]
mod tests;

use mcast_admin_core::{docs, server};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli: cli::Cli = match mcast_admin_core::cli::parse(std::env::args_os()) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let generate = cli.generate();
    if generate.requested() {
        return generate.run::<cli::Cli>(&docs::server_sections());
    }
    server::main(&cli.options(), cli.config_path())
}
