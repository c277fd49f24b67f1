//! The `#!lua flags=...` first line of scripts and function libraries
//! (Redis's `evalExtractShebangFlags`).

/// Script flags (Redis's `SCRIPT_FLAG_*`).
pub mod sflags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    /// No shebang: EVAL's backwards-compatible mode.
    pub const EVAL_COMPAT_MODE: u32 = 1 << 4;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 5;

    /// Names in Redis's order (`scripts_flags_def`).
    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
    ];
}

/// Looks a flag name up.
pub fn flag_by_name(name: &[u8]) -> Option<u32> {
    sflags::NAMES.iter().find(|(_, n)| n.as_bytes() == name).map(|(f, _)| *f)
}

/// The parsed shebang.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shebang {
    pub flags: u32,
    /// Bytes of the first line (without its newline), 0 without a shebang.
    pub len: usize,
    /// Options other than `flags=` (`name=` for function libraries), as `(key, value)`.
    pub options: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Parses the shebang of `body`. `allow_options` lets `name=` pass (FUNCTION LOAD);
/// EVAL rejects any option but `flags=`. Errors are Redis's texts without the `ERR `.
pub fn parse(body: &[u8], allow_options: bool) -> Result<Shebang, String> {
    if !body.starts_with(b"#!") {
        return Ok(Shebang { flags: sflags::EVAL_COMPAT_MODE, len: 0, options: Vec::new() });
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let line = &body[..end];
    let parts: Vec<&[u8]> = line.split(|b| *b == b' ' || *b == b'\t' || *b == b'\r').filter(|p| !p.is_empty()).collect();
    let Some(engine) = parts.first() else {
        return Err("Invalid engine in script shebang".into());
    };
    if *engine != b"#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", String::from_utf8_lossy(engine)));
    }
    let mut flags = 0;
    let mut options = Vec::new();
    for p in &parts[1..] {
        if let Some(list) = p.strip_prefix(b"flags=") {
            for f in list.split(|b| *b == b',') {
                if list.is_empty() {
                    break;
                }
                match flag_by_name(f) {
                    Some(x) => flags |= x,
                    None => return Err(format!("Unexpected flag in script shebang: {}", String::from_utf8_lossy(f))),
                }
            }
        } else if allow_options {
            match p.iter().position(|&b| b == b'=') {
                Some(i) => options.push((p[..i].to_vec(), p[i + 1..].to_vec())),
                None => options.push((p.to_vec(), Vec::new())),
            }
        } else {
            return Err(format!("Unknown lua shebang option: {}", String::from_utf8_lossy(p)));
        }
    }
    Ok(Shebang { flags, len: end, options })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        assert_eq!(parse(b"return 1", false).unwrap().flags, sflags::EVAL_COMPAT_MODE);
        let s = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1", false).unwrap();
        assert_eq!((s.flags, s.len), (sflags::NO_WRITES | sflags::ALLOW_OOM, 31));
        assert_eq!(parse(b"#!lua flags=\nx", false).unwrap().flags, 0);
        assert_eq!(parse(b"#!lua", false).unwrap_err(), "Invalid script shebang");
        assert_eq!(parse(b"#!python\n", false).unwrap_err(), "Unexpected engine in script shebang: #!python");
        assert_eq!(parse(b"#!lua flags=bad\n", false).unwrap_err(), "Unexpected flag in script shebang: bad");
        assert_eq!(parse(b"#!lua foo=bar\n", false).unwrap_err(), "Unknown lua shebang option: foo=bar");
    }
}
