//! The directive registry, like Redis's `static_configs[]`: every directive Redis 7.0 knows,
//! with its old alias, type, limits, default (as CONFIG GET shows it) and flags. Parsing,
//! CONFIG GET/SET/REWRITE and redis.conf.example are all derived from this one table.

/// Directive flags (Redis's `*_CONFIG` flags that matter here).
pub mod flags {
    /// Cannot be changed with CONFIG SET.
    pub const IMMUTABLE: u32 = 1 << 0;
    /// CONFIG SET needs `enable-protected-configs`.
    pub const PROTECTED: u32 = 1 << 1;
    /// Left out of glob matches in CONFIG GET (test knobs).
    pub const HIDDEN: u32 = 1 << 2;
    /// Takes several arguments (CONFIG SET splits its value on spaces).
    pub const MULTI_ARG: u32 = 1 << 3;
    /// Accepted and stored, but Rhodium does not act on it yet: a non-default value is
    /// logged as a warning at startup.
    pub const NOT_IMPLEMENTED: u32 = 1 << 4;
}

/// How a numeric value is written (Redis's INTEGER/MEMORY/PERCENT/OCTAL_CONFIG).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Plain integer (`string2ll`).
    Plain,
    /// Bytes with optional units, signed (`memtoll`).
    Memory,
    /// Bytes with optional units, never negative (`memtoull`).
    MemoryUnsigned,
    /// Bytes or `N%` (stored negative, as Redis does).
    Percent,
    /// Octal (`unixsocketperm`).
    Octal,
}

/// What kind of value a directive holds.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    Int { min: i128, max: i128, unit: Unit },
    Enum(&'static [&'static str]),
    /// Several enum words at once (`shutdown-on-sigterm save now`).
    Flags(&'static [&'static str]),
    /// A string; `null_if_empty` ones disappear from a rewritten file when empty.
    Str { null_if_empty: bool },
    /// Parsed by its own code: save, bind, dir, client-output-buffer-limit, ...
    Special,
}

/// One directive.
#[derive(Debug, Clone, Copy)]
pub struct Directive {
    pub name: &'static str,
    /// The old name still accepted (`slaveof` for `replicaof`).
    pub alias: Option<&'static str>,
    pub kind: Kind,
    /// The default exactly as CONFIG GET prints it.
    pub default: &'static str,
    pub flags: u32,
}

impl Directive {
    /// Whether a flag is set.
    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }
}

use flags::*;
use Unit::*;

const I32: i128 = i32::MAX as i128;
const I64: i128 = i64::MAX as i128;
const U32: i128 = u32::MAX as i128;
const U64: i128 = u64::MAX as i128;
const NI: u32 = NOT_IMPLEMENTED;

const fn b(name: &'static str, alias: Option<&'static str>, default: bool, flags: u32) -> Directive {
    Directive { name, alias, kind: Kind::Bool, default: if default { "yes" } else { "no" }, flags }
}
const fn i(name: &'static str, alias: Option<&'static str>, min: i128, max: i128, unit: Unit, default: &'static str, flags: u32) -> Directive {
    Directive { name, alias, kind: Kind::Int { min, max, unit }, default, flags }
}
const fn e(name: &'static str, values: &'static [&'static str], default: &'static str, flags: u32) -> Directive {
    Directive { name, alias: None, kind: Kind::Enum(values), default, flags }
}
const fn s(name: &'static str, alias: Option<&'static str>, null_if_empty: bool, default: &'static str, flags: u32) -> Directive {
    Directive { name, alias, kind: Kind::Str { null_if_empty }, default, flags }
}
const fn sp(name: &'static str, alias: Option<&'static str>, default: &'static str, flags: u32) -> Directive {
    Directive { name, alias, kind: Kind::Special, default, flags }
}

const PROTECTED_ACTION: &[&str] = &["no", "yes", "local"];
const SHUTDOWN_FLAGS: &[&str] = &["default", "save", "nosave", "now", "force"];
/// Log levels Redis 7.0 accepts.
pub const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];

/// Every directive, in Redis's `static_configs[]` order.
pub static DIRECTIVES: &[Directive] = &[
    // Bool configs
    b("rdbchecksum", None, true, 0),
    b("daemonize", None, false, IMMUTABLE),
    b("io-threads-do-reads", None, false, IMMUTABLE | NI),
    b("always-show-logo", None, false, IMMUTABLE),
    b("protected-mode", None, true, 0),
    b("rdbcompression", None, true, 0),
    b("rdb-del-sync-files", None, false, NI),
    b("activerehashing", None, true, NI),
    b("stop-writes-on-bgsave-error", None, true, NI),
    b("set-proc-title", None, true, IMMUTABLE | NI),
    b("dynamic-hz", None, true, 0),
    b("lazyfree-lazy-eviction", None, false, NI),
    b("lazyfree-lazy-expire", None, false, NI),
    b("lazyfree-lazy-server-del", None, false, NI),
    b("lazyfree-lazy-user-del", None, false, NI),
    b("lazyfree-lazy-user-flush", None, false, NI),
    b("repl-disable-tcp-nodelay", None, false, NI),
    b("repl-diskless-sync", None, true, 0),
    b("aof-rewrite-incremental-fsync", None, true, 0),
    b("no-appendfsync-on-rewrite", None, false, 0),
    b("cluster-require-full-coverage", None, true, NI),
    b("rdb-save-incremental-fsync", None, true, NI),
    b("aof-load-truncated", None, true, 0),
    b("aof-use-rdb-preamble", None, true, 0),
    b("aof-timestamp-enabled", None, false, 0),
    b("cluster-replica-no-failover", Some("cluster-slave-no-failover"), false, NI),
    b("replica-lazy-flush", Some("slave-lazy-flush"), false, NI),
    b("replica-serve-stale-data", Some("slave-serve-stale-data"), true, 0),
    b("replica-read-only", Some("slave-read-only"), true, 0),
    b("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), true, NI),
    b("jemalloc-bg-thread", None, true, NI),
    b("activedefrag", None, false, NI),
    b("syslog-enabled", None, false, IMMUTABLE | NI),
    b("cluster-enabled", None, false, IMMUTABLE | NI),
    b("appendonly", None, false, 0),
    b("cluster-allow-reads-when-down", None, false, NI),
    b("cluster-allow-pubsubshard-when-down", None, true, NI),
    b("crash-log-enabled", None, true, NI),
    b("crash-memcheck-enabled", None, true, NI),
    b("use-exit-on-panic", None, false, HIDDEN | NI),
    b("disable-thp", None, true, IMMUTABLE | NI),
    b("cluster-allow-replica-migration", None, true, NI),
    b("replica-announced", None, true, 0),
    b("latency-tracking", None, true, NI),
    b("aof-disable-auto-gc", None, false, NI),
    b("replica-ignore-disk-write-errors", None, false, NI),
    // String configs
    s("aclfile", None, false, "", IMMUTABLE | NI),
    s("unixsocket", None, true, "", IMMUTABLE),
    s("pidfile", None, true, "", IMMUTABLE),
    s("replica-announce-ip", Some("slave-announce-ip"), true, "", 0),
    s("masteruser", None, true, "", 0),
    s("cluster-announce-ip", None, true, "", NI),
    s("cluster-config-file", None, false, "nodes.conf", IMMUTABLE | NI),
    s("cluster-announce-hostname", None, true, "", NI),
    s("syslog-ident", None, false, "redis", IMMUTABLE | NI),
    s("dbfilename", None, false, "dump.rdb", PROTECTED),
    s("appendfilename", None, false, "appendonly.aof", IMMUTABLE),
    s("appenddirname", None, false, "appendonlydir", IMMUTABLE),
    s("server_cpulist", None, true, "", IMMUTABLE | NI),
    s("bio_cpulist", None, true, "", IMMUTABLE | NI),
    s("aof_rewrite_cpulist", None, true, "", IMMUTABLE | NI),
    s("bgsave_cpulist", None, true, "", IMMUTABLE | NI),
    s("ignore-warnings", None, false, "", NI),
    s("proc-title-template", None, false, "{title} {listen-addr} {server-mode}", NI),
    s("bind-source-addr", None, true, "", NI),
    s("logfile", None, false, "", IMMUTABLE),
    s("masterauth", None, true, "", 0),
    s("requirepass", None, true, "", 0),
    // Enum configs
    e("supervised", &["upstart", "systemd", "auto", "no"], "no", IMMUTABLE | NI),
    e("syslog-facility", &["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"], "local0", IMMUTABLE | NI),
    e("repl-diskless-load", &["disabled", "on-empty-db", "swapdb"], "disabled", 0),
    e("loglevel", LOGLEVELS, "notice", 0),
    e("maxmemory-policy", &["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"], "noeviction", NI),
    e("appendfsync", &["everysec", "always", "no"], "everysec", 0),
    e("oom-score-adj", &["no", "yes", "relative", "absolute"], "no", NI),
    e("acl-pubsub-default", &["allchannels", "resetchannels"], "resetchannels", NI),
    e("sanitize-dump-payload", &["no", "yes", "clients"], "no", NI),
    e("enable-protected-configs", PROTECTED_ACTION, "no", IMMUTABLE),
    e("enable-debug-command", PROTECTED_ACTION, "no", IMMUTABLE),
    e("enable-module-command", PROTECTED_ACTION, "no", IMMUTABLE | NI),
    e("cluster-preferred-endpoint-type", &["ip", "hostname", "unknown-endpoint"], "ip", NI),
    e("propagation-error-behavior", &["ignore", "panic", "panic-on-replicas"], "ignore", NI),
    Directive { name: "shutdown-on-sigint", alias: None, kind: Kind::Flags(SHUTDOWN_FLAGS), default: "default", flags: MULTI_ARG | NI },
    Directive { name: "shutdown-on-sigterm", alias: None, kind: Kind::Flags(SHUTDOWN_FLAGS), default: "default", flags: MULTI_ARG | NI },
    // Integer configs
    i("databases", None, 1, I32, Plain, "16", IMMUTABLE),
    i("port", None, 0, 65535, Plain, "6379", 0),
    i("io-threads", None, 1, 128, Plain, "1", IMMUTABLE | NI),
    i("auto-aof-rewrite-percentage", None, 0, I32, Plain, "100", 0),
    i("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), 0, I32, Plain, "10", NI),
    i("list-max-listpack-size", Some("list-max-ziplist-size"), i32::MIN as i128, I32, Plain, "-2", NI),
    i("tcp-keepalive", None, 0, I32, Plain, "300", 0),
    i("cluster-migration-barrier", None, 0, I32, Plain, "1", NI),
    i("active-defrag-cycle-min", None, 1, 99, Plain, "1", NI),
    i("active-defrag-cycle-max", None, 1, 99, Plain, "25", NI),
    i("active-defrag-threshold-lower", None, 0, 1000, Plain, "10", NI),
    i("active-defrag-threshold-upper", None, 0, 1000, Plain, "100", NI),
    i("lfu-log-factor", None, 0, I32, Plain, "10", NI),
    i("lfu-decay-time", None, 0, I32, Plain, "1", NI),
    i("replica-priority", Some("slave-priority"), 0, I32, Plain, "100", 0),
    i("repl-diskless-sync-delay", None, 0, I32, Plain, "5", 0),
    i("maxmemory-samples", None, 1, I32, Plain, "5", NI),
    i("maxmemory-eviction-tenacity", None, 0, 100, Plain, "10", NI),
    i("timeout", None, 0, I32, Plain, "0", 0),
    i("replica-announce-port", Some("slave-announce-port"), 0, 65535, Plain, "0", 0),
    i("tcp-backlog", None, 0, I32, Plain, "511", IMMUTABLE),
    i("cluster-port", None, 0, 65535, Plain, "0", IMMUTABLE | NI),
    i("cluster-announce-bus-port", None, 0, 65535, Plain, "0", NI),
    i("cluster-announce-port", None, 0, 65535, Plain, "0", NI),
    i("cluster-announce-tls-port", None, 0, 65535, Plain, "0", NI),
    i("repl-timeout", None, 1, I32, Plain, "60", 0),
    i("repl-ping-replica-period", Some("repl-ping-slave-period"), 1, I32, Plain, "10", 0),
    i("list-compress-depth", None, 0, I32, Plain, "0", NI),
    i("rdb-key-save-delay", None, i32::MIN as i128, I32, Plain, "0", HIDDEN | NI),
    i("key-load-delay", None, i32::MIN as i128, I32, Plain, "0", HIDDEN),
    i("active-expire-effort", None, 1, 10, Plain, "1", 0),
    i("hz", None, 0, I32, Plain, "10", 0),
    i("min-replicas-to-write", Some("min-slaves-to-write"), 0, I32, Plain, "0", 0),
    i("min-replicas-max-lag", Some("min-slaves-max-lag"), 0, I32, Plain, "10", 0),
    i("watchdog-period", None, 0, I32, Plain, "0", HIDDEN | NI),
    i("shutdown-timeout", None, 0, I32, Plain, "10", NI),
    i("repl-diskless-sync-max-replicas", None, 0, I32, Plain, "0", 0),
    // Unsigned int configs
    i("maxclients", None, 1, U32, Plain, "10000", 0),
    i("unixsocketperm", None, 0, 0o777, Octal, "0", IMMUTABLE),
    i("socket-mark-id", None, 0, U32, Plain, "0", IMMUTABLE | NI),
    // Unsigned long configs
    i("active-defrag-max-scan-fields", None, 1, I64, Plain, "1000", NI),
    i("slowlog-max-len", None, 0, I64, Plain, "128", NI),
    i("acllog-max-len", None, 0, I64, Plain, "128", NI),
    // Long long configs
    i("busy-reply-threshold", Some("lua-time-limit"), 0, I64, Plain, "5000", NI),
    i("cluster-node-timeout", None, 0, I64, Plain, "15000", NI),
    i("slowlog-log-slower-than", None, -1, I64, Plain, "10000", NI),
    i("latency-monitor-threshold", None, 0, I64, Plain, "0", NI),
    i("proto-max-bulk-len", None, 1024 * 1024, I64, Memory, "536870912", 0),
    i("stream-node-max-entries", None, 0, I64, Plain, "100", NI),
    i("repl-backlog-size", None, 1, I64, Memory, "1048576", 0),
    // Unsigned long long configs
    i("maxmemory", None, 0, U64, MemoryUnsigned, "0", 0),
    i("cluster-link-sendbuf-limit", None, 0, U64, MemoryUnsigned, "0", NI),
    // Size_t configs
    i("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), 0, I64, Plain, "512", 0),
    i("set-max-intset-entries", None, 0, I64, Plain, "512", NI),
    i("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), 0, I64, Plain, "128", NI),
    i("active-defrag-ignore-bytes", None, 1, I64, MemoryUnsigned, "104857600", NI),
    i("hash-max-listpack-value", Some("hash-max-ziplist-value"), 0, I64, MemoryUnsigned, "64", 0),
    i("stream-node-max-bytes", None, 0, I64, MemoryUnsigned, "4096", NI),
    i("zset-max-listpack-value", Some("zset-max-ziplist-value"), 0, I64, MemoryUnsigned, "64", NI),
    i("hll-sparse-max-bytes", None, 0, I64, MemoryUnsigned, "3000", 0),
    i("tracking-table-max-keys", None, 0, I64, Plain, "1000000", 0),
    i("client-query-buffer-limit", None, 1024 * 1024, I64, MemoryUnsigned, "1073741824", 0),
    i("maxmemory-clients", None, -100, I64, Percent, "0", NI),
    // Other configs
    i("repl-backlog-ttl", None, 0, I64, Plain, "3600", 0),
    i("auto-aof-rewrite-min-size", None, 0, I64, Memory, "67108864", 0),
    i("loading-process-events-interval-bytes", None, 1024, I32, Plain, "2097152", HIDDEN | NI),
    // TLS configs (Debian's redis-server is built with TLS)
    i("tls-port", None, 0, 65535, Plain, "0", NI),
    i("tls-session-cache-size", None, 0, I32, Plain, "20480", NI),
    i("tls-session-cache-timeout", None, 0, I32, Plain, "300", NI),
    b("tls-cluster", None, false, NI),
    b("tls-replication", None, false, NI),
    e("tls-auth-clients", &["no", "yes", "optional"], "yes", NI),
    b("tls-prefer-server-ciphers", None, false, NI),
    b("tls-session-caching", None, true, NI),
    s("tls-cert-file", None, true, "", NI),
    s("tls-key-file", None, true, "", NI),
    s("tls-key-file-pass", None, true, "", NI),
    s("tls-client-cert-file", None, true, "", NI),
    s("tls-client-key-file", None, true, "", NI),
    s("tls-client-key-file-pass", None, true, "", NI),
    s("tls-dh-params-file", None, true, "", NI),
    s("tls-ca-cert-file", None, true, "", NI),
    s("tls-ca-cert-dir", None, true, "", NI),
    s("tls-protocols", None, true, "", NI),
    s("tls-ciphers", None, true, "", NI),
    s("tls-ciphersuites", None, true, "", NI),
    // Special configs
    sp("dir", None, "", PROTECTED),
    sp("save", None, "3600 1 300 100 60 10000", MULTI_ARG),
    sp("client-output-buffer-limit", None, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", MULTI_ARG),
    sp("oom-score-adj-values", None, "0 200 800", MULTI_ARG | NI),
    sp("notify-keyspace-events", None, "", 0),
    sp("bind", None, "* -::*", MULTI_ARG),
    sp("replicaof", Some("slaveof"), "", IMMUTABLE | MULTI_ARG),
    sp("latency-tracking-info-percentiles", None, "50 99 99.9", MULTI_ARG | NI),
];

/// A directive by its name or alias (case-insensitive).
pub fn lookup(name: &str) -> Option<&'static Directive> {
    DIRECTIVES.iter().find(|d| d.name.eq_ignore_ascii_case(name) || d.alias.is_some_and(|a| a.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for d in DIRECTIVES {
            for n in std::iter::once(d.name).chain(d.alias) {
                assert_eq!(n, n.to_ascii_lowercase());
                assert!(seen.insert(n), "duplicate {n}");
            }
        }
        assert!(lookup("SLAVEOF").is_some_and(|d| d.name == "replicaof"));
    }
}
