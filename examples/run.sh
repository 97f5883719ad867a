#!/usr/bin/env bash
# The demo behind `make run`: two demo backends (127.0.0.1:9001 and :9002,
# the members of `upstream demo` in examples/nginx.conf), then nginxws with
# that config on 127.0.0.1:8080, in the foreground.
#
# Ctrl-C (or SIGTERM to this script) stops all three; so does nginxws
# exiting on its own. Expects bin/nginxws and bin/demo-backend (`make build`).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
prefix=$root/examples/run # scratch: pid file and logs (gitignored)
mkdir -p "$prefix/logs"

children=()
stopped=0
stop() {
	[ "$stopped" = 1 ] && return
	stopped=1
	if [ "${#children[@]}" -gt 0 ]; then
		kill -TERM "${children[@]}" 2>/dev/null || true
		wait "${children[@]}" 2>/dev/null || true
	fi
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

# port_free HOST PORT: fail if something already accepts on HOST:PORT (a
# previous demo still running?). Checked before starting a process there, so
# that wait_port below cannot mistake the other process for ours.
port_free() {
	if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then
		echo "run.sh: $1:$2 is already in use (is another make run still running?)" >&2
		return 1
	fi
}

# wait_port PID HOST PORT: until HOST:PORT accepts a connection, or fail if
# PID (the process meant to listen there) has exited, or after 10 s.
wait_port() {
	local pid=$1 host=$2 port=$3 i
	for ((i = 0; i < 100; i++)); do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "run.sh: the process for $host:$port exited (see its message above)" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "run.sh: nothing listens on $host:$port after 10 s" >&2
	return 1
}

for port in 9001 9002 8080; do
	port_free 127.0.0.1 "$port"
done

for i in 1 2; do
	bin/demo-backend -listen "127.0.0.1:900$i" -name "backend-$i" &
	children+=("$!")
	wait_port "$!" 127.0.0.1 "900$i"
done

# Absolute paths: nginx (and so nginxws) resolves a relative -c against the
# prefix, not the current directory.
bin/nginxws -p "$prefix/" -c "$root/examples/nginx.conf" &
proxy=$!
children+=("$proxy")
if wait_port "$proxy" 127.0.0.1 8080; then
	echo "demo: open http://127.0.0.1:8080/ — Ctrl-C stops nginxws and both backends; logs in examples/run/logs/" >&2
fi

# wait returns when nginxws exits, or at once when a trapped signal arrives
# (the trap then stops everything).
status=0
wait "$proxy" || status=$?
exit "$status"
