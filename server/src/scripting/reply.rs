//! Redis 7.0's type conversions between RESP replies and Lua values
//! (`redisProtocolToLuaType` and `luaReplyToRedisReply`), for RESP2 and RESP3.

use mlua::{Lua, Table, Value};
use rhodium_protocol::number::format_f64_17g;
use rhodium_protocol::{ReplyWriter, Resp};

/// Deepest reply nesting converted either way; deeper data is answered with an error, as
/// Redis does when the Lua stack cannot grow.
const MAX_DEPTH: usize = 1000;

/// Converts one complete RESP reply (as a command handler wrote it) to a Lua value.
/// Returns the value and whether it was an error reply.
pub fn resp_to_lua(lua: &Lua, buf: &[u8]) -> mlua::Result<(Value, bool)> {
    let mut p = Parser { buf, pos: 0 };
    let is_err = buf.first() == Some(&b'-') || buf.first() == Some(&b'!');
    let v = p.value(lua, 0)?;
    Ok((v, is_err))
}

struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn bad() -> mlua::Error {
    mlua::Error::RuntimeError("malformed reply".into())
}

impl<'a> Parser<'a> {
    fn line(&mut self) -> mlua::Result<&'a [u8]> {
        let rest = self.buf.get(self.pos..).ok_or_else(bad)?;
        let end = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        self.pos += end + 2;
        Ok(&rest[..end])
    }

    fn int(&mut self) -> mlua::Result<i64> {
        let l = self.line()?;
        std::str::from_utf8(l).ok().and_then(|s| s.parse().ok()).ok_or_else(bad)
    }

    fn blob(&mut self, len: usize) -> mlua::Result<&'a [u8]> {
        let b = self.buf.get(self.pos..self.pos + len).ok_or_else(bad)?;
        self.pos += len + 2;
        Ok(b)
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        if depth > MAX_DEPTH {
            return Err(bad());
        }
        let kind = *self.buf.get(self.pos).ok_or_else(bad)?;
        self.pos += 1;
        Ok(match kind {
            b'+' => {
                let l = self.line()?;
                single(lua, "ok", Value::String(lua.create_string(l)?))?
            }
            b'-' => {
                let l = self.line()?;
                single(lua, "err", Value::String(lua.create_string(l)?))?
            }
            b':' => Value::Number(self.int()? as f64),
            b'$' => {
                let n = self.int()?;
                if n < 0 {
                    Value::Boolean(false)
                } else {
                    Value::String(lua.create_string(self.blob(n as usize)?)?)
                }
            }
            b'*' | b'>' => {
                let n = self.int()?;
                if n < 0 {
                    return Ok(Value::Boolean(false));
                }
                let t = lua.create_table_with_capacity(n as usize, 0)?;
                for i in 1..=n {
                    let v = self.value(lua, depth + 1)?;
                    t.raw_set(i, v)?;
                }
                Value::Table(t)
            }
            b'%' => {
                let n = self.int()?;
                let inner = lua.create_table()?;
                for _ in 0..n {
                    let k = self.value(lua, depth + 1)?;
                    let v = self.value(lua, depth + 1)?;
                    if !k.is_nil() {
                        inner.raw_set(k, v)?;
                    }
                }
                single(lua, "map", Value::Table(inner))?
            }
            b'~' => {
                let n = self.int()?;
                let inner = lua.create_table()?;
                for _ in 0..n {
                    let k = self.value(lua, depth + 1)?;
                    if !k.is_nil() {
                        inner.raw_set(k, true)?;
                    }
                }
                single(lua, "set", Value::Table(inner))?
            }
            b'|' => {
                // Attributes are skipped; the value that follows is the reply.
                let n = self.int()?;
                for _ in 0..n * 2 {
                    self.value(lua, depth + 1)?;
                }
                self.value(lua, depth)?
            }
            b'_' => {
                self.line()?;
                Value::Nil
            }
            b'#' => Value::Boolean(self.line()? == b"t"),
            b',' => {
                let l = self.line()?;
                let s = std::str::from_utf8(l).map_err(|_| bad())?;
                let d = match s {
                    "inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    "nan" | "-nan" => f64::NAN,
                    _ => s.parse().map_err(|_| bad())?,
                };
                single(lua, "double", Value::Number(d))?
            }
            b'(' => {
                let l = self.line()?;
                single(lua, "big_number", Value::String(lua.create_string(l)?))?
            }
            b'=' => {
                let n = self.int()?;
                let b = self.blob(n.max(0) as usize)?;
                let (format, text) = if b.len() >= 4 { (&b[..3], &b[4..]) } else { (&b"txt"[..], b) };
                let inner = lua.create_table()?;
                inner.raw_set("format", lua.create_string(format)?)?;
                inner.raw_set("string", lua.create_string(text)?)?;
                single(lua, "verbatim_string", Value::Table(inner))?
            }
            b'!' => {
                let n = self.int()?;
                let b = self.blob(n.max(0) as usize)?;
                single(lua, "err", Value::String(lua.create_string(b)?))?
            }
            _ => return Err(bad()),
        })
    }
}

fn single(lua: &Lua, key: &str, v: Value) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(key, v)?;
    Ok(Value::Table(t))
}

/// What a script's error looks like once extracted from its table (Redis's `errorInfo`).
pub struct ErrorInfo {
    pub msg: Vec<u8>,
    pub source: Option<Vec<u8>>,
    pub line: Option<Vec<u8>>,
}

/// Reads `err`, `source` and `line` from an error table.
pub fn error_info(lua: &Lua, t: &Table) -> mlua::Result<ErrorInfo> {
    let text = |v: Value| -> mlua::Result<Option<Vec<u8>>> {
        Ok(match v {
            Value::String(s) => Some(s.as_bytes().to_vec()),
            n @ (Value::Integer(_) | Value::Number(_)) => lua.coerce_string(n)?.map(|s| s.as_bytes().to_vec()),
            _ => None,
        })
    };
    Ok(ErrorInfo {
        msg: text(t.raw_get("err")?)?.unwrap_or_default(),
        source: text(t.raw_get("source")?)?,
        line: text(t.raw_get("line")?)?,
    })
}

/// Writes a script's return value as the reply to its caller (`luaReplyToRedisReply`).
/// `script_resp` is the protocol the script selected with `redis.setresp`, which decides
/// how booleans are answered.
pub fn lua_to_reply(lua: &Lua, v: &Value, script_resp: Resp, out: &mut ReplyWriter, depth: usize) -> mlua::Result<()> {
    if depth > MAX_DEPTH {
        out.error("ERR reached lua stack limit");
        return Ok(());
    }
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => match script_resp {
            Resp::V2 if *b => out.integer(1),
            Resp::V2 => out.null(),
            Resp::V3 => out.boolean(*b),
        },
        Value::Integer(i) => out.integer(*i),
        Value::Number(n) => out.integer(c_cast_i64(*n)),
        Value::Table(t) => table_to_reply(lua, t, script_resp, out, depth)?,
        _ => out.null(),
    }
    Ok(())
}

/// 2^63, the first double past `i64`.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// C's `(long long)double` on x86-64: out-of-range values and NaN give `i64::MIN`.
pub fn c_cast_i64(n: f64) -> i64 {
    if n.is_nan() || !(-TWO_63..TWO_63).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn table_to_reply(lua: &Lua, t: &Table, script_resp: Resp, out: &mut ReplyWriter, depth: usize) -> mlua::Result<()> {
    if let Value::String(_) = t.raw_get::<Value>("err")? {
        let info = error_info(lua, t)?;
        // Redis writes "-" + err as is: no ERR prefix is added, a leading '-' doubles.
        out.error(&String::from_utf8_lossy(&info.msg));
        return Ok(());
    }
    if let Value::String(s) = t.raw_get::<Value>("ok")? {
        let mut b = s.as_bytes().to_vec();
        for c in &mut b {
            if *c == b'\r' || *c == b'\n' {
                *c = b' ';
            }
        }
        out.simple_bytes(&b);
        return Ok(());
    }
    if let Value::Number(_) | Value::Integer(_) = t.raw_get::<Value>("double")? {
        let d: f64 = t.raw_get("double")?;
        out.double(d);
        return Ok(());
    }
    if let Value::String(s) = t.raw_get::<Value>("big_number")? {
        let mut b = s.as_bytes().to_vec();
        for c in &mut b {
            if *c == b'\r' || *c == b'\n' {
                *c = b' ';
            }
        }
        match out.resp() {
            Resp::V2 => out.bulk(&b),
            Resp::V3 => {
                out.raw(b"(");
                out.raw(&b);
                out.raw(b"\r\n");
            }
        }
        return Ok(());
    }
    if let Value::Table(vt) = t.raw_get::<Value>("verbatim_string")? {
        if let (Value::String(f), Value::String(s)) = (vt.raw_get::<Value>("format")?, vt.raw_get::<Value>("string")?) {
            out.verbatim(&f.to_string_lossy(), &s.as_bytes());
            return Ok(());
        }
    }
    if let Value::Table(m) = t.raw_get::<Value>("map")? {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
        out.map(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(lua, k, script_resp, out, depth + 1)?;
            lua_to_reply(lua, v, script_resp, out, depth + 1)?;
        }
        return Ok(());
    }
    if let Value::Table(s) = t.raw_get::<Value>("set")? {
        let keys: Vec<Value> = s.pairs::<Value, Value>().map(|r| r.map(|(k, _)| k)).collect::<mlua::Result<_>>()?;
        out.set(keys.len());
        for k in &keys {
            lua_to_reply(lua, k, script_resp, out, depth + 1)?;
        }
        return Ok(());
    }
    let mut items = Vec::new();
    loop {
        let v: Value = t.raw_get(items.len() + 1)?;
        if v.is_nil() {
            break;
        }
        items.push(v);
    }
    out.array(items.len());
    for v in &items {
        lua_to_reply(lua, v, script_resp, out, depth + 1)?;
    }
    Ok(())
}

/// Formats a Lua number argument of `redis.call` as Redis does (`%.17g`).
pub fn number_arg(n: f64) -> String {
    format_f64_17g(n)
}
