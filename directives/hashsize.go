package directives

import (
	"strings"

	"github.com/nginxws/nginxws/parser"
)

// nginx keeps an address's server names in hash tables built by
// ngx_hash_init, sized by server_names_hash_bucket_size and
// server_names_hash_max_size. nginxws looks names up its own way, but the
// building can fail or warn in nginx, and a configuration nginx rejects
// must be rejected here too: a name too long for a bucket is the [emerg]
// "could not build server_names_hash, you should increase
// server_names_hash_bucket_size: 64" many users meet, and too many names
// for the table size the [warn] "could not build optimal ...".

// cacheLine is ngx_cacheline_size on the x86-64 and arm64 builds: the
// bucket size's default and alignment.
const cacheLine = 64

// setNamesHashSize reads server_names_hash_bucket_size and
// server_names_hash_max_size (ngx_conf_set_num_slot).
func (l *loader) setNamesHashSize(d *parser.Directive, _ *scope) error {
	return l.setHashSize(d, l.http.namesHash)
}

// setMapHashSize reads map_hash_bucket_size and map_hash_max_size.
func (l *loader) setMapHashSize(d *parser.Directive, _ *scope) error {
	return l.setHashSize(d, l.http.mapHash)
}

// setHashSize is ngx_conf_set_num_slot for a hash size setting.
func (l *loader) setHashSize(d *parser.Directive, sizes map[string]int64) error {
	if _, ok := sizes[d.Name]; ok {
		return l.dup(d)
	}
	n, err := l.num(d)
	if err != nil {
		return err
	}
	sizes[d.Name] = n
	return nil
}

// isWildcardName reports whether a server name goes to nginx's wildcard
// hashes ("*.example.com", ".example.com", "www.example.*") rather than
// the exact one (ngx_hash_add_key's forms).
func isWildcardName(name string) bool {
	return len(name) > 1 && name[0] == '.' ||
		len(name) > 2 && (strings.HasPrefix(name, "*.") || strings.HasSuffix(name, ".*"))
}

// hashEltSize is NGX_HASH_ELT_SIZE for a key of n bytes.
func hashEltSize(n int64) int64 { return 8 + align(n+2, 8) }

// align is ngx_align (a is a power of two), in ngx_uint_t arithmetic: a
// bucket size near 2^63 wraps, and nginx prints the result with %i
// ("too large referer_hash_bucket_size: -9223372036854775808").
func align(n, a int64) int64 { return int64((uint64(n) + uint64(a-1)) &^ uint64(a-1)) }

// hashKey is ngx_hash_key: key = key*31 + byte, wrapping as ngx_uint_t.
func hashKey(s string) uint64 {
	var k uint64
	for i := 0; i < len(s); i++ {
		k = k*31 + uint64(s[i])
	}
	return k
}

// checkNamesHash runs ngx_hash_init's checks for one address's names, as
// ngx_http_server_names does: the exact names' hash (its bucket check,
// its size search and the warning when none fits), then the wildcard
// hashes, whose elements are the names' labels. The wildcard hashes' own
// size search is not reproduced: it needs hundreds of wildcard names
// under one label to warn.
func (l *loader) checkNamesHash(exact, wild []string) error {
	bucket, ok := l.http.namesHash["server_names_hash_bucket_size"]
	if !ok {
		bucket = cacheLine
	}
	max, ok := l.http.namesHash["server_names_hash_max_size"]
	if !ok {
		max = 512
	}
	return l.checkHash("server_names_hash", align(bucket, cacheLine), max, exact, wild)
}

// checkHash runs ngx_hash_init's checks on the keys of the hash nginx
// names name (its messages' word): exact keys first, then the labels of
// the wildcard keys.
func (l *loader) checkHash(name string, bucket, max int64, exact, wild []string) error {
	fail := func(what string, v int64) error {
		return errAt(parser.Pos{}, "could not build %s, you should increase %s_%s: %d", name, name, what, v)
	}
	build := func(keys []string) error { return hashInitCheck(name, bucket, max, keys) }
	if err := build(exact); err != nil {
		return err
	}
	if len(exact) > 0 {
		size, found := hashSize(exact, bucket, max)
		if !found {
			l.cfg.Warnings = append(l.cfg.Warnings, Diag{Msg: "could not build optimal " + name + ", you should increase either " + name + "_max_size: " +
				itoa(int(max)) + " or " + name + "_bucket_size: " + itoa(int(bucket)) + "; ignoring " + name + "_bucket_size"})
		}
		fill := make([]int64, size)
		for _, k := range exact {
			i := hashKey(k) % uint64(size)
			if fill[i] == 0 {
				fill[i] = 8
			}
			fill[i] += hashEltSize(int64(len(k)))
			if fill[i] > 65536-cacheLine {
				return fail("max_size", max)
			}
		}
	}
	var labels []string
	for _, w := range wild {
		labels = append(labels, strings.FieldsFunc(strings.Trim(w, "*"), func(r rune) bool { return r == '.' })...)
	}
	return build(labels)
}

// hashInitCheck makes ngx_hash_init's first checks for keys (none when
// there are no keys): a max size of 0, a bucket size too large, or too
// small for a key.
func hashInitCheck(name string, bucket, max int64, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	if max == 0 {
		return errAt(parser.Pos{}, "could not build %s, you should increase %s_max_size: %d", name, name, max)
	}
	if uint64(bucket) > 65536-cacheLine {
		return errAt(parser.Pos{}, "could not build %s, too large %s_bucket_size: %d", name, name, bucket)
	}
	for _, k := range keys {
		if bucket < hashEltSize(int64(len(k)))+8 {
			return errAt(parser.Pos{}, "could not build %s, you should increase %s_bucket_size: %d", name, name, bucket)
		}
	}
	return nil
}

// hashSize is ngx_hash_init's search for the smallest table size, from its
// estimate up to max, in which no bucket overflows; found is false when
// none does (nginx then uses max and warns).
func hashSize(keys []string, bucket, max int64) (int64, bool) {
	room := bucket - 8
	start := int64(len(keys)) / (room / 16)
	if start == 0 {
		start = 1
	}
	if max > 10000 && max/int64(len(keys)) < 100 {
		start = max - 1000
	}
	hashes := make([]uint64, len(keys))
	for i, k := range keys {
		hashes[i] = hashKey(k)
	}
	var fill []int64
	for size := start; size <= max; size++ {
		if int64(cap(fill)) < size {
			fill = make([]int64, size, 2*size)
		}
		fill = fill[:size]
		clear(fill)
		fits := true
		for i, k := range keys {
			j := hashes[i] % uint64(size)
			fill[j] += hashEltSize(int64(len(k)))
			if fill[j] > room {
				fits = false
				break
			}
		}
		if fits {
			return size, true
		}
	}
	return max, false
}
