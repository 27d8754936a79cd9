package hub_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The shape the code keeps: imports flow one way (the hub's stores know
// nothing of the connectors or the HTTP surface; tickets and configs stand
// almost alone), no package grows past a size a newcomer can read, no type
// gathers every feature, and deploy/ holds no Go.

const module = "github.com/kefu-hub/kefu"

// Limits: production lines per package, methods per type.
const (
	maxPackageLines = 2500
	maxTypeMethods  = 40
)

type pkg struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	if len(ps) < 20 {
		t.Fatalf("go list found %d packages: run from the module", len(ps))
	}
	return ps
}

func rel(p string) string { return strings.TrimPrefix(strings.TrimPrefix(p, module), "/") }

// ours is the module's own imports of a package.
func ours(p pkg) []string {
	var out []string
	for _, i := range p.Imports {
		if strings.HasPrefix(i, module) {
			out = append(out, rel(i))
		}
	}
	return out
}

func TestImportsFlowOneWay(t *testing.T) {
	for _, p := range listPackages(t) {
		name := rel(p.ImportPath)
		for _, imp := range ours(p) {
			switch {
			case strings.HasPrefix(name, "hub") && (strings.HasPrefix(imp, "connectors") || strings.HasPrefix(imp, "workbench")):
				t.Errorf("%s imports %s: the hub's stores know nothing of the connectors or the HTTP surface", name, imp)
			case strings.HasPrefix(name, "connectors") && strings.HasPrefix(imp, "workbench"):
				t.Errorf("%s imports %s: connectors know nothing of the workbench", name, imp)
			case name == "configs":
				t.Errorf("configs imports %s: the configuration imports nothing of ours", imp)
			case name == "tickets" && imp != "hub" && imp != "hub/store":
				t.Errorf("tickets imports %s: tickets stands on the model and the kernel only", imp)
			case strings.HasPrefix(imp, "deploy"):
				t.Errorf("%s imports %s: deploy/ holds deployment files, no Go", name, imp)
			}
		}
		if strings.HasPrefix(name, "deploy") {
			t.Errorf("package %s: deploy/ holds deployment files, no Go", name)
		}
	}
}

func TestPackagesAndTypesStaySmall(t *testing.T) {
	var report []string
	for _, p := range listPackages(t) {
		lines, methods := 0, map[string]int{}
		for _, f := range p.GoFiles {
			path := filepath.Join(p.Dir, f)
			lines += countLines(t, path)
			countMethods(t, path, methods)
		}
		name := rel(p.ImportPath)
		if name == "" {
			name = "(main)"
		}
		if lines > maxPackageLines {
			t.Errorf("package %s has %d lines of production Go, more than %d: split it by noun", name, lines, maxPackageLines)
		}
		top, topN := "", 0
		for typ, n := range methods {
			if n > maxTypeMethods {
				t.Errorf("type %s.%s has %d methods, more than %d: split it", name, typ, n, maxTypeMethods)
			}
			if n > topN {
				top, topN = typ, n
			}
		}
		report = append(report, name+": "+itoa(lines)+" lines; largest type "+top+" ("+itoa(topN)+" methods)")
	}
	sort.Strings(report)
	t.Log("\n" + strings.Join(report, "\n"))
}

func countLines(t *testing.T, path string) int {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		n++
	}
	return n
}

func countMethods(t *testing.T, path string, methods map[string]int) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
			continue
		}
		typ := fn.Recv.List[0].Type
		if s, ok := typ.(*ast.StarExpr); ok {
			typ = s.X
		}
		if g, ok := typ.(*ast.IndexExpr); ok {
			typ = g.X
		}
		if id, ok := typ.(*ast.Ident); ok {
			methods[id.Name]++
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
