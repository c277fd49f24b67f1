//! The request parser: RESP multibulk and inline commands, incremental over a growing
//! buffer, with Redis 7.0's limits and exact protocol error texts.
//!
//! A complete request is split off the front of the read buffer and its arguments are
//! `Bytes` slices of it: bulk strings are never copied.

use bytes::{Bytes, BytesMut};

use crate::Argv;

/// Longest inline request, or multibulk/bulk count line, before an error (Redis's
/// `PROTO_INLINE_MAX_SIZE`).
pub const PROTO_INLINE_MAX_SIZE: usize = 64 * 1024;

/// Limits that a client connection's parser enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// Whether the client is authenticated; unauthenticated clients get Redis's tighter
    /// multibulk (10) and bulk (16384) limits.
    pub authenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bulk_len: 512 * 1024 * 1024, authenticated: true }
    }
}

/// A malformed request. The connection replies with [`ProtocolError::reply_line`] and closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("too big inline request")]
    TooBigInline,
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    #[error("too big mbulk count string")]
    TooBigMbulkCount,
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    #[error("unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    #[error("too big bulk count string")]
    TooBigBulkCount,
    #[error("expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    #[error("invalid bulk length")]
    InvalidBulkLength,
    #[error("unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The complete error reply line, byte for byte as Redis sends it.
    pub fn reply_line(&self) -> Vec<u8> {
        let mut out = b"-ERR Protocol error: ".to_vec();
        match self {
            ProtocolError::ExpectedDollar(c) => {
                out.extend_from_slice(b"expected '$', got '");
                out.push(*c);
                out.push(b'\'');
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Where the parser is inside a multibulk request that has not fully arrived yet.
#[derive(Debug, Default)]
struct Partial {
    /// Offset in the buffer up to which the request has been validated.
    pos: usize,
    /// Bulk strings still expected.
    remaining: usize,
    /// Length of the bulk whose `$len` line has been read, if any.
    bulk_len: Option<usize>,
    /// (start, end) of every argument found so far.
    spans: Vec<(usize, usize)>,
}

/// Incremental request parser; one per connection.
#[derive(Debug, Default)]
pub struct RequestParser {
    partial: Option<Partial>,
}

impl RequestParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many more bytes the current request needs at least, so the reader can reserve
    /// room for a large bulk string in one go.
    pub fn bytes_wanted(&self, buf_len: usize) -> usize {
        match &self.partial {
            Some(Partial { pos, bulk_len: Some(n), .. }) => (pos + n + 2).saturating_sub(buf_len),
            _ => 0,
        }
    }

    /// Parses the next complete request off the front of `buf`. Returns `Ok(None)` when
    /// more bytes are needed. Empty requests (blank lines, `*0`) are skipped.
    pub fn next(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<Argv>, ProtocolError> {
        loop {
            if buf.is_empty() {
                return Ok(None);
            }
            let outcome = if self.partial.is_some() || buf[0] == b'*' {
                self.multibulk(buf, limits)?
            } else {
                inline(buf)?
            };
            match outcome {
                Step::Request(argv) => return Ok(Some(argv)),
                Step::Skipped => continue,
                Step::NeedMore => return Ok(None),
            }
        }
    }

    fn multibulk(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Step, ProtocolError> {
        if self.partial.is_none() {
            let Some(cr) = memchr(b'\r', buf) else {
                if buf.len() > PROTO_INLINE_MAX_SIZE {
                    return Err(ProtocolError::TooBigMbulkCount);
                }
                return Ok(Step::NeedMore);
            };
            if cr + 1 >= buf.len() {
                return Ok(Step::NeedMore);
            }
            let n = parse_len(&buf[1..cr]).filter(|n| *n <= i64::from(i32::MAX));
            let Some(n) = n else {
                return Err(ProtocolError::InvalidMultibulkLength);
            };
            if !limits.authenticated && n > 10 {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            if n <= 0 {
                let _ = buf.split_to(cr + 2);
                return Ok(Step::Skipped);
            }
            let n = n as usize;
            self.partial = Some(Partial {
                pos: cr + 2,
                remaining: n,
                bulk_len: None,
                spans: Vec::with_capacity(n.min(1024)),
            });
        }
        let Some(p) = self.partial.as_mut() else {
            return Ok(Step::NeedMore);
        };
        while p.remaining > 0 {
            let len = match p.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = memchr(b'\r', &buf[p.pos..]).map(|i| i + p.pos) else {
                        if buf.len() - p.pos > PROTO_INLINE_MAX_SIZE {
                            return Err(ProtocolError::TooBigBulkCount);
                        }
                        return Ok(Step::NeedMore);
                    };
                    if cr + 1 >= buf.len() {
                        return Ok(Step::NeedMore);
                    }
                    if buf[p.pos] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(buf[p.pos]));
                    }
                    let len = parse_len(&buf[p.pos + 1..cr]);
                    let len = match len {
                        Some(l) if l >= 0 && l <= limits.max_bulk_len => l,
                        _ => return Err(ProtocolError::InvalidBulkLength),
                    };
                    if !limits.authenticated && len > 16384 {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    p.pos = cr + 2;
                    let len = len as usize;
                    p.bulk_len = Some(len);
                    len
                }
            };
            // Like Redis, the two bytes after the payload are skipped, not checked.
            if buf.len() < p.pos + len + 2 {
                return Ok(Step::NeedMore);
            }
            p.spans.push((p.pos, p.pos + len));
            p.pos += len + 2;
            p.bulk_len = None;
            p.remaining -= 1;
        }
        let done = self.partial.take().unwrap_or_default();
        let frame: Bytes = buf.split_to(done.pos).freeze();
        Ok(Step::Request(done.spans.iter().map(|&(s, e)| frame.slice(s..e)).collect()))
    }
}

enum Step {
    Request(Argv),
    Skipped,
    NeedMore,
}

fn inline(buf: &mut BytesMut) -> Result<Step, ProtocolError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > PROTO_INLINE_MAX_SIZE {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(Step::NeedMore);
    };
    let line = buf.split_to(nl + 1);
    let mut end = nl;
    if end > 0 && line[end - 1] == b'\r' {
        end -= 1;
    }
    let args = split_args(&line[..end]).ok_or(ProtocolError::UnbalancedQuotes)?;
    if args.is_empty() {
        return Ok(Step::Skipped);
    }
    Ok(Step::Request(args.into_iter().map(Bytes::from).collect()))
}

/// Parses a length line the way Redis does (`string2ll`), `None` if malformed.
fn parse_len(s: &[u8]) -> Option<i64> {
    crate::number::parse_i64(s)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

/// Splits a line into arguments with Redis's `sdssplitargs` rules: whitespace separated,
/// "double quotes" with `\n \r \t \b \a \\ \" \xHH` escapes, 'single quotes' with `\'`.
/// A closing quote must be followed by whitespace or the end. `None` on unbalanced quotes.
/// Used by inline commands and by the config file parser.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq) = (false, false);
        loop {
            if inq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 3 < n && line[i + 1] == b'x' && is_hex(line[i + 2]) && is_hex(line[i + 3]) {
                    cur.push(hex(line[i + 2]) * 16 + hex(line[i + 3]));
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    c => cur.push(c),
                }
            }
            i += 1;
        }
        out.push(cur);
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

fn hex(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let mut p = RequestParser::new();
        let mut out = Vec::new();
        while let Some(argv) = p.next(&mut buf, &Limits::default())? {
            out.push(argv.iter().map(|b| b.to_vec()).collect());
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline() {
        let got = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n\r\nSET a \"b c\"\n").unwrap();
        assert_eq!(got, vec![
            vec![b"GET".to_vec(), b"k".to_vec()],
            vec![b"PING".to_vec()],
            vec![b"SET".to_vec(), b"a".to_vec(), b"b c".to_vec()],
        ]);
    }

    #[test]
    fn errors_match_redis() {
        assert_eq!(parse_all(b"*x\r\n"), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(parse_all(b"*3000000000\r\n"), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(parse_all(b"*1\r\n#3\r\n"), Err(ProtocolError::ExpectedDollar(b'#')));
        assert_eq!(parse_all(b"*1\r\n$-5\r\n"), Err(ProtocolError::InvalidBulkLength));
        assert_eq!(parse_all(b"set \"a b\r\n"), Err(ProtocolError::UnbalancedQuotes));
        assert_eq!(ProtocolError::ExpectedDollar(b'#').reply_line(), b"-ERR Protocol error: expected '$', got '#'\r\n".to_vec());
    }

    #[test]
    fn skips_empty_multibulk() {
        assert_eq!(parse_all(b"*-1\r\n*0\r\nPING\r\n").unwrap(), vec![vec![b"PING".to_vec()]]);
    }

    #[test]
    fn split_args_quotes() {
        assert_eq!(split_args(b"a \"\\x41\\n\" 'b\\'c'").unwrap(), vec![b"a".to_vec(), b"A\n".to_vec(), b"b'c".to_vec()]);
        assert_eq!(split_args(b"\"a\"b"), None);
        assert_eq!(split_args(b"foo\"bar baz\"").unwrap(), vec![b"foobar baz".to_vec()]);
        assert_eq!(split_args(b"   ").unwrap(), Vec::<Vec<u8>>::new());
    }
}
