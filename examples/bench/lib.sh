# Shared by the wrk benchmarks (examples/bench/http.sh, examples/bench/accesslog.sh,
# upstream/testdata/bench_keepalive.sh), which source it after `set -euo pipefail`
# and set $secs, the length of each wrk run.
#
#   bench_setup TOOL...  checks that the tools are installed, makes $work (on exit
#                        the processes of its *.pid files are killed and it is
#                        removed), builds $work/nginxws, picks free ports $backend
#                        and $proxy, and sets $main: the main context the backend
#                        and both proxies share.
#   wait_port PORT       waits until 127.0.0.1:PORT answers HTTP.
#   run_wrk              wrk -t2 -c50 on the proxy for $secs seconds: requests/s.
#   stop_proxy           stops the proxy ($work/proxy.pid) with SIGQUIT and waits
#                        until it has exited.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_setup() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "$tool not installed (apt-get install -y nginx-light wrk curl iproute2)" >&2; exit 1; }
	done
	work=$(mktemp -d)
	trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
	(cd "$root" && go build -o "$work/nginxws" ./cmd/nginxws)
	backend=$(free_port) proxy=$(free_port)
	main="daemon off; user root; error_log $work/error.log; events { worker_connections 4096; }"
}

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$1/" && return 0; sleep 0.05; done; echo "port $1 never answered" >&2; exit 1; }

run_wrk() { wrk -t2 -c50 -d"${secs}s" "http://127.0.0.1:$proxy/" | awk '/Requests\/sec/ {print $2}'; }

stop_proxy() { kill -QUIT "$(cat "$work/proxy.pid")"; while [ -e "$work/proxy.pid" ]; do sleep 0.05; done; }
