package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// TestTempPathsOwner checks ngx_create_paths as the super-user: the temp
// directories it makes (and one that exists) are given to the workers'
// user, "nobody" without a user directive, and made rwx for it.
func TestTempPathsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only the super-user changes the owner of the temp paths")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody:", err)
	}
	nobody, _ := strconv.Atoi(u.Uid)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "old"), 0o500); err != nil {
		t.Fatal(err)
	}
	conf := "events {}\nhttp {\n    client_body_temp_path body 1;\n    proxy_temp_path old;\n    server { listen 127.0.0.1:26060; }\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runTest(t, buildNginxws(t), dir)
	if code != 0 {
		t.Fatalf("nginxws -t exits %d:\n%s", code, stderr)
	}
	for _, name := range []string{"body", "old"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; int(uid) != nobody {
			t.Errorf("%s is owned by %d, want nobody (%d)", name, uid, nobody)
		}
		if fi.Mode().Perm()&0o700 != 0o700 {
			t.Errorf("%s has mode %v, want rwx for its owner", name, fi.Mode())
		}
	}
}
