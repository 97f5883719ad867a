package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nginxws/nginxws/directives"
)

// reloadSummary is the [notice] a successful reload logs: how long it took
// and what changed — files (content), servers (their block's text,
// included files inlined) and upstream blocks (their peers and settings):
//
//	reconfigured in 2.41ms; files: 1 changed (/etc/nginx/conf.d/app.conf);
//	servers: 1 changed (app.example.com 0.0.0.0:80); upstreams unchanged
//
// (one line in the log). nginx logs nothing like it; an operator who
// lets nginxws reload on file change needs to see what each reload did.
func reloadSummary(old, cur *directives.Config, took time.Duration) string {
	return "reconfigured in " + took.Round(10*time.Microsecond).String() +
		"; " + diffFiles(old, cur).text("files") +
		"; " + diffServers(old, cur).text("servers") +
		"; " + diffUpstreams(old, cur).text("upstreams")
}

// delta lists what was added, removed and changed, each in config order.
type delta struct {
	changed, added, removed []string
}

// text renders a delta as "NOUN: 1 changed (a), 2 added (b, c)", or
// "NOUN unchanged"; each list shows at most five names.
func (d delta) text(noun string) string {
	var parts []string
	for _, g := range []struct {
		verb  string
		names []string
	}{{"changed", d.changed}, {"added", d.added}, {"removed", d.removed}} {
		if len(g.names) == 0 {
			continue
		}
		parts = append(parts, strconv.Itoa(len(g.names))+" "+g.verb+" ("+nameList(g.names)+")")
	}
	if len(parts) == 0 {
		return noun + " unchanged"
	}
	return noun + ": " + strings.Join(parts, ", ")
}

// nameList joins names, at most five of them.
func nameList(names []string) string {
	const shown = 5
	if len(names) <= shown {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:shown], ", ") + " and " + strconv.Itoa(len(names)-shown) + " more"
}

// keyed is one side of a comparison: items by key in config order, each
// with what identifies its content.
type keyed struct {
	keys    []string
	content map[string]string
}

func (k *keyed) add(key, content string) {
	if k.content == nil {
		k.content = map[string]string{}
	}
	// Two items with the same key (a file read twice, two servers with
	// the same names and addresses) are told apart by their rank.
	base := key
	for n := 2; ; n++ {
		if _, dup := k.content[key]; !dup {
			break
		}
		key = base + " #" + strconv.Itoa(n)
	}
	k.keys = append(k.keys, key)
	k.content[key] = content
}

// compare diffs two sides.
func compare(old, cur keyed) delta {
	var d delta
	for _, key := range cur.keys {
		was, ok := old.content[key]
		switch {
		case !ok:
			d.added = append(d.added, key)
		case was != cur.content[key]:
			d.changed = append(d.changed, key)
		}
	}
	for _, key := range old.keys {
		if _, ok := cur.content[key]; !ok {
			d.removed = append(d.removed, key)
		}
	}
	return d
}

// diffFiles compares the files read, by path and content.
func diffFiles(old, cur *directives.Config) delta {
	side := func(cfg *directives.Config) keyed {
		var k keyed
		seen := map[string]bool{}
		for _, f := range cfg.Files {
			if !seen[f.Path] {
				seen[f.Path] = true
				k.add(f.Path, string(f.Content))
			}
		}
		return k
	}
	return compare(side(old), side(cur))
}

// serverKey names a server by its first name and its listen addresses,
// which is how an operator finds it in the configuration.
func serverKey(s *directives.Server) string {
	name := `""`
	if len(s.Names) > 0 {
		name = s.Names[0].Name
		if s.Names[0].Regex != nil {
			name = "~" + name
		}
		if name == "" {
			name = `""`
		}
	}
	var b strings.Builder
	b.WriteString(name)
	for _, l := range s.Listens {
		b.WriteString(" " + l.Addr)
	}
	return b.String()
}

// diffServers compares the server blocks by name and addresses, and their
// content by the digest of their text.
func diffServers(old, cur *directives.Config) delta {
	side := func(cfg *directives.Config) keyed {
		var k keyed
		if cfg.HTTP != nil {
			for _, s := range cfg.HTTP.Servers {
				k.add(serverKey(s), s.Digest)
			}
		}
		return k
	}
	return compare(side(old), side(cur))
}

// diffUpstreams compares the upstream blocks (not the groups nginx makes
// for a bare proxy_pass address) by name, and by what decides the choice
// of peer: method, key, keepalive settings and every server with its
// resolved addresses and parameters — so a name that now resolves
// differently counts as a change.
func diffUpstreams(old, cur *directives.Config) delta {
	side := func(cfg *directives.Config) keyed {
		var k keyed
		if cfg.HTTP == nil {
			return k
		}
		for _, u := range cfg.HTTP.Upstreams {
			if u.Implicit {
				continue
			}
			var b bytes.Buffer
			fmt.Fprintf(&b, "%v %t %t %t %d %v %d %v|", u.Balancer, u.HashConsistent, u.RandomTwo, u.RandomLeastConn,
				u.Keepalive, u.KeepaliveTimeout, u.KeepaliveRequests, u.KeepaliveTime)
			if u.HashKey != nil {
				b.WriteString(strconv.Quote(u.HashKey.Raw))
			}
			for _, s := range u.Servers {
				fmt.Fprintf(&b, "|%q %q %d %d %v %d %t %t", s.Name, s.Addrs, s.Weight, s.MaxFails, s.FailTimeout, s.MaxConns, s.Backup, s.Down)
			}
			k.add(u.Name, b.String())
		}
		return k
	}
	return compare(side(old), side(cur))
}
