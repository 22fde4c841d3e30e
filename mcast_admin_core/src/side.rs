//! The names that differ between the sending and the receiving host.

use mcast_shared::genl;

/// One side of the proxy: its tool, module, service and files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side {
    /// The admin tool's name.
    pub tool: &'static str,
    /// The kernel module's name.
    pub module: &'static str,
    /// The init service that loads the module and restores its configuration.
    pub service: &'static str,
    /// The module's generic netlink family.
    pub family: &'static str,
    /// Where the configuration lives unless overridden.
    pub default_config: &'static str,
    /// The environment variable that overrides it.
    pub config_env: &'static str,
}

/// The sending host (`multis_admin`).
pub const SERVER: Side = Side {
    tool: "multis_admin",
    module: "rust_mcast_server",
    service: "multis",
    family: genl::server::FAMILY_NAME,
    default_config: "/etc/multicast_proxy/multi_server.json",
    config_env: "MULTIS_CONFIG",
};

/// The receiving host (`multic_admin`).
pub const CLIENT: Side = Side {
    tool: "multic_admin",
    module: "rust_mcast_client",
    service: "multic",
    family: genl::client::FAMILY_NAME,
    default_config: "/etc/multicast_proxy/multi_client.json",
    config_env: "MULTIC_CONFIG",
};
