package directives

import "path/filepath"

// FileRequest is implemented by a Request whose levels map URIs to files
// (root, alias): it gives $document_root, $realpath_root and
// $request_filename. A Request without it leaves them not found.
type FileRequest interface {
	// DocumentRoot is the current level's root or alias, evaluated and
	// made absolute against the prefix ($document_root).
	DocumentRoot() []byte
	// RequestFilename is the file the current URI maps to under the
	// current level's root or alias ($request_filename,
	// ngx_http_map_uri_to_path).
	RequestFilename() []byte
}

func getDocumentRoot(s *State, _ *varDef) ([]byte, bool) {
	fr, ok := s.r.(FileRequest)
	if !ok {
		return nil, false
	}
	return nonNil(fr.DocumentRoot(), true)
}

func getRequestFilename(s *State, _ *varDef) ([]byte, bool) {
	fr, ok := s.r.(FileRequest)
	if !ok {
		return nil, false
	}
	return nonNil(fr.RequestFilename(), true)
}

// getRealpathRoot is $document_root with symbolic links resolved
// (realpath(3)); not found when the root does not exist.
func getRealpathRoot(s *State, _ *varDef) ([]byte, bool) {
	fr, ok := s.r.(FileRequest)
	if !ok {
		return nil, false
	}
	real, err := filepath.EvalSymlinks(string(fr.DocumentRoot()))
	if err != nil {
		return nil, false
	}
	return s.str(real)
}
