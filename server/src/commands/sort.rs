//! SORT and SORT_RO (Redis's `sort.c`): sorting a list, set or sorted set by its elements
//! or by external keys (`BY weight_*`, `BY h_*->field`), fetching external values
//! (`GET`), and storing the result as a list.
//!
//! Locking: the BY and GET keys derive from the elements, so the key specs cannot name
//! them and dispatch locks only the sorted key and the STORE key. The handler reads the
//! elements, derives every key the patterns can touch, and adds the missing stripes with
//! [`rhodium_storage::Locked::relock`], then reads the elements again, until every derived
//! key is held. Deadlock freedom: `relock` either appends stripes that all come after every
//! held stripe in the global `(db, stripe)` order, or releases everything and takes the
//! union again in that order, so no thread ever waits for a stripe while holding a higher
//! one. Each round holds strictly more stripes, so there are at most `STRIPES + 1` rounds.
//! Nothing is written and no expired key is deleted before the final round (a source key
//! found expired has no elements and so needs no relock), so releasing the locks in
//! between loses no effect; the final round reads the elements under all the locks, so the
//! result is that of one atomic moment, as in Redis.

use std::cmp::Ordering;

use bytes::Bytes;
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::list::{End, List};
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use super::zset::parse_double;
use crate::dispatch::ExecCtx;
use crate::notify::class as ev;
use crate::error::{CmdResult, CommandError};

mod pqsort;

pub(crate) use pqsort::partial_sort;

const fn unknown(notes: &'static str, flags: u32) -> KeySpec {
    KeySpec { notes, flags, begin: BeginSearch::Unknown, find: FindKeys::Unknown }
}

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Generic, acl: acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS, ..CommandSpec::DEFAULT };
    const BY_GET: &str = "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort";
    const STORE: &str = "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array";
    static SORT_KS: [KeySpec; 3] = [KeySpec::single(1, k::RO | k::ACCESS), unknown(BY_GET, k::RO | k::ACCESS), unknown(STORE, k::OW | k::UPDATE)];
    static SORT_RO_KS: [KeySpec; 2] = [KeySpec::single(1, k::RO | k::ACCESS), unknown(BY_GET, k::RO | k::ACCESS)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "sort", since: "1.0.0", arity: -2, flags: f::WRITE | f::DENYOOM | f::MOVABLE_KEYS, key_specs: &SORT_KS, handler: Some(sort), getkeys: Some(sort_keys), ..S },
        CommandSpec { name: "sort_ro", since: "7.0.0", arity: -2, flags: f::READONLY | f::MOVABLE_KEYS, key_specs: &SORT_RO_KS, handler: Some(sort_ro), getkeys: Some(sort_ro_keys), ..S },
    ];
    SPECS
}

/// Redis's `sortGetKeys`: the sorted key, and the key after the last STORE (options with
/// arguments are skipped so their arguments are not mistaken for STORE).
fn sort_keys(argv: &[Bytes]) -> Vec<usize> {
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    std::iter::once(1).chain(store).collect()
}

/// SORT_RO has only the sorted key.
fn sort_ro_keys(argv: &[Bytes]) -> Vec<usize> {
    if argv.len() > 1 {
        vec![1]
    } else {
        Vec::new()
    }
}

fn sort(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    sort_generic(ctx, args, out, false)
}

fn sort_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    sort_generic(ctx, args, out, true)
}

/// A BY or GET pattern, split once (Redis's `lookupKeyByPattern` does it per element).
#[derive(Clone)]
enum Pattern {
    /// `#`: the element itself.
    Element,
    /// No `*`: nothing to look up.
    Constant,
    /// `prefix*suffix`, optionally `->field` of a hash.
    Key { prefix: Vec<u8>, suffix: Vec<u8>, field: Option<Vec<u8>> },
}

impl Pattern {
    fn parse(p: &[u8]) -> Pattern {
        if p == b"#" {
            return Pattern::Element;
        }
        // Redis works on C strings: nothing after a NUL byte is seen.
        let p = &p[..p.iter().position(|&c| c == 0).unwrap_or(p.len())];
        let Some(star) = p.iter().position(|&c| c == b'*') else {
            return Pattern::Constant;
        };
        let after = &p[star + 1..];
        let arrow = after.windows(2).position(|w| w == b"->").filter(|&a| a + 2 < after.len());
        let (suffix, field) = match arrow {
            Some(a) => (after[..a].to_vec(), Some(after[a + 2..].to_vec())),
            None => (after.to_vec(), None),
        };
        Pattern::Key { prefix: p[..star].to_vec(), suffix, field }
    }

    /// The key this pattern names for `element`, if it names one.
    fn key_for(&self, element: &[u8]) -> Option<Vec<u8>> {
        match self {
            Pattern::Key { prefix, suffix, .. } => {
                let mut k = Vec::with_capacity(prefix.len() + element.len() + suffix.len());
                k.extend_from_slice(prefix);
                k.extend_from_slice(element);
                k.extend_from_slice(suffix);
                Some(k)
            }
            _ => None,
        }
    }

    /// The value the pattern yields for `element` (Redis's `lookupKeyByPattern`): a string
    /// key's value, a hash field, the element itself, or nothing.
    fn lookup(&self, ctx: &mut ExecCtx, element: &[u8]) -> Result<Option<Vec<u8>>, CommandError> {
        let Some(key) = self.key_for(element) else {
            return Ok(matches!(self, Pattern::Element).then(|| element.to_vec()));
        };
        let field = match self {
            Pattern::Key { field, .. } => field.clone(),
            _ => None,
        };
        Ok(match (ctx.lookup_read(&key)?, field) {
            (Some(Value::Hash(h)), Some(field)) => h.get(&field).map(<[u8]>::to_vec),
            (Some(v), None) => v.string_bytes().map(|b| b.into_owned()),
            _ => None,
        })
    }
}

/// What the sorted key holds, as SORT sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Missing,
    List,
    Set,
    ZSet,
}

/// The elements of the sorted key, in its native order (list order, set iteration order,
/// sorted-set order).
fn load(ctx: &mut ExecCtx, key: &[u8], counted: bool) -> Result<(Source, Vec<Vec<u8>>), CommandError> {
    let v = if counted { ctx.lookup_read(key)? } else { ctx.keys.get(ctx.db, key)? };
    Ok(match v {
        None => (Source::Missing, Vec::new()),
        Some(Value::List(l)) => (Source::List, l.iter().map(<[u8]>::to_vec).collect()),
        Some(Value::Set(s)) => (Source::Set, s.iter().map(|m| m.into_owned()).collect()),
        Some(Value::ZSet(z)) => (Source::ZSet, z.iter().map(|(_, m)| m.to_vec()).collect()),
        Some(_) => return Err(OpError::WrongType.into()),
    })
}

/// C's `strtod` as SORT applies it to a whole value: the text up to a NUL byte, leading
/// white space allowed, nothing left over, no overflow, no NaN. An empty text reads as 0
/// (strtod consumes nothing and stops at the terminator).
fn sort_score(v: &[u8]) -> Option<f64> {
    let v = &v[..v.iter().position(|&c| c == 0).unwrap_or(v.len())];
    if v.is_empty() {
        return Some(0.0);
    }
    let start = v.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')).unwrap_or(v.len());
    parse_double(&v[start..])
}

/// Compares as C's `strcoll` in the C locale: up to the first NUL byte.
fn c_string_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| s.iter().position(|&c| c == 0).unwrap_or(s.len());
    a[..cut(a)].cmp(&b[..cut(b)])
}

/// One element being sorted, with what it is sorted by.
struct Item {
    element: Vec<u8>,
    score: f64,
    by: Option<Vec<u8>>,
}

/// Parsed options.
struct Options {
    desc: bool,
    alpha: bool,
    limit: (i64, i64),
    store: Option<Bytes>,
    by: Option<Pattern>,
    dontsort: bool,
    gets: Vec<Pattern>,
}

/// Parses SORT's SQL-like options in Redis's order (the first problem wins).
fn parse_options(argv: &[Bytes], readonly: bool) -> Result<Options, CommandError> {
    let mut o = Options { desc: false, alpha: false, limit: (0, -1), store: None, by: None, dontsort: false, gets: Vec::new() };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j].to_ascii_lowercase();
        match a.as_slice() {
            b"asc" => o.desc = false,
            b"desc" => o.desc = true,
            b"alpha" => o.alpha = true,
            b"limit" if left >= 2 => {
                let start = rhodium_protocol::number::parse_i64(&argv[j + 1]).ok_or(ArgError::NotInteger)?;
                let count = rhodium_protocol::number::parse_i64(&argv[j + 2]).ok_or(ArgError::NotInteger)?;
                o.limit = (start, count);
                j += 2;
            }
            b"store" if left >= 1 && !readonly => {
                o.store = Some(argv[j + 1].clone());
                j += 1;
            }
            b"by" if left >= 1 => {
                let p = &argv[j + 1];
                // A BY pattern without '*' is constant: nothing to sort by.
                o.dontsort = !p[..p.iter().position(|&c| c == 0).unwrap_or(p.len())].contains(&b'*');
                o.by = Some(Pattern::parse(p));
                j += 1;
            }
            b"get" if left >= 1 => {
                o.gets.push(Pattern::parse(&argv[j + 1]));
                j += 1;
            }
            _ => return Err(ArgError::Syntax.into()),
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's LIMIT clamping: the `start..=end` window of `len` elements (possibly empty,
/// `end < start`).
fn window(len: usize, (limit_start, limit_count): (i64, i64)) -> (i64, i64) {
    let len = len as i64;
    let mut start = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 { len - 1 } else { start + count - 1 };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

fn sort_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, readonly: bool) -> CmdResult {
    let argv = args.argv().to_vec();
    let mut o = parse_options(&argv, readonly)?;
    let key = argv[1].clone();
    let db = ctx.db;

    // Lock every key the patterns can name (see the module comment).
    let patterns: Vec<Pattern> = o.by.iter().filter(|_| !o.dontsort).chain(o.gets.iter()).cloned().collect();
    for _ in 0..=rhodium_storage::keyspace::STRIPES {
        let (_, elements) = load(ctx, &key, false)?;
        let missing: Vec<Vec<u8>> = elements.iter().flat_map(|e| patterns.iter().filter_map(|p| p.key_for(e))).filter(|k| !ctx.keys.holds(db, k)).collect();
        if missing.is_empty() {
            break;
        }
        ctx.keys.relock(missing.iter().map(|k| (db, k.as_slice())));
    }

    let (source, mut elements) = load(ctx, &key, true)?;
    // A set has no order of its own: when the result is stored (and so propagated), sort
    // it so replicas agree.
    if o.dontsort && source == Source::Set && o.store.is_some() {
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    if source == Source::ZSet && !readonly {
        // Redis converts a listpack sorted set to a skiplist for SORT.
        if let Some(Value::ZSet(z)) = ctx.lookup_write(&key)? {
            z.convert_to_skiplist();
        }
    }
    let (mut start, mut end) = window(elements.len(), o.limit);
    if o.dontsort && matches!(source, Source::List | Source::ZSet) {
        // Native order, reversed for DESC, only the window.
        if o.desc {
            elements.reverse();
        }
        let take = if end >= start { (end - start + 1) as usize } else { 0 };
        elements = elements.into_iter().skip(start.max(0) as usize).take(take).collect();
        end -= start;
        start = 0;
    }
    let mut items: Vec<Item> = elements.into_iter().map(|element| Item { element, score: 0.0, by: None }).collect();

    let mut conversion_error = false;
    if !o.dontsort {
        for it in &mut items {
            let by = match &o.by {
                Some(p) => match p.lookup(ctx, &it.element)? {
                    Some(v) => v,
                    None => continue,
                },
                None => it.element.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.by = Some(by);
                }
            } else {
                match sort_score(&by) {
                    Some(s) => it.score = s,
                    None => conversion_error = true,
                }
            }
        }
        let (alpha, by_pattern, storing, desc) = (o.alpha, o.by.is_some(), o.store.is_some(), o.desc);
        let text_cmp = |a: &[u8], b: &[u8]| if storing { a.cmp(b) } else { c_string_cmp(a, b) };
        let mut compare = |a: &Item, b: &Item| {
            let c = if !alpha {
                a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal).then_with(|| a.element.cmp(&b.element))
            } else if by_pattern {
                match (&a.by, &b.by) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) => text_cmp(x, y),
                }
            } else {
                text_cmp(&a.element, &b.element)
            };
            if desc {
                c.reverse()
            } else {
                c
            }
        };
        if by_pattern && (start != 0 || end != items.len() as i64 - 1) {
            // Redis sorts only the LIMIT window then; equal keys land where its partial
            // quicksort leaves them.
            partial_sort(&mut items, start as isize, end as isize, &mut compare);
        } else {
            // Stable, as glibc's merge-sort qsort is, so equal keys keep their loading order.
            items.sort_by(compare);
        }
    }
    if conversion_error {
        return Err(CommandError::err("One or more scores can't be converted into double"));
    }

    let selected: &[Item] = if end >= start { &items[start as usize..=end as usize] } else { &[] };
    let outputlen = if o.gets.is_empty() { selected.len() } else { selected.len() * o.gets.len() };
    match o.store.take() {
        None => {
            out.array(outputlen);
            for it in selected {
                if o.gets.is_empty() {
                    out.bulk(&it.element);
                }
                for g in &o.gets {
                    match g.lookup(ctx, &it.element)? {
                        Some(v) => out.bulk(&v),
                        None => out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut list = List::new();
            for it in selected {
                if o.gets.is_empty() {
                    list.push(End::Right, &it.element);
                }
                for g in &o.gets {
                    let v = g.lookup(ctx, &it.element)?.unwrap_or_default();
                    list.push(End::Right, &v);
                }
            }
            if outputlen > 0 {
                ctx.set_key(&dst, Value::List(Box::new(list)), SetExpiry::Clear)?;
                ctx.mark_dirty(outputlen as u64);
                ctx.notify(ev::LIST, "sortstore", &dst);
            } else if ctx.delete_key(&dst)? {
                ctx.mark_dirty(1);
                ctx.notify(ev::GENERIC, "del", &dst);
            }
            out.integer(outputlen as i64);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::Harness;

    #[test]
    fn patterns_split_as_redis() {
        assert!(matches!(Pattern::parse(b"#"), Pattern::Element));
        assert!(matches!(Pattern::parse(b"nosort"), Pattern::Constant));
        assert_eq!(Pattern::parse(b"w_*").key_for(b"3"), Some(b"w_3".to_vec()));
        match Pattern::parse(b"h_*_x->f->g") {
            Pattern::Key { prefix, suffix, field } => assert_eq!((prefix, suffix, field), (b"h_".to_vec(), b"_x".to_vec(), Some(b"f->g".to_vec()))),
            _ => panic!("not a key pattern"),
        }
        // A trailing arrow names no field.
        assert_eq!(Pattern::parse(b"k*->").key_for(b"1"), Some(b"k1->".to_vec()));
        assert_eq!(window(0, (0, -1)), (-1, -2));
        assert_eq!(window(5, (1, 2)), (1, 2));
        assert_eq!(window(5, (7, 2)), (4, 3));
        assert_eq!(sort_score(b" 1.5"), Some(1.5));
        assert_eq!(sort_score(b""), Some(0.0));
        assert_eq!(sort_score(b"1x"), None);
        assert_eq!(sort_score(b"1e400"), None);
    }

    #[test]
    fn store_propagates_the_request_and_plain_sort_nothing() {
        let mut h = Harness::new();
        h.run("RPUSH l 3 1 2");
        h.run("SET w_1 30");
        h.take();
        assert_eq!(h.run("SORT l"), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
        assert_eq!(h.run("SORT l BY w_* GET # STORE d"), ":3\r\n");
        let got: Vec<String> = h.take().into_iter().map(|(_, c)| c).collect();
        assert_eq!(got, ["SORT l BY w_* GET # STORE d"]);
    }
}
