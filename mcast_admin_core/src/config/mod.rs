//! The configuration files: the old tool's JSON schema, written in its
//! json-c layout, replaced atomically under a lock.

pub mod client;
pub mod document;
mod fields;
pub mod json_c;
pub mod learn;
pub mod server;
pub mod store;

pub use client::{ClientConfig, ClientEntry};
pub use document::Document;
pub use learn::LearnConfig;
pub use server::{GroupConfig, ServerConfig, ServerLimits};
pub use store::{ConfigFile, Locked};
