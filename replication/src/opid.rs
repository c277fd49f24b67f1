//! The OpID: the global position of a propagated write.

use std::fmt;

/// `(epoch, seq)`: `seq` grows by one per propagated unit across the whole replication
/// history; `epoch` grows when a different server starts accepting writes. Ordered by
/// `seq` first: within one history a larger seq is later whatever the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OpId {
    pub epoch: u64,
    pub seq: u64,
}

impl PartialOrd for OpId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OpId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.seq, self.epoch).cmp(&(other.seq, other.epoch))
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.epoch, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_by_seq() {
        let a = OpId { epoch: 2, seq: 5 };
        let b = OpId { epoch: 1, seq: 6 };
        assert!(a < b);
        assert_eq!(a.to_string(), "2:5");
    }
}
