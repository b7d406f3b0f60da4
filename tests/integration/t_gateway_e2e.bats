#!/usr/bin/env bats
# t_gateway_e2e.bats -- split delivery through the sandbox's real Postfix
# gateway: migrate writes the transport map (lmdb, listed first in
# transport_maps; the site map sends the domain to the source Dovecot),
# users move phase by phase, and after every step a message to every user
# goes through the gateway's SMTP port and must land (checked with
# doveadm) on the backend where that user lives now.  Then a rollback to
# an exact earlier version, a route to a dead port that defers (and
# delivers after the fix and "postqueue -f"), and a failing reload that
# leaves the old table routing.  Deliveries are polled with a deadline.

SB="$BATS_TEST_DIRNAME/../sandbox"
USERS="alice bob carol dave erin frank grace heidi ivan judy"

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root (Postfix)"
	GW_TMP=$(mktemp -d /tmp/migrate-gwe2e.XXXXXX)
	export GW_TMP
	chmod 755 "$GW_TMP"
	"$SB/up.sh" "$GW_TMP/lab" >"$GW_TMP/up.out" 2>&1 || {
		cat "$GW_TMP/up.out" >&2
		return 1
	}
	set -a
	. "$GW_TMP/lab/env"
	set +a
	export MIGRATE=${BUILD_DIR:?}/migrate GWTOOL=$BUILD_DIR/itests/gwtool
	export PLAN=$GW_TMP/plan.yaml
	# a port with nothing listening, for the broken route
	DEAD=$((SANDBOX_BASE + 199))
	while ss -Hltn "sport = :$DEAD" | grep -q .; do DEAD=$((DEAD - 1)); done
	export DEAD
	write_plan "lmtp:inet:127.0.0.1:$DST_LMTP" "[postfix, -c, $POSTFIX_CONF, reload]"
}

teardown_file() {
	[ -n "${GW_TMP:-}" ] || return 0
	"$SB/down.sh" "$GW_TMP/lab" >/dev/null
	rm -rf "$GW_TMP"
}

# write_plan DST_ROUTE RELOAD: the plan of this file, from the sandbox env
write_plan() {
	cat >"$PLAN" <<EOF
version: 1
migration: gw-e2e
domains: [corp.example]
state: $GW_TMP/state.db
backends:
  src:
    imap: { host: 127.0.0.1, port: $SRC_IMAP, tls: none }
    login: { method: master, user: $MASTER_USER, secret: { env: MASTER_PW } }
    route: "lmtp:inet:127.0.0.1:$SRC_LMTP"
    default: true
  dst:
    imap: { host: 127.0.0.1, port: $DST_IMAP, tls: none }
    login: { method: master, user: $MASTER_USER, secret: { env: MASTER_PW } }
    route: "$1"
gateway:
  kind: postfix
  map: $TRANSPORT_MAP
  map_type: lmdb
  config_dir: $POSTFIX_CONF
  reload: $2
users:
  - { address: alice@corp.example, group: it }
  - { address: bob@corp.example, group: it }
  - { address: carol@corp.example, group: it }
  - { address: dave@corp.example, group: sales }
  - { address: erin@corp.example, group: sales }
  - { address: frank@corp.example, group: sales }
  - { address: grace@corp.example }
  - { address: heidi@corp.example }
  - { address: ivan@corp.example }
  - { address: judy@corp.example }
phases:
  - { name: it, groups: [it], from: src, to: dst }
  - { name: sales, groups: [sales], from: src, to: dst }
  - { name: rest, rest: true, from: src, to: dst }
EOF
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

send() {	# send USER TAG
	timeout 20 swaks --server 127.0.0.1 --port "$SMTP" --from ext@sender.example \
		--to "$1@corp.example" --header "Subject: $2" --silent 2 </dev/null
}

found() {	# found CONF USER TAG
	[ -n "$(doveadm -c "$1" search -u "$2@corp.example" mailbox INBOX header Subject "$3" 2>/dev/null)" ]
}

# lands USER TAG src|dst [SECONDS]: the message arrives on that backend
# (and never on the other) before the deadline
lands() {
	local want=$1 tag=$2 where=$3 end conf other
	end=$(($(now_ms) + ${4:-30} * 1000))
	if [ "$where" = src ]; then conf=$SRC_CONF other=$DST_CONF; else conf=$DST_CONF other=$SRC_CONF; fi
	while :; do
		if found "$conf" "$want" "$tag"; then
			! found "$other" "$want" "$tag" && return 0
			echo "'$tag' for $want is on both backends" >&2
			return 1
		fi
		if found "$other" "$want" "$tag"; then
			echo "'$tag' for $want landed on the wrong backend (want $where)" >&2
			return 1
		fi
		[ "$(now_ms)" -lt "$end" ] || break
		sleep 0.1
	done
	echo "'$tag' for $want never reached $where" >&2
	tail -n 8 "$POSTFIX_LOG" >&2
	return 1
}

# home USER: where the state says the user lives (src unless moved)
home() {
	local b
	b=$(sqlite3 "$GW_TMP/state.db" "SELECT backend FROM users WHERE address = '$1@corp.example'" 2>/dev/null)
	echo "${b:-src}"
}

# round TAG: one message to every user, each must land where it lives
round() {
	local u t0
	t0=$(now_ms)
	for u in $USERS; do send "$u" "$1-$u" || return 1; done
	for u in $USERS; do lands "$u" "$1-$u" "$(home "$u")" || return 1; done
	echo "# round '$1': 10 messages delivered in $(($(now_ms) - t0)) ms" >&3
}

move() {	# move BACKEND USER...
	local b=$1 u
	shift
	for u in "$@"; do "$GWTOOL" move "$PLAN" "$u@corp.example" "$b"; done
}

gateway() {
	local t0 rc
	t0=$(now_ms)
	run "$MIGRATE" gateway "$PLAN"
	echo "# migrate gateway: $(($(now_ms) - t0)) ms: $output" >&3
	[ "$status" = 0 ] || { echo "migrate gateway exited $status: $output" >&2; tail -n 8 "$POSTFIX_LOG" >&2; false; }
}

@test "before any move: the checks pass live, the table is written, every user's mail lands on src" {
	run "$MIGRATE" -v check "$PLAN"
	[ "$status" = 0 ]
	[[ $output == *"'corp.example' in 'hash:$SITE_TRANSPORT' routes to the default backend 'src'"* ]]
	gateway
	[[ $output == *"version 1 in force, 0 entries"* ]]
	round p0
}

@test "phase by phase: each user's mail lands where the user lives now" {
	move dst alice bob carol
	gateway
	[ "$(postmap -c "$POSTFIX_CONF" -q alice@corp.example "lmdb:$TRANSPORT_MAP")" = "lmtp:inet:127.0.0.1:$DST_LMTP" ]
	round p1
	"$GWTOOL" current "$PLAN" >"$GW_TMP/v-after-it"
	move dst dave erin frank
	gateway
	round p2
	"$GWTOOL" current "$PLAN" >"$GW_TMP/v-after-sales"
	move dst grace heidi ivan judy
	gateway
	round p3
	run "$GWTOOL" verify "$PLAN"
	[ "$status" = 0 ]
	run "$MIGRATE" check "$PLAN"
	[ "$status" = 0 ]
}

@test "roll back to an exact earlier version: mail follows the old routes again" {
	# the phase engine's rollback: users back in the state, then the
	# version in force before the phase comes back byte for byte
	v=$(cat "$GW_TMP/v-after-it")
	want=$(sqlite3 "$GW_TMP/state.db" "SELECT sha256 FROM gateway_versions WHERE id = $v")
	move src dave erin frank grace heidi ivan judy
	run "$GWTOOL" restore "$PLAN" "$v"
	[ "$status" = 0 ]
	[ "$(sha256sum <"$TRANSPORT_MAP" | cut -d' ' -f1)" = "$want" ]
	round rb
	run "$GWTOOL" verify "$PLAN"
	[ "$status" = 0 ]
	# and forward again from the state
	move dst dave erin frank grace heidi ivan judy
	gateway
	round fw
}

@test "a route to a dead port defers the mail; after the fix postqueue -f delivers it" {
	write_plan "lmtp:inet:127.0.0.1:$DEAD" "[postfix, -c, $POSTFIX_CONF, reload]"
	gateway
	send judy broken-judy
	# deferred, not bounced and not delivered: wait until the queue says so
	end=$(($(now_ms) + 30000))
	# (postlogd writes the log a moment after the queue file says why)
	until postqueue -c "$POSTFIX_CONF" -p | grep -q "127.0.0.1\[127.0.0.1\]:$DEAD" &&
		grep -q "to=<judy@corp.example>.*status=deferred.*:$DEAD" "$POSTFIX_LOG"; do
		[ "$(now_ms)" -lt "$end" ] || { postqueue -c "$POSTFIX_CONF" -p >&2; tail -n 8 "$POSTFIX_LOG" >&2; false; }
		sleep 0.2
	done
	! grep -q "to=<judy@corp.example>.*status=bounced" "$POSTFIX_LOG"
	! found "$DST_CONF" judy broken-judy
	! found "$SRC_CONF" judy broken-judy
	write_plan "lmtp:inet:127.0.0.1:$DST_LMTP" "[postfix, -c, $POSTFIX_CONF, reload]"
	gateway
	postqueue -c "$POSTFIX_CONF" -f
	lands judy broken-judy dst 30
	[ -z "$(postqueue -c "$POSTFIX_CONF" -j)" ]
}

@test "a failing reload leaves the old table routing live mail" {
	write_plan "lmtp:inet:127.0.0.1:$DST_LMTP" "[/bin/false]"
	move src alice
	run "$MIGRATE" gateway "$PLAN"
	[ "$status" = 74 ]
	[[ $output == *"gateway reload failed: '/bin/false' exited with status 1; the previous map was put back and is in force"* ]]
	[ "$(postmap -c "$POSTFIX_CONF" -q alice@corp.example "lmdb:$TRANSPORT_MAP")" = "lmtp:inet:127.0.0.1:$DST_LMTP" ]
	# the gateway still routes alice by the old table (to dst)
	send alice reload-fail-alice
	lands alice reload-fail-alice dst
	write_plan "lmtp:inet:127.0.0.1:$DST_LMTP" "[postfix, -c, $POSTFIX_CONF, reload]"
	gateway
	send alice reload-ok-alice
	lands alice reload-ok-alice src
}
