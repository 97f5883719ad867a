//go:build !(cgo && linux)

package proxy

// libcCrypt: a build without cgo has no C library crypt; schemes other
// than nginx's own fail (the request gets 500, as a crypt failure).
func libcCrypt(string, string) (string, error) { return "", errCryptUnsupported }
