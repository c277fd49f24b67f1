//! INFO: Redis 7.0's sections, with the same field names in the same order. Values are
//! Rhodium's own; features Rhodium does not have (forks, modules, cluster, Lua memory
//! accounting ...) report the honest idle values a fresh redis-server reports.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use rhodium_protocol::{Args, ReplyWriter};

use crate::dispatch::ExecCtx;
use crate::error::CmdResult;
use crate::state::Server;

/// Section names in the order INFO prints them; `true` if part of `INFO` / `default`.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// Which sections the arguments select (Redis's `genInfoSectionDict`): none or `default`
/// → the default ones, `all` → every section, `everything` → all plus module sections;
/// any other word names a section (unknown names select nothing).
pub fn selected(args: &[bytes::Bytes]) -> Vec<&'static str> {
    let mut want = vec![false; SECTIONS.len()];
    if args.is_empty() {
        for (w, (_, d)) in want.iter_mut().zip(SECTIONS) {
            *w = *d;
        }
    }
    for a in args {
        let a = a.to_ascii_lowercase();
        match a.as_slice() {
            b"default" => SECTIONS.iter().zip(want.iter_mut()).for_each(|((_, d), w)| *w |= *d),
            b"all" | b"everything" => want.iter_mut().for_each(|w| *w = true),
            name => {
                if let Some(i) = SECTIONS.iter().position(|(n, _)| n.as_bytes() == name) {
                    want[i] = true;
                }
            }
        }
    }
    SECTIONS.iter().zip(want).filter(|(_, w)| *w).map(|((n, _), _)| *n).collect()
}

/// INFO [section ...]
pub fn info(ctx: &mut ExecCtx, args: &mut Args, out: &mut ReplyWriter) -> CmdResult {
    let sections = selected(&args.argv()[1..]);
    let text = render(ctx.server, &sections);
    out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// The INFO text for the given sections.
pub fn render(s: &Server, sections: &[&str]) -> String {
    let mut text = String::new();
    for (i, name) in sections.iter().enumerate() {
        if i > 0 {
            text.push_str("\r\n");
        }
        let mut f = Fields(&mut text);
        match *name {
            "server" => server(s, &mut f),
            "clients" => clients(s, &mut f),
            "memory" => memory(s, &mut f),
            "persistence" => persistence(s, &mut f),
            "stats" => stats(s, &mut f),
            "replication" => replication(s, &mut f),
            "cpu" => cpu(&mut f),
            "modules" => f.header("Modules"),
            "commandstats" => commandstats(s, &mut f),
            "errorstats" => errorstats(s, &mut f),
            "latencystats" => f.header("Latencystats"),
            "cluster" => {
                f.header("Cluster");
                f.kv("cluster_enabled", 0);
            }
            "keyspace" => keyspace(s, &mut f),
            _ => {}
        }
    }
    text
}

/// Appends `name:value\r\n` lines.
struct Fields<'a>(&'a mut String);

impl Fields<'_> {
    fn header(&mut self, title: &str) {
        let _ = write!(self.0, "# {title}\r\n");
    }

    fn kv(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}:{value}\r\n");
    }
}

/// Redis's `bytesToHuman`.
fn human(n: u64) -> String {
    let d = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if n < 1024 * 1024 {
        format!("{:.2}K", d / 1024.0)
    } else if n < 1024 * 1024 * 1024 {
        format!("{:.2}M", d / (1024.0 * 1024.0))
    } else if n < 1024u64.pow(4) {
        format!("{:.2}G", d / 1024f64.powi(3))
    } else if n < 1024u64.pow(5) {
        format!("{:.2}T", d / 1024f64.powi(4))
    } else {
        format!("{:.2}P", d / 1024f64.powi(5))
    }
}

fn os_name() -> String {
    // SAFETY: uname fills the zeroed struct; the fields are NUL-terminated C strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "Linux".into();
        }
        let f = |p: &[libc::c_char]| std::ffi::CStr::from_ptr(p.as_ptr()).to_string_lossy().into_owned();
        format!("{} {} {}", f(&u.sysname), f(&u.release), f(&u.machine))
    }
}

fn server(s: &Server, f: &mut Fields) {
    let cfg = s.config();
    let now_us = rhodium_storage::clock::now_us();
    f.header("Server");
    f.kv("redis_version", crate::REDIS_VERSION);
    f.kv("redis_git_sha1", "00000000");
    f.kv("redis_git_dirty", 0);
    f.kv("redis_build_id", "0");
    f.kv("redis_mode", "standalone");
    f.kv("os", os_name());
    f.kv("arch_bits", 64);
    f.kv("monotonic_clock", "POSIX clock_gettime");
    f.kv("multiplexing_api", "epoll");
    f.kv("atomicvar_api", "c11-builtin");
    f.kv("gcc_version", "0.0.0");
    f.kv("process_id", std::process::id());
    f.kv("process_supervised", "no");
    f.kv("run_id", &s.run_id);
    f.kv("tcp_port", cfg.port);
    f.kv("server_time_usec", now_us);
    f.kv("uptime_in_seconds", s.uptime_secs());
    f.kv("uptime_in_days", s.uptime_secs() / 86400);
    f.kv("hz", cfg.hz);
    f.kv("configured_hz", cfg.hz);
    f.kv("lru_clock", (now_us / 1_000_000) & ((1 << 24) - 1));
    let exe = std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default();
    f.kv("executable", exe);
    f.kv("config_file", cfg.config_file.as_deref().unwrap_or(""));
    f.kv("io_threads_active", 0);
}

fn clients(s: &Server, f: &mut Fields) {
    let cfg = s.config();
    let all = s.clients.all();
    let max_in = all.iter().map(|c| c.qbuf.load(Ordering::Relaxed)).max().unwrap_or(0);
    let max_out = all.iter().map(|c| c.omem.load(Ordering::Relaxed)).max().unwrap_or(0);
    f.header("Clients");
    f.kv("connected_clients", all.len());
    f.kv("cluster_connections", 0);
    f.kv("maxclients", cfg.maxclients);
    f.kv("client_recent_max_input_buffer", max_in);
    f.kv("client_recent_max_output_buffer", max_out);
    f.kv("blocked_clients", s.blocking.blocked_clients());
    f.kv("tracking_clients", s.tracking.clients());
    f.kv("clients_in_timeout_table", 0);
}

/// Allocated and resident bytes from jemalloc (refreshed by advancing its epoch).
pub(crate) fn jemalloc_stats() -> (u64, u64, u64) {
    let _ = tikv_jemalloc_ctl::epoch::advance();
    let allocated = tikv_jemalloc_ctl::stats::allocated::read().unwrap_or(0) as u64;
    let active = tikv_jemalloc_ctl::stats::active::read().unwrap_or(0) as u64;
    let resident = tikv_jemalloc_ctl::stats::resident::read().unwrap_or(0) as u64;
    (allocated, active, resident)
}

/// Resident set size from /proc (what Redis's `zmalloc_get_rss` reads).
fn rss() -> u64 {
    let Ok(statm) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(0) as u64;
    pages * page
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    (pages.max(0) as u64) * (size.max(0) as u64)
}

fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "0.00".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

fn memory(s: &Server, f: &mut Fields) {
    let cfg = s.config();
    let (allocated, active, resident) = jemalloc_stats();
    let rss = rss();
    let used = allocated;
    let overhead = s.keyspace.overhead_bytes() as u64;
    let dataset = used.saturating_sub(overhead);
    f.header("Memory");
    f.kv("used_memory", used);
    f.kv("used_memory_human", human(used));
    f.kv("used_memory_rss", rss);
    f.kv("used_memory_rss_human", human(rss));
    f.kv("used_memory_peak", used);
    f.kv("used_memory_peak_human", human(used));
    f.kv("used_memory_peak_perc", "100.00%");
    f.kv("used_memory_overhead", overhead);
    f.kv("used_memory_startup", 0);
    f.kv("used_memory_dataset", dataset);
    f.kv("used_memory_dataset_perc", format!("{:.2}%", if used == 0 { 0.0 } else { dataset as f64 * 100.0 / used as f64 }));
    f.kv("allocator_allocated", allocated);
    f.kv("allocator_active", active);
    f.kv("allocator_resident", resident);
    let sys = total_system_memory();
    f.kv("total_system_memory", sys);
    f.kv("total_system_memory_human", human(sys));
    let sm = s.scripting.memory();
    f.kv("used_memory_lua", sm.vm_eval);
    f.kv("used_memory_vm_eval", sm.vm_eval);
    f.kv("used_memory_lua_human", human(sm.vm_eval as u64));
    f.kv("used_memory_scripts_eval", sm.scripts_eval);
    f.kv("number_of_cached_scripts", sm.cached_scripts);
    f.kv("number_of_functions", sm.functions);
    f.kv("number_of_libraries", sm.libraries);
    f.kv("used_memory_vm_functions", sm.vm_functions);
    f.kv("used_memory_vm_total", sm.vm_eval + sm.vm_functions);
    f.kv("used_memory_vm_total_human", human((sm.vm_eval + sm.vm_functions) as u64));
    f.kv("used_memory_functions", sm.functions_mem);
    f.kv("used_memory_scripts", sm.scripts_eval + sm.functions_mem);
    f.kv("used_memory_scripts_human", human((sm.scripts_eval + sm.functions_mem) as u64));
    f.kv("maxmemory", cfg.maxmemory);
    f.kv("maxmemory_human", human(cfg.maxmemory));
    f.kv("maxmemory_policy", "noeviction");
    f.kv("allocator_frag_ratio", ratio(active, allocated));
    f.kv("allocator_frag_bytes", active.saturating_sub(allocated));
    f.kv("allocator_rss_ratio", ratio(resident, active));
    f.kv("allocator_rss_bytes", resident.saturating_sub(active));
    f.kv("rss_overhead_ratio", ratio(rss, resident));
    f.kv("rss_overhead_bytes", rss.saturating_sub(resident));
    f.kv("mem_fragmentation_ratio", ratio(rss, used));
    f.kv("mem_fragmentation_bytes", rss.saturating_sub(used));
    f.kv("mem_not_counted_for_evict", 0);
    // Replicas are fed from the backlog's blocks (Redis 7.0's shared replication
    // buffer), so both are the backlog's memory.
    let backlog = s.repl.snapshot().backlog_memory;
    f.kv("mem_replication_backlog", backlog);
    f.kv("mem_total_replication_buffers", backlog);
    f.kv("mem_clients_slaves", 0);
    f.kv("mem_clients_normal", 0);
    f.kv("mem_cluster_links", 0);
    f.kv("mem_aof_buffer", 0);
    f.kv("mem_allocator", "jemalloc-5.3.0");
    f.kv("active_defrag_running", 0);
    f.kv("lazyfree_pending_objects", 0);
    f.kv("lazyfreed_objects", 0);
}

fn persistence(s: &Server, f: &mut Fields) {
    f.header("Persistence");
    let loading = s.loading.load(Ordering::Relaxed);
    f.kv("loading", u8::from(loading));
    for k in ["async_loading", "current_cow_peak", "current_cow_size", "current_cow_size_age"] {
        f.kv(k, 0);
    }
    f.kv("current_fork_perc", "0.00");
    f.kv("current_save_keys_processed", 0);
    f.kv("current_save_keys_total", 0);
    f.kv("rdb_changes_since_last_save", s.dirty.load(Ordering::Relaxed));
    let p = &s.persistence;
    f.kv("rdb_bgsave_in_progress", u8::from(p.bgsave_in_progress.load(Ordering::Relaxed)));
    f.kv("rdb_last_save_time", s.lastsave_secs.load(Ordering::Relaxed));
    f.kv("rdb_last_bgsave_status", if p.last_bgsave_failed.load(Ordering::Relaxed) { "err" } else { "ok" });
    f.kv("rdb_last_bgsave_time_sec", p.last_bgsave_secs.load(Ordering::Relaxed));
    f.kv("rdb_current_bgsave_time_sec", p.bgsave_started.lock().map_or(-1, |t| t.elapsed().as_secs() as i64));
    f.kv("rdb_saves", s.persistence.saves.load(Ordering::Relaxed));
    f.kv("rdb_last_cow_size", 0);
    f.kv("rdb_last_load_keys_expired", s.persistence.last_load_keys_expired.load(Ordering::Relaxed));
    f.kv("rdb_last_load_keys_loaded", s.persistence.last_load_keys_loaded.load(Ordering::Relaxed));
    for (k, v) in s.aof.info_fields() {
        f.kv(k, v);
    }
    f.kv("module_fork_in_progress", 0);
    f.kv("module_fork_last_cow_size", 0);
    if s.aof.enabled.load(Ordering::Relaxed) {
        for (k, v) in s.aof.info_on_fields() {
            f.kv(k, v);
        }
    }
    if loading {
        for (k, v) in p.loading_fields() {
            f.kv(k, v);
        }
    }
}

fn stats(s: &Server, f: &mut Fields) {
    let st = &s.stats;
    let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    f.header("Stats");
    f.kv("total_connections_received", get(&st.total_connections_received));
    f.kv("total_commands_processed", get(&st.total_commands_processed));
    f.kv("instantaneous_ops_per_sec", 0);
    f.kv("total_net_input_bytes", get(&st.net_input_bytes));
    f.kv("total_net_output_bytes", get(&st.net_output_bytes));
    f.kv("total_net_repl_input_bytes", 0);
    f.kv("total_net_repl_output_bytes", 0);
    for k in ["instantaneous_input_kbps", "instantaneous_output_kbps", "instantaneous_input_repl_kbps", "instantaneous_output_repl_kbps"] {
        f.kv(k, "0.00");
    }
    f.kv("rejected_connections", get(&st.rejected_connections));
    f.kv("sync_full", s.repl.sync_full.load(Ordering::Relaxed));
    f.kv("sync_partial_ok", s.repl.sync_partial_ok.load(Ordering::Relaxed));
    f.kv("sync_partial_err", s.repl.sync_partial_err.load(Ordering::Relaxed));
    f.kv("expired_keys", get(&st.expired_keys));
    f.kv("expired_stale_perc", "0.00");
    for k in ["expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys", "evicted_clients", "total_eviction_exceeded_time", "current_eviction_exceeded_time"] {
        f.kv(k, 0);
    }
    f.kv("keyspace_hits", get(&st.keyspace_hits));
    f.kv("keyspace_misses", get(&st.keyspace_misses));
    f.kv("pubsub_channels", s.pubsub.channel_count());
    f.kv("pubsub_patterns", s.pubsub.pattern_count());
    f.kv("pubsubshard_channels", s.pubsub.shard_channel_count());
    for k in [
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
    ] {
        f.kv(k, 0);
    }
    f.kv("tracking_total_keys", s.tracking.total_keys());
    f.kv("tracking_total_items", s.tracking.total_items());
    f.kv("tracking_total_prefixes", s.tracking.total_prefixes());
    f.kv("unexpected_error_replies", get(&st.unexpected_error_replies));
    f.kv("total_error_replies", get(&st.total_error_replies));
    f.kv("dump_payload_sanitizations", 0);
    f.kv("total_reads_processed", get(&st.total_commands_processed));
    f.kv("total_writes_processed", get(&st.total_commands_processed));
    for k in ["io_threaded_reads_processed", "io_threaded_writes_processed", "reply_buffer_shrinks", "reply_buffer_expands"] {
        f.kv(k, 0);
    }
}

/// The `# Replication` section of a master, as redis-server 7.0 prints it.
fn replication(s: &Server, f: &mut Fields) {
    let r = s.repl.snapshot();
    f.header("Replication");
    crate::replication::replica::write_info(s, f.0);
    f.kv("connected_slaves", r.replicas.len());
    let now = rhodium_storage::clock::now_ms() / 1000;
    for (i, l) in r.replicas.iter().enumerate() {
        let state = l.state();
        let lag = if state == rhodium_replication::primary::ReplicaState::Online { now - l.ack_time.load(Ordering::Relaxed) } else { 0 };
        f.kv(&format!("slave{i}"), format!("ip={},port={},state={},offset={},lag={}", l.ip, l.port, state.name(), l.ack_off.load(Ordering::Relaxed), lag));
    }
    f.kv("master_failover_state", "no-failover");
    f.kv("master_replid", &r.replid);
    f.kv("master_replid2", &r.replid2);
    f.kv("master_repl_offset", r.offset);
    f.kv("second_repl_offset", r.second_offset);
    let (active, size, first, histlen) = match r.backlog {
        Some((size, first, histlen)) => (1, size, first, histlen),
        None => (0, crate::replication::backlog_size(&s.config()), 0, 0),
    };
    f.kv("repl_backlog_active", active);
    f.kv("repl_backlog_size", size);
    f.kv("repl_backlog_first_byte_offset", first);
    f.kv("repl_backlog_histlen", histlen);
}

fn cpu(f: &mut Fields) {
    let usage = |who| {
        // SAFETY: getrusage fills the zeroed struct.
        let mut r: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut r) } != 0 {
            return (0.0, 0.0);
        }
        let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        (t(r.ru_stime), t(r.ru_utime))
    };
    let (sys, user) = usage(libc::RUSAGE_SELF);
    let (csys, cuser) = usage(libc::RUSAGE_CHILDREN);
    f.header("CPU");
    f.kv("used_cpu_sys", format!("{sys:.6}"));
    f.kv("used_cpu_user", format!("{user:.6}"));
    f.kv("used_cpu_sys_children", format!("{csys:.6}"));
    f.kv("used_cpu_user_children", format!("{cuser:.6}"));
    f.kv("used_cpu_sys_main_thread", format!("{sys:.6}"));
    f.kv("used_cpu_user_main_thread", format!("{user:.6}"));
}

fn commandstats(s: &Server, f: &mut Fields) {
    f.header("Commandstats");
    for r in &s.table.all {
        let st = &s.table.stats[r.id];
        let calls = st.calls.load(Ordering::Relaxed);
        let rejected = st.rejected_calls.load(Ordering::Relaxed);
        let failed = st.failed_calls.load(Ordering::Relaxed);
        if calls == 0 && rejected == 0 && failed == 0 {
            continue;
        }
        let usec = st.usec.load(Ordering::Relaxed);
        let per = if calls == 0 { 0.0 } else { usec as f64 / calls as f64 };
        f.kv(&format!("cmdstat_{}", r.fullname), format!("calls={calls},usec={usec},usec_per_call={per:.2},rejected_calls={rejected},failed_calls={failed}"));
    }
}

fn errorstats(s: &Server, f: &mut Fields) {
    f.header("Errorstats");
    for (code, n) in s.stats.errors_by_code.lock().iter() {
        f.kv(&format!("errorstat_{code}"), format!("count={n}"));
    }
}

fn keyspace(s: &Server, f: &mut Fields) {
    f.header("Keyspace");
    for db in 0..s.keyspace.databases() {
        let n = s.keyspace.dbsize(db);
        if n > 0 {
            f.kv(&format!("db{db}"), format!("keys={},expires={},avg_ttl=0", n, s.keyspace.volatile_count(db)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(words: &[&str]) -> Vec<bytes::Bytes> {
        words.iter().map(|w| bytes::Bytes::copy_from_slice(w.as_bytes())).collect()
    }

    #[test]
    fn section_selection() {
        assert_eq!(selected(&[]).len(), 11);
        assert_eq!(selected(&b(&["all"])).len(), 13);
        assert_eq!(selected(&b(&["keyspace", "SERVER"])), vec!["server", "keyspace"]);
        assert!(selected(&b(&["nosuch"])).is_empty());
        assert_eq!(selected(&b(&["default", "commandstats"])).len(), 12);
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0B");
        assert_eq!(human(1288200), "1.23M");
        assert_eq!(human(32768), "32.00K");
    }
}
