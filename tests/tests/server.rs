//! Server commands: INFO (sections and field names as redis-server 7.0.15), TIME,
//! SHUTDOWN argument errors.

use rhodium_it::raw::Reply;
use rhodium_it::{diff, TestServer};

/// `(section, [field names])` of an INFO reply, in order.
fn shape(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.split("\r\n") {
        if let Some(title) = line.strip_prefix("# ") {
            out.push((title.to_string(), Vec::new()));
        } else if let Some((name, _)) = line.split_once(':') {
            if let Some(last) = out.last_mut() {
                last.1.push(name.to_string());
            }
        }
    }
    out
}

fn info(s: &TestServer, args: &[&str]) -> String {
    let mut argv = vec!["INFO"];
    argv.extend_from_slice(args);
    match s.raw().cmd(&argv).unwrap() {
        Reply::Bulk(Some(b)) => String::from_utf8(b).unwrap(),
        other => panic!("INFO replied {other:?}"),
    }
}

#[test]
fn info_sections_and_fields_match_redis() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    for s in [&pair.ours, &pair.theirs] {
        let mut c = s.raw();
        c.cmd(&["SET", "k", "v"]).unwrap();
        c.cmd(&["GET", "k"]).unwrap();
        c.cmd(&["GET", "nokey"]).unwrap();
        c.cmd(&["SELECT", "x"]).unwrap();
    }
    // Sections whose field set does not depend on what ran (commandstats, errorstats,
    // latencystats list what happened; Rhodium has no latency histograms yet).
    for args in [&[][..], &["default"][..], &["server"][..], &["CLIENTS", "memory"][..], &["persistence", "stats", "replication", "cpu", "cluster", "keyspace", "modules"][..], &["nosuch"][..]] {
        let ours = shape(&info(&pair.ours, args));
        let theirs = shape(&info(&pair.theirs, args));
        assert_eq!(ours, theirs, "INFO {args:?}");
    }
    let all = shape(&info(&pair.ours, &["all"]));
    let titles: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        titles,
        ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"]
    );
    assert_eq!(shape(&info(&pair.ours, &["everything"])), all);
    // The text framing is the same: sections separated by an empty line, CRLF endings.
    let a = info(&pair.ours, &["keyspace"]);
    let b = info(&pair.theirs, &["keyspace"]);
    assert_eq!(a, b);
    assert_eq!(info(&pair.ours, &["nosuch"]), "");
}

#[test]
fn info_values_people_read() {
    let s = TestServer::start(&[]);
    let mut c = s.raw();
    c.cmd(&["SET", "k", "v"]).unwrap();
    c.cmd(&["GET", "k"]).unwrap();
    c.cmd(&["SELECT", "x"]).unwrap();
    c.cmd(&["NOSUCH"]).unwrap();
    let text = info(&s, &["all"]);
    let field = |name: &str| text.split("\r\n").find_map(|l| l.strip_prefix(&format!("{name}:"))).map(str::to_string).unwrap_or_else(|| panic!("no {name} in {text}"));
    assert_eq!(field("process_id"), s.pid().to_string());
    assert_eq!(field("tcp_port"), s.port.to_string());
    assert_eq!(field("run_id").len(), 40);
    assert!(field("run_id").chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(field("master_replid").len(), 40);
    assert_eq!(field("role"), "master");
    assert_eq!(field("rdb_bgsave_in_progress"), "0");
    assert_eq!(field("total_forks"), "0");
    assert!(field("used_memory").parse::<u64>().unwrap() > 0);
    assert_eq!(field("db0"), "keys=1,expires=0,avg_ttl=0");
    let set = field("cmdstat_set");
    assert!(set.starts_with("calls=1,usec=") && set.contains(",usec_per_call=") && set.ends_with(",rejected_calls=0,failed_calls=0"), "{set}");
    assert!(field("cmdstat_select").ends_with("rejected_calls=0,failed_calls=1"));
    assert_eq!(field("errorstat_ERR"), "count=2");
    assert_eq!(field("total_error_replies"), "2");
    assert!(field("executable").contains("rhodium-server"));
}

#[test]
fn info_is_verbatim_in_resp3() {
    let Some(pair) = diff::Pair::start(&[]) else { return };
    let mut replies = Vec::new();
    for s in [&pair.ours, &pair.theirs] {
        let mut c = s.raw();
        c.cmd(&["HELLO", "3"]).unwrap();
        replies.push(String::from_utf8_lossy(&c.cmd_bytes(&["INFO", "cluster"]).unwrap()).into_owned());
    }
    assert_eq!(replies[0], replies[1]);
    assert!(replies[0].starts_with("=34\r\ntxt:# Cluster\r\n"), "{}", replies[0]);
}

#[test]
fn time_and_shutdown_errors() {
    diff::check(
        r#"
        TIME x
        SHUTDOWN ABORT
        SHUTDOWN foo
        SHUTDOWN NOSAVE SAVE
        SHUTDOWN ABORT NOW
        SHUTDOWN SAVE ABORT
        "#,
    );
    let s = TestServer::start(&[]);
    match s.raw().cmd(&["TIME"]).unwrap() {
        Reply::Array(Some(items)) => {
            let secs: i64 = items[0].as_str().parse().unwrap();
            let us: i64 = items[1].as_str().parse().unwrap();
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
            assert!((secs - now).abs() <= 2);
            assert!((0..1_000_000).contains(&us));
        }
        other => panic!("{other:?}"),
    }
}
