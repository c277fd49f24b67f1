//! Redis 7.0 Functions: libraries loaded with FUNCTION LOAD into their own Lua VM,
//! `redis.register_function`, the function index FCALL looks names up in, and the
//! FUNCTION DUMP / RESTORE payload (RDB function opcodes, version, CRC64).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Table, Value};

use super::shebang::flag_by_name;
use super::vm::{self, fail_table};
use super::{lua_error_message, RunFlags};

/// How long a library's code may run at load (Redis's `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT_MS: i64 = 500;

/// One registered function.
pub struct FunctionInfo {
    pub name: String,
    pub func: Function,
    pub flags: u32,
    pub description: Option<Bytes>,
}

/// One library.
pub struct Library {
    pub name: String,
    pub code: Bytes,
    pub functions: BTreeMap<String, FunctionInfo>,
}

/// Functions registered by the code being loaded.
#[derive(Default)]
struct LoadState {
    functions: Vec<FunctionInfo>,
}

/// All libraries and their VM.
pub struct Functions {
    run: Arc<RunFlags>,
    lua: Option<Lua>,
    pub libraries: BTreeMap<String, Library>,
    /// Function name → library name.
    pub index: HashMap<String, String>,
}

/// Library names: letters, digits and underscores, at least one.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// The library name and where the code starts (Redis's `functionExtractLibMetaData`).
fn metadata(code: &[u8]) -> Result<(String, usize), String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts: Vec<&[u8]> = code[..end].split(|b| *b == b' ' || *b == b'\t' || *b == b'\r').filter(|p| !p.is_empty()).collect();
    let engine = parts.first().map(|p| &p[2..]).unwrap_or(b"");
    if engine != b"lua" {
        return Err(format!("Engine '{}' not found", String::from_utf8_lossy(engine)));
    }
    let mut name = None;
    for p in &parts[1..] {
        match p.strip_prefix(b"name=") {
            Some(n) => name = Some(n),
            None => return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(p))),
        }
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    if !valid_name(name) {
        return Err(BAD_NAME.into());
    }
    Ok((String::from_utf8_lossy(name).into_owned(), end))
}

impl Functions {
    pub fn new(run: Arc<RunFlags>) -> Functions {
        Functions { run, lua: None, libraries: BTreeMap::new(), index: HashMap::new() }
    }

    /// The VM, created on first use.
    pub fn lua(&mut self) -> Result<&Lua, String> {
        if self.lua.is_none() {
            let lua = vm::create().map_err(|e| format!("Failed to create the Lua VM: {e}"))?;
            super::install_kill_hook(&lua, &self.run);
            lua.set_app_data(LoadState::default());
            self.lua = Some(lua);
        }
        self.lua.as_ref().ok_or_else(|| "Failed to create the Lua VM".to_string())
    }

    /// Bytes used by the VM, if it exists.
    pub fn used_memory(&self) -> Option<usize> {
        self.lua.as_ref().map(Lua::used_memory)
    }

    /// Compiles and runs a library's code, returning the library (not installed).
    fn compile(&mut self, code: &Bytes) -> Result<Library, String> {
        let (name, start) = metadata(code)?;
        let run = self.run.clone();
        let lua = self.lua()?;
        let f = lua
            .load(&code[start..])
            .set_name("@user_function")
            .into_function()
            .map_err(|e| format!("Error compiling function: {}", lua_error_message(&e)))?;
        let register = lua.create_function(register_function).map_err(|e| e.to_string())?;
        let rt = vm::rt(lua).map_err(|e| e.to_string())?;
        let make_raising: Function = rt.raw_get("make_raising").map_err(|e| e.to_string())?;
        let register: Function = make_raising.call(register).map_err(|e| e.to_string())?;
        let loader: Function = rt.raw_get("load_library").map_err(|e| e.to_string())?;
        lua.set_app_data(LoadState::default());
        run.load_deadline_ms.store(rhodium_storage::clock::now_ms() + LOAD_TIMEOUT_MS, Ordering::Release);
        let result = loader.call::<(bool, Value)>((f, register));
        run.load_deadline_ms.store(0, Ordering::Release);
        let state = lua.remove_app_data::<LoadState>().unwrap_or_default();
        let (ok, err) = result.map_err(|e| e.to_string())?;
        if !ok {
            let msg = match &err {
                Value::Table(t) => t.raw_get::<mlua::String>("err").map(|s| s.to_string_lossy()).unwrap_or_default(),
                other => vm::error_text(other),
            };
            return Err(format!("Error registering functions: {msg}"));
        }
        if state.functions.is_empty() {
            return Err("No functions registered".into());
        }
        let functions = state.functions.into_iter().map(|f| (f.name.clone(), f)).collect();
        Ok(Library { name, code: code.clone(), functions })
    }

    /// FUNCTION LOAD. Returns the library name.
    pub fn load(&mut self, code: &Bytes, replace: bool) -> Result<String, String> {
        let (name, _) = metadata(code)?;
        if self.libraries.contains_key(&name) && !replace {
            return Err(format!("Library '{name}' already exists"));
        }
        let lib = self.compile(code)?;
        for f in lib.functions.keys() {
            if let Some(owner) = self.index.get(f) {
                if *owner != lib.name {
                    return Err(format!("Function {f} already exists"));
                }
            }
        }
        self.install(lib);
        Ok(name)
    }

    fn install(&mut self, lib: Library) {
        self.remove(&lib.name);
        for f in lib.functions.keys() {
            self.index.insert(f.clone(), lib.name.clone());
        }
        self.libraries.insert(lib.name.clone(), lib);
        self.publish_counts();
    }

    fn publish_counts(&self) {
        self.run.libraries.store(self.libraries.len(), Ordering::Release);
        self.run.functions.store(self.index.len(), Ordering::Release);
    }

    /// Removes a library; false if it did not exist.
    pub fn remove(&mut self, name: &str) -> bool {
        match self.libraries.remove(name) {
            Some(lib) => {
                for f in lib.functions.keys() {
                    self.index.remove(f);
                }
                self.publish_counts();
                true
            }
            None => false,
        }
    }

    /// FUNCTION FLUSH: drops every library and starts a fresh VM.
    pub fn flush(&mut self) {
        self.libraries.clear();
        self.index.clear();
        self.lua = None;
        self.publish_counts();
    }

    /// A function by name: (function, flags).
    pub fn get(&self, name: &str) -> Option<(Function, u32)> {
        let lib = self.libraries.get(self.index.get(name)?)?;
        let f = lib.functions.get(name)?;
        Some((f.func.clone(), f.flags))
    }

    /// FUNCTION DUMP's payload.
    pub fn dump(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for lib in self.libraries.values() {
            out.push(RDB_OPCODE_FUNCTION2);
            rdb_save_len(&mut out, lib.code.len() as u64);
            out.extend_from_slice(&lib.code);
        }
        out.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// FUNCTION RESTORE with a policy: "FLUSH", "APPEND" or "REPLACE".
    pub fn restore(&mut self, payload: &[u8], policy: &str) -> Result<(), String> {
        let codes = parse_payload(payload)?;
        // Compile everything first: a bad payload changes nothing.
        let mut libs = Vec::new();
        for code in codes {
            libs.push(self.compile(&Bytes::from(code))?);
        }
        let mut seen = std::collections::HashSet::new();
        for lib in &libs {
            if !seen.insert(lib.name.clone()) {
                return Err(format!("Library {} already exists", lib.name));
            }
        }
        match policy {
            "FLUSH" => {
                self.libraries.clear();
                self.index.clear();
                self.publish_counts();
            }
            "APPEND" => {
                for lib in &libs {
                    if self.libraries.contains_key(&lib.name) {
                        return Err(format!("Library {} already exists", lib.name));
                    }
                }
            }
            _ => {}
        }
        // Function names must not collide with libraries that stay.
        for lib in &libs {
            for f in lib.functions.keys() {
                if let Some(owner) = self.index.get(f) {
                    let replaced = libs.iter().any(|l| l.name == *owner);
                    if !replaced {
                        return Err(format!("Function {f} already exists"));
                    }
                }
            }
        }
        for lib in libs {
            self.install(lib);
        }
        Ok(())
    }
}

/// `redis.register_function(name, callback)` or `redis.register_function{function_name=,
/// callback=, flags=, description=}` during a load.
fn register_function(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let args: Vec<Value> = args.into_iter().collect();
    let (name, callback, flags, description) = match args.as_slice() {
        [Value::Table(t)] => match named_args(t)? {
            Ok(x) => x,
            Err(msg) => return fail_table(lua, msg),
        },
        [_] => return fail_table(lua, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."),
        [Value::String(n), Value::Function(f)] => (n.as_bytes().to_vec(), f.clone(), 0, None),
        [_, _] => return fail_table(lua, "wrong number of arguments to redis.register_function"),
        _ => return fail_table(lua, "wrong number of arguments to redis.register_function"),
    };
    if !valid_name(&name) {
        return fail_table(lua, BAD_NAME);
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    let Some(mut state) = lua.app_data_mut::<LoadState>() else {
        return fail_table(lua, "redis.register_function can only be called on FUNCTION LOAD command");
    };
    if state.functions.iter().any(|f| f.name == name) {
        drop(state);
        return fail_table(lua, "Function already exists in the library");
    }
    state.functions.push(FunctionInfo { name, func: callback, flags, description });
    Ok(MultiValue::new())
}

type Named = (Vec<u8>, Function, u32, Option<Bytes>);

fn named_args(t: &Table) -> mlua::Result<Result<Named, &'static str>> {
    let (mut name, mut callback, mut flags, mut description) = (None, None, 0u32, None);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let key = match &k {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => return Ok(Err("named argument key given to redis.register_function is not a string")),
        };
        match key.as_slice() {
            b"function_name" => match v {
                Value::String(s) => name = Some(s.as_bytes().to_vec()),
                _ => return Ok(Err("function_name argument given to redis.register_function must be a string")),
            },
            b"description" => match v {
                Value::String(s) => description = Some(Bytes::copy_from_slice(&s.as_bytes())),
                _ => return Ok(Err("description argument given to redis.register_function must be a string")),
            },
            b"callback" => match v {
                Value::Function(f) => callback = Some(f),
                _ => return Ok(Err("callback argument given to redis.register_function must be a function")),
            },
            b"flags" => match v {
                Value::Table(ft) => {
                    for i in 1..=ft.raw_len() {
                        let Value::String(s) = ft.raw_get::<Value>(i)? else {
                            return Ok(Err("unknown flag given"));
                        };
                        match flag_by_name(&s.as_bytes()) {
                            Some(f) => flags |= f,
                            None => return Ok(Err("unknown flag given")),
                        }
                    }
                }
                _ => return Ok(Err("flags argument to redis.register_function must be a table representing function flags")),
            },
            _ => return Ok(Err("unknown argument given to redis.register_function")),
        }
    }
    let Some(name) = name else {
        return Ok(Err("redis.register_function must get a function name argument"));
    };
    let Some(callback) = callback else {
        return Ok(Err("redis.register_function must get a callback argument"));
    };
    Ok(Ok((name, callback, flags, description)))
}

const RDB_OPCODE_FUNCTION2: u8 = 245;
const RDB_VERSION: u16 = 10;

fn rdb_save_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

const BAD_PAYLOAD: &str = "DUMP payload version or checksum are wrong";

/// The library codes in a DUMP payload, after checking its version and CRC64.
fn parse_payload(p: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if p.len() < 10 {
        return Err(BAD_PAYLOAD.into());
    }
    let (body, footer) = p.split_at(p.len() - 8);
    let version = u16::from_le_bytes([body[body.len() - 2], body[body.len() - 1]]);
    if version > RDB_VERSION || crc64(0, body).to_le_bytes() != footer {
        return Err(BAD_PAYLOAD.into());
    }
    let data = &body[..body.len() - 2];
    let mut pos = 0;
    let mut codes = Vec::new();
    while pos < data.len() {
        if data[pos] != RDB_OPCODE_FUNCTION2 {
            return Err("given type is not a function".into());
        }
        pos += 1;
        codes.push(rdb_load_string(data, &mut pos).ok_or_else(|| "Failed loading library".to_string())?);
    }
    Ok(codes)
}

fn rdb_load_len(d: &[u8], pos: &mut usize) -> Option<(u64, bool)> {
    let b = *d.get(*pos)?;
    *pos += 1;
    match b >> 6 {
        0 => Some((u64::from(b & 0x3f), false)),
        1 => {
            let b2 = *d.get(*pos)?;
            *pos += 1;
            Some(((u64::from(b & 0x3f) << 8) | u64::from(b2), false))
        }
        2 => match b {
            0x80 => {
                let v = u32::from_be_bytes(d.get(*pos..*pos + 4)?.try_into().ok()?);
                *pos += 4;
                Some((u64::from(v), false))
            }
            0x81 => {
                let v = u64::from_be_bytes(d.get(*pos..*pos + 8)?.try_into().ok()?);
                *pos += 8;
                Some((v, false))
            }
            _ => None,
        },
        _ => Some((u64::from(b & 0x3f), true)),
    }
}

/// An RDB string: raw, integer-encoded or LZF-compressed.
fn rdb_load_string(d: &[u8], pos: &mut usize) -> Option<Vec<u8>> {
    let (len, encoded) = rdb_load_len(d, pos)?;
    if !encoded {
        let s = d.get(*pos..*pos + len as usize)?.to_vec();
        *pos += len as usize;
        return Some(s);
    }
    match len {
        0 => {
            let v = *d.get(*pos)? as i8;
            *pos += 1;
            Some(v.to_string().into_bytes())
        }
        1 => {
            let v = i16::from_le_bytes(d.get(*pos..*pos + 2)?.try_into().ok()?);
            *pos += 2;
            Some(v.to_string().into_bytes())
        }
        2 => {
            let v = i32::from_le_bytes(d.get(*pos..*pos + 4)?.try_into().ok()?);
            *pos += 4;
            Some(v.to_string().into_bytes())
        }
        3 => {
            let (clen, _) = rdb_load_len(d, pos)?;
            let (ulen, _) = rdb_load_len(d, pos)?;
            let src = d.get(*pos..*pos + clen as usize)?;
            *pos += clen as usize;
            lzf_decompress(src, ulen as usize)
        }
        _ => None,
    }
}

/// LZF decompression (liblzf's format, as RDB uses it).
fn lzf_decompress(src: &[u8], ulen: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(ulen);
    let mut i = 0;
    while i < src.len() {
        let ctrl = src[i] as usize;
        i += 1;
        if ctrl < 32 {
            let n = ctrl + 1;
            out.extend_from_slice(src.get(i..i + n)?);
            i += n;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *src.get(i)? as usize;
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + *src.get(i)? as usize + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for k in 0..len + 2 {
                let b = out[start + k];
                out.push(b);
            }
        }
        if out.len() > ulen {
            return None;
        }
    }
    (out.len() == ulen).then_some(out)
}

/// Redis's CRC64 (Jones polynomial, reflected), as DUMP payloads carry it.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac9329ac4bc9b5;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ POLY } else { crc >> 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_check_value() {
        // Redis's crc64 test vector.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6d914c4b8d9ca);
    }

    #[test]
    fn metadata_errors() {
        assert_eq!(metadata(b"return 1").unwrap_err(), "Missing library metadata");
        assert_eq!(metadata(b"#!lua\nx").unwrap_err(), "Library name was not given");
        assert_eq!(metadata(b"#!python name=x\n").unwrap_err(), "Engine 'python' not found");
        assert_eq!(metadata(b"#!lua name=a-b\n").unwrap_err(), BAD_NAME);
        assert_eq!(metadata(b"#!lua name=l flags=x\n").unwrap_err(), "Invalid metadata value given: flags=x");
        assert_eq!(metadata(b"#!lua name=lib_1\nx").unwrap(), ("lib_1".to_string(), 16));
    }

    #[test]
    fn payload_round_trip() {
        let mut p = vec![RDB_OPCODE_FUNCTION2];
        rdb_save_len(&mut p, 3);
        p.extend_from_slice(b"abc");
        p.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let c = crc64(0, &p);
        p.extend_from_slice(&c.to_le_bytes());
        assert_eq!(parse_payload(&p).unwrap(), vec![b"abc".to_vec()]);
        p[3] ^= 1;
        assert_eq!(parse_payload(&p).unwrap_err(), BAD_PAYLOAD);
    }
}
