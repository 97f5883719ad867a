//go:build cgo && linux

package proxy

/*
#cgo LDFLAGS: -lcrypt
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>

static char *nginxws_crypt(const char *key, const char *salt, struct crypt_data *data, int *err) {
	errno = 0;
	char *v = crypt_r(key, salt, data);
	*err = errno;
	return v;
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

// libcCrypt is ngx_libc_crypt: the C library's crypt_r, so that every
// scheme it knows (DES, $1$, $5$, $6$, bcrypt, yescrypt, …) is checked as
// nginx checks it. A NULL answer is nginx's "crypt_r() failed".
func libcCrypt(key, salt string) (string, error) {
	ck, cs := C.CString(key), C.CString(salt)
	defer C.free(unsafe.Pointer(ck))
	defer C.free(unsafe.Pointer(cs))
	data := (*C.struct_crypt_data)(C.calloc(1, C.sizeof_struct_crypt_data))
	defer C.free(unsafe.Pointer(data))
	var errno C.int
	v := C.nginxws_crypt(ck, cs, data, &errno)
	if v == nil {
		return "", &cryptError{syscall.Errno(errno)}
	}
	return C.GoString(v), nil
}

// cryptError is crypt_r's failure, worded as nginx logs it.
type cryptError struct{ errno syscall.Errno }

func (e *cryptError) Error() string { return "crypt_r() failed" }
func (e *cryptError) Unwrap() error { return e.errno }
