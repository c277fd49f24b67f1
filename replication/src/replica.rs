//! The pure parts of following an upstream master with Redis 7.0's protocol: the
//! handshake commands and how each reply is judged (`syncWithMaster`), the PSYNC reply
//! (`slaveTryPartialResynchronization`), the preamble of a full sync's RDB payload
//! (`readSyncBulkPayload`), the EOF marker of a diskless transfer, and the command
//! stream parser that counts the bytes of every command for the replication offset.
//!
//! No sockets here: the server's link task does the I/O and calls these.

use bytes::{Bytes, BytesMut};
use rhodium_protocol::{Argv, Limits, ProtocolError, RequestParser};

/// Length of a replication id and of the diskless EOF marker (Redis's
/// `CONFIG_RUN_ID_SIZE` and `RDB_EOF_MARK_SIZE`).
pub const RUN_ID_SIZE: usize = 40;

/// What the replica tells its master about itself during the handshake.
#[derive(Debug, Clone, Default)]
pub struct HandshakeConfig {
    /// `replica-announce-port`, else the listening port.
    pub listening_port: u16,
    /// `replica-announce-ip`, sent only when set.
    pub announce_ip: Option<String>,
    /// `masteruser` (AUTH's user name, only with `masterauth`).
    pub masteruser: Option<Vec<u8>>,
    /// `masterauth`.
    pub masterauth: Option<Vec<u8>>,
}

/// The commands Redis 7.0 pipelines after the PING reply, each with what its reply means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeStep {
    /// `AUTH [user] pass`: an error ends the attempt.
    Auth,
    /// `REPLCONF listening-port`: an error is logged and ignored.
    ListeningPort,
    /// `REPLCONF ip-address`: an error is logged and ignored.
    IpAddress,
    /// `REPLCONF capa eof capa psync2`: an error is logged and ignored.
    Capa,
}

impl HandshakeStep {
    /// Judges the reply line to this step: `Err(log line)` ends the attempt, `Ok(Some(log
    /// line))` is a non-critical complaint to log, `Ok(None)` is success.
    pub fn judge(&self, reply: &str) -> Result<Option<String>, String> {
        if !reply.starts_with('-') {
            return Ok(None);
        }
        match self {
            HandshakeStep::Auth => Err(format!("Unable to AUTH to MASTER: {reply}")),
            HandshakeStep::ListeningPort => Ok(Some(format!("(Non critical) Master does not understand REPLCONF listening-port: {reply}"))),
            HandshakeStep::IpAddress => Ok(Some(format!("(Non critical) Master does not understand REPLCONF ip-address: {reply}"))),
            HandshakeStep::Capa => Ok(Some(format!("(Non critical) Master does not understand REPLCONF capa: {reply}"))),
        }
    }
}

/// The pipelined handshake after PING, in order.
pub fn handshake_commands(cfg: &HandshakeConfig) -> Vec<(HandshakeStep, Vec<Vec<u8>>)> {
    let mut v = Vec::new();
    if let Some(pass) = &cfg.masterauth {
        let mut auth = vec![b"AUTH".to_vec()];
        if let Some(user) = &cfg.masteruser {
            auth.push(user.clone());
        }
        auth.push(pass.clone());
        v.push((HandshakeStep::Auth, auth));
    }
    v.push((HandshakeStep::ListeningPort, vec![b"REPLCONF".to_vec(), b"listening-port".to_vec(), cfg.listening_port.to_string().into_bytes()]));
    if let Some(ip) = &cfg.announce_ip {
        v.push((HandshakeStep::IpAddress, vec![b"REPLCONF".to_vec(), b"ip-address".to_vec(), ip.clone().into_bytes()]));
    }
    v.push((HandshakeStep::Capa, vec![b"REPLCONF".to_vec(), b"capa".to_vec(), b"eof".to_vec(), b"capa".to_vec(), b"psync2".to_vec()]));
    v
}

/// Judges the reply to the first PING: errors other than an authentication complaint end
/// the attempt (the AUTH that follows fixes those), as in Redis.
pub fn judge_ping_reply(reply: &str) -> Result<(), String> {
    let e = reply.strip_prefix('-');
    match e {
        Some(e) if !e.starts_with("NOAUTH") && !e.starts_with("NOPERM") && !e.starts_with("ERR operation not permitted") => Err(format!("Error reply to PING from master: '{reply}'")),
        _ => Ok(()),
    }
}

/// The PSYNC request: the cached master's id and next offset, or `? -1` for a full sync.
pub fn psync_command(cached: Option<(&str, i64)>) -> Vec<Vec<u8>> {
    let (id, off) = match cached {
        Some((id, off)) => (id.to_string(), (off + 1).to_string()),
        None => ("?".to_string(), "-1".to_string()),
    };
    vec![b"PSYNC".to_vec(), id.into_bytes(), off.into_bytes()]
}

/// What the master answered to PSYNC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PsyncReply {
    /// An empty line: the master keeps the link alive while it prepares; read again.
    Wait,
    /// `+FULLRESYNC <replid> <offset>`; `None` when the syntax was wrong (Redis then
    /// zeroes the id and the next PSYNC cannot continue).
    FullResync(Option<(String, i64)>),
    /// `+CONTINUE [<new replid>]`.
    Continue(Option<String>),
    /// `-NOMASTERLINK` or `-LOADING`: try again later.
    TryLater,
    /// An error or something unexpected: the master does not speak PSYNC.
    NotSupported,
}

/// Parses the PSYNC reply line (without its CRLF).
pub fn parse_psync_reply(line: &str) -> PsyncReply {
    if line.is_empty() {
        return PsyncReply::Wait;
    }
    if line.starts_with("+FULLRESYNC") {
        let mut parts = line.splitn(3, ' ').skip(1);
        let id = parts.next().unwrap_or("");
        let off = parts.next().and_then(|o| o.trim().parse::<i64>().ok());
        return match off {
            Some(off) if id.len() == RUN_ID_SIZE => PsyncReply::FullResync(Some((id.to_string(), off))),
            _ => PsyncReply::FullResync(None),
        };
    }
    if line.starts_with("+CONTINUE") {
        let rest = line.get(10..).unwrap_or("");
        let id = rest.split(['\r', '\n']).next().unwrap_or("");
        return PsyncReply::Continue((id.len() == RUN_ID_SIZE).then(|| id.to_string()));
    }
    if line.starts_with("-NOMASTERLINK") || line.starts_with("-LOADING") {
        return PsyncReply::TryLater;
    }
    PsyncReply::NotSupported
}

/// The line that precedes a full sync's RDB payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preamble {
    /// An empty line: a keepalive while the master prepares the payload.
    KeepAlive,
    /// `$<len>`: that many bytes follow.
    Size(u64),
    /// `$EOF:<40 bytes>`: the payload ends with those 40 bytes (diskless).
    Eof([u8; RUN_ID_SIZE]),
    /// The master aborted with an error (the line follows).
    Error(String),
    /// Not a bulk header: the log line Redis writes.
    Bad(String),
}

/// Parses the payload preamble line (without its CRLF).
pub fn parse_preamble(line: &[u8]) -> Preamble {
    match line.first() {
        None => Preamble::KeepAlive,
        Some(b'-') => Preamble::Error(String::from_utf8_lossy(line).into_owned()),
        Some(b'$') => {
            let body = &line[1..];
            if let Some(mark) = body.strip_prefix(b"EOF:") {
                if mark.len() >= RUN_ID_SIZE {
                    let mut m = [0u8; RUN_ID_SIZE];
                    m.copy_from_slice(&mark[..RUN_ID_SIZE]);
                    return Preamble::Eof(m);
                }
            }
            // Redis reads the size with strtol: garbage reads as 0.
            let digits: Vec<u8> = body.iter().copied().take_while(u8::is_ascii_digit).collect();
            Preamble::Size(std::str::from_utf8(&digits).ok().and_then(|s| s.parse().ok()).unwrap_or(0))
        }
        Some(_) => Preamble::Bad(format!("Bad protocol from MASTER, the first byte is not '$' (we received '{}'), are you sure the host and port are right?", String::from_utf8_lossy(line))),
    }
}

/// Whether a diskless payload received so far ends with its EOF marker.
pub fn ends_with_mark(data: &[u8], mark: &[u8; RUN_ID_SIZE]) -> bool {
    data.len() >= RUN_ID_SIZE && &data[data.len() - RUN_ID_SIZE..] == mark
}

/// The replication stream parser: splits the master's bytes into commands and keeps, for
/// each, its exact bytes (their length advances the replication offset, and a chained
/// replica is fed exactly these bytes).
#[derive(Default)]
pub struct StreamParser {
    parser: RequestParser,
    /// Bytes read and not yet parsed (the parser splits requests off its front).
    buf: BytesMut,
    /// The same bytes, kept whole so each command's raw form can be cut off.
    raw: BytesMut,
}

impl StreamParser {
    /// A parser at a command boundary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the master.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
        self.raw.extend_from_slice(data);
    }

    /// Bytes received but not yet part of a complete command.
    pub fn pending(&self) -> usize {
        self.raw.len()
    }

    /// The next complete command and its raw bytes. Blank lines between commands are
    /// consumed with the command that follows them, so their bytes still count.
    pub fn next_command(&mut self) -> Result<Option<(Argv, Bytes)>, ProtocolError> {
        let before = self.buf.len();
        // The master is trusted: no unauthenticated limits; bulk size as Redis's master
        // client (whose query buffer has no proto-max-bulk-len check for masters).
        let limits = Limits { max_bulk_len: i64::MAX, authenticated: true };
        match self.parser.next(&mut self.buf, &limits)? {
            Some(argv) => {
                let used = before - self.buf.len();
                let raw = self.raw.split_to(used.min(self.raw.len())).freeze();
                Ok(Some((argv, raw)))
            }
            None => Ok(None),
        }
    }
}

/// Whether `argv` is `REPLCONF GETACK ...`, which the replica answers on the link.
pub fn is_getack(argv: &[Bytes]) -> bool {
    argv.len() >= 2 && argv[0].eq_ignore_ascii_case(b"REPLCONF") && argv[1].eq_ignore_ascii_case(b"GETACK")
}

/// `REPLCONF ACK <offset>` as sent to the master.
pub fn ack_command(offset: i64) -> Vec<Vec<u8>> {
    vec![b"REPLCONF".to_vec(), b"ACK".to_vec(), offset.to_string().into_bytes()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_order_and_auth() {
        let cfg = HandshakeConfig { listening_port: 6380, announce_ip: Some("10.0.0.1".into()), masteruser: Some(b"u".to_vec()), masterauth: Some(b"p".to_vec()) };
        let cmds = handshake_commands(&cfg);
        let steps: Vec<_> = cmds.iter().map(|c| c.0.clone()).collect();
        assert_eq!(steps, vec![HandshakeStep::Auth, HandshakeStep::ListeningPort, HandshakeStep::IpAddress, HandshakeStep::Capa]);
        assert_eq!(cmds[0].1, vec![b"AUTH".to_vec(), b"u".to_vec(), b"p".to_vec()]);
        assert_eq!(cmds[3].1.len(), 5);
        let plain = handshake_commands(&HandshakeConfig { listening_port: 1, ..Default::default() });
        assert_eq!(plain.len(), 2);
        assert_eq!(plain[0].1[2], b"1".to_vec());
    }

    #[test]
    fn ping_and_step_replies() {
        assert!(judge_ping_reply("+PONG").is_ok());
        assert!(judge_ping_reply("-NOAUTH Authentication required.").is_ok());
        assert_eq!(judge_ping_reply("-ERR x"), Err("Error reply to PING from master: '-ERR x'".into()));
        assert!(HandshakeStep::Auth.judge("-ERR invalid password").is_err());
        assert_eq!(HandshakeStep::Capa.judge("+OK"), Ok(None));
        assert!(HandshakeStep::ListeningPort.judge("-ERR no").unwrap().is_some());
    }

    #[test]
    fn psync_replies() {
        let id = "a".repeat(40);
        assert_eq!(psync_command(None), vec![b"PSYNC".to_vec(), b"?".to_vec(), b"-1".to_vec()]);
        assert_eq!(psync_command(Some((&id, 99)))[2], b"100".to_vec());
        assert_eq!(parse_psync_reply(&format!("+FULLRESYNC {id} 42")), PsyncReply::FullResync(Some((id.clone(), 42))));
        assert_eq!(parse_psync_reply("+FULLRESYNC abc 1"), PsyncReply::FullResync(None));
        assert_eq!(parse_psync_reply("+CONTINUE"), PsyncReply::Continue(None));
        assert_eq!(parse_psync_reply(&format!("+CONTINUE {id}")), PsyncReply::Continue(Some(id)));
        assert_eq!(parse_psync_reply(""), PsyncReply::Wait);
        assert_eq!(parse_psync_reply("-LOADING x"), PsyncReply::TryLater);
        assert_eq!(parse_psync_reply("-ERR unknown command"), PsyncReply::NotSupported);
    }

    #[test]
    fn preambles() {
        assert_eq!(parse_preamble(b"$123"), Preamble::Size(123));
        assert_eq!(parse_preamble(b""), Preamble::KeepAlive);
        let mark = [b'x'; 40];
        let mut line = b"$EOF:".to_vec();
        line.extend_from_slice(&mark);
        assert_eq!(parse_preamble(&line), Preamble::Eof(mark));
        assert!(matches!(parse_preamble(b"+OK"), Preamble::Bad(_)));
        assert!(matches!(parse_preamble(b"-ERR x"), Preamble::Error(_)));
        let mut data = b"REDIS".to_vec();
        assert!(!ends_with_mark(&data, &mark));
        data.extend_from_slice(&mark);
        assert!(ends_with_mark(&data, &mark));
    }

    #[test]
    fn stream_counts_bytes_per_command() {
        let mut p = StreamParser::new();
        let stream = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$6\r\nSELECT";
        // Fed in small pieces, every command's bytes come out whole.
        let mut got = Vec::new();
        for chunk in stream.chunks(5) {
            p.feed(chunk);
            while let Some((argv, raw)) = p.next_command().unwrap() {
                got.push((argv[0].clone(), raw));
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(&got[0].1[..], b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(got[1].1.len(), 27);
        assert_eq!(p.pending(), b"*2\r\n$6\r\nSELECT".len());
        assert!(is_getack(&[Bytes::from_static(b"replconf"), Bytes::from_static(b"getack"), Bytes::from_static(b"*")]));
    }
}
