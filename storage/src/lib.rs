//! Rhodium's storage: the keyspace (databases, striped hash tables, expiry) and the value
//! types with their compact encodings. Later also everything on disk (RDB, AOF).
//!
//! Synchronous and free of networking: background work is a function the server schedules.
//!
//! Must never depend on: `rhodium-replication`, `rhodium-server`, `tokio`.

pub mod aof;
pub mod bytes_small;
pub mod clock;
pub mod digest;
pub mod error;
pub mod glob;
pub mod keyspace;
pub mod rdb;
pub mod snapshot;
pub mod types;
pub mod value;

pub use bytes_small::SmallBytes;
pub use clock::UnixMillis;
pub use error::OpError;
pub use keyspace::{DbIndex, Keyspace, LockMode, Locked};
pub use value::Value;
