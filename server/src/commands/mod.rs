//! Commands: the spec vocabulary, the table, key extraction, and one file per family.
//! Each family file exposes `specs()` and its handlers.

pub mod command_docs;
pub mod docs;
pub mod keys;
pub mod spec;
pub mod table;

pub mod client;
pub mod config;
pub mod connection;
pub mod debug;
pub mod function;
pub mod hash;
pub mod info;
pub mod introspection;
pub mod keyspace;
pub mod list;
pub mod object;
pub mod server;
pub mod scripting;
pub mod set;
pub mod string;
pub mod zset;
