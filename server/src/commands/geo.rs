//! Geo commands (Redis's `geo.c`): positions stored as 52-bit geohash scores in a sorted
//! set. GEOADD is ZADD with computed scores (and is propagated as that ZADD, as Redis
//! rewrites it); searches scan the nine covering cells by score range in Redis's order.
//! The geohash arithmetic is in `rhodium_storage::types::geohash`.

use bytes::Bytes;
use rhodium_protocol::{ArgError, Args, ReplyWriter, Resp};
use rhodium_storage::types::geohash::{self, Shape, ShapeKind};
use rhodium_storage::types::zset::ZSet;
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, BeginSearch, CommandSpec, FindKeys, Group, KeySpec};
use super::zset::{parse_double, store_result};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

const fn keyword(word: &'static str, startfrom: i32) -> KeySpec {
    KeySpec { notes: "", flags: k::OW | k::UPDATE, begin: BeginSearch::Keyword { keyword: word, startfrom }, find: FindKeys::Range { lastkey: 0, step: 1, limit: 0 } }
}

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Geo, acl: acl::GEO, ..CommandSpec::DEFAULT };
    const W: u32 = f::WRITE | f::DENYOOM;
    const WM: u32 = f::WRITE | f::DENYOOM | f::MOVABLE_KEYS;
    const R: u32 = f::READONLY;
    static RW_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::UPDATE)];
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RADIUS: [KeySpec; 3] = [KeySpec::single(1, k::RO | k::ACCESS), keyword("STORE", 6), keyword("STOREDIST", 6)];
    static BYMEMBER: [KeySpec; 3] = [KeySpec::single(1, k::RO | k::ACCESS), keyword("STORE", 5), keyword("STOREDIST", 5)];
    static SEARCHSTORE: [KeySpec; 2] = [KeySpec::single(1, k::OW | k::UPDATE), KeySpec::single(2, k::RO | k::ACCESS)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "geoadd", since: "3.2.0", arity: -5, flags: W, key_specs: &RW_UPDATE, handler: Some(geoadd), ..S },
        CommandSpec { name: "geodist", since: "3.2.0", arity: -4, flags: R, key_specs: &RO_ACCESS, handler: Some(geodist), ..S },
        CommandSpec { name: "geohash", since: "3.2.0", arity: -2, flags: R, key_specs: &RO_ACCESS, handler: Some(geohash), ..S },
        CommandSpec { name: "geopos", since: "3.2.0", arity: -2, flags: R, key_specs: &RO_ACCESS, handler: Some(geopos), ..S },
        CommandSpec { name: "georadius", since: "3.2.0", arity: -6, flags: WM, key_specs: &RADIUS, handler: Some(georadius), ..S },
        CommandSpec { name: "georadiusbymember", since: "3.2.0", arity: -5, flags: WM, key_specs: &BYMEMBER, handler: Some(georadiusbymember), ..S },
        CommandSpec { name: "georadius_ro", since: "3.2.10", arity: -6, flags: R, key_specs: &RO_ACCESS, handler: Some(georadius_ro), ..S },
        CommandSpec { name: "georadiusbymember_ro", since: "3.2.10", arity: -5, flags: R, key_specs: &RO_ACCESS, handler: Some(georadiusbymember_ro), ..S },
        CommandSpec { name: "geosearch", since: "6.2.0", arity: -7, flags: R, key_specs: &RO_ACCESS, handler: Some(geosearch), ..S },
        CommandSpec { name: "geosearchstore", since: "6.2.0", arity: -8, flags: W, key_specs: &SEARCHSTORE, handler: Some(geosearchstore), ..S },
    ];
    SPECS
}

/// The sorted set under `key` without hit/miss accounting (the command's one counted
/// lookup happened already); WRONGTYPE for other types.
fn peek<'a>(ctx: &'a mut ExecCtx, key: &[u8]) -> Result<Option<&'a ZSet>, CommandError> {
    match ctx.keys.get(ctx.db, key)? {
        None => Ok(None),
        Some(Value::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(OpError::WrongType.into()),
    }
}

/// A longitude/latitude pair as `extractLongLatOrReply` reads it.
fn parse_lonlat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CommandError> {
    let lon = parse_double(lon).ok_or(ArgError::NotFloat)?;
    let lat = parse_double(lat).ok_or(ArgError::NotFloat)?;
    if !(geohash::LONG_MIN..=geohash::LONG_MAX).contains(&lon) || !(geohash::LAT_MIN..=geohash::LAT_MAX).contains(&lat) {
        return Err(CommandError::err(format!("invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// Meters per unit (`extractUnitOrReply`).
fn parse_unit(u: &[u8]) -> Result<f64, CommandError> {
    match u.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(CommandError::err("unsupported unit provided. please use M, KM, FT, MI")),
    }
}

/// A non-negative double, with Redis's message for a non-number.
fn parse_extent(a: &[u8], what: &str) -> Result<f64, CommandError> {
    parse_double(a).ok_or_else(|| CommandError::err(format!("need numeric {what}")))
}

/// `radius unit` → (radius, meters per unit).
fn parse_radius(r: &[u8], unit: &[u8]) -> Result<(f64, f64), CommandError> {
    let radius = parse_extent(r, "radius")?;
    if radius < 0.0 {
        return Err(CommandError::err("radius cannot be negative"));
    }
    Ok((radius, parse_unit(unit)?))
}

/// A distance as Redis prints it: four decimals, as a bulk string.
fn reply_distance(out: &mut ReplyWriter, d: f64) {
    out.bulk(format!("{d:.4}").as_bytes());
}

/// A coordinate as Redis's `addReplyHumanLongDouble` prints it: `%.17Lf` without trailing
/// zeros; a bulk string in RESP2, a double frame in RESP3.
fn reply_coord(out: &mut ReplyWriter, v: f64) {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
    }
    if s == "-0" {
        s = "0".into();
    }
    match out.resp() {
        Resp::V2 => out.bulk(s.as_bytes()),
        Resp::V3 => {
            let b = out.buffer_mut();
            b.push(b',');
            b.extend_from_slice(s.as_bytes());
            b.extend_from_slice(b"\r\n");
        }
    }
}

/// GEOADD key [NX|XX] [CH] lon lat member ...: rewritten into ZADD and run as ZADD, so the
/// replication stream carries the ZADD (Redis's `replaceClientCommandVector`).
fn geoadd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while let Some(opt) = argv.get(longidx) {
        match opt.to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => {}
            _ => break,
        }
        longidx += 1;
    }
    if !(argv.len() - longidx).is_multiple_of(3) || (xx && nx) {
        return Err(ArgError::Syntax.into());
    }
    let mut zadd: Vec<Bytes> = Vec::with_capacity(longidx + (argv.len() - longidx) / 3 * 2);
    zadd.push(Bytes::from_static(b"zadd"));
    zadd.extend_from_slice(&argv[1..longidx]);
    for triple in argv[longidx..].chunks(3) {
        let (lon, lat) = parse_lonlat(&triple[0], &triple[1])?;
        let score = geohash::encode_score(lon, lat).ok_or_else(|| CommandError::err(format!("invalid longitude,latitude pair {lon:.6},{lat:.6}")))?;
        zadd.push(Bytes::from(itoa::Buffer::new().format(score).to_owned()));
        zadd.push(triple[2].clone());
    }
    let handler = ctx.server.table.by_name(b"zadd").and_then(|r| r.spec.handler).ok_or_else(|| CommandError::err("ZADD is not available"))?;
    *args = Args::new(zadd);
    handler(ctx, args, out)
}

/// GEODIST key member1 member2 [unit]
fn geodist(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let a = args.next_arg()?;
    let b = args.next_arg()?;
    let to_meters = match args.argc() {
        5 => parse_unit(&args.next_arg()?)?,
        4 => 1.0,
        _ => return Err(ArgError::Syntax.into()),
    };
    let z = match ctx.lookup_read(&key)? {
        None => {
            out.null();
            return Ok(());
        }
        Some(Value::ZSet(z)) => z,
        Some(_) => return Err(OpError::WrongType.into()),
    };
    let points = (z.score(&a).and_then(geohash::decode_score), z.score(&b).and_then(geohash::decode_score));
    match points {
        (Some((lon1, lat1)), Some((lon2, lat2))) => reply_distance(out, geohash::distance(lon1, lat1, lon2, lat2) / to_meters),
        _ => out.null(),
    }
    Ok(())
}

/// GEOHASH key [member ...]
fn geohash(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let z = super::zset::read(ctx, &key)?;
    out.array(members.len());
    for m in &members {
        match z.and_then(|z| z.score(m)).and_then(geohash::geohash_string) {
            Some(h) => out.bulk(&h),
            None => out.null(),
        }
    }
    Ok(())
}

/// GEOPOS key [member ...]
fn geopos(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let members = args.rest().to_vec();
    let z = super::zset::read(ctx, &key)?;
    out.array(members.len());
    for m in &members {
        match z.and_then(|z| z.score(m)).and_then(geohash::decode_score) {
            Some((lon, lat)) => {
                out.array(2);
                reply_coord(out, lon);
                reply_coord(out, lat);
            }
            None => out.null_array(),
        }
    }
    Ok(())
}

// Search variants (Redis's RADIUS_* / GEOSEARCH* flags).
const COORDS: u8 = 1;
const MEMBER: u8 = 2;
const NOSTORE: u8 = 4;
const SEARCH: u8 = 8;
const SEARCHSTORE: u8 = 16;

fn georadius(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    search_generic(ctx, args, out, 1, COORDS)
}

fn georadiusbymember(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    search_generic(ctx, args, out, 1, MEMBER)
}

fn georadius_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    search_generic(ctx, args, out, 1, COORDS | NOSTORE)
}

fn georadiusbymember_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    search_generic(ctx, args, out, 1, MEMBER | NOSTORE)
}

fn geosearch(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    search_generic(ctx, args, out, 1, SEARCH)
}

fn geosearchstore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    search_generic(ctx, args, out, 2, SEARCH | SEARCHSTORE)
}

/// One point found by a search.
struct Point {
    member: Vec<u8>,
    score: f64,
    lon: f64,
    lat: f64,
    /// Meters from the centre until the reply divides it by the unit.
    dist: f64,
}

/// Result order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// The points of `z` inside `shape`, in Redis's scan order: cell by cell (the centre,
/// then N, S, E, W, NE, NW, SE, SW), each by ascending score. A cell equal to the one
/// scanned just before is skipped, except after the centre cell, as Redis's
/// `membersOfAllNeighbors` does. `limit` (COUNT ... ANY) stops early.
fn points_in_shape(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = shape.search_cells();
    let mut found = Vec::new();
    let mut last_processed = 0;
    let full = |found: &Vec<Point>| !found.is_empty() && limit > 0 && found.len() >= limit;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() || (last_processed != 0 && *cell == cells[last_processed]) {
            continue;
        }
        if full(&found) {
            break;
        }
        let (min, max) = cell.score_range();
        let (min, max) = (min as f64, max as f64);
        let start = z.count_before(|s, _| s < min);
        for (score, member) in z.iter_from(start) {
            if score >= max {
                break;
            }
            if let Some((lon, lat, dist)) = shape.contains(score) {
                found.push(Point { member: member.to_vec(), score, lon, lat, dist });
            }
            if full(&found) {
                break;
            }
        }
        last_processed = i;
    }
    found
}

/// The key a GEORADIUS[BYMEMBER] request stores into, as Redis's `georadiusGetKeys`
/// finds it (the last STORE/STOREDIST from argument 5 on).
fn radius_store_key(argv: &[Bytes]) -> Option<Bytes> {
    let mut found = None;
    let mut i = 5;
    while i < argv.len() {
        if (argv[i].eq_ignore_ascii_case(b"store") || argv[i].eq_ignore_ascii_case(b"storedist")) && i + 1 < argv.len() {
            found = Some(argv[i + 1].clone());
            i += 1;
        }
        i += 1;
    }
    found
}

/// Redis's `georadiusGeneric`: every search command, parsed in Redis's order so the same
/// error wins.
fn search_generic(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter, src_index: usize, flags: u8) -> CmdResult {
    let argv = args.argv().to_vec();
    if flags & (COORDS | MEMBER) != 0 && flags & NOSTORE == 0 {
        // The key specs find the first STORE keyword; the parser honours the last one.
        if let Some(dst) = radius_store_key(&argv) {
            let db = ctx.db;
            ctx.keys.relock([(db, dst)]);
        }
    }
    let src = argv[src_index].clone();
    let exists = super::zset::read(ctx, &src)?.is_some();
    let mut storekey: Option<Bytes> = None;
    let mut storedist = false;
    let mut center: Option<(f64, f64)> = None;
    let mut kind: Option<ShapeKind> = None;
    let mut conversion = 1.0;
    let base_args;
    if flags & COORDS != 0 {
        base_args = 6;
        center = Some(parse_lonlat(&argv[2], &argv[3])?);
        let (r, c) = parse_radius(&argv[4], &argv[5])?;
        kind = Some(ShapeKind::Radius(r));
        conversion = c;
    } else if flags & MEMBER != 0 {
        base_args = 5;
        if exists {
            let score = peek(ctx, &src)?.and_then(|z| z.score(&argv[2]));
            let Some(xy) = score.and_then(geohash::decode_score) else {
                return Err(CommandError::err("could not decode requested zset member"));
            };
            center = Some(xy);
            let (r, c) = parse_radius(&argv[3], &argv[4])?;
            kind = Some(ShapeKind::Radius(r));
            conversion = c;
        }
    } else {
        base_args = if flags & SEARCHSTORE != 0 { 3 } else { 2 };
        if flags & SEARCHSTORE != 0 {
            storekey = Some(argv[1].clone());
        }
    }

    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let rest = &argv[base_args.min(argv.len())..];
    let remaining = rest.len();
    let mut i = 0;
    while i < remaining {
        let arg = rest[i].to_ascii_lowercase();
        let search = flags & SEARCH != 0;
        let radius_store = flags & NOSTORE == 0 && !search;
        match arg.as_slice() {
            b"withdist" => withdist = true,
            b"withhash" => withhash = true,
            b"withcoord" => withcoords = true,
            b"any" => any = true,
            b"asc" => sort = Sort::Asc,
            b"desc" => sort = Sort::Desc,
            b"count" if i + 1 < remaining => {
                count = rhodium_protocol::number::parse_i64(&rest[i + 1]).ok_or(ArgError::NotInteger)?;
                if count <= 0 {
                    return Err(CommandError::err("COUNT must be > 0"));
                }
                i += 1;
            }
            b"store" if i + 1 < remaining && radius_store => {
                storekey = Some(rest[i + 1].clone());
                storedist = false;
                i += 1;
            }
            b"storedist" if i + 1 < remaining && radius_store => {
                storekey = Some(rest[i + 1].clone());
                storedist = true;
                i += 1;
            }
            b"storedist" if search && flags & SEARCHSTORE != 0 => storedist = true,
            b"frommember" if i + 1 < remaining && search && !fromloc => {
                if exists {
                    let score = peek(ctx, &src)?.and_then(|z| z.score(&rest[i + 1]));
                    let Some(xy) = score.and_then(geohash::decode_score) else {
                        return Err(CommandError::err("could not decode requested zset member"));
                    };
                    center = Some(xy);
                }
                frommember = true;
                i += 1;
            }
            b"fromlonlat" if i + 2 < remaining && search && !frommember => {
                center = Some(parse_lonlat(&rest[i + 1], &rest[i + 2])?);
                fromloc = true;
                i += 2;
            }
            b"byradius" if i + 2 < remaining && search && !bybox => {
                let (r, c) = parse_radius(&rest[i + 1], &rest[i + 2])?;
                kind = Some(ShapeKind::Radius(r));
                conversion = c;
                byradius = true;
                i += 2;
            }
            b"bybox" if i + 3 < remaining && search && !byradius => {
                let width = parse_extent(&rest[i + 1], "width")?;
                let height = parse_extent(&rest[i + 2], "height")?;
                if height < 0.0 || width < 0.0 {
                    return Err(CommandError::err("height or width cannot be negative"));
                }
                conversion = parse_unit(&rest[i + 3])?;
                kind = Some(ShapeKind::Box { width, height });
                bybox = true;
                i += 3;
            }
            _ => return Err(ArgError::Syntax.into()),
        }
        i += 1;
    }

    if storekey.is_some() && (withdist || withhash || withcoords) {
        let what = if flags & SEARCHSTORE != 0 { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(CommandError::err(format!("{what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")));
    }
    let name = String::from_utf8_lossy(&argv[0]).into_owned();
    if flags & SEARCH != 0 && !(frommember || fromloc) {
        return Err(CommandError::err(format!("exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if flags & SEARCH != 0 && !(byradius || bybox) {
        return Err(CommandError::err(format!("exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if any && count == 0 {
        return Err(CommandError::err("the ANY argument requires COUNT argument"));
    }

    let found = match (exists, center, kind) {
        (true, Some((lon, lat)), Some(kind)) => {
            if count != 0 && sort == Sort::None && !any {
                sort = Sort::Asc;
            }
            let shape = Shape { lon, lat, kind, conversion };
            let limit = if any { usize::try_from(count).unwrap_or(usize::MAX) } else { 0 };
            let z = peek(ctx, &src)?;
            z.map(|z| points_in_shape(z, &shape, limit)).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let mut found = found;
    if !exists {
        return match storekey {
            Some(dst) => store_result(ctx, &dst, Vec::new(), out),
            None => {
                out.array(0);
                Ok(())
            }
        };
    }
    let returned = if count == 0 { found.len() } else { found.len().min(usize::try_from(count).unwrap_or(usize::MAX)) };
    let mut by_dist = |a: &Point, b: &Point| {
        let c = a.dist.partial_cmp(&b.dist).unwrap_or(std::cmp::Ordering::Equal);
        if sort == Sort::Desc {
            c.reverse()
        } else {
            c
        }
    };
    if sort != Sort::None {
        if returned == found.len() {
            // Stable, as glibc's merge-sort qsort is, so equal distances keep scan order.
            found.sort_by(by_dist);
        } else {
            super::sort::partial_sort(&mut found, 0, returned as isize - 1, &mut by_dist);
        }
    }
    found.truncate(returned);

    if let Some(dst) = storekey {
        let items = found.into_iter().map(|p| (if storedist { p.dist / conversion } else { p.score }, p.member)).collect();
        return store_result(ctx, &dst, items, out);
    }
    let options = usize::from(withdist) + usize::from(withhash) + usize::from(withcoords);
    out.array(found.len());
    for p in &found {
        if options > 0 {
            out.array(options + 1);
        }
        out.bulk(&p.member);
        if withdist {
            reply_distance(out, p.dist / conversion);
        }
        if withhash {
            out.integer(p.score as i64);
        }
        if withcoords {
            out.array(2);
            reply_coord(out, p.lon);
            reply_coord(out, p.lat);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn geoadd_propagates_as_zadd_and_stores_propagate_verbatim() {
        let mut h = Harness::new();
        assert_eq!(h.run("GEOADD g CH 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"), ":2\r\n");
        assert_eq!(h.run("GEOADD g NX 13.361389 38.115556 Palermo"), ":0\r\n");
        assert_eq!(h.run("GEORADIUS g 15 37 200 km"), "*2\r\n$7\r\nPalermo\r\n$7\r\nCatania\r\n");
        assert_eq!(h.run("GEORADIUS g 15 37 200 km STORE d"), ":2\r\n");
        assert_eq!(h.run("GEOSEARCHSTORE e g FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST"), ":2\r\n");
        let got: Vec<String> = h.take().into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            got,
            [
                "zadd g CH 3479099956230698 Palermo 3479447370796909 Catania",
                "GEORADIUS g 15 37 200 km STORE d",
                "GEOSEARCHSTORE e g FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST",
            ]
        );
    }
}
