-- Rhodium's Lua prelude: Redis's script environment built over the raw Rust
-- functions. Runs once per Lua VM, before the globals are protected.
local rt = ...
local error, type, rawget, select, tostring, rawpcall = error, type, rawget, select, tostring, pcall

-- redis.call / redis.pcall are C functions (see trampoline.rs).
redis.call = rt.call
redis.pcall = rt.pcall

-- Redis's pcall hands the `err` string of a Redis error table to the caller.
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == 'table' then
    local m = rawget(e, 'err')
    if type(m) == 'string' or type(m) == 'number' then e = m end
  elseif type(e) == 'userdata' then
    e = rt.errtext(e)
  end
  return false, e
end
pcall = function(...)
  return pcall_result(rawpcall(...))
end

-- Library functions written in Rust report failures as (FAIL, message); a C closure
-- raises them as luaL_error does, positioned at the caller.
local raising = rt.make_raising
rt.raising = raising
for _, lib in ipairs({'cjson', 'cmsgpack', 'bit', 'struct'}) do
  local t = _G[lib]
  if t then
    for k, v in pairs(t) do
      if type(v) == 'function' then t[k] = raising(v) end
    end
  end
end
for _, k in ipairs({'sha1hex', 'log', 'setresp', 'set_repl', 'status_reply', 'error_reply'}) do
  redis[k] = raising(redis[k])
end
math.random = raising(math.random)
math.randomseed = raising(math.randomseed)

-- The runner: xpcall with Redis's error handler.
-- Globals protection. Redis makes _G and the library tables read-only in its patched
-- Lua; here user code sees read-only proxies instead: empty tables whose __index is the
-- real table (a C-speed lookup) and whose __newindex refuses any assignment. Anything
-- rawset into a proxy is cleared after each run, so no script leaves state behind.
local G = _G
local handler = __redis__err__handler
local function refuse()
  error("Attempt to modify a readonly table", 2)
end
local function readonly(real)
  return setmetatable({}, { __index = real, __newindex = refuse, __metatable = false })
end
local proxies = {}
for _, lib in ipairs({'redis', 'cjson', 'cmsgpack', 'bit', 'struct', 'string', 'math', 'table', 'coroutine'}) do
  if rawget(G, lib) then
    local p = readonly(rawget(G, lib))
    rawset(G, lib, p)
    proxies[#proxies + 1] = p
  end
end
setmetatable(G, {
  __index = function(_, n)
    error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
  end,
  __newindex = refuse,
})
local gp_mt = { __index = G, __newindex = refuse, __metatable = false }
local GP = setmetatable({}, gp_mt)
rawset(G, '_G', GP)
proxies[#proxies + 1] = GP
rt.G = G
rt.globals = GP

-- FUNCTION LOAD runs a library's code against a small API (Redis's library globals):
-- only redis.register_function, redis.log, the LOG_* levels and the version.
local function strict(t)
  return setmetatable(t, {
    __index = function(_, n)
      error("Script attempted to access nonexistent global variable '" .. tostring(n) .. "'", 2)
    end,
    __newindex = refuse,
    __metatable = false,
  })
end
rt.load_library = function(f, register)
  local api = {
    register_function = register,
    log = rawget(G, 'redis').log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = rt.version, REDIS_VERSION_NUM = rt.version_num,
  }
  gp_mt.__index = strict({ redis = strict(api) })
  local ok, r = xpcall(f, handler)
  gp_mt.__index = G
  for k in pairs(GP) do rawset(GP, k, nil) end
  return ok, r
end

-- The runner: xpcall with Redis's error handler, then scrub the proxies.
rt.run = function(f, keys, args)
  local ok, r
  if keys then
    ok, r = xpcall(function() return f(keys, args) end, handler)
  else
    ok, r = xpcall(f, handler)
  end
  for i = 1, #proxies do
    local p = proxies[i]
    if next(p) ~= nil then
      for k in pairs(p) do rawset(p, k, nil) end
    end
  end
  return ok, r
end
