//! LuaBitOp 1.0 (`bit`): 32-bit operations on Lua numbers, as Redis bundles it.

use mlua::{Lua, MultiValue, Table, Value};

use super::check_number;
use crate::scripting::vm::fail;

/// LuaBitOp's number → int32 conversion: round to nearest (ties to even) through the
/// 2^52+2^51 trick, keep the low 32 bits.
fn tobit(n: f64) -> i32 {
    let b = n + 6755399441055744.0;
    b.to_bits() as u32 as i32
}

fn arg(args: &[Value], n: usize, f: &str) -> Result<i32, String> {
    check_number(args, n, f).map(tobit)
}

type Op = fn(&[Value], &str) -> Result<f64, String>;

fn unary(args: &[Value], f: &str, op: fn(i32) -> i32) -> Result<f64, String> {
    Ok(f64::from(op(arg(args, 1, f)?)))
}

fn fold(args: &[Value], f: &str, op: fn(i32, i32) -> i32) -> Result<f64, String> {
    let mut acc = arg(args, 1, f)?;
    for i in 2..=args.len() {
        acc = op(acc, arg(args, i, f)?);
    }
    Ok(f64::from(acc))
}

fn shift(args: &[Value], f: &str, op: fn(u32, u32) -> u32) -> Result<f64, String> {
    let x = arg(args, 1, f)? as u32;
    let n = (arg(args, 2, f)? as u32) & 31;
    Ok(f64::from(op(x, n) as i32))
}

fn tohex(lua: &Lua, args: &[Value]) -> Result<Value, String> {
    let x = arg(args, 1, "tohex")? as u32;
    let mut n: i32 = if args.get(1).is_none_or(Value::is_nil) { 8 } else { arg(args, 2, "tohex")? };
    let upper = n < 0;
    if upper {
        n = n.wrapping_neg();
    }
    let n = n.clamp(0, 8) as usize;
    let full = if upper { format!("{x:08X}") } else { format!("{x:08x}") };
    let s = &full[8 - n..];
    lua.create_string(s).map(Value::String).map_err(|e| e.to_string())
}

/// Registers the `bit` global.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let t: Table = lua.create_table()?;
    let ops: &[(&str, Op)] = &[
        ("tobit", |a, f| unary(a, f, |x| x)),
        ("bnot", |a, f| unary(a, f, |x| !x)),
        ("bswap", |a, f| unary(a, f, |x| x.swap_bytes())),
        ("band", |a, f| fold(a, f, |x, y| x & y)),
        ("bor", |a, f| fold(a, f, |x, y| x | y)),
        ("bxor", |a, f| fold(a, f, |x, y| x ^ y)),
        ("lshift", |a, f| shift(a, f, |x, n| x << n)),
        ("rshift", |a, f| shift(a, f, |x, n| x >> n)),
        ("arshift", |a, f| shift(a, f, |x, n| ((x as i32) >> n) as u32)),
        ("rol", |a, f| shift(a, f, |x, n| x.rotate_left(n))),
        ("ror", |a, f| shift(a, f, |x, n| x.rotate_right(n))),
    ];
    for (name, op) in ops {
        let (name, op) = (*name, *op);
        t.raw_set(
            name,
            lua.create_function(move |lua, args: MultiValue| {
                let args: Vec<Value> = args.into_iter().collect();
                match op(&args, name) {
                    Ok(v) => Ok(MultiValue::from_iter([Value::Number(v)])),
                    Err(e) => fail(lua, &e),
                }
            })?,
        )?;
    }
    t.raw_set(
        "tohex",
        lua.create_function(|lua, args: MultiValue| {
            let args: Vec<Value> = args.into_iter().collect();
            match tohex(lua, &args) {
                Ok(v) => Ok(MultiValue::from_iter([v])),
                Err(e) => fail(lua, &e),
            }
        })?,
    )?;
    lua.globals().raw_set("bit", t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tobit_rounds_and_wraps() {
        assert_eq!(tobit(0xffffffffu32 as f64), -1);
        assert_eq!(tobit(2.5), 2);
        assert_eq!(tobit(3.5), 4);
        assert_eq!(tobit(-1.0), -1);
        assert_eq!(tobit(4294967296.0 + 5.0), 5);
    }
}
