//! `multic_admin`: configures rust_mcast_client on the receiving host. A
//! drop-in for the old tool of the same name; see multic_admin(8).

mod cli;
#[cfg(test)]
mod tests;

use std::process::ExitCode;

fn main() -> ExitCode {
    mcast_admin_core::cli::main::<cli::Cli>()
}
