//! Everything that moves writes between servers: OpIDs, the ordered propagation pipeline,
//! the replication backlog, the encoding of the replication stream and the pure parts of
//! serving replicas; later the binlog and the replica state machine.
//!
//! It ships effect commands tagged with OpIDs and never interprets them.
//!
//! Must never depend on: `rhodium-server`.

pub mod backlog;
pub mod binlog;
pub mod opid;
pub mod pipeline;
pub mod replica;
pub mod primary;
pub mod stream;

pub use backlog::{Backlog, ReplOffset};
pub use opid::OpId;
pub use pipeline::{Propagator, Sink, Unit};
pub use stream::StreamEncoder;
