//! Meta-tests of the command table against redis-server: every command Rhodium lists must
//! have byte-identical COMMAND INFO and COMMAND DOCS replies, GETKEYS must find the same
//! keys, and COUNT/LIST/INFO must agree with each other.

use rhodium_it::diff::{self, Pair};
use rhodium_it::raw::RawConn;

/// A parsed reply that keeps each frame's exact bytes, so replies can be compared after
/// putting hash-ordered parts (Redis lists subcommands in dict order) into a fixed order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Leaf(Vec<u8>),
    /// Header line (e.g. `*3\r\n`) and children (a map's keys and values alternate).
    Agg(Vec<u8>, Vec<Node>),
}

impl Node {
    fn bytes(&self, out: &mut Vec<u8>) {
        match self {
            Node::Leaf(b) => out.extend_from_slice(b),
            Node::Agg(h, kids) => {
                out.extend_from_slice(h);
                for k in kids {
                    k.bytes(out);
                }
            }
        }
    }

    fn text(&self) -> String {
        let mut v = Vec::new();
        self.bytes(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    fn kids_mut(&mut self) -> Option<&mut Vec<Node>> {
        match self {
            Node::Agg(_, k) => Some(k),
            Node::Leaf(_) => None,
        }
    }

    /// The string inside a bulk or simple string leaf.
    fn str(&self) -> Option<&[u8]> {
        let Node::Leaf(b) = self else { return None };
        match b.first()? {
            b'$' => {
                let nl = b.iter().position(|&c| c == b'\n')?;
                b.get(nl + 1..b.len() - 2)
            }
            b'+' => b.get(1..b.len() - 2),
            _ => None,
        }
    }
}

fn parse(buf: &[u8], pos: &mut usize) -> Node {
    let start = *pos;
    let nl = buf[start..].iter().position(|&c| c == b'\n').expect("complete frame") + start;
    *pos = nl + 1;
    let line = &buf[start + 1..nl - 1];
    let n: i64 = std::str::from_utf8(line).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    match buf[start] {
        b'$' | b'=' if n >= 0 => {
            *pos += n as usize + 2;
            Node::Leaf(buf[start..*pos].to_vec())
        }
        b'*' | b'~' | b'>' | b'%' if n >= 0 => {
            let count = if buf[start] == b'%' { n * 2 } else { n };
            let header = buf[start..*pos].to_vec();
            let kids = (0..count).map(|_| parse(buf, pos)).collect();
            Node::Agg(header, kids)
        }
        _ => Node::Leaf(buf[start..*pos].to_vec()),
    }
}

fn parse_reply(buf: &[u8]) -> Node {
    let mut pos = 0;
    parse(buf, &mut pos)
}

/// Subcommands of implemented containers that belong to later work, left out of the
/// comparison by name only, so any other difference still fails (none at present).
const PENDING_SUBCOMMANDS: &[&str] = &[];

/// Rewrites an aggregate header (`*N`, `%N`, `~N`) for a new element count.
fn header_with(header: &[u8], n: usize) -> Vec<u8> {
    let mut h = vec![header[0]];
    h.extend_from_slice(n.to_string().as_bytes());
    h.extend_from_slice(b"\r\n");
    h
}

/// Sorts the subcommands of a COMMAND INFO entry (its 10th element), recursively, and
/// drops the pending ones.
fn normalize_info_entry(entry: &mut Node) {
    if let Some(kids) = entry.kids_mut() {
        if let Some(Node::Agg(header, subs)) = kids.get_mut(9) {
            subs.retain(|e| !matches!(e, Node::Agg(_, k) if k.first().and_then(Node::str).is_some_and(|n| PENDING_SUBCOMMANDS.iter().any(|p| p.as_bytes() == n))));
            *header = header_with(header, subs.len());
            subs.iter_mut().for_each(normalize_info_entry);
            subs.sort();
        }
    }
}

/// Sorts the `subcommands` map of a COMMAND DOCS entry by name, recursively.
fn normalize_docs_map(map: &mut Node) {
    let Some(kids) = map.kids_mut() else { return };
    for i in (0..kids.len()).step_by(2) {
        if kids[i].str() == Some(b"subcommands".as_slice()) {
            if let Some(Node::Agg(header, subs)) = kids.get_mut(i + 1) {
                let mut pairs: Vec<(Node, Node)> = subs
                    .chunks(2)
                    .map(|p| (p[0].clone(), p[1].clone()))
                    .filter(|(k, _)| !k.str().is_some_and(|n| PENDING_SUBCOMMANDS.iter().any(|p| p.as_bytes() == n)))
                    .collect();
                for (_, v) in &mut pairs {
                    normalize_docs_map(v);
                }
                pairs.sort();
                let n = if header[0] == b'%' { pairs.len() } else { pairs.len() * 2 };
                *header = header_with(header, n);
                *subs = pairs.into_iter().flat_map(|(k, v)| [k, v]).collect();
            }
        }
    }
}

fn info_text(c: &mut RawConn, name: &str) -> String {
    let mut r = parse_reply(&c.cmd_bytes(&["COMMAND", "INFO", name]).expect("COMMAND INFO"));
    if let Some(entries) = r.kids_mut() {
        entries.iter_mut().for_each(normalize_info_entry);
    }
    r.text()
}

fn docs_text(c: &mut RawConn, name: &str) -> String {
    let mut r = parse_reply(&c.cmd_bytes(&["COMMAND", "DOCS", name]).expect("COMMAND DOCS"));
    if let Some(kids) = r.kids_mut() {
        for i in (1..kids.len()).step_by(2) {
            normalize_docs_map(&mut kids[i]);
        }
    }
    r.text()
}

fn bulk_strings(reply: &[u8]) -> Vec<String> {
    match parse_reply(reply) {
        Node::Agg(_, kids) => kids.iter().filter_map(|k| k.str().map(|s| String::from_utf8_lossy(s).into_owned())).collect(),
        Node::Leaf(_) => Vec::new(),
    }
}

fn command_list(c: &mut RawConn) -> Vec<String> {
    bulk_strings(&c.cmd_bytes(&["COMMAND", "LIST"]).expect("COMMAND LIST"))
}

#[test]
fn info_and_docs_match_redis_for_every_command() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut ours = p.ours.raw();
    let mut theirs = p.theirs.raw();
    let mut ours3 = p.ours.raw();
    let mut theirs3 = p.theirs.raw();
    ours3.cmd(&["HELLO", "3"]).expect("HELLO 3");
    theirs3.cmd(&["HELLO", "3"]).expect("HELLO 3");
    let names = command_list(&mut ours);
    assert!(names.iter().any(|n| n == "command|docs"), "COMMAND LIST lacks subcommands: {names:?}");
    let mut mismatches = Vec::new();
    for name in &names {
        for (what, a, b) in [
            ("INFO", info_text(&mut ours, name), info_text(&mut theirs, name)),
            ("DOCS", docs_text(&mut ours, name), docs_text(&mut theirs, name)),
            ("INFO (RESP3)", info_text(&mut ours3, name), info_text(&mut theirs3, name)),
            ("DOCS (RESP3)", docs_text(&mut ours3, name), docs_text(&mut theirs3, name)),
        ] {
            if a != b {
                mismatches.push(format!("COMMAND {what} {name}\n  rhodium: {a:?}\n  redis:   {b:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// Representative requests of the whole command scope; those whose command Rhodium does
/// not have yet are skipped (so the check grows as commands are added).
const GETKEYS_REQUESTS: &[&str] = &[
    "GET k",
    "SET k v",
    "SET k v GET",
    "SET k v EX 10 NX",
    "SETNX k v",
    "SETEX k 10 v",
    "PSETEX k 10 v",
    "MGET a b c",
    "MSET a 1 b 2",
    "MSETNX a 1 b 2 c 3",
    "GETSET k v",
    "GETDEL k",
    "GETEX k PERSIST",
    "APPEND k v",
    "STRLEN k",
    "INCR k",
    "DECR k",
    "INCRBY k 1",
    "DECRBY k 1",
    "INCRBYFLOAT k 1.5",
    "GETRANGE k 0 1",
    "SUBSTR k 0 1",
    "SETRANGE k 0 v",
    "LCS a b LEN",
    "DEL a b c",
    "UNLINK a b",
    "EXISTS a b a",
    "TYPE k",
    "RENAME a b",
    "RENAMENX a b",
    "MOVE k 1",
    "COPY a b DB 1 REPLACE",
    "TOUCH a b",
    "OBJECT ENCODING k",
    "OBJECT FREQ k",
    "EXPIRE k 10",
    "PEXPIRE k 10 NX",
    "EXPIREAT k 10",
    "PEXPIREAT k 10",
    "TTL k",
    "PTTL k",
    "EXPIRETIME k",
    "PEXPIRETIME k",
    "PERSIST k",
    "SETBIT k 1 1",
    "GETBIT k 1",
    "BITCOUNT k 0 -1 BIT",
    "BITPOS k 1 0 -1",
    "BITOP AND dest a b c",
    "BITFIELD k GET u8 0 SET i8 0 1",
    "BITFIELD k GET u8 0 OVERFLOW SAT GET i8 1",
    "BITFIELD k",
    "BITFIELD k GET",
    "BITFIELD k FOO x y",
    "BITFIELD_RO k GET u8 0",
    "PFADD k a b",
    "PFCOUNT a b c",
    "PFMERGE dest a b",
    "PFDEBUG ENCODING k",
];

#[test]
fn getkeys_matches_redis() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut ours = p.ours.raw();
    let have = command_list(&mut ours);
    let mut script = String::from(
        "COMMAND GETKEYS\n\
         COMMAND GETKEYS GET\n\
         COMMAND GETKEYS nosuch a b\n\
         COMMAND GETKEYS PING x y\n\
         COMMAND GETKEYS COMMAND INFO x\n\
         COMMAND GETKEYS COMMAND nosuch x\n\
         COMMAND GETKEYSANDFLAGS nosuch a\n\
         COMMAND GETKEYS GET a b\n\
         COMMAND GETKEYS MSET a\n\
         COMMAND GETKEYSANDFLAGS MSET a 1 b 2\n\
         COMMAND GETKEYS ZUNIONSTORE d 5 a b\n\
         COMMAND GETKEYS ZUNIONSTORE d 0 a b\n\
         COMMAND GETKEYS ZUNIONSTORE d -1 a b\n\
         COMMAND GETKEYS ZUNIONSTORE d x a b\n\
         COMMAND GETKEYSANDFLAGS ZINTERSTORE d 3 a b\n\
         COMMAND GETKEYS SINTERCARD 2 a\n\
         COMMAND GETKEYS SINTERCARD 0 a\n\
         COMMAND GETKEYS ZDIFF 2 a\n\
         COMMAND GETKEYS ZINTERCARD 3 a b\n\
         COMMAND GETKEYS LMPOP 0 a LEFT\n\
         COMMAND GETKEYS LMPOP 3 a b LEFT\n",
    );
    for req in GETKEYS_REQUESTS {
        let argv = diff::split(req);
        let mut name = String::from_utf8_lossy(&argv[0]).to_lowercase();
        if argv.len() > 1 && (name == "object" || name == "config" || name == "client") {
            name = format!("{name}|{}", String::from_utf8_lossy(&argv[1]).to_lowercase());
        }
        if have.contains(&name) {
            script.push_str(&format!("COMMAND GETKEYS {req}\nCOMMAND GETKEYSANDFLAGS {req}\n"));
        }
    }
    p.check(&script);
}

#[test]
fn count_list_and_info_agree() {
    let Some(p) = Pair::start(&[]) else { return };
    let mut c = p.ours.raw();
    let names = command_list(&mut c);
    let top = names.iter().filter(|n| !n.contains('|')).count() as i64;
    let count = c.cmd(&["COMMAND", "COUNT"]).expect("COUNT").as_str();
    assert_eq!(count, top.to_string());
    let all = parse_reply(&c.cmd_bytes(&["COMMAND"]).expect("COMMAND"));
    let Node::Agg(_, entries) = &all else { panic!("COMMAND is not an array") };
    assert_eq!(entries.len() as i64, top);
    let info_all = parse_reply(&c.cmd_bytes(&["COMMAND", "INFO"]).expect("COMMAND INFO"));
    assert_eq!(all, info_all);
    for n in &names {
        let r = c.cmd_bytes(&["COMMAND", "INFO", n]).expect("INFO");
        assert!(!r.starts_with(b"*1\r\n*-1"), "COMMAND LIST names {n} but COMMAND INFO does not know it");
    }
    let get_like = bulk_strings(&c.cmd_bytes(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "command|*"]).expect("LIST"));
    let mut expected: Vec<String> = names.iter().filter(|n| n.starts_with("command|")).cloned().collect();
    let mut got = get_like.clone();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    let conn = bulk_strings(&c.cmd_bytes(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection"]).expect("LIST"));
    assert!(conn.contains(&"ping".to_string()) && !conn.contains(&"get".to_string()), "{conn:?}");

    p.check(
        r#"
        COMMAND HELP
        COMMAND COUNT x
        COMMAND foo
        COMMAND LIST x
        COMMAND LIST FILTERBY
        COMMAND LIST FILTERBY foo x
        COMMAND LIST FILTERBY MODULE x
        COMMAND LIST FILTERBY ACLCAT nosuch
        COMMAND LIST FILTERBY PATTERN nosuchcommand*
        COMMAND INFO nosuch
        COMMAND INFO get nosuch command|count
        COMMAND DOCS nosuch
        COMMAND DOCS nosuch get
        COMMAND DOCS GET command|COUNT
        "#,
    );
}
