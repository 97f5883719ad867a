#!/usr/bin/env bash
# Plain-HTTP throughput, nginx 1.22 and nginxws side by side (issue 4): the
# same proxy configuration in front of the same backend, wrk with 50
# keepalive client connections, one run each, and the ratio.
#
# The backend is a third nginx process answering `return 200` with a small
# body, so that it is never the bottleneck of either proxy's run.
#
#   examples/bench/http.sh [seconds]      (needs nginx-light, wrk and curl)
set -euo pipefail

secs=${1:-10}
. "$(dirname "$0")/lib.sh"
bench_setup nginx wrk curl
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

nginx -p "$work/backend/" -c "$work/backend/nginx.conf" -e "$work/error.log" &
wait_port "$backend"

nginx -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e "$work/error.log" &
wait_port "$proxy"
nginx_rps=$(run_wrk)
stop_proxy

"$work/nginxws" -q -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e "$work/error.log" 2>/dev/null &
wait_port "$proxy"
ws_rps=$(run_wrk)

printf '%-10s %12s\n' proxy 'requests/s'
printf '%-10s %12s\n' nginx "$nginx_rps" nginxws "$ws_rps"
awk -v a="$ws_rps" -v b="$nginx_rps" 'BEGIN { printf "ratio nginxws/nginx: %.2f\n", a / b }'
