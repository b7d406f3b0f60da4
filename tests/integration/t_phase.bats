#!/usr/bin/env bats
# The phase engine end to end against the sandbox: a full run where the
# report, the gateway table, DNS and the mailboxes agree after each phase;
# a crash after every step, resumed; two runs at once; plan edits; and
# mail that keeps flowing while phases run and roll back.

SB="$BATS_TEST_DIRNAME/../sandbox"
PY=/usr/bin/python3
BUILD_DIR=${BUILD_DIR:-$(realpath "$BATS_TEST_DIRNAME/../../build")}
M=$BUILD_DIR/migrate
STEPS="preflight lower-ttl prestage cutover delta verify dns restore-ttl"

setup_file() {
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; return 1; }
	PT=$(mktemp -d /tmp/migrate-phasetest.XXXXXX)
	export PT
	chmod 755 "$PT"
	: >"$PT/users"
	for i in $(seq -w 1 25) 29; do echo "u$i@corp.example u${i}pw" >>"$PT/users"; done
	SANDBOX_USERS=$PT/users SANDBOX_ZONE_TTL=2 "$SB/up.sh" "$PT/lab" >"$PT/up.out" 2>&1 || {
		cat "$PT/up.out" >&2
		return 1
	}
	set -a
	. "$PT/lab/env"
	set +a
	# one TXT record per crash phase, so each phase changes DNS
	local rr=""
	for i in $(seq 1 9); do
		rr="$rr{\"name\":\"c$i.corp.example.\",\"type\":\"TXT\",\"ttl\":2,\"changetype\":\"REPLACE\",\"records\":[{\"content\":\"\\\"old $i\\\"\",\"disabled\":false}]},"
	done
	curl -sf -X PATCH -H "X-API-Key: $PDNS_API_KEY" --data "{\"rrsets\":[${rr%,}]}" \
		"$PDNS_API/servers/localhost/zones/corp.example." >/dev/null
	for i in $(seq -w 1 25) 29; do
		"$SB/seed.sh" "$PT/lab" "u$i@corp.example" small "$i" >/dev/null
	done
	write_plan "$PT/plan.yaml"
}

teardown_file() {
	[ -n "${PT:-}" ] || return 0
	"$SB/down.sh" "$PT/lab" >/dev/null
	. "$SB/lib.sh"
	local left
	left=$(sb_procs_in "$PT")
	rm -rf "$PT"
	[ -z "$left" ] || { echo "# still running: $left" >&3; return 1; }
}

# write_plan FILE [EXTRA_PHASE_YAML]: phase p0 (u01,u02) is the clean run;
# c1..c8 (two users each) crash after one step each; c9 (u19, u20) for
# the concurrency test; flow (u21..u24) for the mail-flow test; expunge
# (u29) propagates source expunges.
write_plan() {
	{
		cat <<YAML
version: 1
migration: phase-test
domains: [corp.example]
state: $PT/state.db
backends:
  src:
    imap: { host: 127.0.0.1, port: $SRC_IMAPS, tls: implicit, ca: $CA_FILE }
    login: { method: master, user: migrator, secret: { env: MASTER_PW } }
    route: "lmtp:inet:127.0.0.1:$SRC_LMTP"
    default: true
  dst:
    imap: { host: 127.0.0.1, port: $DST_IMAP, tls: starttls, ca: $CA_FILE }
    login: { method: master, user: migrator, secret: { env: MASTER_PW } }
    route: "lmtp:inet:127.0.0.1:$DST_LMTP"
gateway:
  kind: postfix
  map: $TRANSPORT_MAP
  map_type: lmdb
  config_dir: $POSTFIX_CONF
  reload: [postfix, reload]
dns:
  provider: powerdns
  endpoint: $PDNS_API
  key: { env: PDNS_API_KEY }
  zone: corp.example.
  manage: [$(for i in $(seq 1 9); do printf '"c%s.corp.example. TXT", ' $i; done)"corp.example. MX"]
  low_ttl: 1
  servers: ["127.0.0.1:$PDNS_DNS"]
users:
YAML
		# u26 and u27 have no mailbox anywhere: they fail preflight
		for i in $(seq -w 1 27) 29; do echo "  - { address: u$i@corp.example }"; done
		echo "phases:"
		echo "  - { name: p0, users: [u01@corp.example, u02@corp.example], from: src, to: dst,"
		echo "      dns_change: { \"c9.corp.example. TXT\": ['\"new 9\"'] } }"
		local i=1 s
		for s in $STEPS; do
			local a b
			a=$(printf 'u%02d@corp.example' $((2 * i + 1)))
			b=$(printf 'u%02d@corp.example' $((2 * i + 2)))
			echo "  - { name: c$i, users: [$a, $b], from: src, to: dst,"
			echo "      dns_change: { \"c$i.corp.example. TXT\": ['\"new $i\"'] } }"
			i=$((i + 1))
		done
		echo "  - { name: c9, users: [u19@corp.example, u20@corp.example], from: src, to: dst }"
		echo "  - { name: flow, users: [u21@corp.example, u22@corp.example, u23@corp.example, u24@corp.example], from: src, to: dst }"
		echo "  - { name: mixed, users: [u25@corp.example, u26@corp.example], from: src, to: dst }"
		echo "  - { name: forced, users: [u27@corp.example], from: src, to: dst }"
		echo "  - { name: expunge, users: [u29@corp.example], from: src, to: dst, expunge: true }"
		[ -z "${2:-}" ] || printf '%s\n' "$2"
	} >"$1"
}

# phase_agrees PHASE USER...: after the phase, the report, the gateway
# table, DNS and both mailboxes agree with "every user lives on dst".
phase_agrees() {
	local ph=$1 u
	shift
	run "$M" status "$PT/plan.yaml"
	echo "$output" | grep -q "phase '$ph' (src -> dst, $# users): done$" || {
		echo "$output"; return 1; }
	run "$M" report "$PT/plan.yaml" --format csv
	for u in "$@"; do
		echo "$output" | grep -q "^$u,,dst,$ph,verified," || {
			echo "report for $u: $(echo "$output" | grep "^$u,")"; return 1; }
		# the live gateway map routes the user to dst
		[ "$(postmap -c "$POSTFIX_CONF" -q "$u" "lmdb:$TRANSPORT_MAP")" = "lmtp:inet:127.0.0.1:$DST_LMTP" ] || {
			echo "gateway for $u: $(postmap -c "$POSTFIX_CONF" -q "$u" "lmdb:$TRANSPORT_MAP")"; return 1; }
		# every message on dst exactly as on src (bodies, flags, dates)
		timeout 120 "$PY" "$BATS_TEST_DIRNAME/imap_compare.py" "$SRC_IMAP" "$DST_IMAP" \
			"$u" "${u%@*}pw" >"$PT/cmp.out" 2>&1 || { cat "$PT/cmp.out"; return 1; }
	done
}

# dns_is NAME VALUE TTL: what the authoritative server answers
dns_is() {
	local got
	got=$(dig @127.0.0.1 -p "$PDNS_DNS" +noall +answer "$1" TXT | awk '{print $2, $5, $6}')
	[ "$got" = "$3 $2" ] || { echo "dns $1: '$got', want '$3 $2'"; return 1; }
}

@test "a full phase: report, gateway table, DNS and mailboxes agree" {
	run "$M" run "$PT/plan.yaml" --phase p0 --wait
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"phase 'p0' done: 2 users now on 'dst'"* ]]
	phase_agrees p0 u01@corp.example u02@corp.example
	dns_is c9.corp.example. '"new 9"' 2
	# users of later phases are still routed by the site default (src)
	[ -z "$(postmap -c "$POSTFIX_CONF" -q u03@corp.example "lmdb:$TRANSPORT_MAP")" ]
	run "$M" status "$PT/plan.yaml"
	[[ "$output" == *"left half-done:"*"nothing"* ]]
	# running it again does nothing
	run "$M" run "$PT/plan.yaml" --phase p0
	[ "$status" -eq 0 ]
	[[ "$output" == *"already done"* ]]
	run "$M" log "$PT/plan.yaml"
	[[ "$output" == *phase-done* ]]
	# the runbook: DNS state, the routing rules in force, who lives where
	run "$M" report "$PT/plan.yaml" --format markdown
	[ "$status" -eq 0 ]
	[[ "$output" == *"| c9.corp.example. | TXT | \"new 9\" | 2 | changed, TTL restored |"* ]]
	[[ "$output" == *"## Routing rules in force"* ]]
	printf '%s\n' "$output" | grep -q "^u01@corp.example	lmtp:inet:127.0.0.1:$DST_LMTP\$"
	run "$M" report "$PT/plan.yaml" --format html
	[ "$status" -eq 0 ]
	[[ "$output" == "<!DOCTYPE html>"* ]]
	[[ "$output" == *"<div class=bar title=\"100% moved\">"* ]]
	! [[ "$output" == *"src="* || "$output" == *"<link"* || "$output" == *"<script"* ]]
}

@test "killed after each step, the phase resumes to the same end state" {
	local i=1 s a b
	for s in $STEPS; do
		a=$(printf 'u%02d@corp.example' $((2 * i + 1)))
		b=$(printf 'u%02d@corp.example' $((2 * i + 2)))
		MIGRATE_TEST_CRASH_AFTER="c$i:$s" run "$M" run "$PT/plan.yaml" --phase "c$i" --wait
		[ "$status" -eq 99 ] || { echo "c$i crash after $s: exit $status: $output"; return 1; }
		run "$M" status "$PT/plan.yaml"
		echo "$output" | grep -q "phase 'c$i' (src -> dst, 2 users): in progress" || {
			echo "$output"; return 1; }
		run "$M" run "$PT/plan.yaml" --wait
		[ "$status" -eq 0 ] || { echo "c$i resume after $s: exit $status: $output"; return 1; }
		[[ "$output" == *"phase 'c$i' done"* ]] || { echo "$output"; return 1; }
		phase_agrees "c$i" "$a" "$b"
		dns_is "c$i.corp.example." "\"new $i\"" 2
		i=$((i + 1))
	done
	run "$M" status "$PT/plan.yaml"
	[[ "$output" == *"left half-done:"*"nothing"* ]]
}

@test "a second run while one runs is refused at once, naming pid and host" {
	MIGRATE_TEST_STALL_AFTER=c9:preflight "$M" run "$PT/plan.yaml" --phase c9 >"$PT/first.out" 2>&1 &
	local first=$!
	local deadline=$((SECONDS + 20))
	until grep -q "pid $first" "$PT/state.db.lock" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || { cat "$PT/first.out"; return 1; }
		sleep 0.1
	done
	run "$M" run "$PT/plan.yaml" --phase flow
	[ "$status" -eq 75 ]
	[[ "$output" == *"is in use by pid $first on host $(hostname)"* ]]
	wait $first
	cat "$PT/first.out"
	grep -q "phase 'c9' done" "$PT/first.out"
}

@test "plan edits: a new user in a later phase is picked up; a removed phase that ran is refused" {
	# u25 does not exist on the servers: it joins the plan (and fails
	# its preflight) without disturbing the others
	write_plan "$PT/edited.yaml"
	sed -i 's/^phases:/  - { address: u28@corp.example }\nphases:/' "$PT/edited.yaml"
	sed -i 's/u23@corp.example, u24@corp.example\]/u23@corp.example, u24@corp.example, u28@corp.example]/' "$PT/edited.yaml"
	run "$M" report "$PT/edited.yaml" --format csv
	[[ "$output" == *"u28@corp.example,,src,flow,pending"* ]]
	# removing p0, which ran, contradicts what happened
	write_plan "$PT/removed.yaml"
	sed -i '/name: p0/,+1d' "$PT/removed.yaml"
	sed -i 's/"c9.corp.example. TXT", //' "$PT/removed.yaml"
	run "$M" run "$PT/removed.yaml" --phase c9
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"phase 'p0' has run (done) but is no longer in the plan"* ]]
	# moving a migrated user to another phase is refused too
	write_plan "$PT/moved.yaml"
	sed -i 's/users: \[u01@corp.example, u02@corp.example\]/users: [u02@corp.example]/' "$PT/moved.yaml"
	sed -i 's/users: \[u19@corp.example, u20@corp.example\]/users: [u01@corp.example, u19@corp.example, u20@corp.example]/' "$PT/moved.yaml"
	run "$M" run "$PT/moved.yaml" --phase flow
	[ "$status" -eq 65 ]
	[[ "$output" == *"user 'u01@corp.example' was moved to 'dst' by phase 'p0'"* ]]
	# the refused runs changed nothing
	run "$M" report "$PT/plan.yaml" --format csv
	[[ "$output" == *"u01@corp.example,,dst,p0,verified"* ]]
}

# received BACKEND USER: the flow-NNNNNN subjects in the user's INBOX
received() {
	local conf=$SRC_CONF
	[ "$1" = dst ] && conf=$DST_CONF
	doveadm -c "$conf" fetch -u "$2" 'hdr.subject' mailbox INBOX 2>/dev/null |
		sed -n 's/^hdr.subject: \(flow-[0-9]*\).*/\1/p'
}

@test "mail keeps flowing through a phase, its rollback and a re-run: none lost, none doubled" {
	local users="u21@corp.example u22@corp.example u23@corp.example u24@corp.example"
	"$PY" "$BATS_TEST_DIRNAME/mailflow.py" "$SMTP" "$PT/flow.log" $users 2>"$PT/flow.err" &
	local sender=$!
	sleep 1
	run "$M" run "$PT/plan.yaml" --phase flow
	[ "$status" -eq 0 ] || { echo "$output"; kill $sender; return 1; }
	sleep 1
	run "$M" rollback "$PT/plan.yaml" --phase flow
	[ "$status" -eq 0 ] || { echo "$output"; kill $sender; return 1; }
	sleep 1
	run "$M" run "$PT/plan.yaml" --phase flow
	[ "$status" -eq 0 ] || { echo "$output"; kill $sender; return 1; }
	sleep 1
	kill -TERM $sender
	wait $sender || true
	# let the gateway deliver what it accepted
	local deadline=$((SECONDS + 60))
	until [ -z "$(postqueue -c "$POSTFIX_CONF" -j)" ]; do
		[ $SECONDS -lt $deadline ] || { postqueue -c "$POSTFIX_CONF" -p; return 1; }
		sleep 0.2
	done
	# the last delta picks up what reached src before the final cutover
	run "$M" sync "$PT/plan.yaml" --phase flow
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	local sent lost=0 doubled=0 u
	sent=$(wc -l <"$PT/flow.log")
	echo "# sent $sent messages" >&3
	[ "$sent" -gt 50 ]
	for u in $users; do
		received dst "$u" | sort >"$PT/got.$u"
		grep " $u\$" "$PT/flow.log" | cut -d' ' -f1 | sort >"$PT/want.$u"
		lost=$((lost + $(comm -23 "$PT/want.$u" <(sort -u "$PT/got.$u") | wc -l)))
		doubled=$((doubled + $(uniq -d "$PT/got.$u" | wc -l)))
	done
	echo "# lost $lost, doubled $doubled" >&3
	[ "$lost" -eq 0 ]
	[ "$doubled" -eq 0 ]
}

@test "one user's failure never stops the others: done with errors, the failed user stays on the source" {
	run "$M" run "$PT/plan.yaml" --phase mixed
	echo "$output"
	[ "$status" -eq 3 ]
	[[ "$output" == *"phase 'mixed' done with errors: 1 of 2 users failed and stay on 'src':"* ]]
	[[ "$output" == *"  u26@corp.example"* ]]
	run "$M" report "$PT/plan.yaml" --format csv
	[[ "$output" == *"u25@corp.example,,dst,mixed,verified,"* ]]
	printf '%s\n' "$output" | grep -q "^u26@corp.example,,src,mixed,failed,.*u26@corp.example"
	[ "$(postmap -c "$POSTFIX_CONF" -q u25@corp.example "lmdb:$TRANSPORT_MAP")" = "lmtp:inet:127.0.0.1:$DST_LMTP" ]
	[ -z "$(postmap -c "$POSTFIX_CONF" -q u26@corp.example "lmdb:$TRANSPORT_MAP")" ]
	run "$M" status "$PT/plan.yaml"
	[[ "$output" == *"phase 'mixed' (src -> dst, 2 users): done with errors"* ]]
	[[ "$output" == *"1 user failed (see 'migrate report')"* ]]
	# --force cuts a failed user over anyway, with a warning
	run "$M" run "$PT/plan.yaml" --phase forced --force
	echo "$output"
	[[ "$output" == *"--force: cutting over 1 user that failed an earlier step"* ]]
	[ "$(postmap -c "$POSTFIX_CONF" -q u27@corp.example "lmdb:$TRANSPORT_MAP")" = "lmtp:inet:127.0.0.1:$DST_LMTP" ]
}

# messages BACKEND USER FOLDER
messages() {
	local conf=$SRC_CONF
	[ "$1" = dst ] && conf=$DST_CONF
	doveadm -c "$conf" -f flow mailbox status -u "$2" messages "$3" |
		sed 's/.*messages=//'
}

@test "a phase with 'expunge: true': its delta removes what the source expunged after the prestage" {
	MIGRATE_TEST_CRASH_AFTER="expunge:cutover" run "$M" run "$PT/plan.yaml" --phase expunge
	[ "$status" -eq 99 ] || { echo "exit $status: $output"; return 1; }
	local before want
	before=$(messages src u29@corp.example INBOX)
	[ "$(messages dst u29@corp.example INBOX)" = "$before" ]
	# the user deleted mail on the source between prestage and delta
	doveadm -c "$SRC_CONF" expunge -u u29@corp.example mailbox INBOX uid 1:4
	want=$(messages src u29@corp.example INBOX)
	[ "$want" -lt "$before" ]
	run "$M" run "$PT/plan.yaml" --phase expunge
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"phase 'expunge' done"* ]]
	[ "$(messages dst u29@corp.example INBOX)" = "$want" ]
	run "$M" log "$PT/plan.yaml"
	[[ "$output" == *"expunged $((before - want))"* ]]
}
