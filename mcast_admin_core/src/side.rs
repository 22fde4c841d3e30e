//! The names that differ between the sending and the receiving host.

use mcast_shared::genl;
use std::ffi::OsString;
use std::path::PathBuf;

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

impl Side {
    /// The configuration file: `--config` if given, else the environment
    /// variable if set and not empty, else the default.
    pub fn config_path(&self, flag: Option<PathBuf>) -> PathBuf {
        self.config_path_from(flag, std::env::var_os(self.config_env))
    }

    /// [`Side::config_path`] with the environment variable's value given.
    pub fn config_path_from(&self, flag: Option<PathBuf>, env: Option<OsString>) -> PathBuf {
        flag.or_else(|| env.filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(self.default_config))
    }

    /// Help text of `--config`.
    pub fn config_help(&self) -> String {
        format!(
            "The configuration file [default: ${}, else {}]",
            self.config_env, self.default_config
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_path_precedence() {
        let flag = Some(PathBuf::from("/flag.json"));
        let env = Some(OsString::from("/env.json"));
        assert_eq!(
            SERVER.config_path_from(flag.clone(), env.clone()),
            PathBuf::from("/flag.json")
        );
        assert_eq!(
            SERVER.config_path_from(None, env),
            PathBuf::from("/env.json")
        );
        assert_eq!(
            SERVER.config_path_from(None, Some(OsString::new())),
            PathBuf::from(SERVER.default_config)
        );
        assert_eq!(
            CLIENT.config_path_from(None, None),
            PathBuf::from("/etc/multicast_proxy/multi_client.json")
        );
    }
}
