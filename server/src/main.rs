//! `rhodium-server [/path/to/redis.conf] [--directive value ...]`, started like redis-server.

use std::io::Read;

use rhodium_server::config::{load_text, read_file, rewrite, Config, ConfigError};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn usage() {
    eprintln!(
        "Usage: ./rhodium-server [/path/to/redis.conf] [options] [-]\n       ./rhodium-server - (read config from stdin)\n       ./rhodium-server -v or --version\n       ./rhodium-server -h or --help\n\nExamples:\n       ./rhodium-server (run the server with default conf)\n       ./rhodium-server /etc/redis/6379.conf\n       ./rhodium-server --port 7777\n       ./rhodium-server /etc/myredis.conf --loglevel verbose -\n       ./rhodium-server /etc/myredis.conf --loglevel verbose\n"
    );
}

/// Turns the command-line options into config lines as Redis's `main` does: `--name`
/// starts a line, other arguments are appended quoted (`sdscatrepr`). An argument
/// starting with `--` right after an option name that still lacks a value is that value;
/// a bare `--save` gets an empty value.
fn options_to_text(opts: &[String]) -> String {
    let mut text = String::new();
    let mut handled_last = true;
    for (j, o) in opts.iter().enumerate() {
        let next_is_option = opts.get(j + 1).is_some_and(|n| n.starts_with("--"));
        match o.strip_prefix("--") {
            Some(name) if handled_last => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(name);
                text.push(' ');
                let words = rhodium_protocol::decode::split_args(o.as_bytes()).map(|a| a.len()).unwrap_or(0);
                if words == 1 {
                    handled_last = false;
                    let last = j + 1 == opts.len();
                    if name.eq_ignore_ascii_case("save") && (next_is_option || last) {
                        text.push_str("\"\"");
                        handled_last = next_is_option;
                    }
                } else {
                    handled_last = true;
                }
            }
            _ => {
                text.push_str(&rewrite::repr(o.as_bytes()));
                text.push(' ');
                handled_last = true;
            }
        }
    }
    text
}

/// Exits as Redis does when the config cannot be read or is wrong.
fn config_failure(e: &ConfigError) -> ! {
    match e {
        ConfigError::Open { .. } => rhodium_server::log::log(rhodium_server::log::Level::Warning, &e.to_string()),
        ConfigError::Line { .. } => eprintln!("{e}"),
    }
    std::process::exit(1);
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
    let mut text = String::new();
    let mut rest = &args[..];
    let mut config_file = None;
    if let Some(first) = rest.first() {
        if !first.starts_with('-') {
            match read_file(first) {
                Ok(t) => text.push_str(&t),
                Err(e) => config_failure(&e),
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
        text.push_str(&s);
    }
    if !opts.is_empty() {
        text.push('\n');
        text.push_str(&options_to_text(&opts));
    }
    let given = config_file.is_some() || stdin_conf || !opts.is_empty();
    let mut config = if config_file.is_some() || stdin_conf { Config::default() } else { Config::embedded_default() };
    config.config_file = config_file.map(|p| std::fs::canonicalize(&p).map(|c| c.to_string_lossy().into_owned()).unwrap_or(p));
    if let Err(e) = load_text(&mut config, &text) {
        config_failure(&e);
    }
    for name in config.unimplemented_in_use() {
        rhodium_server::log_warning!("Directive '{}' is accepted but not implemented by Rhodium yet; its value is ignored", name);
    }
    match rhodium_server::run::run(config, given) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("rhodium-server: {e:#}");
            std::process::exit(1);
        }
    }
}
