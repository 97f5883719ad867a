package errlog

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
)

// Errno formats err as nginx appends a system error to a message:
// "98: Address already in use" — the errno number and the C library's
// text. err is searched for a syscall.Errno (os.PathError, os.SyscallError
// and net.OpError all wrap one); an error without one is returned as its
// own text.
func Errno(err error) string {
	if err == nil {
		return ""
	}
	var en syscall.Errno
	if !errors.As(err, &en) {
		return err.Error()
	}
	return strconv.Itoa(int(en)) + ": " + strerror(en)
}

// strerror returns glibc's strerror text for en. Go's texts are glibc's
// with the first letter lowered ("address already in use"), so raising it
// back gives nginx's wording.
func strerror(en syscall.Errno) string {
	s := en.Error()
	if strings.HasPrefix(s, "errno ") {
		// Go's text for a number it has no name for; glibc's wording.
		return "Unknown error " + s[len("errno "):]
	}
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
