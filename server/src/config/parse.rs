//! The redis.conf parser: one `directive args...` per line with Redis's quoting rules,
//! `include`, memory units, and Redis's fatal error report naming the line.

use super::{Config, Protection};
use crate::log::Level;

/// A config file problem, reported as Redis does before exiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub line_no: usize,
    pub line: String,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
            crate::REDIS_VERSION,
            self.line_no,
            self.line,
            self.message
        )
    }
}

/// Parses config text (file contents followed by command-line directives) into `cfg`.
pub fn load_text(cfg: &mut Config, text: &str, depth: usize) -> Result<(), ConfigError> {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |message: String| ConfigError { line_no: i + 1, line: line.to_string(), message };
        let Some(parts) = rhodium_protocol::decode::split_args(line.as_bytes()) else {
            return Err(err("Unbalanced quotes in configuration line".into()));
        };
        let parts: Vec<String> = parts.into_iter().map(|p| String::from_utf8_lossy(&p).into_owned()).collect();
        let Some((name, args)) = parts.split_first() else { continue };
        let name = name.to_ascii_lowercase();
        if name == "include" {
            if args.len() != 1 || depth > 16 {
                return Err(err("Bad directive or wrong number of arguments".into()));
            }
            let inc = std::fs::read_to_string(&args[0]).map_err(|e| err(format!("Can't open included config file '{}': {}", args[0], e)))?;
            load_text(cfg, &inc, depth + 1)?;
            continue;
        }
        cfg.apply(&name, args).map_err(err)?;
    }
    Ok(())
}

/// Parses a memory amount with Redis's units (`1k` = 1000, `1kb` = 1024, ... `gb`).
pub fn parse_memory(s: &str) -> Option<i64> {
    let l = s.to_ascii_lowercase();
    let units: [(&str, i64); 7] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)];
    for (suffix, mul) in units {
        if let Some(num) = l.strip_suffix(suffix) {
            return num.parse::<i64>().ok()?.checked_mul(mul);
        }
    }
    l.parse::<i64>().ok()
}

fn yes_no(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err("argument must be 'yes' or 'no'".into()),
    }
}

fn one<'a>(args: &'a [String]) -> Result<&'a str, String> {
    match args {
        [v] => Ok(v.as_str()),
        _ => Err("wrong number of arguments".into()),
    }
}

fn int<T: TryFrom<i64>>(args: &[String], min: i64, max: i64) -> Result<T, String> {
    let v = one(args)?;
    let n = parse_memory(v).ok_or_else(|| "argument couldn't be parsed into an integer".to_string())?;
    if n < min || n > max {
        return Err(format!("argument must be between {min} and {max} inclusive"));
    }
    T::try_from(n).map_err(|_| "argument out of range".to_string())
}

/// Applies one directive. Errors are Redis's per-directive messages.
pub fn apply(cfg: &mut Config, name: &str, args: &[String]) -> Result<(), String> {
    match name {
        "bind" => {
            if args.is_empty() {
                return Err("wrong number of arguments".into());
            }
            cfg.bind = args.to_vec();
        }
        "port" => cfg.port = int(args, 0, 65535)?,
        "unixsocket" => cfg.unixsocket = one(args)?.to_string(),
        "unixsocketperm" => {
            cfg.unixsocketperm = u32::from_str_radix(one(args)?, 8).map_err(|_| "Invalid socket file permissions".to_string())?;
        }
        "protected-mode" => cfg.protected_mode = yes_no(one(args)?)?,
        "requirepass" => {
            let v = one(args)?;
            cfg.requirepass = if v.is_empty() { None } else { Some(v.as_bytes().to_vec()) };
        }
        "databases" => cfg.databases = int(args, 1, i32::MAX as i64)?,
        "loglevel" => cfg.loglevel = Level::parse(one(args)?).ok_or_else(|| "argument(s) must be one of the following: debug, verbose, notice, warning, nothing".to_string())?,
        "logfile" => cfg.logfile = one(args)?.to_string(),
        "pidfile" => cfg.pidfile = one(args)?.to_string(),
        "dir" => cfg.dir = one(args)?.to_string(),
        "daemonize" => cfg.daemonize = yes_no(one(args)?)?,
        "timeout" => cfg.timeout = int(args, 0, i32::MAX as i64)?,
        "tcp-keepalive" => cfg.tcp_keepalive = int(args, 0, i32::MAX as i64)?,
        "tcp-backlog" => cfg.tcp_backlog = int(args, 0, i32::MAX as i64)?,
        "maxclients" => cfg.maxclients = int(args, 1, u32::MAX as i64)?,
        "hz" => cfg.hz = int::<u32>(args, 0, i32::MAX as i64)?.clamp(1, 500),
        "dynamic-hz" => cfg.dynamic_hz = yes_no(one(args)?)?,
        "proto-max-bulk-len" => cfg.proto_max_bulk_len = int(args, 1024 * 1024, i64::MAX)?,
        "client-query-buffer-limit" => cfg.client_query_buffer_limit = int(args, 1024 * 1024, i64::MAX)?,
        "enable-debug-command" => {
            cfg.enable_debug_command = match one(args)?.to_ascii_lowercase().as_str() {
                "no" => Protection::No,
                "yes" => Protection::Yes,
                "local" => Protection::Local,
                _ => return Err("argument(s) must be one of the following: no, yes, local".into()),
            }
        }
        "always-show-logo" => cfg.always_show_logo = yes_no(one(args)?)?,
        "active-expire-effort" => cfg.active_expire_effort = int(args, 1, 10)?,
        "maxmemory" => cfg.maxmemory = int(args, 0, i64::MAX)?,
        "save" => cfg.save = args.join(" "),
        "appendonly" => cfg.appendonly = yes_no(one(args)?)?,
        "dbfilename" => cfg.dbfilename = one(args)?.to_string(),
        _ => return Err("Bad directive or wrong number of arguments".into()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("5"), Some(5));
        assert_eq!(parse_memory("x"), None);
    }

    #[test]
    fn file_errors_name_the_line() {
        let mut c = Config::default();
        let e = load_text(&mut c, "port 7000\n\nfoo bar\n", 0).unwrap_err();
        assert_eq!(e.line_no, 3);
        assert_eq!(e.line, "foo bar");
        load_text(&mut c, "port 7001\nbind 127.0.0.1 \"::1\"\n", 0).unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
    }
}
