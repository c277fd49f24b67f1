//! Encoding propagated units into the bytes Redis 7.0 puts in its replication stream
//! (`replicationFeedSlaves` + `propagatePendingCommands`): a `SELECT` before a command
//! whose database differs from the stream's, commands as RESP arrays with the caller's
//! spelling, and several effects of one unit wrapped in `MULTI` ... `EXEC`.
//!
//! Units of atomic sections carry `SELECT n` commands where their database changes (and
//! one back at the end, see the server's `atomic.rs`); here those only move the database
//! of the following commands, and a `SELECT` is written only before a command that needs
//! it, so a trailing one is dropped and the stream ends in the last command's database —
//! exactly as Redis, which propagates `EXEC` with the last command's database.

use rhodium_protocol::encode::encode_command;
use rhodium_protocol::Argv;
use rhodium_storage::DbIndex;

/// The stream's state between units: the database the replicas have selected.
#[derive(Debug, Default)]
pub struct StreamEncoder {
    /// `None` until the first command, and after [`StreamEncoder::force_select`]
    /// (Redis's `slaveseldb = -1`).
    db: Option<DbIndex>,
}

/// `SELECT n` if `argv` is one (name in any case, one argument that is a database index).
fn as_select(argv: &Argv) -> Option<DbIndex> {
    if argv.len() != 2 || !argv[0].eq_ignore_ascii_case(b"select") {
        return None;
    }
    std::str::from_utf8(&argv[1]).ok()?.parse().ok()
}

impl StreamEncoder {
    /// The next command written carries a `SELECT` whatever its database (after a new
    /// replica attaches or a full sync starts, as Redis does).
    pub fn force_select(&mut self) {
        self.db = None;
    }

    /// The database the stream is in (`repl-stream-db`), 0 when none was selected yet.
    pub fn db(&self) -> DbIndex {
        self.db.unwrap_or(0)
    }

    fn select_if_needed(&mut self, db: DbIndex, out: &mut Vec<u8>) {
        if self.db != Some(db) {
            let mut num = itoa::Buffer::new();
            encode_command(&[b"SELECT".as_slice(), num.format(db).as_bytes()], out);
            self.db = Some(db);
        }
    }

    /// Appends one unit executed in `db` to `out`.
    pub fn encode_unit(&mut self, db: DbIndex, commands: &[Argv], out: &mut Vec<u8>) {
        let effects = commands.iter().filter(|c| as_select(c).is_none()).count();
        if effects == 0 {
            return;
        }
        let multi = effects > 1;
        let mut current = db;
        let mut opened = false;
        for c in commands {
            if let Some(n) = as_select(c) {
                current = n;
                continue;
            }
            self.select_if_needed(current, out);
            if multi && !opened {
                encode_command(&[b"MULTI".as_slice()], out);
                opened = true;
            }
            encode_command(c, out);
        }
        if multi {
            encode_command(&[b"EXEC".as_slice()], out);
        }
    }

    /// Appends a command that belongs to no database (the replication PING, `REPLCONF
    /// GETACK *`): no `SELECT` is written and the stream's database does not change.
    pub fn encode_no_db<A: AsRef<[u8]>>(&mut self, argv: &[A], out: &mut Vec<u8>) {
        encode_command(argv, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn cmd(s: &str) -> Argv {
        s.split(' ').map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()
    }

    fn resp(cmds: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        for c in cmds {
            encode_command(&cmd(c), &mut out);
        }
        out
    }

    #[test]
    fn selects_only_when_the_database_changes() {
        let mut e = StreamEncoder::default();
        let mut out = Vec::new();
        e.encode_unit(0, &[cmd("set a 1")], &mut out);
        e.encode_unit(0, &[cmd("set a 2")], &mut out);
        e.encode_unit(3, &[cmd("set b 2")], &mut out);
        assert_eq!(out, resp(&["SELECT 0", "set a 1", "set a 2", "SELECT 3", "set b 2"]));
        e.force_select();
        out.clear();
        e.encode_no_db(&["PING"], &mut out);
        e.encode_unit(3, &[cmd("del b")], &mut out);
        assert_eq!(out, resp(&["PING", "SELECT 3", "del b"]));
    }

    /// What redis-server 7.0 sends for `EVAL "redis.call('set','x','1');
    /// redis.call('incr','x')"` run in db 0 while the stream was in db 3.
    #[test]
    fn wraps_several_effects_in_multi_exec_after_the_select() {
        let mut e = StreamEncoder::default();
        let mut out = Vec::new();
        e.encode_unit(3, &[cmd("set b 2")], &mut out);
        out.clear();
        e.encode_unit(0, &[cmd("set x 1"), cmd("incr x")], &mut out);
        assert_eq!(out, resp(&["SELECT 0", "MULTI", "set x 1", "incr x", "EXEC"]));
    }

    /// A section spanning databases: SELECTs inside the transaction, none after it; the
    /// stream stays in the last command's database.
    #[test]
    fn sections_across_databases_end_in_the_last_commands_database() {
        let mut e = StreamEncoder::default();
        let mut out = Vec::new();
        e.encode_unit(0, &[cmd("set a 1"), cmd("SELECT 2"), cmd("set b 1"), cmd("SELECT 0")], &mut out);
        assert_eq!(out, resp(&["SELECT 0", "MULTI", "set a 1", "SELECT 2", "set b 1", "EXEC"]));
        assert_eq!(e.db(), 2);
        out.clear();
        e.encode_unit(0, &[cmd("set c 1")], &mut out);
        assert_eq!(out, resp(&["SELECT 0", "set c 1"]));
        out.clear();
        e.encode_unit(1, &[cmd("SELECT 1")], &mut out);
        assert!(out.is_empty());
    }
}
