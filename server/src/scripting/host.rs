//! How a script's `redis.call` reaches the command table, and the atomic section a
//! script runs in.
//!
//! A script runs inside an atomic section (`crate::atomic`): its own, opened by its
//! command (EVAL and FCALL are SELF_ATOMIC: dispatch took the world lock exclusively
//! without waiting for it, and the section takes that hold over), or,
//! when the script is queued in MULTI, the section of the EXEC running it. Each
//! `redis.call` goes through `execute_in_section` with every dispatch check; the section's
//! commit propagates the script's effects as one unit, then invalidates WATCHes and wakes
//! blocked clients for the keys it touched.

use rhodium_protocol::{Argv, ReplyWriter};

use crate::atomic::SectionLog;
use crate::dispatch::{begin_atomic, ExecCtx};
use crate::net::clients::ClientState;
use crate::state::Server;

/// Executes the commands a script calls, inside the script's exclusive section.
pub trait ScriptHost {
    /// Runs one command as the script's client, with every dispatch check, writing its
    /// reply into `out`.
    fn call(&mut self, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter);
}

/// The host of a script: the atomic section its commands join.
pub struct SectionHost<'a> {
    server: &'a Server,
    log: &'a mut SectionLog,
}

impl ScriptHost for SectionHost<'_> {
    fn call(&mut self, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter) {
        crate::dispatch::execute_in_section(self.server, self.log, client, argv, out);
    }
}

/// Runs `f` with a host in the section the command already runs in (EVAL inside EXEC),
/// or else in a section of its own (waits for running commands to finish), committed
/// once `f` returns.
pub fn with_section<R>(ctx: &mut ExecCtx<'_>, f: impl FnOnce(&mut SectionHost<'_>) -> R) -> R {
    let server = ctx.server;
    if let Some(log) = ctx.section_log() {
        return f(&mut SectionHost { server, log });
    }
    let mut atomic = begin_atomic(server);
    let r = f(&mut SectionHost { server, log: &mut atomic.log });
    atomic.commit();
    r
}
