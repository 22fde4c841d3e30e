//! The kernel traits over generic netlink (`neli`). Only `transport`
//! touches the socket; the rest turns requests into attributes and replies
//! back into values.

mod attrs;
mod client;
mod family;
mod server;
mod transport;

pub use client::NeliClient;
pub use server::NeliServer;
