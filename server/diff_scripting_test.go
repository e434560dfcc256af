package server

// Scripting against redis-server: EVAL, EVALSHA, their _RO forms and
// SCRIPT, in RESP2 and RESP3. Each line is one command; the scripts use
// single-quoted Lua strings (the harness quotes arguments with "...").
// Not compared byte for byte, on purpose (docs/COMPATIBILITY.md): Lua's
// own runtime and compile error texts (gopher-lua words them
// differently), fractional numbers passed to redis.call (redis-server
// 7.0 formats them with %.17g, 7.2 and meshcache the shortest way), and
// maps of more than one pair (Lua's table order). Where redis-server 7.0
// and 7.2 differ, meshcache answers as 7.2 and the line is in the unit
// tests instead (scripts_test.go): SCRIPT HELP ("Print this help."),
// blocking commands in a script (7.0 refuses them as noscript, 7.2 runs
// them without blocking).
func init() {
	diffScripts["eval-conversions"] = []string{
		"EVAL \"return 1\" 0", "EVAL \"return 1.9\" 0", "EVAL \"return -1.9\" 0", "EVAL \"return 'x'\" 0",
		"EVAL \"return true\" 0", "EVAL \"return false\" 0", "EVAL \"return nil\" 0", "EVAL \"return {}\" 0",
		"EVAL \"return {1,2,{3,'x',{true,false}},nil,5}\" 0", "EVAL \"return {1,nil,3}\" 0",
		"EVAL \"return {ok='fine'}\" 0", "EVAL \"return {err='ERR bad'}\" 0", "EVAL \"return {err='MYCODE bad thing'}\" 0",
		"EVAL \"return redis.status_reply('PONG')\" 0", "EVAL \"return redis.error_reply('My Error')\" 0",
		"EVAL \"return redis.error_reply('-WRONG thing')\" 0", "EVAL \"return redis.error_reply('-NOSPACE')\" 0",
		"EVAL \"return redis.error_reply()\" 0", "EVAL \"return redis.status_reply(1)\" 0",
		"EVAL \"return {double=3.5}\" 0", "EVAL \"return {big_number='12345678901234567890'}\" 0",
		"EVAL \"return {map={a=1}}\" 0", "EVAL \"return {set={a=true}}\" 0", "EVAL \"return {map={}}\" 0",
		"EVAL \"return {verbatim_string={format='txt',string='hello'}}\" 0",
		"EVAL \"return 9007199254740993\" 0", "EVAL \"return -0.5\" 0", "EVAL \"return 1e20\" 0",
		"EVAL \"return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}\" 2 a b c d", "EVAL \"return #KEYS + #ARGV * 10\" 1 k a b c",
		"EVAL \"return redis.sha1hex('')\" 0", "EVAL \"return redis.sha1hex('abc')\" 0", "EVAL \"return redis.sha1hex()\" 0",
		"EVAL \"return tostring(redis.REDIS_VERSION ~= nil)\" 0", "EVAL \"return type(redis.REDIS_VERSION_NUM)\" 0",
		"EVAL \"return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}\" 0",
		"EVAL \"redis.set_repl(redis.REPL_ALL) return 1\" 0", "EVAL \"redis.set_repl(99) return 1\" 0",
		"EVAL \"return redis.replicate_commands()\" 0", "EVAL \"return redis.breakpoint()\" 0", "EVAL \"redis.debug('x') return 1\" 0",
		"EVAL \"redis.log(redis.LOG_WARNING, 'from a script') return 1\" 0", "EVAL \"redis.log(redis.LOG_WARNING) return 1\" 0",
		"EVAL \"redis.log('x', 'y') return 1\" 0", "EVAL \"redis.log(9, 'y') return 1\" 0",
		"EVAL \"return string.format('%d-%s', 5, 'x')\" 0", "EVAL \"return table.concat({'a','b'}, ',')\" 0",
		"EVAL \"return math.floor(2.7)\" 0", "EVAL \"return ('ab'):rep(3)\" 0", "EVAL \"return tonumber('12')\" 0",
		"EVAL \"local t = {} for i=1,100 do t[i]=i end return #t\" 0", "EVAL \"return select('#', 1, 2, 3)\" 0",
		"EVAL \"return {pcall(function() return 1 end)}\" 0", "EVAL \"return type(coroutine.create(function() end))\" 0",
		"EVAL \"return cjson.encode({1, 'a', true})\" 0", "EVAL \"return cjson.decode('[1,2,3]')[2]\" 0",
		"EVAL \"return cmsgpack.unpack(cmsgpack.pack({1, 2}))\" 0", "EVAL \"return bit.band(7, 3)\" 0",
		"EVAL \"return struct.unpack('>I2', struct.pack('>I2', 258))\" 0", "EVAL \"cjson.x = 1\" 0",
		"EVAL \"return redis.sha1hex(cjson.encode({a=1}))\" 0",
	}
	diffScripts["eval-calls"] = []string{
		"EVAL \"return redis.call('SET', KEYS[1], ARGV[1])\" 1 k v", "EVAL \"return redis.call('GET', KEYS[1])\" 1 k",
		"EVAL \"return redis.call('get', 'nokey')\" 0", "EVAL \"return redis.call('INCR', KEYS[1])\" 1 n",
		"EVAL \"return redis.call('INCRBY', KEYS[1], 10)\" 1 n", "EVAL \"return redis.call('INCRBY', KEYS[1], -3)\" 1 n",
		"EVAL \"return redis.call('SET', KEYS[1], 1e20)\" 1 big", "GET big", "EVAL \"return redis.call('SET', KEYS[1], 123456789)\" 1 big", "GET big",
		"EVAL \"return redis.call('INCR', KEYS[1])\" 1 k", "EVAL \"return redis.pcall('INCR', KEYS[1])\" 1 k",
		"EVAL \"local r = redis.pcall('INCR', KEYS[1]) return r['err']\" 1 k", "EVAL \"return type(redis.pcall('INCR', KEYS[1]))\" 1 k",
		"EVAL \"return redis.call('nosuch', 'x')\" 0", "EVAL \"return redis.pcall('nosuch', 'x')\" 0",
		"EVAL \"return redis.call('GET')\" 0", "EVAL \"return redis.pcall('GET')\" 0", "EVAL \"return redis.call()\" 0", "EVAL \"return redis.pcall()\" 0",
		"EVAL \"return redis.call('GET', {})\" 0", "EVAL \"return redis.call('GET', nil)\" 0",
		"EVAL \"return redis.call('EVAL', 'return 1', 0)\" 0", "EVAL \"return redis.call('MULTI')\" 0",
		"EVAL \"return redis.pcall('WATCH', 'k')\" 0", "EVAL \"return redis.call('CLIENT', 'nosuch')\" 0",
		"EVAL \"return redis.call('CLIENT')\" 0",
		"EVAL \"return redis.call('HSET', KEYS[1], 'a', 1, 'b', 2)\" 1 h", "EVAL \"return redis.call('HGET', KEYS[1], 'a')\" 1 h",
		"EVAL \"return redis.call('HGETALL', KEYS[1])\" 1 nokey", "EVAL \"return redis.call('HGETALL', KEYS[1])\" 1 {h}one",
		"EVAL \"return redis.call('LPUSH', KEYS[1], 'a', 'b')\" 1 l", "EVAL \"return redis.call('LRANGE', KEYS[1], 0, -1)\" 1 l",
		"EVAL \"return redis.call('LPOP', KEYS[1], 5)\" 1 l", "EVAL \"return redis.call('LPOP', KEYS[1])\" 1 l",
		"EVAL \"return redis.call('SET', KEYS[1], 'x', 'NX')\" 1 k2",
		"EVAL \"return redis.call('SET', KEYS[1], 'x', 'NX')\" 1 k2", "EVAL \"return redis.call('GET', KEYS[1]) == false\" 1 none",
		"EVAL \"return redis.call('PING')\" 0", "EVAL \"return redis.call('PING')['ok']\" 0", "EVAL \"return redis.call('ECHO', 'hi')\" 0",
		"EVAL \"return redis.call('EXISTS', KEYS[1], KEYS[2])\" 2 k {k}x", "EVAL \"return redis.call('TYPE', KEYS[1])\" 1 h",
		"EVAL \"return redis.call('ZADD', KEYS[1], 1.5, 'm')\" 1 z", "EVAL \"return redis.call('ZSCORE', KEYS[1], 'm')\" 1 z",
		"EVAL \"return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')\" 1 z",
		"EVAL \"return redis.call('DEL', KEYS[1])\" 1 k", "EVAL \"return redis.call('EXPIRE', KEYS[1], 100)\" 1 h", "TTL h",
		"EVAL \"redis.call('SET', KEYS[1], 'a') redis.call('APPEND', KEYS[1], 'b') return redis.call('GET', KEYS[1])\" 1 s",
		"EVAL \"return redis.call('DBSIZE')\" 0", "EVAL \"return #redis.call('KEYS', '*')\" 0",
		"EVAL_RO \"return redis.call('GET', KEYS[1])\" 1 s", "EVAL_RO \"return redis.call('SET', KEYS[1], 1)\" 1 s",
		"EVAL_RO \"return redis.pcall('DEL', KEYS[1])\" 1 s", "GET s",
	}
	diffScripts["eval-resp3"] = []string{
		"HSET h a 1", "SADD st x", "ZADD z 2.5 m",
		"EVAL \"redis.setresp(3) return redis.call('HGETALL', KEYS[1])\" 1 h",
		"EVAL \"redis.setresp(3) return redis.call('SMEMBERS', KEYS[1])\" 1 st",
		"EVAL \"redis.setresp(3) return redis.call('ZSCORE', KEYS[1], 'm')\" 1 z",
		"EVAL \"redis.setresp(3) local r = redis.call('ZSCORE', KEYS[1], 'm') return r['double']\" 1 z",
		"EVAL \"redis.setresp(3) return redis.call('GET', 'nokey')\" 0",
		"EVAL \"redis.setresp(3) return redis.call('GET', 'nokey') == nil\" 0",
		"EVAL \"redis.setresp(3) return redis.call('HGETALL', 'nokey')\" 0",
		"EVAL \"redis.setresp(3) return true\" 0", "EVAL \"redis.setresp(3) return false\" 0",
		"EVAL \"redis.setresp(2) return true\" 0", "EVAL \"redis.setresp(4)\" 0", "EVAL \"redis.setresp()\" 0",
		"EVAL \"redis.setresp(3) return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')\" 1 z",
		"EVAL \"redis.setresp(3) return redis.call('ZINCRBY', KEYS[1], 1, 'm')\" 1 z",
		"EVAL \"redis.setresp(3) return redis.call('PING')\" 0",
		"EVAL \"redis.setresp(3) return redis.call('SISMEMBER', KEYS[1], 'x')\" 1 st",
	}
	diffScripts["eval-errors"] = []string{
		"EVAL \"return 1\" -1", "EVAL \"return 1\" 2 a", "EVAL \"return 1\" x", "EVAL \"return 1\" 1", "EVAL \"return 1\"",
		"EVALSHA abc 0", "EVALSHA ffffffffffffffffffffffffffffffffffffffff 0", "EVALSHA_RO abc 0",
		"EVAL \"a=1\" 0", "EVAL \"return a\" 0", "EVAL \"return x.y\" 0", "EVAL \"return os\" 0", "EVAL \"return io\" 0",
		"EVAL \"return loadfile\" 0", "EVAL \"return dofile\" 0", "EVAL \"print(1)\" 0", "EVAL \"return require\" 0",
		"EVAL \"string.x = 1\" 0", "EVAL \"redis.call = nil\" 0", "EVAL \"math.pi = 3\" 0", "EVAL \"return _G.nosuch\" 0",
		"EVAL \"_G.x = 1\" 0", "EVAL \"KEYS = 1\" 0",
		"EVAL \"error('boom')\" 0", "EVAL \"error({err='CODE custom'})\" 0", "EVAL \"error('boom', 0)\" 0",
		"EVAL \"return redis.call('nosuch')\" 0", "EVAL \"local x = 1\nreturn redis.call('nosuch')\" 0",
		"EVAL \"return pcall(redis.call, 'nosuch')\" 0", "EVAL \"local ok, e = pcall(redis.call, 'nosuch') return e\" 0",
		"EVAL \"local ok, e = pcall(error, 'x') return e\" 0", "EVAL \"local ok, e = pcall(function() error({err='X y'}) end) return e\" 0",
		"EVAL \"#!lua\nreturn 1\" 0", "EVAL \"#!lua flags=no-writes\nreturn 1\" 0", "EVAL \"#!lua flags=no-writes,allow-oom\nreturn 1\" 0",
		"EVAL \"#!lua flags=bogus\nreturn 1\" 0", "EVAL \"#!lua bogus=1\nreturn 1\" 0", "EVAL \"#!python\nreturn 1\" 0",
		"EVAL \"#!lua\" 0", "EVAL \"#!lua flags=no-writes\nreturn redis.call('SET', 'k', 1)\" 0",
		"EVAL \"#!lua flags=no-writes\nreturn redis.call('GET', 'k')\" 0", "EVAL_RO \"#!lua\nreturn 1\" 0",
		"EVAL_RO \"#!lua flags=no-writes\nreturn 1\" 0", "EVAL_RO \"return 1\" 0",
		"EVAL \"#!lua\nreturn redis.call('nosuch')\" 0",
	}
	diffScripts["script"] = []string{
		"SCRIPT LOAD \"return 'loaded'\"", "SCRIPT EXISTS 2a2d6f1e4ce16ad8c1ac1cbb2ec5dc5e5d36d9bb ffffffffffffffffffffffffffffffffffffffff",
		"EVALSHA 2a2d6f1e4ce16ad8c1ac1cbb2ec5dc5e5d36d9bb 0", "EVALSHA 2A2D6F1E4CE16AD8C1AC1CBB2EC5DC5E5D36D9BB 0",
		"EVALSHA_RO 2a2d6f1e4ce16ad8c1ac1cbb2ec5dc5e5d36d9bb 0", "SCRIPT EXISTS 2A2D6F1E4CE16AD8C1AC1CBB2EC5DC5E5D36D9BB",
		"EVAL \"return 'via eval'\" 0", "SCRIPT EXISTS 89f7bd8dfa1d2d7d2b7cd0a4bc5b6d3546b0a02c",
		"SCRIPT FLUSH", "SCRIPT EXISTS 2a2d6f1e4ce16ad8c1ac1cbb2ec5dc5e5d36d9bb", "EVALSHA 2a2d6f1e4ce16ad8c1ac1cbb2ec5dc5e5d36d9bb 0",
		"SCRIPT FLUSH SYNC", "SCRIPT FLUSH ASYNC", "SCRIPT FLUSH bogus", "SCRIPT FLUSH SYNC x", "SCRIPT LOAD", "SCRIPT EXISTS",
		"SCRIPT KILL", "SCRIPT bogus", "SCRIPT", "SCRIPT LOAD \"#!lua flags=bogus\nreturn 1\"",
		"SCRIPT LOAD \"return redis.call('GET', KEYS[1])\"", "EVALSHA 4e6d8fc8bb01276962cce5371fa795a7763657ae 1 k",
	}
}
