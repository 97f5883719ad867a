#!/usr/bin/env bash
# Requests/s with access_log off and with access_log on (the combined format,
# buffered), nginx 1.22 and nginxws side by side (issue 8): the same proxy
# configuration in front of the same backend, wrk with 50 keepalive client
# connections, one run each, and the ratios.
#
# The backend is a third nginx process answering `return 200` with a small
# body, so that it is never the bottleneck of either proxy's run.
#
#   examples/bench/accesslog.sh [seconds]      (needs nginx-light and wrk)
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
mkdir -p "$work/backend" "$work/off" "$work/on"
cat > "$work/backend/nginx.conf" <<CONF
$main
pid $work/backend.pid;
http { access_log off; server { listen 127.0.0.1:$backend; location / { return 200 "hello, world\n"; } } }
CONF
# worker_processes auto: nginx uses every core, as nginxws's one process does.
for mode in off on; do
	log="access_log off;"
	[ "$mode" = on ] && log="access_log $work/$mode/access.log combined buffer=64k flush=1s;"
	cat > "$work/$mode/nginx.conf" <<CONF
$main
worker_processes auto;
pid $work/proxy.pid;
http { $log server { listen 127.0.0.1:$proxy; location / { proxy_pass http://127.0.0.1:$backend; } } }
CONF
done

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "127.0.0.1:$1/" && return 0; sleep 0.05; done; echo "port $1 never answered" >&2; exit 1; }
run_wrk() { wrk -t2 -c50 -d"${secs}s" "http://127.0.0.1:$proxy/" | awk '/Requests\/sec/ {print $2}'; }
stop_proxy() { kill -QUIT "$(cat "$work/proxy.pid")"; while [ -e "$work/proxy.pid" ]; do sleep 0.05; done; }

nginx -p "$work/backend/" -c "$work/backend/nginx.conf" -e "$work/error.log" &
wait_port "$backend"

declare -A rps
for mode in off on; do
	nginx -p "$work/$mode/" -c "$work/$mode/nginx.conf" -e "$work/error.log" &
	wait_port "$proxy"
	rps[nginx-$mode]=$(run_wrk)
	stop_proxy
	rm -f "$work/$mode/access.log"

	"$work/nginxws" -q -p "$work/$mode/" -c "$work/$mode/nginx.conf" -e "$work/error.log" 2>/dev/null &
	wait_port "$proxy"
	rps[nginxws-$mode]=$(run_wrk)
	stop_proxy
	if [ "$mode" = on ]; then
		lines=$(wc -l < "$work/$mode/access.log")
		echo "nginxws wrote $lines access log lines" >&2
	fi
done

printf '%-10s %14s %14s %10s\n' proxy 'log off (r/s)' 'log on (r/s)' 'on/off'
for p in nginx nginxws; do
	awk -v p="$p" -v off="${rps[$p-off]}" -v on="${rps[$p-on]}" 'BEGIN { printf "%-10s %14s %14s %10.2f\n", p, off, on, on / off }'
done
awk -v a="${rps[nginxws-off]}" -v b="${rps[nginx-off]}" -v c="${rps[nginxws-on]}" -v d="${rps[nginx-on]}" \
	'BEGIN { printf "nginxws/nginx: log off %.2f, log on %.2f\n", a / b, c / d }'
