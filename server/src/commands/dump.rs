//! DUMP and RESTORE (Redis's `cluster.c` `dumpCommand` / `restoreCommand`): a value
//! serialised as in an RDB file, followed by the RDB version (2 bytes, little-endian) and a
//! CRC-64, so payloads move both ways between Rhodium and redis-server.

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{Args, ReplyWriter};
use rhodium_storage::clock::{lru_clock, LRU_CLOCK_MAX};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::rdb;
use rhodium_storage::OpError;

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::persistence;

pub fn specs() -> &'static [CommandSpec] {
    const G: CommandSpec = CommandSpec { group: Group::Generic, since: "2.6.0", acl: acl::KEYSPACE, ..CommandSpec::DEFAULT };
    static DUMP_KS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RESTORE_KS: [KeySpec; 1] = [KeySpec::single(1, k::OW | k::UPDATE)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "dump", arity: 2, flags: f::READONLY, key_specs: &DUMP_KS, tips: &["nondeterministic_output"], handler: Some(dump), ..G },
        CommandSpec { name: "restore", arity: -4, flags: f::WRITE | f::DENYOOM, acl: acl::KEYSPACE | acl::DANGEROUS, key_specs: &RESTORE_KS, handler: Some(restore), ..G },
    ];
    SPECS
}

/// DUMP key: the payload, or a null reply for a missing key.
fn dump(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.argv()[1].clone();
    let opts = persistence::write_options(&ctx.server.config());
    match ctx.lookup_read(&key)? {
        Some(v) => out.bulk(&rdb::dump_payload(v, &opts)),
        None => out.null(),
    }
    Ok(())
}

/// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency], with
/// Redis's order of checks: options, existing key, TTL, payload footer, payload body.
fn restore(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv: Vec<Bytes> = args.argv().to_vec();
    let (mut replace, mut absttl) = (false, false);
    let (mut idle, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < argv.len() {
        let a = &argv[j];
        let more = argv.len() - j - 1;
        if a.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"absttl") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"idletime") && more >= 1 && freq.is_none() {
            let v = parse_i64(&argv[j + 1]).ok_or(CommandError::Op(OpError::NotInteger))?;
            if v < 0 {
                return Err(CommandError::err("Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(v);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"freq") && more >= 1 && idle.is_none() {
            let v = parse_i64(&argv[j + 1]).ok_or(CommandError::Op(OpError::NotInteger))?;
            if !(0..=255).contains(&v) {
                return Err(CommandError::err("Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(v);
            j += 1;
        } else {
            return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
        }
        j += 1;
    }
    let key = argv[1].clone();
    if !replace && ctx.keys.exists(ctx.db, &key)? {
        return Err(CommandError::raw("BUSYKEY Target key name already exists."));
    }
    let mut ttl = parse_i64(&argv[2]).ok_or(CommandError::Op(OpError::NotInteger))?;
    if ttl < 0 {
        return Err(CommandError::err("Invalid TTL value, must be >= 0"));
    }
    let payload = &argv[3];
    let skip_crc = ctx.server.debug.skip_checksum_validation.load(std::sync::atomic::Ordering::Relaxed);
    if !rdb::verify_dump_payload(payload, skip_crc) {
        return Err(CommandError::err("DUMP payload version or checksum are wrong"));
    }
    let limits = persistence::load_limits(&ctx.server.config());
    let Ok(value) = rdb::load_dump_payload(payload, &limits) else {
        return Err(CommandError::err("Bad data format"));
    };
    let deleted = replace && ctx.delete_key(&key)?;
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(ctx.now);
    }
    if ttl != 0 && ttl <= ctx.now {
        // Already expired: the key is not created; a replaced key is deleted.
        if deleted {
            ctx.effect_parts(&[b"DEL".as_slice(), &key]);
            ctx.mark_dirty(1);
        }
        out.ok();
        return Ok(());
    }
    ctx.set_key(&key, value, if ttl != 0 { SetExpiry::At(ttl) } else { SetExpiry::Clear })?;
    if ttl != 0 && !absttl {
        // Propagate the TTL as an absolute time, as Redis rewrites the command.
        let mut eff = argv.clone();
        eff[2] = Bytes::from(ttl.to_string());
        eff.push(Bytes::from_static(b"ABSTTL"));
        ctx.effect(eff);
    }
    if let Some(idle) = idle {
        // Redis's objectSetLRUOrLFU (the LRU branch; FREQ only matters under an LFU policy).
        let clock = i64::from(lru_clock(ctx.now));
        let mut abs = clock - idle;
        if abs < 0 {
            abs = (clock + i64::from(LRU_CLOCK_MAX / 2)) % i64::from(LRU_CLOCK_MAX);
        }
        if let Some(e) = ctx.keys.get_entry(ctx.db, &key, false)? {
            e.touch(abs as u32);
        }
    }
    let _ = freq;
    ctx.mark_dirty(1);
    out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rhodium_protocol::{ReplyWriter, Resp};

    use crate::dispatch::execute;
    use crate::testkit::Harness;

    fn exec(h: &mut Harness, argv: &[&[u8]]) -> Vec<u8> {
        let mut out = ReplyWriter::new(Resp::V2);
        execute(&h.server, &mut h.client, argv.iter().map(|a| Bytes::copy_from_slice(a)).collect(), &mut out);
        out.as_bytes().to_vec()
    }

    /// The payload inside a bulk reply.
    fn bulk(reply: &[u8]) -> Vec<u8> {
        let nl = reply.iter().position(|&b| b == b'\n').unwrap();
        reply[nl + 1..reply.len() - 2].to_vec()
    }

    #[test]
    fn restore_propagates_an_absolute_ttl_and_del_for_a_past_one() {
        let mut h = Harness::new();
        h.run("SET k hello");
        let p = bulk(&exec(&mut h, &[b"DUMP", b"k"]));
        h.take();
        assert_eq!(exec(&mut h, &[b"RESTORE", b"r", b"100000", &p]), b"+OK\r\n");
        let (_, at) = h.value("r").unwrap();
        let at = at.unwrap();
        let prop = h.take();
        assert_eq!(prop.len(), 1);
        let expected_head = format!("RESTORE r {at} ");
        assert!(prop[0].1.starts_with(&expected_head) && prop[0].1.ends_with(" ABSTTL"), "{prop:?}");
        assert_eq!(exec(&mut h, &[b"RESTORE", b"r", b"0", &p, b"REPLACE"]), b"+OK\r\n");
        assert!(h.take()[0].1.ends_with(" REPLACE"));
        assert!(h.value("r").unwrap().1.is_none());
        // A TTL already in the past deletes the replaced key and propagates only a DEL.
        assert_eq!(exec(&mut h, &[b"RESTORE", b"r", b"1", &p, b"ABSTTL", b"REPLACE"]), b"+OK\r\n");
        assert_eq!(h.take(), vec![(0, "DEL r".to_string())]);
        assert!(h.value("r").is_none());
        // Errors propagate nothing.
        assert!(exec(&mut h, &[b"RESTORE", b"k", b"0", &p]).starts_with(b"-BUSYKEY"));
        assert!(h.take().is_empty());
    }
}
