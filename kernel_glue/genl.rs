// SPDX-License-Identifier: GPL-2.0
//! Generic netlink: requests, replies and dumps. Every operation of a
//! module's family enters through `rmc_genl_doit` / `rmc_genl_dumpit`, which
//! dispatch on the command to the module's [`Control`] implementation.

use super::ffi;
use super::netns::Net;
use crate::mcast_shared::error::{ConfigError, TextBuf};
use core::ffi::{c_int, c_long};
use core::ptr::NonNull;
use kernel::error::code::{EINVAL, ENOENT, ENOMEM};
use kernel::error::Error;

/// EMSGSIZE (an attribute did not fit the message): from the kernel's
/// errno.h through bindings, as `kernel::error::code` (6.12) lacks it.
fn emsgsize() -> Error {
    Error::from_errno(-(kernel::bindings::EMSGSIZE as c_int))
}

/// EOPNOTSUPP (a command the family does not know), likewise.
pub fn eopnotsupp() -> Error {
    Error::from_errno(-(kernel::bindings::EOPNOTSUPP as c_int))
}

/// Errors of a netlink operation: a configuration error the operator sees,
/// or a bare kernel error (message too large, unknown command).
pub enum OpError {
    /// Refused with an explanation.
    Config(ConfigError),
    /// A kernel error code (`kernel::error::code`).
    Kernel(Error),
}

impl From<Error> for OpError {
    fn from(e: Error) -> Self {
        OpError::Kernel(e)
    }
}

impl From<ConfigError> for OpError {
    fn from(e: ConfigError) -> Self {
        OpError::Config(e)
    }
}

/// Result of a netlink operation.
pub type OpResult = core::result::Result<(), OpError>;

/// The module's control plane, implemented by its per-namespace state.
pub trait Control {
    /// A do-operation: `cmd` with `req`; replies go through `req.reply`.
    fn doit(&self, cmd: u8, req: &Request<'_>) -> OpResult;
    /// One round of a dump: add messages to `out` from the cursor on; return
    /// true if more remain.
    fn dumpit(&self, cmd: u8, dump: &mut Dump<'_>) -> core::result::Result<bool, OpError>;
}

/// A received do-request.
pub struct Request<'a> {
    info: NonNull<ffi::GenlInfo>,
    _life: core::marker::PhantomData<&'a ()>,
}

impl<'a> Request<'a> {
    /// The namespace the request came from.
    pub fn net(&self) -> Net<'a> {
        // SAFETY: genl_info is valid during the doit call; its net is live.
        unsafe { Net::from_raw(ffi::rmc_genl_info_net(self.info.as_ptr())) }
            .expect("genl request without net")
    }

    /// The payload of attribute `ty` (already checked against the family's
    /// policy by the genetlink core).
    pub fn attr(&self, ty: u16) -> Option<&'a [u8]> {
        // SAFETY: attrs[] has maxattr+1 entries; the policy bounds `ty` by
        // MAX in the callers; a present attribute's payload is valid for the
        // duration of the request.
        unsafe { attr_bytes(ffi::rmc_genl_info_attr(self.info.as_ptr(), u32::from(ty))) }
    }

    /// Starts the reply message for `cmd`.
    pub fn reply(&self, cmd: u8) -> core::result::Result<Reply<'a>, OpError> {
        // SAFETY: genlmsg_new returns an owned skb or NULL; genlmsg_put_reply
        // writes the headers addressed to the requester.
        unsafe {
            let skb = ffi::rmc_genlmsg_new(4096);
            if skb.is_null() {
                return Err(OpError::Kernel(ENOMEM));
            }
            let hdr =
                ffi::rmc_genlmsg_put_reply(skb, self.info.as_ptr(), ffi::rmc_module_family(), cmd);
            if hdr.is_null() {
                ffi::rmc_nlmsg_free(skb);
                return Err(OpError::Kernel(emsgsize()));
            }
            Ok(Reply {
                msg: Message { skb, hdr },
                info: self.info,
                _life: core::marker::PhantomData,
            })
        }
    }
}

/// # Safety
/// `a` is NULL or a valid attribute that outlives `'a`.
unsafe fn attr_bytes<'a>(a: *const ffi::NlAttr) -> Option<&'a [u8]> {
    if a.is_null() {
        return None;
    }
    // SAFETY: per the function contract.
    unsafe {
        let len = ffi::rmc_nla_len(a).max(0) as usize;
        Some(core::slice::from_raw_parts(
            ffi::rmc_nla_data(a) as *const u8,
            len,
        ))
    }
}

/// A netlink message being filled in.
pub struct Message {
    skb: *mut ffi::SkBuff,
    hdr: *mut core::ffi::c_void,
}

impl Message {
    /// Adds attribute `ty` with raw `bytes`.
    pub fn put_bytes(&mut self, ty: u16, bytes: &[u8]) -> core::result::Result<(), OpError> {
        // SAFETY: we own the skb being built; nla_put checks the room.
        let err = unsafe {
            ffi::rmc_nla_put(
                self.skb,
                c_int::from(ty),
                bytes.len() as c_int,
                bytes.as_ptr().cast(),
            )
        };
        if err == 0 {
            Ok(())
        } else {
            Err(OpError::Kernel(emsgsize()))
        }
    }

    /// Adds a native-endian `u32`.
    pub fn put_u32(&mut self, ty: u16, v: u32) -> core::result::Result<(), OpError> {
        self.put_bytes(ty, &v.to_ne_bytes())
    }

    /// Adds a native-endian `u16`.
    pub fn put_u16(&mut self, ty: u16, v: u16) -> core::result::Result<(), OpError> {
        self.put_bytes(ty, &v.to_ne_bytes())
    }

    /// Adds a native-endian `u64`, aligned with a `pad` attribute.
    pub fn put_u64(&mut self, ty: u16, v: u64, pad: u16) -> core::result::Result<(), OpError> {
        // SAFETY: we own the skb being built; nla_put_u64_64bit checks room.
        let err = unsafe { ffi::rmc_nla_put_u64(self.skb, c_int::from(ty), v, c_int::from(pad)) };
        if err == 0 {
            Ok(())
        } else {
            Err(OpError::Kernel(emsgsize()))
        }
    }
}

/// A reply to a do-request; sent by [`Reply::send`], freed if dropped.
pub struct Reply<'a> {
    msg: Message,
    info: NonNull<ffi::GenlInfo>,
    _life: core::marker::PhantomData<&'a ()>,
}

impl Reply<'_> {
    /// The message to fill in.
    pub fn msg(&mut self) -> &mut Message {
        &mut self.msg
    }

    /// Finishes and sends the reply.
    pub fn send(self) -> OpResult {
        let (skb, hdr, info) = (self.msg.skb, self.msg.hdr, self.info);
        core::mem::forget(self);
        // SAFETY: we own skb; genlmsg_reply consumes it on every path.
        let err = unsafe {
            ffi::rmc_genlmsg_end(skb, hdr);
            ffi::rmc_genlmsg_reply(skb, info.as_ptr())
        };
        if err == 0 {
            Ok(())
        } else {
            Err(OpError::Kernel(Error::from_errno(err)))
        }
    }
}

impl Drop for Reply<'_> {
    fn drop(&mut self) {
        // SAFETY: an unsent reply's skb is still ours.
        unsafe { ffi::rmc_nlmsg_free(self.msg.skb) }
    }
}

/// One round of a dump: the skb to fill, the cursor kept between rounds.
pub struct Dump<'a> {
    skb: *mut ffi::SkBuff,
    cb: NonNull<ffi::NetlinkCallback>,
    _life: core::marker::PhantomData<&'a ()>,
}

impl<'a> Dump<'a> {
    /// The namespace the dump was requested from.
    pub fn net(&self) -> Net<'a> {
        // SAFETY: the dump's socket and its namespace are live during the call.
        unsafe { Net::from_raw(ffi::rmc_dump_net(self.cb.as_ptr())) }.expect("dump without net")
    }

    /// Attribute `ty` of the dump request.
    pub fn attr(&self, ty: u16) -> Option<&'a [u8]> {
        // SAFETY: the parsed request attributes live as long as the dump.
        unsafe { attr_bytes(ffi::rmc_genl_dump_attr(self.cb.as_ptr(), u32::from(ty))) }
    }

    /// Six words kept between rounds (zero on the first).
    pub fn cursor(&mut self) -> &mut [c_long; 6] {
        // SAFETY: cb->args is 6 longs owned by this dump.
        unsafe { &mut *(ffi::rmc_dump_cursor(self.cb.as_ptr()) as *mut [c_long; 6]) }
    }

    /// The generation of the table this round reads. A message of a round
    /// whose generation differs from the previous round's is flagged
    /// `NLM_F_DUMP_INTR`, and the reader restarts the dump.
    pub fn set_generation(&mut self, generation: u32) {
        // SAFETY: cb is the dump's callback, ours during the call; this sets
        // cb->seq as nl_dump_check_consistent (include/net/netlink.h, 6.12)
        // expects: once per round, before the round's messages.
        unsafe { ffi::rmc_dump_set_generation(self.cb.as_ptr(), generation) }
    }

    /// Adds one message of `cmd`, filled by `fill`. False (and nothing
    /// added) when the round's buffer is full: continue in the next round.
    pub fn add(
        &mut self,
        cmd: u8,
        fill: impl FnOnce(&mut Message) -> core::result::Result<(), OpError>,
    ) -> bool {
        // SAFETY: the dump skb is ours to fill during the call;
        // genlmsg_put returns NULL when it has no room.
        let hdr = unsafe {
            ffi::rmc_genlmsg_put_dump(self.skb, self.cb.as_ptr(), ffi::rmc_module_family(), cmd)
        };
        if hdr.is_null() {
            return false;
        }
        // SAFETY: `hdr` was just put in this dump's skb by genlmsg_put;
        // genl_dump_check_consistent flags its nlmsghdr if the generation
        // changed since the previous message (include/net/genetlink.h, 6.12).
        unsafe { ffi::rmc_genl_dump_check_consistent(self.cb.as_ptr(), hdr) };
        let mut msg = Message { skb: self.skb, hdr };
        let ok = fill(&mut msg).is_ok();
        // SAFETY: `hdr` starts the message we just filled in this skb.
        unsafe {
            if ok {
                ffi::rmc_genlmsg_end(self.skb, hdr)
            } else {
                ffi::rmc_genlmsg_cancel(self.skb, hdr)
            }
        }
        ok
    }
}

/// The negative errno for `e`; a configuration error's text goes to the
/// extended ack through `set_message`.
fn fail(e: OpError, set_message: impl FnOnce(*const core::ffi::c_char)) -> c_int {
    match e {
        OpError::Config(e) => {
            let mut text = TextBuf::<80>::new();
            let _ = core::fmt::write(&mut text, format_args!("{e}"));
            set_message(text.as_c_bytes().as_ptr().cast());
            -e.errno()
        }
        OpError::Kernel(e) => e.to_errno(),
    }
}

/// `doit` of every operation of the module's family.
#[no_mangle]
extern "C" fn rmc_genl_doit(_skb: *mut ffi::SkBuff, info: *mut ffi::GenlInfo) -> c_int {
    let Some(info) = NonNull::new(info) else {
        return EINVAL.to_errno();
    };
    let req = Request {
        info,
        _life: core::marker::PhantomData,
    };
    let Some(state) = req.net().state() else {
        return ENOENT.to_errno();
    };
    // SAFETY: valid genl_info during the call.
    let cmd = unsafe { ffi::rmc_genl_info_cmd(info.as_ptr()) };
    match state.doit(cmd, &req) {
        Ok(()) => 0,
        // SAFETY: extack copies the NUL-terminated text into its own buffer.
        Err(e) => fail(e, |msg| unsafe {
            ffi::rmc_genl_set_err_msg(info.as_ptr(), msg)
        }),
    }
}

/// `dumpit` of every dump operation of the module's family.
#[no_mangle]
extern "C" fn rmc_genl_dumpit(skb: *mut ffi::SkBuff, cb: *mut ffi::NetlinkCallback) -> c_int {
    let Some(cb) = NonNull::new(cb) else {
        return EINVAL.to_errno();
    };
    let mut dump = Dump {
        skb,
        cb,
        _life: core::marker::PhantomData,
    };
    let Some(state) = dump.net().state() else {
        return ENOENT.to_errno();
    };
    // SAFETY: valid callback during the call.
    let cmd = unsafe { ffi::rmc_dump_cmd(cb.as_ptr()) };
    match state.dumpit(cmd, &mut dump) {
        Ok(true) => 1,
        Ok(false) => 0,
        // SAFETY: the dump's extack copies the text; the core sends it with
        // the final NLMSG_DONE.
        Err(e) => fail(e, |msg| unsafe {
            ffi::rmc_dump_set_err_msg(cb.as_ptr(), msg)
        }),
    }
}
