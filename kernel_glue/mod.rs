// SPDX-License-Identifier: GPL-2.0
//! The one unsafe layer of each module: safe types over the kernel objects
//! the modules touch. Every `unsafe` block of a module is in this directory
//! and says why it holds. Included by each module with
//! `#[path = "../kernel_glue/mod.rs"] mod kernel_glue;`.
#![allow(dead_code)]

pub mod ffi;
pub mod genl;
pub mod module;
pub mod netns;
pub mod percpu;
pub mod rcu;
pub mod skb;
pub mod table;
