module github.com/meshcache/meshcache/tests/bench/lockbench

go 1.26.0

require (
	github.com/go-redsync/redsync/v4 v4.13.0
	github.com/meshcache/meshcache v0.0.0
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/buraksezer/consistent v1.0.0 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/hashicorp/errwrap v1.1.0 // indirect
	github.com/hashicorp/go-multierror v1.1.1 // indirect
	github.com/tidwall/btree v1.1.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/redcon v1.6.2 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

replace github.com/meshcache/meshcache => ../../..
