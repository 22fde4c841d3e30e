//! Generic netlink over `neli`: the only code that touches the socket.
//! A request is one message; the answer is read until its end: the ack
//! (or error) of a do-request, NLMSG_DONE (or an error) of a dump.
//! Attributes cross this boundary as raw bytes ([`Attr`]); what they mean
//! is decided in the callers.

use neli::consts::genl::{CtrlAttr, CtrlCmd};
use neli::consts::nl::{GenlId, NlmF, Nlmsg, NlmsgerrAttr};
use neli::consts::socket::NlFamily;
use neli::err::Nlmsgerr;
use neli::genl::{AttrTypeBuilder, Genlmsghdr, GenlmsghdrBuilder, NlattrBuilder};
use neli::nl::{NlPayload, Nlmsghdr, NlmsghdrBuilder};
use neli::socket::synchronous::NlSocketHandle;
use neli::types::{Buffer, GenlBuffer};
use neli::utils::Groups;

/// A generic netlink message as sent and received here.
pub type GenlMessage = Nlmsghdr<u16, Genlmsghdr<u8, u16>>;

/// One attribute: its type and its payload bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Attribute type (flag bits cleared).
    pub kind: u16,
    /// Payload, without padding.
    pub payload: Vec<u8>,
}

/// Why a request did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The kernel answered with an error: positive errno and the extended
    /// ack text, if any.
    Refused {
        /// Positive errno.
        errno: i32,
        /// The extended ack message.
        message: Option<String>,
    },
    /// The socket failed or a reply could not be read.
    Io(String),
}

fn io_failure(e: impl std::fmt::Display) -> Failure {
    Failure::Io(e.to_string())
}

/// How many times a dump interrupted by a table change is restarted: a
/// dump is flagged interrupted by any change during it, so a table under
/// steady churn (08_kernel_review_memory's rotations, under the debug
/// kernel) can interrupt several in a row.
const DUMP_ATTEMPTS: usize = 16;

/// A generic netlink socket with extended acks enabled.
pub struct GenlSocket {
    socket: NlSocketHandle,
    seq: u32,
}

impl GenlSocket {
    /// Opens and binds the socket.
    pub fn connect() -> Result<Self, Failure> {
        let socket = NlSocketHandle::connect(NlFamily::Generic, None, Groups::empty())
            .map_err(io_failure)?;
        // Without it the kernel drops the text of its errors.
        socket.enable_ext_ack(true).map_err(io_failure)?;
        Ok(GenlSocket { socket, seq: 0 })
    }

    /// The id of the family called `name`; ENOENT from the controller means
    /// no such family in this network namespace.
    pub fn resolve(&mut self, name: &str) -> Result<u16, Failure> {
        let mut name_attr = name.as_bytes().to_vec();
        name_attr.push(0);
        let request = [Attr {
            kind: CtrlAttr::FamilyName.into(),
            payload: name_attr,
        }];
        // The controller's own protocol version.
        let replies = self.request(
            GenlId::Ctrl.into(),
            CtrlCmd::Getfamily.into(),
            2,
            &request,
            false,
        )?;
        let id = replies
            .iter()
            .flatten()
            .find(|a| a.kind == u16::from(CtrlAttr::FamilyId));
        match id.map(|a| <[u8; 2]>::try_from(&a.payload[..])) {
            Some(Ok(bytes)) => Ok(u16::from_ne_bytes(bytes)),
            _ => Err(Failure::Io(format!(
                "the controller answered without an id for {name}"
            ))),
        }
    }

    /// Sends one request to `family` and returns the attributes of every
    /// reply message. `dump` asks for a multi-part dump (restarted if the
    /// kernel reports it was interrupted); otherwise the kernel acks.
    pub fn request(
        &mut self,
        family: u16,
        cmd: u8,
        version: u8,
        attrs: &[Attr],
        dump: bool,
    ) -> Result<Vec<Vec<Attr>>, Failure> {
        let flags = if dump {
            NlmF::REQUEST | NlmF::DUMP
        } else {
            NlmF::REQUEST | NlmF::ACK
        };
        for _ in 0..DUMP_ATTEMPTS {
            self.seq = self.seq.wrapping_add(1);
            let message = build(family, flags, self.seq, cmd, version, attrs)?;
            self.socket.send(&message).map_err(io_failure)?;
            let mut answer = Answer::new(self.seq);
            while !answer.complete() {
                let (messages, _) = self
                    .socket
                    .recv::<u16, Genlmsghdr<u8, u16>>()
                    .map_err(io_failure)?;
                for message in messages {
                    answer.take(message.map_err(io_failure)?)?;
                }
            }
            if !answer.interrupted {
                return Ok(answer.replies);
            }
        }
        Err(Failure::Io(
            "the table kept changing during the listing; try again".into(),
        ))
    }
}

/// Builds a request message.
pub fn build(
    family: u16,
    flags: NlmF,
    seq: u32,
    cmd: u8,
    version: u8,
    attrs: &[Attr],
) -> Result<GenlMessage, Failure> {
    let mut buffer = GenlBuffer::new();
    for a in attrs {
        let kind = AttrTypeBuilder::default()
            .nla_type(a.kind)
            .build()
            .map_err(io_failure)?;
        let attr = NlattrBuilder::default()
            .nla_type(kind)
            .nla_payload(Buffer::from(a.payload.clone()))
            .build()
            .map_err(io_failure)?;
        buffer.push(attr);
    }
    let genl = GenlmsghdrBuilder::default()
        .cmd(cmd)
        .version(version)
        .attrs(buffer)
        .build()
        .map_err(io_failure)?;
    NlmsghdrBuilder::default()
        .nl_type(family)
        .nl_flags(flags)
        .nl_seq(seq)
        .nl_payload(NlPayload::Payload(genl))
        .build()
        .map_err(io_failure)
}

/// The answer to one request, gathered message by message.
#[derive(Debug)]
pub struct Answer {
    seq: u32,
    done: bool,
    /// The kernel flagged a dump as interrupted by a change (NLM_F_DUMP_INTR).
    pub interrupted: bool,
    /// Attributes of each reply message.
    pub replies: Vec<Vec<Attr>>,
}

impl Answer {
    /// Waiting for the answer to request `seq`.
    pub fn new(seq: u32) -> Self {
        Answer {
            seq,
            done: false,
            interrupted: false,
            replies: Vec::new(),
        }
    }

    /// Whether the answer has ended.
    pub fn complete(&self) -> bool {
        self.done
    }

    /// Takes one received message; an error answer ends it as `Err`.
    pub fn take(&mut self, message: GenlMessage) -> Result<(), Failure> {
        // Anything left over from an earlier request is not ours.
        if *message.nl_seq() != self.seq || self.done {
            return Ok(());
        }
        self.interrupted |= message.nl_flags().contains(NlmF::DUMP_INTR);
        let is_done = *message.nl_type() == u16::from(Nlmsg::Done);
        match message.nl_payload() {
            NlPayload::Ack(_) => self.done = true,
            NlPayload::Err(e) => return Err(refused(e)),
            NlPayload::DumpExtAck(e) if *e.error() != 0 => return Err(refused(e)),
            NlPayload::DumpExtAck(_) => self.done = true,
            NlPayload::Empty => self.done |= is_done,
            NlPayload::Payload(genl) if !is_done => self.replies.push(attributes(genl)),
            NlPayload::Payload(_) => self.done = true,
        }
        Ok(())
    }
}

fn refused<M>(e: &Nlmsgerr<M>) -> Failure {
    let message = e
        .ext_ack()
        .iter()
        .find(|a| *a.nla_type().nla_type() == NlmsgerrAttr::Msg)
        .map(|a| {
            let bytes = a.nla_payload().as_ref();
            let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
            String::from_utf8_lossy(text).into_owned()
        });
    Failure::Refused {
        errno: e.error().saturating_abs(),
        message,
    }
}

fn attributes(genl: &Genlmsghdr<u8, u16>) -> Vec<Attr> {
    genl.attrs()
        .iter()
        .map(|a| Attr {
            kind: *a.nla_type().nla_type(),
            payload: a.nla_payload().as_ref().to_vec(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use neli::types::NlBuffer;
    use neli::{FromBytesWithInput, ToBytes};
    use std::io::Cursor;

    const FAMILY: u16 = 0x1c;

    fn bytes_of(message: &GenlMessage) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        message.to_bytes(&mut out).unwrap();
        out.into_inner()
    }

    fn parse(bytes: &[u8]) -> Vec<GenlMessage> {
        let buffer = NlBuffer::<u16, Genlmsghdr<u8, u16>>::from_bytes_with_input(
            &mut Cursor::new(bytes),
            bytes.len(),
        )
        .unwrap();
        buffer.into_iter().collect()
    }

    fn nlmsghdr(len: usize, kind: u16, flags: u16, seq: u32) -> Vec<u8> {
        let mut h = Vec::new();
        h.extend_from_slice(&(len as u32).to_ne_bytes());
        h.extend_from_slice(&kind.to_ne_bytes());
        h.extend_from_slice(&flags.to_ne_bytes());
        h.extend_from_slice(&seq.to_ne_bytes());
        h.extend_from_slice(&0u32.to_ne_bytes());
        h
    }

    fn attr_bytes(kind: u16, payload: &[u8]) -> Vec<u8> {
        let mut a = Vec::new();
        a.extend_from_slice(&(4 + payload.len() as u16).to_ne_bytes());
        a.extend_from_slice(&kind.to_ne_bytes());
        a.extend_from_slice(payload);
        while a.len() % 4 != 0 {
            a.push(0);
        }
        a
    }

    /// A reply message of the family with the given attributes.
    fn reply(seq: u32, flags: u16, cmd: u8, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = vec![cmd, 1, 0, 0];
        for (k, p) in attrs {
            body.extend(attr_bytes(*k, p));
        }
        let mut m = nlmsghdr(16 + body.len(), FAMILY, flags, seq);
        m.extend(body);
        m
    }

    /// An NLMSG_ERROR answering `request`, echoing it, with an optional
    /// extended-ack text, as the kernel builds it.
    fn error(errno: i32, request: &[u8], text: Option<&str>) -> Vec<u8> {
        let mut body = (-errno).to_ne_bytes().to_vec();
        let mut flags = 0u16;
        if errno == 0 {
            body.extend_from_slice(&request[..16]);
            flags |= 0x100; // NLM_F_CAPPED
        } else {
            body.extend_from_slice(request);
        }
        if let Some(text) = text {
            let mut z = text.as_bytes().to_vec();
            z.push(0);
            body.extend(attr_bytes(1, &z));
            flags |= 0x200; // NLM_F_ACK_TLVS
        }
        let seq = u32::from_ne_bytes(request[8..12].try_into().unwrap());
        let mut m = nlmsghdr(16 + body.len(), 2, flags, seq);
        m.extend(body);
        m
    }

    fn done(seq: u32, errno: i32, text: Option<&str>) -> Vec<u8> {
        let mut body = (-errno).to_ne_bytes().to_vec();
        let mut flags = 0x2u16; // NLM_F_MULTI
        if let Some(text) = text {
            let mut z = text.as_bytes().to_vec();
            z.push(0);
            body.extend(attr_bytes(1, &z));
            flags |= 0x200;
        }
        let mut m = nlmsghdr(16 + body.len(), 3, flags, seq);
        m.extend(body);
        m
    }

    fn answer(seq: u32, wire: &[u8]) -> (Answer, Result<(), Failure>) {
        let mut answer = Answer::new(seq);
        let mut result = Ok(());
        for m in parse(wire) {
            result = result.and_then(|()| answer.take(m));
        }
        (answer, result)
    }

    #[test]
    fn requests_are_laid_out_as_the_kernel_expects() {
        let attrs = [
            Attr {
                kind: 2,
                payload: vec![239, 1, 1, 1],
            },
            Attr {
                kind: 3,
                payload: vec![5, 0],
            },
        ];
        let m = build(FAMILY, NlmF::REQUEST | NlmF::ACK, 7, 1, 1, &attrs).unwrap();
        let mut expected = nlmsghdr(16 + 4 + 8 + 8, FAMILY, 0x5, 7);
        expected.extend([1, 1, 0, 0]);
        expected.extend([8, 0, 2, 0, 239, 1, 1, 1]);
        // A 2-byte payload: length 6, padded to 8.
        expected.extend([6, 0, 3, 0, 5, 0, 0, 0]);
        assert_eq!(bytes_of(&m), expected);
        let dump = build(FAMILY, NlmF::REQUEST | NlmF::DUMP, 8, 6, 1, &[]).unwrap();
        assert_eq!(
            bytes_of(&dump)[..20],
            [&nlmsghdr(20, FAMILY, 0x301, 8)[..], &[6, 1, 0, 0]].concat()
        );
    }

    #[test]
    fn an_ack_ends_a_do_request() {
        let request = bytes_of(&build(FAMILY, NlmF::REQUEST | NlmF::ACK, 3, 1, 1, &[]).unwrap());
        let (a, r) = answer(3, &error(0, &request, None));
        assert_eq!(r, Ok(()));
        assert!(a.complete());
        assert!(a.replies.is_empty());
    }

    #[test]
    fn a_reply_then_an_ack() {
        let request = bytes_of(&build(FAMILY, NlmF::REQUEST | NlmF::ACK, 4, 8, 1, &[]).unwrap());
        let wire = [
            reply(4, 0, 8, &[(32, &7u64.to_ne_bytes())]),
            error(0, &request, None),
        ]
        .concat();
        let (a, r) = answer(4, &wire);
        assert_eq!(r, Ok(()));
        assert_eq!(
            a.replies,
            [vec![Attr {
                kind: 32,
                payload: 7u64.to_ne_bytes().to_vec()
            }]]
        );
    }

    #[test]
    fn errors_carry_errno_and_extended_ack_text() {
        let attrs = [Attr {
            kind: 2,
            payload: vec![239, 1, 1, 1],
        }];
        let request = bytes_of(&build(FAMILY, NlmF::REQUEST | NlmF::ACK, 5, 2, 1, &attrs).unwrap());
        let (_, r) = answer(
            5,
            &error(2, &request, Some("239.1.1.1: not a configured group")),
        );
        assert_eq!(
            r,
            Err(Failure::Refused {
                errno: 2,
                message: Some("239.1.1.1: not a configured group".into())
            })
        );
        let (_, r) = answer(5, &error(1, &request, None));
        assert_eq!(
            r,
            Err(Failure::Refused {
                errno: 1,
                message: None
            })
        );
    }

    #[test]
    fn dumps_end_at_done_and_report_its_error() {
        let group = [239u8, 1, 1, 1];
        let wire = [
            reply(9, 0x2, 7, &[(2, &group), (3, &[10, 0, 0, 1, 10, 0, 0, 2])]),
            reply(9, 0x2, 7, &[(2, &group), (3, &[10, 0, 0, 3])]),
            done(9, 0, None),
        ]
        .concat();
        let (a, r) = answer(9, &wire);
        assert_eq!(r, Ok(()));
        assert!(a.complete() && !a.interrupted);
        assert_eq!(a.replies.len(), 2);
        assert_eq!(
            a.replies[1][1],
            Attr {
                kind: 3,
                payload: vec![10, 0, 0, 3]
            }
        );

        let (_, r) = answer(9, &done(9, 2, Some("239.1.1.1: not a configured group")));
        assert_eq!(
            r,
            Err(Failure::Refused {
                errno: 2,
                message: Some("239.1.1.1: not a configured group".into())
            })
        );
    }

    #[test]
    fn stale_and_interrupted_messages() {
        let wire = [
            reply(1, 0x2, 6, &[]),
            reply(2, 0x12, 6, &[]),
            done(2, 0, None),
        ]
        .concat();
        let (a, r) = answer(2, &wire);
        assert_eq!(r, Ok(()));
        assert_eq!(a.replies.len(), 1);
        assert!(a.interrupted);
    }

    /// Runs against the host's own generic netlink controller when there is
    /// one; the test environment need not have it.
    fn host_socket() -> Option<GenlSocket> {
        GenlSocket::connect().ok()
    }

    #[test]
    fn host_controller_resolves_names() {
        let Some(mut s) = host_socket() else { return };
        assert_eq!(s.resolve("nlctrl"), Ok(0x10));
        let missing = s.resolve("no_such_family");
        assert!(
            matches!(missing, Err(Failure::Refused { errno: 2, .. })),
            "{missing:?}"
        );
    }

    #[test]
    fn host_controller_dumps_in_several_messages() {
        let Some(mut s) = host_socket() else { return };
        let families = s
            .request(GenlId::Ctrl.into(), CtrlCmd::Getfamily.into(), 2, &[], true)
            .unwrap();
        let names: Vec<&[u8]> = families
            .iter()
            .flatten()
            .filter(|a| a.kind == 2)
            .map(|a| &a.payload[..])
            .collect();
        assert!(names.contains(&&b"nlctrl\0"[..]), "{names:?}");
        // The socket stays usable after a dump.
        assert_eq!(s.resolve("nlctrl"), Ok(0x10));
    }

    #[test]
    fn host_controller_errors_to_the_largest_requests_are_read() {
        let Some(mut s) = host_socket() else { return };
        // A refused request comes back whole in the error: the largest one
        // the tools send (a full member list) must still be readable.
        let members = crate::kernel::MEMBERS_PER_REQUEST * 4;
        let big = [Attr {
            kind: CtrlAttr::FamilyName.into(),
            payload: vec![b'x'; members + 16],
        }];
        match s.request(
            GenlId::Ctrl.into(),
            CtrlCmd::Getfamily.into(),
            2,
            &big,
            false,
        ) {
            Err(Failure::Refused { errno, .. }) => assert!(errno > 0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn host_controller_policy_errors_come_with_text() {
        let Some(mut s) = host_socket() else { return };
        // CTRL_ATTR_FAMILY_ID is a u16; one byte breaks the policy.
        let bad = [Attr {
            kind: CtrlAttr::FamilyId.into(),
            payload: vec![1],
        }];
        match s.request(
            GenlId::Ctrl.into(),
            CtrlCmd::Getfamily.into(),
            2,
            &bad,
            false,
        ) {
            // The errno varies with the kernel version (EINVAL, ERANGE); the text is the point.
            Err(Failure::Refused {
                message: Some(text),
                ..
            }) => assert!(!text.is_empty()),
            other => panic!("{other:?}"),
        }
    }
}
