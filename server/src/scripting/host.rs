//! How a script's `redis.call` reaches the command table, and the exclusive section a
//! script runs in.
//!
//! STAND-IN: until `dispatch::begin_atomic` / `execute_in_atomic` exist, a script runs
//! while holding [`World`]'s write lock, every other command holds its read lock (taken
//! by the connection loop, see [`crate::scripting::Scripting::enter`]), and each
//! `redis.call` goes through `dispatch::execute`, which propagates its effects one command
//! at a time. Replacing it is: `StandIn` becomes a wrapper of `Atomic`, whose `call` is
//! `execute_in_atomic` and whose end is `commit()`; the world lock goes away.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use rhodium_protocol::{Argv, ReplyWriter};

use crate::net::clients::ClientState;
use crate::state::Server;

/// Executes the commands a script calls, inside the script's exclusive section.
pub trait ScriptHost {
    /// Runs one command as the script's client, with every dispatch check, writing its
    /// reply into `out`.
    fn call(&mut self, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter);
}

/// The process-wide lock that makes a script atomic (stand-in for `dispatch::Atomic`).
#[derive(Default)]
pub struct World {
    lock: RwLock<()>,
}

impl World {
    /// Taken by every ordinary command.
    pub fn try_shared(&self) -> Option<RwLockReadGuard<'_, ()>> {
        self.lock.try_read()
    }

    /// Taken by a script for its whole run.
    pub fn exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.lock.write()
    }
}

/// The stand-in host: `dispatch::execute` while the world lock is held exclusively.
pub struct StandIn<'s> {
    server: &'s Server,
    _guard: RwLockWriteGuard<'s, ()>,
}

impl<'s> StandIn<'s> {
    /// Enters the exclusive section (waits for running commands to finish).
    pub fn begin(server: &'s Server) -> StandIn<'s> {
        StandIn { server, _guard: server.scripting.world.exclusive() }
    }

    /// Leaves the exclusive section.
    pub fn commit(self) {}
}

impl ScriptHost for StandIn<'_> {
    fn call(&mut self, client: &mut ClientState, argv: Argv, out: &mut ReplyWriter) {
        crate::dispatch::execute(self.server, client, argv, out);
    }
}
