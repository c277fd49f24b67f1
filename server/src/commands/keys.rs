//! Finding a request's keys from its command's key specs (Redis's `getKeysUsingKeySpecs`).
//! Dispatch locks these keys; COMMAND GETKEYS reports them.

use bytes::Bytes;
use smallvec::SmallVec;

use super::spec::{flags, keyflags, BeginSearch, CommandSpec, FindKeys, KeySpec};

/// Key positions of one request: inline for the common case of a few keys, so the hot
/// path of a keyed command allocates nothing for them.
pub type KeyPositions = SmallVec<[usize; 4]>;

/// Argument positions of the keys in `argv` according to `spec`.
pub fn key_positions(spec: &CommandSpec, argv: &[Bytes]) -> KeyPositions {
    if let Some(custom) = spec.getkeys {
        return SmallVec::from_vec(custom(argv));
    }
    let mut out = KeyPositions::new();
    for ks in spec.key_specs {
        spec_positions(ks, argv, &mut out);
    }
    out
}

/// Keys with their access flags (COMMAND GETKEYSANDFLAGS). A custom `getkeys` hook gives
/// the positions; each takes the flags of the first key spec that also finds it, else of
/// the last spec (as Redis's getkeys procs do for their trailing keys).
pub fn key_positions_with_flags(spec: &CommandSpec, argv: &[Bytes]) -> Vec<(usize, u32)> {
    let mut by_spec: Vec<(usize, u32)> = Vec::new();
    for ks in spec.key_specs {
        if !keynum_complete(ks, argv) {
            // Redis's key procs (genericGetKeys, evalGetKeys ...) report no keys at all
            // when the key count is below 1 or names more keys than there are arguments.
            return Vec::new();
        }
        let mut found = Vec::new();
        spec_positions(ks, argv, &mut found);
        by_spec.extend(found.into_iter().map(|p| (p, ks.flags)));
    }
    let mut keys = match spec.getkeys {
        Some(custom) => {
            let last = spec.key_specs.last().map_or(0, |k| k.flags);
            custom(argv).into_iter().map(|p| (p, by_spec.iter().find(|(q, _)| *q == p).map_or(last, |(_, f)| *f))).collect()
        }
        None => by_spec,
    };
    for (pos, f) in &mut keys {
        if *f & keyflags::VARIABLE_FLAGS != 0 {
            *f = variable_key_flags(spec, argv, *pos, *f);
        }
    }
    keys
}

/// The actual flags of a key whose spec says `variable_flags` (Redis's `setGetKeys`): SET
/// only reads the old value when given GET.
fn variable_key_flags(spec: &CommandSpec, argv: &[Bytes], _pos: usize, declared: u32) -> u32 {
    if spec.name == "set" {
        let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"GET"));
        return if get { keyflags::RW | keyflags::ACCESS | keyflags::UPDATE } else { keyflags::OW | keyflags::UPDATE };
    }
    if spec.name == "bitfield" {
        return super::bitmap::bitfield_key_flags(argv);
    }
    declared
}

/// The legacy `(first, last, step)` triple COMMAND INFO prints and whether the command has
/// movable keys, derived from the key specs as Redis 7.0's `populateCommandLegacyRangeSpec`
/// does: one plain range spec is used as is; otherwise consecutive step-1 index/range specs
/// are merged, and anything that cannot be expressed that way makes the keys movable.
pub struct LegacyRange {
    pub first: i32,
    pub last: i32,
    pub step: i32,
    /// `flags::MOVABLE_KEYS` or 0.
    pub movable: u32,
}

/// Computes [`LegacyRange`] for `spec`.
pub fn legacy_range(spec: &CommandSpec) -> LegacyRange {
    let mut movable = if spec.getkeys.is_some() && spec.key_specs.is_empty() { flags::MOVABLE_KEYS } else { 0 };
    let plain = |ks: &KeySpec| match (ks.begin, ks.find) {
        (BeginSearch::Index(i), FindKeys::Range { lastkey, step, .. }) => Some((i, lastkey, step)),
        _ => None,
    };
    let none = |movable| LegacyRange { first: 0, last: 0, step: 0, movable };
    if spec.key_specs.is_empty() {
        return none(movable);
    }
    if let [only] = spec.key_specs {
        if let Some((i, lastkey, step)) = plain(only) {
            if only.flags & keyflags::INCOMPLETE != 0 {
                movable = flags::MOVABLE_KEYS;
            }
            let last = if lastkey >= 0 { lastkey + i } else { lastkey };
            return LegacyRange { first: i, last, step, movable };
        }
    }
    let mut first = i32::MAX;
    let mut last: i32 = 0;
    let mut prev_last: i32 = 0;
    for ks in spec.key_specs {
        let Some((i, lastkey, step)) = plain(ks) else {
            movable = flags::MOVABLE_KEYS;
            continue;
        };
        if step != 1 || (prev_last != 0 && prev_last != i - 1) {
            movable = flags::MOVABLE_KEYS;
            continue;
        }
        if ks.flags & keyflags::INCOMPLETE != 0 {
            movable = flags::MOVABLE_KEYS;
        }
        first = first.min(i);
        let abs = if lastkey >= 0 { lastkey + i } else { lastkey };
        // Redis compares as unsigned so that a negative (from the end) last key wins.
        last = (last as u32).max(abs as u32) as i32;
        prev_last = last;
    }
    if first == i32::MAX {
        return none(flags::MOVABLE_KEYS);
    }
    LegacyRange { first, last, step: 1, movable }
}

/// False when `ks` takes its key count from the arguments and that count is below 1 or
/// reaches past the end of `argv` (COMMAND GETKEYS then reports no keys, as Redis does).
fn keynum_complete(ks: &KeySpec, argv: &[Bytes]) -> bool {
    let (BeginSearch::Index(begin), FindKeys::Keynum { keynumidx, firstkey, step }) = (ks.begin, ks.find) else {
        return true;
    };
    let idx = begin as usize + keynumidx as usize;
    let Some(n) = argv.get(idx).and_then(|a| rhodium_protocol::number::parse_i64(a)) else {
        return false;
    };
    let first = begin as i64 + firstkey as i64;
    n >= 1 && first.saturating_add((n - 1).saturating_mul(step.max(1) as i64)) < argv.len() as i64
}

/// Appends the positions `ks` finds in `argv` (Redis's `getKeysUsingKeySpecs`, one spec).
fn spec_positions(ks: &KeySpec, argv: &[Bytes], out: &mut impl Extend<usize>) {
    let argc = argv.len() as i64;
    {
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
                    None => return,
                }
            }
            BeginSearch::Unknown => return,
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
                    return;
                }
                let Some(n) = rhodium_protocol::number::parse_i64(&argv[idx as usize]).filter(|n| *n >= 0) else {
                    return;
                };
                let f = first + firstkey as i64;
                // A client-given count can be huge: saturate rather than overflow.
                (f, f.saturating_add((n - 1).saturating_mul(step as i64)), step as i64)
            }
            FindKeys::Unknown => return,
        };
        if step <= 0 {
            return;
        }
        let mut i = first;
        while i <= last {
            if i >= argc || i < first || i < 1 {
                break;
            }
            out.extend(Some(i as usize));
            i += step;
        }
    }
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
        assert_eq!(key_positions(&spec, &argv("MSET a 1 b 2")).to_vec(), vec![1, 3]);
        static ZU: [KeySpec; 2] = [
            KeySpec::single(1, keyflags::OW),
            KeySpec { notes: "", flags: keyflags::RO, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } },
        ];
        let spec = CommandSpec { name: "zunionstore", arity: -4, key_specs: &ZU, ..CommandSpec::DEFAULT };
        assert_eq!(key_positions(&spec, &argv("ZUNIONSTORE d 2 a b WEIGHTS 1 2")).to_vec(), vec![1, 3, 4]);
        assert_eq!(key_positions(&spec, &argv("ZUNIONSTORE d x a b")).to_vec(), vec![1]);
    }

    fn legacy(specs: &'static [KeySpec]) -> (i32, i32, i32, bool) {
        let spec = CommandSpec { name: "x", key_specs: specs, ..CommandSpec::DEFAULT };
        let l = legacy_range(&spec);
        (l.first, l.last, l.step, l.movable != 0)
    }

    #[test]
    fn legacy_range_follows_redis() {
        // Expected values are redis-server 7.0's COMMAND INFO for commands with these specs.
        static RENAME: [KeySpec; 2] = [KeySpec::single(1, keyflags::RW), KeySpec::single(2, keyflags::OW)];
        assert_eq!(legacy(&RENAME), (1, 2, 1, false));
        static MGET: [KeySpec; 1] = [KeySpec::range(1, -1, 1, keyflags::RO)];
        assert_eq!(legacy(&MGET), (1, -1, 1, false));
        static ZUNIONSTORE: [KeySpec; 2] = [
            KeySpec::single(1, keyflags::OW),
            KeySpec { notes: "", flags: keyflags::RO, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } },
        ];
        assert_eq!(legacy(&ZUNIONSTORE), (1, 1, 1, true));
        static EVAL: [KeySpec; 1] =
            [KeySpec { notes: "", flags: keyflags::RW, begin: BeginSearch::Index(2), find: FindKeys::Keynum { keynumidx: 0, firstkey: 1, step: 1 } }];
        assert_eq!(legacy(&EVAL), (0, 0, 0, true));
        static XREAD: [KeySpec; 1] = [KeySpec {
            notes: "",
            flags: keyflags::RO,
            begin: BeginSearch::Keyword { keyword: "STREAMS", startfrom: 1 },
            find: FindKeys::Range { lastkey: -1, step: 1, limit: 2 },
        }];
        assert_eq!(legacy(&XREAD), (0, 0, 0, true));
        assert_eq!(key_positions(&CommandSpec { name: "xread", key_specs: &XREAD, ..CommandSpec::DEFAULT }, &argv("XREAD COUNT 2 STREAMS a b 0 0")).to_vec(), vec![4, 5]);
    }

    #[test]
    fn set_key_flags_depend_on_get() {
        static SET: [KeySpec; 1] = [KeySpec::single(1, keyflags::RW | keyflags::ACCESS | keyflags::UPDATE | keyflags::VARIABLE_FLAGS)];
        let spec = CommandSpec { name: "set", key_specs: &SET, ..CommandSpec::DEFAULT };
        assert_eq!(key_positions_with_flags(&spec, &argv("SET k v")), vec![(1, keyflags::OW | keyflags::UPDATE)]);
        assert_eq!(key_positions_with_flags(&spec, &argv("SET k v get")), vec![(1, keyflags::RW | keyflags::ACCESS | keyflags::UPDATE)]);
    }

    #[test]
    fn custom_getkeys_hook_takes_flags_from_specs() {
        fn hook(argv: &[Bytes]) -> Vec<usize> {
            (1..argv.len()).step_by(2).collect()
        }
        static KS: [KeySpec; 2] = [KeySpec::single(1, keyflags::OW), KeySpec::range(3, -1, 2, keyflags::RO)];
        let spec = CommandSpec { name: "x", key_specs: &KS, getkeys: Some(hook), ..CommandSpec::DEFAULT };
        assert_eq!(key_positions(&spec, &argv("X a 1 b 2 c")).to_vec(), vec![1, 3, 5]);
        assert_eq!(key_positions_with_flags(&spec, &argv("X a 1 b 2 c")), vec![(1, keyflags::OW), (3, keyflags::RO), (5, keyflags::RO)]);
    }
}
