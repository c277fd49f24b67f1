//! lua-cjson 2.1 (`cjson`) as Redis bundles it: `encode` with `%.14g` numbers, `{}` for
//! an empty table, sparse-array and nesting limits; `decode` with lua-cjson's tokenizer,
//! `strtod` numbers and its exact error texts; `cjson.null`.

use std::ffi::c_void;

use mlua::{LightUserData, Lua, MultiValue, Table, Value};

use super::{check_bytes, fmt_g};
use crate::scripting::vm::{fail, type_name};

/// Nesting limits (lua-cjson's defaults).
const MAX_DEPTH: usize = 1000;
/// Sparse arrays: ratio and safe length (lua-cjson's defaults).
const SPARSE_RATIO: f64 = 2.0;
const SPARSE_SAFE: f64 = 10.0;

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut::<c_void>()))
}

/// Registers the `cjson` global.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.raw_set(
        "encode",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return fail(lua, "bad argument #1 to 'encode' (expected 1 argument)");
            }
            let mut out = Vec::new();
            match encode(&args[0], &mut out, 0) {
                Ok(()) => Ok(MultiValue::from_iter([Value::String(lua.create_string(&out)?)])),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    t.raw_set(
        "decode",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            if args.len() != 1 {
                return fail(lua, "bad argument #1 to 'decode' (expected 1 argument)");
            }
            let data = match check_bytes(lua, &args, 1, "decode") {
                Ok(d) => d,
                Err(e) => return fail(lua, &e),
            };
            match decode(lua, &data)? {
                Ok(v) => Ok(MultiValue::from_iter([v])),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    t.raw_set("null", null())?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    // Configuration getters/setters: Rhodium keeps lua-cjson's defaults and reports them.
    for (name, values) in [
        ("encode_sparse_array", vec![Value::Boolean(false), Value::Integer(2), Value::Integer(10)]),
        ("encode_max_depth", vec![Value::Integer(1000)]),
        ("decode_max_depth", vec![Value::Integer(1000)]),
        ("encode_number_precision", vec![Value::Integer(14)]),
        ("encode_keep_buffer", vec![Value::Boolean(true)]),
        ("encode_invalid_numbers", vec![Value::Boolean(false)]),
        ("decode_invalid_numbers", vec![Value::Boolean(true)]),
    ] {
        t.raw_set(name, lua.create_function(move |_, _: MultiValue| Ok(MultiValue::from_iter(values.clone())))?)?;
    }
    lua.globals().raw_set("cjson", t)
}

fn exception(v: &Value, reason: &str) -> String {
    format!("Cannot serialise {}: {}", lua_type(v), reason)
}

/// `lua_typename` of a value (unlike argument errors, nil is "nil").
fn lua_type(v: &Value) -> &'static str {
    match v {
        Value::Nil => "nil",
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        other => type_name(other),
    }
}

fn append_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{:04x}", c).as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

fn append_number(v: &Value, n: f64, out: &mut Vec<u8>) -> Result<(), String> {
    if n.is_nan() || n.is_infinite() {
        return Err(exception(v, "must not be NaN or Inf"));
    }
    out.extend_from_slice(fmt_g(n, 14).as_bytes());
    Ok(())
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize) -> Result<(), String> {
    match v {
        Value::String(s) => append_string(&s.as_bytes(), out),
        Value::Integer(i) => append_number(v, *i as f64, out)?,
        Value::Number(n) => append_number(v, *n, out)?,
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Table(t) => {
            let depth = depth + 1;
            if depth > MAX_DEPTH {
                return Err(format!("Cannot serialise, excessive nesting ({depth})"));
            }
            match array_length(v, t)? {
                Some(len) if len > 0 => {
                    out.push(b'[');
                    for i in 1..=len {
                        if i > 1 {
                            out.push(b',');
                        }
                        let item: Value = t.raw_get(i).map_err(|e| e.to_string())?;
                        encode(&item, out, depth)?;
                    }
                    out.push(b']');
                }
                _ => {
                    out.push(b'{');
                    let mut first = true;
                    for pair in t.clone().pairs::<Value, Value>() {
                        let (k, val) = pair.map_err(|e| e.to_string())?;
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        match &k {
                            Value::Integer(i) => {
                                out.push(b'"');
                                append_number(&k, *i as f64, out)?;
                                out.extend_from_slice(b"\":");
                            }
                            Value::Number(n) => {
                                out.push(b'"');
                                append_number(&k, *n, out)?;
                                out.extend_from_slice(b"\":");
                            }
                            Value::String(s) => {
                                append_string(&s.as_bytes(), out);
                                out.push(b':');
                            }
                            other => return Err(exception(other, "table key must be a number or string")),
                        }
                        encode(&val, out, depth)?;
                    }
                    out.push(b'}');
                }
            }
        }
        other => return Err(exception(other, "type not supported")),
    }
    Ok(())
}

/// lua-cjson's `lua_array_length`: `None` when the table is an object.
fn array_length(v: &Value, t: &Table) -> Result<Option<usize>, String> {
    let (mut max, mut items) = (0f64, 0f64);
    for pair in t.clone().pairs::<Value, Value>() {
        let (k, _) = pair.map_err(|e| e.to_string())?;
        let k = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return Ok(None),
        };
        if k != 0.0 && k.floor() == k && k >= 1.0 {
            max = max.max(k);
            items += 1.0;
        } else {
            return Ok(None);
        }
    }
    if max > items * SPARSE_RATIO && max > SPARSE_SAFE {
        return Err(exception(v, "excessively sparse array"));
    }
    Ok(Some(max as usize))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Number(_) => "T_NUMBER",
            Tok::Boolean(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

struct Parser<'a> {
    /// The JSON text followed by a NUL, as lua-cjson sees its C string.
    data: &'a [u8],
    pos: usize,
    depth: usize,
    string: Vec<u8>,
}

type Parsed<T> = mlua::Result<Result<T, String>>;

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// The next token and its 0-based index.
    fn next(&mut self) -> (Tok, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let c = self.at(self.pos);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b':' => Some(Tok::Colon),
            b',' => Some(Tok::Comma),
            0 => return (Tok::End, start),
            _ => None,
        };
        if let Some(t) = single {
            self.pos += 1;
            return (t, start);
        }
        if !matches!(c, b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' | b'i' | b'I' | b'N' | b'+') {
            return (Tok::Error("invalid token"), start);
        }
        if c == b'"' {
            return self.string_token();
        }
        let rest = &self.data[self.pos..];
        if c == b'-' || c == b'+' || c.is_ascii_digit() {
            return self.number_token();
        }
        if rest.starts_with(b"true") {
            self.pos += 4;
            return (Tok::Boolean(true), start);
        }
        if rest.starts_with(b"false") {
            self.pos += 5;
            return (Tok::Boolean(false), start);
        }
        if rest.starts_with(b"null") {
            self.pos += 4;
            return (Tok::Null, start);
        }
        let lower: Vec<u8> = rest.iter().take(3).map(|b| b.to_ascii_lowercase()).collect();
        if lower == b"inf" || lower == b"nan" {
            return self.number_token();
        }
        (Tok::Error("invalid token"), start)
    }

    fn number_token(&mut self) -> (Tok, usize) {
        let start = self.pos;
        let mut end: *mut libc::c_char = std::ptr::null_mut();
        // SAFETY: `data` ends with a NUL, so strtod stops inside it.
        let ptr = self.data[self.pos..].as_ptr() as *const libc::c_char;
        let n = unsafe { libc::strtod(ptr, &mut end) };
        let used = (end as usize).saturating_sub(ptr as usize);
        if used == 0 {
            return (Tok::Error("invalid number"), start);
        }
        self.pos += used;
        (Tok::Number(n), start)
    }

    fn string_token(&mut self) -> (Tok, usize) {
        let start = self.pos;
        self.pos += 1;
        self.string.clear();
        loop {
            let c = self.at(self.pos);
            if c == b'"' {
                break;
            }
            if c == 0 {
                return (Tok::Error("unexpected end of string"), self.pos);
            }
            if c == b'\\' {
                let e = self.at(self.pos + 1);
                let t = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b'f' => 12,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => {
                        if self.unicode_escape() {
                            continue;
                        }
                        return (Tok::Error("invalid unicode escape code"), self.pos);
                    }
                    _ => return (Tok::Error("invalid escape code"), self.pos),
                };
                self.pos += 1;
                self.string.push(t);
                self.pos += 1;
                continue;
            }
            self.string.push(c);
            self.pos += 1;
        }
        self.pos += 1;
        let _ = start;
        (Tok::Str, start)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let s = self.data.get(at..at + 4)?;
        let s = std::str::from_utf8(s).ok()?;
        if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(s, 16).ok()
    }

    /// `\uXXXX` (and a surrogate pair) at `pos`, appended as UTF-8.
    fn unicode_escape(&mut self) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else { return false };
        let mut len = 6;
        if (0xDC00..=0xDFFF).contains(&cp) {
            return false;
        }
        if (0xD800..=0xDBFF).contains(&cp) {
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(lo) = self.hex4(self.pos + 8) else { return false };
            if !(0xDC00..=0xDFFF).contains(&lo) {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (lo & 0x3FF)) + 0x10000;
            len = 12;
        }
        let mut buf = [0u8; 4];
        match char::from_u32(cp) {
            Some(ch) => self.string.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes()),
            None => return false,
        }
        self.pos += len;
        true
    }

    fn error(expected: &str, tok: Tok, index: usize) -> String {
        format!("Expected {} but found {} at character {}", expected, tok.name(), index + 1)
    }

    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("Found too many nested data structures ({}) at character {}", self.depth, self.pos));
        }
        Ok(())
    }

    fn value(&mut self, lua: &Lua, tok: Tok, index: usize) -> Parsed<Value> {
        Ok(Ok(match tok {
            Tok::Str => Value::String(lua.create_string(&self.string)?),
            Tok::Number(n) => Value::Number(n),
            Tok::Boolean(b) => Value::Boolean(b),
            Tok::Null => null(),
            Tok::ObjBegin => return self.object(lua),
            Tok::ArrBegin => return self.array(lua),
            other => return Ok(Err(Self::error("value", other, index))),
        }))
    }

    fn object(&mut self, lua: &Lua) -> Parsed<Value> {
        if let Err(e) = self.descend() {
            return Ok(Err(e));
        }
        let t = lua.create_table()?;
        let (mut tok, mut idx) = self.next();
        if tok == Tok::ObjEnd {
            self.depth -= 1;
            return Ok(Ok(Value::Table(t)));
        }
        loop {
            if tok != Tok::Str {
                return Ok(Err(Self::error("object key string", tok, idx)));
            }
            let key = lua.create_string(&self.string)?;
            let (c, ci) = self.next();
            if c != Tok::Colon {
                return Ok(Err(Self::error("colon", c, ci)));
            }
            let (vt, vi) = self.next();
            let v = match self.value(lua, vt, vi)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            t.raw_set(key, v)?;
            let (sep, si) = self.next();
            match sep {
                Tok::ObjEnd => break,
                Tok::Comma => {}
                other => return Ok(Err(Self::error("comma or object end", other, si))),
            }
            (tok, idx) = self.next();
        }
        self.depth -= 1;
        Ok(Ok(Value::Table(t)))
    }

    fn array(&mut self, lua: &Lua) -> Parsed<Value> {
        if let Err(e) = self.descend() {
            return Ok(Err(e));
        }
        let t = lua.create_table()?;
        let (mut tok, mut idx) = self.next();
        if tok == Tok::ArrEnd {
            self.depth -= 1;
            return Ok(Ok(Value::Table(t)));
        }
        let mut i = 1;
        loop {
            let v = match self.value(lua, tok, idx)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
            t.raw_set(i, v)?;
            i += 1;
            let (sep, si) = self.next();
            match sep {
                Tok::ArrEnd => break,
                Tok::Comma => {}
                other => return Ok(Err(Self::error("comma or array end", other, si))),
            }
            (tok, idx) = self.next();
        }
        self.depth -= 1;
        Ok(Ok(Value::Table(t)))
    }
}

fn decode(lua: &Lua, text: &[u8]) -> Parsed<Value> {
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Ok(Err("JSON parser does not support UTF-16 or UTF-32".into()));
    }
    let mut data = text.to_vec();
    data.push(0);
    let mut p = Parser { data: &data, pos: 0, depth: 0, string: Vec::new() };
    let (tok, idx) = p.next();
    let v = match p.value(lua, tok, idx)? {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    let (end, ei) = p.next();
    if end != Tok::End {
        return Ok(Err(Parser::error("the end", end, ei)));
    }
    Ok(Ok(v))
}
