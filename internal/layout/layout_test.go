package layout

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/lanlq/lanlq/"

// table reads the README's layout table: folder → its "may import" cell.
func table(t *testing.T, readme string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "## Layout of the code")
	if i < 0 {
		t.Fatal("README has no layout section")
	}
	rows := map[string]string{}
	folder := regexp.MustCompile("`([^`]+)/`")
	for line := range strings.Lines(text[i:]) {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.HasPrefix(line, "| `") {
			continue
		}
		for _, m := range folder.FindAllStringSubmatch(cells[1], -1) {
			rows[m[1]] = cells[3]
		}
	}
	return rows
}

// imports returns, per folder under root holding non-test Go files, the imports of
// those files.
func imports(t *testing.T, root string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		dir = filepath.ToSlash(dir)
		if _, ok := out[dir]; !ok {
			out[dir] = nil
		}
		for _, im := range f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			out[dir] = append(out[dir], p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLayoutTable(t *testing.T) {
	rows := table(t, "../../README.md")
	pkgs := imports(t, "../..")
	if len(pkgs) < 10 {
		t.Fatalf("found only %d packages: %v", len(pkgs), pkgs)
	}
	for dir, ims := range pkgs {
		cell, ok := rows[dir]
		if !ok {
			t.Errorf("%s/ holds Go files but is not in the README's layout table", dir)
			continue
		}
		for _, im := range ims {
			switch {
			case strings.HasPrefix(im, module) && !strings.HasPrefix(dir, "bench/pqarrow"):
				if dep := strings.TrimPrefix(im, module); !strings.Contains(cell, "`"+dep+"`") {
					t.Errorf("%s/ imports %s, which its row does not allow (%s)", dir, dep, strings.TrimSpace(cell))
				}
			case strings.Contains(im, "duckdb/duckdb-go") && dir != "bench/pqarrow" && !strings.HasPrefix(dir, "bench/pqarrow/"):
				if !strings.Contains(cell, "`duckdb-go`") {
					t.Errorf("%s/ imports duckdb-go; only engine may", dir)
				}
			}
		}
	}
	for dir := range rows {
		if _, ok := pkgs[dir]; !ok && !slices.Contains([]string{"bench/pqarrow"}, dir) {
			t.Errorf("the layout table lists %s/, which holds no Go package", dir)
		}
	}
}
