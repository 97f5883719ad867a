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
