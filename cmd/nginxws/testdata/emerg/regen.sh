#!/bin/sh
# regen.sh rewrites every testdata/emerg/*/expected and testdata/valid/*/expected
# from the real nginx (1.22), which is the oracle for nginxws -t.
#
#   apt-get install -y nginx-light && sh cmd/nginxws/testdata/emerg/regen.sh
#
# Each case is copied to a fresh temporary directory first (nginx -t creates
# the pid file and binds the listeners; the committed case stays untouched),
# nginx is run twice on the copy and both answers must agree (no case may
# depend on timing or DNS), the exit code must be 1 under emerg/ and 0 under
# valid/, and the answer is normalised (see README.md) before it is stored.
# emerg_test.go applies the same normalisation in TestEmergCorpusMatchesNginx.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
testdata=$(dirname "$here")
command -v nginx >/dev/null 2>&1 || {
	echo "regen.sh: nginx not found; run: apt-get install -y nginx-light" >&2
	exit 1
}

# run CASEDIR: print nginx's normalised stderr followed by "rc=N".
run() {
	tmp=$(mktemp -d)
	cp -R "$1"/. "$tmp"/
	rm -f "$tmp/expected"
	# -e /dev/null: Debian builds nginx with --error-log-path=stderr, which makes
	# it print "YYYY/MM/DD HH:MM:SS [emerg] PID#TID: ..." instead of the console
	# form "nginx: [emerg] ..."; with the startup log elsewhere every build prints
	# the console form and no build prints an [alert] about its log file.
	set +e
	out=$(cd "$tmp" && nginx -t -e /dev/null -p "$tmp/" -c "$tmp/nginx.conf" 2>&1 >/dev/null)
	rc=$?
	set -e
	rm -rf "$tmp"
	printf '%s\n' "$out" |
		sed -e "s#$tmp#\$DIR#g" \
			-e 's#^[0-9]\{4\}/[0-9][0-9]/[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9] \[\([a-z]*\)\] [0-9]*\#[0-9]*: #nginx: [\1] #' \
			-e 's#^nginx: #nginxws: #'
	echo "rc=$rc"
}

status=0
for kind in emerg valid; do
	want=1
	[ "$kind" = valid ] && want=0
	for dir in "$testdata/$kind"/*/; do
		dir=${dir%/}
		[ -f "$dir/nginx.conf" ] || continue
		first=$(run "$dir")
		second=$(run "$dir")
		if [ "$first" != "$second" ]; then
			echo "regen.sh: $kind/$(basename "$dir"): nginx answered differently on two runs" >&2
			status=1
			continue
		fi
		rc=${first##*rc=}
		if [ "$rc" != "$want" ]; then
			echo "regen.sh: $kind/$(basename "$dir"): nginx exited $rc, want $want:" >&2
			printf '%s\n' "$first" >&2
			status=1
			continue
		fi
		printf '%s\n' "${first%rc=*}" | sed '$d' >"$dir/expected"
	done
done
exit $status
