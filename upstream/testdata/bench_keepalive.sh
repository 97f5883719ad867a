#!/usr/bin/env bash
# Plain-HTTP requests/s through nginx 1.22 and nginxws with an upstream
# block "keepalive 32" (HTTP/1.1 upstream, Connection ""), same config,
# same backend (a third nginx answering return 200), wrk -t2 -c50, one run each,
# and the ratio; also how many upstream connections each left open.
#
#   upstream/testdata/bench_keepalive.sh [seconds]   (needs nginx-light, wrk, curl, ss)
set -euo pipefail
secs=${1:-10}
. "$(dirname "$0")/../../examples/bench/lib.sh"
bench_setup nginx wrk curl ss
mkdir -p "$work/backend" "$work/proxy"
cat > "$work/backend/nginx.conf" <<CONF
$main
pid $work/backend.pid;
http { access_log off; keepalive_requests 100000; server { listen 127.0.0.1:$backend; location / { return 200 "hello, world\n"; } } }
CONF
cat > "$work/proxy/nginx.conf" <<CONF
$main
worker_processes auto;
pid $work/proxy.pid;
http {
    access_log off;
    upstream backend { server 127.0.0.1:$backend; keepalive 32; }
    server {
        listen 127.0.0.1:$proxy;
        location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
CONF
conns() { ss -tn state established "( dport = :$backend )" | tail -n +2 | wc -l; }
nginx -p "$work/backend/" -c "$work/backend/nginx.conf" -e "$work/error.log" &
wait_port "$backend"
nginx -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e "$work/error.log" &
wait_port "$proxy"
nginx_rps=$(run_wrk); nginx_conns=$(conns)
stop_proxy
"$work/nginxws" -q -p "$work/proxy/" -c "$work/proxy/nginx.conf" -e "$work/error.log" 2>/dev/null &
wait_port "$proxy"
ws_rps=$(run_wrk); ws_conns=$(conns)
printf '%-10s %12s %s\n' proxy 'requests/s' 'upstream conns after'
printf '%-10s %12s %s\n' nginx "$nginx_rps" "$nginx_conns" nginxws "$ws_rps" "$ws_conns"
awk -v a="$ws_rps" -v b="$nginx_rps" 'BEGIN { printf "ratio nginxws/nginx: %.2f\n", a / b }'
