//! Glob matching for CONFIG GET patterns and `include` paths.

/// Glob matching that follows Redis's `stringmatchlen`: `*`, `?`, `[...]` with `^`
/// negation and `a-z` ranges, and `\` escapes; `nocase` as CONFIG GET uses it.
pub fn glob_match(pattern: &[u8], s: &[u8], nocase: bool) -> bool {
    glob_rec(pattern, s, nocase, 0)
}

fn glob_rec(mut p: &[u8], mut s: &[u8], nocase: bool, depth: usize) -> bool {
    // Bounds the recursion on patterns with many stars (Redis limits nesting too).
    if depth > 1000 {
        return false;
    }
    let eq = |a: u8, b: u8| if nocase { a.eq_ignore_ascii_case(&b) } else { a == b };
    let fold = |c: u8| if nocase { c.to_ascii_lowercase() } else { c };
    while let Some(&pc) = p.first() {
        match pc {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                for i in 0..=s.len() {
                    if glob_rec(&p[1..], &s[i..], nocase, depth + 1) {
                        return true;
                    }
                }
                return false;
            }
            b'?' => {
                if s.is_empty() {
                    return false;
                }
                s = &s[1..];
            }
            b'[' => {
                let Some(&c) = s.first() else { return false };
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                loop {
                    match p {
                        [b'\\', x, ..] => {
                            if eq(*x, c) {
                                matched = true;
                            }
                            p = &p[2..];
                        }
                        [b']', ..] => break,
                        [] => break,
                        [lo, b'-', hi, ..] if *hi != b']' => {
                            let (mut a, mut b) = (fold(*lo), fold(*hi));
                            if a > b {
                                std::mem::swap(&mut a, &mut b);
                            }
                            let cl = fold(c);
                            if cl >= a && cl <= b {
                                matched = true;
                            }
                            p = &p[3..];
                        }
                        [x, ..] => {
                            if eq(*x, c) {
                                matched = true;
                            }
                            p = &p[1..];
                        }
                    }
                }
                if matched == not {
                    return false;
                }
                s = &s[1..];
                if p.is_empty() {
                    // An unterminated class ends the pattern.
                    return s.is_empty();
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                match s.first() {
                    Some(&c) if eq(p[0], c) => s = &s[1..],
                    _ => return false,
                }
            }
            _ => match s.first() {
                Some(&c) if eq(pc, c) => s = &s[1..],
                _ => return false,
            },
        }
        p = &p[1..];
    }
    s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob() {
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
}
