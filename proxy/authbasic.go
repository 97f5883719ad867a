package proxy

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/nginxws/nginxws/directives"
	"github.com/nginxws/nginxws/proxy/errlog"
)

// authBasic is the access phase's ngx_http_auth_basic_handler, after
// allow/deny: with auth_basic and auth_basic_user_file where the request
// is (and the realm not "off"), the Authorization header's user must be in
// the file with a hash its password gives. The file is read for each
// request, as nginx reads it. It reports false when it answered the
// request: 401 with the realm's challenge, 403 for a missing file, 500
// for an unreadable one or a hash that cannot be computed.
//
// Its result is the handler's: accessDeclined when the level does not ask,
// accessOK when the user is in, else the status (401 with the challenge
// header set, 403, 500), which the access phase applies (access).
func (x *exchange) authBasic() int {
	c := x.conf
	if c.AuthBasic == nil || c.AuthBasicUserFile == nil {
		return accessDeclined
	}
	realm := x.value(c.AuthBasic)
	if string(realm) == "off" {
		return accessDeclined
	}
	user, pass, ok := basicCredentials(x.head.Header("authorization"))
	if !ok {
		x.logEvent(levelInfo, "no user/password was provided for basic authentication", "", "")
		return x.authChallenge(realm)
	}
	path := string(x.value(c.AuthBasicUserFile))
	if !filepath.IsAbs(path) {
		path = c.AuthBasicConfPrefix + path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			x.logEvent(levelError, `open() "`+path+`" failed`, errlog.Errno(err), "")
			return 403
		}
		x.logEvent(levelCrit, `open() "`+path+`" failed`, errlog.Errno(err), "")
		return 500
	}
	hash, found := findUser(data, user)
	if !found {
		x.logEvent(levelError, `user "`+string(user)+`" was not found in "`+path+`"`, "", "")
		return x.authChallenge(realm)
	}
	enc, err := ngxCrypt(string(pass), hash)
	switch {
	case errors.Is(err, errCryptUnsupported):
		x.logEvent(levelCrit, `the password scheme of user "`+string(user)+`" in "`+path+`" needs the C library's crypt, which this build lacks`, "", "")
		return 500
	case err != nil:
		x.logEvent(levelCrit, "crypt_r() failed", errlog.Errno(err), "")
		return 500
	case enc == hash:
		return accessOK
	}
	x.logEvent(levelError, `user "`+string(user)+`": password mismatch`, "", "")
	return x.authChallenge(realm)
}

// authChallenge sets ngx_http_auth_basic_set_realm's header and returns
// 401.
func (x *exchange) authChallenge(realm []byte) int {
	v := make([]byte, 0, len(realm)+len(`Basic realm=""`))
	v = append(v, `Basic realm="`...)
	v = append(v, realm...)
	v = append(v, '"')
	x.addChallenge(wwwAuthenticate, v)
	return 401
}

// basicCredentials is the user and password of the Authorization header
// (directives.AppendBasicAuth, as $remote_user reads it).
func basicCredentials(h []byte, ok bool) (user, pass []byte, found bool) {
	if !ok {
		return nil, nil, false
	}
	auth, n, ok := directives.AppendBasicAuth(nil, h)
	if !ok {
		return nil, nil, false
	}
	return auth[:n], auth[n+1:], true
}

// findUser scans a password file as ngx_http_auth_basic_handler does: a
// line that starts with "#" or CR is skipped; one that starts with the
// user and ":" gives the hash, up to a LF, CR, ":" or the end.
func findUser(data, user []byte) (string, bool) {
	const (
		swLogin = iota
		swPasswd
		swSkip
	)
	state, login, passwd := swLogin, 0, 0
	for i := 0; i < len(data); i++ {
		b := data[i]
		switch state {
		case swLogin:
			if login == 0 {
				if b == '#' || b == '\r' {
					state = swSkip
					continue
				}
				if b == '\n' {
					continue
				}
			}
			want := byte(':')
			if login < len(user) {
				want = user[login]
			}
			if b != want {
				state = swSkip
				continue
			}
			if login == len(user) {
				state, passwd = swPasswd, i+1
			}
			login++
		case swPasswd:
			if b == '\n' || b == '\r' || b == ':' {
				return string(data[passwd:i]), true
			}
		case swSkip:
			if b == '\n' {
				state, login = swLogin, 0
			}
		}
	}
	if state == swPasswd {
		return string(data[passwd:]), true
	}
	return "", false
}
