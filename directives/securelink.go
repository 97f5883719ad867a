package directives

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/nginxws/nginxws/parser"
)

// SecureLink is a level's ngx_http_secure_link_module settings: Variable
// ("hash" or "hash,expires") and MD5 (the text whose MD5 the hash must
// be), or the older Secret (a URI /prefix/hash/link whose hash is the MD5
// of link and Secret). They give $secure_link and $secure_link_expires.
type SecureLink struct {
	Variable, MD5 *Complex
	Secret        string
}

// SecureLinkRequest is implemented by a request that knows its location's
// secure_link settings (nil: none).
type SecureLinkRequest interface {
	SecureLink() *SecureLink
}

// The module's variables join the builtins once the package is
// initialised: their getters evaluate values, which may read builtins, so
// a plain initializer of the table would be a cycle (as for byName).
func init() {
	builtins["secure_link"] = builtin{get: getSecureLink}
	builtins["secure_link_expires"] = builtin{get: getSecureLinkExpires}
}

// setSecureLinkSecret is secure_link_secret (ngx_conf_set_str_slot).
func (l *loader) setSecureLinkSecret(d *parser.Directive, sc *scope) error {
	if sc.loc.mark(d.Name) {
		return l.dup(d)
	}
	sc.loc.secureLinkSecret = d.Args[0].Value
	sc.loc.secureLinkSecretSet = true
	return nil
}

// mergeSecureLink is ngx_http_secure_link_merge_conf: a level with a
// secret takes none of the other two (and may not set them); otherwise
// it inherits what it does not set, and the secret when it sets neither.
func (c *LocConf) mergeSecureLink(p *LocConf, end parser.Pos) error {
	if c.secureLinkSecretSet {
		if c.set["secure_link"] || c.set["secure_link_md5"] {
			return errAt(end, `"secure_link_secret" cannot be mixed with "secure_link" and "secure_link_md5"`)
		}
		c.SecureLink = &SecureLink{Secret: c.secureLinkSecret}
		return nil
	}
	var own SecureLink
	if c.set["secure_link"] {
		own.Variable = c.secureLinkVariable
	} else if p.SecureLink != nil {
		own.Variable = p.SecureLink.Variable
	}
	if c.set["secure_link_md5"] {
		own.MD5 = c.secureLinkMD5
	} else if p.SecureLink != nil {
		own.MD5 = p.SecureLink.MD5
	}
	if own.Variable == nil && own.MD5 == nil && p.SecureLink != nil {
		own.Secret = p.SecureLink.Secret
	}
	if own.Variable != nil || own.MD5 != nil || own.Secret != "" {
		c.SecureLink = &own
	}
	return nil
}

// getSecureLink is ngx_http_secure_link_variable: "1" for a valid hash,
// "0" for a valid one past its expiry time, not found otherwise; with a
// secret, the link part of a valid /prefix/hash/link URI.
func getSecureLink(s *State, _ *varDef) ([]byte, bool) {
	var sl *SecureLink
	if r, ok := s.r.(SecureLinkRequest); ok {
		sl = r.SecureLink()
	}
	if sl == nil {
		return nil, false
	}
	if sl.Secret != "" {
		return secureLinkOld(s.r.RequestURI(), sl.Secret)
	}
	if sl.Variable == nil || sl.MD5 == nil {
		return nil, false
	}
	val := s.Value(sl.Variable)
	var expires int64
	if i := bytes.IndexByte(val, ','); i >= 0 {
		exp := val[i+1:]
		val = val[:i]
		n, ok := atotm(exp)
		if !ok || n <= 0 {
			return nil, false
		}
		expires = n
		s.secureLinkExpires, s.secureLinkExpiresSet = exp, true
	}
	if len(val) > 24 {
		return nil, false
	}
	// ngx_decode_base64url: the text up to a "=" in the URL alphabet,
	// trailing bits not checked.
	if i := bytes.IndexByte(val, '='); i >= 0 {
		val = val[:i]
	}
	hash, err := base64.RawURLEncoding.DecodeString(string(val))
	if err != nil || len(hash) != md5.Size {
		return nil, false
	}
	sum := md5.Sum(s.Value(sl.MD5))
	if !bytes.Equal(hash, sum[:]) {
		return nil, false
	}
	if expires != 0 && expires < time.Now().Unix() {
		return s.str("0")
	}
	return s.str("1")
}

// secureLinkOld is ngx_http_secure_link_old_variable on the request's
// unparsed URI: after its first "/", up to the next "/", 32 hex digits
// that are the MD5 of the rest (non-empty) followed by the secret.
func secureLinkOld(uri []byte, secret string) ([]byte, bool) {
	if len(uri) < 1 {
		return nil, false
	}
	p := uri[1:]
	i := bytes.IndexByte(p, '/')
	if i < 0 {
		return nil, false
	}
	p = p[i+1:]
	j := bytes.IndexByte(p, '/')
	if j < 0 {
		return nil, false
	}
	hexHash, link := p[:j], p[j+1:]
	if len(hexHash) != 32 || len(link) == 0 {
		return nil, false
	}
	want, err := hex.DecodeString(string(hexHash))
	if err != nil {
		return nil, false
	}
	sum := md5.Sum(append(append([]byte(nil), link...), secret...))
	if !bytes.Equal(want, sum[:]) {
		return nil, false
	}
	return link, true
}

// getSecureLinkExpires is ngx_http_secure_link_expires_variable: the
// expiry time $secure_link read, once it has.
func getSecureLinkExpires(s *State, _ *varDef) ([]byte, bool) {
	return s.secureLinkExpires, s.secureLinkExpiresSet
}

// atotm is ngx_atotm: a non-negative decimal number of seconds.
func atotm(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (1<<63-1-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
