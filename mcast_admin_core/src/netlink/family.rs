//! One module's family, reached lazily: the socket is opened and the
//! family resolved on the first request, so commands that fail validation
//! never talk to the kernel.

use super::transport::{Attr, Failure, GenlSocket};
use crate::error::{Error, Result};
use crate::side::Side;
use mcast_shared::error::errno;
use mcast_shared::genl;

/// A module's generic netlink family.
pub struct Family {
    side: &'static Side,
    connection: Option<(GenlSocket, u16)>,
}

impl Family {
    /// The family of `side`'s module; nothing is opened yet.
    pub fn new(side: &'static Side) -> Self {
        Family {
            side,
            connection: None,
        }
    }

    fn connection(&mut self) -> Result<&mut (GenlSocket, u16)> {
        if self.connection.is_none() {
            let mut socket = GenlSocket::connect().map_err(|e| self.error(e, false))?;
            let id = socket.resolve(self.side.family).map_err(|e| match e {
                Failure::Refused {
                    errno: errno::ENOENT,
                    ..
                } => Error::NotLoaded {
                    module: self.side.module,
                    service: self.side.service,
                },
                e => self.error(e, false),
            })?;
            self.connection = Some((socket, id));
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    fn error(&self, failure: Failure, change: bool) -> Error {
        match failure {
            Failure::Refused { errno, message } => Error::Kernel {
                errno,
                message,
                change,
            },
            Failure::Io(text) => Error::Netlink(text),
        }
    }

    /// A do-request; `change` says whether it alters the configuration (for
    /// the permission message). Returns the reply messages' attributes.
    pub fn call(&mut self, cmd: u8, attrs: &[Attr], change: bool) -> Result<Vec<Vec<Attr>>> {
        let (socket, id) = self.connection()?;
        let result = socket.request(*id, cmd, genl::family::VERSION, attrs, false);
        result.map_err(|e| self.error(e, change))
    }

    /// A dump request. Returns each message's attributes.
    pub fn dump(&mut self, cmd: u8, attrs: &[Attr]) -> Result<Vec<Vec<Attr>>> {
        let (socket, id) = self.connection()?;
        let result = socket.request(*id, cmd, genl::family::VERSION, attrs, true);
        result.map_err(|e| self.error(e, false))
    }

    /// A do-request that must answer with exactly one reply message.
    pub fn query(&mut self, cmd: u8, attrs: &[Attr]) -> Result<Vec<Attr>> {
        let mut replies = self.call(cmd, attrs, false)?;
        match replies.len() {
            1 => Ok(replies.remove(0)),
            n => Err(Error::Netlink(format!(
                "expected one reply message, got {n}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::side::{CLIENT, SERVER};

    /// On a host with generic netlink and without the modules, the tools
    /// must say what to do.
    #[test]
    fn missing_family_means_not_loaded() {
        if GenlSocket::connect().is_err() {
            return;
        }
        for side in [&SERVER, &CLIENT] {
            let mut f = Family::new(side);
            // The module may be loaded where these tests run: then anything goes.
            if let Err(e @ Error::NotLoaded { .. }) = f.dump(1, &[]) {
                assert_eq!(
                    e.to_string(),
                    format!(
                        "{} is not loaded: run `service {} start`",
                        side.module, side.service
                    )
                );
            }
        }
    }
}
