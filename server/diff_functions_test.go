package server

// Functions against redis-server: FUNCTION LOAD, LIST, DELETE, FLUSH,
// STATS and FCALL, FCALL_RO, RESP2 and RESP3. One library at a time in
// FUNCTION LIST (the order of several is a dictionary's), one flag per
// function (a set's order). FUNCTION DUMP's bytes differ on purpose
// (meshcache writes RDB version 11 and no LZF compression; see
// functions_test.go for DUMP and RESTORE).
func init() {
	lib := "\"#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\""
	rolib := "\"#!lua name=rolib\nredis.register_function{function_name='ro', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}\""
	diffScripts["functions"] = []string{
		"FUNCTION LOAD " + lib, "FUNCTION LOAD " + lib, "FUNCTION LIST", "FUNCTION LIST WITHCODE", "FUNCTION LIST LIBRARYNAME my*",
		"FUNCTION LOAD " + rolib, "FUNCTION LIST LIBRARYNAME ro*", "FUNCTION LIST WITHCODE LIBRARYNAME ro*", "FUNCTION LIST LIBRARYNAME MY*",
		"FUNCTION LIST LIBRARYNAME nope*", "FUNCTION LIST LIBRARYNAME", "FUNCTION LIST bogus", "FUNCTION LIST WITHCODE WITHCODE",
		"FCALL myfunc 1 k v", "FCALL ro 1 k", "FCALL_RO ro 1 k", "FCALL_RO myfunc 1 k v", "FCALL nosuch 0", "FCALL myfunc x",
		"FCALL myfunc 2 k", "FCALL myfunc -1", "FCALL ro 0", "FUNCTION STATS",
		"FCALL MYFUNC 1 k w", "FCALL_RO RO 1 k", "FCALL MyFunc 1 k v", // function names are case-insensitive
		"FUNCTION LOAD \"#!lua name=upper\nredis.register_function('MYFUNC', function() return 1 end)\"", // collides with myfunc
		"FUNCTION DELETE MYLIB", // library names are not
		"FUNCTION LOAD REPLACE " + lib, "FUNCTION LOAD REPLACE", "FUNCTION LOAD bogus " + lib,
		"FUNCTION DELETE nosuch", "FUNCTION DELETE mylib", "FCALL myfunc 1 k v", "FUNCTION LIST",
		"FUNCTION LOAD \"return 1\"", "FUNCTION LOAD \"#!lua\nreturn 1\"", "FUNCTION LOAD \"#!lua name=x name=y\nreturn 1\"",
		"FUNCTION LOAD \"#!lua name=bad-name\nreturn 1\"", "FUNCTION LOAD \"#!lua name=x foo=bar\nreturn 1\"",
		"FUNCTION LOAD \"#!py name=x\nreturn 1\"", "FUNCTION LOAD \"#!lua name=x\"", "FUNCTION LOAD \"#!lua name=x\nreturn 1\"",
		"FUNCTION LOAD \"#!lua name=e1\nredis.register_function('f')\"",
		"FUNCTION LOAD \"#!lua name=e2\nredis.register_function('f', 1)\"",
		"FUNCTION LOAD \"#!lua name=e3\nredis.register_function(1, function() end)\"",
		"FUNCTION LOAD \"#!lua name=e4\nredis.register_function('a-b', function() end)\"",
		"FUNCTION LOAD \"#!lua name=e5\nredis.register_function('f', function() end) redis.register_function('f', function() end)\"",
		"FUNCTION LOAD \"#!lua name=e6\nredis.register_function{function_name='f'}\"",
		"FUNCTION LOAD \"#!lua name=e7\nredis.register_function{callback=function() end}\"",
		"FUNCTION LOAD \"#!lua name=e8\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}\"",
		"FUNCTION LOAD \"#!lua name=e9\nredis.register_function{function_name='f', callback=function() end, other=1}\"",
		"FUNCTION LOAD \"#!lua name=e10\nredis.register_function{function_name='f', callback=function() end, flags='x'}\"",
		"FUNCTION LOAD \"#!lua name=e11\nredis.register_function{function_name='f', callback=function() end, description=1}\"",
		"FUNCTION LOAD \"#!lua name=e12\nredis.call('PING')\"", "FUNCTION LOAD \"#!lua name=e13\nreturn string.len('x')\"",
		"FUNCTION LOAD \"#!lua name=e14\nerror('bad')\"",
		"FUNCTION LOAD \"#!lua name=x\nredis.register_function('f', function() return 1 end)\"",
		"FUNCTION LOAD \"#!lua name=y\nredis.register_function('f', function() return 2 end)\"",
		"FCALL f 0", "FUNCTION LOAD \"#!lua name=x\nredis.register_function('g', function(k, a) return {#k, #a, a[1]} end)\"",
		"FUNCTION LOAD REPLACE \"#!lua name=x\nredis.register_function('g', function(k, a) return {#k, #a, a[1]} end)\"",
		"FCALL g 1 a b c", "FCALL f 0",
		"FUNCTION LOAD \"#!lua name=z\nredis.register_function('e', function() error('boom') end)\"", "FCALL e 0",
		"FUNCTION LOAD \"#!lua name=w\nredis.register_function('c', function() return redis.call('nosuch') end)\"", "FCALL c 0",
		"FUNCTION LOAD \"#!lua name=v\nredis.register_function('gv', function() return gv2 end)\"", "FCALL gv 0",
		"FUNCTION KILL", "FUNCTION FLUSH bogus", "FUNCTION FLUSH SYNC", "FUNCTION LIST", "FUNCTION FLUSH ASYNC", "FUNCTION FLUSH",
		"FUNCTION STATS", "FUNCTION RESTORE x", "FUNCTION RESTORE x bogus", "FUNCTION RESTORE a b c", "FUNCTION restore a b c",
		"FUNCTION FLUSH sync x", "FUNCTION FLUSH bogus", "SCRIPT FLUSH sync x",
	}
}
