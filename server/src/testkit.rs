//! In-process fixture for unit tests of command families: a server, one client, and a
//! recorder of everything propagated, so a test can run a command through dispatch and
//! check both its reply and the exact effects it propagates.

use std::sync::Arc;

use bytes::Bytes;
use rhodium_protocol::{ReplyWriter, Resp};
use rhodium_replication::pipeline::Recorder;
use rhodium_storage::keyspace::ExpiryMode;
use rhodium_storage::{LockMode, UnixMillis, Value};

use crate::config::Config;
use crate::dispatch::execute;
use crate::net::clients::{ClientHandle, ClientState, Peer};
use crate::state::Server;

pub struct Harness {
    pub server: Arc<Server>,
    pub client: ClientState,
    pub rec: Arc<Recorder>,
}

impl Harness {
    pub fn new() -> Harness {
        let server = Server::new(Config::default());
        let rec = Arc::new(Recorder::default());
        server.propagator.add_sink(rec.clone());
        let peer = Peer::Unix("test".into());
        let handle = Arc::new(ClientHandle::new(server.clients.next_id(), peer.clone(), peer, -1));
        let client = ClientState::new(handle, true);
        Harness { server, client, rec }
    }

    /// Runs a command (arguments separated by single spaces) and returns its reply bytes.
    pub fn run(&mut self, line: &str) -> String {
        let argv = line.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect();
        let mut out = ReplyWriter::new(Resp::V2);
        execute(&self.server, &mut self.client, argv, &mut out);
        String::from_utf8_lossy(out.as_bytes()).into_owned()
    }

    /// Everything propagated so far, one line per unit (its commands joined by " ; ").
    pub fn propagated(&self) -> Vec<String> {
        self.rec.units().iter().map(|u| u.commands.iter().map(|c| join(c)).collect::<Vec<_>>().join(" ; ")).collect()
    }

    /// Drains what was propagated since the last call, one `(db, command)` per command.
    pub fn take(&self) -> Vec<(usize, String)> {
        self.rec.take().into_iter().flat_map(|u| u.commands.iter().map(|c| (u.db, join(c))).collect::<Vec<_>>()).collect()
    }

    /// Drains the units propagated since the last drain, one line per unit as
    /// [`Harness::propagated`] prints them, with the word after each `TIME` replaced by `T`
    /// (delivery times come from the clock).
    pub fn take_units_timeless(&self) -> Vec<String> {
        let all = self.propagated();
        self.rec.take();
        all.into_iter()
            .map(|u| {
                let mut words: Vec<&str> = u.split(' ').collect();
                for i in 1..words.len() {
                    if words[i - 1] == "TIME" {
                        words[i] = "T";
                    }
                }
                words.join(" ")
            })
            .collect()
    }

    /// A key of db 0 with its expiry, read without side effects.
    pub fn value(&self, key: &str) -> Option<(Value, Option<UnixMillis>)> {
        let now = rhodium_storage::clock::now_ms();
        let mut l = self.server.keyspace.lock([(0, key.as_bytes())], LockMode::Read, now, ExpiryMode::HideOnly);
        let v = l.get(0, key.as_bytes()).ok().flatten().cloned()?;
        let at = l.expiry(0, key.as_bytes()).ok().flatten();
        Some((v, at))
    }
}

fn join(argv: &[Bytes]) -> String {
    argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" ")
}
