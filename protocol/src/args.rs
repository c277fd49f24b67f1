//! The argument cursor that command handlers parse their arguments with.

use bytes::Bytes;

use crate::number::{parse_f64, parse_i64};
use crate::Argv;

/// An argument problem, rendered as Redis's exact error text by the server.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    #[error("ERR syntax error")]
    Syntax,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
}

/// A cursor over one request's arguments. Position 0 is the command name.
#[derive(Debug, Clone)]
pub struct Args {
    argv: Argv,
    pos: usize,
}

impl Args {
    /// A cursor positioned at the first argument after the command name.
    pub fn new(argv: Argv) -> Self {
        Args { argv, pos: 1 }
    }

    /// The whole request, command name included.
    pub fn argv(&self) -> &[Bytes] {
        &self.argv
    }

    pub fn into_argv(self) -> Argv {
        self.argv
    }

    /// The command name as sent.
    pub fn name(&self) -> &[u8] {
        self.argv.first().map(|b| b.as_ref()).unwrap_or(b"")
    }

    /// Number of arguments including the command name (Redis's `argc`).
    pub fn argc(&self) -> usize {
        self.argv.len()
    }

    /// Arguments not consumed yet.
    pub fn remaining(&self) -> usize {
        self.argv.len().saturating_sub(self.pos)
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor to absolute position `pos`.
    pub fn seek(&mut self, pos: usize) {
        self.pos = pos.min(self.argv.len());
    }

    pub fn peek(&self) -> Option<&Bytes> {
        self.argv.get(self.pos)
    }

    /// The next argument, if any. (Not `Iterator`: handlers mix it with typed readers.)
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Bytes> {
        let v = self.argv.get(self.pos).cloned();
        if v.is_some() {
            self.pos += 1;
        }
        v
    }

    /// The next argument, or a syntax error.
    pub fn next_arg(&mut self) -> Result<Bytes, ArgError> {
        self.next().ok_or(ArgError::Syntax)
    }

    /// The next argument as an integer (`string2ll` rules).
    pub fn next_i64(&mut self) -> Result<i64, ArgError> {
        let a = self.next_arg()?;
        parse_i64(&a).ok_or(ArgError::NotInteger)
    }

    /// The next argument as a double (no NaN).
    pub fn next_f64(&mut self) -> Result<f64, ArgError> {
        let a = self.next_arg()?;
        parse_f64(&a).ok_or(ArgError::NotFloat)
    }

    /// Consumes the next argument if it equals `token` case-insensitively.
    pub fn eat(&mut self, token: &str) -> bool {
        match self.argv.get(self.pos) {
            Some(a) if a.eq_ignore_ascii_case(token.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// All arguments not consumed yet; the cursor moves to the end.
    pub fn rest(&mut self) -> &[Bytes] {
        let start = self.pos.min(self.argv.len());
        self.pos = self.argv.len();
        &self.argv[start..]
    }

    /// Errors unless every argument was consumed.
    pub fn finish(&self) -> Result<(), ArgError> {
        if self.pos >= self.argv.len() {
            Ok(())
        } else {
            Err(ArgError::Syntax)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor() {
        let argv: Argv = ["SET", "k", "10", "nx"].iter().map(|s| Bytes::from_static(s.as_bytes())).collect();
        let mut a = Args::new(argv);
        assert_eq!(a.next_arg().unwrap(), "k");
        assert_eq!(a.next_i64().unwrap(), 10);
        assert!(!a.eat("XX"));
        assert!(a.eat("NX"));
        assert!(a.finish().is_ok());
        assert_eq!(a.next_arg(), Err(ArgError::Syntax));
    }
}
