package proxy

import "github.com/nginxws/nginxws/directives"

// Referers is the valid_referers of the level the request is at, for
// $invalid_referer (directives.RefererRequest).
func (x *exchange) Referers() *directives.Referers {
	if x.conf == nil {
		return nil
	}
	return x.conf.Referers
}

// SecureLink is the location's secure_link settings, for $secure_link.
func (x *exchange) SecureLink() *directives.SecureLink {
	if x.conf == nil {
		return nil
	}
	return x.conf.SecureLink
}
