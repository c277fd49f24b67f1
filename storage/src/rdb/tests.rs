//! Round trips through the writer and reader, hand-built files of older versions, and a
//! fuzz of corrupted files (errors, never panics).

use proptest::prelude::*;

use super::*;
use crate::digest::{hex, DatasetDigest};
use crate::types::hash::{Hash, Limits};
use crate::types::list::{End, List};
use crate::types::set::SetValue;
use crate::types::stream::{NodeLimits, Stream, StreamId, Trim};
use crate::types::zset::ZSet;
use crate::value::Value;

fn sample_values() -> Vec<(Vec<u8>, Value, Option<i64>)> {
    let mut out = Vec::new();
    let mut add = |k: &str, v: Value, e: Option<i64>| out.push((k.as_bytes().to_vec(), v, e));
    add("int", Value::string(b"12345"), None);
    add("bigint", Value::string(b"-9223372036854775808"), Some(4_000_000_000_000));
    add("short", Value::string(b"hello"), None);
    add("long", Value::string(&b"abcdefghij".repeat(30)), None);
    add("random", Value::string(&(0..200u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<_>>()), None);
    let mut l = List::new();
    for i in 0..3000 {
        l.push(End::Right, format!("element-{i}").as_bytes());
        l.push(End::Right, i.to_string().as_bytes());
    }
    l.push(End::Right, &vec![b'z'; 10000]);
    add("list", Value::List(Box::new(l)), None);
    let mut s = SetValue::empty_intset();
    for i in [-70000i64, -3, 0, 5, 1 << 40] {
        s.add(i.to_string().as_bytes(), 512);
    }
    add("intset", Value::Set(Box::new(s)), None);
    let mut s = SetValue::empty_intset();
    for i in 0..100 {
        s.add(format!("m{i}").as_bytes(), 512);
    }
    add("set", Value::Set(Box::new(s)), None);
    let mut h = Hash::new();
    for i in 0..10 {
        h.set(format!("f{i}").as_bytes(), i.to_string().as_bytes(), Limits::default());
    }
    add("smallhash", Value::Hash(Box::new(h)), None);
    let mut h = Hash::new();
    for i in 0..1000 {
        h.set(format!("f{i}").as_bytes(), format!("value{i}").as_bytes(), Limits::default());
    }
    add("bighash", Value::Hash(Box::new(h)), Some(1));
    let mut z = ZSet::default();
    for (i, s) in [1.5, -0.0, 3.0, f64::INFINITY, f64::NEG_INFINITY, 1e300, 0.1].iter().enumerate() {
        z.insert(*s, format!("m{i}").as_bytes(), 128, 64);
    }
    add("smallzset", Value::ZSet(Box::new(z)), None);
    let mut z = ZSet::default();
    for i in 0..500 {
        z.insert(f64::from(i) / 3.0, format!("m{i}").as_bytes(), 128, 64);
    }
    add("bigzset", Value::ZSet(Box::new(z)), None);
    add("stream", Value::Stream(Box::new(sample_stream())), None);
    add("emptystream", Value::Stream(Box::new(Stream::new())), None);
    out
}

/// A stream of several nodes with tombstones, fields that differ from the master
/// entry's, integer values, and two groups with pending entries and consumers.
fn sample_stream() -> Stream {
    let mut s = Stream::new();
    let limits = NodeLimits { max_bytes: 200, max_entries: 5 };
    for i in 1..=23u64 {
        let pairs: Vec<Vec<u8>> = if i % 4 == 0 {
            vec![b"other".to_vec(), format!("x{i}").into_bytes(), b"n".to_vec(), i.to_string().into_bytes()]
        } else {
            vec![b"f".to_vec(), format!("value-{i}").into_bytes(), b"n".to_vec(), (i * 1000).to_string().into_bytes()]
        };
        s.append(StreamId::new(1000 + i / 3, i % 3), &pairs, limits).unwrap();
    }
    s.delete_ids(&[StreamId::new(1001, 1), StreamId::new(1003, 0), StreamId::new(1007, 2)]);
    s.trim(Trim::MaxLen(18), false, 0);
    s.create_group(b"g1", StreamId::new(1004, 0), Some(9));
    s.create_group(b"123", StreamId::MIN, None);
    let g = s.group_mut(b"g1").unwrap();
    g.create_consumer(b"alice", 1_700_000_000_123);
    g.create_consumer(b"bob", 1_700_000_000_456);
    g.create_consumer(b"idle", 5);
    g.deliver(StreamId::new(1002, 0), b"alice", 1_700_000_001_000);
    g.deliver(StreamId::new(1002, 1), b"bob", 1_700_000_002_000);
    g.deliver(StreamId::new(1004, 0), b"alice", 1_700_000_003_000);
    g.claim(StreamId::new(1002, 1), b"bob", 1_700_000_004_000, None, false);
    s
}

fn digest_of(keys: &[(usize, Vec<u8>, Value, Option<i64>)]) -> String {
    let mut d = DatasetDigest::default();
    let mut dbs: Vec<usize> = keys.iter().map(|k| k.0).collect();
    dbs.sort_unstable();
    dbs.dedup();
    for db in dbs {
        d.begin_db(db as u32);
        for (kdb, k, v, e) in keys {
            if *kdb == db {
                d.add(k, v, e.is_some());
            }
        }
    }
    hex(&d.finish())
}

fn write_file(keys: &[(usize, Vec<u8>, Value, Option<i64>)], opts: WriteOptions, checksum: bool) -> Vec<u8> {
    let mut w = Writer::new(Vec::new(), opts);
    w.header(&SaveInfo { redis_ver: "7.0.15".into(), ctime: 1_700_000_000, used_mem: 1 << 20, repl: None, aof_base: false }).unwrap();
    w.function(b"#!lua name=lib\nredis.register_function('f', function() return 1 end)").unwrap();
    for db in [0usize, 3] {
        let here: Vec<_> = keys.iter().filter(|k| k.0 == db).collect();
        w.select_db(db, here.len(), here.iter().filter(|k| k.3.is_some()).count()).unwrap();
        for (_, k, v, e) in here {
            w.key(k, v, *e).unwrap();
        }
    }
    w.finish(checksum).unwrap()
}

type Keys = Vec<(usize, Vec<u8>, Value, Option<i64>)>;

fn read_all(data: &[u8]) -> Result<(Keys, LoadSummary), RdbError> {
    let mut keys = Vec::new();
    let s = load(data, &LoadLimits::default(), |k| {
        keys.push((k.db, k.key, k.value, k.expire_ms));
        Ok(())
    })?;
    Ok((keys, s))
}

fn sample_dataset() -> Vec<(usize, Vec<u8>, Value, Option<i64>)> {
    let mut keys: Vec<_> = sample_values().into_iter().map(|(k, v, e)| (0, k, v, e)).collect();
    keys.push((3, b"other".to_vec(), Value::string(b"db3"), None));
    keys
}

#[test]
fn file_round_trip_keeps_digest_and_encodings() {
    let keys = sample_dataset();
    for compress in [true, false] {
        let file = write_file(&keys, WriteOptions { compress, list_fill: -2 }, true);
        assert!(file.starts_with(b"REDIS0010"));
        let (back, summary) = read_all(&file).unwrap();
        assert_eq!(digest_of(&back), digest_of(&keys));
        assert_eq!(summary.functions.len(), 1);
        assert_eq!(summary.aux_value(b"redis-ver"), Some(b"7.0.15".as_slice()));
        assert_eq!(summary.aux_value(b"redis-bits"), Some(b"64".as_slice()));
        for ((_, k1, v1, _), (_, k2, v2, _)) in keys.iter().zip(back.iter()) {
            assert_eq!(k1, k2);
            assert_eq!(v1.encoding_name(), v2.encoding_name(), "{}", String::from_utf8_lossy(k1));
        }
    }
}

#[test]
fn checksum_zero_is_not_checked_and_a_wrong_one_is() {
    let keys = sample_dataset();
    let mut file = write_file(&keys, WriteOptions::default(), false);
    assert_eq!(&file[file.len() - 8..], &[0; 8]);
    read_all(&file).unwrap();
    let n = file.len();
    file[n - 1] = 1;
    let e = read_all(&file).unwrap_err();
    assert!(e.reason.starts_with("Wrong RDB checksum"), "{e}");
    assert_eq!(e.offset as usize, n - 8);
}

#[test]
fn dump_payload_round_trip() {
    for (_, v, _) in sample_values() {
        let p = dump_payload(&v, &WriteOptions::default());
        assert!(verify_dump_payload(&p, false));
        let back = load_dump_payload(&p, &LoadLimits::default()).unwrap();
        assert_eq!(crate::digest::value_digest(&back, false), crate::digest::value_digest(&v, false));
        let mut bad = p.clone();
        bad[0] ^= 0x40;
        assert!(!verify_dump_payload(&bad, false));
    }
    // Payload bytes of redis-server 7.0.15: DUMP of SET k hello / SET k 5.
    assert_eq!(dump_payload(&Value::string(b"hello"), &WriteOptions::default())[..8], [0, 5, b'h', b'e', b'l', b'l', b'o', 10]);
    assert_eq!(dump_payload(&Value::string(b"5"), &WriteOptions::default())[..4], [0, 0xC0, 5, 10]);
}

/// Builds the file of an older Redis from the documented format.
fn old_file(version: u16, body: &[u8]) -> Vec<u8> {
    let mut f = format!("REDIS{version:04}").into_bytes();
    f.extend_from_slice(body);
    f.push(opcodes::EOF);
    if version >= 5 {
        let crc = crc64::crc64(0, &f);
        f.extend_from_slice(&crc.to_le_bytes());
    }
    f
}

fn key_entry(t: u8, key: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = vec![t];
    write::write_string(&mut v, key, false);
    v.extend_from_slice(body);
    v
}

fn blob(b: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    write::write_string(&mut v, b, false);
    v
}

#[test]
fn old_versions_and_encodings_load() {
    use listpack::LpEntry::{Int, Str};
    let mut body = vec![opcodes::SELECTDB, 0];
    // Redis 2.x plain list, set, hash and the old ZSET with string scores.
    let mut list = vec![2];
    list.extend(blob(b"a"));
    list.extend(blob(b"b"));
    body.extend(key_entry(types::LIST, b"plainlist", &list));
    let mut zset = vec![2];
    zset.extend(blob(b"x"));
    zset.extend_from_slice(&[3, b'1', b'.', b'5']);
    zset.extend(blob(b"y"));
    zset.push(255);
    body.extend(key_entry(types::ZSET, b"oldzset", &zset));
    body.extend(key_entry(types::HASH_ZIPMAP, b"zipmap", &blob(&zipmap::encode(&[(b"f", b"v"), (b"n", b"1")]))));
    body.extend(key_entry(types::LIST_ZIPLIST, b"ziplist", &blob(&ziplist::encode(&[Str(b"a"), Int(7), Int(-100000)]))));
    body.extend(key_entry(types::HASH_ZIPLIST, b"hashzl", &blob(&ziplist::encode(&[Str(b"f"), Int(1), Str(b"g"), Str(b"x")]))));
    body.extend(key_entry(types::ZSET_ZIPLIST, b"zsetzl", &blob(&ziplist::encode(&[Str(b"m"), Int(2), Str(b"n"), Str(b"2.5")]))));
    let mut ql = vec![2];
    ql.extend(blob(&ziplist::encode(&[Str(b"q1"), Int(2)])));
    ql.extend(blob(&ziplist::encode(&[Str(b"q3")])));
    body.extend(key_entry(types::LIST_QUICKLIST, b"quicklist", &ql));
    // Seconds expiry (version 1..) before a key.
    body.push(opcodes::EXPIRETIME);
    body.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    body.extend(key_entry(types::STRING, b"withttl", &blob(b"v")));
    // An empty list is skipped.
    body.extend(key_entry(types::LIST, b"empty", &[0]));
    for version in [3u16, 6, 9] {
        let f = old_file(version, &body);
        let (keys, s) = read_all(&f).unwrap();
        assert_eq!(s.empty_keys_skipped, 1);
        let get = |k: &[u8]| keys.iter().find(|x| x.1 == k).unwrap();
        let items = |v: &Value| match v {
            Value::List(l) => l.iter().map(|e| e.to_vec()).collect::<Vec<_>>(),
            _ => panic!("not a list"),
        };
        assert_eq!(items(&get(b"plainlist").2), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(items(&get(b"ziplist").2), [b"a".to_vec(), b"7".to_vec(), b"-100000".to_vec()]);
        assert_eq!(items(&get(b"quicklist").2), [b"q1".to_vec(), b"2".to_vec(), b"q3".to_vec()]);
        match &get(b"oldzset").2 {
            Value::ZSet(z) => assert_eq!(z.iter().map(|(s, m)| (s, m.to_vec())).collect::<Vec<_>>(), [(f64::NEG_INFINITY, b"y".to_vec()), (1.5, b"x".to_vec())]),
            _ => panic!(),
        }
        match &get(b"zsetzl").2 {
            Value::ZSet(z) => assert_eq!(z.score(b"n"), Some(2.5)),
            _ => panic!(),
        }
        match &get(b"zipmap").2 {
            Value::Hash(h) => assert_eq!(h.get(b"n"), Some(b"1".as_slice())),
            _ => panic!(),
        }
        match &get(b"hashzl").2 {
            Value::Hash(h) => assert_eq!((h.get(b"f"), h.encoding_name()), (Some(b"1".as_slice()), "listpack")),
            _ => panic!(),
        }
        assert_eq!(get(b"withttl").3, Some(2_000_000_000_000));
    }
}

#[test]
fn unknown_types_are_clear_errors() {
    let mut body = vec![opcodes::SELECTDB, 0];
    body.extend(key_entry(types::STRING, b"ok", &blob(b"v")));
    let module_at = 9 + body.len(); // the type byte
    body.extend(key_entry(types::MODULE_2, b"m", &[0, 0, 0]));
    let e = read_all(&old_file(10, &body)).unwrap_err();
    assert_eq!((e.kind, e.offset as usize, e.reason.as_str()), (RdbErrorKind::Unsupported, module_at, "module value types are not supported"));
    let e = read_all(b"REDIS0011\xff").unwrap_err();
    assert_eq!(e.reason, "Can't handle RDB format version 11");
    let e = read_all(b"RUDIS0010\xff").unwrap_err();
    assert_eq!(e.reason, "Wrong signature trying to load DB from file");
}

/// Everything XINFO STREAM FULL shows, to compare streams field by field.
fn stream_view(s: &Stream) -> String {
    let mut out = format!("len={} last={} first={} maxdel={} added={} nodes={}\n", s.len(), s.last_id, s.first_id, s.max_deleted_id, s.entries_added, s.node_count());
    for n in s.raw_nodes() {
        out += &format!("{n:?}\n");
    }
    if let Some(groups) = &s.groups {
        for (name, g) in groups.iter() {
            out += &format!("{:?} {} {:?} {:?} {:?}\n", name, g.last_id, g.entries_read, g.pel, g.consumers);
        }
    }
    out
}

#[test]
fn streams_round_trip_whole() {
    let s = sample_stream();
    assert!(s.node_count() >= 4);
    let v = Value::Stream(Box::new(s.clone()));
    for compress in [true, false] {
        let p = dump_payload(&v, &WriteOptions { compress, list_fill: -2 });
        match load_dump_payload(&p, &LoadLimits::default()).unwrap() {
            Value::Stream(back) => assert_eq!(stream_view(&back), stream_view(&s)),
            _ => panic!("not a stream"),
        }
    }
}

/// The bytes of redis-server 7.0.15's `DUMP s` after `XADD s 1-1 a 1 b 2`,
/// `XADD s 2-1 a 1`, `XADD s 3-1 a 1 c 2`, `XDEL s 2-1` (checksum cut off).
#[test]
fn stream_dump_matches_redis() {
    let mut s = Stream::new();
    for (ms, pairs) in [(1, &["a", "1", "b", "2"][..]), (2, &["a", "1"][..]), (3, &["a", "1", "c", "2"][..])] {
        s.append(StreamId::new(ms, 1), pairs, NodeLimits::default()).unwrap();
    }
    s.delete_ids(&[StreamId::new(2, 1)]);
    let p = dump_payload(&Value::Stream(Box::new(s)), &WriteOptions::default());
    let hex: String = p[..p.len() - 8].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, REDIS_STREAM_DUMP);
}

const REDIS_STREAM_DUMP: &str = "13011000000000000000010000000000000001c33a404412440000001c00020101010201816102816202002009000020014011000520050001600b201b02010106200a401c602a201306630202010801ff0203010101020103000a00";

/// Redis 5/6's type 15 lacks the first ID, the maximum deleted ID, the entries-added
/// counter and the groups' read counters: they are derived as Redis 7.0 does.
#[test]
fn stream_type_15_loads() {
    let s = sample_stream();
    let mut v1 = Vec::new();
    write::write_len(&mut v1, s.node_count() as u64);
    for n in s.raw_nodes() {
        write::write_string(&mut v1, &n.master.to_be_bytes(), false);
        write::write_string(&mut v1, &stream::node_listpack(&n), false);
    }
    write::write_len(&mut v1, s.len());
    write::write_len(&mut v1, s.last_id.ms);
    write::write_len(&mut v1, s.last_id.seq);
    write::write_len(&mut v1, 1);
    write::write_string(&mut v1, b"g", false);
    write::write_len(&mut v1, 1002);
    write::write_len(&mut v1, 0);
    write::write_len(&mut v1, 0);
    write::write_len(&mut v1, 0);
    let mut p = vec![types::STREAM_LISTPACKS];
    p.extend_from_slice(&v1);
    p.extend_from_slice(&9u16.to_le_bytes());
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    let Value::Stream(back) = load_dump_payload(&p, &LoadLimits::default()).unwrap() else { panic!("not a stream") };
    assert_eq!(back.len(), s.len());
    assert_eq!(back.first_id, s.range(StreamId::MIN, StreamId::MAX, false).next().unwrap().id());
    assert_eq!((back.max_deleted_id, back.entries_added), (StreamId::MIN, s.len()));
    assert_eq!(back.group(b"g").unwrap().entries_read, back.estimate_distance(StreamId::new(1002, 0)));
}

fn group_payload(pel: &[(u64, u64)], consumers: &[(&str, &[(u64, u64)])]) -> Vec<u8> {
    let mut s = Stream::new();
    s.append(StreamId::new(1, 1), &["a", "1"], NodeLimits::default()).unwrap();
    let mut p = vec![types::STREAM_LISTPACKS_2];
    let mut body = Vec::new();
    stream::write_stream(&mut body, &s, false);
    // Replace the trailing empty group count with one hand-made group.
    body.pop();
    write::write_len(&mut body, 1);
    write::write_string(&mut body, b"g", false);
    body.extend_from_slice(&[0, 0, 0]);
    write::write_len(&mut body, pel.len() as u64);
    for &(ms, seq) in pel {
        body.extend_from_slice(&StreamId::new(ms, seq).to_be_bytes());
        body.extend_from_slice(&7i64.to_le_bytes());
        body.push(1);
    }
    write::write_len(&mut body, consumers.len() as u64);
    for (name, ids) in consumers {
        write::write_string(&mut body, name.as_bytes(), false);
        body.extend_from_slice(&7i64.to_le_bytes());
        write::write_len(&mut body, ids.len() as u64);
        for &(ms, seq) in *ids {
            body.extend_from_slice(&StreamId::new(ms, seq).to_be_bytes());
        }
    }
    p.extend_from_slice(&body);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64::crc64(0, &p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

#[test]
fn inconsistent_stream_groups_are_refused() {
    let ok = group_payload(&[(1, 1)], &[("c", &[(1, 1)])]);
    assert!(load_dump_payload(&ok, &LoadLimits::default()).is_ok());
    for (p, want) in [
        (group_payload(&[(1, 1)], &[("c", &[(1, 2)])]), "Consumer entry not found in group global PEL"),
        (group_payload(&[(1, 1), (1, 1)], &[("c", &[(1, 1)])]), "Duplicated global PEL entry loading stream consumer group"),
        (group_payload(&[(1, 1)], &[("c", &[(1, 1)]), ("d", &[(1, 1)])]), "Duplicated consumer PEL entry loading a stream consumer group"),
        (group_payload(&[(1, 1)], &[("c", &[(1, 1)]), ("c", &[])]), "Duplicate stream consumer detected"),
        (group_payload(&[(1, 1)], &[("c", &[])]), "Stream CG PEL entry without consumer"),
    ] {
        let e = load_dump_payload(&p, &LoadLimits::default()).unwrap_err();
        assert_eq!(e.reason, want);
        assert!(e.offset > 0 && (e.offset as usize) < p.len());
    }
}

#[test]
fn skippable_module_aux_is_skipped() {
    let mut body = vec![opcodes::MODULE_AUX];
    // Module id whose low 10 bits say "version 2", the when opcode (UINT) and value,
    // then a UINT, a STRING, a DOUBLE and the EOF opcode.
    write::write_len(&mut body, (12345 << 10) | 2);
    body.extend_from_slice(&[2, 2, 2, 7, 5]);
    body.extend(blob(b"payload"));
    body.extend_from_slice(&[4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    body.extend(key_entry(types::STRING, b"k", &blob(b"v")));
    let (keys, s) = read_all(&old_file(10, &body)).unwrap();
    assert_eq!((keys.len(), s.module_aux_skipped), (1, 1));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Flipped bytes and truncations give an error with an offset inside the file (or a
    /// load the checksum vouches for when the flip lands in an ignored place), never a
    /// panic.
    #[test]
    fn corrupt_files_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4), cut in any::<prop::sample::Index>(), truncate in any::<bool>(), checksum in any::<bool>()) {
        let keys = sample_dataset();
        let mut file = write_file(&keys, WriteOptions::default(), checksum);
        for (i, b) in flips {
            let i = i.index(file.len());
            file[i] ^= b;
        }
        if truncate {
            file.truncate(cut.index(file.len()));
        }
        let limits = LoadLimits { verify_checksum: false, ..LoadLimits::default() };
        if let Err(e) = load(&file, &limits, |_| Ok(())) {
            prop_assert!(e.offset as usize <= file.len());
        }
        if let Err(e) = load(&file, &LoadLimits::default(), |_| Ok(())) {
            prop_assert!(e.offset as usize <= file.len());
        }
    }

    /// The same for a DUMP payload of a stream, where every flip lands in the stream.
    #[test]
    fn corrupt_stream_payloads_never_panic(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let mut p = dump_payload(&Value::Stream(Box::new(sample_stream())), &WriteOptions { compress: false, list_fill: -2 });
        let body = p.len() - 10;
        for (i, b) in flips {
            p[i.index(body)] ^= b;
        }
        if truncate {
            p.truncate(cut.index(p.len()));
        }
        if let Err(e) = load_dump_payload(&p, &LoadLimits::default()) {
            prop_assert!(e.offset as usize <= p.len());
        }
    }

    #[test]
    fn corrupt_payloads_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300), t in 0u8..20) {
        let mut p = vec![t];
        p.extend(data);
        let _ = load_dump_payload(&p, &LoadLimits::default());
    }
}
