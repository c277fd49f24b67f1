//! Redis's glob matcher (`stringmatchlen` of Redis 7.0 `util.c`), byte for byte: `*`, `?`,
//! `[abc]`, `[^a]`, `[a-z]` (reversed ranges allowed), `\` escapes, an unterminated `[` that
//! matches as if closed, and the recursion cap of 1000 nested `*` (patterns beyond it never
//! match, as in the patched 7.0.15). Used by KEYS, SCAN MATCH, CONFIG GET, PUBSUB and CLIENT.

/// Deepest `*` recursion before a pattern is treated as not matching (abusive patterns).
const MAX_NESTING: u32 = 1000;

/// Whether `string` matches the glob `pattern`; `nocase` folds ASCII case.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

/// The byte at `i`, or 0 past the end: Redis reads the sds terminator there and some
/// branches depend on it.
#[inline]
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

#[inline]
fn fold(c: u8, nocase: bool) -> u8 {
    if nocase {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

fn match_impl(pattern: &[u8], string: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    // `p`/`s` index the rest of the pattern and string; `plen` can briefly exceed what
    // remains only in the ways Redis's pointer arithmetic allows, so it stays signed.
    let mut p = 0usize;
    let mut plen = pattern.len() as i64;
    let mut s = 0usize;
    let mut slen = string.len() as i64;
    while plen > 0 && slen > 0 {
        match at(pattern, p) {
            b'*' => {
                while plen > 0 && at(pattern, p + 1) == b'*' {
                    p += 1;
                    plen -= 1;
                }
                if plen == 1 {
                    return true;
                }
                while slen > 0 {
                    if match_impl(&pattern[p + 1..], &string[s..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                    slen -= 1;
                }
                // No match of the rest anywhere: longer matches of earlier stars cannot help.
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s += 1;
                slen -= 1;
            }
            b'[' => {
                p += 1;
                plen -= 1;
                let not = at(pattern, p) == b'^';
                if not {
                    p += 1;
                    plen -= 1;
                }
                let mut matched = false;
                let c = at(string, s);
                loop {
                    if at(pattern, p) == b'\\' && plen >= 2 {
                        p += 1;
                        plen -= 1;
                        if at(pattern, p) == c {
                            matched = true;
                        }
                    } else if at(pattern, p) == b']' {
                        break;
                    } else if plen == 0 {
                        p -= 1;
                        plen += 1;
                        break;
                    } else if plen >= 3 && at(pattern, p + 1) == b'-' {
                        let (mut start, mut end) = (at(pattern, p), at(pattern, p + 2));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end, ch) = (fold(start, nocase), fold(end, nocase), fold(c, nocase));
                        p += 2;
                        plen -= 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if fold(at(pattern, p), nocase) == fold(c, nocase) {
                        matched = true;
                    }
                    p += 1;
                    plen -= 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
            ch => {
                let mut ch = ch;
                if ch == b'\\' && plen >= 2 {
                    p += 1;
                    plen -= 1;
                    ch = at(pattern, p);
                }
                if fold(ch, nocase) != fold(at(string, s), nocase) {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
        }
        p += 1;
        plen -= 1;
        if slen == 0 {
            while at(pattern, p) == b'*' && p < pattern.len() {
                p += 1;
                plen -= 1;
            }
            break;
        }
    }
    plen == 0 && slen == 0
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn stars_and_questions() {
        // Redis quirk: a star never matches the empty string (KEYS * special-cases it).
        assert!(!m("*", ""));
        assert!(m("*", "abc"));
        assert!(m("a*", "a"));
        assert!(m("a*c", "abbbc"));
        assert!(!m("a*c", "abbb"));
        assert!(m("a**c", "ac"));
        assert!(m("h?llo", "hello"));
        assert!(!m("h?llo", "hllo"));
        assert!(!m("", "a"));
        assert!(m("", ""));
        assert!(!m("?", ""));
        assert!(m("*a*b*", "xxaxxbxx"));
    }

    #[test]
    fn classes_and_ranges() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed range");
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("[\\]]", "]"));
        // "a-]" is a range a..] (Redis reads the closing bracket as the range end).
        assert!(m("[a-]", "]"));
        assert!(!m("[a-]", "-"));
        assert!(!m("[]", "]"));
        // An unterminated class matches as if closed.
        assert!(m("a[bc", "ab"));
        assert!(!m("a[bc", "ad"));
    }

    #[test]
    fn escapes_and_case() {
        assert!(m("a\\*b", "a*b"));
        assert!(!m("a\\*b", "axb"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "x"));
        assert!(!m("ABC", "abc"));
        assert!(glob_match(b"ABC", b"abc", true));
        assert!(glob_match(b"[A-C]", b"b", true));
    }

    #[test]
    fn nesting_cap_like_redis() {
        let s = "b".repeat(3000);
        assert!(m(&format!("{}*", "*b".repeat(1000)), &s));
        assert!(!m(&format!("{}*", "*b".repeat(1001)), &s));
    }

    #[test]
    fn pathological_pattern_is_fast() {
        let s = "a".repeat(60);
        let p = format!("{}b", "a*".repeat(30));
        let t = std::time::Instant::now();
        assert!(!m(&p, &s));
        assert!(t.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn config_name_patterns() {
        assert!(glob_match(b"*", b"hz", true));
        assert!(glob_match(b"H?", b"hz", true));
        assert!(glob_match(b"*max*", b"maxmemory", true));
        assert!(glob_match(b"[a-c]ind", b"bind", true));
        assert!(!glob_match(b"[^b]ind", b"bind", true));
        assert!(glob_match(b"\\*", b"*", true));
        assert!(!glob_match(b"hz?", b"hz", true));
        assert!(glob_match(b"*delay*", b"repl-diskless-sync-delay", true));
        assert!(!glob_match(b"*.CONF", b"a.conf", false));
    }

    #[test]
    fn command_name_patterns() {
        assert!(glob_match(b"config|*", b"config|get", true));
        assert!(glob_match(b"G?T", b"get", true));
        assert!(glob_match(b"[a-h]et", b"get", true));
        assert!(!glob_match(b"[^g]et", b"get", true));
        assert!(!glob_match(b"get", b"getex", true));
    }
}
