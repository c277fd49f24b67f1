//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP, served from the directive registry
//! (Redis's `config.c` command side).

use std::sync::atomic::Ordering;

use parking_lot::Mutex;
use rhodium_protocol::{Args, ReplyWriter};

use super::spec::{flags as f, CommandSpec, Group};
use crate::config::registry::{self, flags as cf, Directive, DIRECTIVES};
use crate::config::{glob_match, value};
use crate::dispatch::ExecCtx;
use crate::error::{CmdResult, CommandError};
use crate::state::Server;

pub fn specs() -> &'static [CommandSpec] {
    const S: CommandSpec = CommandSpec { group: Group::Server, flags: f::ADMIN | f::NOSCRIPT | f::LOADING | f::STALE, ..CommandSpec::DEFAULT };
    static SUBS: &[CommandSpec] = &[
        CommandSpec { name: "get", since: "2.0.0", arity: -3, handler: Some(get), ..S },
        CommandSpec { name: "set", since: "2.0.0", arity: -4, tips: &["request_policy:all_nodes", "response_policy:all_succeeded"], handler: Some(set), ..S },
        CommandSpec { name: "resetstat", since: "2.0.0", arity: 2, handler: Some(resetstat), ..S },
        CommandSpec { name: "rewrite", since: "2.8.0", arity: 2, handler: Some(rewrite), ..S },
        CommandSpec { name: "help", since: "5.0.0", arity: 2, flags: f::LOADING | f::STALE, handler: Some(help), ..S },
    ];
    static SPECS: &[CommandSpec] = &[CommandSpec { name: "config", since: "2.0.0", arity: -2, flags: 0, subcommands: SUBS, ..S }];
    SPECS
}

fn get(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let cfg = ctx.server.config();
    // (name as replied, directive), deduplicated case-insensitively like Redis's reply dict.
    let mut matches: Vec<(String, &'static Directive)> = Vec::new();
    let has = |m: &Vec<(String, &Directive)>, n: &str| m.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    for pattern in &args.argv()[2..] {
        let pat = String::from_utf8_lossy(pattern);
        if !pat.contains(['[', '*', '?']) {
            if !has(&matches, &pat) {
                if let Some(d) = registry::lookup(&pat) {
                    matches.push((pat.into_owned(), d));
                }
            }
            continue;
        }
        for d in DIRECTIVES.iter().filter(|d| !d.has(cf::HIDDEN)) {
            for name in std::iter::once(d.name).chain(d.alias) {
                if !has(&matches, name) && glob_match(pattern, name.as_bytes(), true) {
                    matches.push((name.to_string(), d));
                }
            }
        }
    }
    out.map(matches.len());
    for (name, d) in matches {
        out.bulk(name.as_bytes());
        out.bulk(cfg.get(d).as_bytes());
    }
    Ok(())
}

/// Serialises CONFIG SET so two concurrent ones cannot lose each other's changes.
static SET_LOCK: Mutex<()> = Mutex::new(());

fn set(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let argv = &args.argv()[2..];
    if argv.len() % 2 == 1 {
        return Err(CommandError::Arg(rhodium_protocol::ArgError::Syntax));
    }
    let failed = |arg: &str, why: &str| CommandError::err(format!("CONFIG SET failed (possibly related to argument '{arg}') - {why}"));
    let cfg_now = ctx.server.config();
    let protected_ok = match registry::lookup("enable-protected-configs").map(|d| cfg_now.get(d)).as_deref() {
        Some("yes") => true,
        Some("local") => ctx.client.handle.addr.is_loopback(),
        _ => false,
    };
    drop(cfg_now);
    // Check every name first: the first problem is reported, nothing is applied.
    let mut pairs: Vec<(&'static Directive, String, String)> = Vec::new();
    for pair in argv.chunks(2) {
        let name = String::from_utf8_lossy(&pair[0]).into_owned();
        let Some(d) = registry::lookup(&name) else {
            return Err(CommandError::err(format!("Unknown option or number of arguments for CONFIG SET - '{name}'")));
        };
        if d.has(cf::IMMUTABLE) {
            return Err(failed(&name, "can't set immutable config"));
        }
        if d.has(cf::PROTECTED) && !protected_ok {
            return Err(failed(&name, "can't set protected config"));
        }
        if pairs.iter().any(|(_, n, _)| n.eq_ignore_ascii_case(&name)) {
            return Err(failed(&name, "duplicate parameter"));
        }
        pairs.push((d, name, String::from_utf8_lossy(&pair[1]).into_owned()));
    }
    let _guard = SET_LOCK.lock();
    let mut new = (**ctx.server.config()).clone();
    for (d, name, v) in &pairs {
        let vals: Vec<String> = if !d.has(cf::MULTI_ARG) {
            vec![v.clone()]
        } else if v.is_empty() {
            Vec::new()
        } else {
            v.split(' ').map(str::to_string).collect()
        };
        let canonical = value::normalize(d, &vals, &new.get(d), false).map_err(|why| failed(name, &why))?;
        new.store(d, canonical);
    }
    let old_dir = ctx.server.config().dir.clone();
    if new.dir != old_dir {
        if let Err(e) = std::env::set_current_dir(&new.dir) {
            return Err(failed("dir", &e.to_string()));
        }
    }
    // Port or address changes move the listening sockets first; if the new ones cannot be
    // bound the old ones are restored and nothing is applied, as in Redis.
    {
        let old = ctx.server.config();
        if old.port != new.port || old.bind != new.bind {
            if let Some(server) = ctx.server.arc() {
                let arg = if old.port != new.port { "port" } else { "bind" };
                if let Err(e) = crate::net::listener::rebind_tcp(&server, &old, &new) {
                    crate::log_warning!("CONFIG SET {}: {}", arg, e);
                    let why = if arg == "port" { "Unable to listen on this port. Check server logs." } else { "Failed to bind to specified addresses." };
                    return Err(failed(arg, why));
                }
            }
        }
    }
    crate::log::set_level(new.loglevel);
    let aof_change = (ctx.server.config().appendonly != new.appendonly).then_some(new.appendonly);
    ctx.server.set_config(new);
    ctx.server.aof.apply_config(&ctx.server.config());
    if let Some(on) = aof_change {
        if crate::aof::set_enabled(ctx.server, on).is_err() {
            let mut back = (**ctx.server.config()).clone();
            back.appendonly = !on;
            ctx.server.set_config(back);
            return Err(failed("appendonly", "Unable to turn on AOF. Check server logs."));
        }
    }
    out.ok();
    Ok(())
}

/// Resets the counters INFO reports (CONFIG RESETSTAT): server stats, error stats and
/// every command's stats.
pub fn reset_stats(server: &Server) {
    let s = &server.stats;
    for c in [
        &s.total_connections_received,
        &s.total_commands_processed,
        &s.rejected_connections,
        &s.expired_keys,
        &s.keyspace_hits,
        &s.keyspace_misses,
        &s.total_error_replies,
        &s.net_input_bytes,
        &s.net_output_bytes,
        &s.unexpected_error_replies,
    ] {
        c.store(0, Ordering::Relaxed);
    }
    s.errors_by_code.lock().clear();
    for c in &server.table.stats {
        c.reset();
    }
}

fn resetstat(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    reset_stats(ctx.server);
    out.ok();
    Ok(())
}

fn rewrite(ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let cfg = ctx.server.config();
    let Some(path) = cfg.config_file.clone() else {
        return Err(CommandError::err("The server is running without a config file"));
    };
    let _guard = SET_LOCK.lock();
    match crate::config::rewrite::rewrite_file(&path, &cfg, false) {
        Ok(()) => {
            crate::log_notice!("CONFIG REWRITE executed with success.");
            out.ok();
            Ok(())
        }
        Err(e) => {
            crate::log_warning!("CONFIG REWRITE failed: {}", e);
            Err(CommandError::err(format!("Rewriting config file: {}", os_reason(&e))))
        }
    }
}

/// `strerror`-like text without Rust's " (os error N)" suffix.
fn os_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn help(_ctx: &mut ExecCtx, _args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    const LINES: &[&str] = &[
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    out.array(LINES.len());
    for l in LINES {
        out.simple(l);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::reset_stats;
    use crate::state::{Server, Stats};

    #[test]
    fn resetstat_clears_server_and_command_stats() {
        let server = Server::new(crate::config::Config::default());
        Stats::incr(&server.stats.total_commands_processed, 5);
        Stats::incr(&server.stats.keyspace_hits, 2);
        server.stats.errors_by_code.lock().insert("ERR".into(), 3);
        server.table.stats[0].calls.fetch_add(4, std::sync::atomic::Ordering::Relaxed);
        reset_stats(&server);
        assert_eq!(server.stats.total_commands_processed.load(std::sync::atomic::Ordering::Relaxed), 0);
        assert_eq!(server.stats.keyspace_hits.load(std::sync::atomic::Ordering::Relaxed), 0);
        assert!(server.stats.errors_by_code.lock().is_empty());
        assert_eq!(server.table.stats[0].calls.load(std::sync::atomic::Ordering::Relaxed), 0);
    }
}
