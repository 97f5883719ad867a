package proxy

import (
	"time"

	"github.com/nginxws/nginxws/proxy/http1"
)

// emptyGIFBody is ngx_empty_gif: a 1x1 GIF89a whose one pixel is
// transparent.
var emptyGIFBody = [43]byte{
	'G', 'I', 'F', '8', '9', 'a', // header
	0x01, 0x00, 0x01, 0x00, // logical screen 1x1
	0x80, 0x01, 0x00, // global 1-bit color table, background #1, no aspect ratio
	0x00, 0x00, 0x00, 0xff, 0xff, 0xff, // color table: black, white
	0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x01, 0x00, // graphic control: color #1 transparent
	0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, // image descriptor 1x1
	0x02, 0x02, 0x4c, 0x01, 0x00, // LZW data: clear, 1, end
	0x3b, // trailer
}

// emptyGIFModified is the Last-Modified nginx gives the empty GIF
// (23349600: Mon, 28 Sep 1970 06:00:00 GMT).
var emptyGIFModified = time.Unix(23349600, 0)

// emptyGIF is ngx_http_empty_gif_handler: GET and HEAD get the GIF
// through ngx_http_send_response (type image/gif whatever the types map
// says, a Last-Modified, so that If-Modified-Since gets a 304; no ETag,
// no ranges); other methods 405.
func (x *exchange) emptyGIF() {
	if x.methodCode != http1.MethodGET && x.methodCode != http1.MethodHEAD {
		x.finalize(405)
		return
	}
	if st := x.discardRequestBody(); st != 0 {
		x.finalize(st)
		return
	}
	o := &x.out
	x.status = 200
	o.setContentType([]byte("image/gif"))
	o.contentLength = int64(len(emptyGIFBody))
	o.lastModified = emptyGIFModified
	// A copy: a filter may change the body in place. The not-modified
	// filter (sendHead) may make the answer a 304 or a 412.
	x.sendWhole(x.keep(emptyGIFBody[:]))
}
