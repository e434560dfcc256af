// Package config owns a node's configuration: the one Config, its defaults,
// how it is read at start and the facts of every setting.
//
// Precedence. Parse fills a Config from, in decreasing order of precedence:
// command line flags (--maxmemory 1gb), then the environment
// (MESHCACHE_<NAME>: the setting's name upper-cased with - as _, e.g.
// MESHCACHE_MAXMEMORY), then the redis.conf style file named by --config,
// then Default. Validate then checks the settings against each other.
//
// The table. The settings table (settings.go) is the single source of every
// setting's facts: its name and Redis's aliases, its default (shown by
// --help, read from Default through the setting's get), how text is parsed
// and range-checked (one set function for flags, environment, file and
// CONFIG SET, whose error text is CONFIG SET's reason), how CONFIG GET shows
// it, whether CONFIG SET may change it at run time, and whether its value is
// secret. CONFIG GET, SET and RESETSTAT (command.go) read the table
// through Matching and ChangeAll; the front end (server/configcmd.go, as
// Host) applies an accepted change to the running server. Neither keeps a
// list of settings of its own.
//
// Adding a setting: add the field to Config (with its default in Default if
// it is not the zero value), add one row to the table with a usage (which
// makes it a flag, an environment variable and a config file setting), mark
// it mutable only if the server applies a change at run time (then make
// CONFIG SET apply it, in server/configcmd.go), and add a cross-setting
// check to Validate if it has one. Nothing else lists settings.
//
// config sits below server and above cluster, store and server/commands (it
// reads the gossip profiles' timings, converts to the store's settings and
// has CONFIG's table entries); none of them imports it.
package config
