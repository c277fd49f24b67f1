//! Reading the commands of an AOF file (an incremental file, a plain base, or what follows
//! an RDB preamble) as Redis's `loadSingleAppendOnlyFile` does: `#` lines are annotations
//! and skipped, everything else must be RESP multibulk. An input that simply stops early
//! (a torn tail after a crash) is told apart from bytes that are wrong, since Redis may
//! cut the first (`aof-load-truncated`) but must refuse the second.

use bytes::Bytes;

/// One command read from the file, with where it starts and ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub start: usize,
    pub end: usize,
    pub argv: Vec<Bytes>,
}

/// Why reading stopped before the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The file ends inside a command; everything before `valid_up_to` was whole.
    Truncated { valid_up_to: usize },
    /// Bytes that are not an AOF command, at `offset`.
    Format { offset: usize, reason: String },
}

/// A cursor over a file's bytes.
pub struct Reader {
    data: Bytes,
    pos: usize,
}

impl Reader {
    /// Reads `data` from byte `start` on (after an RDB preamble, say).
    pub fn new(data: Bytes, start: usize) -> Reader {
        Reader { pos: start.min(data.len()), data }
    }

    /// Where the next command starts.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The file's size.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the file holds nothing.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// A header line (`*3`, `$5`) without its line end; `None` when the input stops first.
    fn line(&mut self) -> Option<(usize, &[u8])> {
        let start = self.pos;
        let rest = &self.data[start..];
        let nl = rest.iter().position(|&b| b == b'\n')?;
        self.pos = start + nl + 1;
        let line = &rest[..nl];
        Some((start, line.strip_suffix(b"\r").unwrap_or(line)))
    }

    /// The next command, `Ok(None)` at a clean end of file.
    pub fn next_command(&mut self) -> Result<Option<Command>, ReadError> {
        loop {
            let start = self.pos;
            if start >= self.data.len() {
                return Ok(None);
            }
            let truncated = ReadError::Truncated { valid_up_to: start };
            if self.data[start] == b'#' {
                // An annotation (`#TS:...`); a torn one is still just a torn tail.
                if self.line().is_none() {
                    return Err(truncated);
                }
                continue;
            }
            if self.data[start] != b'*' {
                return Err(ReadError::Format { offset: start, reason: "expected '*'".into() });
            }
            let Some((_, line)) = self.line() else {
                return Err(truncated);
            };
            let argc = parse_len(&line[1..]).filter(|&n| n >= 1).ok_or_else(|| ReadError::Format { offset: start, reason: "invalid argument count".into() })?;
            // Every argument takes at least 6 bytes (`$0\r\n\r\n`): a count beyond what
            // is left can only be a torn tail, and is never allocated for.
            if argc > (self.data.len() - self.pos) / 6 + 1 {
                self.pos = start;
                return Err(truncated);
            }
            let mut argv = Vec::with_capacity(argc);
            for _ in 0..argc {
                if self.pos >= self.data.len() {
                    self.pos = start;
                    return Err(truncated);
                }
                let Some((at, line)) = self.line() else {
                    self.pos = start;
                    return Err(truncated);
                };
                if line.first() != Some(&b'$') {
                    return Err(ReadError::Format { offset: at, reason: "expected '$'".into() });
                }
                let Some(len) = parse_len(&line[1..]) else {
                    return Err(ReadError::Format { offset: at, reason: "invalid bulk length".into() });
                };
                // The argument and its CRLF (not checked, as Redis does not).
                let end = self.pos.checked_add(len).filter(|&e| e.saturating_add(2) <= self.data.len());
                let Some(end) = end else {
                    self.pos = start;
                    return Err(truncated);
                };
                argv.push(self.data.slice(self.pos..end));
                self.pos = end + 2;
            }
            return Ok(Some(Command { start, end: self.pos, argv }));
        }
    }
}

/// A non-negative decimal length.
fn parse_len(s: &[u8]) -> Option<usize> {
    if s.is_empty() || s.len() > 18 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(data: &[u8]) -> (Vec<Vec<Bytes>>, Option<ReadError>) {
        let mut r = Reader::new(Bytes::copy_from_slice(data), 0);
        let mut cmds = Vec::new();
        loop {
            match r.next_command() {
                Ok(Some(c)) => cmds.push(c.argv),
                Ok(None) => return (cmds, None),
                Err(e) => return (cmds, Some(e)),
            }
        }
    }

    #[test]
    fn reads_commands_and_skips_annotations() {
        let (c, e) = all(b"#TS:1\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n");
        assert_eq!(e, None);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0][0], Bytes::from_static(b"SELECT"));
    }

    #[test]
    fn every_torn_tail_is_truncation_at_the_last_whole_command() {
        let full = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nvalue\r\n";
        for cut in 15..full.len() {
            let (c, e) = all(&full[..cut]);
            assert_eq!(c.len(), 1, "cut at {cut}");
            assert_eq!(e, Some(ReadError::Truncated { valid_up_to: 14 }), "cut at {cut}");
        }
        assert_eq!(all(full).1, None);
    }

    #[test]
    fn wrong_bytes_are_format_errors_with_offsets() {
        assert!(matches!(all(b"*1\r\n$4\r\nPING\r\ngarbage\n").1, Some(ReadError::Format { offset: 14, .. })));
        assert!(matches!(all(b"*1\r\nx4\r\nPING\r\n").1, Some(ReadError::Format { offset: 4, .. })));
        assert!(matches!(all(b"*0\r\n").1, Some(ReadError::Format { offset: 0, .. })));
        // A huge count with nothing after it is a torn tail, not an allocation.
        assert_eq!(all(b"*999999999\r\n$1\r\n").1, Some(ReadError::Truncated { valid_up_to: 0 }));
    }
}
