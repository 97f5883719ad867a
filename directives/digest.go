package directives

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"

	"github.com/nginxws/nginxws/parser"
)

// blockDigest identifies what a block says: a hash of its directives'
// names and arguments (with whether each was quoted), nested blocks
// included. Included files are inlined by the parser, so their text counts;
// comments, spacing and line numbers do not. A reload compares the digests
// of the old and new servers to report which ones an edit changed.
func blockDigest(d *parser.Directive) string {
	h := sha256.New()
	digestBlock(h, d.Block)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// digestBlock feeds every statement of block to h, each field
// length-prefixed so that no two different blocks feed the same bytes.
func digestBlock(h hash.Hash, block []*parser.Directive) {
	var n [binary.MaxVarintLen64]byte
	str := func(s string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		h.Write([]byte(s))
	}
	for _, d := range block {
		str(d.Name)
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(d.Args)))])
		for _, a := range d.Args {
			if a.Quoted {
				h.Write([]byte{1})
			} else {
				h.Write([]byte{0})
			}
			str(a.Value)
		}
		if d.Block == nil {
			h.Write([]byte{';'})
			continue
		}
		h.Write([]byte{'{'})
		digestBlock(h, d.Block)
		h.Write([]byte{'}'})
	}
}
