#!/bin/bash
# down.sh DIR -- stop the sandbox that up.sh started in DIR.
#
# Only PIDs read from the pidfiles listed in DIR/pids are signalled, and
# only if the process still belongs to DIR (its command line names DIR, or
# its working directory is inside DIR): a stale pidfile may name a recycled
# PID.  Waits until they are gone (zombies count as gone), then waits a
# little for their children (Dovecot and Postfix helpers) to leave as well.
# Idempotent; always exits 0 unless the arguments are wrong.
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
. "$HERE/lib.sh"

[ $# -eq 1 ] || { echo "usage: down.sh DIR" >&2; exit 64; }
D=$(realpath -m "$1")
cd / || exit 0
t0=$(sb_now_ms)
[ -r "$D/pids" ] || { echo "sandbox down in 0 ms (nothing in '$D')"; exit 0; }

pids=()
while read -r f; do
	[ -s "$f" ] || continue
	p=$(head -n1 "$f" | tr -d ' \t\r')
	if sb_ours "$D" "$p" && sb_alive "$p" && [[ " ${pids[*]} " != *" $p "* ]]; then
		pids+=("$p")
	fi
done <"$D/pids"

for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done

wait_gone() {	# wait_gone TENTHS PID...: true when none is alive
	local n=$1 p any
	shift
	while :; do
		any=0
		for p in "$@"; do sb_alive "$p" && { any=1; break; }; done
		[ $any = 0 ] && return 0
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.1
	done
}

if ! wait_gone 100 "${pids[@]}"; then
	for p in "${pids[@]}"; do
		if sb_alive "$p" && sb_ours "$D" "$p"; then
			sb_msg "pid $p did not stop after SIGTERM, sending SIGKILL"
			kill -KILL "$p" 2>/dev/null
		fi
	done
	wait_gone 30 "${pids[@]}"
fi

# children of the masters leave on their own, shortly after them
left=""
for _ in $(seq 1 30); do
	left=$(sb_procs_in "$D" | tr '\n' ' ')
	[ -z "$left" ] && break
	sleep 0.1
done
if [ -n "$left" ]; then
	sb_msg "processes still running in '$D': $left"
	for p in $left; do
		echo "    $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" >&2
	done
fi
echo "sandbox down in $(($(sb_now_ms) - t0)) ms (${#pids[@]} processes signalled)"
exit 0
