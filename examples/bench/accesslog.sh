#!/usr/bin/env bash
# Requests/s with access_log off and with access_log on (the combined format,
# buffered), nginx 1.22 and nginxws side by side (issue 8): the same proxy
# configuration in front of the same backend, wrk with 50 keepalive client
# connections, one run each, and the ratios.
#
# The backend is a third nginx process answering `return 200` with a small
# body, so that it is never the bottleneck of either proxy's run.
#
#   examples/bench/accesslog.sh [seconds]      (needs nginx-light, wrk and curl)
set -euo pipefail

secs=${1:-10}
. "$(dirname "$0")/lib.sh"
bench_setup nginx wrk curl
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
