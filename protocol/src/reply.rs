//! The reply writer: RESP2 and RESP3 replies appended to a connection's output buffer.
//! Handlers write through it and never touch the socket.

use crate::number::format_f64_17g;

/// Protocol version a client speaks (`HELLO 2|3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resp {
    #[default]
    V2,
    V3,
}

/// Appends replies to an output buffer.
#[derive(Debug, Default)]
pub struct ReplyWriter {
    buf: Vec<u8>,
    resp: Resp,
    errors: u32,
    last_error_code: Option<String>,
}

impl ReplyWriter {
    pub fn new(resp: Resp) -> Self {
        ReplyWriter { buf: Vec::with_capacity(16 * 1024), resp, errors: 0, last_error_code: None }
    }

    pub fn resp(&self) -> Resp {
        self.resp
    }

    pub fn set_resp(&mut self, resp: Resp) {
        self.resp = resp;
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Drops everything written (after it was sent).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Drops what was written after `len` (CLIENT REPLY OFF/SKIP).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(len);
    }

    /// The underlying buffer, for hand-off to a socket write.
    pub fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Number of error replies written since the last [`ReplyWriter::take_errors`].
    pub fn take_errors(&mut self) -> (u32, Option<String>) {
        let n = std::mem::take(&mut self.errors);
        (n, self.last_error_code.take())
    }

    /// Appends bytes that are already RESP.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    pub fn simple(&mut self, s: &str) {
        self.simple_bytes(s.as_bytes());
    }

    pub fn simple_bytes(&mut self, s: &[u8]) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// An error reply. `msg` is the full text after '-', starting with its code
    /// (`ERR ...`, `WRONGTYPE ...`). Newlines are replaced by spaces as Redis does.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        let start = self.buf.len();
        self.buf.extend_from_slice(msg.as_bytes());
        for b in &mut self.buf[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        self.buf.extend_from_slice(b"\r\n");
        self.errors += 1;
        let code = msg.split(' ').next().unwrap_or("ERR");
        self.last_error_code = Some(code.to_string());
    }

    pub fn integer(&mut self, v: i64) {
        self.buf.push(b':');
        self.push_int(v);
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.buf.push(b'$');
        self.push_int(data.len() as i64);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of an integer.
    pub fn bulk_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.bulk(b.format(v).as_bytes());
    }

    /// Null bulk string (`$-1` / `_`).
    pub fn null(&mut self) {
        match self.resp {
            Resp::V2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Resp::V3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// Null array (`*-1` / `_`).
    pub fn null_array(&mut self) {
        match self.resp {
            Resp::V2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Resp::V3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    pub fn array(&mut self, len: usize) {
        self.header(b'*', len);
    }

    /// A map of `len` pairs (a flat array of 2*len in RESP2).
    pub fn map(&mut self, len: usize) {
        match self.resp {
            Resp::V2 => self.header(b'*', len * 2),
            Resp::V3 => self.header(b'%', len),
        }
    }

    /// A set (an array in RESP2).
    pub fn set(&mut self, len: usize) {
        match self.resp {
            Resp::V2 => self.header(b'*', len),
            Resp::V3 => self.header(b'~', len),
        }
    }

    /// A push frame (an array in RESP2).
    pub fn push(&mut self, len: usize) {
        match self.resp {
            Resp::V2 => self.header(b'*', len),
            Resp::V3 => self.header(b'>', len),
        }
    }

    /// A double: `%.17g` bulk string in RESP2, `,` frame in RESP3.
    pub fn double(&mut self, v: f64) {
        let text = format_f64_17g(v);
        match self.resp {
            Resp::V2 => self.bulk(text.as_bytes()),
            Resp::V3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(text.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean: `:1`/`:0` in RESP2, `#t`/`#f` in RESP3.
    pub fn boolean(&mut self, v: bool) {
        match self.resp {
            Resp::V2 => self.integer(i64::from(v)),
            Resp::V3 => self.buf.extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// Verbatim string (`=len\r\ntxt:...`), a bulk string in RESP2.
    pub fn verbatim(&mut self, format: &str, text: &[u8]) {
        match self.resp {
            Resp::V2 => self.bulk(text),
            Resp::V3 => {
                self.buf.push(b'=');
                self.push_int((text.len() + 4) as i64);
                self.buf.extend_from_slice(b"\r\n");
                self.buf.extend_from_slice(format.as_bytes());
                self.buf.push(b':');
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    fn header(&mut self, kind: u8, len: usize) {
        self.buf.push(kind);
        self.push_int(len as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn push_int(&mut self, v: i64) {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resp2_and_resp3_shapes() {
        let mut w = ReplyWriter::new(Resp::V2);
        w.map(1);
        w.bulk(b"a");
        w.null();
        w.double(1.5);
        assert_eq!(w.as_bytes(), b"*2\r\n$1\r\na\r\n$-1\r\n$3\r\n1.5\r\n");
        let mut w = ReplyWriter::new(Resp::V3);
        w.map(1);
        w.bulk(b"a");
        w.null();
        w.double(1.5);
        assert_eq!(w.as_bytes(), b"%1\r\n$1\r\na\r\n_\r\n,1.5\r\n");
    }

    #[test]
    fn error_counts_and_sanitises() {
        let mut w = ReplyWriter::new(Resp::V2);
        w.error("ERR bad\r\nthing");
        assert_eq!(w.as_bytes(), b"-ERR bad  thing\r\n");
        assert_eq!(w.take_errors(), (1, Some("ERR".to_string())));
    }
}
