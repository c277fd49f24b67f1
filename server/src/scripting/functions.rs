//! Placeholder.
use std::sync::Arc;
use super::RunFlags;
/// Function libraries.
pub struct Functions { pub run: Arc<RunFlags> }
impl Functions { pub fn new(run: Arc<RunFlags>) -> Self { Functions { run } } }
