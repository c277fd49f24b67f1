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
    /// An inline line without its newline passed 64KB.
    #[error("too big inline request")]
    TooBigInline,
    /// An inline line with a quote left open or closed before a non-space.
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    /// The `*count` line passed 64KB without its `\r`.
    #[error("too big mbulk count string")]
    TooBigMbulkCount,
    /// The `*count` is not a canonical integer or exceeds `INT_MAX`.
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    /// More than 10 arguments before AUTH.
    #[error("unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A `$len` line passed 64KB without its `\r`.
    #[error("too big bulk count string")]
    TooBigBulkCount,
    /// An argument did not start with `$` (holds the byte found).
    #[error("expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    /// A `$len` that is malformed, negative or above `proto-max-bulk-len`.
    #[error("invalid bulk length")]
    InvalidBulkLength,
    /// A bulk string over 16384 bytes before AUTH.
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
                // Redis formats the byte with `%c` through addReplyErrorFormat, which turns
                // CR and LF into spaces so the reply stays one line.
                out.push(if matches!(c, b'\r' | b'\n') { b' ' } else { *c });
                out.push(b'\'');
            }
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// Where the parser is inside the request at the front of the buffer.
#[derive(Debug, Default, Clone, Copy)]
enum State {
    /// No byte of the current request has been consumed: its first byte decides between
    /// multibulk and inline.
    #[default]
    Start,
    /// Inside a multibulk request whose `*count` line has been read.
    Bulks {
        /// Offset in the buffer where the next `$len` line or payload starts.
        pos: usize,
        /// Bulk strings still expected.
        remaining: usize,
        /// Length of the bulk whose `$len` line has been read, if any.
        bulk_len: Option<usize>,
    },
}

/// Incremental request parser; one per connection.
///
/// It keeps its place across calls: a bulk payload is never rescanned (its length is
/// known), and the search for a line terminator resumes where the previous call stopped,
/// so a request arriving in many small pieces costs time linear in its size.
#[derive(Debug, Default)]
pub struct RequestParser {
    state: State,
    /// (start, end) of every argument of the current multibulk request; kept across
    /// requests so its allocation is reused.
    spans: Vec<(usize, usize)>,
    /// Offset where the search for the current line's terminator resumes.
    scan_from: usize,
    /// The current line holds a NUL before its terminator. Redis looks for terminators
    /// with `strchr`, which stops at NUL, so such a line never ends: Redis waits until
    /// the buffer passes the size limit and fails. We do the same.
    blind: bool,
    /// The error returned once; every later call returns it again (the connection closes).
    failed: Option<ProtocolError>,
    /// Bytes examined by terminator searches so far (for tests of linear behaviour).
    scanned: u64,
}

impl RequestParser {
    /// A parser at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many more bytes the current request needs at least, so the reader can reserve
    /// room for a large bulk string in one go.
    pub fn bytes_wanted(&self, buf_len: usize) -> usize {
        match self.state {
            State::Bulks { pos, bulk_len: Some(n), .. } => pos.saturating_add(n).saturating_add(2).saturating_sub(buf_len),
            _ => 0,
        }
    }

    /// Total bytes examined while looking for line terminators since the parser was made.
    /// Bulk payloads are skipped by length and never count; tests use this to check that
    /// parsing stays linear however the input is split.
    pub fn bytes_scanned(&self) -> u64 {
        self.scanned
    }

    /// Parses the next complete request off the front of `buf`. Returns `Ok(None)` when
    /// more bytes are needed. Empty requests (blank lines, `*0`, `*-1`) are skipped.
    /// After an error the parser is spent: it returns the same error on every later call.
    pub fn next(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<Argv>, ProtocolError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.parse(buf, limits) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    fn parse(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Option<Argv>, ProtocolError> {
        loop {
            if buf.is_empty() {
                return Ok(None);
            }
            let step = match self.state {
                State::Start if buf[0] != b'*' => self.inline(buf)?,
                _ => self.multibulk(buf, limits)?,
            };
            match step {
                Step::Request(argv) => return Ok(Some(argv)),
                Step::Skipped => continue,
                Step::NeedMore => return Ok(None),
            }
        }
    }

    /// Finds the first `needle` at or after `start` the way C's `strchr` would (a NUL
    /// byte ends the search), resuming after what earlier calls already examined.
    fn find(&mut self, buf: &[u8], start: usize, needle: u8) -> Option<usize> {
        if self.blind {
            return None;
        }
        let from = self.scan_from.max(start);
        let hay = buf.get(from..).unwrap_or_default();
        match hay.iter().position(|&c| c == needle || c == 0) {
            Some(i) => {
                self.scanned += i as u64 + 1;
                self.scan_from = from + i;
                if hay[i] == 0 {
                    self.blind = true;
                    None
                } else {
                    Some(from + i)
                }
            }
            None => {
                self.scanned += hay.len() as u64;
                self.scan_from = buf.len();
                None
            }
        }
    }

    /// Marks the current line as consumed.
    fn line_done(&mut self) {
        self.scan_from = 0;
        self.blind = false;
    }

    fn multibulk(&mut self, buf: &mut BytesMut, limits: &Limits) -> Result<Step, ProtocolError> {
        let (mut pos, mut remaining, mut bulk_len) = match self.state {
            State::Bulks { pos, remaining, bulk_len } => (pos, remaining, bulk_len),
            State::Start => {
                let Some(cr) = self.find(buf, 0, b'\r') else {
                    if buf.len() > PROTO_INLINE_MAX_SIZE {
                        return Err(ProtocolError::TooBigMbulkCount);
                    }
                    return Ok(Step::NeedMore);
                };
                // Like Redis, the byte after '\r' must be present but is not checked.
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
                self.line_done();
                if n <= 0 {
                    let _ = buf.split_to(cr + 2);
                    return Ok(Step::Skipped);
                }
                let n = n as usize;
                self.spans.clear();
                // Redis preallocates at most 1024 argument slots; a client announcing
                // two billion arguments must send them before it costs memory.
                self.spans.reserve(n.min(1024));
                (cr + 2, n, None)
            }
        };
        while remaining > 0 {
            let len = match bulk_len {
                Some(len) => len,
                None => {
                    // The common case in one pass: `$<canonical digits>\r` plus one byte.
                    let fast = if self.blind { None } else { fast_bulk_len(buf, pos) };
                    let (len, cr) = match fast {
                        Some((len, cr)) => {
                            self.scanned += (cr + 1 - pos) as u64;
                            (len, cr)
                        }
                        None => {
                            let Some(cr) = self.find(buf, pos, b'\r') else {
                                if buf.len() - pos > PROTO_INLINE_MAX_SIZE {
                                    return Err(ProtocolError::TooBigBulkCount);
                                }
                                self.state = State::Bulks { pos, remaining, bulk_len };
                                return Ok(Step::NeedMore);
                            };
                            if cr + 1 >= buf.len() {
                                self.state = State::Bulks { pos, remaining, bulk_len };
                                return Ok(Step::NeedMore);
                            }
                            if buf[pos] != b'$' {
                                return Err(ProtocolError::ExpectedDollar(buf[pos]));
                            }
                            (parse_len(&buf[pos + 1..cr]).ok_or(ProtocolError::InvalidBulkLength)?, cr)
                        }
                    };
                    if len < 0 || len > limits.max_bulk_len {
                        return Err(ProtocolError::InvalidBulkLength);
                    }
                    if !limits.authenticated && len > 16384 {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    self.line_done();
                    pos = cr + 2;
                    let len = len as usize;
                    bulk_len = Some(len);
                    len
                }
            };
            // Like Redis, the two bytes after the payload are skipped, not checked.
            if buf.len() - pos < len + 2 {
                self.state = State::Bulks { pos, remaining, bulk_len };
                return Ok(Step::NeedMore);
            }
            self.spans.push((pos, pos + len));
            pos += len + 2;
            bulk_len = None;
            remaining -= 1;
        }
        self.state = State::Start;
        let frame: Bytes = buf.split_to(pos).freeze();
        let mut argv = Vec::with_capacity(self.spans.len());
        argv.extend(self.spans.drain(..).map(|(s, e)| frame.slice(s..e)));
        // Keep the reused buffer small: one huge request must not pin its memory for the
        // rest of the connection.
        if self.spans.capacity() > 4096 {
            self.spans = Vec::new();
        }
        Ok(Step::Request(argv))
    }

    fn inline(&mut self, buf: &mut BytesMut) -> Result<Step, ProtocolError> {
        let Some(nl) = self.find(buf, 0, b'\n') else {
            if buf.len() > PROTO_INLINE_MAX_SIZE {
                return Err(ProtocolError::TooBigInline);
            }
            return Ok(Step::NeedMore);
        };
        self.line_done();
        let line = buf.split_to(nl + 1).freeze();
        let mut end = nl;
        if end > 0 && line[end - 1] == b'\r' {
            end -= 1;
        }
        let line = line.slice(..end);
        let args: Argv = if line.iter().any(|&c| c == b'"' || c == b'\'') {
            split_args(&line).ok_or(ProtocolError::UnbalancedQuotes)?.into_iter().map(Bytes::from).collect()
        } else {
            split_plain(&line)
        };
        if args.is_empty() {
            return Ok(Step::Skipped);
        }
        Ok(Step::Request(args))
    }
}

enum Step {
    Request(Argv),
    Skipped,
    NeedMore,
}

/// [`split_args`] for a line without quotes (the common inline case): the arguments are
/// slices of the line, not copies. The line holds no NUL (the terminator search stops
/// at one).
fn split_plain(line: &Bytes) -> Argv {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return out;
        }
        let start = i;
        // Inside an argument only these end it; vertical tab and form feed do not.
        while i < n && !matches!(line[i], b' ' | b'\n' | b'\r' | b'\t' | 0) {
            i += 1;
        }
        out.push(line.slice(start..i));
    }
}

/// Reads a `$len` line at `pos` when it is in canonical form (no sign, no leading zero,
/// at most 18 digits) and complete (the byte after its `\r` has arrived); `None` leaves
/// every other case, errors included, to the general path. Returns (len, offset of `\r`).
fn fast_bulk_len(buf: &[u8], pos: usize) -> Option<(i64, usize)> {
    let line = buf.get(pos..)?;
    if line.first() != Some(&b'$') {
        return None;
    }
    let digits = line[1..].iter().take(19).take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 18 || (digits > 1 && line[1] == b'0') || line.len() < digits + 3 || line[1 + digits] != b'\r' {
        return None;
    }
    let len = line[1..1 + digits].iter().fold(0i64, |acc, &c| acc * 10 + i64::from(c - b'0'));
    Some((len, pos + 1 + digits))
}

/// Parses a length line the way Redis does (`string2ll`), `None` if malformed.
fn parse_len(s: &[u8]) -> Option<i64> {
    crate::number::parse_i64(s)
}

/// Splits a line into arguments with Redis's `sdssplitargs` rules: whitespace separated,
/// "double quotes" with `\n \r \t \b \a \\ \" \xHH` escapes, 'single quotes' with `\'`.
/// A closing quote must be followed by whitespace or the end. `None` on unbalanced quotes.
/// Used by inline commands and by the config file parser. Like Redis, which splits a C
/// string, a NUL byte ends the line.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = &line[..line.iter().position(|&c| c == 0).unwrap_or(line.len())];
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

    #[test]
    fn nul_before_terminator_waits_like_strchr() {
        // Redis 7.0 finds line ends with strchr, so a NUL hides them until the limit.
        assert_eq!(parse_all(b"PING\0\nPING\r\n").unwrap(), Vec::<Vec<Vec<u8>>>::new());
        assert_eq!(parse_all(b"*1\0\r\n$4\r\nPING\r\n").unwrap(), Vec::<Vec<Vec<u8>>>::new());
        assert_eq!(parse_all(b"*1\r\n\0\r\n").unwrap(), Vec::<Vec<Vec<u8>>>::new());
        let mut big = b"PING\0\n".to_vec();
        big.resize(PROTO_INLINE_MAX_SIZE + 1, b'x');
        assert_eq!(parse_all(&big), Err(ProtocolError::TooBigInline));
        let mut big = b"*1\r\n$4\0\r\n".to_vec();
        big.resize(PROTO_INLINE_MAX_SIZE + 10, b'x');
        assert_eq!(parse_all(&big), Err(ProtocolError::TooBigBulkCount));
        // Payloads are binary safe: a NUL inside a bulk string is data.
        assert_eq!(parse_all(b"*1\r\n$3\r\na\0b\r\n").unwrap(), vec![vec![b"a\0b".to_vec()]]);
    }

    #[test]
    fn errors_are_sticky() {
        let mut buf = BytesMut::from(&b"*x\r\nPING\r\n"[..]);
        let mut p = RequestParser::new();
        assert_eq!(p.next(&mut buf, &Limits::default()), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(p.next(&mut buf, &Limits::default()), Err(ProtocolError::InvalidMultibulkLength));
    }

    #[test]
    fn expected_dollar_reply_stays_one_line() {
        assert_eq!(parse_all(b"*1\r\n\r\n"), Err(ProtocolError::ExpectedDollar(b'\r')));
        assert_eq!(ProtocolError::ExpectedDollar(b'\r').reply_line(), b"-ERR Protocol error: expected '$', got ' '\r\n".to_vec());
        assert_eq!(ProtocolError::ExpectedDollar(b'\n').reply_line(), b"-ERR Protocol error: expected '$', got ' '\r\n".to_vec());
    }

    #[test]
    fn unauthenticated_limits() {
        let l = Limits { authenticated: false, ..Limits::default() };
        let parse = |input: &[u8]| RequestParser::new().next(&mut BytesMut::from(input), &l);
        assert_eq!(parse(b"*10\r\n"), Ok(None));
        assert_eq!(parse(b"*11\r\n"), Err(ProtocolError::UnauthenticatedMultibulkLength));
        assert_eq!(parse(b"*1\r\n$16384\r\n"), Ok(None));
        assert_eq!(parse(b"*1\r\n$16385\r\n"), Err(ProtocolError::UnauthenticatedBulkLength));
        assert_eq!(parse(b"*1\r\n$536870913\r\n"), Err(ProtocolError::InvalidBulkLength));
    }

    #[test]
    fn big_bulk_in_small_pieces_is_linear() {
        const SIZE: usize = 8 * 1024 * 1024;
        let mut input = format!("*2\r\n$3\r\nSET\r\n${SIZE}\r\n").into_bytes();
        input.resize(input.len() + SIZE, b'\r');
        input.extend_from_slice(b"\r\n");
        let first_len = input.len();
        input.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for chunk in input.chunks(1024) {
            buf.extend_from_slice(chunk);
            while let Some(argv) = p.next(&mut buf, &Limits::default()).unwrap() {
                got.push(argv);
            }
            if got.is_empty() && buf.len() > 32 {
                assert_eq!(p.bytes_wanted(buf.len()), first_len - buf.len());
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0][1].len(), SIZE);
        assert_eq!(got[1], vec![Bytes::from_static(b"PING")]);
        // Only the header lines were searched, never the payload.
        assert!(p.bytes_scanned() < 64, "scanned {} bytes", p.bytes_scanned());
    }

    #[test]
    fn long_line_trickling_in_is_scanned_once() {
        let mut p = RequestParser::new();
        let mut buf = BytesMut::new();
        for _ in 0..60_000 {
            buf.extend_from_slice(b"a");
            assert_eq!(p.next(&mut buf, &Limits::default()), Ok(None));
        }
        buf.extend_from_slice(b"\n");
        assert_eq!(p.next(&mut buf, &Limits::default()).unwrap().map(|a| a[0].len()), Some(60_000));
        assert_eq!(p.bytes_scanned(), 60_001);
    }

    #[test]
    fn plain_split_matches_split_args() {
        let alphabet = b"ab \t\r\n\x0b\x0c\\x1$*";
        let mut state = 12345u32;
        for _ in 0..20_000 {
            let mut line = Vec::new();
            for _ in 0..(state % 12) {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                line.push(alphabet[(state >> 16) as usize % alphabet.len()]);
            }
            let plain: Vec<Vec<u8>> = split_plain(&Bytes::from(line.clone())).iter().map(|b| b.to_vec()).collect();
            assert_eq!(Some(plain), split_args(&line), "{line:?}");
        }
    }
}
