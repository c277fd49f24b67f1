//! DEBUG: the test hooks Redis's tooling relies on (DIGEST, DIGEST-VALUE, OBJECT, SLEEP,
//! POPULATE, PROTOCOL, SET-ACTIVE-EXPIRE, LOG, CHANGE-REPL-ID, HELP), allowed per
//! `enable-debug-command`, plus the knobs test suites flip (PAUSE-CRON, REPLYBUFFER,
//! QUICKLIST-PACKED-THRESHOLD, SET-SKIP-CHECKSUM-VALIDATION, SET-DISABLE-DENY-SCRIPTS)
//! and the crash hooks (SEGFAULT, PANIC).
//!
//! DEBUG SLEEP does not stop the server as Redis's does: it asks the connection task to
//! sleep (asynchronously) before the reply is written, so the calling client waits the
//! given time while other clients and the runtime threads keep running.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use rhodium_protocol::{Args, ReplyWriter, Resp};
use rhodium_storage::digest::{self, DatasetDigest};
use rhodium_storage::keyspace::{ExpiryMode, SetExpiry};
use rhodium_storage::{LockMode, Value};

use super::spec::{flags as f, CommandSpec, Group};
use crate::config::Protection;
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};

pub fn specs() -> &'static [CommandSpec] {
    static SPECS: &[CommandSpec] = &[CommandSpec {
        name: "debug",
        group: Group::Server,
        arity: -2,
        // PROTECTED is not listed by COMMAND INFO; it marks the enable-debug-command gate.
        flags: f::ADMIN | f::NOSCRIPT | f::LOADING | f::STALE | f::PROTECTED,
        handler: Some(debug),
        ..CommandSpec::DEFAULT
    }];
    SPECS
}

const NOT_ALLOWED: &str = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

fn wrong_args(sub: &[u8]) -> CommandError {
    let sub: String = String::from_utf8_lossy(sub).chars().take(128).collect();
    CommandError::err(format!("unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."))
}

fn debug(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let allowed = match ctx.server.config().enable_debug_command {
        Protection::Yes => true,
        Protection::Local => ctx.client.handle.addr.is_loopback(),
        Protection::No => false,
    };
    if !allowed {
        return Err(CommandError::raw(NOT_ALLOWED));
    }
    let argv: Vec<Bytes> = args.argv().to_vec();
    let argc = argv.len();
    let sub = argv[1].to_ascii_lowercase();
    match (sub.as_slice(), argc) {
        (b"help", 2) => help(out),
        (b"digest", 2) => {
            let d = dataset_digest(ctx);
            out.simple(&digest::hex(&d));
        }
        (b"reload", _) => super::persistence::debug_reload(ctx, &argv[2..], out)?,
        (b"digest-value", _) => digest_value(ctx, &argv[2..], out),
        (b"object", 3) => object(ctx, &argv[2], out)?,
        (b"sleep", 3) => {
            let secs = parse_strtod(&argv[2]);
            let d = std::time::Duration::try_from_secs_f64(secs).unwrap_or_default();
            // Bounded so a typo cannot park a connection for years.
            ctx.client.sleep_after = Some(d.min(std::time::Duration::from_secs(3600)));
            out.ok();
        }
        (b"set-active-expire", 3) => {
            let on = atoi(&argv[2]) != 0;
            ctx.server.active_expire_enabled.store(on, Ordering::Relaxed);
            out.ok();
        }
        (b"populate", 3..=5) => populate(ctx, &argv, out)?,
        (b"protocol", 3) => protocol(ctx.client.resp, &argv[2], out)?,
        (b"log", 3) => {
            crate::log_warning!("DEBUG LOG: {}", String::from_utf8_lossy(&argv[2]));
            out.ok();
        }
        (b"change-repl-id", 2) => {
            crate::log_warning!("Changing replication IDs after receiving DEBUG change-repl-id");
            ctx.server.repl.change_replid();
            out.ok();
        }
        (b"pause-cron", 3) => set_flag(&ctx.server.debug.pause_cron, &argv[2], out),
        (b"set-skip-checksum-validation", 3) => set_flag(&ctx.server.debug.skip_checksum_validation, &argv[2], out),
        (b"set-disable-deny-scripts", 3) => set_flag(&ctx.server.debug.disable_deny_scripts, &argv[2], out),
        (b"quicklist-packed-threshold", 3) => {
            let sz = std::str::from_utf8(&argv[2]).ok().and_then(crate::config::parse_memory).filter(|n| (0..=(1i64 << 32) - (1 << 20)).contains(n));
            let Some(sz) = sz else {
                return Err(CommandError::err("argument must be a memory value bigger than 1 and smaller than 4gb"));
            };
            let sz = if sz == 0 { 1 << 30 } else { sz as u64 };
            ctx.server.debug.quicklist_packed_threshold.store(sz, Ordering::Relaxed);
            out.ok();
        }
        (b"replybuffer", 4) => {
            // Rhodium's reply buffers are not resized by a cron; the knobs are accepted
            // with Redis's validation so test suites run unchanged.
            let what = argv[2].to_ascii_lowercase();
            match what.as_slice() {
                b"peak-reset-time" => {
                    let v = &argv[3];
                    if !v.eq_ignore_ascii_case(b"never") && !v.eq_ignore_ascii_case(b"reset") && rhodium_protocol::number::parse_i64(v).is_none() {
                        return Err(CommandError::err("value is not an integer or out of range"));
                    }
                }
                b"resizing" => {}
                _ => return Err(wrong_args(&argv[1])),
            }
            out.ok();
        }
        (b"segfault", 2) => crash_by_signal(libc::SIGSEGV),
        (b"panic", 2) => panic_like_redis(),
        _ => return Err(wrong_args(&argv[1])),
    }
    Ok(())
}

/// DEBUG flags set with C's `atoi` semantics (non-zero = on).
fn set_flag(flag: &std::sync::atomic::AtomicBool, arg: &[u8], out: &mut ReplyWriter) {
    flag.store(atoi(arg) != 0, Ordering::Relaxed);
    out.ok();
}

const BUG_REPORT_START: &str = "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===\n";
const BUG_REPORT_END: &str = "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n";

/// DEBUG SEGFAULT: logs a crash report as Redis's SIGSEGV handler does, then dies by the
/// signal itself (the default action), so supervisors see the same exit.
fn crash_by_signal(sig: libc::c_int) -> ! {
    crate::log::raw(BUG_REPORT_START);
    crate::log_warning!("Redis {} crashed by signal: {}, si_code: 0", crate::REDIS_VERSION, sig);
    crate::log::raw(BUG_REPORT_END);
    // SAFETY: restoring the default action and raising the signal only ends the process.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
        libc::_exit(128 + sig)
    }
}

/// DEBUG PANIC: Redis's `serverPanic` report, then abort().
fn panic_like_redis() -> ! {
    let now = rhodium_storage::clock::now_ms() / 1000;
    crate::log_warning!("------------------------------------------------");
    crate::log_warning!("!!! Software Failure. Press left mouse button to continue");
    crate::log_warning!("Guru Meditation: DEBUG PANIC called at Unix time {} #debug.c:0", now);
    crate::log::raw(BUG_REPORT_START);
    crate::log::raw(BUG_REPORT_END);
    std::process::abort()
}

/// C's `atoi`: leading whitespace, optional sign, digits; anything else stops it.
fn atoi(b: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n: i64 = digits.bytes().take_while(u8::is_ascii_digit).fold(0i64, |acc, d| acc.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if neg {
        -n
    } else {
        n
    }
}

/// C's `strtod` on a whole argument, 0 when it does not start with a number (DEBUG SLEEP
/// accepts anything, as Redis does).
fn parse_strtod(b: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(b);
    let t = s.trim();
    let mut end = t.len();
    while end > 0 {
        if let Ok(v) = t[..end].parse::<f64>() {
            return if v.is_finite() { v } else { 0.0 };
        }
        end -= 1;
        while end > 0 && !t.is_char_boundary(end) {
            end -= 1;
        }
    }
    0.0
}

/// The whole dataset's digest: every non-empty database in order (Redis's
/// `computeDatasetDigest`). Each stripe is read under its own lock.
fn dataset_digest(ctx: &ExecCtx) -> digest::Digest20 {
    let ks = &ctx.server.keyspace;
    let mut d = DatasetDigest::default();
    for db in 0..ks.databases() {
        if ks.dbsize(db) == 0 {
            continue;
        }
        d.begin_db(db as u32);
        ks.for_each(db, |e, expiry| d.add(e.key.as_bytes(), &e.value, expiry.is_some()));
    }
    d.finish()
}

/// Runs `f` on a key's value and expiry in the client's database, without expiring it
/// (DEBUG works on logically expired keys too, as Redis's does).
fn with_raw_key<R>(ctx: &ExecCtx, key: &Bytes, f: impl FnOnce(Option<(&Value, bool, u32)>) -> R) -> R {
    let ks = &ctx.server.keyspace;
    let mut locked = ks.lock([(ctx.db, key)], LockMode::Read, i64::MIN, ExpiryMode::HideOnly);
    let expiry = locked.expiry(ctx.db, key).ok().flatten();
    match locked.get_entry(ctx.db, key, false) {
        Ok(Some(e)) => f(Some((&e.value, expiry.is_some(), e.lru()))),
        _ => f(None),
    }
}

fn digest_value(ctx: &ExecCtx, keys: &[Bytes], out: &mut ReplyWriter) {
    out.array(keys.len());
    for k in keys {
        let d = with_raw_key(ctx, k, |v| match v {
            Some((value, has_expire, _)) => digest::value_digest(value, has_expire),
            None => [0u8; 20],
        });
        out.simple(&digest::hex(&d));
    }
}

/// Bytes an RDB length prefix takes.
fn rdb_len_size(len: usize) -> usize {
    if len < 1 << 6 {
        1
    } else if len < 1 << 14 {
        2
    } else if len <= u32::MAX as usize {
        5
    } else {
        9
    }
}

/// Bytes a string takes in an RDB file (integer encodings for int-like strings; LZF
/// compression is not modelled).
fn serialized_len(v: &Value) -> usize {
    let bytes = v.string_bytes().unwrap_or_default();
    if bytes.len() <= 11 {
        if let Some(n) = rhodium_protocol::number::parse_i64(&bytes) {
            if i8::try_from(n).is_ok() {
                return 2;
            } else if i16::try_from(n).is_ok() {
                return 3;
            } else if i32::try_from(n).is_ok() {
                return 5;
            }
        }
    }
    rdb_len_size(bytes.len()) + bytes.len()
}

fn object(ctx: &ExecCtx, key: &Bytes, out: &mut ReplyWriter) -> CmdResult {
    let now = rhodium_storage::clock::now_ms();
    let line = with_raw_key(ctx, key, |v| {
        v.map(|(value, _, lru)| {
            let shared = matches!(value, Value::Int(n) if (0..10000).contains(n));
            let refcount = if shared { i32::MAX } else { 1 };
            let addr = value as *const Value as usize;
            format!(
                "Value at:{:#x} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
                addr,
                refcount,
                value.encoding_name(),
                serialized_len(value),
                lru,
                rhodium_storage::clock::idle_seconds(now, lru)
            )
        })
    });
    match line {
        Some(l) => {
            out.simple(&l);
            Ok(())
        }
        None => Err(CommandError::err("no such key")),
    }
}

/// Redis's `getPositiveLongFromObjectOrReply` with its default message.
fn positive(b: &[u8]) -> Result<u64, CommandError> {
    rhodium_protocol::number::parse_i64(b).filter(|&n| n >= 0).map(|n| n as u64).ok_or_else(|| CommandError::err("value is out of range, must be positive"))
}

/// DEBUG POPULATE count [prefix] [size]: keys `prefix:N` (default `key`) holding
/// `value:N`, zero-padded or cut to `size`; existing keys are left alone. Not propagated.
fn populate(ctx: &mut ExecCtx, argv: &[Bytes], out: &mut ReplyWriter) -> CmdResult {
    let count = positive(&argv[2])?;
    let size = match argv.get(4) {
        Some(s) => positive(s)? as usize,
        None => 0,
    };
    let prefix: &[u8] = argv.get(3).map(|b| b.as_ref()).unwrap_or(b"key");
    let ks = &ctx.server.keyspace;
    let now = rhodium_storage::clock::now_ms();
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{j}").as_bytes());
        // Redis formats into a 128-byte buffer.
        key.truncate(127);
        let mut value = format!("value:{j}").into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        let mut locked = ks.lock([(ctx.db, &key)], LockMode::Write, now, ExpiryMode::Delete);
        if locked.exists(ctx.db, &key)? {
            continue;
        }
        locked.set(ctx.db, &key, Value::string(&value), SetExpiry::Clear)?;
    }
    out.ok();
    Ok(())
}

fn protocol(resp: Resp, name: &[u8], out: &mut ReplyWriter) -> CmdResult {
    let v3 = resp == Resp::V3;
    match name.to_ascii_lowercase().as_slice() {
        b"string" => out.bulk(b"Hello World"),
        b"integer" => out.integer(12345),
        // Redis's literal test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => out.double(3.141),
        b"bignum" => {
            let n = b"1234567999999999999999999999999999999";
            if v3 {
                out.raw(b"(1234567999999999999999999999999999999\r\n");
            } else {
                out.bulk(n);
            }
        }
        b"null" => out.null(),
        b"array" => {
            out.array(3);
            (0..3).for_each(|j| out.integer(j));
        }
        b"set" => {
            out.set(3);
            (0..3).for_each(|j| out.integer(j));
        }
        b"map" => {
            out.map(3);
            for j in 0..3 {
                out.integer(j);
                out.boolean(j == 1);
            }
        }
        b"attrib" => {
            if v3 {
                out.raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n");
            }
            out.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !v3 {
                return Err(CommandError::err("RESP2 is not supported by this command"));
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.integer(42);
            out.bulk(b"Some real reply following the push reply");
        }
        b"true" => out.boolean(true),
        b"false" => out.boolean(false),
        b"verbatim" => out.verbatim("txt", b"This is a verbatim\nstring"),
        _ => {
            return Err(CommandError::err(
                "Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
            ))
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
];

fn help(out: &mut ReplyWriter) {
    super::client::write_help(out, "DEBUG", HELP);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_number_parsing() {
        assert_eq!(atoi(b"1"), 1);
        assert_eq!(atoi(b" -2x"), -2);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(parse_strtod(b"0.5s"), 0.5);
        assert_eq!(parse_strtod(b"abc"), 0.0);
    }
}
