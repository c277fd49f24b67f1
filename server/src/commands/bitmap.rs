//! Bitmap commands (Redis's `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO. They work on string values, which grow in place (zero
//! padded) and become `raw` when written, as Redis's `dbUnshareStringValue` makes them.

use std::borrow::Cow;

use bytes::Bytes;
use rhodium_protocol::number::parse_i64;
use rhodium_protocol::{ArgError, Args, ReplyWriter};
use rhodium_storage::keyspace::SetExpiry;
use rhodium_storage::types::bitmap::{self as bm, BitOp, Overflow};
use rhodium_storage::types::string as st;
use rhodium_storage::{OpError, Value};

use super::spec::{acl, flags as f, keyflags as k, CommandSpec, Group, KeySpec};
use crate::dispatch::ExecCtx;
use crate::notify::class as ev;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Bitmap, acl: acl::BITMAP, ..CommandSpec::DEFAULT };
    const W: u32 = f::WRITE | f::DENYOOM;
    static RO_ACCESS: [KeySpec; 1] = [KeySpec::single(1, k::RO | k::ACCESS)];
    static RW_ACCESS_UPDATE: [KeySpec; 1] = [KeySpec::single(1, k::RW | k::ACCESS | k::UPDATE)];
    static BITOP_KS: [KeySpec; 2] = [KeySpec::single(2, k::OW | k::UPDATE), KeySpec::range(3, -1, 1, k::RO | k::ACCESS)];
    static BITFIELD_KS: [KeySpec; 1] = [KeySpec { notes: "This command allows both access and modification of the key", flags: k::RW | k::ACCESS | k::UPDATE | k::VARIABLE_FLAGS, ..KeySpec::single(1, 0) }];
    static SPECS: &[CommandSpec] = &[
        CommandSpec { name: "setbit", since: "2.2.0", arity: 4, flags: W, key_specs: &RW_ACCESS_UPDATE, handler: Some(setbit), ..S },
        CommandSpec { name: "getbit", since: "2.2.0", arity: 3, flags: f::READONLY | f::FAST, key_specs: &RO_ACCESS, handler: Some(getbit), ..S },
        CommandSpec { name: "bitcount", since: "2.6.0", arity: -2, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(bitcount), ..S },
        CommandSpec { name: "bitpos", since: "2.8.7", arity: -3, flags: f::READONLY, key_specs: &RO_ACCESS, handler: Some(bitpos), ..S },
        CommandSpec { name: "bitop", since: "2.6.0", arity: -4, flags: W, key_specs: &BITOP_KS, handler: Some(bitop), ..S },
        CommandSpec { name: "bitfield", since: "3.2.0", arity: -2, flags: W, key_specs: &BITFIELD_KS, handler: Some(bitfield), ..S },
        CommandSpec { name: "bitfield_ro", since: "6.0.0", arity: -2, flags: f::READONLY | f::FAST, key_specs: &RO_ACCESS, handler: Some(bitfield_ro), ..S },
    ];
    SPECS
}

const BAD_OFFSET: &str = "bit offset is not an integer or out of range";

/// Redis's `getBitOffsetFromArgument`: a bit offset whose byte lies below
/// `proto-max-bulk-len`. With `hash_bits`, `#N` means N times the field width.
fn bit_offset(ctx: &ExecCtx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CommandError> {
    let (digits, mul) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], Some(bits)),
        _ => (arg, None),
    };
    let mut off = parse_i64(digits).ok_or_else(|| CommandError::err(BAD_OFFSET))?;
    if let Some(bits) = mul {
        // C's signed multiplication wraps in practice; a wrapped offset is refused below.
        off = off.wrapping_mul(i64::from(bits));
    }
    if off < 0 || (off >> 3) >= ctx.server.config().proto_max_bulk_len {
        return Err(CommandError::err(BAD_OFFSET));
    }
    Ok(off as u64)
}

fn setbit(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let off_arg = args.next_arg()?;
    let offset = bit_offset(ctx, &off_arg, None)?;
    let bad_bit = || CommandError::err("bit is not an integer or out of range");
    let on = parse_i64(&args.next_arg()?).ok_or_else(bad_bit)?;
    if on & !1 != 0 {
        return Err(bad_bit());
    }
    let need = (offset >> 3) as usize + 1;
    let (old, changed) = match ctx.lookup_write(&key)? {
        Some(v) => {
            let (buf, grown) = bm::raw_for_write(v, need)?;
            let old = bm::set_bit(buf, offset, on == 1);
            (old, grown || old != (on == 1))
        }
        None => {
            let mut buf = vec![0u8; need];
            bm::set_bit(&mut buf, offset, on == 1);
            ctx.set_key(&key, Value::raw(buf), SetExpiry::Clear)?;
            (false, true)
        }
    };
    if changed {
        ctx.mark_dirty(1);
        ctx.notify(ev::STRING, "setbit", &key);
    }
    out.integer(i64::from(old));
    Ok(())
}

fn getbit(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let key = args.next_arg()?;
    let off_arg = args.next_arg()?;
    let offset = bit_offset(ctx, &off_arg, None)?;
    let bit = match ctx.lookup_read(&key)? {
        None => false,
        Some(v) => bm::get_bit(&st::bytes(v)?, offset),
    };
    out.integer(i64::from(bit));
    Ok(())
}

/// The optional `BYTE|BIT` unit argument; true for BIT.
fn unit(arg: &[u8]) -> Result<bool, CommandError> {
    if arg.eq_ignore_ascii_case(b"bit") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"byte") {
        Ok(false)
    } else {
        Err(ArgError::Syntax.into())
    }
}

/// The bytes of a string key for BITCOUNT/BITPOS (looked up before their range is
/// parsed, as Redis 7.0 does); `None` if missing.
fn read_bytes(ctx: &mut ExecCtx, key: &[u8]) -> Result<Option<Vec<u8>>, CommandError> {
    match ctx.lookup_read(key)? {
        None => Ok(None),
        Some(v) => Ok(Some(st::bytes(v)?.into_owned())),
    }
}

fn bitcount(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let Some(s) = read_bytes(ctx, &argv[1])? else {
        out.integer(0);
        return Ok(());
    };
    let range = match argv.len() {
        2 => None,
        4 | 5 => {
            let start = parse_i64(&argv[2]).ok_or(ArgError::NotInteger)?;
            let end = parse_i64(&argv[3]).ok_or(ArgError::NotInteger)?;
            let bits = if argv.len() == 5 { unit(&argv[4])? } else { false };
            Some((start, end, bits))
        }
        _ => return Err(ArgError::Syntax.into()),
    };
    out.integer(bm::count_range(&s, range) as i64);
    Ok(())
}

fn bitpos(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let bit = parse_i64(&argv[2]).ok_or(ArgError::NotInteger)?;
    if bit != 0 && bit != 1 {
        return Err(CommandError::err("The bit argument must be 1 or 0."));
    }
    let Some(s) = read_bytes(ctx, &argv[1])? else {
        // A missing key is an endless run of zeros, whatever the range.
        out.integer(-i64::from(bit == 1));
        return Ok(());
    };
    let range = match argv.len() {
        3 => None,
        4..=6 => {
            let start = parse_i64(&argv[3]).ok_or(ArgError::NotInteger)?;
            let bits = if argv.len() == 6 { unit(&argv[5])? } else { false };
            let end = match argv.get(4) {
                Some(a) => Some(parse_i64(a).ok_or(ArgError::NotInteger)?),
                None => None,
            };
            Some((start, end, bits))
        }
        _ => return Err(ArgError::Syntax.into()),
    };
    out.integer(bm::bitpos(&s, bit == 1, range));
    Ok(())
}

fn bitop(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let op = match &argv[1] {
        a if a.eq_ignore_ascii_case(b"and") => BitOp::And,
        a if a.eq_ignore_ascii_case(b"or") => BitOp::Or,
        a if a.eq_ignore_ascii_case(b"xor") => BitOp::Xor,
        a if a.eq_ignore_ascii_case(b"not") => BitOp::Not,
        _ => return Err(ArgError::Syntax.into()),
    };
    if op == BitOp::Not && argv.len() != 4 {
        return Err(CommandError::err("BITOP NOT must be called with a single source key."));
    }
    let mut srcs: Vec<Cow<'static, [u8]>> = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        match ctx.lookup_read(key)? {
            None => srcs.push(Cow::Borrowed(&[])),
            Some(v) => srcs.push(Cow::Owned(st::bytes(v)?.into_owned())),
        }
    }
    let res = bm::bitop(op, &srcs);
    let len = res.len();
    let dest = &argv[2];
    if len > 0 {
        ctx.set_key(dest, Value::raw(res), SetExpiry::Clear)?;
        ctx.mark_dirty(1);
        ctx.notify(ev::STRING, "set", dest);
    } else if ctx.delete_key(dest)? {
        ctx.mark_dirty(1);
        ctx.notify(ev::GENERIC, "del", dest);
    }
    out.integer(len as i64);
    Ok(())
}

/// One parsed BITFIELD operation.
struct FieldOp {
    kind: FieldKind,
    offset: u64,
    bits: u32,
    signed: bool,
    overflow: Overflow,
}

enum FieldKind {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// Redis's `getBitfieldTypeFromArgument`: `i1`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CommandError> {
    let bad = || CommandError::err("Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad()),
    };
    // Redis reads the width as a C string: it stops at a NUL byte.
    let digits = &arg[1..];
    let digits = &digits[..digits.iter().position(|&b| b == 0).unwrap_or(digits.len())];
    let bits = parse_i64(digits).ok_or_else(bad)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(bad());
    }
    Ok((signed, bits as u32))
}

/// Parses BITFIELD's operations in Redis's order of checks.
fn parse_field_ops(ctx: &ExecCtx, argv: &[Bytes]) -> Result<Vec<FieldOp>, CommandError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remargs = argv.len() - j - 1;
        let sub = &argv[j];
        let is = |s: &str| sub.eq_ignore_ascii_case(s.as_bytes());
        let needs_value = if is("get") && remargs >= 2 {
            false
        } else if (is("set") || is("incrby")) && remargs >= 3 {
            true
        } else if is("overflow") && remargs >= 1 {
            let t = &argv[j + 1];
            overflow = if t.eq_ignore_ascii_case(b"wrap") {
                Overflow::Wrap
            } else if t.eq_ignore_ascii_case(b"sat") {
                Overflow::Sat
            } else if t.eq_ignore_ascii_case(b"fail") {
                Overflow::Fail
            } else {
                return Err(CommandError::err("Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(ArgError::Syntax.into());
        };
        let (signed, bits) = field_type(&argv[j + 1])?;
        let offset = bit_offset(ctx, &argv[j + 2], Some(bits))?;
        let kind = if needs_value {
            let v = parse_i64(&argv[j + 3]).ok_or(ArgError::NotInteger)?;
            if is("set") {
                FieldKind::Set(v)
            } else {
                FieldKind::IncrBy(v)
            }
        } else {
            FieldKind::Get
        };
        ops.push(FieldOp { kind, offset, bits, signed, overflow });
        j += if needs_value { 4 } else { 3 };
    }
    Ok(ops)
}

/// Runs one SET or INCRBY on `buf`: the value to reply (`None`: FAIL refused it) and
/// whether the stored bits changed.
fn write_field(buf: &mut [u8], op: &FieldOp) -> (Option<i64>, bool) {
    let (off, bits, ow) = (op.offset, op.bits, op.overflow);
    if op.signed {
        let old = bm::get_signed(buf, off, bits);
        let (new, overflow, reply_new) = match op.kind {
            FieldKind::IncrBy(incr) => match bm::signed_overflow(old, incr, bits, ow) {
                None => (Some(old.wrapping_add(incr)), false, true),
                Some(v) => (v, true, true),
            },
            _ => {
                let val = match op.kind {
                    FieldKind::Set(v) => v,
                    _ => 0,
                };
                match bm::signed_overflow(val, 0, bits, ow) {
                    None => (Some(val), false, false),
                    Some(v) => (v, true, false),
                }
            }
        };
        match new {
            Some(new) if !(overflow && ow == Overflow::Fail) => {
                bm::set_unsigned(buf, off, bits, new as u64);
                (Some(if reply_new { new } else { old }), old != new)
            }
            _ => (None, false),
        }
    } else {
        let old = bm::get_unsigned(buf, off, bits);
        let (new, reply_new) = match op.kind {
            FieldKind::IncrBy(incr) => match bm::unsigned_overflow(old, incr, bits, ow) {
                None => (Some(old.wrapping_add(incr as u64)), true),
                Some(v) => (v, true),
            },
            _ => {
                let val = match op.kind {
                    FieldKind::Set(v) => v as u64,
                    _ => 0,
                };
                match bm::unsigned_overflow(val, 0, bits, ow) {
                    None => (Some(val), false),
                    Some(v) => (v, false),
                }
            }
        };
        match new {
            Some(new) => {
                bm::set_unsigned(buf, off, bits, new);
                (Some(if reply_new { new } else { old } as i64), old != new)
            }
            None => (None, false),
        }
    }
}

/// A GET of a field from `s` (bits past the end read as zero).
fn get_field(s: &[u8], op: &FieldOp) -> i64 {
    if op.signed {
        bm::get_signed(s, op.offset, op.bits)
    } else {
        bm::get_unsigned(s, op.offset, op.bits) as i64
    }
}

/// Redis's `bitfieldGeneric`: every operation is parsed before any runs; GET-only
/// requests do not create the key; writes grow the string to the farthest bit written.
fn bitfield_generic(ctx: &mut ExecCtx, args: &mut Args, read_only: bool, out: &mut ReplyWriter) -> CmdResult {
    let argv = args.argv().to_vec();
    let key = &argv[1];
    let ops = parse_field_ops(ctx, &argv)?;
    let highest = ops.iter().filter(|o| !matches!(o.kind, FieldKind::Get)).map(|o| o.offset + u64::from(o.bits) - 1).max();
    let Some(highest) = highest else {
        let value = match ctx.lookup_read(key)? {
            None => None,
            Some(v) => Some(st::bytes(v)?.into_owned()),
        };
        out.array(ops.len());
        for op in &ops {
            out.integer(value.as_deref().map_or(0, |s| get_field(s, op)));
        }
        return Ok(());
    };
    if read_only {
        return Err(CommandError::err("BITFIELD_RO only supports the GET subcommand"));
    }
    let need = (highest >> 3) as usize + 1;
    let existed = ctx.lookup_write(key)?.is_some();
    if !existed {
        ctx.set_key(key, Value::raw(vec![0u8; need]), SetExpiry::Clear)?;
    }
    let Some(v) = ctx.lookup_write(key)? else { return Err(OpError::NoSuchKey.into()) };
    let (buf, grown) = bm::raw_for_write(v, need)?;
    // Like Redis's `dirty`: a created or grown string counts every write as a change.
    let created = grown || !existed;
    out.array(ops.len());
    let mut changes = 0u64;
    for op in &ops {
        if matches!(op.kind, FieldKind::Get) {
            out.integer(get_field(buf, op));
            continue;
        }
        match write_field(buf, op) {
            (Some(reply), changed) => {
                out.integer(reply);
                if created || changed {
                    changes += 1;
                }
            }
            (None, _) => out.null(),
        }
    }
    if changes > 0 {
        ctx.mark_dirty(changes);
        ctx.notify(ev::STRING, "setbit", key);
    }
    Ok(())
}

/// The flags of BITFIELD's key (Redis's `bitfieldGetKeys`): read-only when every
/// operation is a GET or OVERFLOW; anything else, even a syntax error, counts as a write.
pub fn bitfield_key_flags(argv: &[Bytes]) -> u32 {
    let mut i = 2;
    while i < argv.len() {
        let remargs = argv.len() - i - 1;
        let a = &argv[i];
        if a.eq_ignore_ascii_case(b"get") && remargs >= 2 {
            i += 3;
        } else if a.eq_ignore_ascii_case(b"overflow") && remargs >= 1 {
            i += 2;
        } else {
            return k::RW | k::ACCESS | k::UPDATE;
        }
    }
    k::RO | k::ACCESS
}

fn bitfield(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    bitfield_generic(ctx, args, false, out)
}

fn bitfield_ro(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    bitfield_generic(ctx, args, true, out)
}

#[cfg(test)]
mod tests {
    use crate::testkit::Harness;

    #[test]
    fn writes_propagate_only_when_they_change_data() {
        let mut h = Harness::new();
        assert_eq!(h.run("SETBIT b 7 1"), ":0\r\n");
        assert_eq!(h.run("SETBIT b 7 1"), ":1\r\n");
        assert_eq!(h.run("SETBIT b 0 0"), ":0\r\n");
        assert_eq!(h.run("BITFIELD b SET u8 0 1"), "*1\r\n:1\r\n");
        assert_eq!(h.run("BITFIELD b GET u8 0"), "*1\r\n:1\r\n");
        assert_eq!(h.run("BITFIELD b OVERFLOW FAIL INCRBY u2 0 9"), "*1\r\n$-1\r\n");
        assert_eq!(h.run("BITOP NOT d b"), ":1\r\n");
        assert_eq!(h.run("BITOP AND e nokey"), ":0\r\n");
        h.run("SET i 12");
        assert_eq!(h.run("SETBIT i 0 0"), ":0\r\n");
        assert_eq!(h.value("i").unwrap().0.encoding_name(), "raw");
        assert_eq!(h.propagated(), vec!["SETBIT b 7 1", "BITOP NOT d b", "SET i 12"]);
    }

    #[test]
    fn bitfield_and_bitop_effects() {
        let mut h = Harness::new();
        assert_eq!(h.run("BITFIELD f GET u8 0"), "*1\r\n:0\r\n");
        assert!(h.value("f").is_none(), "GET-only BITFIELD creates nothing");
        assert_eq!(h.run("BITFIELD f INCRBY u8 0 5 GET u8 0"), "*2\r\n:5\r\n:5\r\n");
        assert_eq!(h.run("BITFIELD f SET u8 0 5"), "*1\r\n:5\r\n");
        assert_eq!(h.run("BITFIELD f SET u8 16 0"), "*1\r\n:0\r\n");
        assert_eq!(h.value("f").unwrap().0.string_len(), Some(3));
        assert_eq!(h.run("BITFIELD_RO f SET u8 0 1"), "-ERR BITFIELD_RO only supports the GET subcommand\r\n");
        h.run("SET src abc");
        assert_eq!(h.run("BITOP AND gone nokey"), ":0\r\n");
        h.run("SET gone x");
        assert_eq!(h.run("BITOP AND gone nokey"), ":0\r\n");
        assert!(h.value("gone").is_none());
        assert_eq!(
            h.propagated(),
            vec!["BITFIELD f INCRBY u8 0 5 GET u8 0", "BITFIELD f SET u8 16 0", "SET src abc", "SET gone x", "BITOP AND gone nokey"]
        );
    }
}
