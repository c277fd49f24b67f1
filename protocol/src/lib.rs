//! RESP2/RESP3 codec for Rhodium: the request parser (multibulk and inline), the reply
//! writer and the argument cursor used by command handlers.
//!
//! This crate does no I/O and knows no keys. Client connections, the AOF and the
//! replication stream all speak it.
//!
//! Must never depend on: `rhodium-storage`, `rhodium-replication`, `rhodium-server`, `tokio`.

pub mod args;
pub mod decode;
pub mod encode;
pub mod number;
pub mod reply;

pub use args::{ArgError, Args};
pub use decode::{Limits, ProtocolError, RequestParser};
pub use reply::{ReplyWriter, Resp};

/// One request: the command name followed by its arguments, binary safe.
pub type Argv = Vec<bytes::Bytes>;
