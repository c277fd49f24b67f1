//! Running one script or function: the per-run `redis.call` binding, the checks Redis's
//! `scriptCall` makes before a command runs from a script, and the final reply.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use mlua::{Function, Lua, MultiValue, Table, Value};
use rhodium_protocol::{Argv, ReplyWriter};

use super::host::ScriptHost;
use super::reply::{error_info, lua_to_reply, number_arg, resp_to_lua};
use super::vm::{self, RunState};
use super::RunFlags;
use crate::commands::spec::flags;
use crate::commands::table::Lookup;
use crate::net::clients::{ClientHandle, ClientState, Peer};
use crate::state::Server;

/// One invocation.
pub struct Invocation<'a> {
    /// What error messages call the script: its SHA1 for EVAL, the function's name for FCALL.
    pub name: &'a str,
    pub keys: &'a [Bytes],
    pub args: &'a [Bytes],
    /// EVAL_RO / FCALL_RO or a `no-writes` script: write commands are refused.
    pub readonly: bool,
    /// FCALL passes KEYS and ARGV as the function's arguments instead of globals.
    pub as_function: bool,
    /// The caller's selected database, where the script's client starts.
    pub db: usize,
}

/// The client a script's commands run as (Redis's Lua client): its own database selection
/// and protocol, separate from the caller's.
pub fn script_client(server: &Server, db: usize) -> ClientState {
    static HANDLE: std::sync::OnceLock<Arc<ClientHandle>> = std::sync::OnceLock::new();
    let handle = HANDLE.get_or_init(|| {
        let peer = Peer::Unix(String::new());
        Arc::new(ClientHandle::new(1, peer.clone(), peer, -1))
    });
    let _ = server;
    let mut c = ClientState::new(handle.clone(), true);
    c.db = db;
    c
}

fn lua_array(lua: &Lua, items: &[Bytes]) -> mlua::Result<Table> {
    let t = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, b) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(b)?)?;
    }
    Ok(t)
}

/// An error table `{err="ERR msg"}` and whether `redis.call` raises it.
fn call_error(lua: &Lua, msg: &str, raise: bool) -> mlua::Result<(Value, bool)> {
    let t = lua.create_table()?;
    t.raw_set("err", format!("ERR {msg}"))?;
    Ok((Value::Table(t), raise))
}

/// Runs `func` and writes its reply (or error) to `out`.
pub fn run(server: &Server, lua: &Lua, func: &Function, inv: &Invocation<'_>, host: &mut dyn ScriptHost, run_flags: &RunFlags, out: &mut ReplyWriter) {
    if let Err(e) = run_inner(server, lua, func, inv, host, run_flags, out) {
        out.error(&format!("ERR Error running script {}, {}", inv.name, e.to_string().replace(['\r', '\n'], " ")));
    }
}

fn run_inner(server: &Server, lua: &Lua, func: &Function, inv: &Invocation<'_>, host: &mut dyn ScriptHost, run_flags: &RunFlags, out: &mut ReplyWriter) -> mlua::Result<()> {
    lua.set_app_data(RunState::default());
    let keys = lua_array(lua, inv.keys)?;
    let argv = lua_array(lua, inv.args)?;
    if !inv.as_function {
        let g = vm::real_globals(lua)?;
        g.raw_set("KEYS", keys.clone())?;
        g.raw_set("ARGV", argv.clone())?;
    }
    let mut client = script_client(server, inv.db);
    let readonly = inv.readonly;
    let rt = vm::rt(lua)?;
    let runner: Function = rt.raw_get("run")?;
    // One reply buffer for every command of the run.
    let mut w = ReplyWriter::new(rhodium_protocol::Resp::V2);
    let (ok, result): (bool, Value) = lua.scope(|scope| {
        let imp = scope.create_function_mut(|lua, mut args: MultiValue| -> mlua::Result<(Value, bool)> {
            let raise = matches!(args.pop_front(), Some(Value::Boolean(true)));
            if args.is_empty() {
                return call_error(lua, "Please specify at least one argument for this redis lib call", raise);
            }
            let mut cmd: Argv = Vec::with_capacity(args.len());
            for a in &args {
                match a {
                    Value::String(s) => cmd.push(Bytes::copy_from_slice(&s.as_bytes())),
                    Value::Integer(i) => cmd.push(Bytes::from(i.to_string())),
                    Value::Number(n) => cmd.push(Bytes::from(number_arg(*n))),
                    _ => return call_error(lua, "Lua redis lib command arguments must be strings or integers", raise),
                }
            }
            let resolved = match server.table.lookup(&cmd) {
                Lookup::Found(r) => r,
                _ => return call_error(lua, "Unknown Redis command called from script", raise),
            };
            let spec = resolved.spec;
            if !spec.arity_ok(cmd.len()) {
                return call_error(lua, "Wrong number of args calling Redis command from script", raise);
            }
            if spec.has(flags::NOSCRIPT) && !server.debug.disable_deny_scripts.load(Ordering::Relaxed) {
                return call_error(lua, "This Redis command is not allowed from script", raise);
            }
            if readonly && spec.has(flags::WRITE | flags::MAY_REPLICATE) {
                return call_error(lua, "Write commands are not allowed from read-only scripts.", raise);
            }
            if spec.has(flags::WRITE) {
                run_flags.wrote.store(true, Ordering::Release);
            }
            let resp = lua.app_data_ref::<RunState>().map(|s| s.resp).unwrap_or_default();
            client.resp = resp;
            w.clear();
            let _ = w.take_errors();
            w.set_resp(resp);
            host.call(&mut client, cmd, &mut w);
            let (v, is_err) = resp_to_lua(lua, w.as_bytes())?;
            Ok((v, is_err && raise))
        })?;
        lua.set_named_registry_value("rhodium.impl", imp)?;
        let r = if inv.as_function { runner.call((func.clone(), keys.clone(), argv.clone())) } else { runner.call(func.clone()) };
        lua.unset_named_registry_value("rhodium.impl")?;
        r
    })?;
    let script_resp = lua.app_data_ref::<RunState>().map(|s| s.resp).unwrap_or_default();
    if ok {
        lua_to_reply(lua, &result, script_resp, out, 0)?;
    } else {
        match &result {
            Value::Table(t) => {
                let info = error_info(lua, t)?;
                let mut msg = String::from_utf8_lossy(&info.msg).into_owned();
                if let (Some(src), Some(line)) = (&info.source, &info.line) {
                    msg.push_str(&format!(" script: {}, on {}:{}.", inv.name, String::from_utf8_lossy(src), String::from_utf8_lossy(line)));
                }
                out.error(&msg);
            }
            other => out.error(&format!("ERR Error running script {}, {}", inv.name, vm::error_text(other))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use rhodium_protocol::{ReplyWriter, Resp};

    use crate::dispatch::execute;
    use crate::testkit::Harness;

    fn run(h: &mut Harness, parts: &[&str]) -> String {
        let argv = parts.iter().map(|p| Bytes::copy_from_slice(p.as_bytes())).collect();
        let mut out = ReplyWriter::new(Resp::V2);
        execute(&h.server, &mut h.client, argv, &mut out);
        String::from_utf8_lossy(out.as_bytes()).into_owned()
    }

    #[test]
    fn scripts_propagate_their_effects_not_themselves() {
        let mut h = Harness::new();
        let reply = run(&mut h, &["EVAL", "redis.call('set', KEYS[1], math.random(1000)) redis.call('incr', 'n') return redis.call('get', KEYS[1])", "1", "k"]);
        let value = reply.lines().nth(1).unwrap_or_default().to_string();
        let p = h.take();
        assert_eq!(p, vec![(0, format!("set k {value}")), (0, "incr n".to_string())]);

        // Reads propagate nothing; a failed write propagates nothing either.
        assert_eq!(run(&mut h, &["EVAL", "return redis.call('get', 'k')", "0"]), format!("$3\r\n{value}\r\n"));
        run(&mut h, &["EVAL", "return redis.pcall('incr', 'k', 'extra')", "0"]);
        assert!(h.take().is_empty());

        // SELECT inside a script moves the script's client only.
        assert_eq!(run(&mut h, &["EVAL", "redis.call('select', 1) return redis.call('set', 'x', 'y')", "0"]), "+OK\r\n");
        assert_eq!(h.take(), vec![(1, "set x y".to_string())]);
        assert_eq!(h.client.db, 0);
        assert_eq!(run(&mut h, &["EXISTS", "x"]), ":0\r\n");
    }

    /// A second client of the harness's server.
    fn other(h: &Harness) -> crate::net::clients::ClientState {
        use crate::net::clients::{ClientHandle, ClientState, Peer};
        let peer = Peer::Unix("other".into());
        ClientState::new(std::sync::Arc::new(ClientHandle::new(h.server.clients.next_id(), peer.clone(), peer, -1)), true)
    }

    fn run_as(h: &Harness, client: &mut crate::net::clients::ClientState, parts: &[&str]) -> String {
        let argv = parts.iter().map(|p| Bytes::copy_from_slice(p.as_bytes())).collect();
        let mut out = ReplyWriter::new(Resp::V2);
        execute(&h.server, client, argv, &mut out);
        String::from_utf8_lossy(out.as_bytes()).into_owned()
    }

    #[test]
    fn a_script_propagates_as_one_unit() {
        let mut h = Harness::new();
        run(&mut h, &["EVAL", "redis.call('set', 'a', '1') redis.call('select', 2) redis.call('incr', 'n') return 1", "0"]);
        assert_eq!(h.propagated(), vec!["set a 1 ; SELECT 2 ; incr n ; SELECT 0".to_string()]);
    }

    #[test]
    fn eval_inside_exec_joins_the_exec_unit() {
        let mut h = Harness::new();
        assert_eq!(h.run("MULTI"), "+OK\r\n");
        assert_eq!(h.run("SET x 1"), "+QUEUED\r\n");
        assert_eq!(run(&mut h, &["EVAL", "return redis.call('incr', 'x')", "0"]), "+QUEUED\r\n");
        assert_eq!(h.run("INCR x"), "+QUEUED\r\n");
        assert_eq!(h.run("EXEC"), "*3\r\n+OK\r\n:2\r\n:3\r\n");
        assert_eq!(h.propagated(), vec!["SET x 1 ; incr x ; INCR x".to_string()]);
        // MULTI inside a script is refused, as in Redis.
        let reply = run(&mut h, &["EVAL", "return redis.pcall('multi')", "0"]);
        assert_eq!(reply, "-ERR This Redis command is not allowed from script\r\n");
    }

    #[test]
    fn a_script_write_invalidates_watch() {
        let mut h = Harness::new();
        assert_eq!(h.run("WATCH k"), "+OK\r\n");
        let mut other = other(&h);
        assert_eq!(run_as(&h, &mut other, &["EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "k"]), "+OK\r\n");
        h.run("MULTI");
        h.run("GET k");
        assert_eq!(h.run("EXEC"), "*-1\r\n");
        // A script that only reads leaves the watch alone.
        h.run("WATCH k");
        run_as(&h, &mut other, &["EVAL", "return redis.call('get', KEYS[1])", "1", "k"]);
        h.run("MULTI");
        h.run("GET k");
        assert_eq!(h.run("EXEC"), "*1\r\n$1\r\nv\r\n");
    }
}
