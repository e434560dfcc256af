package tests

import (
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDesignImportArrows keeps docs/DESIGN.md §2's import arrows true: every
// package of the module (but the tests' own) is named on the left of one
// arrow, and each arrow names exactly what its packages import of ours, as
// `go list` says. A package that gains or loses an import of ours, or a new
// package, fails here until the design says so.
func TestDesignImportArrows(t *testing.T) {
	doc, err := os.ReadFile("../docs/DESIGN.md")
	require.NoError(t, err)
	arrows := parseArrows(t, string(doc))

	const module = "github.com/meshcache/meshcache"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, module+"/...").Output()
	require.NoError(t, err, "go list")
	actual := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		if pkg == "" || pkg == "tests" || strings.HasPrefix(pkg, "tests/") {
			continue
		}
		var ours []string
		for _, imp := range fields[1:] {
			if rest, ok := strings.CutPrefix(imp, module+"/"); ok {
				ours = append(ours, rest)
			}
		}
		slices.Sort(ours)
		actual[pkg] = ours
	}
	for pkg, imports := range actual {
		named, ok := arrows[pkg]
		if !assert.True(t, ok, "%s is on no arrow in DESIGN §2; it imports %s", pkg, arrowText(imports)) {
			continue
		}
		assert.Equal(t, arrowText(imports), arrowText(named), "DESIGN §2's arrow for %s", pkg)
	}
	for pkg := range arrows {
		_, ok := actual[pkg]
		assert.True(t, ok, "DESIGN §2 has an arrow for %s, which is not a package of the module", pkg)
	}
}

// arrowText is an arrow's right side as the design writes a set of imports.
func arrowText(imports []string) string {
	if len(imports) == 0 {
		return "nothing of ours"
	}
	return strings.Join(imports, ", ")
}

// parseArrows reads the arrows block of DESIGN §2: lines "a, b -> c, d"
// whose sides may run over several lines (a continued right side is
// indented; a left side continues on unindented lines up to its "->").
// On the right, a parenthesized remark is commentary, "x/{a,b}" names
// x/a and x/b, and "nothing of ours" names none. It returns each package
// on a left side with the sorted packages its arrow names.
func parseArrows(t *testing.T, doc string) map[string][]string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, "Arrows point down only")
	require.True(t, ok, "DESIGN.md has no arrows block")
	_, rest, ok = strings.Cut(rest, "```\n")
	require.True(t, ok)
	block, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)

	var entries []string
	cur := ""
	for _, line := range strings.Split(block, "\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' && strings.Contains(cur, "->") {
			entries = append(entries, cur)
			cur = ""
		}
		cur += " " + strings.TrimSpace(line)
	}
	if cur != "" {
		entries = append(entries, cur)
	}

	remark := regexp.MustCompile(`\([^)]*\)`)
	braces := regexp.MustCompile(`^(.*)/\{([^}]*)\}$`)
	arrows := map[string][]string{}
	for _, e := range entries {
		left, right, ok := strings.Cut(e, "->")
		require.True(t, ok, "arrow without ->: %q", e)
		var named []string
		if strings.TrimSpace(right) != "nothing of ours" {
			for _, item := range strings.Split(remark.ReplaceAllString(right, ""), ", ") {
				item = strings.TrimSpace(item)
				if item == "" {
					continue
				}
				if m := braces.FindStringSubmatch(item); m != nil {
					for _, leaf := range strings.Split(m[2], ",") {
						named = append(named, m[1]+"/"+leaf)
					}
					continue
				}
				named = append(named, item)
			}
		}
		slices.Sort(named)
		for _, pkg := range strings.Split(left, ",") {
			pkg = strings.TrimSpace(pkg)
			require.NotEmpty(t, pkg, "arrow with an empty package: %q", e)
			_, dup := arrows[pkg]
			require.False(t, dup, "%s has two arrows", pkg)
			arrows[pkg] = named
		}
	}
	return arrows
}
