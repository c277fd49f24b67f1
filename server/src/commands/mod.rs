//! Commands: the spec vocabulary, the table, key extraction, and one file per family.
//! Each family file exposes `specs()` and its handlers.

pub mod command_docs;
pub mod docs;
pub mod keys;
pub mod spec;
pub mod table;

pub mod blocking;
pub mod client;
pub mod client_tracking;
pub mod config;
pub mod connection;
pub mod debug;
pub mod geo;
pub mod dump;
pub mod function;
pub mod hash;
pub mod info;
pub mod introspection;
pub mod keyspace;
pub mod list;
pub mod object;
pub mod pubsub;
pub mod replicaof;
pub mod persistence;
pub mod replication;
pub mod server;
pub mod scripting;
pub mod set;
pub mod sort;
pub mod stream;
pub mod string;
pub mod tx;
pub mod zset;
pub mod bitmap;
pub mod hll;
