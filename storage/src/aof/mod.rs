//! Redis 7.0's multi-part append-only file: the manifest naming a base file (RDB preamble
//! or commands) and the incremental files written after it, the RESP encoding of the
//! commands they hold, and a reader that tells a torn tail from a corrupt file. Opening,
//! writing, fsync and rewrites are the server's (this crate does no threads or timing).

pub mod encode;
pub mod manifest;
pub mod reader;

pub use manifest::{AofFile, FileKind, Manifest, ManifestError};
pub use reader::{Command, ReadError, Reader};
