//! Networking: listeners (TCP and Unix socket), the per-connection task and the client
//! registry. The RESP codec comes from `rhodium-protocol`.

pub mod clients;
pub mod conn;
pub mod listener;
