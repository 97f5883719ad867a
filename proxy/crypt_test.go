package proxy

import "testing"

// TestNgxCrypt: nginx's own schemes computed here, the C library's through
// crypt_r; the expected hashes were made by openssl passwd and Python's
// crypt (libxcrypt).
func TestNgxCrypt(t *testing.T) {
	for _, c := range []struct{ key, hash string }{
		{"wonderland", "$apr1$Ab3dEf9h$Jtd6sxvQso2zJ4K8gv/3p/"},
		{"secret", "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"},
		{"builder", "{SHA}9SMYoF5RilWWASry7TjeaKwmpGg="},
		{"carol-pw", "{PLAIN}carol-pw"},
		{"davepw", "{SSHA}wGvilhCj1cL8P+v6K+T32YLWkzRzYWx0c2FsdA=="},
	} {
		got, err := ngxCrypt(c.key, c.hash)
		if err != nil || got != c.hash {
			t.Errorf("%q with %q: %q, %v", c.key, c.hash, got, err)
		}
	}
	if got, _ := ngxCrypt("wrong", "$apr1$Ab3dEf9h$Jtd6sxvQso2zJ4K8gv/3p/"); got == "$apr1$Ab3dEf9h$Jtd6sxvQso2zJ4K8gv/3p/" {
		t.Error("a wrong password gave the hash")
	}
}

// TestFindUser: ngx_http_auth_basic_handler's reading of a password file.
func TestFindUser(t *testing.T) {
	file := []byte("# comment\n\nalice:h1\nalicex:h2\n\rbob:h3\ncarol:h4:comment\r\ndave:h5")
	for user, want := range map[string]string{"alice": "h1", "alicex": "h2", "carol": "h4", "dave": "h5", "bob": "", "alic": "", "x": ""} {
		got, ok := findUser(file, []byte(user))
		if got != want || ok != (want != "") {
			t.Errorf("%s: %q %v, want %q", user, got, ok, want)
		}
	}
}
