#!/usr/bin/env bash
# Plain-HTTP throughput, nginx 1.22 and nginxws side by side (issue 4): the
# same proxy configuration in front of the same backend, wrk with 50
# keepalive client connections, one run each, and the ratio.
#
# The backend is a third nginx process answering `return 200` with a small
# body, so that it is never the bottleneck of either proxy's run.
#
#   examples/bench/http.sh [seconds]      (needs nginx-light and wrk)
set -euo pipefail

secs=${1:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

for tool in nginx wrk; do
	command -v "$tool" >/dev/null || { echo "$tool not installed: apt-get install -y nginx-light wrk" >&2; exit 1; }
done
(cd "$root" && go build -o "$work/nginxws" ./cmd/nginxws)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
backend=$(free_port) proxy=$(free_port)

main="daemon off; user root; error_log $work/error.log; events { worker_connections 4096; }"
mkdir -p "$work/backend" "$work/proxy"
cat > "$work/backend/nginx.conf" <<CONF
$main
pid $work/backend.pid;
http { access_log off; server { listen 127.0.0.1:$backend; location / { return 200 "hello, world\n"; } } }
CONF
# worker_processes auto: nginx uses every core, as nginxws's one process does.
cat > "$work/proxy/nginx.conf" <<CONF
$main
worker_processes auto;
pid $work/proxy.pid;
http { access_log off; server { listen 127.0.0.1:$proxy; location / { proxy_pass http://127.0.0.1:$backend; } } }
CONF

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$1/" && return 0; sleep 0.05; done; echo "port $1 never answered" >&2; exit 1; }
run_wrk() { wrk -t2 -c50 -d"${secs}s" "http://127.0.0.1:$proxy/" | awk '/Requests\/sec/ {print $2}'; }

nginx -p "$work/backend/" -c "$work/backend/nginx.conf" -e "$work/error.log" &
wait_port "$backend"

nginx -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e "$work/error.log" &
wait_port "$proxy"
nginx_rps=$(run_wrk)
kill -QUIT "$(cat "$work/proxy.pid")"; while [ -e "$work/proxy.pid" ]; do sleep 0.05; done

"$work/nginxws" -q -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e "$work/error.log" 2>/dev/null &
wait_port "$proxy"
ws_rps=$(run_wrk)

printf '%-10s %12s\n' proxy 'requests/s'
printf '%-10s %12s\n' nginx "$nginx_rps" nginxws "$ws_rps"
awk -v a="$ws_rps" -v b="$nginx_rps" 'BEGIN { printf "ratio nginxws/nginx: %.2f\n", a / b }'
