//! One Lua 5.1 VM with Redis 7.0's script environment: the sandboxed standard library,
//! the `redis` table, cjson, cmsgpack, bit and struct, Redis's deterministic
//! `math.random`, the error handler, and protected globals.

use mlua::{LightUserData, Lua, LuaOptions, MultiValue, StdLib, Table, Value};
use rhodium_protocol::Resp;

use super::{libs, REDIS_VERSION_NUM};

/// Most memory one Lua VM may hold.
pub const VM_MEMORY_LIMIT: usize = 1 << 30;

/// Chunk name of Rhodium's own Lua code; the error handler skips its frames.
pub const INTERNAL_CHUNK: &str = "=[rhodium]";

/// Marker a Rust library function returns first to say "raise the message that follows".
pub fn fail_marker() -> Value {
    Value::LightUserData(LightUserData(std::ptr::without_provenance_mut(1)))
}

/// Marker a Rust function returns first to say "raise the value that follows as is".
pub fn raise_marker() -> Value {
    Value::LightUserData(LightUserData(std::ptr::without_provenance_mut(2)))
}

/// `(RAISE, {err="ERR msg"})`: an error raised as Redis's `luaPushError` + `luaError`.
pub fn fail_table(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    let t = lua.create_table()?;
    t.raw_set("err", format!("ERR {msg}"))?;
    Ok(MultiValue::from_iter([raise_marker(), Value::Table(t)]))
}

/// `(RAISE, msg)`: a plain string error without position (a Lua runtime error raised
/// inside a C function).
pub fn raise_string(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([raise_marker(), Value::String(lua.create_string(msg)?)]))
}

/// `(FAIL, msg)`: a library error the prelude raises at the caller's level.
pub fn fail(lua: &Lua, msg: &str) -> mlua::Result<MultiValue> {
    Ok(MultiValue::from_iter([fail_marker(), Value::String(lua.create_string(msg)?)]))
}

/// What `redis.setresp` / `redis.set_repl` change during one run.
#[derive(Debug, Clone, Copy)]
pub struct RunState {
    /// The protocol the script's client speaks (`redis.setresp`).
    pub resp: Resp,
    /// `redis.set_repl` flags (REPL_ALL by default).
    pub repl: i64,
}

impl Default for RunState {
    fn default() -> Self {
        RunState { resp: Resp::V2, repl: 3 }
    }
}

/// Redis's `rand48` PRNG behind `math.random` (same sequence as Redis for the same seed).
pub struct Rand48(u64);

impl Rand48 {
    const MASK: u64 = (1 << 48) - 1;

    /// The state before any seeding (rand48's X0, X1, X2 constants), as Redis starts.
    pub fn initial() -> Rand48 {
        Rand48(0x1234_ABCD_330E)
    }

    pub fn seeded(seed: i32) -> Rand48 {
        Rand48((((seed as u32) as u64) << 16 | 0x330E) & Self::MASK)
    }

    /// The next 31-bit value (`redisLrand48`).
    pub fn next_value(&mut self) -> i32 {
        self.0 = (self.0.wrapping_mul(0x5DEECE66D).wrapping_add(0xB)) & Self::MASK;
        (self.0 >> 17) as i32
    }
}

/// Builds a VM. `functions` selects the FUNCTION flavour (no KEYS/ARGV globals at load).
pub fn create() -> mlua::Result<Lua> {
    let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
    lua.set_app_data(RunState::default());
    lua.set_app_data(Rand48::initial());
    // A runaway script must not take the server's memory with it: past this, Lua's
    // allocations fail and the script stops with "not enough memory".
    lua.set_memory_limit(VM_MEMORY_LIMIT)?;
    let g = lua.globals();
    for name in ["print", "dofile", "loadfile", "setfenv", "getfenv", "newproxy", "module", "require", "package", "os", "io", "debug"] {
        g.raw_set(name, Value::Nil)?;
    }
    libs::bit::register(&lua)?;
    libs::structlib::register(&lua)?;
    libs::cjson::register(&lua)?;
    libs::cmsgpack::register(&lua)?;
    register_math(&lua)?;
    g.raw_set("redis", redis_table(&lua)?)?;
    g.raw_set("__redis__err__handler", lua.create_function(error_handler)?)?;

    let rt = lua.create_table()?;
    rt.raw_set("FAIL", fail_marker())?;
    rt.raw_set("version", crate::REDIS_VERSION)?;
    rt.raw_set("version_num", REDIS_VERSION_NUM)?;
    rt.raw_set("errtext", lua.create_function(|_, v: Value| Ok(error_text(&v)))?)?;
    let (call, pcall, make_raising) = super::trampoline::functions(&lua)?;
    rt.raw_set("call", call)?;
    rt.raw_set("pcall", pcall)?;
    rt.raw_set("make_raising", make_raising)?;
    lua.load(include_str!("prelude.lua")).set_name(INTERNAL_CHUNK).call::<()>(rt.clone())?;
    lua.set_named_registry_value("rhodium.rt", rt.clone())?;
    lua.set_named_registry_value("rhodium.G", rt.raw_get::<Table>("G")?)?;
    let proxy: Table = rt.raw_get("globals")?;
    super::trampoline::set_globals(&lua, proxy)?;
    drop(g);
    Ok(lua)
}

/// The real globals table (user code sees a read-only proxy of it).
pub fn real_globals(lua: &Lua) -> mlua::Result<Table> {
    lua.named_registry_value("rhodium.G")
}

/// The internal table the prelude fills (`run`, `call`, `pcall`, ...).
pub fn rt(lua: &Lua) -> mlua::Result<Table> {
    lua.named_registry_value("rhodium.rt")
}

fn register_math(lua: &Lua) -> mlua::Result<()> {
    let math: Table = lua.globals().get("math")?;
    math.raw_set(
        "random",
        lua.create_function(|lua, args: MultiValue| {
            let r = {
                let Some(mut rng) = lua.app_data_mut::<Rand48>() else { return fail(lua, "no random state") };
                (rng.next_value() % i32::MAX) as f64 / i32::MAX as f64
            };
            let int = |v: &Value| -> Option<i64> {
                match v {
                    Value::Integer(i) => Some(*i),
                    Value::Number(n) => Some(*n as i64),
                    Value::String(s) => s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()).map(|n| n as i64),
                    _ => None,
                }
            };
            let args: Vec<Value> = args.into_iter().collect();
            let bad = |lua: &Lua, n: usize, v: &Value| fail(lua, &format!("bad argument #{n} to 'random' (number expected, got {})", type_name(v)));
            let out = match args.len() {
                0 => r,
                1 => {
                    let Some(u) = int(&args[0]) else { return bad(lua, 1, &args[0]) };
                    if u < 1 {
                        return fail(lua, "bad argument #1 to 'random' (interval is empty)");
                    }
                    (r * u as f64).floor() + 1.0
                }
                2 => {
                    let Some(l) = int(&args[0]) else { return bad(lua, 1, &args[0]) };
                    let Some(u) = int(&args[1]) else { return bad(lua, 2, &args[1]) };
                    if l > u {
                        return fail(lua, "bad argument #2 to 'random' (interval is empty)");
                    }
                    (r * (u - l + 1) as f64).floor() + l as f64
                }
                _ => return fail(lua, "wrong number of arguments"),
            };
            Ok(MultiValue::from_iter([Value::Number(out)]))
        })?,
    )?;
    math.raw_set(
        "randomseed",
        lua.create_function(|lua, seed: Value| {
            let s = match &seed {
                Value::Integer(i) => *i as i32,
                Value::Number(n) => *n as i64 as i32,
                other => return fail(lua, &format!("bad argument #1 to 'randomseed' (number expected, got {})", type_name(other))),
            };
            lua.set_app_data(Rand48::seeded(s));
            Ok(MultiValue::new())
        })?,
    )?;
    Ok(())
}

/// Lua's name of a value's type, for argument errors.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "no value",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

fn redis_table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("REDIS_VERSION", crate::REDIS_VERSION)?;
    t.raw_set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
    for (k, v) in [("LOG_DEBUG", 0), ("LOG_VERBOSE", 1), ("LOG_NOTICE", 2), ("LOG_WARNING", 3), ("REPL_NONE", 0), ("REPL_AOF", 1), ("REPL_SLAVE", 2), ("REPL_REPLICA", 2), ("REPL_ALL", 3)] {
        t.raw_set(k, v)?;
    }
    t.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return fail_table(lua, "wrong number of arguments");
            }
            let data = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(_) | Value::Number(_) => lua.coerce_string(args[0].clone())?.map(|s| s.as_bytes().to_vec()).unwrap_or_default(),
                _ => Vec::new(),
            };
            Ok(MultiValue::from_iter([Value::String(lua.create_string(super::sha1_hex(&data))?)]))
        })?,
    )?;
    t.raw_set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| {
            let t = lua.create_table()?;
            match args.iter().collect::<Vec<_>>().as_slice() {
                [Value::String(s)] => t.raw_set("ok", s.clone())?,
                _ => t.raw_set("err", "ERR wrong number or type of arguments")?,
            }
            Ok(MultiValue::from_iter([Value::Table(t)]))
        })?,
    )?;
    t.raw_set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| {
            let msg = match args.iter().collect::<Vec<_>>().as_slice() {
                [Value::String(s)] => Some(s.as_bytes().to_vec()),
                _ => None,
            };
            let t = lua.create_table()?;
            match msg {
                Some(m) => {
                    let m = if m.first() == Some(&b'-') { m } else { [b"-".as_slice(), &m].concat() };
                    t.raw_set("err", lua.create_string(error_table_text(&m))?)?;
                }
                None => t.raw_set("err", "ERR wrong number or type of arguments")?,
            }
            Ok(MultiValue::from_iter([Value::Table(t)]))
        })?,
    )?;
    t.raw_set(
        "log",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() < 2 {
                return fail_table(lua, "redis.log() requires two arguments or more.");
            }
            let level = match &args[0] {
                Value::Integer(i) => *i,
                Value::Number(n) => *n as i64,
                _ => return fail_table(lua, "First argument must be a number."),
            };
            let level = match level {
                0 => crate::log::Level::Debug,
                1 => crate::log::Level::Verbose,
                2 => crate::log::Level::Notice,
                3 => crate::log::Level::Warning,
                _ => return fail_table(lua, "Invalid debug level."),
            };
            let mut msg = Vec::new();
            for (i, v) in args.iter().skip(1).enumerate() {
                if i > 0 {
                    msg.push(b' ');
                }
                if let Some(s) = lua.coerce_string(v.clone())? {
                    msg.extend_from_slice(&s.as_bytes());
                }
            }
            if crate::log::enabled(level) {
                crate::log::log(level, &String::from_utf8_lossy(&msg));
            }
            Ok(MultiValue::new())
        })?,
    )?;
    t.raw_set(
        "setresp",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return fail_table(lua, "redis.setresp() requires one argument.");
            }
            let v = match &args[0] {
                Value::Integer(i) => *i,
                Value::Number(n) => *n as i64,
                _ => 0,
            };
            let resp = match v {
                2 => Resp::V2,
                3 => Resp::V3,
                _ => return fail_table(lua, "RESP version must be 2 or 3."),
            };
            if let Some(mut st) = lua.app_data_mut::<RunState>() {
                st.resp = resp;
            }
            Ok(MultiValue::new())
        })?,
    )?;
    t.raw_set(
        "set_repl",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return fail_table(lua, "redis.set_repl() requires two arguments.");
            }
            let v = match &args[0] {
                Value::Integer(i) => *i,
                Value::Number(n) => *n as i64,
                _ => -1,
            };
            if !(0..=3).contains(&v) {
                return fail_table(lua, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
            }
            if let Some(mut st) = lua.app_data_mut::<RunState>() {
                st.repl = v;
            }
            Ok(MultiValue::new())
        })?,
    )?;
    t.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    t.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    t.raw_set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    t.raw_set("acl_check_cmd", lua.create_function(|_, _: MultiValue| Ok(true))?)?;
    Ok(t)
}

/// Redis's `luaPushErrorBuff`: "-CODE msg" keeps its code, a message without one gets
/// `ERR`; trailing CR/LF are trimmed.
pub fn error_table_text(buf: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match buf.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", buf),
    };
    let mut end = msg.len();
    while end > 0 && matches!(msg[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    let mut start = 0;
    while start < end && matches!(msg[start], b'\r' | b'\n') {
        start += 1;
    }
    [code, b" ", &msg[start..end]].concat()
}

/// The text of an error value that is not a Redis error table (an mlua error raised
/// by a Rust callback or hook).
pub fn error_text(v: &Value) -> String {
    match v {
        Value::Error(e) => root_message(e),
        Value::String(s) => s.to_string_lossy(),
        other => format!("{other:?}"),
    }
}

fn root_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => root_message(cause),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::ExternalError(x) => x.to_string(),
        other => other.to_string(),
    }
}

/// Message of the error raised in a library's code that runs too long at FUNCTION LOAD.
pub const LOAD_TIMEOUT: &str = "FUNCTION LOAD timeout";

/// Message of the error a SCRIPT KILL / FUNCTION KILL raises inside the script.
pub const KILLED: &str = "Script killed by user with SCRIPT KILL...";

/// Redis's `__redis__err__handler`: turns any error into a table `{err=..., source=...,
/// line=...}` naming the innermost user frame.
fn error_handler(lua: &Lua, e: Value) -> mlua::Result<Table> {
    let mut frame: Option<(String, i32)> = None;
    for level in 1..64 {
        let Some(d) = lua.inspect_stack(level) else { break };
        let src = d.source();
        let internal = src.what == "C" || src.what == "tail" || src.source.as_deref() == Some(INTERNAL_CHUNK);
        if !internal {
            frame = Some((src.source.map(|s| s.into_owned()).unwrap_or_default(), d.curr_line()));
            break;
        }
    }
    let t = match e {
        Value::Table(t) => t,
        Value::Error(err) => {
            let msg = root_message(&err);
            let t = lua.create_table()?;
            if msg == KILLED || msg == LOAD_TIMEOUT {
                t.raw_set("err", format!("ERR {msg}"))?;
            } else {
                let pos = match &frame {
                    Some((src, line)) if *line > 0 => format!("{}:{}: ", src.strip_prefix('@').unwrap_or(src), line),
                    _ => String::new(),
                };
                t.raw_set("err", format!("ERR {pos}{msg}"))?;
            }
            t
        }
        other => {
            let g: Table = lua.named_registry_value("rhodium.G")?;
            let s = g.raw_get::<mlua::Function>("tostring")?.call::<mlua::String>(other)?;
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string([b"ERR ".as_slice(), &s.as_bytes()].concat())?)?;
            t
        }
    };
    if let Some((src, line)) = frame {
        t.raw_set("source", src)?;
        t.raw_set("line", line)?;
    }
    Ok(t)
}
