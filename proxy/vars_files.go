package proxy

// DocumentRoot is $document_root: the level's root or alias, evaluated
// (directives.FileRequest).
func (x *exchange) DocumentRoot() []byte {
	if x.conf == nil {
		return nil
	}
	return x.value(x.conf.Root)
}

// RequestFilename is $request_filename: the file the current URI maps to
// (directives.FileRequest).
func (x *exchange) RequestFilename() []byte {
	if x.conf == nil {
		return nil
	}
	return x.keepString(x.mapPath(x.uri))
}
