//! Command errors, rendered as Redis's exact error lines at the reply layer.

use rhodium_protocol::ArgError;
use rhodium_storage::keyspace::LockError;
use rhodium_storage::OpError;

/// Why a command failed. `Display` is the full error line without the leading '-'.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Arg(#[from] ArgError),
    #[error(transparent)]
    Op(#[from] OpError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// Any other error; the text starts with its code (`ERR ...`).
    #[error("{0}")]
    Msg(String),
}

impl CommandError {
    /// An `ERR ...` error with the given text.
    pub fn err(text: impl std::fmt::Display) -> Self {
        CommandError::Msg(format!("ERR {text}"))
    }

    /// An error with its own code (`NOAUTH ...`, `WRONGPASS ...`).
    pub fn raw(text: impl Into<String>) -> Self {
        CommandError::Msg(text.into())
    }
}

/// Result of a command handler.
pub type CmdResult = Result<(), CommandError>;
