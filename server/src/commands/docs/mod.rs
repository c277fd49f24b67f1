//! COMMAND DOCS tables, one file per group, keyed by full command name (`config|get`).
//! Transcribed from redis-server 7.0's `COMMAND DOCS` replies; `since` and `group` come from
//! the spec, not from here.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::command_docs::Doc;

mod connection;
mod generic;
mod server;
mod string;

/// Every group's table.
const TABLES: &[&[(&str, Doc)]] = &[string::DOCS, generic::DOCS, server::DOCS, connection::DOCS];

/// The docs of a command by its full lower-case name.
pub fn lookup(fullname: &str) -> Option<&'static Doc> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Doc>> = OnceLock::new();
    INDEX.get_or_init(|| TABLES.iter().flat_map(|t| t.iter()).map(|(n, d)| (*n, d)).collect()).get(fullname).copied()
}
