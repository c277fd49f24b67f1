//! The AOF manifest (`<appendfilename>.manifest` in `appenddirname`), as Redis 7.0's
//! `aof.c` reads and writes it: one line per file, `file <name> seq <n> type <b|h|i>`,
//! the base first, then history files, then the incremental files in sequence order.
//! Lines starting with `#` are comments; unknown key/value pairs are ignored (Redis keeps
//! them for forward compatibility).

use thiserror::Error;

/// What a file is to the AOF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `b`: the base (an RDB preamble or commands), loaded first.
    Base,
    /// `h`: replaced by a rewrite, waiting to be deleted; never loaded.
    History,
    /// `i`: commands appended after the base, loaded in order.
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// One file named by the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AofFile {
    pub name: String,
    pub seq: u64,
    pub kind: FileKind,
}

/// A manifest that cannot be used, with the 1-based line it was found on.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{reason} (line {line})")]
pub struct ManifestError {
    pub line: usize,
    /// Redis's wording (`Invalid AOF manifest file format`, ...).
    pub reason: String,
}

/// The parsed manifest, and the sequence counters new file names come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<AofFile>,
    pub incrs: Vec<AofFile>,
    pub history: Vec<AofFile>,
    /// The highest base / incr sequence numbers used so far.
    pub base_seq: u64,
    pub incr_seq: u64,
}

/// Lines longer than this are refused, as Redis reads with a 1 KiB line buffer.
const MAX_LINE: usize = 1024;

impl Manifest {
    /// Parses a manifest file's bytes (Redis's `aofLoadManifestFromFile`).
    pub fn parse(text: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut lines = 0usize;
        let mut rest = text;
        let mut line_no = 0usize;
        while !rest.is_empty() {
            line_no += 1;
            let (line, next, complete) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &rest[i + 1..], true),
                None => (rest, &rest[rest.len()..], false),
            };
            rest = next;
            let err = |reason: &str| ManifestError { line: line_no, reason: reason.to_string() };
            if line.first() == Some(&b'#') {
                continue;
            }
            if !complete || line.len() + 1 > MAX_LINE {
                return Err(err("The AOF manifest file contains too long line"));
            }
            let trimmed = trim(line);
            if trimmed.is_empty() {
                return Err(err("Invalid AOF manifest file format"));
            }
            let args = split_args(trimmed).ok_or_else(|| err("Invalid AOF manifest file format"))?;
            // 'argc < 6' is Redis's check, leaving room for more pairs later.
            if args.len() < 6 || args.len() % 2 != 0 {
                return Err(err("Invalid AOF manifest file format"));
            }
            let (mut name, mut seq, mut kind) = (None, 0u64, None);
            for pair in args.chunks(2) {
                let key = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                match key.as_str() {
                    "file" => {
                        let n = String::from_utf8(pair[1].clone()).map_err(|_| err("Invalid AOF manifest file format"))?;
                        if n.contains('/') || n.is_empty() {
                            return Err(err("File can't be a path, just a filename"));
                        }
                        name = Some(n);
                    }
                    // atoll: leading digits, anything else is 0.
                    "seq" => seq = leading_number(&pair[1]),
                    "type" => kind = pair[1].first().copied(),
                    _ => {}
                }
            }
            let (Some(name), Some(kind)) = (name, kind) else {
                return Err(err("Invalid AOF manifest file format"));
            };
            if seq == 0 {
                return Err(err("Invalid AOF manifest file format"));
            }
            match kind {
                b'b' => {
                    if m.base.is_some() {
                        return Err(err("Found duplicate base file information"));
                    }
                    m.base_seq = seq;
                    m.base = Some(AofFile { name, seq, kind: FileKind::Base });
                }
                b'h' => m.history.push(AofFile { name, seq, kind: FileKind::History }),
                b'i' => {
                    if seq <= m.incrs.last().map_or(0, |f| f.seq) {
                        return Err(err("Found a non-monotonic sequence number"));
                    }
                    m.incr_seq = seq;
                    m.incrs.push(AofFile { name, seq, kind: FileKind::Incr });
                }
                _ => return Err(err("Unknown AOF file type")),
            }
            lines += 1;
        }
        if lines == 0 {
            return Err(ManifestError { line: 0, reason: "Found an empty AOF manifest".into() });
        }
        Ok(m)
    }

    /// The manifest's text (Redis's `getAofManifestAsString`).
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for f in self.base.iter().chain(self.history.iter()).chain(self.incrs.iter()) {
            s.push_str(&format!("file {} seq {} type {}\n", quote_if_needed(&f.name), f.seq, f.kind.letter()));
        }
        s
    }

    /// Whether the manifest names no file to load.
    pub fn is_empty(&self) -> bool {
        self.base.is_none() && self.incrs.is_empty()
    }

    /// Starts a new base (a rewrite): the current base and incremental files become
    /// history, and the new base's name is returned (`<prefix>.<seq>.base.<rdb|aof>`).
    pub fn new_base(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut b) = self.base.take() {
            b.kind = FileKind::History;
            self.history.push(b);
        }
        for mut f in self.incrs.drain(..) {
            f.kind = FileKind::History;
            self.history.push(f);
        }
        self.base_seq += 1;
        let name = format!("{prefix}.{}.base.{}", self.base_seq, if rdb { "rdb" } else { "aof" });
        self.base = Some(AofFile { name: name.clone(), seq: self.base_seq, kind: FileKind::Base });
        name
    }

    /// Adds a new incremental file at the end and returns its name
    /// (`<prefix>.<seq>.incr.aof`).
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = format!("{prefix}.{}.incr.aof", self.incr_seq);
        self.incrs.push(AofFile { name: name.clone(), seq: self.incr_seq, kind: FileKind::Incr });
        name
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|b| !ws(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !ws(b)).map_or(start, |i| i + 1);
    &s[start..end]
}

fn leading_number(s: &[u8]) -> u64 {
    let mut n = 0u64;
    for &b in s.iter().take_while(|b| b.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    n
}

/// Splits a line into arguments as Redis's `sdssplitargs` does: spaces separate, double
/// quotes allow escapes (`\n`, `\xHH`, ...), single quotes allow `\'`; a closing quote must
/// be followed by a space or the end. `None` on unbalanced quotes.
fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        let mut cur = Vec::new();
        match line[i] {
            b'"' => {
                i += 1;
                loop {
                    let c = *line.get(i)?;
                    if c == b'\\' && i + 3 < line.len() && line[i + 1] == b'x' && line[i + 2].is_ascii_hexdigit() && line[i + 3].is_ascii_hexdigit() {
                        let hex = std::str::from_utf8(&line[i + 2..i + 4]).ok()?;
                        cur.push(u8::from_str_radix(hex, 16).ok()?);
                        i += 4;
                    } else if c == b'\\' && i + 1 < line.len() {
                        cur.push(match line[i + 1] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            o => o,
                        });
                        i += 2;
                    } else if c == b'"' {
                        i += 1;
                        if i < line.len() && !line[i].is_ascii_whitespace() {
                            return None;
                        }
                        break;
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
            }
            b'\'' => {
                i += 1;
                loop {
                    let c = *line.get(i)?;
                    if c == b'\\' && line.get(i + 1) == Some(&b'\'') {
                        cur.push(b'\'');
                        i += 2;
                    } else if c == b'\'' {
                        i += 1;
                        if i < line.len() && !line[i].is_ascii_whitespace() {
                            return None;
                        }
                        break;
                    } else {
                        cur.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                while i < line.len() && !line[i].is_ascii_whitespace() {
                    cur.push(line[i]);
                    i += 1;
                }
            }
        }
        out.push(cur);
    }
    Some(out)
}

/// A file name as Redis writes it: bare, or quoted with escapes when it holds spaces,
/// quotes or non-printable bytes (`sdsneedsrepr` / `sdscatrepr`).
fn quote_if_needed(name: &str) -> String {
    let needs = name.bytes().any(|b| b == b'\\' || b == b'"' || b == b'\'' || b.is_ascii_whitespace() || !(0x21..0x7f).contains(&b));
    if !needs {
        return name.to_string();
    }
    let mut s = String::from("\"");
    for b in name.bytes() {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            7 => s.push_str("\\a"),
            8 => s.push_str("\\b"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_redis_manifest() {
        let text = b"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n";
        let m = Manifest::parse(text).unwrap();
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.2.base.rdb");
        assert_eq!(m.incrs.len(), 1);
        assert_eq!(m.to_text().as_bytes(), text);
    }

    #[test]
    fn new_files_continue_the_sequences() {
        let mut m = Manifest::default();
        assert_eq!(m.new_base("appendonly.aof", true), "appendonly.aof.1.base.rdb");
        assert_eq!(m.new_incr("appendonly.aof"), "appendonly.aof.1.incr.aof");
        assert_eq!(m.new_incr("appendonly.aof"), "appendonly.aof.2.incr.aof");
        assert_eq!(m.new_base("appendonly.aof", false), "appendonly.aof.2.base.aof");
        assert_eq!(m.history.len(), 3);
        assert!(m.incrs.is_empty());
        assert_eq!(m.new_incr("appendonly.aof"), "appendonly.aof.3.incr.aof");
        let again = Manifest::parse(m.to_text().as_bytes()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn refuses_what_redis_refuses() {
        let bad = |t: &[u8]| Manifest::parse(t).unwrap_err().reason;
        assert_eq!(bad(b""), "Found an empty AOF manifest");
        assert_eq!(bad(b"file a seq 1\n"), "Invalid AOF manifest file format");
        assert_eq!(bad(b"file a seq 1 type b\nfile b seq 2 type b\n"), "Found duplicate base file information");
        assert_eq!(bad(b"file a seq 2 type i\nfile b seq 1 type i\n"), "Found a non-monotonic sequence number");
        assert_eq!(bad(b"file a/b seq 1 type i\n"), "File can't be a path, just a filename");
        assert_eq!(bad(b"file a seq 1 type x\n"), "Unknown AOF file type");
        assert_eq!(bad(b"file a seq 1 type i"), "The AOF manifest file contains too long line");
        assert_eq!(Manifest::parse(b"# c\nfile \"a b\" seq 1 type i\n").unwrap().incrs[0].name, "a b");
        assert_eq!(quote_if_needed("a b"), "\"a b\"");
    }
}
