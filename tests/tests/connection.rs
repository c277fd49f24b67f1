//! Connection basics and protocol errors, differential against redis-server.

use rhodium_it::{diff, TestServer};

#[test]
fn ping_echo_select_unknown_and_arity() {
    diff::check(
        r#"
        PING
        PING hello
        PING a b
        ECHO "with space"
        ECHO
        SELECT 1
        SELECT 16
        SELECT -1
        SELECT x
        FOO bar baz
        GET
        "#,
    );
}

#[test]
fn protocol_errors_close_only_that_connection() {
    let s = TestServer::start(&[]);
    let mut bad = s.raw();
    let mut good = s.raw();
    bad.send_raw(b"*1\r\n#3\r\n").unwrap();
    let r = bad.read_reply_bytes().unwrap();
    assert_eq!(r, b"-ERR Protocol error: expected '$', got '#'\r\n");
    assert!(bad.is_closed(std::time::Duration::from_secs(5)));
    assert_eq!(good.cmd(&["PING"]).unwrap().as_str(), "PONG");
}

#[test]
fn redis_cli_and_redis_crate_work() {
    let s = TestServer::start(&[]);
    assert_eq!(s.cli(&["SET", "k", "v"]).trim(), "OK");
    assert_eq!(s.cli(&["GET", "k"]).trim(), "v");
    let mut c = s.client();
    let v: String = redis::cmd("GET").arg("k").query(&mut c).unwrap();
    assert_eq!(v, "v");
}
