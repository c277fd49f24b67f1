//! Configuration: the directive registry, the redis.conf parser, CONFIG REWRITE and the
//! typed settings the server reads.
//!
//! Directives use Redis's names, syntax and defaults. The running configuration is an
//! immutable snapshot swapped atomically by CONFIG SET, so readers never lock. Directives
//! Rhodium does not act on yet are still validated and stored (as their canonical CONFIG
//! GET text) so that existing config files load and CONFIG GET answers like Redis.

mod parse;
pub mod registry;
pub mod rewrite;
pub mod value;

use std::collections::BTreeMap;

pub use rhodium_storage::glob::glob_match;
pub use parse::{load_text, read_file, ConfigError};
pub use registry::{Directive, DIRECTIVES};
pub use value::parse_memory;

use crate::log::Level;

/// `enable-debug-command` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    No,
    Yes,
    Local,
}

impl Protection {
    /// The directive's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Protection::No => "no",
            Protection::Yes => "yes",
            Protection::Local => "local",
        }
    }

    fn parse(s: &str) -> Protection {
        match s {
            "yes" => Protection::Yes,
            "local" => Protection::Local,
            _ => Protection::No,
        }
    }
}

/// The typed settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub protected_mode: bool,
    pub requirepass: Option<Vec<u8>>,
    pub databases: usize,
    pub loglevel: Level,
    pub logfile: String,
    pub pidfile: String,
    pub dir: String,
    pub daemonize: bool,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub tcp_backlog: u32,
    pub maxclients: u64,
    pub hz: u32,
    pub dynamic_hz: bool,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: u64,
    pub enable_debug_command: Protection,
    pub always_show_logo: bool,
    pub active_expire_effort: u32,
    /// `tracking-table-max-keys`: keys the client-side caching table may hold (0: no limit).
    pub tracking_table_max_keys: u64,
    pub maxmemory: u64,
    pub save: String,
    pub appendonly: bool,
    pub dbfilename: String,
    /// Path of the config file the server was started with, if any.
    pub config_file: Option<String>,
    /// Canonical values of the directives without a typed field, by canonical name;
    /// absent means the registry default.
    pub other: BTreeMap<&'static str, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["*".into(), "-::*".into()],
            port: 6379,
            unixsocket: String::new(),
            unixsocketperm: 0,
            protected_mode: true,
            requirepass: None,
            databases: 16,
            loglevel: Level::Notice,
            logfile: String::new(),
            pidfile: String::new(),
            dir: ".".into(),
            daemonize: false,
            timeout: 0,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            maxclients: 10000,
            hz: 10,
            dynamic_hz: true,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            enable_debug_command: Protection::No,
            always_show_logo: false,
            active_expire_effort: 1,
            tracking_table_max_keys: 1_000_000,
            maxmemory: 0,
            save: "3600 1 300 100 60 10000".into(),
            appendonly: false,
            dbfilename: "dump.rdb".into(),
            config_file: None,
            other: BTreeMap::new(),
        }
    }
}

fn yes(v: &str) -> bool {
    v == "yes"
}

fn num<T: std::str::FromStr + Default>(v: &str) -> T {
    v.parse().unwrap_or_default()
}

impl Config {
    /// The embedded default used when the server starts with no config file: loopback
    /// only, protected mode on.
    pub fn embedded_default() -> Self {
        Config { bind: vec!["127.0.0.1".into(), "-::1".into()], ..Config::default() }
    }

    /// Applies one directive (any case, alias or name) with its arguments as written,
    /// outside of file loading (no `save` accumulation). Errors are Redis's messages.
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let d = registry::lookup(name).ok_or_else(|| "Bad directive or wrong number of arguments".to_string())?;
        let v = value::normalize(d, args, &self.get(d), false)?;
        self.store(d, v);
        Ok(())
    }

    /// The canonical value of a directive, as CONFIG GET prints it.
    pub fn get(&self, d: &Directive) -> String {
        let b = |v: bool| if v { "yes" } else { "no" }.to_string();
        match d.name {
            "bind" => self.bind.join(" "),
            "port" => self.port.to_string(),
            "unixsocket" => self.unixsocket.clone(),
            "unixsocketperm" => format!("{:o}", self.unixsocketperm),
            "protected-mode" => b(self.protected_mode),
            "requirepass" => self.requirepass.as_ref().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default(),
            "databases" => self.databases.to_string(),
            "loglevel" => self.loglevel.name().to_string(),
            "logfile" => self.logfile.clone(),
            "pidfile" => self.pidfile.clone(),
            // Redis answers with its working directory.
            "dir" => std::fs::canonicalize(&self.dir).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| self.dir.clone()),
            "daemonize" => b(self.daemonize),
            "timeout" => self.timeout.to_string(),
            "tcp-keepalive" => self.tcp_keepalive.to_string(),
            "tcp-backlog" => self.tcp_backlog.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "hz" => self.hz.to_string(),
            "dynamic-hz" => b(self.dynamic_hz),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "enable-debug-command" => self.enable_debug_command.name().to_string(),
            "always-show-logo" => b(self.always_show_logo),
            "active-expire-effort" => self.active_expire_effort.to_string(),
            "tracking-table-max-keys" => self.tracking_table_max_keys.to_string(),
            "maxmemory" => self.maxmemory.to_string(),
            "save" => self.save.clone(),
            "appendonly" => b(self.appendonly),
            "dbfilename" => self.dbfilename.clone(),
            "notify-keyspace-events" => crate::notify::flags_to_string(crate::notify::parse_flags(self.other.get(d.name).map(String::as_str).unwrap_or(""))),
            _ => self.other.get(d.name).cloned().unwrap_or_else(|| d.default.to_string()),
        }
    }

    /// Stores a canonical value (already validated by [`value::normalize`]).
    pub fn store(&mut self, d: &Directive, v: String) {
        match d.name {
            "bind" => self.bind = if v.is_empty() { Vec::new() } else { v.split(' ').map(str::to_string).collect() },
            "port" => self.port = num(&v),
            "unixsocket" => self.unixsocket = v,
            "unixsocketperm" => self.unixsocketperm = u32::from_str_radix(&v, 8).unwrap_or(0),
            "protected-mode" => self.protected_mode = yes(&v),
            "requirepass" => self.requirepass = if v.is_empty() { None } else { Some(v.into_bytes()) },
            "databases" => self.databases = num(&v),
            "loglevel" => self.loglevel = Level::parse(&v).unwrap_or(Level::Notice),
            "logfile" => self.logfile = v,
            "pidfile" => self.pidfile = v,
            "dir" => self.dir = v,
            "daemonize" => self.daemonize = yes(&v),
            "timeout" => self.timeout = num(&v),
            "tcp-keepalive" => self.tcp_keepalive = num(&v),
            "tcp-backlog" => self.tcp_backlog = num(&v),
            "maxclients" => self.maxclients = num(&v),
            "hz" => self.hz = num(&v),
            "dynamic-hz" => self.dynamic_hz = yes(&v),
            "proto-max-bulk-len" => self.proto_max_bulk_len = num(&v),
            "client-query-buffer-limit" => self.client_query_buffer_limit = num(&v),
            "enable-debug-command" => self.enable_debug_command = Protection::parse(&v),
            "always-show-logo" => self.always_show_logo = yes(&v),
            "active-expire-effort" => self.active_expire_effort = num(&v),
            "tracking-table-max-keys" => self.tracking_table_max_keys = num(&v),
            "maxmemory" => self.maxmemory = num(&v),
            "save" => self.save = v,
            "appendonly" => self.appendonly = yes(&v),
            "dbfilename" => self.dbfilename = v,
            _ => {
                if v == d.default {
                    self.other.remove(d.name);
                } else {
                    self.other.insert(d.name, v);
                }
            }
        }
    }

    /// Directives Rhodium accepts but does not act on yet, set to a non-default value
    /// (warned about at startup).
    pub fn unimplemented_in_use(&self) -> Vec<&'static str> {
        DIRECTIVES.iter().filter(|d| d.has(registry::flags::NOT_IMPLEMENTED) && self.get(d) != d.default).map(|d| d.name).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// redis.conf.example at the workspace root lists exactly the registry's directives,
    /// each with a line that parses.
    #[test]
    fn example_file_matches_registry() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../redis.conf.example");
        let text = std::fs::read_to_string(path).unwrap();
        let mut cfg = Config::default();
        load_text(&mut cfg, &text).unwrap();
        let mut names: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split(' ').next())
            .map(|n| registry::lookup(n).map(|d| d.name.to_string()).unwrap_or_else(|| n.to_string()))
            .collect();
        names.sort();
        names.dedup();
        let mut expected: Vec<String> = DIRECTIVES.iter().map(|d| d.name.to_string()).collect();
        expected.sort();
        assert_eq!(names, expected);
        // A directive is marked "not implemented yet" exactly when the registry says so.
        for line in text.lines() {
            let Some((name, _)) = line.strip_prefix("# ").and_then(|l| l.split_once(": ")) else {
                continue;
            };
            if let Some(d) = DIRECTIVES.iter().find(|d| d.name == name) {
                assert_eq!(line.contains("not implemented yet"), d.has(registry::flags::NOT_IMPLEMENTED), "{line}");
            }
        }
        // Every value in the example is the default.
        for d in DIRECTIVES {
            if d.name != "dir" {
                assert_eq!(cfg.get(d), Config::default().get(d), "{}", d.name);
            }
        }
    }
}
