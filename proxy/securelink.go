package proxy

import "github.com/nginxws/nginxws/directives"

// SecureLink is the location's secure_link settings, for $secure_link.
func (x *exchange) SecureLink() *directives.SecureLink {
	if x.conf == nil {
		return nil
	}
	return x.conf.SecureLink
}
