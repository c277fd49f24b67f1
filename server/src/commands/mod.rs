//! Commands: the spec vocabulary, the table, key extraction, and one file per family.
//! Each family file exposes `specs()` and its handlers.

pub mod keys;
pub mod spec;
pub mod table;

pub mod config;
pub mod connection;
pub mod introspection;
pub mod keyspace;
pub mod server;
pub mod string;
