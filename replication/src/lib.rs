//! Everything that moves writes between servers: OpIDs, the ordered propagation pipeline,
//! and later the binlog, the backlog and the primary/replica state machines.
//!
//! It ships effect commands tagged with OpIDs and never interprets them.
//!
//! Must never depend on: `rhodium-server`.

pub mod binlog;
pub mod opid;
pub mod pipeline;

pub use opid::OpId;
pub use pipeline::{Propagator, Sink, Unit};
