//! Property tests of the RESP codec: whatever a client or the encoder produces, split at
//! whatever points the network chooses, parses back to the same requests; garbage never
//! panics; reply frames written by `ReplyWriter` parse back with an independent decoder.

use bytes::BytesMut;
use proptest::prelude::*;
use rhodium_protocol::encode::encode_command;
use rhodium_protocol::number::format_f64_17g;
use rhodium_protocol::{Limits, ProtocolError, ReplyWriter, RequestParser, Resp};

/// What feeding a whole input to a parser produced.
#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<Vec<Vec<u8>>>,
    error: Option<ProtocolError>,
}

/// Feeds `input` in pieces of the given sizes (cycled), parsing after each piece as a
/// connection does, and checks that an error ends everything.
fn feed(input: &[u8], sizes: &[usize], limits: &Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut out = Outcome { requests: Vec::new(), error: None };
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() && out.error.is_none() {
        let n = sizes.get(i % sizes.len().max(1)).copied().unwrap_or(rest.len()).clamp(1, rest.len());
        i += 1;
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match parser.next(&mut buf, limits) {
                Ok(Some(argv)) => {
                    assert!(!argv.is_empty(), "an empty request was returned");
                    out.requests.push(argv.iter().map(|a| a.to_vec()).collect());
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    break;
                }
            }
        }
    }
    if let Some(e) = &out.error {
        // The connection closes after an error: the parser must not yield anything more,
        // even if more bytes arrive.
        buf.extend_from_slice(b"*1\r\n$4\r\nPING\r\nPING\r\n");
        assert_eq!(parser.next(&mut buf, limits).as_ref(), Err(e));
    }
    out
}

fn whole(input: &[u8]) -> Outcome {
    feed(input, &[input.len().max(1)], &Limits::default())
}

/// Arguments biased toward the awkward cases: empty, CRLF inside, NUL, protocol bytes.
fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        Just(b"\r\n".to_vec()),
        Just(b"*1\r\n$4\r\nPING\r\n".to_vec()),
        proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(0u8), Just(b'$'), Just(b'*'), Just(b'"'), any::<u8>()], 0..20),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

fn argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(arg(), 1..8)
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(prop_oneof![1usize..4, 1usize..64, 1usize..2048], 1..16)
}

/// An inline command: words without quotes, spaces or control characters.
fn inline_cmd() -> impl Strategy<Value = (Vec<String>, &'static str)> {
    (proptest::collection::vec("[A-Za-z0-9_:.,$*+-]{1,12}", 1..6), prop_oneof![Just("\r\n"), Just("\n")])
        .prop_filter("a line starting with '*' is multibulk", |(w, _)| !w[0].starts_with('*'))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encoded_pipelines_round_trip(cmds in proptest::collection::vec(argv(), 1..12), sizes in chunk_sizes()) {
        let mut input = Vec::new();
        for c in &cmds {
            encode_command(c, &mut input);
        }
        let got = feed(&input, &sizes, &Limits::default());
        prop_assert_eq!(got, Outcome { requests: cmds, error: None });
    }

    #[test]
    fn inline_and_multibulk_mix_round_trip(
        cmds in proptest::collection::vec(prop_oneof![argv().prop_map(Err), inline_cmd().prop_map(Ok)], 1..12),
        sizes in chunk_sizes(),
    ) {
        let mut input = Vec::new();
        let mut want = Vec::new();
        for c in &cmds {
            match c {
                Ok((words, eol)) => {
                    input.extend_from_slice(words.join(" ").as_bytes());
                    input.extend_from_slice(eol.as_bytes());
                    want.push(words.iter().map(|w| w.as_bytes().to_vec()).collect());
                }
                Err(argv) => {
                    encode_command(argv, &mut input);
                    want.push(argv.clone());
                }
            }
        }
        prop_assert_eq!(feed(&input, &sizes, &Limits::default()), Outcome { requests: want, error: None });
    }

    #[test]
    fn garbage_never_panics_and_splitting_does_not_matter(
        input in proptest::collection::vec(
            prop_oneof![
                4 => prop_oneof![Just(b'*'), Just(b'$'), Just(b'\r'), Just(b'\n'), Just(b'"'), Just(b'\''), Just(b'\\'), Just(b' '), Just(0u8), Just(b'-')],
                4 => b'0'..=b'9',
                2 => any::<u8>(),
            ],
            0..400,
        ),
        sizes in chunk_sizes(),
    ) {
        // Whatever the input, the outcome cannot depend on how it was split (below the
        // 64KB line limit, which depends on the buffer size when checked, as in Redis).
        prop_assert_eq!(feed(&input, &sizes, &Limits::default()), whole(&input));
        let strict = Limits { authenticated: false, max_bulk_len: 100 };
        prop_assert_eq!(feed(&input, &sizes, &strict), feed(&input, &[input.len().max(1)], &strict));
    }

    #[test]
    fn valid_prefix_then_garbage(cmds in proptest::collection::vec(argv(), 1..4), junk in proptest::collection::vec(any::<u8>(), 1..64), sizes in chunk_sizes()) {
        let mut input = Vec::new();
        for c in &cmds {
            encode_command(c, &mut input);
        }
        input.extend_from_slice(&junk);
        let got = feed(&input, &sizes, &Limits::default());
        // The valid requests always come out first, in order.
        prop_assert!(got.requests.len() >= cmds.len());
        prop_assert_eq!(&got.requests[..cmds.len()], &cmds[..]);
        prop_assert_eq!(got, whole(&input));
    }

    #[test]
    fn replies_parse_back(vals in proptest::collection::vec(val(), 1..8)) {
        for resp in [Resp::V2, Resp::V3] {
            let mut w = ReplyWriter::new(resp);
            for v in &vals {
                write(&mut w, v);
            }
            let bytes = w.as_bytes();
            let mut pos = 0;
            for v in &vals {
                let frame = decode(bytes, &mut pos);
                prop_assert_eq!(frame, Some(expected(v, resp)), "{:?}", resp);
            }
            prop_assert_eq!(pos, bytes.len());
        }
    }
}

/// A reply as a handler would produce it.
#[derive(Debug, Clone)]
enum Val {
    Simple(String),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Vec<u8>),
    BulkInt(i64),
    Null,
    NullArray,
    Double(f64),
    Bool(bool),
    Verbatim(Vec<u8>),
    Array(Vec<Val>),
    Map(Vec<(Val, Val)>),
    Set(Vec<Val>),
    Push(Vec<Val>),
}

fn val() -> impl Strategy<Value = Val> {
    let leaf = prop_oneof![
        "[ -~]{0,20}".prop_map(Val::Simple),
        "[A-Z]{1,8} [ -~\r\n]{0,20}".prop_map(|s| Val::Error(s.into_bytes())),
        any::<i64>().prop_map(Val::Int),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Val::Bulk),
        any::<i64>().prop_map(Val::BulkInt),
        Just(Val::Null),
        Just(Val::NullArray),
        prop_oneof![any::<f64>().prop_filter("no NaN", |f| !f.is_nan()), Just(f64::INFINITY), Just(-0.0)].prop_map(Val::Double),
        any::<bool>().prop_map(Val::Bool),
        proptest::collection::vec(any::<u8>(), 0..32).prop_map(Val::Verbatim),
    ];
    leaf.prop_recursive(3, 40, 5, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Val::Array),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..4).prop_map(Val::Map),
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Val::Set),
            proptest::collection::vec(inner, 0..5).prop_map(Val::Push),
        ]
    })
}

fn write(w: &mut ReplyWriter, v: &Val) {
    match v {
        Val::Simple(s) => w.simple(s),
        Val::Error(e) => w.error(&String::from_utf8_lossy(e)),
        Val::Int(i) => w.integer(*i),
        Val::Bulk(b) => w.bulk(b),
        Val::BulkInt(i) => w.bulk_int(*i),
        Val::Null => w.null(),
        Val::NullArray => w.null_array(),
        Val::Double(d) => w.double(*d),
        Val::Bool(b) => w.boolean(*b),
        Val::Verbatim(t) => w.verbatim("txt", t),
        Val::Array(items) => {
            w.array(items.len());
            items.iter().for_each(|i| write(w, i));
        }
        Val::Map(pairs) => {
            w.map(pairs.len());
            for (k, v) in pairs {
                write(w, k);
                write(w, v);
            }
        }
        Val::Set(items) => {
            w.set(items.len());
            items.iter().for_each(|i| write(w, i));
        }
        Val::Push(items) => {
            w.push(items.len());
            items.iter().for_each(|i| write(w, i));
        }
    }
}

/// A decoded RESP2/RESP3 frame.
#[derive(Debug, PartialEq)]
enum Frame {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Frame>>),
    Map(Vec<(Frame, Frame)>),
    Set(Vec<Frame>),
    Push(Vec<Frame>),
    Null,
    Double(f64),
    Bool(bool),
    Verbatim(Vec<u8>, Vec<u8>),
}

/// The frame `v` must come out as in protocol version `resp`.
fn expected(v: &Val, resp: Resp) -> Frame {
    let v3 = resp == Resp::V3;
    let all = |items: &[Val]| items.iter().map(|i| expected(i, resp)).collect::<Vec<_>>();
    match v {
        Val::Simple(s) => Frame::Simple(s.as_bytes().to_vec()),
        // Newlines in error text become spaces so the reply stays one line.
        Val::Error(e) => Frame::Error(String::from_utf8_lossy(e).replace(['\r', '\n'], " ").into_bytes()),
        Val::Int(i) => Frame::Int(*i),
        Val::Bulk(b) => Frame::Bulk(Some(b.clone())),
        Val::BulkInt(i) => Frame::Bulk(Some(i.to_string().into_bytes())),
        Val::Null if v3 => Frame::Null,
        Val::Null => Frame::Bulk(None),
        Val::NullArray if v3 => Frame::Null,
        Val::NullArray => Frame::Array(None),
        Val::Double(d) if v3 => Frame::Double(*d),
        Val::Double(d) => Frame::Bulk(Some(format_f64_17g(*d).into_bytes())),
        Val::Bool(b) if v3 => Frame::Bool(*b),
        Val::Bool(b) => Frame::Int(i64::from(*b)),
        Val::Verbatim(t) if v3 => Frame::Verbatim(b"txt".to_vec(), t.clone()),
        Val::Verbatim(t) => Frame::Bulk(Some(t.clone())),
        Val::Array(items) => Frame::Array(Some(all(items))),
        Val::Map(pairs) if v3 => Frame::Map(pairs.iter().map(|(k, v)| (expected(k, resp), expected(v, resp))).collect()),
        Val::Map(pairs) => Frame::Array(Some(pairs.iter().flat_map(|(k, v)| [expected(k, resp), expected(v, resp)]).collect())),
        Val::Set(items) if v3 => Frame::Set(all(items)),
        Val::Push(items) if v3 => Frame::Push(all(items)),
        Val::Set(items) | Val::Push(items) => Frame::Array(Some(all(items))),
    }
}

/// Reads one CRLF-terminated line at `*pos`.
fn line<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let start = *pos;
    let end = start + b.get(start..)?.windows(2).position(|w| w == b"\r\n")?;
    *pos = end + 2;
    Some(&b[start..end])
}

fn int(s: &[u8]) -> Option<i64> {
    std::str::from_utf8(s).ok()?.parse().ok()
}

/// Reads `n` bytes and the CRLF after them.
fn payload(b: &[u8], pos: &mut usize, n: usize) -> Option<Vec<u8>> {
    let data = b.get(*pos..*pos + n)?.to_vec();
    if b.get(*pos + n..*pos + n + 2)? != b"\r\n" {
        return None;
    }
    *pos += n + 2;
    Some(data)
}

fn items(b: &[u8], pos: &mut usize, n: usize) -> Option<Vec<Frame>> {
    (0..n).map(|_| decode(b, pos)).collect()
}

/// An independent, strict RESP2/RESP3 decoder.
fn decode(b: &[u8], pos: &mut usize) -> Option<Frame> {
    let l = line(b, pos)?;
    let (&kind, rest) = l.split_first()?;
    Some(match kind {
        b'+' => Frame::Simple(rest.to_vec()),
        b'-' => Frame::Error(rest.to_vec()),
        b':' => Frame::Int(int(rest)?),
        b'$' if rest == b"-1" => Frame::Bulk(None),
        b'$' => Frame::Bulk(Some(payload(b, pos, usize::try_from(int(rest)?).ok()?)?)),
        b'*' if rest == b"-1" => Frame::Array(None),
        b'*' => Frame::Array(Some(items(b, pos, usize::try_from(int(rest)?).ok()?)?)),
        b'%' => {
            let n = usize::try_from(int(rest)?).ok()?;
            let flat = items(b, pos, n * 2)?;
            let mut it = flat.into_iter();
            let mut pairs = Vec::new();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                pairs.push((k, v));
            }
            Frame::Map(pairs)
        }
        b'~' => Frame::Set(items(b, pos, usize::try_from(int(rest)?).ok()?)?),
        b'>' => Frame::Push(items(b, pos, usize::try_from(int(rest)?).ok()?)?),
        b'_' if rest.is_empty() => Frame::Null,
        b'#' => Frame::Bool(match rest {
            b"t" => true,
            b"f" => false,
            _ => return None,
        }),
        b',' => {
            let text = std::str::from_utf8(rest).ok()?;
            // The text must be what %.17g gives, and read back as the same double.
            let d: f64 = text.parse().ok()?;
            if format_f64_17g(d) != text {
                return None;
            }
            Frame::Double(d)
        }
        b'=' => {
            let data = payload(b, pos, usize::try_from(int(rest)?).ok()?)?;
            if data.len() < 4 || data[3] != b':' {
                return None;
            }
            Frame::Verbatim(data[..3].to_vec(), data[4..].to_vec())
        }
        _ => return None,
    })
}

#[test]
fn doubles_round_trip_through_text() {
    for d in [0.1, 1.0 / 3.0, 1e300, -2.5e-300, f64::MAX, f64::MIN_POSITIVE, 123456789.0] {
        let text = format_f64_17g(d);
        assert_eq!(text.parse::<f64>().ok(), Some(d), "{text}");
    }
}
