//! C functions (through the raw Lua API) for the entry points whose errors must be real
//! Lua errors raised from a C frame, as in Redis: `redis.call` raises its error *table*,
//! and library functions raise `luaL_error`-style messages positioned at their caller.
//! Rust callbacks registered through mlua can only raise mlua's own error userdata, and
//! a Lua wrapper would be a frame that a tail call (`return redis.call(...)`) erases,
//! losing the line Redis reports.
//!
//! Safety: these functions hold no Rust values with destructors when they call
//! `lua_call` or `lua_error`, so a Lua error unwinding (longjmp) through them is sound.

use std::ffi::{c_int, c_void};

use mlua::ffi::{self, lua_State};
use mlua::{Function, Lua};

/// The per-run `redis.call` implementation lives here in the registry while a script runs.
pub const IMPL_KEY: &std::ffi::CStr = c"rhodium.impl";

/// The marker pointer of [`super::vm::fail_marker`].
const FAIL_PTR: *mut c_void = std::ptr::without_provenance_mut(1);
/// The marker pointer of [`super::vm::raise_marker`].
const RAISE_PTR: *mut c_void = std::ptr::without_provenance_mut(2);

/// `redis.call`: calls the run's implementation as `impl(raise, ...)`, which returns
/// `(reply, raise)`; raises the reply (an error table) when asked.
unsafe extern "C-unwind" fn redis_call(l: *mut lua_State) -> c_int {
    call_impl(l, true)
}

/// `redis.pcall`: the same, never raising.
unsafe extern "C-unwind" fn redis_pcall(l: *mut lua_State) -> c_int {
    call_impl(l, false)
}

unsafe fn call_impl(l: *mut lua_State, raise: bool) -> c_int {
    let n = ffi::lua_gettop(l);
    ffi::lua_getfield(l, ffi::LUA_REGISTRYINDEX, IMPL_KEY.as_ptr());
    ffi::lua_insert(l, 1);
    ffi::lua_pushboolean(l, c_int::from(raise));
    ffi::lua_insert(l, 2);
    ffi::lua_call(l, n + 1, 2);
    if ffi::lua_toboolean(l, -1) != 0 {
        ffi::lua_pop(l, 1);
        ffi::lua_error(l);
    }
    ffi::lua_pop(l, 1);
    1
}

/// Calls upvalue 1 with the arguments; a `(FAIL, msg)` result is raised as
/// `luaL_error` would (message prefixed with the caller's position).
unsafe extern "C-unwind" fn raising(l: *mut lua_State) -> c_int {
    let n = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
    ffi::lua_insert(l, 1);
    ffi::lua_call(l, n, ffi::LUA_MULTRET);
    let top = ffi::lua_gettop(l);
    if top >= 1 && ffi::lua_type(l, 1) == ffi::LUA_TLIGHTUSERDATA && ffi::lua_touserdata(l, 1) == FAIL_PTR {
        ffi::luaL_where(l, 1);
        ffi::lua_pushvalue(l, 2);
        ffi::lua_concat(l, 2);
        ffi::lua_error(l);
    }
    if top >= 1 && ffi::lua_type(l, 1) == ffi::LUA_TLIGHTUSERDATA && ffi::lua_touserdata(l, 1) == RAISE_PTR {
        ffi::lua_pushvalue(l, 2);
        ffi::lua_error(l);
    }
    top
}

/// `make_raising(f)`: a C closure over `f` behaving as [`raising`].
unsafe extern "C-unwind" fn make_raising(l: *mut lua_State) -> c_int {
    ffi::lua_settop(l, 1);
    ffi::lua_pushcclosure(l, raising, 1);
    1
}

/// The C functions the prelude installs: (`redis.call`, `redis.pcall`, `make_raising`).
pub fn functions(lua: &Lua) -> mlua::Result<(Function, Function, Function)> {
    // SAFETY: see the module comment; each function follows the Lua C API stack rules.
    unsafe { Ok((lua.create_c_function(redis_call)?, lua.create_c_function(redis_pcall)?, lua.create_c_function(make_raising)?)) }
}

/// Replaces the calling thread's globals table with the value on top of the stack.
unsafe extern "C-unwind" fn replace_globals(l: *mut lua_State) -> c_int {
    ffi::lua_settop(l, 1);
    ffi::lua_replace(l, ffi::LUA_GLOBALSINDEX);
    0
}

/// Makes `t` the globals table of the VM's main thread: code compiled later (scripts,
/// `loadstring`) and coroutines get it as their environment.
pub fn set_globals(lua: &Lua, t: mlua::Table) -> mlua::Result<()> {
    // SAFETY: settop/replace on the current thread's stack.
    let f = unsafe { lua.create_c_function(replace_globals)? };
    f.call::<()>(t)
}
