#!/bin/bash
# run.sh BUILD_DIR -- the demo behind `make demo`.
#
# Starts the sandbox (two Dovecots, the Postfix gateway, PowerDNS, BIND,
# Knot) on base port 27000 in build/demo/lab, seeds every user's mailbox
# on "legacy", then walks examples/demo/plan.yaml: check, report, each
# phase (sending a probe message to every user through the gateway after
# it, to show where mail lands), a rollback and re-run, and the final
# report.  Everything is stopped at the end, also on failure.  Running it
# again starts from scratch.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
M=$BUILD/migrate
PLAN=examples/demo/plan.yaml
LAB=$ROOT/build/demo/lab
cd "$ROOT"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "make demo needs root (the sandbox's Postfix gateway)" >&2; exit 1; }
[ -x "$M" ] || { echo "no $M: run make first" >&2; exit 1; }

# A fresh start: stop a sandbox an interrupted demo may have left, drop its state.
[ -d "$LAB" ] && tests/sandbox/down.sh "$LAB" >/dev/null 2>&1 || true
mkdir -p "$ROOT/build/demo"
chmod 755 "$ROOT" "$ROOT/build" "$ROOT/build/demo"
rm -f build/demo/demo.state.db build/demo/demo.state.db-* build/demo/demo.state.db.lock

say "starting the sandbox servers"
SANDBOX_ZONE_TTL=10 BUILD_DIR=$BUILD tests/sandbox/up.sh "$LAB" 27000
trap 'say "stopping the sandbox"; tests/sandbox/down.sh "$LAB"' EXIT
. "$LAB/env"
export DEMO_MASTER_PW=$MASTER_PW DEMO_PDNS_API_KEY=$PDNS_API_KEY

say "seeding every mailbox on legacy (the source Dovecot)"
USERS=$("$M" report "$PLAN" --format csv | tail -n +2 | cut -d, -f1)
for u in $USERS; do
	BUILD_DIR=$BUILD tests/sandbox/seed.sh "$LAB" "$u" small "$(cksum <<<"$u" | cut -d' ' -f1)" >/dev/null
	printf '  %-22s %s messages\n' "$u" \
		"$(doveadm -c "$SRC_CONF" mailbox status -u "$u" messages '*' | awk '{n+=substr($1,10)} END {print n}')"
done

say "migrate check $PLAN"
"$M" check "$PLAN"

say "migrate report $PLAN   (before anything has run)"
"$M" report "$PLAN"

probe=0
# Send one message to every user through the gateway, then show on which
# backend each one landed.
probe_mail() {
	probe=$((probe + 1))
	local tag="demo-probe-$probe" u s d deadline
	for u in $USERS; do
		timeout 20 swaks --server 127.0.0.1 --port "$SMTP" --from probe@outside.example \
			--to "$u" --header "Subject: $tag" --silent 2 </dev/null ||
			echo "  (swaks to $u failed)"
	done
	printf '  %-22s %-8s %-8s %s\n' USER LEGACY SUITE "LIVES ON (report)"
	"$M" report "$PLAN" --format csv | tail -n +2 | cut -d, -f1,3 | tr -d '\r' >"$ROOT/build/demo/where"
	for u in $USERS; do
		deadline=$((SECONDS + 20))
		while :; do
			s=$(doveadm -c "$SRC_CONF" search -u "$u" mailbox INBOX header subject "$tag" 2>/dev/null | wc -l)
			d=$(doveadm -c "$DST_CONF" search -u "$u" mailbox INBOX header subject "$tag" 2>/dev/null | wc -l)
			[ $((s + d)) -ge 1 ] || [ $SECONDS -ge $deadline ] || { sleep 0.2; continue; }
			break
		done
		lives=$(sed -n "s/^$u,//p" "$ROOT/build/demo/where")
		printf '  %-22s %-8s %-8s %s\n' "$u" "$([ "$s" -gt 0 ] && echo "got it" || echo -)" \
			"$([ "$d" -gt 0 ] && echo "got it" || echo -)" "$lives"
		# the mail, the report and the gateway table must agree
		want_s=0 want_d=1 route=$(postmap -c "$POSTFIX_CONF" -q "$u" "lmdb:$TRANSPORT_MAP" || true)
		[ "$lives" = legacy ] && want_s=1 want_d=0
		if [ "$s" != $want_s ] || [ "$d" != $want_d ] ||
			{ [ "$lives" = suite ] && [ "$route" != "lmtp:inet:127.0.0.1:$DST_LMTP" ]; } ||
			{ [ "$lives" = legacy ] && [ -n "$route" ]; }; then
			echo "  MISMATCH for $u: legacy $s, suite $d, report '$lives', route '$route'" >&2
			mismatch=$((mismatch + 1))
		fi
	done
}
mismatch=0

say "probe: where does mail for each user land now?"
probe_mail

engine=1
for phase in pilot sales-wave everyone-else; do
	say "migrate run $PLAN --phase $phase"
	rc=0
	"$M" run "$PLAN" --phase "$phase" --wait || rc=$?
	if [ $rc = 69 ]; then
		engine=0
		echo "  (the phase engine has not landed in this build: phases are not run yet)"
		break
	fi
	[ $rc = 0 ] || { echo "migrate run failed with exit $rc" >&2; exit $rc; }
	say "probe after phase $phase"
	probe_mail
done

if [ $engine = 1 ]; then
	say "migrate rollback $PLAN --phase everyone-else"
	"$M" rollback "$PLAN" --phase everyone-else
	probe_mail
	say "migrate run $PLAN --phase everyone-else   (again)"
	"$M" run "$PLAN" --phase everyone-else --wait
	probe_mail
fi

if [ $engine = 1 ]; then
	say "DNS after the last phase (dig @127.0.0.1 -p $PDNS_DNS corp.example MX)"
	mx=$(dig @127.0.0.1 -p "$PDNS_DNS" +short corp.example MX)
	echo "  $mx"
	[ "$mx" = "10 mx.suite-host.example." ] || { echo "  MISMATCH: MX is '$mx'" >&2; mismatch=$((mismatch + 1)); }
fi

say "migrate status $PLAN"
"$M" status "$PLAN"
say "migrate report $PLAN"
"$M" report "$PLAN"
if [ $mismatch -gt 0 ]; then
	echo "demo: $mismatch mismatch(es) between mail, report, gateway and DNS" >&2
	exit 1
fi
say "demo done: after every phase, mail, report, gateway table and DNS agreed"
