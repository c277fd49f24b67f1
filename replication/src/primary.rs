//! The pure parts of serving replicas: the PSYNC decision (Redis's
//! `masterTryPartialResynchronization`) and the states a replica goes through, named as
//! INFO prints them. The server crate owns the sockets and tasks.

use crate::backlog::ReplOffset;

/// 40 zeros: "no replication ID" (`master_replid2` after a fresh start).
pub const NO_REPLID: &str = "0000000000000000000000000000000000000000";

/// What this server's history is, for the PSYNC decision.
#[derive(Debug, Clone)]
pub struct History<'a> {
    pub replid: &'a str,
    pub replid2: &'a str,
    /// Offset up to which `replid2` is valid; -1 when there is none.
    pub second_offset: i64,
    /// The backlog's range `(first byte, last byte)`, when there is a backlog.
    pub backlog: Option<(ReplOffset, ReplOffset)>,
}

/// The answer to `PSYNC replid offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Psync {
    /// `+CONTINUE`: stream from `offset`.
    Continue { offset: ReplOffset },
    /// `+FULLRESYNC`; `reason` is Redis's log line (None for `PSYNC ? -1`, which
    /// asks for a full sync on purpose).
    Full { reason: Option<String> },
}

/// Decides between a partial and a full resync for the replica called `name` (its
/// `ip:port`), with Redis's log lines.
pub fn decide(h: &History<'_>, name: &str, replid: &str, offset: i64) -> Psync {
    if replid == "?" {
        return Psync::Full { reason: None };
    }
    let is1 = replid.eq_ignore_ascii_case(h.replid);
    let is2 = replid.eq_ignore_ascii_case(h.replid2);
    let same_history = is1 || (is2 && offset <= h.second_offset);
    if !same_history {
        let reason = if is2 {
            format!("Partial resynchronization not accepted: Requested offset for second ID was {}, but I can reply up to {}", offset, h.second_offset)
        } else {
            format!("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '{}', my replication IDs are '{}' and '{}')", replid, h.replid, h.replid2)
        };
        return Psync::Full { reason: Some(reason) };
    }
    match h.backlog {
        Some((first, last)) if offset >= 0 && (offset as u64) >= first && (offset as u64) <= last + 1 => Psync::Continue { offset: offset as u64 },
        _ => Psync::Full { reason: Some(format!("Unable to partial resync with replica {name} for lack of backlog (Replica request was: {offset}).")) },
    }
}

/// Where a replica is in its life (Redis's `SLAVE_STATE_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ReplicaState {
    /// Waiting for a transfer to start.
    WaitBgsaveStart = 0,
    /// Its snapshot is being produced.
    WaitBgsaveEnd = 1,
    /// The RDB is being sent.
    SendBulk = 2,
    /// Receiving the command stream.
    Online = 3,
}

impl ReplicaState {
    /// The name INFO's `slaveN:...,state=` shows.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::WaitBgsaveStart | ReplicaState::WaitBgsaveEnd => "wait_bgsave",
            ReplicaState::SendBulk => "send_bulk",
            ReplicaState::Online => "online",
        }
    }

    pub fn from_u8(v: u8) -> ReplicaState {
        match v {
            0 => ReplicaState::WaitBgsaveStart,
            1 => ReplicaState::WaitBgsaveEnd,
            2 => ReplicaState::SendBulk,
            _ => ReplicaState::Online,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn h(backlog: Option<(u64, u64)>) -> History<'static> {
        History { replid: A, replid2: B, second_offset: 100, backlog }
    }

    #[test]
    fn continues_inside_the_backlog_with_either_history() {
        assert_eq!(decide(&h(Some((1, 200))), "r", A, 150), Psync::Continue { offset: 150 });
        assert_eq!(decide(&h(Some((1, 200))), "r", A, 201), Psync::Continue { offset: 201 });
        assert_eq!(decide(&h(Some((1, 200))), "r", B, 100), Psync::Continue { offset: 100 });
    }

    #[test]
    fn full_sync_reasons_as_redis_logs_them() {
        assert_eq!(decide(&h(Some((1, 200))), "r", "?", -1), Psync::Full { reason: None });
        let Psync::Full { reason: Some(r) } = decide(&h(Some((1, 200))), "r", B, 101) else { panic!() };
        assert_eq!(r, "Partial resynchronization not accepted: Requested offset for second ID was 101, but I can reply up to 100");
        let Psync::Full { reason: Some(r) } = decide(&h(Some((1, 200))), "r", "x", 5) else { panic!() };
        assert!(r.starts_with("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for 'x'"));
        let Psync::Full { reason: Some(r) } = decide(&h(Some((50, 200))), "127.0.0.1:7000", A, 10) else { panic!() };
        assert_eq!(r, "Unable to partial resync with replica 127.0.0.1:7000 for lack of backlog (Replica request was: 10).");
        assert!(matches!(decide(&h(None), "r", A, 10), Psync::Full { reason: Some(_) }));
        assert!(matches!(decide(&h(Some((1, 200))), "r", A, 202), Psync::Full { reason: Some(_) }));
    }

    #[test]
    fn state_names() {
        assert_eq!(ReplicaState::from_u8(ReplicaState::WaitBgsaveEnd as u8).name(), "wait_bgsave");
        assert_eq!(ReplicaState::from_u8(3).name(), "online");
    }
}
