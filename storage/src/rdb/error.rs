//! Why an RDB file or DUMP payload could not be read: always with the byte offset where
//! reading stopped, and (once the caller knows it) the file name.

use std::fmt;

/// What went wrong, for callers that react differently (RESTORE, the loader).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdbErrorKind {
    /// The bytes end before the structure does.
    Truncated,
    /// Anything malformed: bad magic, lengths, encodings, checksums.
    Corrupt,
    /// A value type Rhodium cannot hold (module values).
    Unsupported,
    /// The file could not be read at all.
    Io,
}

/// A read failure at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdbError {
    pub kind: RdbErrorKind,
    /// Offset from the start of the file (or payload) where the failing item starts.
    pub offset: u64,
    pub reason: String,
    /// The file, once known.
    pub file: Option<String>,
}

impl RdbError {
    pub fn new(kind: RdbErrorKind, offset: usize, reason: impl Into<String>) -> RdbError {
        RdbError { kind, offset: offset as u64, reason: reason.into(), file: None }
    }

    /// Names the file the error happened in.
    pub fn in_file(mut self, file: &str) -> RdbError {
        self.file = Some(file.to_string());
        self
    }
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{} (file {}, offset {})", self.reason, file, self.offset),
            None => write!(f, "{} (offset {})", self.reason, self.offset),
        }
    }
}

impl std::error::Error for RdbError {}
