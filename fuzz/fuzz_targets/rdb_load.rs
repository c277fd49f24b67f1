//! The RDB reader on arbitrary bytes, as a file and as a DUMP payload: errors, never
//! panics or unbounded allocations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhodium_storage::rdb;

fuzz_target!(|data: &[u8]| {
    let limits = rdb::LoadLimits { verify_checksum: false, ..rdb::LoadLimits::default() };
    let _ = rdb::load(data, &limits, |_| Ok(()));
    let _ = rdb::load_dump_payload(data, &limits);
});
