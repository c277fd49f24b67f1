//! COMMAND DOCS tables, one file per group, keyed by full command name (`config|get`).
//! Transcribed from redis-server 7.0's `COMMAND DOCS` replies; `since` and `group` come from
//! the spec, not from here.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::command_docs::Doc;

mod connection;
mod generic;
mod geo;
mod list;
mod pubsub;
mod hash;
mod server;
mod scripting;
mod set;
mod sort;
mod sorted_set;
mod stream;
mod string;
mod bitmap;
mod hll;
mod replication;
mod transactions;

/// Every group's table.
const TABLES: &[&[(&str, Doc)]] = &[string::DOCS, generic::DOCS, server::DOCS, connection::DOCS, list::DOCS, hash::DOCS, set::DOCS, sorted_set::DOCS, bitmap::DOCS, hll::DOCS, geo::DOCS, sort::DOCS, pubsub::DOCS, stream::DOCS, transactions::DOCS, scripting::DOCS, crate::commands::replicaof::DOCS, replication::DOCS];

/// The docs of a command by its full lower-case name.
pub fn lookup(fullname: &str) -> Option<&'static Doc> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Doc>> = OnceLock::new();
    INDEX.get_or_init(|| TABLES.iter().flat_map(|t| t.iter()).map(|(n, d)| (*n, d)).collect()).get(fullname).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for (name, doc) in TABLES.iter().flat_map(|t| t.iter()) {
            assert!(seen.insert(*name), "{name} documented twice");
            assert_eq!(*name, name.to_ascii_lowercase());
            assert!(!doc.summary.is_empty(), "{name} has no summary");
        }
        assert!(lookup("config|get").is_some() && lookup("get").is_some() && lookup("nosuch").is_none());
    }
}
