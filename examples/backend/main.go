// Command demo-backend is the upstream server of nginxws's demo (`make run`):
// a page at / that opens a WebSocket to /ws on the same host, and a
// WebSocket echo at /ws. Two of them run side by side as the members of the
// demo's `upstream demo {}`, each with its own -name, so the page can show
// which member answered.
//
// The echo at /ws returns every message with its type (text or binary) and
// payload unchanged, answers pings, returns the peer's close code, accepts
// permessage-deflate when the client offers it, and accepts the first
// subprotocol the client offers. When the request has the query parameter
// greet, the backend first sends one text message "hello from NAME"; without
// it the connection is a pure echo. Every response, the 101 included, carries
// an X-Backend: NAME header.
//
// Usage:
//
//	demo-backend -listen 127.0.0.1:9001 -name backend-1
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// maxMessage bounds the size of one echoed message. The echo holds a whole
// message before writing it back (streaming it would deadlock a client that
// sends a large message before reading), so without a bound one client could
// make the demo allocate without limit. 64 MiB is far above anything the
// project's tests send.
const maxMessage = 64 << 20

//go:embed page.html
var pageHTML string

// page is parsed once; a template is safe for concurrent use.
var page = template.Must(template.New("page").Parse(pageHTML))

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "demo-backend:", err)
		os.Exit(1)
	}
}

// run parses args, listens, and serves until ctx is done. ready, if not nil,
// is called with the bound address once the listener accepts connections
// (tests pass -listen 127.0.0.1:0 and learn the port this way).
func run(ctx context.Context, args []string, stderr io.Writer, ready func(net.Addr)) error {
	fs := flag.NewFlagSet("demo-backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9001", "`address` to listen on (host:port)")
	name := fs.String("name", "", "`label` this backend reports to clients (default: the listen address)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *name == "" {
		*name = *listen
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	logger := log.New(stderr, *name+": ", log.LstdFlags)
	srv := &http.Server{
		Handler:           newHandler(*name, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          logger,
	}
	logger.Printf("listening on %s", ln.Addr())
	if ready != nil {
		ready(ln.Addr())
	}

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// Close, not Shutdown: Shutdown would wait for hijacked WebSocket
		// connections it no longer tracks. Closing the listener is enough
		// for the process to exit and the kernel to close the rest.
		srv.Close()
		<-done
		logger.Printf("stopped")
		return nil
	}
}

// newHandler returns the backend's routes: the page at exactly /, the echo
// at /ws, and 404 for anything else. Every response names the backend in
// X-Backend.
func newHandler(name string, logger *log.Logger) http.Handler {
	upgrader := websocket.Upgrader{
		EnableCompression: true,
		// gorilla's default origin check compares the Origin's host:port with
		// the Host header. Behind a proxy configured with the common
		// `proxy_set_header Host $host;`, Host loses the port, so a browser's
		// same-origin request would be refused with 403. An echo has nothing
		// to protect: accept every origin.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := page.Execute(w, struct{ Name string }{name}); err != nil {
			logger.Printf("page: %v", err)
		}
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		echo(w, r, &upgrader, name, logger)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", name)
		mux.ServeHTTP(w, r)
	})
}

// echo upgrades the request and returns every message until the peer closes.
func echo(w http.ResponseWriter, r *http.Request, upgrader *websocket.Upgrader, name string, logger *log.Logger) {
	// Upgrade builds the 101 from this header: X-Backend set by the caller
	// is in w.Header(), which Upgrade does not copy, so pass it explicitly.
	h := http.Header{"X-Backend": {name}}
	if protos := websocket.Subprotocols(r); len(protos) > 0 {
		h.Set("Sec-WebSocket-Protocol", protos[0])
	}
	conn, err := upgrader.Upgrade(w, r, h)
	if err != nil {
		// Upgrade has already answered the client with an error status.
		logger.Printf("ws upgrade from %s: %v", r.RemoteAddr, err)
		return
	}
	defer conn.Close()
	from := r.RemoteAddr
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		from += " (X-Forwarded-For: " + xff + ")"
	}
	logger.Printf("ws open from %s", from)
	conn.SetReadLimit(maxMessage)

	if r.URL.Query().Has("greet") {
		if err := conn.WriteMessage(websocket.TextMessage, []byte("hello from "+name)); err != nil {
			logger.Printf("ws greet %s: %v", from, err)
			return
		}
	}
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			// gorilla's default close handler has already answered a close
			// frame with the same code, so a clean close needs nothing more.
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway, websocket.CloseNoStatusReceived) {
				logger.Printf("ws closed by %s: %v", from, err)
			} else {
				logger.Printf("ws ended with %s: %v", from, err)
			}
			return
		}
		if err := conn.WriteMessage(typ, msg); err != nil {
			logger.Printf("ws write to %s: %v", from, err)
			return
		}
	}
}
