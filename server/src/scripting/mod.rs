//! Lua scripting (EVAL family) and Functions: one Lua 5.1 VM per kind with Redis 7.0's
//! environment, the script cache, the run flags SCRIPT KILL and `-BUSY` read, and the
//! admission gate the connection loop passes before running a command.

pub mod functions;
pub mod host;
mod libs;
pub mod reply;
pub mod run;
pub mod shebang;
mod trampoline;
pub mod vm;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use mlua::{Function, HookTriggers, Lua, VmState};
use parking_lot::Mutex;

use crate::commands::spec::{flags, CommandSpec};
use crate::state::Server;

/// `redis.REDIS_VERSION_NUM` for 7.0.15.
pub const REDIS_VERSION_NUM: i64 = 0x07000f;

/// Instructions between two checks of the kill flag.
const HOOK_EVERY: u32 = 10_000;

/// The state of the script running now, read by other connections without any lock.
#[derive(Default)]
pub struct RunFlags {
    pub running: AtomicBool,
    /// The running script came from EVAL (as opposed to FCALL): picks the -BUSY text
    /// and which KILL applies.
    pub eval_mode: AtomicBool,
    pub started_ms: AtomicI64,
    /// Set by SCRIPT KILL / FUNCTION KILL; the hook raises an error in the script.
    pub kill: AtomicBool,
    /// The script ran a write command: it cannot be killed any more.
    pub wrote: AtomicBool,
    /// While FUNCTION LOAD runs a library's code: when it must stop (unix ms, 0 = none).
    pub load_deadline_ms: AtomicI64,
    /// Name of the running function and the command that runs it (FUNCTION STATS).
    pub current: Mutex<Option<(String, Vec<Bytes>)>>,
    /// Library and function counts, readable while a function runs (FUNCTION STATS).
    pub libraries: std::sync::atomic::AtomicUsize,
    pub functions: std::sync::atomic::AtomicUsize,
}

impl RunFlags {
    /// Marks a run as started.
    pub fn start(&self, eval: bool) {
        self.kill.store(false, Ordering::Release);
        self.wrote.store(false, Ordering::Release);
        self.eval_mode.store(eval, Ordering::Release);
        self.started_ms.store(rhodium_storage::clock::now_ms(), Ordering::Release);
        self.running.store(true, Ordering::Release);
    }

    /// Marks the run as finished.
    pub fn finish(&self) {
        self.running.store(false, Ordering::Release);
        self.kill.store(false, Ordering::Release);
    }
}

/// A cached EVAL script.
pub struct CachedScript {
    pub func: Function,
    /// Shebang flags (`EVAL_COMPAT_MODE` without one).
    pub flags: u32,
    pub body: Bytes,
}

/// The EVAL VM and its script cache (keyed by lower-case SHA1 hex).
pub struct EvalEngine {
    pub lua: Lua,
    pub scripts: HashMap<String, CachedScript>,
    /// Bytes of script bodies held by the cache (INFO used_memory_scripts_eval).
    pub body_bytes: usize,
}

impl EvalEngine {
    fn new(run: &Arc<RunFlags>) -> mlua::Result<EvalEngine> {
        let lua = vm::create()?;
        install_kill_hook(&lua, run);
        Ok(EvalEngine { lua, scripts: HashMap::new(), body_bytes: 0 })
    }

    /// Compiles and caches `body` (EVAL, SCRIPT LOAD) unless cached; returns its SHA1.
    /// Errors are the complete error line (`ERR ...`).
    pub fn load(&mut self, body: &Bytes) -> Result<String, String> {
        let sha = sha1_hex(body);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let sb = shebang::parse(body, false).map_err(|e| format!("ERR {e}"))?;
        let func = self
            .lua
            .load(&body[sb.len..])
            .set_name("@user_script")
            .into_function()
            .map_err(|e| format!("ERR Error compiling script (new function): {}", lua_error_message(&e)))?;
        self.body_bytes += body.len();
        self.scripts.insert(sha.clone(), CachedScript { func, flags: sb.flags, body: body.clone() });
        Ok(sha)
    }

    /// SCRIPT FLUSH: a fresh VM and an empty cache.
    pub fn flush(&mut self, run: &Arc<RunFlags>) -> mlua::Result<()> {
        *self = EvalEngine::new(run)?;
        Ok(())
    }
}

/// The message Lua gave for an error, without mlua's decoration.
pub fn lua_error_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(m) => m.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_error_message(cause),
        other => other.to_string(),
    }
}

/// Raises the kill error inside the script once SCRIPT/FUNCTION KILL asked for it. It
/// keeps raising at every check, so a script cannot survive by catching it with pcall.
pub(crate) fn install_kill_hook(lua: &Lua, run: &Arc<RunFlags>) {
    let run = run.clone();
    lua.set_hook(HookTriggers::new().every_nth_instruction(HOOK_EVERY), move |_, _| {
        if run.kill.load(Ordering::Acquire) {
            return Err(mlua::Error::RuntimeError(vm::KILLED.to_string()));
        }
        let deadline = run.load_deadline_ms.load(Ordering::Acquire);
        if deadline > 0 && rhodium_storage::clock::now_ms() > deadline {
            return Err(mlua::Error::RuntimeError(vm::LOAD_TIMEOUT.to_string()));
        }
        Ok(VmState::Continue)
    });
}

/// Bookkeeping bytes counted per cached script or function besides its text.
const SCRIPT_OVERHEAD: usize = 64;

/// Scripting's figures in INFO memory.
pub struct ScriptMemory {
    pub vm_eval: usize,
    pub scripts_eval: usize,
    pub cached_scripts: usize,
    pub functions: usize,
    pub libraries: usize,
    pub vm_functions: usize,
    pub functions_mem: usize,
}

/// Everything scripting keeps on the server.
pub struct Scripting {
    pub eval: Mutex<Option<EvalEngine>>,
    pub functions: Mutex<functions::Functions>,
    pub run: Arc<RunFlags>,
}

impl Default for Scripting {
    fn default() -> Self {
        let run = Arc::new(RunFlags::default());
        Scripting { eval: Mutex::new(None), functions: Mutex::new(functions::Functions::new(run.clone())), run }
    }
}

impl Scripting {
    /// Runs `f` with the EVAL engine, creating the VM on first use.
    pub fn with_eval<R>(&self, f: impl FnOnce(&mut EvalEngine) -> R) -> Result<R, String> {
        let mut g = self.eval.lock();
        if g.is_none() {
            *g = Some(EvalEngine::new(&self.run).map_err(|e| format!("ERR Failed to create the Lua VM: {e}"))?);
        }
        match g.as_mut() {
            Some(e) => Ok(f(e)),
            None => Err("ERR Failed to create the Lua VM".into()),
        }
    }

    /// What INFO memory reports about scripting.
    pub fn memory(&self) -> ScriptMemory {
        // A VM not created yet is reported at the size of a fresh one in Redis.
        const FRESH_VM: usize = 32768;
        let (cached_scripts, scripts_eval, vm_eval) = match self.eval.lock().as_ref() {
            Some(e) => (e.scripts.len(), e.body_bytes + e.scripts.len() * SCRIPT_OVERHEAD, e.lua.used_memory()),
            None => (0, 0, FRESH_VM),
        };
        let fx = self.functions.lock();
        let functions_mem = fx.libraries.values().map(|l| l.code.len() + l.name.len() + l.functions.len() * SCRIPT_OVERHEAD).sum();
        let vm_functions = fx.used_memory().unwrap_or(FRESH_VM);
        ScriptMemory {
            vm_eval,
            scripts_eval,
            cached_scripts,
            functions: fx.index.len(),
            libraries: fx.libraries.len(),
            vm_functions,
            functions_mem,
        }
    }
}

/// Installs the function libraries a loaded RDB file held (its FUNCTION2 records, in
/// file order), as Redis's `rdbFunctionLoad` does: a library whose name is taken fails
/// unless `replace` (DEBUG RELOAD MERGE), and so does one registering a function another
/// library has. Returns how many were installed; on error the ones before stay, as in
/// Redis (whose startup then fails anyway).
pub fn restore_libraries(server: &Server, codes: Vec<Vec<u8>>, replace: bool) -> Result<usize, String> {
    if codes.is_empty() {
        return Ok(0);
    }
    let mut fx = server.scripting.functions.lock();
    for code in &codes {
        fx.load(&Bytes::copy_from_slice(code), replace).map_err(|e| format!("Failed loading library, {e}"))?;
    }
    Ok(codes.len())
}

/// The code of every library loaded now, as SAVE writes them (one FUNCTION2 record each).
pub fn library_codes(server: &Server) -> Vec<Bytes> {
    server.scripting.functions.lock().libraries.values().map(|l| l.code.clone()).collect()
}

/// Drops every function library (DEBUG RELOAD empties them with the data, as Redis's
/// `emptyData` does).
pub fn flush_libraries(server: &Server) {
    server.scripting.functions.lock().flush();
}

/// Commands that run a script and so take the exclusive section themselves.
pub fn runs_script(spec: &CommandSpec) -> bool {
    matches!(spec.name, "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro")
}

/// The -BUSY reply for a script that ran past `busy-reply-threshold`.
pub fn busy_error(eval_mode: bool) -> &'static str {
    if eval_mode {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    }
}

/// What the connection loop does with a command while a script may be running.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// Run it now.
    Go,
    /// A script runs: wait (without holding a runtime thread, see [`wait_turn`]) and ask
    /// again.
    Wait,
    /// Reply with this error instead.
    Busy(&'static str),
}

/// `busy-reply-threshold` in milliseconds.
fn busy_threshold_ms(server: &Server) -> i64 {
    server.config().other.get("busy-reply-threshold").and_then(|v| v.parse::<i64>().ok()).unwrap_or(5000)
}

/// Whether `spec` may run now (checked before a command tries the world lock, which a
/// running script holds): at once when no script runs; while one runs, not before it ends
/// or passes `busy-reply-threshold`, after which the commands that run beside it without
/// the world lock (SCRIPT KILL, FUNCTION KILL, FUNCTION STATS, SHUTDOWN NOSAVE) run, other
/// allow-busy commands wait for the script to end, and the rest get -BUSY, as Redis
/// answers from inside a long script.
pub fn admission(server: &Server, spec: &CommandSpec, argv: &[Bytes]) -> Admission {
    let run = &server.scripting.run;
    if !run.running.load(Ordering::Acquire) {
        return Admission::Go;
    }
    let elapsed = rhodium_storage::clock::now_ms() - run.started_ms.load(Ordering::Acquire);
    if elapsed < busy_threshold_ms(server) {
        return Admission::Wait;
    }
    let busy = Admission::Busy(busy_error(run.eval_mode.load(Ordering::Acquire)));
    if !spec.has(flags::ALLOW_BUSY) {
        return busy;
    }
    if !spec.has(flags::NO_WORLD) {
        return Admission::Wait;
    }
    // Redis's shutdownCommand: only SHUTDOWN NOSAVE stops the server during a busy script.
    if spec.name == "shutdown" && !argv.iter().skip(1).any(|a| a.eq_ignore_ascii_case(b"nosave")) {
        return busy;
    }
    Admission::Go
}

/// Waits, without holding a runtime thread, for a reason to ask [`admission`] and the
/// world lock again: the atomic section holding the lock ended, or the running script
/// may just have passed `busy-reply-threshold` (from then on waiting commands get -BUSY),
/// or a short tick passed (a section that is about to start a script has not marked it
/// running yet).
pub async fn wait_turn(server: &Server) {
    let released = server.world.released();
    tokio::pin!(released);
    released.as_mut().enable();
    let run = &server.scripting.run;
    let running = run.running.load(Ordering::Acquire);
    if !running && !server.world.is_held() {
        return;
    }
    let tick_ms = if running {
        let elapsed = rhodium_storage::clock::now_ms() - run.started_ms.load(Ordering::Acquire);
        (busy_threshold_ms(server) - elapsed).clamp(1, 100)
    } else {
        5
    };
    tokio::select! {
        _ = released => {}
        _ = tokio::time::sleep(std::time::Duration::from_millis(tick_ms as u64)) => {}
    }
}

/// Lower-case hex SHA1 of `data`.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest, Sha1};
    let d = Sha1::digest(data);
    let mut s = String::with_capacity(40);
    for b in d {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}
