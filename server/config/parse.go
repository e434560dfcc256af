package config

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Parse builds a Config from defaults, the config file named by
// --config, the environment and the command line flags, in that order of
// precedence (flags win). lookupEnv is os.LookupEnv outside tests. With
// --help it writes the usage to out and returns flag.ErrHelp.
func Parse(args []string, lookupEnv func(string) (string, bool), out io.Writer) (Config, error) {
	cfg := Default()
	fs := flag.NewFlagSet("meshcache", flag.ContinueOnError)
	fs.SetOutput(out)
	type setting struct{ name, value string }
	var fromFlags []setting
	configFile := fs.String("config", "", "redis.conf style `file` of name value lines")
	for _, p := range params {
		if p.usage == "" {
			continue
		}
		fs.Var(&flagValue{p: p, record: func(v string) { fromFlags = append(fromFlags, setting{p.name, v}) }}, p.name, p.usage+" (default "+quoteDefault(p.get(&cfg))+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: meshcache [flags]\n\nA distributed in-memory cache that speaks the Redis protocol.\n"+
			"Settings come from flags, then MESHCACHE_<NAME> environment variables (e.g. MESHCACHE_MAXMEMORY),\n"+
			"then the --config file, then defaults.\n\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  --%s %s\n    \t%s\n", f.Name, arg, usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		if err := cfg.loadFile(*configFile); err != nil {
			return cfg, err
		}
		cfg.File = *configFile
	}
	for _, p := range params {
		if p.usage == "" {
			continue
		}
		env := "MESHCACHE_" + strings.ToUpper(strings.ReplaceAll(p.name, "-", "_"))
		if v, ok := lookupEnv(env); ok {
			if err := p.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("environment %s: %w", env, err)
			}
		}
	}
	for _, s := range fromFlags {
		if err := paramsByName[s.name].set(&cfg, s.value); err != nil {
			return cfg, fmt.Errorf("flag --%s: %w", s.name, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func quoteDefault(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// loadFile applies a redis.conf style file: one `name value...` per line,
// # comments, values optionally in double or single quotes.
func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(text, " ")
		name = strings.ToLower(name)
		rest = strings.TrimSpace(rest)
		if len(rest) >= 2 && (rest[0] == '"' || rest[0] == '\'') && rest[len(rest)-1] == rest[0] {
			rest = rest[1 : len(rest)-1]
		}
		p := paramsByName[name]
		if p == nil || p.usage == "" {
			return fmt.Errorf("config file %s:%d: unknown setting %q", path, line, name)
		}
		if err := p.set(c, rest); err != nil {
			return fmt.Errorf("config file %s:%d: %s: %w", path, line, name, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// flagValue adapts a param to the flag package. It only records the value:
// flags are applied last, after the file and the environment.
type flagValue struct {
	p      *Setting
	record func(string)
}

func (f *flagValue) String() string { return "" }

func (f *flagValue) Set(v string) error {
	var probe Config
	if err := f.p.set(&probe, v); err != nil {
		return err
	}
	f.record(v)
	return nil
}

func (f *flagValue) IsBoolFlag() bool { return f.p.isBool }
