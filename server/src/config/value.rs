//! Validation of directive values: turns the arguments of a config line (or a CONFIG SET
//! value) into the canonical string CONFIG GET prints, with Redis's per-directive error
//! texts.

use super::registry::{Directive, Kind, Unit};

/// Parses a memory amount with Redis's units (`1k` = 1000, `1kb` = 1024, ... `gb`,
/// case-insensitive), like `memtoll`: digits (optionally after `-`), then a unit.
pub fn parse_memory(s: &str) -> Option<i64> {
    let (neg, digits_and_unit) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let split = digits_and_unit.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits_and_unit.len());
    let (digits, unit) = digits_and_unit.split_at(split);
    let mul = i64::from(unit_multiplier(unit)?);
    // Redis's strtoll of an empty digit string yields 0 (`maxmemory kb` is 0).
    let n: i64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let v = n.checked_mul(mul)?;
    Some(if neg { -v } else { v })
}

/// The factor of a memory unit as Redis reads them: `k`=1000, `kb`=1024, ... `gb`; case
/// insensitive; no unit means bytes.
fn unit_multiplier(unit: &str) -> Option<u32> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    })
}

/// Unsigned variant (`memtoull`): no sign allowed.
fn parse_memory_unsigned(s: &str) -> Option<i128> {
    if s.starts_with('-') {
        return None;
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let mul = u128::from(unit_multiplier(unit)?);
    let n: u64 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    let v = u128::from(n).checked_mul(mul)?;
    if v > u128::from(u64::MAX) {
        return None;
    }
    i128::try_from(v).ok()
}

/// Redis's `string2ll`: an optional `-`, digits, no spaces, no leading `+`.
fn parse_ll(s: &str) -> Option<i64> {
    let body = s.strip_prefix('-').unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) || (body.len() > 1 && body.starts_with('0')) {
        return None;
    }
    s.parse().ok()
}

fn one(args: &[String]) -> Result<&str, String> {
    match args {
        [v] => Ok(v.as_str()),
        _ => Err("wrong number of arguments".into()),
    }
}

/// Validates `args` for `d` and returns the canonical value. `current` is the value
/// before this line (for directives that update part of it); `append_save` makes `save`
/// add to the points already read from the same file, as Redis does while loading.
pub fn normalize(d: &Directive, args: &[String], current: &str, append_save: bool) -> Result<String, String> {
    match d.kind {
        Kind::Bool => match one(args)?.to_ascii_lowercase().as_str() {
            "yes" => Ok("yes".into()),
            "no" => Ok("no".into()),
            _ => Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Int { min, max, unit } => int(d, one(args)?, min, max, unit),
        Kind::Enum(values) => {
            let v = one(args)?;
            values.iter().find(|x| x.eq_ignore_ascii_case(v)).map(|x| x.to_string()).ok_or_else(|| enum_error(values))
        }
        Kind::Flags(values) => {
            if args.is_empty() {
                return Err("wrong number of arguments".into());
            }
            let mut set = vec![false; values.len()];
            for a in args {
                let pos = values.iter().position(|x| x.eq_ignore_ascii_case(a)).ok_or_else(|| enum_error(values))?;
                set[pos] = true;
            }
            // The first value is the zero flag: it only shows when nothing else is set.
            let words: Vec<&str> = values.iter().zip(&set).skip(1).filter(|(_, s)| **s).map(|(v, _)| *v).collect();
            Ok(if words.is_empty() { values[0].to_string() } else { words.join(" ") })
        }
        Kind::Str { .. } => {
            let v = one(args)?;
            check_string(d.name, v)?;
            Ok(v.to_string())
        }
        Kind::Special => special(d.name, args, current, append_save),
    }
}

fn enum_error(values: &[&str]) -> String {
    format!("argument(s) must be one of the following: {}", values.join(", "))
}

fn int(d: &Directive, v: &str, min: i128, max: i128, unit: Unit) -> Result<String, String> {
    let n: i128 = match unit {
        Unit::Plain => i128::from(parse_ll(v).ok_or("argument couldn't be parsed into an integer")?),
        Unit::Memory => i128::from(parse_memory(v).ok_or("argument must be a memory value")?),
        Unit::MemoryUnsigned => parse_memory_unsigned(v).ok_or("argument must be a memory value")?,
        Unit::Percent => match v.strip_suffix('%') {
            Some(p) => {
                let p = parse_ll(p).ok_or("argument must be a memory or percent value")?;
                if p < 0 {
                    return Err("argument must be a memory or percent value".into());
                }
                -i128::from(p)
            }
            None => parse_memory_unsigned(v).ok_or("argument must be a memory or percent value")?,
        },
        Unit::Octal => {
            if v.is_empty() || !v.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
                return Err("argument couldn't be parsed as an octal number".into());
            }
            i128::from_str_radix(v, 8).map_err(|_| "argument couldn't be parsed as an octal number")?
        }
    };
    if unit == Unit::Percent && n < min {
        return Err("percentage argument must be less or equal to 100".into());
    }
    if n < min || n > max {
        return Err(match unit {
            Unit::Octal => format!("argument must be between {min:o} and {max:o} inclusive"),
            _ => format!("argument must be between {min} and {max} inclusive"),
        });
    }
    // Redis stores `hz` clamped to what the server can run at.
    let n = if d.name == "hz" { n.clamp(1, 500) } else { n };
    Ok(match unit {
        Unit::Octal => format!("{n:o}"),
        Unit::Percent if n < 0 => format!("{}%", -n),
        _ => n.to_string(),
    })
}

fn check_string(name: &str, v: &str) -> Result<(), String> {
    match name {
        "dbfilename" | "appendfilename" if v.contains('/') => Err(format!("{name} can't be a path, just a filename")),
        "appenddirname" if v.contains('/') => Err("appenddirname can't be a path, just a dirname".into()),
        "proc-title-template" if !valid_title_template(v) => Err("template format is invalid or contains unknown variables".into()),
        _ => Ok(()),
    }
}

/// Redis's `validateProcTitleTemplate`: non-empty, `{title}` present, only known variables.
fn valid_title_template(t: &str) -> bool {
    const VARS: &[&str] = &["{title}", "{listen-addr}", "{server-mode}", "{port}", "{tls-port}", "{unixsocket}", "{config-file}"];
    if t.is_empty() || !t.contains("{title}") {
        return false;
    }
    let mut rest = t;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return false;
        }
        let tail = &rest[open..];
        let Some(close) = tail.find('}') else { return false };
        if !VARS.contains(&&tail[..=close]) {
            return false;
        }
        rest = &tail[close + 1..];
    }
    true
}

/// Redis's `string2d` for the percentiles: a plain decimal number.
fn parse_double(s: &str) -> Option<f64> {
    if s.is_empty() || s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// `%f` then trailing zeros (and a trailing dot) removed, like Redis's `trimDoubleString`.
fn trim_double(v: f64) -> String {
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_string()
}

/// The classes of `client-output-buffer-limit`, in Redis's order and naming.
pub const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

fn special(name: &str, args: &[String], current: &str, append_save: bool) -> Result<String, String> {
    let single_empty = args.len() == 1 && args[0].is_empty();
    match name {
        "save" => {
            if args.len() % 2 == 1 && !single_empty {
                return Err("Invalid save parameters".into());
            }
            let mut points: Vec<String> = if append_save && !current.is_empty() { current.split(' ').map(str::to_string).collect() } else { Vec::new() };
            if !single_empty {
                for pair in args.chunks(2) {
                    let secs = pair[0].parse::<i64>().map_err(|_| "Invalid save parameters")?;
                    let changes = pair[1].parse::<i32>().map_err(|_| "Invalid save parameters")?;
                    if secs < 1 || changes < 0 {
                        return Err("Invalid save parameters".into());
                    }
                    points.push(secs.to_string());
                    points.push(changes.to_string());
                }
            }
            Ok(points.join(" "))
        }
        "bind" => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            Ok(if single_empty { String::new() } else { args.join(" ") })
        }
        "dir" => {
            let v = one(args)?;
            match std::fs::metadata(v) {
                Ok(m) if m.is_dir() => Ok(std::fs::canonicalize(v).map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|_| v.to_string())),
                Ok(_) => Err("Not a directory".into()),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Err("Permission denied".into()),
                Err(_) => Err("No such file or directory".into()),
            }
        }
        "client-output-buffer-limit" => {
            if args.is_empty() || !args.len().is_multiple_of(4) {
                return Err("Wrong number of arguments in buffer limit configuration.".into());
            }
            let mut parts: Vec<String> = current.split(' ').map(str::to_string).collect();
            if parts.len() != 12 {
                parts = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60".split(' ').map(str::to_string).collect();
            }
            for group in args.chunks(4) {
                let class = match group[0].to_ascii_lowercase().as_str() {
                    "normal" => 0,
                    "slave" | "replica" => 1,
                    "pubsub" => 2,
                    _ => return Err("Invalid client class specified in buffer limit configuration.".into()),
                };
                let bad = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
                let hard = parse_memory_unsigned(&group[1]).ok_or(bad)?;
                let soft = parse_memory_unsigned(&group[2]).ok_or(bad)?;
                let secs = parse_ll(&group[3]).filter(|s| *s >= 0).ok_or(bad)?;
                parts[class * 4 + 1] = hard.to_string();
                parts[class * 4 + 2] = soft.to_string();
                parts[class * 4 + 3] = secs.to_string();
            }
            Ok(parts.join(" "))
        }
        "oom-score-adj-values" => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut out = Vec::new();
            for a in args {
                let v = parse_ll(a).filter(|v| (-2000..=2000).contains(v)).ok_or("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")?;
                out.push(v.to_string());
            }
            Ok(out.join(" "))
        }
        "notify-keyspace-events" => notify_flags(one(args)?),
        "replicaof" => {
            if args.len() != 2 {
                return Err("wrong number of arguments".into());
            }
            if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
                return Ok(String::new());
            }
            let port: i64 = args[1].parse().map_err(|_| "Invalid master port")?;
            if !(0..=65535).contains(&port) {
                return Err("Invalid master port".into());
            }
            Ok(format!("{} {}", args[0], port))
        }
        "latency-tracking-info-percentiles" => {
            if single_empty {
                return Ok(String::new());
            }
            let mut out = Vec::new();
            for a in args {
                let v = parse_double(a).ok_or("Invalid latency-tracking-info-percentiles parameters")?;
                if !(0.0..=100.0).contains(&v) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                out.push(trim_double(v));
            }
            Ok(out.join(" "))
        }
        _ => Err("Bad directive or wrong number of arguments".into()),
    }
}

/// Parses `notify-keyspace-events` classes into the stored form: Redis's printed order
/// (`keyspaceEventsFlagsToString`), plus a trailing `n` when `A` hides it, so the flag
/// survives (CONFIG GET prints it without, as Redis does).
fn notify_flags(v: &str) -> Result<String, String> {
    let f = crate::notify::string_to_flags(v).ok_or("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")?;
    Ok(crate::notify::flags_to_storage(f))
}

/// Formats bytes for a rewritten file with the largest exact unit (`1gb`, `64mb`).
pub fn format_memory(n: i128) -> String {
    const GB: i128 = 1 << 30;
    const MB: i128 = 1 << 20;
    const KB: i128 = 1 << 10;
    if n != 0 && n % GB == 0 {
        format!("{}gb", n / GB)
    } else if n != 0 && n % MB == 0 {
        format!("{}mb", n / MB)
    } else if n != 0 && n % KB == 0 {
        format!("{}kb", n / KB)
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::registry::lookup;

    fn norm(name: &str, args: &[&str]) -> Result<String, String> {
        let d = lookup(name).ok_or("no such directive")?;
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        normalize(d, &args, d.default, false)
    }

    #[test]
    fn memory_units() {
        assert_eq!(parse_memory("1gb"), Some(1 << 30));
        assert_eq!(parse_memory("1GB"), Some(1 << 30));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("5"), Some(5));
        assert_eq!(parse_memory("x"), None);
        assert_eq!(parse_memory("1.5gb"), None);
    }

    #[test]
    fn values_and_errors() {
        assert_eq!(norm("maxmemory", &["1kb"]).as_deref(), Ok("1024"));
        assert_eq!(norm("maxmemory", &["-1"]).unwrap_err(), "argument must be a memory value");
        assert_eq!(norm("maxmemory-clients", &["10%"]).as_deref(), Ok("10%"));
        assert_eq!(norm("maxmemory-clients", &["200%"]).unwrap_err(), "percentage argument must be less or equal to 100");
        assert_eq!(norm("hz", &["1000"]).as_deref(), Ok("500"));
        assert_eq!(norm("port", &["70000"]).unwrap_err(), "argument must be between 0 and 65535 inclusive");
        assert_eq!(norm("unixsocketperm", &["1000"]).unwrap_err(), "argument must be between 0 and 777 inclusive");
        assert_eq!(norm("unixsocketperm", &["700"]).as_deref(), Ok("700"));
        assert_eq!(norm("notify-keyspace-events", &["KEA"]).as_deref(), Ok("AKE"));
        assert_eq!(norm("notify-keyspace-events", &["Kx"]).as_deref(), Ok("xK"));
        assert_eq!(norm("shutdown-on-sigint", &["now", "save"]).as_deref(), Ok("save now"));
        assert_eq!(norm("latency-tracking-info-percentiles", &["1", "2.50", "99.9000"]).as_deref(), Ok("1 2.5 99.9"));
        assert_eq!(norm("client-output-buffer-limit", &["normal", "1mb", "2k", "3"]).as_deref(), Ok("normal 1048576 2000 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"));
        assert_eq!(norm("save", &[""]).as_deref(), Ok(""));
        assert_eq!(norm("save", &["1"]).unwrap_err(), "Invalid save parameters");
        assert_eq!(norm("proc-title-template", &["{title} {port}"]).as_deref(), Ok("{title} {port}"));
        assert!(norm("proc-title-template", &["{foo}"]).is_err());
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(1000), "1000");
    }
}
