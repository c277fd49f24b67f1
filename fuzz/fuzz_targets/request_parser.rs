//! Fuzzes the RESP request parser: arbitrary bytes fed in arbitrary pieces.
//!
//! Input layout: byte 0 picks the limits (bit 7: unauthenticated, bit 6: a tiny
//! proto-max-bulk-len) and, in its low 4 bits, how many of the next bytes are piece sizes
//! (each 1..=256, cycled); the rest is what the client sends. Besides "no panic, no hang",
//! it checks that the outcome does not depend on how the input was split, that no request
//! is empty, and that nothing is parsed after an error.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rhodium_protocol::{Limits, ProtocolError, RequestParser};

#[derive(Debug, PartialEq)]
struct Outcome {
    requests: Vec<Vec<Vec<u8>>>,
    error: Option<ProtocolError>,
}

fn feed(input: &[u8], sizes: &[usize], limits: &Limits) -> Outcome {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut out = Outcome { requests: Vec::new(), error: None };
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() && out.error.is_none() {
        let n = sizes[i % sizes.len()].clamp(1, rest.len());
        i += 1;
        buf.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match parser.next(&mut buf, limits) {
                Ok(Some(argv)) => {
                    assert!(!argv.is_empty());
                    out.requests.push(argv.iter().map(|a| a.to_vec()).collect());
                }
                Ok(None) => break,
                Err(e) => {
                    out.error = Some(e);
                    break;
                }
            }
        }
        // What the reader would reserve must stay sane.
        let _ = parser.bytes_wanted(buf.len());
    }
    if let Some(e) = &out.error {
        buf.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(parser.next(&mut buf, limits).as_ref(), Err(e));
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&head, rest)) = data.split_first() else { return };
    let n_sizes = usize::from(head & 0x0f).min(rest.len());
    let (size_bytes, input) = rest.split_at(n_sizes);
    let mut sizes: Vec<usize> = size_bytes.iter().map(|&b| usize::from(b) + 1).collect();
    if sizes.is_empty() {
        sizes.push(input.len().max(1));
    }
    let limits = Limits {
        authenticated: head & 0x80 == 0,
        max_bulk_len: if head & 0x40 != 0 { 64 } else { Limits::default().max_bulk_len },
    };
    let chunked = feed(input, &sizes, &limits);
    // Below the 64KB line limit (checked against the buffered size, as Redis does) the
    // split points cannot change the outcome.
    if input.len() <= 64 * 1024 {
        let whole = feed(input, &[input.len().max(1)], &limits);
        assert_eq!(chunked, whole);
    }
});
