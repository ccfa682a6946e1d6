package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// layers are the packages of the module, top first: each may import only packages listed below it (see the README's
// layout). A package not listed here fails the test, so a new one must take its place in the order.
var layers = []string{
	"fleetkey",
	"fleetkey/serve",
	"fleetkey/ui",
	"fleetkey/ui/qr",
	"fleetkey/ui/qr/qrtest",
	"fleetkey/ui/safe",
	"fleetkey/ui/state",
	"fleetkey/fleet",
	"fleetkey/fleet/config",
	"fleetkey/fleet/config/configtest",
	"fleetkey/fleet/schedule",
	"fleetkey/fleet/ledger/ledgertest",
	"fleetkey/fleet/ledger",
	"fleetkey/fleet/ledger/pgtest",
	"fleetkey/fleet/connect",
	"fleetkey/fleet/smartcar/fakeserver",
	"fleetkey/fleet/smartcar",
	"fleetkey/policy",
}

// TestImportsFlowDown: no package imports one above it in layers (so there are no cycles), policy imports only the
// standard library, fleet/smartcar nothing of ours but policy, and only main and serve import ui.
func TestImportsFlowDown(t *testing.T) {
	pkgs := modulePackages(t)
	for pkg, imports := range pkgs {
		at := slices.Index(layers, pkg)
		if at < 0 {
			t.Errorf("package %s is not in layers: give it its place in the order", pkg)
			continue
		}
		for _, imp := range imports {
			if !strings.HasPrefix(imp, "fleetkey") {
				if pkg == "fleetkey/policy" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
					t.Errorf("%s imports %s; policy imports only the standard library", pkg, imp)
				}
				continue
			}
			if i := slices.Index(layers, imp); i <= at {
				t.Errorf("%s imports %s, which is not below it", pkg, imp)
			}
		}
	}
	if len(pkgs) < len(layers) {
		t.Errorf("found %d packages, want the %d of layers: %v", len(pkgs), len(layers), pkgs)
	}
}

// modulePackages returns the fleetkey imports of each package of the module, from its non-test files.
func modulePackages(t *testing.T) map[string][]string {
	t.Helper()
	pkgs := map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != "." {
			if err == nil {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(filepath.Join("fleetkey", filepath.Dir(path)))
		if pkg == "fleetkey/." {
			pkg = "fleetkey"
		}
		if _, ok := pkgs[pkg]; !ok {
			pkgs[pkg] = nil
		}
		for _, is := range f.Imports {
			imp, _ := strconv.Unquote(is.Path.Value)
			pkgs[pkg] = append(pkgs[pkg], imp)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}
