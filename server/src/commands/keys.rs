//! Finding a request's keys from its command's key specs (Redis's `getKeysUsingKeySpecs`).
//! Dispatch locks these keys; COMMAND GETKEYS reports them.

use bytes::Bytes;

use super::spec::{BeginSearch, CommandSpec, FindKeys};

/// Argument positions of the keys in `argv` according to `spec`.
pub fn key_positions(spec: &CommandSpec, argv: &[Bytes]) -> Vec<usize> {
    if let Some(custom) = spec.getkeys {
        return custom(argv);
    }
    let argc = argv.len() as i64;
    let mut out = Vec::new();
    for ks in spec.key_specs {
        let first = match ks.begin {
            BeginSearch::Index(i) => i as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let start = if startfrom > 0 { startfrom as i64 } else { argc + startfrom as i64 };
                let end = if startfrom > 0 { argc - 1 } else { 1 };
                let mut found = None;
                let mut i = start;
                loop {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    if i == end {
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match found {
                    Some(f) => f,
                    None => continue,
                }
            }
            BeginSearch::Unknown => continue,
        };
        let (first, last, step) = match ks.find {
            FindKeys::Range { lastkey, step, limit } => {
                let last = if lastkey >= 0 {
                    first + lastkey as i64
                } else if limit == 0 {
                    argc + lastkey as i64
                } else {
                    first + ((argc - first) / limit as i64 + lastkey as i64)
                };
                (first, last, step as i64)
            }
            FindKeys::Keynum { keynumidx, firstkey, step } => {
                let idx = first + keynumidx as i64;
                if idx >= argc {
                    continue;
                }
                let Some(n) = rhodium_protocol::number::parse_i64(&argv[idx as usize]).filter(|n| *n >= 0) else {
                    continue;
                };
                let f = first + firstkey as i64;
                (f, f + (n - 1) * step as i64, step as i64)
            }
            FindKeys::Unknown => continue,
        };
        if step <= 0 {
            continue;
        }
        let mut i = first;
        while i <= last {
            if i >= argc || i < first || i < 1 {
                break;
            }
            out.push(i as usize);
            i += step;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::spec::{keyflags, KeySpec};

    fn argv(s: &str) -> Vec<Bytes> {
        s.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()
    }

    #[test]
    fn range_and_keynum() {
        static MSET: [KeySpec; 1] = [KeySpec::range(1, -1, 2, keyflags::OW)];
        let spec = CommandSpec { name: "mset", arity: -3, key_specs: &MSET, ..CommandSpec::DEFAULT };
        assert_eq!(key_positions(&spec, &argv("MSET a 1 b 2")), vec![1, 3]);
        static ZU: [KeySpec; 2] = [
            KeySpec::single(1, keyflags::OW),
            KeySpec { notes: "", flags: keyflags::RO, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } },
        ];
        let spec = CommandSpec { name: "zunionstore", arity: -4, key_specs: &ZU, ..CommandSpec::DEFAULT };
        assert_eq!(key_positions(&spec, &argv("ZUNIONSTORE d 2 a b WEIGHTS 1 2")), vec![1, 3, 4]);
        assert_eq!(key_positions(&spec, &argv("ZUNIONSTORE d x a b")), vec![1]);
    }
}
