//! The Rhodium server: networking, the command table and handlers, dispatch, config.
//!
//! The only crate that knows what a command means. Depends on `rhodium-replication`,
//! `rhodium-storage` and `rhodium-protocol`; nothing depends on it.

pub mod atomic;
pub mod blocking;
pub mod commands;
pub mod config;
pub mod cron;
pub mod dispatch;
pub mod error;
pub mod log;
pub mod net;
pub mod notify;
pub mod pubsub;
pub mod persistence;
pub mod replication;
pub mod run;
pub mod scripting;
pub mod state;
pub mod watch;
#[cfg(test)]
pub(crate) mod testkit;

/// The Redis version Rhodium is compatible with, reported as `redis_version`.
pub const REDIS_VERSION: &str = "7.0.15";
/// Rhodium's own version.
pub const RHODIUM_VERSION: &str = env!("CARGO_PKG_VERSION");
