//! `rhodium-server [/path/to/redis.conf] [--directive value ...]`, started like redis-server.

use std::io::Read;

use rhodium_server::config::{parse_memory, Config};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn usage() {
    eprintln!(
        "Usage: ./rhodium-server [/path/to/redis.conf] [options] [-]\n       ./rhodium-server - (read config from stdin)\n       ./rhodium-server -v or --version\n       ./rhodium-server -h or --help\n\nExamples:\n       ./rhodium-server (run the server with default conf)\n       ./rhodium-server /etc/redis/6379.conf\n       ./rhodium-server --port 7777\n       ./rhodium-server /etc/myredis.conf --loglevel verbose -\n       ./rhodium-server /etc/myredis.conf --loglevel verbose\n"
    );
}

/// Turns `--name a b --other c` into config lines, quoting each argument as Redis does.
fn options_to_text(opts: &[String]) -> String {
    let mut text = String::new();
    for o in opts {
        if let Some(name) = o.strip_prefix("--") {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(name);
        } else {
            text.push(' ');
            text.push('"');
            for c in o.chars() {
                match c {
                    '"' => text.push_str("\\\""),
                    '\\' => text.push_str("\\\\"),
                    '\n' => text.push_str("\\n"),
                    '\r' => text.push_str("\\r"),
                    c => text.push(c),
                }
            }
            text.push('"');
        }
    }
    text.push('\n');
    text
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(first) = args.first() {
        match first.as_str() {
            "-v" | "--version" => {
                println!("Rhodium server v={} redis_version={} sha=00000000:0 malloc=jemalloc bits=64 build=rhodium", rhodium_server::RHODIUM_VERSION, rhodium_server::REDIS_VERSION);
                return;
            }
            "-h" | "--help" => {
                usage();
                return;
            }
            _ => {}
        }
    }
    let _ = parse_memory;
    let mut text = String::new();
    let mut rest = &args[..];
    let mut config_file = None;
    if let Some(first) = rest.first() {
        if !first.starts_with("--") && first != "-" {
            match std::fs::read_to_string(first) {
                Ok(t) => text.push_str(&t),
                Err(e) => {
                    eprintln!("Fatal error, can't open config file '{first}': {e}");
                    std::process::exit(1);
                }
            }
            config_file = Some(first.clone());
            rest = &rest[1..];
        }
    }
    let mut stdin_conf = false;
    let opts: Vec<String> = rest
        .iter()
        .filter(|a| {
            if a.as_str() == "-" {
                stdin_conf = true;
                false
            } else {
                true
            }
        })
        .cloned()
        .collect();
    if stdin_conf {
        let mut s = String::new();
        let _ = std::io::stdin().read_to_string(&mut s);
        text.push('\n');
        text.push_str(&s);
    }
    text.push('\n');
    text.push_str(&options_to_text(&opts));
    let given = config_file.is_some() || stdin_conf || !opts.is_empty();
    let mut config = if config_file.is_some() || stdin_conf { Config::default() } else { Config::embedded_default() };
    config.config_file = config_file.map(|p| std::fs::canonicalize(&p).map(|c| c.to_string_lossy().into_owned()).unwrap_or(p));
    if let Err(e) = rhodium_server::config::load_text(&mut config, &text) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    match rhodium_server::run::run(config, given) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("rhodium-server: {e:#}");
            std::process::exit(1);
        }
    }
}
