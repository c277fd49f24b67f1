//! The RESP form commands take in an AOF file, exactly as Redis's `catAppendOnlyGenericCommand`
//! writes them: `*<argc>\r\n` then `$<len>\r\n<arg>\r\n` per argument.

/// Appends one command in RESP multibulk form (the protocol crate's one encoder).
pub fn command<A: AsRef<[u8]>>(out: &mut Vec<u8>, argv: &[A]) {
    rhodium_protocol::encode::encode_command(argv, out);
}

/// `SELECT <db>`, written when the next command targets another database.
pub fn select(out: &mut Vec<u8>, db: usize) {
    command(out, &[b"SELECT".as_slice(), itoa::Buffer::new().format(db).as_bytes()]);
}

/// The `#TS:<unix seconds>` annotation of `aof-timestamp-enabled` (Redis's
/// `genAofTimestampAnnotationIfNeeded`); loaders skip lines starting with `#`.
pub fn timestamp(out: &mut Vec<u8>, unix_secs: i64) {
    out.extend_from_slice(b"#TS:");
    out.extend_from_slice(itoa::Buffer::new().format(unix_secs).as_bytes());
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_redis_multibulk() {
        let mut out = Vec::new();
        select(&mut out, 3);
        command(&mut out, &[b"set".as_slice(), b"k", b""]);
        timestamp(&mut out, 17);
        assert_eq!(out, b"*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*3\r\n$3\r\nset\r\n$1\r\nk\r\n$0\r\n\r\n#TS:17\r\n");
    }
}
