//! Replication between servers: the replica side follows an upstream master.

pub mod replica;
