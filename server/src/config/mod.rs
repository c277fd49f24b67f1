//! Configuration: the redis.conf parser and the typed settings the server reads.
//!
//! Directives use Redis's names, syntax and defaults. The running configuration is an
//! immutable snapshot swapped atomically by CONFIG SET, so readers never lock.

mod parse;

pub use parse::{parse_memory, ConfigError};

/// Parses config text (a file followed by command-line directives) into `cfg`.
pub fn load_text(cfg: &mut Config, text: &str) -> Result<(), ConfigError> {
    parse::load_text(cfg, text, 0)
}

use crate::log::Level;

/// `enable-debug-command` and friends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    No,
    Yes,
    Local,
}

impl Protection {
    pub fn name(self) -> &'static str {
        match self {
            Protection::No => "no",
            Protection::Yes => "yes",
            Protection::Local => "local",
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
    pub maxmemory: u64,
    pub save: String,
    pub appendonly: bool,
    pub dbfilename: String,
    /// Path of the config file the server was started with, if any.
    pub config_file: Option<String>,
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
            maxmemory: 0,
            save: "3600 1 300 100 60 10000".into(),
            appendonly: false,
            dbfilename: "dump.rdb".into(),
            config_file: None,
        }
    }
}

impl Config {
    /// The embedded default used when the server starts with no config file: loopback
    /// only, protected mode on.
    pub fn embedded_default() -> Self {
        Config { bind: vec!["127.0.0.1".into(), "-::1".into()], ..Config::default() }
    }

    /// Applies one directive (`name` lower-cased, its arguments as written).
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        parse::apply(self, name, args)
    }
}
