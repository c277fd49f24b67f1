//! Retention: whole segments are removed oldest first when the binlog is over
//! `binlog-max-size` or its oldest segment is older than `binlog-max-age`, but never one
//! holding an entry a pinned consumer still needs (the entry at its pinned seq, which
//! a resume checks, or any later one) unless the binlog is over `binlog-hard-max-size`.
//! The segment being written and the newest segment are never removed, so the log always
//! knows its last OpID.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::segment;
use super::{BinlogError, BinlogHandle};
use crate::opid::OpId;

/// Retention limits. A value of 0 / `None` means no limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionConfig {
    /// `binlog-max-size` (default 1gb): remove the oldest segments while the binlog is
    /// larger than this and no pinned consumer needs them.
    pub max_size: u64,
    /// `binlog-max-age` (seconds; default 0 = no limit): remove segments whose newest
    /// entry (the file's modification time) is older than this, unless a consumer needs
    /// them.
    pub max_age: Option<Duration>,
    /// `binlog-hard-max-size` (default 0 = none): above this, segments are removed even if
    /// a consumer needs them; each such consumer is reported (it will need a full sync).
    pub hard_max_size: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { max_size: 1 << 30, max_age: None, hard_max_size: 0 }
    }
}

/// Why a segment was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalReason {
    Size,
    Age,
    /// Over `binlog-hard-max-size`: removed even though a consumer needed it.
    HardCap,
}

/// Something the owner should log (and count in INFO).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetentionEvent {
    Removed { path: PathBuf, first: Option<OpId>, last: Option<OpId>, bytes: u64, reason: RemovalReason },
    /// Retention wanted to remove a segment but `consumer` still needs it.
    HeldForConsumer { consumer: String, pinned: OpId, total_bytes: u64 },
    /// The hard cap removed entries `consumer` still needed: it will need a full sync.
    PinOverridden { consumer: String, pinned: OpId, path: PathBuf },
}

/// What retention knows about one removable segment.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub id: u64,
    pub len: u64,
    pub last_seq: Option<u64>,
    pub age: Option<Duration>,
}

/// A decision about one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    Remove { id: u64, reason: RemovalReason, overridden: Vec<(String, OpId)> },
    Held { consumers: Vec<(String, OpId)> },
}

/// Decides, oldest first, which candidates go. `total` is the whole binlog's size.
pub(crate) fn plan(cands: &[Candidate], mut total: u64, pins: &BTreeMap<String, OpId>, cfg: &RetentionConfig) -> Vec<Decision> {
    let mut out = Vec::new();
    for c in cands {
        let over_hard = cfg.hard_max_size > 0 && total > cfg.hard_max_size;
        let reason = if over_hard {
            RemovalReason::HardCap
        } else if cfg.max_size > 0 && total > cfg.max_size {
            RemovalReason::Size
        } else if cfg.max_age.is_some_and(|max| c.age.is_some_and(|age| age > max)) {
            RemovalReason::Age
        } else {
            break;
        };
        let needing: Vec<(String, OpId)> =
            pins.iter().filter(|(_, p)| c.last_seq.is_some_and(|l| l >= p.seq)).map(|(k, p)| (k.clone(), *p)).collect();
        if !needing.is_empty() && !over_hard {
            out.push(Decision::Held { consumers: needing });
            break;
        }
        out.push(Decision::Remove { id: c.id, reason, overridden: needing });
        total -= c.len;
    }
    out
}

impl BinlogHandle {
    /// Applies retention at time `now`, removing segment files, and returns what the
    /// owner should log. Safe to run on any thread, beside appends and readers.
    pub fn enforce_retention(&self, now: SystemTime) -> Result<Vec<RetentionEvent>, BinlogError> {
        let cfg = &self.shared.config.retention;
        let (cands, total, pins) = {
            let st = self.shared.state.read();
            let total: u64 = st.segments.iter().map(|s| s.len).sum();
            let removable = st.segments.len().saturating_sub(1);
            let cands: Vec<(Candidate, PathBuf)> = st.segments[..removable]
                .iter()
                .take_while(|s| s.sealed)
                .map(|s| (Candidate { id: s.id, len: s.len, last_seq: s.last.map(|l| l.opid.seq), age: None }, s.path.clone()))
                .collect();
            (cands, total, st.pins.clone())
        };
        let cands: Vec<Candidate> = cands
            .into_iter()
            .map(|(mut c, path)| {
                c.age = fs::metadata(&path).and_then(|m| m.modified()).ok().and_then(|m| now.duration_since(m).ok());
                c
            })
            .collect();
        let mut events = Vec::new();
        for d in plan(&cands, total, &pins, cfg) {
            match d {
                Decision::Held { consumers } => {
                    events.extend(consumers.into_iter().map(|(consumer, pinned)| RetentionEvent::HeldForConsumer { consumer, pinned, total_bytes: total }))
                }
                Decision::Remove { id, reason, overridden } => {
                    let seg = {
                        let mut st = self.shared.state.write();
                        match st.segments.binary_search_by_key(&id, |s| s.id) {
                            Ok(i) => st.segments.remove(i),
                            Err(_) => continue,
                        }
                    };
                    fs::remove_file(&seg.path).map_err(BinlogError::io(&seg.path))?;
                    let _ = fs::remove_file(segment::index_path(&seg.path));
                    for (consumer, pinned) in overridden {
                        events.push(RetentionEvent::PinOverridden { consumer, pinned, path: seg.path.clone() });
                    }
                    events.push(RetentionEvent::Removed {
                        path: seg.path,
                        first: seg.first.map(|m| m.opid),
                        last: seg.last.map(|m| m.opid),
                        bytes: seg.len,
                        reason,
                    });
                }
            }
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cands(n: u64) -> Vec<Candidate> {
        (1..=n).map(|id| Candidate { id, len: 100, last_seq: Some(id * 10), age: Some(Duration::from_secs(1000 - id)) }).collect()
    }

    fn removed(d: &[Decision]) -> Vec<u64> {
        d.iter().filter_map(|d| if let Decision::Remove { id, .. } = d { Some(*id) } else { None }).collect()
    }

    #[test]
    fn size_removes_oldest_first() {
        let cfg = RetentionConfig { max_size: 250, max_age: None, hard_max_size: 0 };
        // 5 candidates + a 100-byte active segment = 600 bytes.
        let d = plan(&cands(5), 600, &BTreeMap::new(), &cfg);
        assert_eq!(removed(&d), vec![1, 2, 3, 4]);
        assert!(d.iter().all(|d| matches!(d, Decision::Remove { reason: RemovalReason::Size, .. })));
    }

    #[test]
    fn age_removes_old_segments() {
        let cfg = RetentionConfig { max_size: 0, max_age: Some(Duration::from_secs(997)), hard_max_size: 0 };
        let d = plan(&cands(5), 600, &BTreeMap::new(), &cfg);
        assert_eq!(removed(&d), vec![1, 2]);
    }

    #[test]
    fn pins_hold_until_hard_cap() {
        let pins: BTreeMap<String, OpId> = [("r1".to_string(), OpId { epoch: 1, seq: 20 })].into();
        let cfg = RetentionConfig { max_size: 100, max_age: None, hard_max_size: 0 };
        let d = plan(&cands(5), 600, &pins, &cfg);
        assert_eq!(removed(&d), vec![1], "segment 2 holds seq 20, which the resume check reads");
        assert!(matches!(&d[1], Decision::Held { consumers } if consumers[0].0 == "r1"));

        let cfg = RetentionConfig { max_size: 100, max_age: None, hard_max_size: 350 };
        let d = plan(&cands(5), 600, &pins, &cfg);
        assert_eq!(removed(&d), vec![1, 2, 3]);
        assert!(matches!(&d[1], Decision::Remove { id: 2, reason: RemovalReason::HardCap, overridden } if overridden.len() == 1));
        assert!(matches!(&d[3], Decision::Held { .. }), "back under the hard cap, the pin holds again");
    }

    #[test]
    fn nothing_to_do_under_limits() {
        let d = plan(&cands(5), 600, &BTreeMap::new(), &RetentionConfig { max_size: 600, max_age: None, hard_max_size: 0 });
        assert!(d.is_empty());
    }
}
