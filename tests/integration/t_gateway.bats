#!/usr/bin/env bats
# t_gateway.bats -- "migrate gateway" and the gateway checks of "migrate
# check", with the real postmap and postconf but no Postfix daemon
# (postmap -c DIR with an empty main.cf; postconf -c DIR reads a main.cf
# and master.cf we write).  Every map type; dry runs; stable bytes; hand
# edits; and faults -- postmap missing or failing, the reload failing,
# a folder we cannot write -- each leaving the old table answering.

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root (runs a case as nobody)"
	T=$(mktemp -d /tmp/migrate-gwtest.XXXXXX)
	chmod 755 "$T"
	export T
	export MIGRATE=${BUILD_DIR:?}/migrate GWTOOL=$BUILD_DIR/itests/gwtool
	export SRC_ROUTE=lmtp:inet:127.0.0.1:10024 DST_ROUTE=lmtp:inet:127.0.0.1:11024
}

teardown_file() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

setup() {
	D=$T/$BATS_TEST_NUMBER
	rm -rf "$D"
	mkdir -p "$D/cf" "$D/maps"
	chmod 755 "$D" "$D/cf" "$D/maps"
	: >"$D/cf/main.cf"
}

# plan TYPE [GATEWAY LINES...]: write $D/plan.yaml (src is the default;
# carol starts on dst)
plan() {
	local type=$1 line
	shift
	cat >"$D/plan.yaml" <<EOF
version: 1
migration: gwtest
domains: [corp.example]
backends:
  src:
    imap: { host: 127.0.0.1, port: 10143, tls: none }
    login: { method: master, user: m, secret: { env: PW } }
    route: "$SRC_ROUTE"
    default: true
  dst:
    imap: { host: 127.0.0.1, port: 11143, tls: none }
    login: { method: master, user: m, secret: { env: PW } }
    route: "$DST_ROUTE"
gateway:
  kind: postfix
  map: maps/transport
  map_type: $type
  config_dir: cf
EOF
	for line in "$@"; do echo "  $line" >>"$D/plan.yaml"; done
	cat >>"$D/plan.yaml" <<EOF
users:
  - { address: alice@corp.example, group: it }
  - { address: bob@corp.example, group: it }
  - { address: carol@corp.example, backend: dst }
phases:
  - { name: pilot, groups: [it], from: src, to: dst }
EOF
}

# q TYPE KEY: what the map in $D/maps answers
q() {
	postmap -c "$D/cf" -q "$2" "$1:$D/maps/transport"
}

versions() {
	sqlite3 "$D/plan.state.db" "SELECT count(*) FROM gateway_versions WHERE status = '${1:-installed}'"
}

@test "every map type: write, build, look up, move a user, write again" {
	for type in lmdb cdb hash texthash; do
		rm -rf "$D/maps"/* "$D/maps"/.??* "$D"/plan.state.db*
		plan "$type" 'reload: ["true"]' 'default_route: true'
		run "$MIGRATE" gateway "$D/plan.yaml"
		[ "$status" = 0 ] || { echo "$type: $output"; false; }
		[[ $output == *"version 1 in force, 2 entries"* ]]
		[ "$(q "$type" carol@corp.example)" = "$DST_ROUTE" ]
		[ "$(q "$type" corp.example)" = "$SRC_ROUTE" ]
		run q "$type" bob@corp.example
		[ "$status" = 1 ] && [ -z "$output" ]
		"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
		run "$MIGRATE" gateway "$D/plan.yaml"
		[ "$status" = 0 ]
		[[ $output == *"version 2 in force, 3 entries"* ]]
		[ "$(q "$type" bob@corp.example)" = "$DST_ROUTE" ]
		# back again: the entry disappears
		"$GWTOOL" move "$D/plan.yaml" bob@corp.example src
		"$MIGRATE" gateway "$D/plan.yaml"
		run q "$type" bob@corp.example
		[ "$status" = 1 ] && [ -z "$output" ]
		[ "$(versions)" = 3 ]
		# nothing but the lock file is left next to the map
		[ "$(ls -A "$D/maps" | grep -c migrate-)" = 1 ]
	done
}

@test "--dry-run prints a unified diff and changes nothing" {
	plan lmdb 'reload: ["true"]'
	run "$MIGRATE" gateway "$D/plan.yaml" --dry-run
	[ "$status" = 0 ]
	[[ $output == *"--- $D/maps/transport"$'\n'"+++ $D/maps/transport (new)"$'\n'"@@ -0,0 +1,3 @@"* ]]
	[[ $output == *"+carol@corp.example	$DST_ROUTE"* ]]
	[ ! -e "$D/maps/transport" ]
	[ ! -e "$D/plan.state.db" ]
	"$MIGRATE" gateway "$D/plan.yaml"
	cp "$D/maps/transport" "$D/before"
	"$GWTOOL" move "$D/plan.yaml" alice@corp.example dst
	run "$MIGRATE" gateway -n "$D/plan.yaml"
	[ "$status" = 0 ]
	[[ $output == *"@@ -"* ]]
	[[ $output == *"+alice@corp.example	$DST_ROUTE"* ]]
	cmp "$D/before" "$D/maps/transport"
	[ "$(versions)" = 1 ]
	run q lmdb alice@corp.example
	[ -z "$output" ]
	# up to date: no diff
	"$MIGRATE" gateway "$D/plan.yaml"
	run "$MIGRATE" gateway -n "$D/plan.yaml"
	[ "$status" = 0 ]
	[ "$output" = "no change: '$D/maps/transport' is up to date" ]
}

@test "the same state always gives the same bytes" {
	plan hash 'reload: ["true"]' 'default_route: true' 'recipient_map: maps/recipients'
	"$MIGRATE" gateway "$D/plan.yaml"
	run "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 0 ]
	[ "${lines[0]}" = "no change: '$D/maps/transport': version 1 is up to date, 2 entries" ]
	[ "${lines[1]}" = "no change: '$D/maps/recipients': version 2 is up to date" ]
	cp "$D/maps/transport" "$D/t1"
	cp "$D/maps/recipients" "$D/r1"
	rm -rf "$D/maps"/* "$D/maps"/.??* "$D"/plan.state.db*
	"$MIGRATE" gateway "$D/plan.yaml"
	cmp "$D/t1" "$D/maps/transport"
	cmp "$D/r1" "$D/maps/recipients"
	[ "$(postmap -c "$D/cf" -q carol@corp.example "hash:$D/maps/recipients")" = OK ]
	grep -q "^# Written by migrate: do not edit" "$D/maps/transport"
}

@test "a map edited by hand stops the write with the diff; --force overwrites it" {
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	echo "evil@corp.example smtp:[elsewhere]:25" >>"$D/maps/transport"
	"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	run "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 78 ]
	[[ $output == *"transport (version 1, written by migrate)"* ]]
	[[ $output == *"+evil@corp.example smtp:[elsewhere]:25"* ]]
	[[ $output == *"was changed by hand since migrate wrote it"*"--force"* ]]
	# the old table still answers; the edit is still there
	[ "$(q lmdb carol@corp.example)" = "$DST_ROUTE" ]
	run q lmdb bob@corp.example
	[ -z "$output" ]
	grep -q evil "$D/maps/transport"
	run "$MIGRATE" gateway "$D/plan.yaml" --force
	[ "$status" = 0 ]
	[[ $output == *"overwriting the hand edit"* ]]
	[ "$(q lmdb bob@corp.example)" = "$DST_ROUTE" ]
	! grep -q evil "$D/maps/transport"
	"$MIGRATE" log "$D/plan.yaml" | grep -q "gateway-force"
}

@test "postmap missing: clear error, the old table answers" {
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	plan lmdb 'reload: ["true"]' 'postmap: /nonexistent/postmap'
	"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	run "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 78 ]
	[[ $output == *"'/nonexistent/postmap': not found; nothing was changed"* ]]
	[ "$(q lmdb carol@corp.example)" = "$DST_ROUTE" ]
	run q lmdb bob@corp.example
	[ -z "$output" ]
	[ "$(versions)" = 1 ]
	[ ! -e "$D/maps/.transport.migrate-new" ]
}

@test "postmap failing: clear error, the old table answers" {
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	printf '#!/bin/sh\necho "postmap: fatal: open database: No space left on device" >&2\nexit 1\n' >"$D/postmap"
	chmod 755 "$D/postmap"
	plan lmdb 'reload: ["true"]' "postmap: $D/postmap"
	"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	run "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 74 ]
	[[ $output == *"cannot build map 'lmdb:"*"exited with status 1: postmap: fatal: open database: No space left on device; nothing was changed"* ]]
	[ "$(q lmdb carol@corp.example)" = "$DST_ROUTE" ]
	run q lmdb bob@corp.example
	[ -z "$output" ]
	[ "$(versions)" = 1 ]
}

@test "the reload failing: the previous map is put back and answers" {
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	cp "$D/maps/transport" "$D/before"
	printf '#!/bin/sh\necho "postfix: fatal: the Postfix mail system is not running" >&2\nexit 1\n' >"$D/reload"
	chmod 755 "$D/reload"
	plan lmdb "reload: [$D/reload]"
	"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	run "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 74 ]
	[[ $output == *"gateway reload failed: '$D/reload' exited with status 1: postfix: fatal: the Postfix mail system is not running; the previous map was put back and is in force"* ]]
	cmp "$D/before" "$D/maps/transport"
	[ "$(q lmdb carol@corp.example)" = "$DST_ROUTE" ]
	run q lmdb bob@corp.example
	[ -z "$output" ]
	[ "$(versions failed)" = 1 ]
	"$MIGRATE" log "$D/plan.yaml" | grep -q "gateway-failed.*reload failed"
	# fixed: the next run writes it
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	[ "$(q lmdb bob@corp.example)" = "$DST_ROUTE" ]
}

@test "a folder we cannot write: clear error, the old table answers" {
	# migrate runs as nobody (root would ignore the folder's mode)
	plan lmdb 'reload: ["true"]'
	chown -R nobody "$D"
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_nobody "$MIGRATE" gateway "$D/plan.yaml"
	[ "$(q lmdb carol@corp.example)" = "$DST_ROUTE" ]
	chown root "$D/maps"
	chmod 755 "$D/maps"
	as_nobody "$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	run as_nobody "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 74 ]
	[[ $output == *"map '$D/maps/transport': cannot create '$D/maps/.transport.migrate-new' in its folder: Permission denied; nothing was changed"* ]]
	[ "$(q lmdb carol@corp.example)" = "$DST_ROUTE" ]
	run q lmdb bob@corp.example
	[ -z "$output" ]
}

@test "restore an exact earlier version" {
	plan cdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	cp "$D/maps/transport" "$D/v1"
	"$GWTOOL" move "$D/plan.yaml" alice@corp.example dst
	"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	"$MIGRATE" gateway "$D/plan.yaml"
	[ "$(q cdb alice@corp.example)" = "$DST_ROUTE" ]
	run "$GWTOOL" restore "$D/plan.yaml" 1
	[ "$status" = 0 ]
	[ "$output" = "version 3" ]
	cmp "$D/v1" "$D/maps/transport"
	run q cdb alice@corp.example
	[ -z "$output" ]
	[ "$(sqlite3 "$D/plan.state.db" "SELECT reason FROM gateway_versions WHERE id = 3")" = "restore of version 1" ]
	run "$GWTOOL" restore "$D/plan.yaml" 42
	[ "$status" = 1 ]
	[[ $output == *"there is no gateway map version 42"* ]]
}

@test "a plan without a gateway section" {
	plan lmdb
	sed -i '/^gateway:/,/^users:/{/^users:/!d}' "$D/plan.yaml"
	run "$MIGRATE" gateway "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"has no 'gateway' section"* ]]
}

# ---- migrate check against a Postfix configuration (no daemon) ----------

# pfconf [SITE LINE]: main.cf and master.cf of a gateway in $D/cf; the site
# map $D/site has the domain default (or SITE LINE)
pfconf() {
	cat >"$D/cf/main.cf" <<EOF
myhostname = gw.corp.example
inet_interfaces = 127.0.0.1
transport_maps = ${MAPS:-lmdb:$D/maps/transport, hash:$D/site}
EOF
	cat >"$D/cf/master.cf" <<EOF
127.0.0.1:2525 inet  n - n - - smtpd
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
lmtp      unix  -       -       n       -       -       lmtp
EOF
	echo "${1:-corp.example $SRC_ROUTE}" >"$D/site"
	postmap -c "$D/cf" "hash:$D/site"
}

@test "check: a good gateway passes; without a configuration the live checks are skipped" {
	plan lmdb 'reload: ["true"]'
	rm "$D/cf/main.cf"
	run "$MIGRATE" -v check "$D/plan.yaml"
	[ "$status" = 0 ]
	[[ $output == *"info: gateway: checks against the live Postfix configuration skipped: '$D/cf/main.cf' does not exist"* ]]
	: >"$D/cf/main.cf"
	"$MIGRATE" gateway "$D/plan.yaml"
	pfconf
	run "$MIGRATE" -v check "$D/plan.yaml"
	[ "$status" = 0 ]
	[[ $output == *"'corp.example' in 'hash:$D/site' routes to the default backend 'src'"* ]]
	[[ $output == *"plan '$D/plan.yaml' is valid"* ]]
}

@test "check: the map must be listed in transport_maps, first" {
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	MAPS="hash:$D/site" pfconf
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"transport_maps does not list 'lmdb:$D/maps/transport' (list it first"* ]]
	MAPS="hash:$D/site, lmdb:$D/maps/transport" pfconf
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"transport_maps lists 'lmdb:$D/maps/transport' after 'hash:$D/site'"* ]]
}

@test "check: a route whose transport is not in master.cf, a loop, two backends with one route" {
	SRC_ROUTE="smtp:[127.0.0.1]:2525" DST_ROUTE="bogus:[mx.example]" plan lmdb 'reload: ["true"]'
	: >"$D/cf/main.cf"
	"$MIGRATE" gateway "$D/plan.yaml"
	pfconf "corp.example smtp:[127.0.0.1]:2525"
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"backend 'dst': route 'bogus:[mx.example]' uses transport 'bogus', which is not a service in the gateway's master.cf"* ]]
	[[ $output == *"backend 'src': route 'smtp:[127.0.0.1]:2525' points at the gateway's own SMTP listener '127.0.0.1:2525' (a mail loop)"* ]]
	SRC_ROUTE="smtp:[gw.corp.example]:2525" plan lmdb 'reload: ["true"]'
	run "$MIGRATE" check "$D/plan.yaml"
	[[ $output == *"route 'smtp:[gw.corp.example]:2525' points at the gateway's own SMTP listener"* ]]
	SRC_ROUTE=$DST_ROUTE plan lmdb 'reload: ["true"]'
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"backends 'src' and 'dst' have the same route"* ]]
}

@test "check: a catch-all that sends users without a line elsewhere; a map out of date" {
	plan lmdb 'reload: ["true"]'
	"$MIGRATE" gateway "$D/plan.yaml"
	pfconf "corp.example smtp:[old-relay.example]:25"
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"'corp.example' in 'hash:$D/site' routes to 'smtp:[old-relay.example]:25', but users without a line in migrate's map live on the default backend 'src'"* ]]
	# the domain default is right, but the map in force lags the state:
	# the catch-all hides bob's missing line
	pfconf
	"$GWTOOL" move "$D/plan.yaml" bob@corp.example dst
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"the map in force does not match where users live, and a catch-all hides it: map 'lmdb:$D/maps/transport': 1 wrong answer: 'bob@corp.example' not found, expected '$DST_ROUTE'"* ]]
	"$MIGRATE" gateway "$D/plan.yaml"
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 0 ]
	# a user the state still knows, outside the plan's domains
	"$GWTOOL" move "$D/plan.yaml" zoe@other.example dst
	run "$MIGRATE" check "$D/plan.yaml"
	[ "$status" = 65 ]
	[[ $output == *"user 'zoe@other.example' is outside the plan's domains"* ]]
}
