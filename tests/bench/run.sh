#!/bin/bash
# run.sh [small|medium] -- the benchmark behind `make bench` (root only).
#
# Starts its own sandbox (tests/sandbox/up.sh), seeds a deterministic corpus
# into the source Dovecot, then measures, against the same servers in the
# same run, three tools copying every user's mail to the destination
# Dovecot, 4 users at a time:
#
#   migrate   build/migrate sync PLAN --phase bench --jobs 4 (this project)
#   doveadm   doveadm backup -R -u USER imapc:  (Dovecot's own migration,
#             run against the destination's config, imapc to the source)
#   mbsync    mbsync -c RC -a  (Debian isync; IMAP to IMAP, Sync Pull)
#
# For each tool, with 0 ms and with 20 ms round trip (a delaying TCP proxy
# on 127.0.0.1 in front of both servers: this kernel has no netem): a full
# sync into an empty destination, a re-sync with nothing changed, and an
# incremental sync after new mail (LMTP) and flag changes on the source.
# The destination is wiped and the source put back between tools, so each
# does real work on identical data.  After every sync, per user and folder,
# the destination is compared with the source (counts, flags, dates, sizes).
#
# Sizes: small  4 users x 250 messages (~25 MB), medium 20 users x 1,000
# messages (~0.5 GB).  Results: a table on stdout, and OUT/results.md,
# OUT/results.json, OUT/results.tsv, OUT/verify/*, OUT/logs/*.
#
# Environment:
#   BENCH_SIZE      small|medium (default medium; the argument wins)
#   BENCH_TOOLS     tools to run, in order (default "migrate doveadm mbsync")
#   BENCH_LATENCY   round trips in ms to measure (default "0 20")
#   BENCH_JOBS      users in parallel (default 4)
#   BENCH_TIMEOUT   seconds one tool run may take (default 600 small, 3600 medium)
#   BENCH_NEW       new messages per user for the incremental sync (default 20)
#   BENCH_REPEAT    no-change re-syncs per tool, the median counts (default 5)
#   BENCH_FSYNC     mail_fsync of the destination, whoever writes it: the
#                   destination Dovecot server (which the APPENDs of migrate
#                   and mbsync pay) and doveadm backup (which writes the
#                   storage itself).  Default optimized, Dovecot's default;
#                   never is what Dovecot's migration docs suggest for bulk
#                   imports.  Each tool's copy is then equally durable.
#   BENCH_DOVEADM_FSYNC, BENCH_DST_FSYNC  set the two apart (default
#                   BENCH_FSYNC each)
#   BENCH_DOVEADM_PREFETCH  mail_prefetch_count for doveadm backup (default 20)
#   BENCH_OUT       results directory (default build/bench)
#   BENCH_KEEP_WORK=1  keep the work directory (corpus, snapshots) at the end
#   BENCH_LOOPFS=0  no file system of its own for the work directory
#   MIGRATE         the migrate binary (default build/migrate)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

SIZE=${1:-${BENCH_SIZE:-medium}}
case $SIZE in
small) NUSERS=4 BENCH_MSGS=${BENCH_MSGS:-250} DEF_TIMEOUT=600 LOOP_SIZE=1G ;;
medium) NUSERS=20 BENCH_MSGS=${BENCH_MSGS:-1000} DEF_TIMEOUT=3600 LOOP_SIZE=6G ;;
-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: run.sh [small|medium]" >&2; exit 64 ;;
esac
BENCH_MEAN_KB=${BENCH_MEAN_KB:-25}
BENCH_TOOLS=${BENCH_TOOLS:-migrate doveadm mbsync}
BENCH_LATENCY=${BENCH_LATENCY:-0 20}
BENCH_JOBS=${BENCH_JOBS:-4}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-$DEF_TIMEOUT}
BENCH_NEW=${BENCH_NEW:-20}
BENCH_REPEAT=${BENCH_REPEAT:-5}
BENCH_FSYNC=${BENCH_FSYNC:-optimized}
BENCH_DOVEADM_FSYNC=${BENCH_DOVEADM_FSYNC:-$BENCH_FSYNC}
BENCH_DOVEADM_PREFETCH=${BENCH_DOVEADM_PREFETCH:-20}
BENCH_DST_FSYNC=${BENCH_DST_FSYNC:-$BENCH_FSYNC}
OUT=${BENCH_OUT:-$ROOT/build/bench}
MIGRATE=${MIGRATE:-$ROOT/build/migrate}
BIN=$OUT/bin
for v in BENCH_JOBS BENCH_TIMEOUT BENCH_NEW BENCH_REPEAT BENCH_MSGS BENCH_MEAN_KB; do
	[[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || die "$v '${!v}' must be a positive number"
done
[[ $BENCH_DOVEADM_PREFETCH =~ ^[0-9]+$ ]] || die "BENCH_DOVEADM_PREFETCH '$BENCH_DOVEADM_PREFETCH' must be a number"
for l in $BENCH_LATENCY; do [[ $l =~ ^[0-9]+$ ]] || die "BENCH_LATENCY: '$l' is not a number of ms"; done
case $BENCH_DOVEADM_FSYNC in never | optimized | always) ;; *) die "BENCH_DOVEADM_FSYNC must be never, optimized or always" ;; esac
case $BENCH_DST_FSYNC in never | optimized | always) ;; *) die "BENCH_DST_FSYNC must be never, optimized or always" ;; esac
[ "$(id -u)" = 0 ] || die "needs root (the sandbox's Postfix gateway cannot run unprivileged)"
for c in doveadm cc ss; do command -v "$c" >/dev/null || die "'$c' not found (make deps)"; done

build_helpers

# ---- work directory, sandbox, clean-up -------------------------------------
W=$(mktemp -d /tmp/migrate-bench.XXXXXX) || die "mktemp failed"
# The work directory is a file system of its own: ext4 with a journal, in
# an image file mounted on a loop device.  This machine's disk is ext4
# without a journal, where creating a file skips every inode freed in the
# last minutes (recently_deleted() in the kernel's inode allocator): any
# deletion of many files shortly before a run (another bench's clean-up,
# a test suite's) made file creation take half of all CPU, and the figures
# depended on what ran before.  Where no loop device can be had, W stays a
# plain directory and mail directories are moved aside, never deleted,
# during the runs (lib.sh to_trash).
IMG=""
if [ "${BENCH_LOOPFS:-1}" = 1 ]; then
	IMG=$W.img
	if truncate -s "$LOOP_SIZE" "$IMG" &&
		mkfs.ext4 -q -F -i 8192 -E lazy_itable_init=0,lazy_journal_init=0 "$IMG" >/dev/null 2>&1 &&
		mount -o loop,noatime "$IMG" "$W" 2>/dev/null; then
		LOOPFS=1
	else
		rm -f "$IMG"
		IMG=""
		say "note: no loop-mounted file system for the work directory (BENCH_LOOPFS=0 or no loop device): old mail directories are moved aside instead of deleted"
	fi
fi
chmod 755 "$W"
LAB=$W/lab
PROXY_PID=""
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_proxy
	if [ -r "$LAB/pids" ]; then "$ROOT/tests/sandbox/down.sh" "$LAB" >/dev/null 2>&1; fi
	if [ -n "$IMG" ]; then
		umount "$W" 2>/dev/null || umount -l "$W" 2>/dev/null
		rmdir "$W" 2>/dev/null
		if [ "${BENCH_KEEP_WORK:-}" = 1 ]; then say "work file system kept: $IMG (mount -o loop $IMG DIR)"; else rm -f "$IMG"; fi
	elif [ "${BENCH_KEEP_WORK:-}" = 1 ]; then
		say "work directory kept: $W"
	else
		rm -rf "${W:?}"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM HUP

stop_proxy() {
	if [ -n "$PROXY_PID" ]; then
		kill -TERM "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
		PROXY_PID=""
	fi
}

start_proxy() {	# start_proxy MS: the delaying proxy in front of both servers
	local ms=$1 half p a b
	half=$(awk -v m="$ms" 'BEGIN { printf "%g", m / 2 }')
	# two free ports near the sandbox's base
	for p in $(seq $((SANDBOX_BASE + 160)) $((SANDBOX_BASE + 199))); do
		[ -z "$(ss -Hltn "sport = :$p")" ] || continue
		if [ -z "${a:-}" ]; then a=$p; elif [ -z "${b:-}" ]; then b=$p; break; fi
	done
	[ -n "${b:-}" ] || die "no free port for the delaying proxy near $SANDBOX_BASE"
	rm -f "$W/proxy.pid"
	"$BIN/delayproxy" -d "$half" -p "$W/proxy.pid" "$a:$SRC_IMAP" "$b:$DST_IMAP" \
		2>>"$OUT/logs/delayproxy.log" &
	PROXY_PID=$!
	for _ in $(seq 1 100); do [ -s "$W/proxy.pid" ] && break; sleep 0.05; done
	[ -s "$W/proxy.pid" ] || die "the delaying proxy did not start (see $OUT/logs/delayproxy.log)"
	PROXY_SRC=$a PROXY_DST=$b
	say "latency ${ms} ms: proxy $a -> source $SRC_IMAP, $b -> destination $DST_IMAP (${half} ms each way)"
}

rm -rf "${OUT:?}/logs" "$OUT/verify"
mkdir -p "$OUT/logs" "$OUT/verify" || die "cannot create '$OUT'"
say "size $SIZE: $NUSERS users x $BENCH_MSGS messages (~$BENCH_MEAN_KB KB mean), tools: $BENCH_TOOLS, latency: $BENCH_LATENCY ms, $BENCH_JOBS users in parallel"

write_users_file "$W/users" "$NUSERS"
SANDBOX_USERS=$W/users "$ROOT/tests/sandbox/up.sh" "$LAB" >"$OUT/logs/sandbox.log" 2>&1 ||
	{ cat "$OUT/logs/sandbox.log" >&2; die "the sandbox did not start"; }
. "$LAB/env"
export BENCH_MASTER_PW=$MASTER_PW
printf '# tests/bench: BENCH_DST_FSYNC\nmail_fsync = %s\n' "$BENCH_DST_FSYNC" >>"$DST_CONF"
doveadm -c "$DST_CONF" reload || die "the destination Dovecot did not reload with mail_fsync = $BENCH_DST_FSYNC"
say "mail_fsync: destination server $BENCH_DST_FSYNC, doveadm backup $BENCH_DOVEADM_FSYNC"
mapfile -t USERS < <(awk '{ print $1 }' "$W/users")
declare -A SRC_HOME DST_HOME
for u in "${USERS[@]}"; do
	SRC_HOME[$u]=$(home_of "$SRC_CONF" "$u") && [ -n "${SRC_HOME[$u]}" ] || die "no home for '$u' on the source"
	DST_HOME[$u]=$(home_of "$DST_CONF" "$u") && [ -n "${DST_HOME[$u]}" ] || die "no home for '$u' on the destination"
done

# ---- corpus and the two source states --------------------------------------
t=$(now_s)
seed_corpus
snap_take base
SRC_STATE=base
deliver_changes
snap_take incr
SRC_STATE=incr
snap_restore base
src_lists base
snap_restore incr
src_lists incr
snap_restore base
read -r BASE_MSGS BASE_BYTES < <(awk -F'\t' '{ m += $3; b += $4 } END { print m + 0, b + 0 }' "$W/src-base.status")
read -r INCR_MSGS INCR_BYTES < <(awk -F'\t' '{ m += $3; b += $4 } END { print m + 0, b + 0 }' "$W/src-incr.status")
NFOLDERS=$(wc -l <"$W/src-base.status")
say "corpus: $BASE_MSGS messages, $BASE_BYTES bytes in $NFOLDERS folders; incremental: +$((INCR_MSGS - BASE_MSGS)) messages, +$((INCR_BYTES - BASE_BYTES)) bytes (ready in $(awk -v a="$t" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }') s)"

# ---- the runs --------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$W/results.tsv"
: >"$W/verify.tsv"
: >"$W/notes"
TOOLS=()
for tool in $BENCH_TOOLS; do
	if why=$(tool_available "$tool"); then
		TOOLS+=("$tool")
	else
		say "skipping $tool: $why"
		printf '%s\t%s\n' "$tool" "$why" >>"$W/notes"
		for lat in $BENCH_LATENCY; do
			for scen in full nochange incr; do
				printf '%s\t%s\t%s\tskipped\t0\t0\t0\t0\t0\t0\t0\t-\n' "$tool" "$lat" "$scen" >>"$W/results.tsv"
			done
		done
	fi
done

# run_one TOOL LAT SCEN MSGS BYTES [REPS]: a measured sync of every user,
# REPS times (the median run counts; later runs change nothing more, so
# only no-change syncs are repeated)
run_one() {
	local tool=$1 lat=$2 scen=$3 msgs=$4 bytes=$5 reps=${6:-1} cmds=$W/cmds res logs st=ok i
	local walls="" best="" f
	logs=$OUT/logs/$tool-${lat}ms-$scen
	mkdir -p "$logs"
	tool_cmds "$tool" "$lat" "$cmds"
	for ((i = 1; i <= reps; i++)); do
		res=$logs/benchrun-$i.out
		# what earlier runs left to write back goes to disk first, not
		# into this run's time
		sync
		c0=$(machine_cpu)
		"$BIN/benchrun" -j "$BENCH_JOBS" -t "$BENCH_TIMEOUT" -l "$logs" -o "$res" "$cmds"
		echo "machine_cpu_s=$(awk -v a="$c0" -v b="$(machine_cpu)" 'BEGIN { printf "%.2f", b - a }')" >>"$res"
		if [ "$(sed -n 's/^timed_out=//p' "$res")" != 0 ]; then
			st=timeout
			say "$tool ${lat}ms $scen: TIMEOUT after $BENCH_TIMEOUT s (logs: $logs)"
			break
		elif [ "$(sed -n 's/^failed=//p' "$res")" != 0 ] || [ "$(sed -n 's/^not_run=//p' "$res")" != 0 ]; then
			st=failed
			say "$tool ${lat}ms $scen: FAILED for $(sed -n 's/^failed=//p' "$res") of $(sed -n 's/^commands=//p' "$res") commands (logs: $logs):"
			awk '$1 == "cmd" && $3 != "0" { print "    " $2 ": exit " $3 }' "$res" >&2
			for f in $(awk '$1 == "cmd" && $3 != "0" { print $2 }' "$res" | head -n 2); do
				tail -n 3 "$logs/$f.log" 2>/dev/null | sed 's/^/      /' >&2
			done
			break
		fi
		walls+="${walls:+ }$(sed -n 's/^wall_s=//p' "$res"):$res"
	done
	local wall=0 rss=0 top=0 us=0 sy=0 all=""
	if [ "$st" = ok ]; then
		# the median run by wall time
		best=$(tr ' ' '\n' <<<"$walls" | sort -t: -k1,1g | sed -n "$(((reps + 1) / 2))p")
		res=${best#*:}
		wall=$(sed -n 's/^wall_s=//p' "$res")
		rss=$(sed -n 's/^max_rss_kb=//p' "$res")
		top=$(sed -n 's/^top_rss_kb=//p' "$res")
		us=$(sed -n 's/^user_s=//p' "$res")
		sy=$(sed -n 's/^sys_s=//p' "$res")
		all=$(tr ' ' '\n' <<<"$walls" | cut -d: -f1 | paste -sd, -)
		say "$(printf '%-8s %3s ms %-8s %8.2f s  peak RSS %6.1f MB  machine CPU %6.2f s%s' "$tool" "$lat" "$scen" "$wall" \
			"$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$(sed -n 's/^machine_cpu_s=//p' "$res")" \
			"$([ "$reps" -gt 1 ] && echo "  (median of $all)")")"
	fi
	RUN_STATUS=$st
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$lat" "$scen" "$st" \
		"$wall" "$rss" "$top" "$msgs" "$bytes" "$us" "$sy" "${all:-$wall}" >>"$W/results.tsv"
}

for lat in $BENCH_LATENCY; do
	[ "$lat" = 0 ] || start_proxy "$lat"
	for tool in "${TOOLS[@]}"; do
		snap_restore base
		dst_wipe
		tool_reset "$tool"
		run_one "$tool" "$lat" full "$BASE_MSGS" "$BASE_BYTES"
		verify "$tool" "$lat" full
		if [ "$RUN_STATUS" != ok ]; then
			say "$tool ${lat}ms: no re-sync measured after a full sync that did not finish"
			for scen in nochange incr; do
				printf '%s\t%s\t%s\tnot-run\t0\t0\t0\t0\t0\t0\t0\t-\n' "$tool" "$lat" "$scen" >>"$W/results.tsv"
			done
			continue
		fi
		run_one "$tool" "$lat" nochange 0 0 "$BENCH_REPEAT"
		verify "$tool" "$lat" nochange
		snap_restore incr
		run_one "$tool" "$lat" incr "$((INCR_MSGS - BASE_MSGS))" "$((INCR_BYTES - BASE_BYTES))"
		verify "$tool" "$lat" incr
	done
	stop_proxy
done

# ---- report ----------------------------------------------------------------
cp "$W/results.tsv" "$OUT/results.tsv"
cp "$W/verify.tsv" "$OUT/verify.tsv"
{
	echo "size=$SIZE"
	echo "users=$NUSERS"
	echo "messages=$BASE_MSGS"
	echo "bytes=$BASE_BYTES"
	echo "folders=$NFOLDERS"
	echo "new_messages=$((INCR_MSGS - BASE_MSGS))"
	echo "new_bytes=$((INCR_BYTES - BASE_BYTES))"
	echo "jobs=$BENCH_JOBS"
	echo "doveadm_fsync=$BENCH_DOVEADM_FSYNC"
	echo "doveadm_prefetch=$BENCH_DOVEADM_PREFETCH"
	echo "dst_fsync=$BENCH_DST_FSYNC"
	echo "date=$(date -u +%FT%TZ)"
	echo "host=$(nproc) cores, $(uname -sr)"
	echo "load=$LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
	echo "versions=dovecot $(dovecot --version 2>/dev/null | awk '{print $1}'), isync $(mbsync --version 2>/dev/null | awk '{print $2}')"
	echo "netem=$(unshare -n sh -c 'ip link set lo up && tc qdisc add dev lo root netem delay 10ms' >/dev/null 2>&1 && echo yes || echo no)"
} >"$W/meta"
cp "$W/notes" "$OUT/notes.tsv"
"$HERE/report.sh" "$W/meta" "$OUT/results.tsv" "$OUT/verify.tsv" "$OUT/notes.tsv" \
	"$OUT/results.md" "$OUT/results.json" || die "the report failed"
cat "$OUT/results.md"
say "results: $OUT/results.md, $OUT/results.json (logs in $OUT/logs, differences in $OUT/verify)"
