//! FUNCTION and FCALL, differential against redis-server 7.0. Libraries used in listings
//! hold one function each: Redis lists in its dict order, which varies between runs.

use rhodium_it::{diff, Flavor, TestServer};

#[test]
fn load_errors() {
    diff::check(
        r##"
        FUNCTION FLUSH
        FUNCTION LOAD "return 1"
        FUNCTION LOAD "#!lua\nreturn 1"
        FUNCTION LOAD "#!python name=x\nreturn 1"
        FUNCTION LOAD "#!lua name=\nreturn 1"
        FUNCTION LOAD "#!lua name=a-b\nreturn 1"
        FUNCTION LOAD "#!lua name=lib1 foo=bar\nreturn 1"
        FUNCTION LOAD "#!lua name=lib1 flags=no-writes\nreturn 1"
        FUNCTION LOAD "#!lua name=lib1\nreturn 1"
        FUNCTION LOAD "#!lua name=lib1\nreturn ("
        FUNCTION LOAD "#!lua name=lib1\nerror('boom')"
        FUNCTION LOAD "#!lua name=lib1\nredis.call('ping')"
        FUNCTION LOAD "#!lua name=lib1\nreturn x"
        FUNCTION LOAD "#!lua name=lib1\nx = 1"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f1')"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function()"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function('1-x', function() end)"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function{function_name='g', callback=function() end, flags={'bad'}}"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function{function_name='g', callback=function() end, foo=1}"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function{callback=function() end}"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function('g', function() end) redis.register_function('g', function() end)"
        FUNCTION LOAD "#!lua name=lib2\nredis.log(redis.LOG_NOTICE, 'loading') redis.register_function('g', function() return redis.REDIS_VERSION end)"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function('other', function() end)"
        FUNCTION LOAD "#!lua name=lib3\nredis.register_function('g', function() end)"
        FUNCTION LOAD REPLACE "#!lua name=lib2\nredis.register_function('g2', function() return 2 end)"
        FCALL g 0
        FCALL g2 0
        FUNCTION LOAD
        FUNCTION LOAD BAD "#!lua name=x\n"
        "##,
    );
}

#[test]
fn fcall_flags_and_errors() {
    diff::check(
        r##"
        FUNCTION FLUSH
        FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return {keys, args} end)"
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function{function_name='f2', callback=function() return redis.call('set','k','v') end, flags={'no-writes'}, description='desc'}"
        FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='h', callback=function(k,a) return redis.call('set', k[1], a[1]) end, flags={'allow-oom'}}"
        FUNCTION LOAD "#!lua name=lib4\nredis.register_function{function_name='r', callback=function(k) return redis.call('get', k[1]) end, flags={'no-writes'}}"
        FUNCTION LOAD "#!lua name=lib5\nredis.register_function('e', function() error('inside') end)"
        FUNCTION LOAD "#!lua name=lib6\nredis.register_function('e2', function() return redis.call('nosuch') end)"
        FUNCTION LOAD "#!lua name=lib7\nredis.register_function('e3', function() return x end)"
        FCALL f1 2 a b c
        FCALL f1 0
        FCALL f2 0
        FCALL h 1 x y
        FCALL_RO h 1 x y
        FCALL_RO r 1 x
        FCALL r 1 x
        FCALL nosuch 0
        FCALL f1 5
        FCALL f1 -1
        FCALL f1 x
        FCALL e 0
        FCALL e2 0
        FCALL e3 0
        EVAL "return redis.call('fcall','f1',0)" 0
        FUNCTION LIST LIBRARYNAME lib2
        FUNCTION LIST LIBRARYNAME lib2 WITHCODE
        FUNCTION LIST LIBRARYNAME
        FUNCTION LIST bad
        FUNCTION STATS
        FUNCTION DELETE nosuch
        FUNCTION DELETE lib1
        FCALL f1 0
        FUNCTION KILL
        FUNCTION RESTORE garbage
        FUNCTION RESTORE garbage bad
        FUNCTION HELP
        FUNCTION FLUSH bad
        FUNCTION FLUSH async
        FUNCTION LIST
        FUNCTION STATS
        "##,
    );
}

#[test]
fn dump_and_restore() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    let load = |c: &mut rhodium_it::RawConn, code: &str| c.cmd(&["FUNCTION", "LOAD", code]).unwrap();
    load(&mut c, "#!lua name=a\nredis.register_function('fa', function() return 'A' end)");
    load(&mut c, "#!lua name=b\nredis.register_function('fb', function() return 'B' end)");
    let payload = c.cmd_bytes(&[b"FUNCTION".to_vec(), b"DUMP".to_vec()]).unwrap();
    // The bulk's body is the payload.
    let text = payload.splitn(2, |b| *b == b'\n').nth(1).unwrap();
    let body = text[..text.len() - 2].to_vec();
    let restore = |c: &mut rhodium_it::RawConn, policy: &str| {
        let mut argv = vec![b"FUNCTION".to_vec(), b"RESTORE".to_vec(), body.clone()];
        if !policy.is_empty() {
            argv.push(policy.as_bytes().to_vec());
        }
        String::from_utf8_lossy(&c.cmd_bytes(&argv).unwrap()).into_owned()
    };
    assert_eq!(restore(&mut c, ""), "-ERR Library a already exists\r\n");
    assert_eq!(restore(&mut c, "REPLACE"), "+OK\r\n");
    c.cmd(&["FUNCTION", "FLUSH"]).unwrap();
    assert_eq!(restore(&mut c, "APPEND"), "+OK\r\n");
    assert_eq!(c.cmd(&["FCALL", "fb", "0"]).unwrap().as_str(), "B");
    load(&mut c, "#!lua name=c\nredis.register_function('fc', function() return 'C' end)");
    assert_eq!(restore(&mut c, "FLUSH"), "+OK\r\n");
    assert_eq!(String::from_utf8_lossy(&c.cmd_bytes(&[b"FCALL".to_vec(), b"fc".to_vec(), b"0".to_vec()]).unwrap()), "-ERR Function not found\r\n");
    assert_eq!(c.cmd(&["FCALL", "fa", "0"]).unwrap().as_str(), "A");

    // A payload made by redis-server restores here.
    if rhodium_it::redis_available() {
        let r = TestServer::start_redis(&[]);
        let mut rc = r.raw();
        rc.cmd(&["FUNCTION", "LOAD", "#!lua name=fromredis\nredis.register_function('fr', function() return 'a longer body so that redis compresses it with lzf lzf lzf lzf' end)"]).unwrap();
        let p = rc.cmd_bytes(&[b"FUNCTION".to_vec(), b"DUMP".to_vec()]).unwrap();
        let t = p.splitn(2, |b| *b == b'\n').nth(1).unwrap();
        let rp = t[..t.len() - 2].to_vec();
        let reply = c.cmd_bytes(&[b"FUNCTION".to_vec(), b"RESTORE".to_vec(), rp, b"FLUSH".to_vec()]).unwrap();
        assert_eq!(reply, b"+OK\r\n");
        assert_eq!(c.cmd(&["FCALL", "fr", "0"]).unwrap().as_str(), "a longer body so that redis compresses it with lzf lzf lzf lzf");
        // And ours restores on redis-server.
        let ours = c.cmd_bytes(&[b"FUNCTION".to_vec(), b"DUMP".to_vec()]).unwrap();
        let t = ours.splitn(2, |b| *b == b'\n').nth(1).unwrap();
        let reply = rc.cmd_bytes(&[b"FUNCTION".to_vec(), b"RESTORE".to_vec(), t[..t.len() - 2].to_vec(), b"FLUSH".to_vec()]).unwrap();
        assert_eq!(reply, b"+OK\r\n");
    }
}

/// Runs a busy function on one server and returns what every step answered.
fn busy_fcall_transcript(s: &TestServer) -> Vec<String> {
    use std::time::Duration;
    let text = |r: std::io::Result<Vec<u8>>| String::from_utf8_lossy(&r.unwrap_or_default()).into_owned();
    let mut runner = s.raw();
    let mut other = s.raw();
    let mut t = Vec::new();
    t.push(text(other.cmd_bytes(&["CONFIG", "SET", "busy-reply-threshold", "100"])));
    t.push(text(other.cmd_bytes(&["FUNCTION", "LOAD", "#!lua name=spin\nredis.register_function{function_name='spin', callback=function() local i = 0 while true do i = i + 1 end end, flags={'no-writes'}}"])));
    runner.send_raw(b"*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n").unwrap();
    let mut first = String::new();
    rhodium_it::wait_until(Duration::from_secs(10), "-BUSY", || {
        first = text(other.cmd_bytes(&["PING"]));
        first.starts_with("-BUSY")
    });
    t.push(first);
    t.push(text(other.cmd_bytes(&["SET", "x", "1"])));
    t.push(text(other.cmd_bytes(&["FCALL_RO", "spin", "0"])));
    t.push(text(other.cmd_bytes(&["SCRIPT", "KILL"])));
    t.push(text(other.cmd_bytes(&["FUNCTION", "KILL"])));
    t.push(String::from_utf8_lossy(&runner.read_reply_bytes().unwrap_or_default()).into_owned());
    t.push(text(other.cmd_bytes(&["PING"])));
    t
}

#[test]
fn busy_function_and_function_kill() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    assert_eq!(busy_fcall_transcript(&p.ours), busy_fcall_transcript(&p.theirs));
}

const LIB_A: &str = "#!lua name=liba\nredis.register_function{function_name='fa', callback=function(keys, args) return {'A', keys[1], args[1]} end, flags={'no-writes'}, description='first'}";
const LIB_B: &str = "#!lua name=libb\nredis.register_function('fb', function() return redis.call('incr', 'calls') end)";
const LIB_C: &str = "#!lua name=libc\nredis.register_function('fc', function() return 'C' end)";

/// FUNCTION LIST WITHCODE of one library, as raw reply bytes.
fn listing(c: &mut rhodium_it::RawConn, lib: &str) -> String {
    String::from_utf8_lossy(&c.cmd_bytes(&["FUNCTION", "LIST", "LIBRARYNAME", lib, "WITHCODE"]).unwrap()).into_owned()
}

/// Saves `s` and starts `flavor` on a copy of its file.
fn restart_as(s: &TestServer, flavor: Flavor) -> (TestServer, tempfile::TempDir) {
    assert_eq!(s.raw().cmd(&["SAVE"]).unwrap().as_str(), "OK");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(s.dir.path().join("dump.rdb"), dir.path().join("dump.rdb")).unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    (TestServer::start_flavor(flavor, &["--dir", d.as_str()]), dir)
}

#[test]
fn libraries_survive_save_and_restart() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    for lib in [LIB_A, LIB_B] {
        c.cmd(&["FUNCTION", "LOAD", lib]).unwrap();
    }
    let before = (listing(&mut c, "liba"), listing(&mut c, "libb"));
    let (again, _dir) = restart_as(&s, Flavor::Rhodium);
    let mut a = again.raw();
    assert_eq!((listing(&mut a, "liba"), listing(&mut a, "libb")), before);
    assert_eq!(String::from_utf8_lossy(&a.cmd_bytes(&["FCALL", "fa", "1", "k", "v"]).unwrap()), "*3\r\n$1\r\nA\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert_eq!(a.cmd(&["FCALL", "fb", "0"]).unwrap().as_str(), "1");
    assert_eq!(a.cmd(&["FUNCTION", "STATS"]).unwrap(), c.cmd(&["FUNCTION", "STATS"]).unwrap());

    // What is saved is what is loaded at the time: a deleted library is gone, a new one
    // is there, and after FUNCTION FLUSH nothing is.
    c.cmd(&["FUNCTION", "DELETE", "libb"]).unwrap();
    c.cmd(&["FUNCTION", "LOAD", LIB_C]).unwrap();
    let (again, _dir) = restart_as(&s, Flavor::Rhodium);
    let mut a = again.raw();
    assert_eq!(listing(&mut a, "libb"), "*0\r\n");
    assert_eq!(listing(&mut a, "liba"), before.0);
    assert_eq!(a.cmd(&["FCALL", "fc", "0"]).unwrap().as_str(), "C");
    assert!(a.cmd(&["FCALL", "fb", "0"]).unwrap().is_error());
    c.cmd(&["FUNCTION", "FLUSH"]).unwrap();
    let (again, _dir) = restart_as(&s, Flavor::Rhodium);
    assert_eq!(String::from_utf8_lossy(&again.raw().cmd_bytes(&["FUNCTION", "LIST"]).unwrap()), "*0\r\n");
}

#[test]
fn libraries_move_between_redis_and_rhodium() {
    if !rhodium_it::redis_available() {
        return;
    }
    for (from, to) in [(Flavor::Redis, Flavor::Rhodium), (Flavor::Rhodium, Flavor::Redis)] {
        let src = TestServer::start_flavor(from, &[]);
        let mut c = src.raw();
        for lib in [LIB_A, LIB_B] {
            c.cmd(&["FUNCTION", "LOAD", lib]).unwrap();
        }
        let (dst, dir) = restart_as(&src, to);
        if from == Flavor::Rhodium {
            let out = std::process::Command::new("redis-check-rdb").arg(dir.path().join("dump.rdb")).output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success() && text.contains("RDB looks OK"), "{text}");
        }
        let mut d = dst.raw();
        for lib in ["liba", "libb"] {
            assert_eq!(listing(&mut d, lib), listing(&mut c, lib), "{from:?} -> {to:?}");
        }
        assert_eq!(d.cmd(&["FCALL", "fb", "0"]).unwrap().as_str(), "1");
        assert_eq!(d.cmd_bytes(&["FCALL_RO", "fa", "1", "k", "v"]).unwrap(), c.cmd_bytes(&["FCALL_RO", "fa", "1", "k", "v"]).unwrap());
    }
}

#[test]
fn debug_reload_keeps_or_empties_libraries() {
    diff::check(
        r##"
        FUNCTION FLUSH
        FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"
        DEBUG RELOAD
        FCALL f1 0
        FUNCTION DELETE lib1
        DEBUG RELOAD NOSAVE
        FCALL f1 0
        DEBUG RELOAD NOFLUSH NOSAVE
        DEBUG RELOAD MERGE NOFLUSH NOSAVE
        FUNCTION LIST
        FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f2', function() return 2 end)"
        DEBUG RELOAD NOSAVE
        FCALL f2 0
        FUNCTION FLUSH
        DEBUG RELOAD
        FUNCTION LIST
        "##,
    );
}
