//! HyperLogLog commands (Redis's `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and
//! PFSELFTEST. An HLL is a string value in Redis's exact byte layout
//! ([`rhodium_storage::types::hll`]), so GET, DUMP and replication see Redis's bytes.

use std::borrow::Cow;

use rhodium_protocol::{Args, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::bitmap::raw_for_write;
use rhodium_storage::types::hll;
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::notify::class as ev;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Hyperloglog, since: "2.8.9", acl: acl::HYPERLOGLOG, ..CommandSpec::DEFAULT };
    static PFADD_KS: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::INSERT)];
    static PFCOUNT_KS: [KeySpec; 1] = [KeySpec { notes: "RW because it may change the internal representation of the key, and propagate to replicas", ..KeySpec::range(1, -1, 1, k::RW | k::ACCESS) }];
    static PFMERGE_KS: [KeySpec; 2] = [KeySpec::single(1, k::RW | k::ACCESS | k::INSERT), KeySpec::range(2, -1, 1, k::RO | k::ACCESS)];
    static PFDEBUG_KS: [KeySpec; 1] = [KeySpec::single(2, k::RW | k::ACCESS)];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "pfadd", arity: -2, flags: f::WRITE | f::DENYOOM | f::FAST, key_specs: &PFADD_KS, handler: Some(pfadd), ..S },
        CommandSpec { name: "pfcount", arity: -2, flags: f::READONLY, key_specs: &PFCOUNT_KS, handler: Some(pfcount), ..S },
        CommandSpec { name: "pfmerge", arity: -2, flags: f::WRITE | f::DENYOOM, key_specs: &PFMERGE_KS, handler: Some(pfmerge), ..S },
        CommandSpec { name: "pfdebug", arity: 3, flags: f::WRITE | f::DENYOOM | f::ADMIN, key_specs: &PFDEBUG_KS, handler: Some(pfdebug), ..S },
        CommandSpec { name: "pfselftest", arity: 1, flags: f::ADMIN, handler: Some(pfselftest), ..S },
    ];
    SPECS
}

/// The error for a string that is not an HLL (Redis sends it without the `ERR` code).
fn not_hll() -> CommandError {
    CommandError::raw("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

fn corrupt() -> CommandError {
    CommandError::raw("INVALIDOBJ Corrupted HLL object detected")
}

/// Redis's `isHLLObjectOrReply`: the bytes of a valid HLL string.
fn hll_bytes(v: &Value) -> Result<Cow<'_, [u8]>, CommandError> {
    if !v.is_string() {
        return Err(OpError::WrongType.into());
    }
    // An int-encoded string is never an HLL (Redis requires an sds-encoded value).
    if matches!(v, Value::Int(_)) {
        return Err(not_hll());
    }
    let b = v.string_bytes().ok_or(OpError::WrongType)?;
    if !hll::is_valid(&b) {
        return Err(not_hll());
    }
    Ok(b)
}

/// Checks a value is an HLL and makes it `raw` (Redis's `dbUnshareStringValue`),
/// returning its buffer.
fn hll_buf(v: &mut Value) -> Result<&mut Vec<u8>, CommandError> {
    hll_bytes(v)?;
    Ok(raw_for_write(v, 0)?.0)
}

/// The `hll-sparse-max-bytes` directive.
fn sparse_max(ctx: &ExecCtx) -> usize {
    ctx.server.config().other.get("hll-sparse-max-bytes").and_then(|v| v.parse().ok()).unwrap_or(3000)
}

fn pfadd(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let key = &argv[1];
    let max = sparse_max(ctx);
    let mut updated = 0u64;
    if ctx.lookup_write(key)?.is_none() {
        ctx.set_key(key, Value::raw(hll::new_sparse()), SetExpiry::Clear)?;
        updated += 1;
    }
    let Some(v) = ctx.lookup_write(key)? else { return Err(OpError::NoSuchKey.into()) };
    let buf = hll_buf(v)?;
    for ele in &argv[2..] {
        // A corrupt HLL keeps the registers already raised, unpropagated, as in Redis.
        if hll::add(buf, ele, max).map_err(|_| corrupt())? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(buf);
        ctx.mark_dirty(updated);
        ctx.notify(ev::STRING, "pfadd", key);
    }
    out.integer(i64::from(updated > 0));
    Ok(())
}

fn pfcount(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    if argv.len() > 2 {
        // The cardinality of the union; nothing is written.
        let mut max = vec![0u8; hll::REGISTERS];
        for key in &argv[1..] {
            let Some(v) = ctx.lookup_read(key)? else { continue };
            hll::merge_into(&mut max, &hll_bytes(v)?).map_err(|_| corrupt())?;
        }
        out.integer(hll::count_raw(&max) as i64);
        return Ok(());
    }
    let key = &argv[1];
    match ctx.lookup_read(key)? {
        None => {
            out.integer(0);
            return Ok(());
        }
        Some(v) => {
            let b = hll_bytes(v)?;
            if let (Some(card), Value::Raw(_)) = (hll::cached(&b), v) {
                out.integer(card as i64);
                return Ok(());
            }
        }
    }
    // Writing the cache back (or making the value raw) needs the write lock; the key is
    // looked up again since other commands may have run meanwhile.
    ctx.keys.upgrade_to_write();
    let Some(v) = ctx.lookup_write(key)? else {
        out.integer(0);
        return Ok(());
    };
    let buf = hll_buf(v)?;
    let card = match hll::cached(buf) {
        Some(card) => card,
        None => {
            let card = hll::count(buf).map_err(|_| corrupt())?;
            hll::set_cached(buf, card);
            ctx.mark_dirty(1);
            // Redis propagates the read command itself, so replicas cache the same bytes.
            ctx.effect(argv.clone());
            card
        }
    };
    out.integer(card as i64);
    Ok(())
}

fn pfmerge(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let mut max = vec![0u8; hll::REGISTERS];
    let mut use_dense = false;
    for key in &argv[1..] {
        let Some(v) = ctx.lookup_read(key)? else { continue };
        let b = hll_bytes(v)?;
        use_dense |= hll::is_dense(&b);
        hll::merge_into(&mut max, &b).map_err(|_| corrupt())?;
    }
    let dest = &argv[1];
    if ctx.lookup_write(dest)?.is_none() {
        ctx.set_key(dest, Value::raw(hll::new_sparse()), SetExpiry::Clear)?;
    }
    let limit = sparse_max(ctx);
    let Some(v) = ctx.lookup_write(dest)? else { return Err(OpError::NoSuchKey.into()) };
    let buf = hll_buf(v)?;
    if use_dense {
        *buf = hll::to_dense(buf).map_err(|_| corrupt())?;
        hll::write_dense(buf, &max);
    } else {
        for (j, &m) in max.iter().enumerate() {
            // Redis ignores a corrupt destination here (it was validated by the merge).
            if m != 0 {
                let _ = hll::set_register(buf, j, m, limit);
            }
        }
    }
    hll::invalidate_cache(buf);
    ctx.mark_dirty(1);
    ctx.notify(ev::STRING, "pfadd", dest);
    out.ok();
    Ok(())
}

fn pfdebug(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let sub = args.next_arg()?;
    let key = args.next_arg()?;
    let Some(v) = ctx.lookup_write(&key)? else {
        return Err(CommandError::err("The specified key does not exist"));
    };
    let buf = hll_buf(v)?;
    let name = String::from_utf8_lossy(&sub).to_ascii_lowercase();
    match name.as_str() {
        "getreg" | "todense" => {
            let converted = !hll::is_dense(buf);
            if converted {
                *buf = hll::to_dense(buf).map_err(|_| corrupt())?;
            }
            if name == "getreg" {
                let regs = hll::registers(buf);
                out.array(regs.len());
                for r in regs {
                    out.integer(i64::from(r));
                }
            } else {
                out.integer(i64::from(converted));
            }
            if converted {
                // Redis forces propagation of the encoding change.
                ctx.mark_dirty(1);
            }
        }
        "decode" => match hll::decode(buf) {
            Some(text) => out.bulk(text.as_bytes()),
            None => return Err(CommandError::err("HLL encoding is not sparse")),
        },
        "encoding" => out.simple(if hll::is_dense(buf) { "dense" } else { "sparse" }),
        _ => {
            let shown = String::from_utf8_lossy(&sub).replace(['\r', '\n'], " ");
            return Err(CommandError::err(format!("Unknown PFDEBUG subcommand '{shown}'")));
        }
    }
    Ok(())
}

fn pfselftest(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    match hll::self_test() {
        Ok(()) => out.ok(),
        Err(e) => out.error(&format!("TESTFAILED {e}")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn pfcount_propagates_itself_when_it_writes_the_cache() {
        let mut h = Harness::new();
        assert_eq!(h.run("PFADD h a b c"), ":1\r\n");
        assert_eq!(h.run("PFADD h a"), ":0\r\n");
        assert_eq!(h.run("PFCOUNT h"), ":3\r\n");
        assert_eq!(h.run("PFCOUNT h"), ":3\r\n");
        assert_eq!(h.run("PFCOUNT h nokey"), ":3\r\n");
        assert_eq!(h.run("PFMERGE m h"), "+OK\r\n");
        assert_eq!(h.run("PFDEBUG TODENSE m"), ":1\r\n");
        assert_eq!(h.run("PFDEBUG TODENSE m"), ":0\r\n");
        assert_eq!(h.run("PFDEBUG ENCODING m"), "+dense\r\n");
        assert_eq!(h.propagated(), vec!["PFADD h a b c", "PFCOUNT h", "PFMERGE m h", "PFDEBUG TODENSE m"]);
    }

    #[test]
    fn cache_bytes_and_encoding_changes() {
        let mut h = Harness::new();
        h.run("PFADD h a");
        let stale = h.value("h").unwrap().0;
        let bytes = stale.string_bytes().unwrap().into_owned();
        assert_eq!(&bytes[..5], b"HYLL\x01");
        assert_eq!(bytes[15] & 0x80, 0x80, "PFADD marks the cached count stale");
        assert_eq!(h.run("PFCOUNT h"), ":1\r\n");
        let fresh = h.value("h").unwrap().0.string_bytes().unwrap().into_owned();
        assert_eq!(&fresh[8..16], &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(h.run("PFDEBUG GETREG h").lines().count(), 1 + 16384);
        assert_eq!(h.run("PFDEBUG GETREG h").lines().count(), 1 + 16384);
        assert_eq!(h.value("h").unwrap().0.string_len(), Some(16 + 12288));
        assert_eq!(h.run("PFMERGE h"), "+OK\r\n");
        assert_eq!(h.run("PFADD h"), ":0\r\n");
        h.run("SET s x");
        assert_eq!(h.run("PFADD s a"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n");
        assert_eq!(h.propagated(), vec!["PFADD h a", "PFCOUNT h", "PFDEBUG GETREG h", "PFMERGE h", "SET s x"]);
    }
}
