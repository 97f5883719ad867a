package http1

// Limits are the per-server settings that govern reading a request head,
// named after the nginx directives they carry. Start from [DefaultLimits]:
// the zero value turns the boolean defaults off (a zero size, though, means
// nginx's default size).
type Limits struct {
	// HeaderBufferSize is client_header_buffer_size: the first buffer a
	// request head is read into (nginx: 1k).
	HeaderBufferSize int
	// LargeHeaderBufferSize and LargeHeaderBuffers are
	// large_client_header_buffers (nginx: 4 8k). A request line longer
	// than one large buffer gets 414; a header line longer than one, or a
	// head needing more buffers, gets 494.
	LargeHeaderBufferSize int
	LargeHeaderBuffers    int
	// IgnoreInvalidHeaders is ignore_invalid_headers (nginx: on): header
	// lines whose name has bytes other than letters, digits and '-' (and
	// '_' with UnderscoresInHeaders) are dropped; off, they are kept.
	IgnoreInvalidHeaders bool
	// UnderscoresInHeaders is underscores_in_headers (nginx: off).
	UnderscoresInHeaders bool
	// MergeSlashes is merge_slashes (nginx: on): "//" in the path counts as
	// "/" in the normalised URI.
	MergeSlashes bool
	// MaxHeaders is max_headers, Debian's backport to nginx 1.22: the
	// header lines a head may have (those IgnoreInvalidHeaders drops not
	// counted); one more is a 494, "client sent too many header lines".
	// Zero or less means none at all.
	MaxHeaders int
	// VirtualServer, when set, is called once the request's host is known
	// (from an absolute request URI or the Host header, validated and
	// lower-cased) and returns the limits of the server that name selects,
	// or nil to keep these. As in nginx, the rest of the head is read with
	// the selected server's settings.
	VirtualServer func(host []byte) *Limits
}

// DefaultLimits returns nginx 1.22's defaults.
func DefaultLimits() Limits {
	return Limits{
		HeaderBufferSize:      1024,
		LargeHeaderBufferSize: 8192,
		LargeHeaderBuffers:    4,
		IgnoreInvalidHeaders:  true,
		MergeSlashes:          true,
		MaxHeaders:            1000,
	}
}

func (l *Limits) headerBufferSize() int {
	if l.HeaderBufferSize > 0 {
		return l.HeaderBufferSize
	}
	return 1024
}

func (l *Limits) largeSize() int {
	if l.LargeHeaderBufferSize > 0 {
		return l.LargeHeaderBufferSize
	}
	return 8192
}

func (l *Limits) largeCount() int {
	if l.LargeHeaderBuffers > 0 {
		return l.LargeHeaderBuffers
	}
	return 4
}
