//! EVAL family and SCRIPT, differential against redis-server 7.0: type conversions both
//! ways (RESP2 and RESP3), error texts, the sandbox, shebang flags and the script cache.

use rhodium_it::diff;

#[test]
fn conversions_lua_to_redis() {
    diff::check(
        r##"
        EVAL "return 1" 0
        EVAL "return 3.99" 0
        EVAL "return -2.5" 0
        EVAL "return 1e300" 0
        EVAL "return 0/0" 0
        EVAL "return 'str'" 0
        EVAL "return true" 0
        EVAL "return false" 0
        EVAL "return nil" 0
        EVAL "return {1,2,3,nil,4}" 0
        EVAL "return {1.9,-2.5,'x',true,false,{ok='fine'}}" 0
        EVAL "return {ok='x', err='y'}" 0
        EVAL "return {err='bad'}" 0
        EVAL "return {err='-bad'}" 0
        EVAL "return {ok='a\r\nb'}" 0
        EVAL "return {{1,{2,{3}}},{}}" 0
        EVAL "local t = {} t[1]=1 t[3]=3 return t" 0
        EVAL "return {double=1.5}" 0
        EVAL "return {map={a=1}}" 0
        EVAL "return {set={x=true}}" 0
        EVAL "return {big_number='123'}" 0
        EVAL "return redis.status_reply('fine')" 0
        EVAL "return redis.error_reply('My err')" 0
        EVAL "return redis.error_reply('Myerr')" 0
        EVAL "return redis.error_reply('-X y')" 0
        EVAL "return redis.status_reply()" 0
        EVAL "return redis.error_reply(3)" 0
        EVAL "return {KEYS[1], ARGV[1], #KEYS, #ARGV}" 1 k a
        EVAL "return {tostring(1e15), tostring(0.1), 2^53}" 0
        "##,
    );
}

#[test]
fn conversions_redis_to_lua() {
    diff::check(
        r##"
        SET s abc
        RPUSH l a b c
        HSET h f v
        EVAL "return redis.call('get', 's')" 0
        EVAL "return type(redis.call('get', 'nokey'))" 0
        EVAL "return tostring(redis.call('get', 'nokey'))" 0
        EVAL "return redis.call('lrange', 'l', 0, -1)" 0
        EVAL "return redis.call('incr', 'n')" 0
        EVAL "return type(redis.call('incr', 'n'))" 0
        EVAL "return redis.call('ping')" 0
        EVAL "return redis.call('ping').ok" 0
        EVAL "return redis.pcall('incr', 's')" 0
        EVAL "return redis.pcall('incr', 's').err" 0
        EVAL "return redis.call('set', 'f', 3.5)" 0
        EVAL "redis.call('set', 'f', 1/3) return redis.call('get', 'f')" 0
        EVAL "redis.call('set', 'f', 100) return redis.call('get', 'f')" 0
        EVAL "return redis.call('hgetall', 'h')" 0
        EVAL "redis.setresp(3) return redis.call('hgetall', 'h')" 0
        EVAL "redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f" 0
        EVAL "redis.setresp(3) return type(redis.call('get', 'nokey'))" 0
        EVAL "redis.setresp(3) return redis.call('smembers', 'nokey')" 0
        EVAL "redis.setresp(3) return true" 0
        EVAL "redis.setresp(3) return false" 0
        EVAL "redis.setresp(3) return {map={a=1}, set={x=true}, double=1.5}" 0
        HELLO 3
        EVAL "return {map={a=1}}" 0
        EVAL "return {set={x=true}}" 0
        EVAL "return {double=1.5}" 0
        EVAL "return {big_number='123'}" 0
        EVAL "return true" 0
        EVAL "return false" 0
        EVAL "return nil" 0
        EVAL "redis.setresp(3) return false" 0
        EVAL "redis.setresp(3) return redis.call('hgetall', 'h')" 0
        "##,
    );
}

#[test]
fn errors() {
    diff::check(
        r##"
        SET s abc
        EVAL "return x" 0
        EVAL "x=1" 0
        EVAL "return redis.call('nosuch')" 0
        EVAL "return redis.call('get')" 0
        EVAL "return redis.pcall('get')" 0
        EVAL "return (" 0
        EVAL "error('boom')" 0
        EVAL "error({err='X y'})" 0
        EVAL "error()" 0
        EVAL "error(12)" 0
        EVAL "return redis.call('incr', 's')" 0
        EVAL "local x = 1\nreturn redis.call('incr', 's')" 0
        EVAL "return redis.call()" 0
        EVAL "return redis.pcall()" 0
        EVAL "return redis.call({})" 0
        EVAL "return redis.call('eval', 'return 1', 0)" 0
        EVAL "return redis.call('config')" 0
        EVAL "return redis.call('config', 'nosuch')" 0
        EVAL "return ('x'):bad()" 0
        EVAL "local t = nil; return t.x" 0
        EVAL "return redis.sha1hex()" 0
        EVAL "return redis.setresp(4)" 0
        EVAL "return redis.set_repl(99)" 0
        EVAL "return redis.log(99, 'hi')" 0
        EVAL "return redis.log()" 0
        EVAL "return math.random(1,2,3)" 0
        EVAL "return math.random(0)" 0
        EVAL "local ok, e = pcall(redis.call, 'nosuch') return e" 0
        EVAL "local ok, e = pcall(redis.call, 'nosuch') return type(e)" 0
        EVAL "return {pcall(function() error({err='E1'}) end)}" 0
        EVAL "return {pcall(function() error('plain') end)}" 0
        EVAL "return 1" -1
        EVAL "return 1" 2 a
        EVAL "return 1" x
        EVALSHA 0000000000000000000000000000000000000000 0
        EVALSHA abc 0
        EVAL
        "##,
    );
}

#[test]
fn sandbox_and_environment() {
    diff::check(
        r##"
        EVAL "return type(debug)" 0
        EVAL "return type(os)" 0
        EVAL "return type(io)" 0
        EVAL "return type(print)" 0
        EVAL "return type(loadfile)" 0
        EVAL "return type(dofile)" 0
        EVAL "return type(require)" 0
        EVAL "return type(setfenv)" 0
        EVAL "return {type(cjson), type(cmsgpack), type(bit), type(struct), type(math), type(string), type(table), type(coroutine)}" 0
        EVAL "return {type(redis.breakpoint), type(redis.debug), type(redis.replicate_commands), type(redis.set_repl), type(redis.setresp), type(redis.log), type(redis.sha1hex), type(redis.acl_check_cmd)}" 0
        EVAL "return redis.REDIS_VERSION .. ' ' .. redis.REDIS_VERSION_NUM" 0
        EVAL "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}" 0
        EVAL "return redis.replicate_commands()" 0
        EVAL "return redis.breakpoint()" 0
        EVAL "return redis.log(redis.LOG_WARNING, 'from a script')" 0
        EVAL "return redis.sha1hex('')" 0
        EVAL "return redis.sha1hex('abc')" 0
        EVAL "string.foo = 1" 0
        EVAL "redis.call = 1" 0
        EVAL "_G.x = 1" 0
        EVAL "return redis.call('ping')" 0
        EVAL "return loadstring('return 1')()" 0
        EVAL "return coroutine.wrap(function() coroutine.yield(redis.call('ping')) end)()" 0
        EVAL "return string.format('%d %s %5.2f', 5, 'x', 1.5)" 0
        EVAL "return table.concat({1, 2, 3}, ',')" 0
        EVAL "return math.floor(3.7)" 0
        EVAL "return select('#', 1, 2, 3)" 0
        EVAL "return unpack({1, 2})" 0
        EVAL "redis.call('select', 1) redis.call('set', 'indb1', 'v') return redis.call('dbsize')" 0
        DBSIZE
        SELECT 1
        GET indb1
        "##,
    );
}

#[test]
fn shebang_flags_and_read_only() {
    diff::check(
        r##"
        EVAL "#!lua flags=bad\nreturn 1" 0
        EVAL "#!python\nreturn 1" 0
        EVAL "#!lua foo=bar\nreturn 1" 0
        EVAL "#!lua" 0
        EVAL "#!lua flags=\nreturn redis.call('set', 'x', 1)" 0
        EVAL "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')" 0
        EVAL "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn redis.call('get', 'x')" 0
        EVAL "#!lua\nreturn redis.call('get', KEYS[1])" 1 x
        EVAL_RO "#!lua\nreturn 1" 0
        EVAL_RO "return redis.call('set', 'a', 'b')" 0
        EVAL_RO "return redis.call('get', 'x')" 0
        EVALSHA_RO 0000000000000000000000000000000000000000 0
        "##,
    );
}

#[test]
fn script_cache() {
    diff::check(
        r##"
        SCRIPT FLUSH
        SCRIPT LOAD "return 'loaded'"
        SCRIPT LOAD "return ("
        SCRIPT LOAD "#!lua flags=bad\nreturn 1"
        EVALSHA 9fe8b3ea4d9ab4b2f5a1e7b1b4f5a1cbb3e0b3e0 0
        SCRIPT EXISTS 0ae0fdbd2c9bfcb3f7b5d0ed2f0e4e8f4bbab5e4 a
        EVAL "return 'cached by eval'" 0
        SCRIPT EXISTS 4f5b2c1f1d7ad9ee4b0ba0b3b0ee1df2b0c6f3c7
        SCRIPT FLUSH bad
        SCRIPT FLUSH async sync
        SCRIPT FLUSH ASYNC
        SCRIPT FLUSH SYNC
        SCRIPT EXISTS
        SCRIPT KILL
        SCRIPT DEBUG x
        SCRIPT DEBUG no
        SCRIPT HELP
        SCRIPT LOAD
        SCRIPT nosuch
        SCRIPT
        "##,
    );
    // The SHA1 of a loaded script runs it, in either case.
    diff::check(
        r##"
        SCRIPT LOAD "return 'loaded'"
        EVALSHA 1e4e3b1d5d0f02b7e1b5a1e5b83d0e0ab2ba3a7b 0
        "##,
    );
}

/// Runs the busy-script scenario on one server and returns what every step answered.
fn busy_transcript(s: &rhodium_it::TestServer) -> Vec<String> {
    use std::time::Duration;
    let text = |r: std::io::Result<Vec<u8>>| String::from_utf8_lossy(&r.unwrap_or_default()).into_owned();
    let mut runner = s.raw();
    let mut other = s.raw();
    let mut txc = s.raw();
    let mut blocked = s.raw();
    let mut t = Vec::new();
    t.push(text(other.cmd_bytes(&["CONFIG", "SET", "busy-reply-threshold", "100"])));
    // A transaction opened and a client blocked before the script starts.
    t.push(text(txc.cmd_bytes(&["MULTI"])));
    t.push(text(txc.cmd_bytes(&["SET", "x", "0"])));
    blocked.send_raw(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n").unwrap();
    rhodium_it::wait_until(Duration::from_secs(10), "BLPOP blocks", || text(other.cmd_bytes(&["INFO", "clients"])).contains("blocked_clients:1"));
    let busy_loop = "local i = 0 while true do i = i + 1 end";
    runner.send_raw(format!("*3\r\n$4\r\nEVAL\r\n${}\r\n{}\r\n$1\r\n0\r\n", busy_loop.len(), busy_loop).as_bytes()).unwrap();
    let mut first = String::new();
    rhodium_it::wait_until(Duration::from_secs(10), "-BUSY", || {
        first = text(other.cmd_bytes(&["PING"]));
        first.starts_with("-BUSY")
    });
    t.push(first);
    t.push(text(other.cmd_bytes(&["GET", "x"])));
    // EXEC is refused and discards its transaction; a write that would wake the blocked
    // client is refused too; MULTI runs, what it would queue is refused.
    t.push(text(txc.cmd_bytes(&["EXEC"])));
    t.push(text(other.cmd_bytes(&["LPUSH", "l", "v"])));
    t.push(text(txc.cmd_bytes(&["MULTI"])));
    t.push(text(txc.cmd_bytes(&["SET", "x", "1"])));
    t.push(text(other.cmd_bytes(&["FUNCTION", "STATS"])));
    t.push(text(other.cmd_bytes(&["FUNCTION", "KILL"])));
    t.push(text(other.cmd_bytes(&["SCRIPT", "KILL"])));
    t.push(String::from_utf8_lossy(&runner.read_reply_bytes().unwrap_or_default()).into_owned());
    t.push(text(other.cmd_bytes(&["PING"])));
    t.push(text(other.cmd_bytes(&["SCRIPT", "KILL"])));
    t.push(text(txc.cmd_bytes(&["EXEC"])));
    t.push(text(txc.cmd_bytes(&["EXEC"])));
    t.push(text(other.cmd_bytes(&["LPUSH", "l", "v"])));
    t.push(String::from_utf8_lossy(&blocked.read_reply_bytes().unwrap_or_default()).into_owned());
    t.push(text(other.cmd_bytes(&["GET", "x"])));
    // A script that wrote cannot be killed; SHUTDOWN NOSAVE still stops the server.
    let writer = "redis.call('set', 'x', '1') local i = 0 while true do i = i + 1 end";
    runner.send_raw(format!("*3\r\n$4\r\nEVAL\r\n${}\r\n{}\r\n$1\r\n0\r\n", writer.len(), writer).as_bytes()).unwrap();
    rhodium_it::wait_until(Duration::from_secs(10), "-BUSY", || text(other.cmd_bytes(&["PING"])).starts_with("-BUSY"));
    t.push(text(other.cmd_bytes(&["SCRIPT", "KILL"])));
    // Only SHUTDOWN NOSAVE runs beside a busy script.
    t.push(text(other.cmd_bytes(&["SHUTDOWN"])));
    t.push(text(s.raw().cmd_bytes(&["MULTI"])));
    let _ = other.send_raw(b"*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n");
    t
}

#[test]
fn busy_script_kill_and_shutdown_nosave() {
    let Some(mut p) = diff::Pair::start(&[]) else { return };
    let ours = busy_transcript(&p.ours);
    let theirs = busy_transcript(&p.theirs);
    assert_eq!(ours, theirs);
    assert!(p.ours.wait_exit(std::time::Duration::from_secs(10)).is_some(), "SHUTDOWN NOSAVE did not stop a server busy in a script");
    assert!(p.theirs.wait_exit(std::time::Duration::from_secs(10)).is_some());
}

#[test]
fn real_world_scripts() {
    diff::check(
        r##"
        # Distributed lock release: delete only if the token matches.
        SET lock:res token-1 PX 30000
        EVAL "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end" 1 lock:res token-2
        EVAL "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end" 1 lock:res token-1
        EXISTS lock:res
        # Lock acquire with NX/PX and a fencing counter.
        EVAL "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('incr', KEYS[2]) end return false" 2 lock:a fence tok 10000
        EVAL "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('incr', KEYS[2]) end return false" 2 lock:a fence tok 10000
        # Token bucket rate limiter (capacity, refill per second, now, cost).
        EVAL "local b = redis.call('hmget', KEYS[1], 'tokens', 'ts') local cap = tonumber(ARGV[1]) local rate = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local cost = tonumber(ARGV[4]) local tokens = tonumber(b[1]) or cap local ts = tonumber(b[2]) or now tokens = math.min(cap, tokens + (now - ts) * rate) local ok = 0 if tokens >= cost then tokens = tokens - cost ok = 1 end redis.call('hset', KEYS[1], 'tokens', tokens, 'ts', now) redis.call('expire', KEYS[1], 60) return {ok, tostring(tokens)}" 1 bucket 5 1 1000 2
        EVAL "local b = redis.call('hmget', KEYS[1], 'tokens', 'ts') local cap = tonumber(ARGV[1]) local rate = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local cost = tonumber(ARGV[4]) local tokens = tonumber(b[1]) or cap local ts = tonumber(b[2]) or now tokens = math.min(cap, tokens + (now - ts) * rate) local ok = 0 if tokens >= cost then tokens = tokens - cost ok = 1 end redis.call('hset', KEYS[1], 'tokens', tokens, 'ts', now) redis.call('expire', KEYS[1], 60) return {ok, tostring(tokens)}" 1 bucket 5 1 1000 2
        EVAL "local b = redis.call('hmget', KEYS[1], 'tokens', 'ts') local cap = tonumber(ARGV[1]) local rate = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local cost = tonumber(ARGV[4]) local tokens = tonumber(b[1]) or cap local ts = tonumber(b[2]) or now tokens = math.min(cap, tokens + (now - ts) * rate) local ok = 0 if tokens >= cost then tokens = tokens - cost ok = 1 end redis.call('hset', KEYS[1], 'tokens', tokens, 'ts', now) redis.call('expire', KEYS[1], 60) return {ok, tostring(tokens)}" 1 bucket 5 1 1000 2
        EVAL "local b = redis.call('hmget', KEYS[1], 'tokens', 'ts') local cap = tonumber(ARGV[1]) local rate = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local cost = tonumber(ARGV[4]) local tokens = tonumber(b[1]) or cap local ts = tonumber(b[2]) or now tokens = math.min(cap, tokens + (now - ts) * rate) local ok = 0 if tokens >= cost then tokens = tokens - cost ok = 1 end redis.call('hset', KEYS[1], 'tokens', tokens, 'ts', now) redis.call('expire', KEYS[1], 60) return {ok, tostring(tokens)}" 1 bucket 5 1 1001.5 2
        HGETALL bucket
        TTL bucket
        # Fixed-window counter.
        EVAL "local c = redis.call('incr', KEYS[1]) if c == 1 then redis.call('expire', KEYS[1], ARGV[1]) end if c > tonumber(ARGV[2]) then return 0 end return c" 1 win 10 2
        EVAL "local c = redis.call('incr', KEYS[1]) if c == 1 then redis.call('expire', KEYS[1], ARGV[1]) end if c > tonumber(ARGV[2]) then return 0 end return c" 1 win 10 2
        EVAL "local c = redis.call('incr', KEYS[1]) if c == 1 then redis.call('expire', KEYS[1], ARGV[1]) end if c > tonumber(ARGV[2]) then return 0 end return c" 1 win 10 2
        # Reliable queue: move the oldest job to a processing list, ack, and requeue.
        RPUSH q:pending j1 j2 j3
        EVAL "local j = redis.call('lpop', KEYS[1]) if not j then return false end redis.call('rpush', KEYS[2], j) redis.call('hset', KEYS[3], j, ARGV[1]) return j" 3 q:pending q:processing q:started 1000
        EVAL "local j = redis.call('lpop', KEYS[1]) if not j then return false end redis.call('rpush', KEYS[2], j) redis.call('hset', KEYS[3], j, ARGV[1]) return j" 3 q:pending q:processing q:started 1001
        EVAL "local n = redis.call('lrem', KEYS[1], 1, ARGV[1]) redis.call('hdel', KEYS[2], ARGV[1]) return n" 2 q:processing q:started j1
        EVAL "local moved = {} for _, j in ipairs(redis.call('lrange', KEYS[1], 0, -1)) do local t = tonumber(redis.call('hget', KEYS[3], j)) if t and t < tonumber(ARGV[1]) then redis.call('lrem', KEYS[1], 1, j) redis.call('lpush', KEYS[2], j) redis.call('hdel', KEYS[3], j) table.insert(moved, j) end end return moved" 3 q:processing q:pending q:started 2000
        LRANGE q:pending 0 -1
        LRANGE q:processing 0 -1
        EVAL "local j = redis.call('lpop', KEYS[1]) if not j then return false end redis.call('rpush', KEYS[2], j) return j" 2 q:empty q:processing
        # Compare-and-set on a hash field, with SCRIPT LOAD + EVALSHA.
        HSET acct balance 100
        EVAL "local v = tonumber(redis.call('hget', KEYS[1], 'balance')) if v < tonumber(ARGV[1]) then return redis.error_reply('INSUFFICIENT funds') end return redis.call('hincrby', KEYS[1], 'balance', -ARGV[1])" 1 acct 30
        EVAL "local v = tonumber(redis.call('hget', KEYS[1], 'balance')) if v < tonumber(ARGV[1]) then return redis.error_reply('INSUFFICIENT funds') end return redis.call('hincrby', KEYS[1], 'balance', -ARGV[1])" 1 acct 300
        "##,
    );
}

#[test]
fn cjson_encode_and_decode() {
    diff::check(
        r##"
        EVAL "return cjson.encode({})" "0"
        EVAL "return cjson.encode({1,2,3})" "0"
        EVAL "return cjson.encode({a=1})" "0"
        EVAL "return cjson.encode({1,2,nil,4})" "0"
        EVAL "return cjson.encode({[1]=1,[2]=2,[20]=3})" "0"
        EVAL "return cjson.encode({[1]=1,[3]=3})" "0"
        EVAL "return cjson.encode({1.5, -0.25, 1e20, 2^53, 1/3, 100})" "0"
        EVAL "return cjson.encode({'a\"b', 'c\\\\d', 'e/f', '\\n\\r\\t\\b\\f', '\\1\\31\\127', 'é'})" "0"
        EVAL "return cjson.encode({true, false})" "0"
        EVAL "return cjson.encode({cjson.null})" "0"
        EVAL "return cjson.encode('str')" "0"
        EVAL "return cjson.encode(12)" "0"
        EVAL "return cjson.encode(nil)" "0"
        EVAL "return cjson.encode(true)" "0"
        EVAL "return cjson.encode({a={b={c={1,2,{}}}}})" "0"
        EVAL "return cjson.encode({[true]=1})" "0"
        EVAL "return cjson.encode({f=function() end})" "0"
        EVAL "return cjson.encode(0/0)" "0"
        EVAL "return cjson.encode(1/0)" "0"
        EVAL "return cjson.encode({[1.5]=1})" "0"
        EVAL "return cjson.encode({[0]=1})" "0"
        EVAL "return cjson.encode({[-1]=1})" "0"
        EVAL "return cjson.encode({x={}, y={1}})" "0"
        EVAL "return cjson.encode({['1']=1, [2]=2})" "0"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{\"a\":1}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[1,2,3]"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[]"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"str\""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "123"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "-1.5e3"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "true"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "false"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "null"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[null,1]"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{\"a\":null}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"\\u00e9\\ud83d\\ude00\""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"\\n\\t\\/\\\\\\\"\""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[1,"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[1 2]"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{\"a\" 1}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{1:2}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" ""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "   "
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "x"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"abc"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"\\q\""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"\\u12\""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"\\ud800\""
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "0x10"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "01"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "1."
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "-"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "+1"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "inf"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "nan"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[1]x"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[[[[1]]]]"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "tru"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "nul"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" " [ 1 , 2 ] "
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "1e400"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "[1,]"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "{\"a\":1,}"
        EVAL "local v = cjson.decode(ARGV[1]) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0" "\"a\\u0000b\""
        EVAL "local t = {} local c = t for i=1,1100 do c[1] = {} c = c[1] end return cjson.encode(t)" "0"
        EVAL "return cjson.decode(string.rep('[', 1100))" "0"
        EVAL "return cjson.encode()" "0"
        EVAL "return cjson.decode()" "0"
        EVAL "return cjson.decode({})" "0"
        EVAL "return {pcall(cjson.decode, '{')}" "0"
        EVAL "return cjson.decode('[1,2]')[2]" "0"
        EVAL "return cjson.decode('{\"a\":[1,2,{\"b\":true}]}').a[3].b" "0"
        "##,
    );
}

#[test]
fn struct_pack_unpack_size() {
    diff::check(
        r##"
        EVAL "local s = struct.pack('>i4', 1) return {s, #s}" "0"
        EVAL "local s = struct.pack('<i4', -2) return {s, #s}" "0"
        EVAL "local s = struct.pack('>h', 513) return {s, #s}" "0"
        EVAL "local s = struct.pack('<H', 65535) return {s, #s}" "0"
        EVAL "local s = struct.pack('b', -1) return {s, #s}" "0"
        EVAL "local s = struct.pack('B', 255) return {s, #s}" "0"
        EVAL "local s = struct.pack('>l', 2^40) return {s, #s}" "0"
        EVAL "local s = struct.pack('<L', -1) return {s, #s}" "0"
        EVAL "local s = struct.pack('>I2', 70000) return {s, #s}" "0"
        EVAL "local s = struct.pack('i8', -3) return {s, #s}" "0"
        EVAL "local s = struct.pack('>d', 1.5) return {s, #s}" "0"
        EVAL "local s = struct.pack('<f', 0.1) return {s, #s}" "0"
        EVAL "local s = struct.pack('s', 'abc') return {s, #s}" "0"
        EVAL "local s = struct.pack('c3', 'abcdef') return {s, #s}" "0"
        EVAL "local s = struct.pack('c0', 'xyz') return {s, #s}" "0"
        EVAL "local s = struct.pack('!4 b i4', 1, 2) return {s, #s}" "0"
        EVAL "local s = struct.pack('!2 b h b d', 1, 2, 3, 4.5) return {s, #s}" "0"
        EVAL "local s = struct.pack('x b x', 7) return {s, #s}" "0"
        EVAL "local s = struct.pack('> i3', -5) return {s, #s}" "0"
        EVAL "local s = struct.pack('z', 1) return {s, #s}" "0"
        EVAL "local s = struct.pack('i40', 1) return {s, #s}" "0"
        EVAL "local s = struct.pack('!3', 1) return {s, #s}" "0"
        EVAL "local s = struct.pack('c5', 'ab') return {s, #s}" "0"
        EVAL "local s = struct.pack('i') return {s, #s}" "0"
        EVAL "local s = struct.pack('i', 'x') return {s, #s}" "0"
        EVAL "local s = struct.pack('<i16', 5) return {s, #s}" "0"
        EVAL "local s = struct.pack('>I', 3.7) return {s, #s}" "0"
        EVAL "local s = struct.pack('i', -3.7) return {s, #s}" "0"
        EVAL "local s = struct.pack('T', 12) return {s, #s}" "0"
        EVAL "local t = {struct.unpack('>i4', struct.pack('>i4', -7))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('<i2 <I2', struct.pack('<i2 <I2', -2, 65534))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('s s', 'ab\\0cd\\0')} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('c2 c1', 'xyz')} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('b c0', struct.pack('b c0', 3, 'abc'))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('>d f', struct.pack('>d f', 2.25, 1.5))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('i4', 'ab')} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('s', 'abc')} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('c0', 'abc')} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('b', 'xyz', 2)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('b', 'xyz', 5)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('b', 'xyz', 0)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('!4 b i4', struct.pack('!4 b i4', 9, 10))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('>i16', string.rep('\\255', 16))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {struct.unpack('<I9', string.rep('\\1', 9))} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "return struct.size('i4 h b')" "0"
        EVAL "return struct.size('!4 b i4')" "0"
        EVAL "return struct.size('>d f c3 x')" "0"
        EVAL "return struct.size('s')" "0"
        EVAL "return struct.size('c0')" "0"
        EVAL "return struct.size('q')" "0"
        EVAL "return struct.size('!8 b d')" "0"
        EVAL "return struct.size('i')" "0"
        "##,
    );
}

#[test]
fn bit_operations() {
    diff::check(
        r##"
        EVAL "return {tostring(bit.tobit(0xffffffff))}" "0"
        EVAL "return {tostring(bit.tobit(2^32 + 5))}" "0"
        EVAL "return {tostring(bit.tobit(-1))}" "0"
        EVAL "return {tostring(bit.tobit(2.5))}" "0"
        EVAL "return {tostring(bit.tobit(3.5))}" "0"
        EVAL "return {tostring(bit.tobit('12'))}" "0"
        EVAL "return {tostring(bit.bnot(0))}" "0"
        EVAL "return {tostring(bit.bnot(12345))}" "0"
        EVAL "return {tostring(bit.band(0xff, 0x0f, 0x3))}" "0"
        EVAL "return {tostring(bit.bor(1, 2, 4, 8))}" "0"
        EVAL "return {tostring(bit.bxor(0xff, 0x0f))}" "0"
        EVAL "return {tostring(bit.band(5))}" "0"
        EVAL "return {tostring(bit.lshift(1, 31))}" "0"
        EVAL "return {tostring(bit.lshift(1, 32))}" "0"
        EVAL "return {tostring(bit.lshift(1, 33))}" "0"
        EVAL "return {tostring(bit.rshift(-1, 1))}" "0"
        EVAL "return {tostring(bit.arshift(-256, 4))}" "0"
        EVAL "return {tostring(bit.rol(0x12345678, 8))}" "0"
        EVAL "return {tostring(bit.ror(0x12345678, 8))}" "0"
        EVAL "return {tostring(bit.bswap(0x12345678))}" "0"
        EVAL "return {tostring(bit.tohex(255))}" "0"
        EVAL "return {tostring(bit.tohex(-1))}" "0"
        EVAL "return {tostring(bit.tohex(255, 2))}" "0"
        EVAL "return {tostring(bit.tohex(255, -4))}" "0"
        EVAL "return {tostring(bit.tohex(0x12345678, 12))}" "0"
        EVAL "return {tostring(bit.tohex(1, 0))}" "0"
        EVAL "return {tostring(bit.tohex('x'))}" "0"
        EVAL "return {tostring(bit.band())}" "0"
        EVAL "return {tostring(bit.lshift(1))}" "0"
        EVAL "return {tostring(bit.bor(1, {}))}" "0"
        "##,
    );
}

#[test]
fn cmsgpack_pack_unpack() {
    diff::check(
        r##"
        EVAL "local s = cmsgpack.pack(nil) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(true) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(false) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(0) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(127) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(128) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(255) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(256) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(65535) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(65536) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(2^32) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(2^40) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-1) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-32) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-33) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-128) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-129) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-32768) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-32769) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-2^31) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-2^31-1) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-2^40) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(1.5) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(0.1) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(1/0) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(-1/0) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(1e300) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack('abc') return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(string.rep('x', 31)) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(string.rep('x', 32)) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(string.rep('x', 300)) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(string.rep('x', 70000)) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({1,2,3}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({a=1}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({1,2,nil,4}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({[1]=1,[3]=3}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({[0]=1}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({x={y={z={}}}}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(1, 2, 'three') return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(function() end) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack({1.5, {true}}) return {s, #s}" "0"
        EVAL "local s = cmsgpack.pack(string.rep('a', 20), {k='v'}) return {s, #s}" "0"
        EVAL "local t = {} local c = t for i=1,20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)" "0"
        EVAL "return cmsgpack.pack()" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(1)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(-200)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(1.5)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack('str')) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack({1,2,{3}})) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack({a={b='c'}})) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(true)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(2^40)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(-2^40)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local v = cmsgpack.unpack(cmsgpack.pack(0.1)) if type(v) == 'table' then return cjson.encode(v) end return {type(v), tostring(v)}" "0"
        EVAL "local t = {cmsgpack.unpack('\\147\\1\\2')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\145')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\193')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\205\\1')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\1\\2\\3')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\217\\3ab')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\196\\2hi')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\212\\1\\1')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\220\\0\\2\\1\\2')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack('\\129\\192\\1')} for i = 1, #t do if type(t[i]) == 'table' then t[i] = cjson.encode(t[i]) else t[i] = tostring(t[i]) end end return t" "0"
        EVAL "local t = {cmsgpack.unpack_one('\\1\\2\\3')} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack_one('\\1\\2\\3', 1)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack_one('\\1\\2\\3', 2)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack_one('\\1', 5)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack_limit('\\1\\2\\3', 2)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack_limit('\\1\\2\\3', 2, 1)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack_limit('\\1\\2', -1)} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack({})} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        EVAL "local t = {cmsgpack.unpack()} for i = 1, #t do t[i] = tostring(t[i]) end return t" "0"
        "##,
    );
}

#[test]
fn info_counts_cached_scripts_and_functions() {
    let s = rhodium_it::TestServer::start(&[]);
    let mut c = s.raw();
    let field = |c: &mut rhodium_it::RawConn, name: &str| -> String {
        let info = String::from_utf8_lossy(&c.cmd_bytes(&["INFO", "memory"]).unwrap()).into_owned();
        info.lines().find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string)).unwrap_or_default()
    };
    assert_eq!(field(&mut c, "number_of_cached_scripts"), "0");
    c.cmd(&["EVAL", "return 1", "0"]).unwrap();
    c.cmd(&["SCRIPT", "LOAD", "return 2"]).unwrap();
    c.cmd(&["EVAL", "return 1", "0"]).unwrap();
    assert_eq!(field(&mut c, "number_of_cached_scripts"), "2");
    c.cmd(&["FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('a', function() end) redis.register_function('b', function() end)"]).unwrap();
    assert_eq!(field(&mut c, "number_of_functions"), "2");
    assert_eq!(field(&mut c, "number_of_libraries"), "1");
    c.cmd(&["SCRIPT", "FLUSH"]).unwrap();
    c.cmd(&["FUNCTION", "FLUSH"]).unwrap();
    assert_eq!(field(&mut c, "number_of_cached_scripts"), "0");
    assert_eq!(field(&mut c, "number_of_functions"), "0");
}

#[test]
fn math_random_follows_redis_sequence() {
    diff::check(
        r##"
        EVAL "return {math.random(1000), math.random(1000), tostring(math.random()), math.random(5, 10)}" 0
        EVAL "return {math.random(1000), math.random(1000)}" 0
        EVAL "math.randomseed(7) return {math.random(1000), math.random(1000), math.random(-5, 5)}" 0
        EVAL "return math.random(2, 1)" 0
        EVAL "return math.random('x')" 0
        EVAL "return math.randomseed()" 0
        "##,
    );
}

/// A script runs as one atomic section: its writes wake blocked clients and invalidate
/// WATCHes once it ends, and inside MULTI it runs in the EXEC's section.
fn section_transcript(s: &rhodium_it::TestServer) -> Vec<String> {
    use std::time::Duration;
    let text = |r: std::io::Result<Vec<u8>>| String::from_utf8_lossy(&r.unwrap_or_default()).into_owned();
    let mut a = s.raw();
    let mut b = s.raw();
    let mut t = Vec::new();
    // A BLPOP waiter is served by an LPUSH from a script.
    a.send(&["BLPOP", "q", "0"]).unwrap();
    rhodium_it::wait_until(Duration::from_secs(10), "BLPOP blocked", || text(b.cmd_bytes(&["CLIENT", "LIST"])).contains("cmd=blpop"));
    t.push(text(b.cmd_bytes(&["EVAL", "redis.call('lpush', KEYS[1], 'x') return redis.call('lpush', KEYS[1], 'y')", "1", "q"])));
    t.push(text(a.read_reply_bytes()));
    t.push(text(b.cmd_bytes(&["LRANGE", "q", "0", "-1"])));
    // A script's write invalidates a WATCH; a script that only reads does not.
    t.push(text(a.cmd_bytes(&["WATCH", "w"])));
    t.push(text(b.cmd_bytes(&["EVAL", "return redis.call('set', KEYS[1], 'v')", "1", "w"])));
    t.push(text(a.cmd_bytes(&["MULTI"])));
    t.push(text(a.cmd_bytes(&["GET", "w"])));
    t.push(text(a.cmd_bytes(&["EXEC"])));
    t.push(text(a.cmd_bytes(&["WATCH", "w"])));
    t.push(text(b.cmd_bytes(&["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "w"])));
    t.push(text(a.cmd_bytes(&["MULTI"])));
    t.push(text(a.cmd_bytes(&["GET", "w"])));
    t.push(text(a.cmd_bytes(&["EXEC"])));
    // EVAL and FCALL inside MULTI/EXEC; blocking commands inside a script do not block.
    t.push(text(a.cmd_bytes(&["FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function(k) return redis.call('incr', k[1]) end)"])));
    t.push(text(a.cmd_bytes(&["MULTI"])));
    t.push(text(a.cmd_bytes(&["SET", "n", "1"])));
    t.push(text(a.cmd_bytes(&["EVAL", "return redis.call('incr', KEYS[1])", "1", "n"])));
    t.push(text(a.cmd_bytes(&["FCALL", "f", "1", "n"])));
    t.push(text(a.cmd_bytes(&["EVAL", "return redis.call('blpop', 'empty', 0)", "0"])));
    t.push(text(a.cmd_bytes(&["EXEC"])));
    t.push(text(a.cmd_bytes(&["EVAL", "return redis.call('multi')", "0"])));
    t.push(text(a.cmd_bytes(&["EVAL", "return redis.call('exec')", "0"])));
    t
}

#[test]
fn scripts_are_atomic_sections() {
    let Some(p) = diff::Pair::start(&[]) else { return };
    assert_eq!(section_transcript(&p.ours), section_transcript(&p.theirs));
}
