//! The RESP request parser seen from a socket, differential against redis-server 7.0:
//! raw bytes in, exact bytes out, and whether the connection is closed afterwards.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use rhodium_it::diff::Pair;

/// Sends `input`, closes our sending side and returns every byte the server sent until
/// it closed the connection. A request left incomplete yields no reply from either
/// server, so "waits for more" and "rejects" are told apart without timing.
fn exchange(port: u16, input: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    s.write_all(input).expect("send");
    s.shutdown(Shutdown::Write).expect("shutdown");
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            // A server that closes while our bytes are unread resets the connection.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read failed: {e}"),
        }
    }
    out
}

/// Asserts both servers answer every input with the same bytes.
fn same_replies(pair: &Pair, cases: &[Vec<u8>]) {
    for input in cases {
        let ours = exchange(pair.ours.port, input);
        let theirs = exchange(pair.theirs.port, input);
        let shown = String::from_utf8_lossy(&input[..input.len().min(80)]).into_owned();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "replies differ for {shown:?} ({} bytes) (left: rhodium, right: redis)",
            input.len()
        );
    }
}

/// `prefix` padded with `fill` to one byte over the 64KB line limit.
fn over_limit(prefix: &[u8], fill: u8) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.resize(64 * 1024 + 1, fill);
    v
}

fn cases(list: &[&[u8]]) -> Vec<Vec<u8>> {
    list.iter().map(|c| c.to_vec()).collect()
}

#[test]
fn multibulk_edge_cases() {
    let Some(pair) = Pair::start(&[]) else { return };
    same_replies(
        &pair,
        &cases(&[
            b"*1\r\n$3\r\nab",
            b"*1\r\n$3\r\nabc\r\n",
            b"*1\r\n$4\r\nPING\r\n",
            b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
            b"*2\r\n$4\r\nECHO\r\n$5\r\na\r\nb\r\n\r\n",
            b"*2\r\n$4\r\nECHO\r\n$3\r\na\r\nXY",
            b"*1\rX$4\r\nPINGxyECHO hi\n",
            b"*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n",
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\nx\r\n$3\r\nGET\r\n",
            b"*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n",
            b"*-5\r\nPING\r\n",
            b"*0\r\n*-1\r\nPING\r\n",
            b"*1048577\r\n",
            b"*1048576\r\n",
            b"*2147483647\r\n",
            b"*2147483648\r\n",
            b"*99999999999999999999\r\n",
            b"*999999999999999999999\r\n",
            b"*-0\r\n",
            b"*01\r\n",
            b"*+1\r\n",
            b"*\r\n",
            b"*1 \r\n",
            b"*1\r",
            b"*1\n$4\r\nPING\r\n",
        ]),
    );
}

#[test]
fn bulk_length_edge_cases() {
    let Some(pair) = Pair::start(&[]) else { return };
    same_replies(
        &pair,
        &cases(&[
            b"*1\r\n$536870912\r\n",
            b"*1\r\n$536870913\r\n",
            b"*1\r\n$600000000\r\n",
            b"*1\r\n$99999999999999999999\r\n",
            b"*1\r\n$999999999999999999999\r\n",
            b"*1\r\n$-1\r\n",
            b"*1\r\n$-0\r\n",
            b"*1\r\n$05\r\n",
            b"*1\r\n$+5\r\n",
            b"*1\r\n$\r\n",
            b"*1\r\n$4 \r\n",
            b"*1\r\n#3\r\n",
            b"*1\r\n\r\n",
            b"*1\r\n\n\r\n",
            b"*1\r\n\xff\r\n",
            b"*1\r\n:1\r\n",
        ]),
    );
    // proto-max-bulk-len moves the limit.
    let Some(pair) = Pair::start(&["--proto-max-bulk-len", "1mb"]) else { return };
    same_replies(&pair, &cases(&[b"*1\r\n$1048576\r\n", b"*1\r\n$1048577\r\n"]));
}

#[test]
fn inline_edge_cases() {
    let Some(pair) = Pair::start(&[]) else { return };
    same_replies(
        &pair,
        &cases(&[
            b"\n",
            b"\r\n",
            b"\r\n\r\nPING\n",
            b"  \t \r\n",
            b"PING\r\r\n",
            b"PING\r",
            b"PING",
            b"ECHO hello\nECHO world\r\n",
            b"\x0bECHO\x0c a\n",
            b"ECHO a\x0bb\n",
            b"ECHO \"a b\"c\n",
            b"ECHO 'a'b\n",
            b"ECHO \"abc\n",
            b"ECHO \"\\x41\\x4\"\n",
            b"ECHO \"a\\\"b\"\n",
            b"ECHO \"a\\\"\n",
            b"ECHO 'a\\'b'\n",
            b"ECHO ''\n",
            b"ECHO \"\"\n",
            b"ECHO \"a\"\tb\n",
            b"ECHO \"a\"\x0b\n",
            b"ECHO \"a\"\x0bb\n",
            b"ECHO \"\\n\\r\\t\\b\\a\\q\"\n",
            b"ECHO 'a\\nb'\n",
            b"ECHO a\"b c\"\n",
            b"ECHO a'b c'd\n",
            b"ECHO \"\\xZZ\"\n",
            b"ECHO \"x\\x41\"\n",
            b"ECHO \"a\"\r\r\n",
            b"ECHO \"a\r\"\r\n",
            b"ECHO \"a\\",
            b"ECHO \"a\\\r\n",
            b"SET k v\r\nGET k\r\n",
        ]),
    );
}

#[test]
fn line_limits_and_nul_bytes() {
    let Some(pair) = Pair::start(&[]) else { return };
    same_replies(
        &pair,
        &[
            // Redis finds line ends with strchr: a NUL hides them until the line limit.
            b"PING\0\n".to_vec(),
            b"*1\0\r\n$4\r\nPING\r\n".to_vec(),
            b"*1\r\n\0\r\n".to_vec(),
            b"ECHO \"a\0b\"\n".to_vec(),
            b"*2\r\n$4\r\nECHO\r\n$3\r\na\0b\r\n".to_vec(),
            over_limit(b"PING\0\n", b'x'),
            over_limit(b"*1\0\r\n", b'x'),
            over_limit(b"*1\r\n$4\0\r\n", b'x'),
            over_limit(b"ECHO ", b'x'),
            over_limit(b"*1", b'1'),
            over_limit(b"*1\r\n$4", b'4'),
            over_limit(b"*1\r\n$4\r\nPING\r\nECHO ", b'x'),
            // Exactly at the limit is still fine.
            {
                let mut v = b"ECHO ".to_vec();
                v.resize(64 * 1024, b'x');
                v.push(b'\n');
                v
            },
        ],
    );
}

#[test]
fn large_bulk_in_pieces() {
    let Some(pair) = Pair::start(&[]) else { return };
    let value: Vec<u8> = (0..3 * 1024 * 1024 + 7).map(|i| (i % 251) as u8).collect();
    let mut req = Vec::new();
    for argv in [&[&b"SET"[..], b"big", &value][..], &[b"ECHO", &value], &[b"GET", b"big"]] {
        req.extend_from_slice(&rhodium_it::raw::encode(argv));
    }
    for server in [&pair.ours, &pair.theirs] {
        let mut c = server.raw();
        for piece in req.chunks(64 * 1024 + 3) {
            c.send_raw(piece).expect("send");
        }
        assert_eq!(c.read_reply_bytes().expect("reply"), b"+OK\r\n");
        let mut want = format!("${}\r\n", value.len()).into_bytes();
        want.extend_from_slice(&value);
        want.extend_from_slice(b"\r\n");
        for what in ["ECHO", "GET"] {
            let got = c.read_reply_bytes().expect("reply");
            assert!(got == want, "{what} reply of {:?} differs ({} bytes)", server.flavor, got.len());
        }
    }
}

#[test]
fn protocol_error_closes_after_earlier_replies() {
    let Some(pair) = Pair::start(&[]) else { return };
    for server in [&pair.ours, &pair.theirs] {
        let mut c = server.raw();
        c.send_raw(b"*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n").expect("send");
        assert_eq!(c.read_reply_bytes().expect("pong"), b"+PONG\r\n");
        assert_eq!(c.read_reply_bytes().expect("error"), b"-ERR Protocol error: invalid bulk length\r\n");
        assert!(c.is_closed(Duration::from_secs(10)), "{:?} kept the connection open", server.flavor);
    }
}

#[test]
fn unauthenticated_limits() {
    let Some(pair) = Pair::start(&["--requirepass", "secret"]) else { return };
    same_replies(
        &pair,
        &cases(&[
            b"*10\r\n",
            b"*11\r\n",
            b"*0\r\n*11\r\n",
            b"*-1\r\n*11\r\n",
            b"*1\r\n$16384\r\n",
            b"*1\r\n$16385\r\n",
            b"*1\r\n$600000000\r\n",
            b"*2147483648\r\n",
            b"PING a b c d e f g h i j k l\r\n",
            b"*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n*11\r\n",
            // The limits follow AUTH from the very next request in the same packet.
            b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*11\r\n",
            b"AUTH secret\r\n*1\r\n$16385\r\n",
        ]),
    );
    let mut echo = b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*2\r\n$4\r\nECHO\r\n$20000\r\n".to_vec();
    echo.resize(echo.len() + 20000, b'e');
    echo.extend_from_slice(b"\r\n");
    same_replies(&pair, &[echo]);
}
