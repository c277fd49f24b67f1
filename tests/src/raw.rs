//! A raw RESP connection: send any bytes, read back exactly one reply (with its bytes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A parsed reply; `Display` renders it like redis-cli's raw-ish view for messages.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
    /// Any RESP3 type, kept with its type byte and raw payload lines.
    Other(u8, Vec<Reply>, String),
}

impl Reply {
    pub fn as_str(&self) -> String {
        match self {
            Reply::Simple(s) | Reply::Error(s) => s.clone(),
            Reply::Int(i) => i.to_string(),
            Reply::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
            Reply::Bulk(None) => "(nil)".into(),
            other => format!("{other:?}"),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }
}

pub struct RawConn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl RawConn {
    pub fn connect(port: u16) -> std::io::Result<RawConn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        s.set_nodelay(true)?;
        Ok(RawConn { reader: BufReader::new(s.try_clone()?), writer: s })
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes)
    }

    /// Sends a command as a RESP array.
    pub fn send<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<()> {
        self.send_raw(&encode(argv))
    }

    /// Sends a command and reads its reply.
    pub fn cmd<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<Reply> {
        self.send(argv)?;
        self.read_reply()
    }

    /// Sends a command and returns the exact bytes of its reply.
    pub fn cmd_bytes<A: AsRef<[u8]>>(&mut self, argv: &[A]) -> std::io::Result<Vec<u8>> {
        self.send(argv)?;
        self.read_reply_bytes()
    }

    /// Reads one reply.
    pub fn read_reply(&mut self) -> std::io::Result<Reply> {
        let mut raw = Vec::new();
        read_one(&mut self.reader, &mut raw)
    }

    /// Reads one reply, returning its bytes.
    pub fn read_reply_bytes(&mut self) -> std::io::Result<Vec<u8>> {
        let mut raw = Vec::new();
        read_one(&mut self.reader, &mut raw)?;
        Ok(raw)
    }

    /// True once the server closed the connection (reads EOF within the timeout).
    pub fn is_closed(&mut self, within: Duration) -> bool {
        let _ = self.writer.set_read_timeout(Some(within));
        let mut b = [0u8; 1];
        matches!(self.reader.read(&mut b), Ok(0))
    }
}

/// RESP array encoding of a command.
pub fn encode<A: AsRef<[u8]>>(argv: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", argv.len()).into_bytes();
    for a in argv {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn read_line(r: &mut impl BufRead, raw: &mut Vec<u8>) -> std::io::Result<String> {
    let mut line = Vec::new();
    let n = r.read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    raw.extend_from_slice(&line);
    while line.last() == Some(&b'\n') || line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_one(r: &mut impl BufRead, raw: &mut Vec<u8>) -> std::io::Result<Reply> {
    let line = read_line(r, raw)?;
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad reply line {line:?}"));
    let (t, rest) = line.split_at(1.min(line.len()));
    let t = t.as_bytes().first().copied().ok_or_else(bad)?;
    Ok(match t {
        b'+' => Reply::Simple(rest.into()),
        b'-' => Reply::Error(rest.into()),
        b':' => Reply::Int(rest.parse().map_err(|_| bad())?),
        b'$' | b'=' | b'!' => {
            let n: i64 = rest.parse().map_err(|_| bad())?;
            if n < 0 {
                Reply::Bulk(None)
            } else {
                let mut buf = vec![0u8; n as usize + 2];
                r.read_exact(&mut buf)?;
                raw.extend_from_slice(&buf);
                buf.truncate(n as usize);
                if t == b'$' {
                    Reply::Bulk(Some(buf))
                } else {
                    Reply::Other(t, vec![Reply::Bulk(Some(buf))], String::new())
                }
            }
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n: i64 = rest.parse().map_err(|_| bad())?;
            if n < 0 {
                Reply::Array(None)
            } else {
                let count = if t == b'%' || t == b'|' { n * 2 } else { n };
                let mut items = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    items.push(read_one(r, raw)?);
                }
                if t == b'*' {
                    Reply::Array(Some(items))
                } else {
                    Reply::Other(t, items, String::new())
                }
            }
        }
        b'_' | b',' | b'#' | b'(' => Reply::Other(t, Vec::new(), rest.into()),
        _ => return Err(bad()),
    })
}
