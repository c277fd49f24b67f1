//! The command table: every family's specs, looked up case-insensitively, with
//! subcommands keyed `container|sub`. Adding a family is one line in [`FAMILIES`].

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;

/// Names are short and looked up on every request: a fast non-cryptographic hash (the
/// table is fixed at startup, so hash flooding does not apply).
type HashMap<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

use super::spec::CommandSpec;

/// Every command family, one line each.
const FAMILIES: &[fn() -> &'static [CommandSpec]] = &[
    super::connection::specs,
    super::string::specs,
    super::keyspace::specs,
    super::list::specs,
    super::object::specs,
    super::server::specs,
    super::introspection::specs,
    super::client::specs,
    super::debug::specs,
    super::config::specs,
    super::hash::specs,
    super::set::specs,
    super::zset::specs,
    super::bitmap::specs,
    super::hll::specs,
    super::geo::specs,
    super::sort::specs,
    super::pubsub::specs,
    super::stream::specs,
    super::tx::specs,
    super::blocking::specs,
    super::dump::specs,
    super::persistence::specs,
    super::scripting::specs,
    super::function::specs,
    super::replicaof::specs,
    super::replication::specs,
];

/// Per-command counters (INFO commandstats).
#[derive(Default)]
pub struct CommandStats {
    pub calls: AtomicU64,
    pub usec: AtomicU64,
    pub rejected_calls: AtomicU64,
    pub failed_calls: AtomicU64,
}

impl CommandStats {
    pub fn reset(&self) {
        for c in [&self.calls, &self.usec, &self.rejected_calls, &self.failed_calls] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

/// A resolved command: its spec, full name (`config|get`) and stats slot.
#[derive(Clone, Copy)]
pub struct Resolved {
    pub spec: &'static CommandSpec,
    pub fullname: &'static str,
    pub id: usize,
}

struct TopLevel {
    resolved: Resolved,
    subs: HashMap<&'static str, Resolved>,
}

/// The outcome of a lookup.
pub enum Lookup {
    Found(Resolved),
    /// No such command.
    Unknown,
    /// The container exists, the subcommand does not.
    UnknownSub(Resolved),
}

pub struct CommandTable {
    commands: HashMap<&'static str, TopLevel>,
    /// Every resolved command in registration order (the stats slots).
    pub all: Vec<Resolved>,
    pub stats: Vec<CommandStats>,
}

impl CommandTable {
    pub fn build() -> CommandTable {
        let mut commands = HashMap::default();
        let mut all = Vec::new();
        for family in FAMILIES {
            for spec in family() {
                let resolved = Resolved { spec, fullname: spec.name, id: all.len() };
                all.push(resolved);
                let mut subs = HashMap::default();
                for sub in spec.subcommands {
                    let fullname: &'static str = Box::leak(format!("{}|{}", spec.name, sub.name).into_boxed_str());
                    let r = Resolved { spec: sub, fullname, id: all.len() };
                    all.push(r);
                    subs.insert(sub.name, r);
                }
                commands.insert(spec.name, TopLevel { resolved, subs });
            }
        }
        let stats = all.iter().map(|_| CommandStats::default()).collect();
        CommandTable { commands, all, stats }
    }

    /// Looks up `argv[0]` (and `argv[1]` for containers).
    pub fn lookup(&self, argv: &[Bytes]) -> Lookup {
        let Some(top) = argv.first().and_then(|n| self.get_top(n)) else {
            return Lookup::Unknown;
        };
        if top.subs.is_empty() {
            return Lookup::Found(top.resolved);
        }
        let Some(sub) = argv.get(1) else {
            return Lookup::Found(top.resolved);
        };
        match with_lower(sub, |s| top.subs.get(s).copied()).flatten() {
            Some(r) => Lookup::Found(r),
            None => Lookup::UnknownSub(top.resolved),
        }
    }

    fn get_top(&self, name: &[u8]) -> Option<&TopLevel> {
        with_lower(name, |s| self.commands.get(s)).flatten()
    }

    /// A command by name (`get`, `config|get`, case-insensitive).
    pub fn by_name(&self, name: &[u8]) -> Option<Resolved> {
        let l = lower(name)?;
        match l.split_once('|') {
            Some((c, s)) => self.commands.get(c)?.subs.get(s).copied(),
            None => self.commands.get(l.as_str()).map(|t| t.resolved),
        }
    }

    /// Top-level commands.
    pub fn top_level(&self) -> impl Iterator<Item = Resolved> + '_ {
        self.all.iter().filter(|r| !r.fullname.contains('|')).copied()
    }

    pub fn count(&self) -> usize {
        self.commands.len()
    }
}

/// Runs `f` on the lower-cased name without allocating; `None` for names that cannot be
/// commands (too long, not UTF-8).
fn with_lower<R>(name: &[u8], f: impl FnOnce(&str) -> R) -> Option<R> {
    let mut buf = [0u8; 64];
    let dst = buf.get_mut(..name.len())?;
    for (d, s) in dst.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let s = std::str::from_utf8(dst).ok()?;
    Some(f(s))
}

fn lower(name: &[u8]) -> Option<String> {
    if name.len() > 64 {
        return None;
    }
    let s = std::str::from_utf8(name).ok()?;
    Some(s.to_ascii_lowercase())
}
