//! String operations on [`Value`]s.

use crate::error::OpError;
use crate::value::Value;

/// Redis's `proto-max-bulk-len` default; the largest string a value may grow to.
pub const STRING_MAX_LEN: usize = 512 * 1024 * 1024;

/// The bytes of a string value, or WRONGTYPE.
pub fn bytes(v: &Value) -> Result<std::borrow::Cow<'_, [u8]>, OpError> {
    v.string_bytes().ok_or(OpError::WrongType)
}
