//! The redis.conf parser: one `directive args...` per line with Redis's quoting rules,
//! `include`, memory units, and Redis's fatal error report naming the line.

use super::{registry, value, Config};

/// A config file problem, reported as Redis does before exiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// A bad line: printed as Redis's FATAL CONFIG FILE ERROR block on stderr.
    Line { line_no: usize, line: String, message: String },
    /// A file (the main one or an `include`) could not be read: Redis logs this as a
    /// warning line and exits.
    Open { path: String, reason: String },
}

impl ConfigError {
    /// The per-directive message (for a bad line) or the open failure text.
    pub fn message(&self) -> String {
        match self {
            ConfigError::Line { message, .. } => message.clone(),
            ConfigError::Open { .. } => self.to_string(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Line { line_no, line, message } => write!(
                f,
                "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\nReading the configuration file, at line {}\n>>> '{}'\n{}",
                crate::REDIS_VERSION,
                line_no,
                line,
                message
            ),
            ConfigError::Open { path, reason } => write!(f, "Fatal error, can't open config file '{path}': {reason}"),
        }
    }
}

/// Reads a config file, with Redis's error when it cannot.
pub fn read_file(path: &str) -> Result<String, ConfigError> {
    std::fs::read(path).map(|b| String::from_utf8_lossy(&b).into_owned()).map_err(|e| ConfigError::Open { path: path.to_string(), reason: io_reason(&e) })
}

/// State kept across the whole load (files, includes and command-line options).
#[derive(Default)]
struct Loader {
    /// The first `save` line replaces the defaults, later ones add points (Redis's
    /// `save_loaded`).
    save_loaded: bool,
}

/// Parses config text (file contents followed by command-line directives) into `cfg`.
pub fn load_text(cfg: &mut Config, text: &str) -> Result<(), ConfigError> {
    Loader::default().load(cfg, text, 0)
}

/// How deep `include` may nest before we assume a loop.
const MAX_INCLUDE_DEPTH: usize = 16;

impl Loader {
    fn load(&mut self, cfg: &mut Config, text: &str, depth: usize) -> Result<(), ConfigError> {
        // Redis splits on '\n' and trims " \t\r\n" from each line.
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |message: String| ConfigError::Line { line_no: i + 1, line: line.to_string(), message };
            let Some(parts) = rhodium_protocol::decode::split_args(line.as_bytes()) else {
                return Err(err("Unbalanced quotes in configuration line".into()));
            };
            let parts: Vec<String> = parts.into_iter().map(|p| String::from_utf8_lossy(&p).into_owned()).collect();
            let Some((name, args)) = parts.split_first() else { continue };
            let name = name.to_ascii_lowercase();
            if name == "include" {
                if args.len() != 1 || depth >= MAX_INCLUDE_DEPTH {
                    return Err(err("Bad directive or wrong number of arguments".into()));
                }
                for path in include_paths(&args[0]) {
                    let inc = read_file(&path)?;
                    self.load(cfg, &inc, depth + 1)?;
                }
                continue;
            }
            self.directive(cfg, &name, args).map_err(err)?;
        }
        Ok(())
    }

    fn directive(&mut self, cfg: &mut Config, name: &str, args: &[String]) -> Result<(), String> {
        match name {
            // Rhodium has only the default user: its password rules map onto
            // requirepass so a file that protects the server that way stays protected.
            "user" if args.first().is_some_and(|u| u == "default") => {
                for rule in &args[1..] {
                    if let Some(pass) = rule.strip_prefix('>') {
                        cfg.requirepass = Some(pass.as_bytes().to_vec());
                    } else if rule.eq_ignore_ascii_case("nopass") || rule.eq_ignore_ascii_case("resetpass") {
                        cfg.requirepass = None;
                    }
                }
                if args.len() > 1 && !args[1..].iter().all(|r| r.starts_with('>') || r.starts_with('~') || r.starts_with('&') || r.starts_with('+') || matches!(r.to_ascii_lowercase().as_str(), "on" | "nopass" | "resetpass" | "allkeys" | "allchannels" | "allcommands" | "reset" | "resetkeys" | "resetchannels")) {
                    crate::log_warning!("ACL rules of the default user other than passwords are not supported by Rhodium yet; ignored");
                }
                return Ok(());
            }
            // File-only directives Rhodium has no machinery for yet: accepted so that
            // existing files load, with a warning.
            "rename-command" | "user" | "loadmodule" => {
                let enough = match name {
                    "rename-command" => args.len() == 2,
                    _ => !args.is_empty(),
                };
                if !enough {
                    return Err("Bad directive or wrong number of arguments".into());
                }
                crate::log_warning!("The '{}' directive is not supported by Rhodium yet; ignored", name);
                return Ok(());
            }
            "sentinel" => return Err("sentinel directive while not in sentinel mode".into()),
            _ => {}
        }
        let d = registry::lookup(name).ok_or("Bad directive or wrong number of arguments")?;
        if !d.has(registry::flags::MULTI_ARG) && args.len() != 1 {
            return Err("wrong number of arguments".into());
        }
        let append = d.name == "save" && self.save_loaded;
        let v = value::normalize(d, args, &cfg.get(d), append)?;
        if d.name == "save" {
            self.save_loaded = true;
        }
        cfg.store(d, v);
        Ok(())
    }
}

/// The files an `include` names: the path itself, or, when its file name holds glob
/// characters, the matching files of that directory in sorted order (Redis uses glob(3);
/// no match includes nothing).
fn include_paths(pattern: &str) -> Vec<String> {
    let path = std::path::Path::new(pattern);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if !name.contains(['*', '?', '[']) {
        return vec![pattern.to_string()];
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            !n.starts_with('.') && super::glob_match(name.as_bytes(), n.as_bytes(), false)
        })
        .map(|e| dir.join(e.file_name()).to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// The text `strerror` gives for common open failures.
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_errors_name_the_line() {
        let mut c = Config::default();
        let e = load_text(&mut c, "port 7000\n\nfoo bar\n").unwrap_err();
        assert_eq!(e, ConfigError::Line { line_no: 3, line: "foo bar".into(), message: "Bad directive or wrong number of arguments".into() });
        load_text(&mut c, "port 7001\nbind 127.0.0.1 \"::1\"\n").unwrap();
        assert_eq!(c.port, 7001);
        assert_eq!(c.bind, vec!["127.0.0.1", "::1"]);
    }

    #[test]
    fn aliases_units_and_save_accumulation() {
        let mut c = Config::default();
        load_text(&mut c, "SLAVE-READ-ONLY no\nhash-max-ziplist-entries 7\nmaxmemory 2mb\nsave 900 1\nsave 300 10\nslaveof 10.0.0.1 6380\n").unwrap();
        let get = |c: &Config, n: &str| c.get(registry::lookup(n).unwrap());
        assert_eq!(get(&c, "replica-read-only"), "no");
        assert_eq!(get(&c, "hash-max-listpack-entries"), "7");
        assert_eq!(c.maxmemory, 2 << 20);
        assert_eq!(c.save, "900 1 300 10");
        assert_eq!(get(&c, "replicaof"), "10.0.0.1 6380");
        load_text(&mut c, "save \"\"\n").unwrap();
        assert_eq!(c.save, "");
        let e = load_text(&mut c, "port 1 2\n").unwrap_err();
        assert_eq!(e.message(), "wrong number of arguments");
        load_text(&mut c, "user default on >s3cret ~* &* +@all\n").unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"s3cret"[..]));
        load_text(&mut c, "user default on nopass ~* &* +@all\n").unwrap();
        assert_eq!(c.requirepass, None);
        let dir = std::env::temp_dir().join(format!("rhodium-include-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.conf"), "hz 11\n").unwrap();
        std::fs::write(dir.join("b.conf"), "hz 12\ntimeout 3\n").unwrap();
        load_text(&mut c, &format!("include {}/*.conf\ninclude {}/none*.conf\n", dir.display(), dir.display())).unwrap();
        assert_eq!((c.hz, c.timeout), (12, 3));
        let _ = std::fs::remove_dir_all(&dir);
        let e = load_text(&mut c, "loglevel x\n").unwrap_err();
        assert_eq!(e.message(), "argument(s) must be one of the following: debug, verbose, notice, warning");
    }
}
