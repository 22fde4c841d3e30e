// SPDX-License-Identifier: GPL-2.0
//! The one unsafe layer of each module: safe types over the kernel objects
//! the modules touch. Every `unsafe` block of a module is in this directory
//! and says why it holds. Included by each module with
//! `#[path = "../kernel_glue/mod.rs"] mod kernel_glue;`.
#![allow(dead_code)]

pub mod ffi;
pub mod genl;
pub mod hooks;
pub mod module;
pub mod netns;
pub mod percpu;
pub mod rcu;
pub mod route_cache;
pub mod skb;
pub mod table;

// The kernel numbers mcast_shared holds (abi.rs, error.rs) against the
// kernel's own, where bindings has them; helpers.c pins all of them (and
// those bindings lacks: NF_*, NET_XMIT_*) with static_assert in C.
use crate::mcast_shared::{abi::checksum, error::errno};
use kernel::bindings;
kernel::static_assert!(checksum::NONE as u32 == bindings::CHECKSUM_NONE);
kernel::static_assert!(checksum::UNNECESSARY as u32 == bindings::CHECKSUM_UNNECESSARY);
kernel::static_assert!(checksum::COMPLETE as u32 == bindings::CHECKSUM_COMPLETE);
kernel::static_assert!(checksum::PARTIAL as u32 == bindings::CHECKSUM_PARTIAL);
kernel::static_assert!(errno::EPERM as u32 == bindings::EPERM);
kernel::static_assert!(errno::ENOENT as u32 == bindings::ENOENT);
kernel::static_assert!(errno::ENOMEM as u32 == bindings::ENOMEM);
kernel::static_assert!(errno::EEXIST as u32 == bindings::EEXIST);
kernel::static_assert!(errno::EINVAL as u32 == bindings::EINVAL);
kernel::static_assert!(errno::ENOSPC as u32 == bindings::ENOSPC);
