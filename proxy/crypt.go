package proxy

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"strings"
)

// errCryptUnsupported is a password scheme this build cannot compute
// (crypt_libc.go's libc crypt is missing).
var errCryptUnsupported = errors.New("password scheme not supported")

// ngxCrypt is ngx_crypt: the hash of key with the stored hash salt as its
// salt and scheme, to be compared with salt. nginx computes $apr1$,
// {PLAIN}, {SSHA} and {SHA} itself and leaves every other scheme to the C
// library's crypt_r ($1$, $5$, $6$, bcrypt, yescrypt, DES, …).
func ngxCrypt(key, salt string) (string, error) {
	switch {
	case strings.HasPrefix(salt, "$apr1$"):
		return md5Crypt(key, salt, "$apr1$"), nil
	case strings.HasPrefix(salt, "{PLAIN}"):
		return "{PLAIN}" + key, nil
	case strings.HasPrefix(salt, "{SSHA}"):
		return sshaCrypt(key, salt), nil
	case strings.HasPrefix(salt, "{SHA}"):
		h := sha1.Sum([]byte(key))
		return "{SHA}" + base64.StdEncoding.EncodeToString(h[:]), nil
	}
	return libcCrypt(key, salt)
}

// sshaCrypt is ngx_crypt_ssha: the stored value decodes to a SHA-1 hash
// and the salt that follows it.
func sshaCrypt(key, salt string) string {
	raw, err := base64.StdEncoding.DecodeString(salt[len("{SSHA}"):])
	if err != nil || len(raw) < sha1.Size {
		raw = make([]byte, sha1.Size)
	}
	h := sha1.New()
	h.Write([]byte(key))
	h.Write(raw[sha1.Size:])
	out := append(h.Sum(nil), raw[sha1.Size:]...)
	return "{SSHA}" + base64.StdEncoding.EncodeToString(out)
}

// md5Crypt is the MD5-based crypt of ngx_crypt_apr1 (Apache's $apr1$,
// the same as FreeBSD's $1$ with another magic): the salt is what
// follows the magic up to "$", at most 8 bytes.
func md5Crypt(key, salt, magic string) string {
	s := salt[len(magic):]
	if i := strings.IndexByte(s, '$'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 8 {
		s = s[:8]
	}
	ctx := md5.New()
	ctx.Write([]byte(key))
	ctx.Write([]byte(magic))
	ctx.Write([]byte(s))
	ctx1 := md5.New()
	ctx1.Write([]byte(key))
	ctx1.Write([]byte(s))
	ctx1.Write([]byte(key))
	final := ctx1.Sum(nil)
	for n := len(key); n > 0; n -= 16 {
		ctx.Write(final[:min(n, 16)])
	}
	for i := len(key); i != 0; i >>= 1 {
		if i&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write([]byte{key[0]})
		}
	}
	final = ctx.Sum(nil)
	for i := range 1000 {
		ctx1 := md5.New()
		if i&1 != 0 {
			ctx1.Write([]byte(key))
		} else {
			ctx1.Write(final)
		}
		if i%3 != 0 {
			ctx1.Write([]byte(s))
		}
		if i%7 != 0 {
			ctx1.Write([]byte(key))
		}
		if i&1 != 0 {
			ctx1.Write(final)
		} else {
			ctx1.Write([]byte(key))
		}
		final = ctx1.Sum(nil)
	}
	out := make([]byte, 0, len(magic)+len(s)+1+22)
	out = append(out, magic...)
	out = append(out, s...)
	out = append(out, '$')
	to64 := func(v uint32, n int) {
		for ; n > 0; n-- {
			out = append(out, "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[v&0x3f])
			v >>= 6
		}
	}
	f := func(a, b, c int) uint32 { return uint32(final[a])<<16 | uint32(final[b])<<8 | uint32(final[c]) }
	to64(f(0, 6, 12), 4)
	to64(f(1, 7, 13), 4)
	to64(f(2, 8, 14), 4)
	to64(f(3, 9, 15), 4)
	to64(f(4, 10, 5), 4)
	to64(uint32(final[11]), 2)
	return string(out)
}
