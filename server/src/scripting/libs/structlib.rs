//! Roberto Ierusalimschy's `struct` library as Redis bundles it: `pack`, `unpack` and
//! `size` over a format of `<` `>` `!n` `x b B h H l L T i[n] I[n] f d s c[n]` options.

use mlua::{Lua, MultiValue, Value};

use super::{check_bytes, check_number};
use crate::scripting::vm::fail;

const MAXINTSIZE: usize = 32;
const MAXALIGN: usize = 8;

#[derive(Clone, Copy)]
struct Header {
    big: bool,
    align: usize,
}

/// `getnum`: a decimal size after an option, or `default`.
fn getnum(fmt: &[u8], i: &mut usize, default: usize) -> Result<usize, String> {
    if !fmt.get(*i).is_some_and(u8::is_ascii_digit) {
        return Ok(default);
    }
    let mut a: usize = 0;
    while let Some(d) = fmt.get(*i).filter(|c| c.is_ascii_digit()) {
        let d = usize::from(d - b'0');
        if a > (i32::MAX as usize) / 10 || a * 10 > i32::MAX as usize - d {
            return Err("integral size overflow".into());
        }
        a = a * 10 + d;
        *i += 1;
    }
    Ok(a)
}

fn optsize(opt: u8, fmt: &[u8], i: &mut usize) -> Result<usize, String> {
    Ok(match opt {
        b'b' | b'B' => 1,
        b'h' | b'H' => 2,
        b'l' | b'L' | b'T' => 8,
        b'f' => 4,
        b'd' => 8,
        b'x' => 1,
        b'c' => getnum(fmt, i, 1)?,
        b'i' | b'I' => {
            let sz = getnum(fmt, i, 4)?;
            if sz > MAXINTSIZE {
                return Err(format!("integral size {sz} is larger than limit of {MAXINTSIZE}"));
            }
            sz
        }
        _ => 0,
    })
}

fn toalign(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    (size - (len & (size - 1))) & (size - 1)
}

/// Handles `' '`, `<`, `>`, `!n`; anything else is an invalid option.
fn control(opt: u8, fmt: &[u8], i: &mut usize, h: &mut Header, fname: &str) -> Result<(), String> {
    match opt {
        b' ' => Ok(()),
        b'>' => {
            h.big = true;
            Ok(())
        }
        b'<' => {
            h.big = false;
            Ok(())
        }
        b'!' => {
            let a = getnum(fmt, i, MAXALIGN)?;
            if !a.is_power_of_two() {
                return Err(format!("alignment {a} is not a power of 2"));
            }
            h.align = a;
            Ok(())
        }
        _ => Err(format!("bad argument #1 to '{fname}' (invalid format option '{}')", char::from(opt))),
    }
}

fn put_int(out: &mut Vec<u8>, n: f64, big: bool, size: usize) {
    let mut v: u64 = if n < 0.0 { (n as i64) as u64 } else { n as u64 };
    let mut bytes = Vec::with_capacity(size);
    for _ in 0..size {
        bytes.push(v as u8);
        v = v.checked_shr(8).unwrap_or(0);
    }
    if big {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

/// `luaL_checknumber` as pack sees it: a nil marker sits past its arguments, so a
/// missing one is reported as "got nil".
fn pack_number(args: &[Value], n: usize) -> Result<f64, String> {
    if args.len() < n {
        return Err(format!("bad argument #{n} to 'pack' (number expected, got nil)"));
    }
    check_number(args, n, "pack")
}

fn pack(lua: &Lua, args: &[Value]) -> Result<Vec<u8>, String> {
    let fmt = check_bytes(lua, args, 1, "pack")?;
    let mut h = Header { big: false, align: 1 };
    let mut out = Vec::new();
    let mut arg = 2;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(opt, &fmt, &mut i)?;
        let pad = toalign(out.len(), &h, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = pack_number(args, arg)?;
                arg += 1;
                put_int(&mut out, n, h.big, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = pack_number(args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&if h.big { f.to_be_bytes() } else { f.to_le_bytes() });
            }
            b'd' => {
                let d = pack_number(args, arg)?;
                arg += 1;
                out.extend_from_slice(&if h.big { d.to_be_bytes() } else { d.to_le_bytes() });
            }
            b'c' | b's' => {
                let s = check_bytes(lua, args, arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    return Err(format!("bad argument #{arg} to 'pack' (string too short)"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => control(opt, &fmt, &mut i, &mut h, "pack")?,
        }
    }
    Ok(out)
}

fn get_int(data: &[u8], big: bool, signed: bool, size: usize) -> f64 {
    let mut l: u64 = 0;
    for k in 0..size {
        let b = if big { data[k] } else { data[size - k - 1] };
        l = (l << 8) | u64::from(b);
    }
    if !signed {
        return l as f64;
    }
    let bits = size * 8;
    if bits == 0 {
        return l as f64;
    }
    // C's `~0 << (size*8 - 1)` on x86-64 masks the shift count to 6 bits.
    let mask: u64 = (!0u64) << ((bits - 1) & 63);
    if l & mask != 0 {
        (l | mask) as i64 as f64
    } else {
        l as f64
    }
}

fn unpack(lua: &Lua, args: &[Value]) -> Result<Vec<Value>, String> {
    let fmt = check_bytes(lua, args, 1, "unpack")?;
    let data = check_bytes(lua, args, 2, "unpack")?;
    let init = match args.get(2) {
        None | Some(Value::Nil) => 1.0,
        Some(_) => check_number(args, 3, "unpack")?,
    };
    let ld = data.len();
    if init < 1.0 {
        return Err("bad argument #3 to 'unpack' (offset must be 1 or greater)".into());
    }
    let mut pos = (init as i64 - 1) as usize;
    let mut h = Header { big: false, align: 1 };
    let mut res: Vec<Value> = Vec::new();
    let short = || "bad argument #2 to 'unpack' (data string too short)".to_string();
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let mut size = optsize(opt, &fmt, &mut i)?;
        pos += toalign(pos, &h, opt, size);
        if !(size <= ld && pos <= ld - size) {
            return Err(short());
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                res.push(Value::Number(get_int(&data[pos..pos + size], h.big, opt.is_ascii_lowercase(), size)));
            }
            b'x' => {}
            b'f' => {
                let b: [u8; 4] = data[pos..pos + 4].try_into().map_err(|_| short())?;
                res.push(Value::Number(f64::from(if h.big { f32::from_be_bytes(b) } else { f32::from_le_bytes(b) })));
            }
            b'd' => {
                let b: [u8; 8] = data[pos..pos + 8].try_into().map_err(|_| short())?;
                res.push(Value::Number(if h.big { f64::from_be_bytes(b) } else { f64::from_le_bytes(b) }));
            }
            b'c' => {
                if size == 0 {
                    let prev = match res.last() {
                        Some(Value::Number(n)) => *n,
                        Some(Value::Integer(n)) => *n as f64,
                        Some(Value::String(s)) => super::str_to_number(&s.as_bytes()).ok_or("format 'c0' needs a previous size")?,
                        _ => return Err("format 'c0' needs a previous size".into()),
                    };
                    res.pop();
                    size = prev as usize;
                    if !(size <= ld && pos <= ld - size) {
                        return Err(short());
                    }
                }
                res.push(Value::String(lua.create_string(&data[pos..pos + size]).map_err(|e| e.to_string())?));
            }
            b's' => {
                let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err("unfinished string in data".into());
                };
                size = e + 1;
                res.push(Value::String(lua.create_string(&data[pos..pos + e]).map_err(|e| e.to_string())?));
            }
            _ => control(opt, &fmt, &mut i, &mut h, "unpack")?,
        }
        pos += size;
    }
    res.push(Value::Number((pos + 1) as f64));
    Ok(res)
}

fn size(lua: &Lua, args: &[Value]) -> Result<f64, String> {
    let fmt = check_bytes(lua, args, 1, "size")?;
    let mut h = Header { big: false, align: 1 };
    let mut pos = 0;
    let mut i = 0;
    while i < fmt.len() {
        let opt = fmt[i];
        i += 1;
        let size = optsize(opt, &fmt, &mut i)?;
        pos += toalign(pos, &h, opt, size);
        if opt == b's' {
            return Err("bad argument #1 to 'size' (option 's' has no fixed size)".into());
        } else if opt == b'c' && size == 0 {
            return Err("bad argument #1 to 'size' (option 'c0' has no fixed size)".into());
        }
        if matches!(opt, b'<' | b'>' | b'!') {
            control(opt, &fmt, &mut i, &mut h, "size")?;
        }
        pos += size;
    }
    Ok(pos as f64)
}

/// Registers the `struct` global.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            match pack(lua, &args) {
                Ok(b) => Ok(MultiValue::from_iter([Value::String(lua.create_string(&b)?)])),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            match unpack(lua, &args) {
                Ok(v) => Ok(MultiValue::from_iter(v)),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    t.raw_set(
        "size",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            match size(lua, &args) {
                Ok(n) => Ok(MultiValue::from_iter([Value::Number(n)])),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    lua.globals().raw_set("struct", t)
}
