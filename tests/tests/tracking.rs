//! Client-side caching (CLIENT TRACKING), differentially against redis-server: every reply
//! and every invalidation push or `__redis__:invalidate` message is compared byte for byte.

use std::collections::HashMap;
use std::time::Duration;

use rhodium_it::diff::{split, Pair};
use rhodium_it::raw::RawConn;
use rhodium_it::{wait_until, TestServer};

/// One server's side of a session over several connections, where `$idN` in a command
/// stands for connection N's client id (ids differ between the two servers).
struct Side {
    conns: HashMap<usize, RawConn>,
    ids: HashMap<usize, i64>,
    admin: RawConn,
    port: u16,
}

impl Side {
    fn new(s: &TestServer) -> Side {
        Side { conns: HashMap::new(), ids: HashMap::new(), admin: s.raw(), port: s.port }
    }

    fn conn(&mut self, n: usize) -> &mut RawConn {
        if !self.conns.contains_key(&n) {
            let mut c = RawConn::connect(self.port).unwrap();
            let id = c.cmd(&["CLIENT", "ID"]).unwrap().as_str().parse().unwrap();
            self.ids.insert(n, id);
            self.conns.insert(n, c);
        }
        self.conns.get_mut(&n).unwrap()
    }

    fn id(&mut self, n: usize) -> i64 {
        self.conn(n);
        self.ids[&n]
    }

    /// Replaces `$idN` tokens with client ids.
    fn expand(&mut self, line: &str) -> Vec<Vec<u8>> {
        split(line)
            .into_iter()
            .map(|a| match std::str::from_utf8(&a).ok().and_then(|s| s.strip_prefix("$id")).and_then(|n| n.parse().ok()) {
                Some(n) => self.id(n).to_string().into_bytes(),
                None => a,
            })
            .collect()
    }

    /// Replaces client ids in integer replies (`:id`) by `$idN`, so the sides compare.
    fn normalize(&self, reply: Vec<u8>) -> String {
        let mut s = String::from_utf8_lossy(&reply).into_owned();
        for (n, id) in &self.ids {
            s = s.replace(&format!(":{id}\r\n"), &format!(":$id{n}\r\n")).replace(&format!("redir={id} "), &format!("redir=$id{n} "));
        }
        s
    }

    /// Runs one script line, returning what it read (if anything).
    ///
    /// - `N CMD`: send on connection N and read one reply;
    /// - `N~ CMD`: the same, with client ids in integer replies shown as `$idN` (always
    ///   done for HELLO);
    /// - `N<`: read one pending message (a push) from connection N;
    /// - `N| CMD ; CMD ...`: send the commands in one write (a pipeline), reading nothing;
    /// - `N flags`: connection N's CLIENT LIST `flags=` and `redir=` fields;
    /// - `close N`: disconnect N and wait until the server has let it go;
    /// - `blocked K`: wait until the server reports K blocked clients;
    /// - `gone N KEY`: poll EXISTS KEY on N until the (expired) key is gone.
    fn step(&mut self, line: &str) -> Option<String> {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        match head {
            "close" => {
                let n: usize = rest.parse().unwrap();
                let id = self.id(n);
                self.conns.remove(&n);
                let admin = &mut self.admin;
                wait_until(Duration::from_secs(10), "client gone", || {
                    let list = admin.cmd(&["CLIENT", "LIST"]).unwrap().as_str();
                    !list.lines().any(|l| l.starts_with(&format!("id={id} ")))
                });
                return None;
            }
            "blocked" => {
                let want: usize = rest.parse().unwrap();
                let admin = &mut self.admin;
                wait_until(Duration::from_secs(10), "blocked clients", || rhodium_it::session::blocked(admin) == want);
                return None;
            }
            "gone" => {
                let (n, key) = rest.split_once(' ').unwrap();
                let c = self.conn(n.parse().unwrap());
                wait_until(Duration::from_secs(10), "key expired", || c.cmd(&["EXISTS", key]).unwrap().as_str() == "0");
                return None;
            }
            _ => {}
        }
        if let Some(n) = head.strip_suffix('|') {
            let mut bytes = Vec::new();
            for cmd in rest.split(" ; ") {
                bytes.extend(rhodium_it::raw::encode(&self.expand(cmd)));
            }
            self.conn(n.parse().unwrap()).send_raw(&bytes).unwrap();
            return None;
        }
        if let Some(n) = head.strip_suffix('<') {
            let n = n.trim_end_matches('~');
            let bytes = self.conn(n.parse().unwrap()).read_reply_bytes().unwrap();
            return Some(self.normalize(bytes));
        }
        if rest == "flags" {
            let n: usize = head.trim_end_matches('~').parse().unwrap();
            let line = self.conn(n).cmd(&["CLIENT", "INFO"]).unwrap().as_str();
            let fields: Vec<&str> = line.split(' ').filter(|f| f.starts_with("flags=") || f.starts_with("redir=")).collect();
            let shown = fields.join(" ") + " ";
            return Some(self.normalize(shown.into_bytes()));
        }
        // HELLO's reply holds the client id.
        let hello = rest.get(..5).is_some_and(|w| w.eq_ignore_ascii_case("hello"));
        let (n, normalize) = match head.strip_suffix('~') {
            Some(n) => (n, true),
            None => (head, hello),
        };
        let argv = self.expand(rest);
        let bytes = self.conn(n.parse().unwrap()).cmd_bytes(&argv).unwrap();
        Some(if normalize { self.normalize(bytes) } else { String::from_utf8_lossy(&bytes).into_owned() })
    }
}

/// Runs a session script on both servers (started with `extra`), comparing every read.
fn session_with(extra: &[&str], script: &str) {
    let Some(pair) = Pair::start(extra) else {
        return;
    };
    let (mut ours, mut theirs) = (Side::new(&pair.ours), Side::new(&pair.theirs));
    for (i, line) in script.lines().map(str::trim).enumerate().filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let a = ours.step(line);
        let b = theirs.step(line);
        assert_eq!(a, b, "reply differs for `{line}` at script line {i} (left: rhodium, right: redis)\nlog:\n{}", pair.ours.log());
    }
}

fn session(script: &str) {
    session_with(&[], script);
}

#[test]
fn option_errors_and_introspection() {
    session(
        r#"
        1 CLIENT TRACKING
        1 CLIENT TRACKING maybe
        1 CLIENT TRACKING on foo
        1 CLIENT TRACKING on REDIRECT
        1 CLIENT TRACKING on REDIRECT x
        1 CLIENT TRACKING on REDIRECT 0
        1 CLIENT TRACKING on REDIRECT -1
        1 CLIENT TRACKING on REDIRECT 999999
        1 CLIENT TRACKING on REDIRECT $id2 REDIRECT $id2
        1 CLIENT TRACKING on PREFIX a
        1 CLIENT TRACKING on OPTIN OPTOUT
        1 CLIENT TRACKING on BCAST OPTIN
        1 CLIENT TRACKING on BCAST OPTOUT
        1 CLIENT TRACKING on BCAST PREFIX ab PREFIX a
        1 CLIENT TRACKING on BCAST PREFIX a PREFIX ab
        1 CLIENT TRACKING off
        1 CLIENT TRACKING off
        1 CLIENT CACHING yes
        1 CLIENT CACHING no
        1 CLIENT CACHING maybe
        1 CLIENT CACHING yes extra
        1 CLIENT GETREDIR
        1 CLIENT TRACKINGINFO
        1 flags
        1 CLIENT TRACKING on
        1 CLIENT CACHING yes
        1 CLIENT CACHING no
        1 CLIENT CACHING maybe
        1 CLIENT GETREDIR
        1 CLIENT TRACKINGINFO
        1 flags
        1 CLIENT TRACKING on BCAST
        1 CLIENT TRACKING on OPTIN
        1 CLIENT TRACKING on OPTOUT
        1 CLIENT CACHING yes
        1 CLIENT TRACKINGINFO
        1 CLIENT TRACKING on OPTIN NOLOOP
        1 CLIENT TRACKINGINFO
        1 CLIENT TRACKING off
        1 CLIENT TRACKING on OPTOUT
        1 CLIENT CACHING no
        1 CLIENT TRACKINGINFO
        1 CLIENT TRACKING off
        1 CLIENT TRACKING on BCAST PREFIX b PREFIX a
        1 CLIENT TRACKING on BCAST PREFIX c
        1 CLIENT TRACKING on BCAST PREFIX bx
        1 CLIENT TRACKING on BCAST PREFIX x PREFIX y PREFIX yz
        1<
        1 CLIENT TRACKINGINFO
        1 flags
        1 CLIENT TRACKING on
        1 HELLO 3
        1 CLIENT TRACKINGINFO
        1 RESET
        1 CLIENT TRACKINGINFO
        1 flags
        1 CLIENT TRACKING on REDIRECT $id2 NOLOOP
        1 HELLO 3
        1 INFO nosuchsection
        1 CLIENT HELP
        "#,
    );
}

#[test]
fn overlapping_prefix_at_a_later_position_still_enables_tracking() {
    // Redis 7.0 reports the overlap, then enables tracking anyway (two replies).
    session(
        r#"
        1 CLIENT TRACKING on BCAST PREFIX a PREFIX b PREFIX bc
        1<
        1 CLIENT TRACKINGINFO
        "#,
    );
}

#[test]
fn default_mode_invalidates_tracked_keys_once() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        1 GET a
        1 MGET b c
        1 HGET h f
        2 SET a 1
        1<
        # The key is no longer tracked: a second write sends nothing.
        2 SET a 2
        1 PING
        2 MSET b 1 c 1
        1<
        1<
        # Deleting a missing key changes nothing.
        2 DEL h
        1 PING
        2 HSET h f v
        1<
        # Own writes invalidate too, after the reply.
        1 GET a
        1 SET a 3
        1<
        1 PING
        # Reads of a missing key, of a wrong type, and commands with keys but no read
        # flag.
        1 LRANGE a 0 -1
        2 APPEND a x
        1<
        1 EXISTS z
        1 TYPE y
        2 SET z 1
        1<
        2 SET y 1
        1<
        1 flags
        1 CLIENT TRACKING off
        1 GET q
        2 SET q 1
        1 PING
        "#,
    );
}

#[test]
fn info_counts_clients_keys_items_and_prefixes() {
    let Some(pair) = Pair::start(&[]) else {
        return;
    };
    let fields = |conns: &mut [RawConn]| {
        let info = conns[0].cmd(&["INFO", "everything"]).unwrap().as_str();
        info.lines().filter(|l| l.starts_with("tracking_")).map(str::to_string).collect::<Vec<_>>()
    };
    let run = |s: &TestServer| {
        let mut conns: Vec<RawConn> = (0..3).map(|_| s.raw()).collect();
        let mut seen = Vec::new();
        seen.push(fields(&mut conns));
        for c in conns.iter_mut().take(2) {
            c.cmd(&["HELLO", "3"]).unwrap();
            c.cmd(&["CLIENT", "TRACKING", "on"]).unwrap();
            c.cmd(&["MGET", "a", "b"]).unwrap();
        }
        conns[1].cmd(&["GET", "c"]).unwrap();
        seen.push(fields(&mut conns));
        conns[2].cmd(&["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p", "PREFIX", "q"]).unwrap();
        seen.push(fields(&mut conns));
        conns[2].cmd(&["SET", "a", "1"]).unwrap();
        seen.push(fields(&mut conns));
        conns[2].cmd(&["CLIENT", "TRACKING", "off"]).unwrap();
        conns[1].cmd(&["CLIENT", "TRACKING", "off"]).unwrap();
        seen.push(fields(&mut conns));
        conns[0].cmd(&["FLUSHDB"]).unwrap();
        seen.push(fields(&mut conns));
        seen
    };
    assert_eq!(run(&pair.ours), run(&pair.theirs));
}

#[test]
fn noloop_skips_own_writes_only() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on NOLOOP
        1 GET a
        1 GET b
        1 SET a 1
        1 PING
        2 SET b 1
        1<
        1 CLIENT TRACKINGINFO
        "#,
    );
}

#[test]
fn optin_tracks_only_after_caching_yes() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on OPTIN
        1 GET a
        2 SET a 1
        1 PING
        1 CLIENT CACHING yes
        1 CLIENT TRACKINGINFO
        1 GET b
        1 CLIENT TRACKINGINFO
        1 GET c
        2 SET c 1
        2 SET b 1
        1<
        # CACHING is kept through a transaction and spent by it.
        1 CLIENT CACHING yes
        1 MULTI
        1 GET d
        1 EXEC
        1 GET e
        2 SET e 1
        2 SET d 1
        1<
        # Inside the transaction itself.
        1 MULTI
        1 CLIENT CACHING yes
        1 GET f
        1 EXEC
        2 SET f 1
        1<
        "#,
    );
}

#[test]
fn optout_tracks_unless_caching_no() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on OPTOUT
        1 CLIENT CACHING no
        1 CLIENT TRACKINGINFO
        1 GET a
        1 GET b
        2 SET a 1
        2 SET b 1
        1<
        1 CLIENT TRACKINGINFO
        "#,
    );
}

#[test]
fn bcast_prefixes_broadcast_changed_keys() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on BCAST PREFIX user: PREFIX obj:
        2 SET user:1 a
        1<
        2 MSET obj:2 a user:3 b other c obj:1 d
        1<
        1<
        2 SET other x
        1 PING
        # Without NOLOOP the client hears of its own writes.
        1 SET user:9 x
        1<
        1 CLIENT TRACKING on BCAST PREFIX u
        1 CLIENT TRACKING on BCAST NOLOOP
        1 CLIENT TRACKINGINFO
        1 SET user:10 x
        1 PING
        # NOLOOP with no PREFIX added the empty prefix: one message per matching prefix.
        2 SET user:11 x
        1<
        1<
        3 HELLO 3
        3 CLIENT TRACKING on BCAST
        2 SET anything 1
        3<
        2 DEL anything
        3<
        3 CLIENT TRACKINGINFO
        3 flags
        "#,
    );
}

#[test]
fn redirect_to_a_resp2_subscriber_uses_the_invalidate_channel() {
    session(
        r#"
        2 SUBSCRIBE __redis__:invalidate
        1 CLIENT TRACKING on REDIRECT $id2
        1~ CLIENT GETREDIR
        1~ CLIENT TRACKINGINFO
        1~ flags
        1 GET a
        1 GET b
        3 SET a 1
        2<
        1 SET b 1
        2<
        3 FLUSHALL
        2<
        # RESP3 tracking client, redirected: the flush null follows its own protocol.
        4 HELLO 3
        4 CLIENT TRACKING on REDIRECT $id2
        4 GET c
        3 SET c 1
        2<
        3 FLUSHDB
        2<
        2<
        "#,
    );
}

#[test]
fn redirect_to_a_resp3_client_pushes_and_broken_redirect_is_reported() {
    session(
        r#"
        2 HELLO 3
        1 HELLO 3
        1 CLIENT TRACKING on REDIRECT $id2
        1 GET a
        3 SET a 1
        2<
        # A RESP2 redirect target that is not subscribed gets nothing.
        4 CLIENT TRACKING on REDIRECT $id5
        5 PING
        4 GET b
        3 SET b 1
        5 PING
        close 2
        1 GET c
        3 SET c 1
        1~<
        1 flags
        1~ CLIENT TRACKINGINFO
        1~ CLIENT GETREDIR
        1 CLIENT TRACKING on
        1 flags
        "#,
    );
}

#[test]
fn bcast_pipeline_shares_one_message() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on BCAST
        1| SET a 1 ; SET b 2 ; DEL a ; PING
        1<
        1<
        1<
        1<
        1<
        2 MSET c 1 d 2
        1<
        "#,
    );
}

#[test]
fn database_commands_invalidate_by_key_name() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        1 GET k
        1 SELECT 1
        1 GET j
        2 SET k 1
        1<
        # SWAPDB changes no key as tracking sees it.
        2 SWAPDB 0 1
        2 SELECT 1
        2 SET j 1
        1<
        1 GET m
        2 MOVE j 0
        1 PING
        2 SET m 1
        1<
        1 GET n
        2 RENAME m n
        1<
        1 MULTI
        1 GET q
        1 FLUSHALL
        1 GET q
        1 EXEC
        1<
        2 SET q 1
        1<
        1 GET z
        1 EVAL "redis.call('flushdb') return 1" 0
        1<
        1 OBJECT ENCODING z
        1 STRLEN y
        2 SET z 1
        2 SET y 1
        1<
        1<
        "#,
    );
}

#[test]
fn invalidations_never_interleave_with_a_reply() {
    session(
        r#"
        2 DEBUG SET-ACTIVE-EXPIRE 0
        1 HELLO 3
        1 CLIENT TRACKING on
        2 MSET a 1 b 2
        2 PEXPIRE a 100
        2 PEXPIRE b 100
        1 MGET a b
        1 DEBUG SLEEP 0.2
        # MGET finds both expired: its reply first, then the two invalidations; the
        # read tracks them again.
        1 MGET a b
        1<
        1<
        2 SET a 1
        1<
        2 DEBUG SET-ACTIVE-EXPIRE 1
        # A blocked BLMOVE's own write is announced after its reply.
        2 RPUSH list2 a
        1 LRANGE list2 0 -1
        1| BLMOVE list1 list2 LEFT LEFT 0
        blocked 1
        2 RPUSH list1 foo
        1<
        1<
        "#,
    );
}

#[test]
fn pushes_reach_a_client_whose_replies_are_off() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        1 GET a
        1| CLIENT REPLY OFF
        2 SET a 1
        1<
        1| CLIENT REPLY ON
        1<
        "#,
    );
}

#[test]
fn flush_sends_a_null_invalidation_to_every_tracking_client() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        2 HELLO 3
        2 CLIENT TRACKING on BCAST
        1 FLUSHALL
        1<
        2<
        2 FLUSHDB
        1<
        2<
        1 FLUSHALL ASYNC
        1<
        2<
        "#,
    );
}

#[test]
fn transactions_and_scripts_track_reads_and_invalidate_after_the_reply() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        1 MULTI
        1 GET a
        1 SET a 1
        1 GET b
        1 EXEC
        1<
        2 SET b 1
        1<
        1 MULTI
        1 SET c 1
        1 GET c
        1 EXEC
        2 SET c 2
        1<
        # Tracking turned on inside a transaction applies to its later reads.
        3 HELLO 3
        3 MULTI
        3 CLIENT TRACKING on
        3 GET g
        3 EXEC
        2 SET g 1
        3<
        1 EVAL "return redis.call('get', KEYS[1])" 1 d
        2 SET d 1
        1<
        1 EVAL_RO "return redis.call('get', KEYS[1])" 1 e
        2 SET e 1
        1<
        1 EVAL "redis.call('get', KEYS[1]); return redis.call('set', KEYS[1], 'x')" 1 f
        1<
        2 SET f 2
        1 PING
        "#,
    );
}

#[test]
fn tracking_turned_on_inside_a_transaction_applies_to_its_reads() {
    // Nobody tracks before the transaction runs.
    session(
        r#"
        1 HELLO 3
        1 MULTI
        1 CLIENT TRACKING on
        1 GET a
        1 EXEC
        2 SET a 1
        1<
        2 GET b
        1 SET b 1
        1 PING
        "#,
    );
}

#[test]
fn expired_keys_are_invalidated() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        2 SET a 1 PX 300
        1 GET a
        1<
        "#,
    );
    session(
        r#"
        2 DEBUG SET-ACTIVE-EXPIRE 0
        1 HELLO 3
        1 CLIENT TRACKING on
        2 SET a 1 PX 50
        1 GET a
        gone 2 a
        1<
        2 DEBUG SET-ACTIVE-EXPIRE 1
        "#,
    );
}

#[test]
fn table_limit_evicts_keys_with_an_invalidation() {
    // Which key goes is arbitrary (Redis walks its table at random): compare the shape.
    let Some(pair) = Pair::start(&["--tracking-table-max-keys", "2"]) else {
        return;
    };
    let run = |s: &TestServer| {
        let mut c = s.raw();
        let mut admin = s.raw();
        let mut out = Vec::new();
        out.push(c.cmd_bytes(&["CONFIG", "GET", "tracking-table-max-keys"]).unwrap());
        c.cmd(&["HELLO", "3"]).unwrap();
        c.cmd(&["CLIENT", "TRACKING", "on"]).unwrap();
        c.cmd(&["MGET", "a", "b", "c"]).unwrap();
        // The next command first brings the table back under its limit: one key goes,
        // its invalidation preceding the reply.
        let push = String::from_utf8_lossy(&c.cmd_bytes(&["PING"]).unwrap()).into_owned();
        let evicted = ["a", "b", "c"].iter().fold(push, |p, k| p.replace(&format!("*1\r\n$1\r\n{k}\r\n"), "*1\r\n$1\r\nK\r\n"));
        out.push(evicted.into_bytes());
        out.push(c.read_reply_bytes().unwrap());
        let info = admin.cmd(&["INFO", "stats"]).unwrap().as_str();
        out.push(info.lines().find(|l| l.starts_with("tracking_total_keys")).unwrap_or("").as_bytes().to_vec());
        out.push(c.cmd_bytes(&["CONFIG", "SET", "tracking-table-max-keys", "0"]).unwrap());
        c.cmd(&["MGET", "d", "e", "f", "g"]).unwrap();
        out.push(c.cmd_bytes(&["PING"]).unwrap());
        out
    };
    assert_eq!(run(&pair.ours), run(&pair.theirs));
}

#[test]
fn output_buffer_limit_applies_to_invalidations() {
    // A RESP3 tracking client that never reads is disconnected once its pushes pass the
    // normal class's hard limit, and the server stays healthy.
    let s = TestServer::start(&[]);
    let mut writer = s.raw();
    writer.cmd(&["CONFIG", "SET", "client-output-buffer-limit", "normal 4096 0 0"]).unwrap();
    let mut tracker = s.raw();
    tracker.cmd(&["HELLO", "3"]).unwrap();
    tracker.cmd(&["CLIENT", "TRACKING", "on", "BCAST"]).unwrap();
    let big = "k".repeat(1000);
    wait_until(Duration::from_secs(20), "tracker disconnected", || {
        for i in 0..50 {
            writer.cmd(&["SET", &format!("{big}{i}"), "v"]).unwrap();
        }
        let list = writer.cmd(&["CLIENT", "LIST"]).unwrap().as_str();
        list.lines().count() == 1
    });
    assert_eq!(writer.cmd(&["PING"]).unwrap().as_str(), "PONG");
}

#[test]
fn debug_reload_drops_every_cached_key() {
    session(
        r#"
        1 HELLO 3
        1 CLIENT TRACKING on
        2 SET k 1
        1 GET k
        2 DEBUG RELOAD
        1<
        1 GET k
        2 SET k 2
        1<
        "#,
    );
}
