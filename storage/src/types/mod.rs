//! Value types and their pure operations, one file per type (Redis's "type API").
//! Commands call these under the key's stripe lock; they know nothing of clients.

pub mod set;
pub mod string;
pub mod list;
pub mod hash;
pub mod zset;
