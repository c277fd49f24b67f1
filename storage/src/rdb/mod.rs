//! Redis 7.0's RDB format (version 10), read and written byte-compatibly: Redis loads
//! Rhodium's files and DUMP payloads, Rhodium loads Redis's (versions 1 to 10, with the
//! ziplist, zipmap, intset and quicklist encodings of older releases).
//!
//! The codecs of the embedded blobs live beside this file (`lzf`, `crc64`, `listpack`,
//! `ziplist`, `intset`, `zipmap`); `read` and `write` handle the file structure and the
//! value encodings.

pub mod crc64;
pub mod error;
pub mod intset;
pub mod listpack;
pub mod lzf;
pub mod read;
pub mod stream;
pub mod write;
pub mod ziplist;
pub mod zipmap;

pub use error::{RdbError, RdbErrorKind};
pub use read::{load, load_dump_payload, verify_dump_payload, LoadLimits, LoadSummary, LoadedKey};
pub use write::{dump_payload, ReplInfo, SaveInfo, WriteOptions, Writer};

/// The RDB version Redis 7.0 writes.
pub const RDB_VERSION: u16 = 10;

/// Value type bytes (Redis's `RDB_TYPE_*`).
pub mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
}

/// Opcodes between keys (Redis's `RDB_OPCODE_*`).
pub mod opcodes {
    pub const FUNCTION2: u8 = 245;
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

/// Quicklist node containers in `LIST_QUICKLIST_2`.
pub const QUICKLIST_NODE_PLAIN: u64 = 1;
pub const QUICKLIST_NODE_PACKED: u64 = 2;

#[cfg(test)]
mod tests;
