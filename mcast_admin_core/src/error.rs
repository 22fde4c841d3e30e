//! The one error type of the admin tools: each value prints as one line for
//! the operator and maps to an exit status.

use mcast_shared::error::{errno, ConfigError};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit statuses. The 23x values keep the old tool's mapping (its result
/// code 1000 + n truncated to 8 bits); see the man page's EXIT STATUS.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// The system stopped us: module not loaded, no permission, unreadable
    /// or corrupt configuration file, netlink failure.
    pub const FAILURE: u8 = 1;
    /// The client entry exists already, unchanged (old code 1000).
    pub const EXISTS: u8 = 232;
    /// No such group or client entry (old code 1001).
    pub const NOT_FOUND: u8 = 233;
    /// A limit was reached: groups, members per group, client entries (old
    /// codes 1002 and 1004).
    pub const LIMIT: u8 = 234;
    /// A value breaks a rule: not a group address, not a unicast member or
    /// sender, link-local group not allowed (old code 1003).
    pub const INVALID: u8 = 235;
    /// The command line is wrong: unknown, repeated or conflicting option,
    /// missing value, unparsable address or port (old result -1).
    pub const USAGE: u8 = 255;
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line is wrong; the text says how.
    #[error("{0}")]
    Usage(String),
    /// A value is not a strict dotted-quad IPv4 address.
    #[error("{}: not an IPv4 address", shown(.0))]
    BadAddress(String),
    /// A value is not a decimal port number.
    #[error("{}: not a port (a decimal number from 0 to 65535)", shown(.0))]
    BadPort(String),
    /// A value is not a decimal number of seconds.
    #[error("{}: not a number of seconds", shown(.0))]
    BadSeconds(String),
    /// A configuration rule, checked before the kernel was asked.
    #[error("{0}")]
    Rule(ConfigError),
    /// The module's generic netlink family does not exist in this namespace.
    #[error("{module} is not loaded: run `service {service} start`")]
    NotLoaded {
        /// Kernel module name.
        module: &'static str,
        /// Init service that loads it.
        service: &'static str,
    },
    /// The kernel refused a request.
    #[error("{}", kernel_text(*.errno, .message.as_deref(), *.change))]
    Kernel {
        /// Positive errno.
        errno: i32,
        /// The extended ack text, if the kernel sent one.
        message: Option<String>,
        /// Whether the request would have changed the configuration.
        change: bool,
    },
    /// The configuration file (or a file to import) cannot be used.
    #[error("{}: {reason}", .path.display())]
    ConfigFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration file cannot be locked or written for lack of rights.
    #[error("permission denied: changing the configuration needs CAP_NET_ADMIN and write access to {}", .0.display())]
    NoWriteAccess(PathBuf),
    /// The kernel took a change but the file could not be written: they differ now.
    #[error("{0}\nthe kernel has the change, but the configuration file does not: fix the cause, then run the same command again to save it (or reload the service to return the kernel to the file)")]
    NotSaved(Box<Error>),
    /// Talking to the kernel failed below the protocol.
    #[error("netlink: {0}")]
    Netlink(String),
    /// Standard output could not be written.
    #[error("cannot write the output: {0}")]
    Output(io::Error),
    /// A failure while handling one item of several; names the item.
    #[error("{context}: {source}")]
    During {
        /// The item, e.g. `group 239.1.1.1`.
        context: String,
        /// What went wrong.
        source: Box<Error>,
    },
    /// Several independent failures (restore goes on after one); one line each.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<Error>),
}

/// An empty value is shown as '' so the message still names it.
fn shown(text: &str) -> &str {
    if text.is_empty() {
        "''"
    } else {
        text
    }
}

fn kernel_text(code: i32, message: Option<&str>, change: bool) -> String {
    match (code, message) {
        // genl answers EPERM itself (GENL_ADMIN_PERM), without a text.
        (errno::EPERM, _) if change => {
            "permission denied: changing the configuration needs CAP_NET_ADMIN".into()
        }
        (errno::EPERM, _) => {
            "permission denied: reading the configuration needs CAP_NET_ADMIN".into()
        }
        (_, Some(text)) if !text.is_empty() => text.to_string(),
        _ => format!(
            "the kernel refused the request: {}",
            io::Error::from_raw_os_error(code)
        ),
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Rule(e)
    }
}

impl Error {
    /// What the kernel would answer for `e`: its errno and its text as the
    /// extended ack. The fake kernel uses this so tests see real replies.
    pub fn from_kernel(e: ConfigError, change: bool) -> Self {
        Error::Kernel {
            errno: e.errno(),
            message: Some(e.to_string()),
            change,
        }
    }

    /// Whether retrying with other items cannot help: the module is missing,
    /// the caller lacks the right, or the channel itself failed.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Error::NotLoaded { .. }
                | Error::Netlink(_)
                | Error::Output(_)
                | Error::NoWriteAccess(_)
        ) || self.kernel_errno() == Some(errno::EPERM)
    }

    /// The errno, when the kernel refused the request.
    pub fn kernel_errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// The process exit status for this error.
    pub fn exit_status(&self) -> u8 {
        use ConfigError::*;
        match self {
            Error::Usage(_) | Error::BadAddress(_) | Error::BadPort(_) | Error::BadSeconds(_) => {
                exit::USAGE
            }
            Error::Rule(NoSuchGroup(_) | NoSuchEntry { .. }) => exit::NOT_FOUND,
            Error::Rule(EntryExists { .. }) => exit::EXISTS,
            Error::Rule(TooManyGroups { .. } | TooManyMembers { .. } | TooManyEntries { .. }) => {
                exit::LIMIT
            }
            Error::Rule(OutOfMemory) => exit::FAILURE,
            Error::Rule(_) => exit::INVALID,
            Error::Kernel { errno, .. } => match *errno {
                errno::ENOENT => exit::NOT_FOUND,
                errno::EEXIST => exit::EXISTS,
                errno::ENOSPC => exit::LIMIT,
                errno::EINVAL => exit::INVALID,
                _ => exit::FAILURE,
            },
            Error::During { source, .. } => source.exit_status(),
            Error::NotSaved(_) => exit::FAILURE,
            Error::Several(all) => all.first().map_or(exit::FAILURE, Error::exit_status),
            Error::NotLoaded { .. }
            | Error::ConfigFile { .. }
            | Error::NoWriteAccess(_)
            | Error::Netlink(_)
            | Error::Output(_) => exit::FAILURE,
        }
    }
}

/// The failures of a run that goes on after one (a restore): each item's
/// error is kept with the item it happened to.
#[derive(Debug, Default)]
pub struct Failures(Vec<Error>);

impl Failures {
    /// Keeps `e`, which happened to the item `context` names. A fatal error
    /// would repeat for every item, so it is returned to stop the run.
    pub fn keep(&mut self, e: Error, context: impl FnOnce() -> String) -> Result<()> {
        if e.is_fatal() {
            return Err(e);
        }
        self.0.push(Error::During {
            context: context(),
            source: Box::new(e),
        });
        Ok(())
    }

    /// Success if nothing failed, else all the failures as one error.
    pub fn into_result(self) -> Result<()> {
        match self.0.len() {
            0 => Ok(()),
            _ => Err(Error::Several(self.0)),
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Prints the outcome of a command the way both tools do (the error on
/// stderr, one line each) and turns it into the exit status.
pub fn report(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed stderr must not turn a clean failure into a panic.
            let _ = writeln!(io::stderr(), "{e}");
            ExitCode::from(e.exit_status())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcast_shared::addr::Ipv4;

    const G: Ipv4 = Ipv4([239, 1, 1, 1]);

    #[test]
    fn required_texts() {
        let not_loaded = Error::NotLoaded {
            module: "rust_mcast_server",
            service: "multis",
        };
        assert_eq!(
            not_loaded.to_string(),
            "rust_mcast_server is not loaded: run `service multis start`"
        );
        assert_eq!(
            Error::from_kernel(ConfigError::NoSuchGroup(G), true).to_string(),
            "239.1.1.1: not a configured group"
        );
        assert_eq!(
            Error::BadAddress("10.0.0.300".into()).to_string(),
            "10.0.0.300: not an IPv4 address"
        );
        let eperm = Error::Kernel {
            errno: errno::EPERM,
            message: None,
            change: true,
        };
        assert_eq!(
            eperm.to_string(),
            "permission denied: changing the configuration needs CAP_NET_ADMIN"
        );
    }

    #[test]
    fn kernel_errors_without_text_name_the_errno() {
        let e = Error::Kernel {
            errno: 95,
            message: None,
            change: false,
        };
        assert_eq!(
            e.to_string(),
            "the kernel refused the request: Operation not supported (os error 95)"
        );
        assert_eq!(e.exit_status(), exit::FAILURE);
    }

    #[test]
    fn exit_statuses_follow_the_old_codes() {
        assert_eq!(
            Error::from_kernel(ConfigError::NoSuchGroup(G), true).exit_status(),
            233
        );
        assert_eq!(Error::Rule(ConfigError::NoSuchGroup(G)).exit_status(), 233);
        let exists = ConfigError::EntryExists {
            sender: Ipv4([10, 0, 0, 1]),
            port: 1,
            group: G,
        };
        assert_eq!(Error::from_kernel(exists, true).exit_status(), 232);
        assert_eq!(
            Error::Rule(ConfigError::TooManyGroups { limit: 1 }).exit_status(),
            234
        );
        assert_eq!(
            Error::Rule(ConfigError::NotAGroupAddress(G)).exit_status(),
            235
        );
        assert_eq!(Error::Usage("x".into()).exit_status(), 255);
        assert_eq!(
            Error::BadPort(String::new()).to_string(),
            "'': not a port (a decimal number from 0 to 65535)"
        );
    }
}
