//! Placeholder.
use mlua::Lua;
/// Registers the global.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    lua.globals().raw_set("cmsgpack", lua.create_table()?)
}
