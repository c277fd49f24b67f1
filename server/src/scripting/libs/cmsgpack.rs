//! lua-cmsgpack 0.4 (`cmsgpack`) as Redis bundles it: `pack(...)` of every argument,
//! `unpack`, `unpack_one` and `unpack_limit`, with its integer/float choices and errors.

use mlua::{Lua, MultiValue, Table, Value};

use super::{check_bytes, check_number};
use crate::scripting::vm::{fail, raise_string};

/// How an unpack failed: a luaL_error message (positioned) or a raw Lua error.
enum DecodeFailure {
    Msg(String),
    Raw(&'static str),
}

/// 2^63, the first double past `i64`.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

/// Deeper tables are packed as nil (LUACMSGPACK_MAX_NESTING).
const MAX_NESTING: usize = 16;

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2147483648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(n: f64, out: &mut Vec<u8>) {
    // IS_INT64_EQUIVALENT: finite and unchanged by a round trip through int64_t.
    if n.is_finite() && (-TWO_63..TWO_63).contains(&n) && (n as i64) as f64 == n {
        encode_int(n as i64, out);
        return;
    }
    let f = n as f32;
    if f64::from(f) == n {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn header(out: &mut Vec<u8>, len: usize, fix: u8, b16: u8, b32: u8) {
    if len < 16 {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// lua-cmsgpack's `table_is_an_array`: keys exactly 1..n (an empty table is an array).
fn array_len(t: &Table) -> mlua::Result<Option<usize>> {
    let (mut count, mut max) = (0usize, 0usize);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair?;
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        let idx = n as i64;
        if idx as f64 != n || idx < 1 {
            return Ok(None);
        }
        max = max.max(idx as usize);
        count += 1;
    }
    Ok((max == count).then_some(count))
}

fn encode(v: &Value, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    match v {
        Value::String(s) => encode_bytes(&s.as_bytes(), out),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_int(*i, out),
        Value::Number(n) => encode_number(*n, out),
        Value::Table(t) if level < MAX_NESTING => match array_len(t)? {
            Some(len) => {
                header(out, len, 0x90, 0xdc, 0xdd);
                for i in 1..=len {
                    let item: Value = t.raw_get(i)?;
                    encode(&item, out, level + 1)?;
                }
            }
            None => {
                let pairs: Vec<(Value, Value)> = t.clone().pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
                header(out, pairs.len(), 0x80, 0xde, 0xdf);
                for (k, val) in &pairs {
                    encode(k, out, level + 1)?;
                    encode(val, out, level + 1)?;
                }
            }
        },
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Why decoding stopped.
enum DecodeError {
    Eof,
    BadFormat,
    /// A map key decoded to nil: Lua's own "table index is nil" error.
    NilKey,
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let s = self.data.get(self.pos..self.pos + n).ok_or(DecodeError::Eof)?;
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self.take(n)?.iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)))
    }

    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Result<Value, DecodeError>> {
        if depth > 1000 {
            return Ok(Err(DecodeError::BadFormat));
        }
        macro_rules! tri {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return Ok(Err(e)),
                }
            };
        }
        let b = tri!(self.take(1))[0];
        let num = |n: f64| Value::Number(n);
        Ok(Ok(match b {
            0x00..=0x7f => num(f64::from(b)),
            0x80..=0x8f => return self.map(lua, usize::from(b & 0x0f), depth),
            0x90..=0x9f => return self.array(lua, usize::from(b & 0x0f), depth),
            0xa0..=0xbf => {
                let s = tri!(self.take(usize::from(b & 0x1f)));
                Value::String(lua.create_string(s)?)
            }
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xca => num(f64::from(f32::from_bits(tri!(self.be(4)) as u32))),
            0xcb => num(f64::from_bits(tri!(self.be(8)))),
            0xcc => num(tri!(self.be(1)) as f64),
            0xcd => num(tri!(self.be(2)) as f64),
            0xce => num(tri!(self.be(4)) as f64),
            0xcf => num(tri!(self.be(8)) as f64),
            0xd0 => num(f64::from(tri!(self.be(1)) as u8 as i8)),
            0xd1 => num(f64::from(tri!(self.be(2)) as u16 as i16)),
            0xd2 => num(f64::from(tri!(self.be(4)) as u32 as i32)),
            0xd3 => num(tri!(self.be(8)) as i64 as f64),
            0xd9 => {
                let n = tri!(self.be(1)) as usize;
                Value::String(lua.create_string(tri!(self.take(n)))?)
            }
            0xda => {
                let n = tri!(self.be(2)) as usize;
                Value::String(lua.create_string(tri!(self.take(n)))?)
            }
            0xdb => {
                let n = tri!(self.be(4)) as usize;
                Value::String(lua.create_string(tri!(self.take(n)))?)
            }
            0xdc => {
                let n = tri!(self.be(2)) as usize;
                return self.array(lua, n, depth);
            }
            0xdd => {
                let n = tri!(self.be(4)) as usize;
                return self.array(lua, n, depth);
            }
            0xde => {
                let n = tri!(self.be(2)) as usize;
                return self.map(lua, n, depth);
            }
            0xdf => {
                let n = tri!(self.be(4)) as usize;
                return self.map(lua, n, depth);
            }
            0xe0..=0xff => num(f64::from(b as i8)),
            _ => return Ok(Err(DecodeError::BadFormat)),
        }))
    }

    fn array(&mut self, lua: &Lua, n: usize, depth: usize) -> mlua::Result<Result<Value, DecodeError>> {
        // Every element takes at least one byte: a count beyond the input is a short read.
        if n > self.left() {
            return Ok(Err(DecodeError::Eof));
        }
        let t = lua.create_table_with_capacity(n, 0)?;
        for i in 1..=n {
            match self.value(lua, depth + 1)? {
                Ok(v) => t.raw_set(i, v)?,
                Err(e) => return Ok(Err(e)),
            }
        }
        Ok(Ok(Value::Table(t)))
    }

    fn map(&mut self, lua: &Lua, n: usize, depth: usize) -> mlua::Result<Result<Value, DecodeError>> {
        if n > self.left() {
            return Ok(Err(DecodeError::Eof));
        }
        let t = lua.create_table()?;
        for _ in 0..n {
            let k = match self.value(lua, depth + 1)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            let v = match self.value(lua, depth + 1)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            if k.is_nil() {
                return Ok(Err(DecodeError::NilKey));
            }
            t.raw_set(k, v)?;
        }
        Ok(Ok(Value::Table(t)))
    }
}

/// `mp_unpack_full`.
fn unpack_full(lua: &Lua, data: &[u8], limit: i64, offset: i64) -> mlua::Result<Result<Vec<Value>, DecodeFailure>> {
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Ok(Err(DecodeFailure::Msg(format!("Invalid request to unpack with offset of {} and limit of {}.", offset, data.len()))));
    }
    if offset as usize > data.len() {
        return Ok(Err(DecodeFailure::Msg(format!("Start offset {} greater than input length {}.", offset, data.len()))));
    }
    let limit = if decode_all { i64::MAX } else { limit };
    let mut c = Cursor { data, pos: offset as usize };
    let mut out = Vec::new();
    let mut cnt = 0;
    while c.left() > 0 && cnt < limit {
        match c.value(lua, 0)? {
            Ok(v) => out.push(v),
            Err(DecodeError::Eof) => return Ok(Err(DecodeFailure::Msg("Missing bytes in input.".into()))),
            Err(DecodeError::BadFormat) => return Ok(Err(DecodeFailure::Msg("Bad data format in input.".into()))),
            Err(DecodeError::NilKey) => return Ok(Err(DecodeFailure::Raw("table index is nil"))),
        }
        cnt += 1;
    }
    if !decode_all {
        let next = if c.left() == 0 { -1 } else { c.pos as i64 };
        out.insert(0, Value::Number(next as f64));
    }
    Ok(Ok(out))
}

/// Registers the `cmsgpack` global.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            if args.is_empty() {
                return fail(lua, "bad argument #0 to 'pack' (MessagePack pack needs input.)");
            }
            let mut out = Vec::new();
            for a in &args {
                encode(a, &mut out, 0)?;
            }
            Ok(MultiValue::from_iter([Value::String(lua.create_string(&out)?)]))
        })?,
    )?;
    let unpacker = |name: &'static str, kind: u8| {
        move |lua: &Lua, args: MultiValue| -> mlua::Result<MultiValue> {
            let args: Vec<Value> = args.into_iter().collect();
            let data = match check_bytes(lua, &args, 1, name) {
                Ok(d) => d,
                Err(e) => return fail(lua, &e),
            };
            let opt = |i: usize| -> Result<i64, String> {
                match args.get(i - 1) {
                    None | Some(Value::Nil) => Ok(0),
                    Some(_) => check_number(&args, i, name).map(|n| n as i64),
                }
            };
            let (limit, offset) = match kind {
                0 => (0, 0),
                1 => (1, match opt(2) {
                    Ok(o) => o,
                    Err(e) => return fail(lua, &e),
                }),
                _ => match (opt(2), opt(3)) {
                    (Ok(l), Ok(o)) => (l, o),
                    (Err(e), _) | (_, Err(e)) => return fail(lua, &e),
                },
            };
            match unpack_full(lua, &data, limit, offset)? {
                Ok(v) => Ok(MultiValue::from_iter(v)),
                Err(DecodeFailure::Msg(e)) => fail(lua, &e),
                Err(DecodeFailure::Raw(e)) => raise_string(lua, e),
            }
        }
    };
    t.raw_set("unpack", lua.create_function(unpacker("unpack", 0))?)?;
    t.raw_set("unpack_one", lua.create_function(unpacker("unpack_one", 1))?)?;
    t.raw_set("unpack_limit", lua.create_function(unpacker("unpack_limit", 2))?)?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    lua.globals().raw_set("cmsgpack", t)
}
