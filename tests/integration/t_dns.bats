#!/usr/bin/env bats
# t_dns.bats -- "migrate dns" against the real DNS servers of the sandbox:
# PowerDNS through its HTTP API, BIND and Knot through RFC 2136 with TSIG.
# Round trips (lower -> verify -> change -> restore -> rollback) on each,
# wrong keys, an unreachable provider, plan errors, a run killed at each
# dangerous point and run again, and verification that catches a server
# still serving old data.  The zone TTL is 4 s and the low TTL 2 s, so
# waiting for caches takes seconds; MIGRATE_NOW skips the wait where the
# test is not about waiting.  Everything on 127.0.0.1.

SB="$BATS_TEST_DIRNAME/../sandbox"

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	: "${BUILD_DIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build}"
	export BUILD_DIR
	SANDBOX_TMP=$(mktemp -d /tmp/migrate-dnstest.XXXXXX)
	export SANDBOX_TMP
	chmod 755 "$SANDBOX_TMP"
	SANDBOX_ZONE_TTL=4 "$SB/up.sh" "$SANDBOX_TMP/lab" >"$SANDBOX_TMP/up.out" 2>&1 || {
		cat "$SANDBOX_TMP/up.out" >&2
		return 1
	}
	set -a
	. "$SANDBOX_TMP/lab/env"
	set +a
	# a second TSIG key, hmac-sha512, on PowerDNS
	PDNS_SHA512_SECRET=$(head -c 64 /dev/urandom | base64 -w0)
	export PDNS_SHA512_SECRET
	pdns_api POST /tsigkeys "{\"name\":\"sha512-key\",\"algorithm\":\"hmac-sha512\",\"key\":\"$PDNS_SHA512_SECRET\"}"
	pdns_api PUT /zones/corp.example./metadata/TSIG-ALLOW-DNSUPDATE '{"metadata":["ddns-key","sha512-key"]}'
	start_capped_bind
}

teardown_file() {
	[ -n "${SANDBOX_TMP:-}" ] || return 0
	if [ -s "$SANDBOX_TMP/cap/named.pid" ]; then
		kill "$(cat "$SANDBOX_TMP/cap/named.pid")" 2>/dev/null
		sleep 0.3
	fi
	"$SB/down.sh" "$SANDBOX_TMP/lab" >/dev/null
	rm -rf "$SANDBOX_TMP"
}

setup() {
	M=$BUILD_DIR/migrate
	T=$SANDBOX_TMP/t$BATS_TEST_NUMBER
	mkdir -p "$T"
	cd "$T" || return 1
	export PDNS_API_KEY BIND_TSIG_SECRET KNOT_TSIG_SECRET MASTER_PW
	unset MIGRATE_NOW MIGRATE_TEST_CRASH_AFTER MIGRATE_DNS_SETTLE
	reset_zone
}

# ---- helpers -----------------------------------------------------------

pdns_api() {	# pdns_api METHOD PATH [JSON]
	curl -sf -o /dev/null --max-time 5 -X "$1" -H @"$SANDBOX_DIR/pdns/api-key.header" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} \
		"$PDNS_API/servers/localhost$2"
}

# A BIND of our own (not the sandbox's) that caps TTLs at 86400 without a
# word, for "a TTL the provider refuses".
start_capped_bind() {
	local d=$SANDBOX_TMP/cap i
	mkdir -p "$d"
	CAP_DNS=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	CAP_TSIG_SECRET=$BIND_TSIG_SECRET
	export CAP_DNS CAP_TSIG_SECRET
	cp "$SANDBOX_DIR/bind/ddns.key" "$SANDBOX_DIR/bind/db.corp.example" "$d/"
	sed -e "s|$SANDBOX_DIR/bind|$d|g" -e "s|port $BIND_DNS |port $CAP_DNS |" \
		-e 's|allow-update|max-zone-ttl 86400; allow-update|' \
		"$SANDBOX_DIR/bind/named.conf" >"$d/named.conf"
	grep -q "port $CAP_DNS " "$d/named.conf" || { echo "cannot configure the capped bind" >&2; return 1; }
	setsid named -c "$d/named.conf" -g </dev/null >"$d/named.log" 2>&1 3>&- &
	for i in $(seq 1 100); do
		dig @127.0.0.1 -p "$CAP_DNS" +time=1 +tries=1 +short corp.example SOA 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	echo "capped bind did not start" >&2
	cat "$d/named.log" >&2
	return 1
}

# Put MX, TXT and CNAME back as up.sh made them, on all three servers,
# with tools that are not ours.
reset_zone() {
	local t=$SANDBOX_ZONE_TTL p k
	rr() { printf '{"name":"%s","type":"%s","ttl":%s,"changetype":"REPLACE","records":[{"content":"%s","disabled":false}]}' "$@"; }
	pdns_api PATCH /zones/corp.example. "{\"rrsets\":[$(rr corp.example. MX "$t" "10 mx.source-host.example."),$(rr corp.example. TXT "$t" '\"v=spf1 include:source-host.example -all\"'),$(rr autodiscover.corp.example. CNAME "$t" autodiscover.source-host.example.)]}"
	for p in "$BIND_DNS:$BIND_KEY_FILE" "$KNOT_DNS:$KNOT_KEY_FILE"; do
		nsupdate -k "${p#*:}" <<EOF
server 127.0.0.1 ${p%%:*}
zone corp.example
update delete corp.example. MX
update add corp.example. $t MX 10 mx.source-host.example.
update delete corp.example. TXT
update add corp.example. $t TXT "v=spf1 include:source-host.example -all"
update delete autodiscover.corp.example. CNAME
update add autodiscover.corp.example. $t CNAME autodiscover.source-host.example.
send
EOF
	done
}

# answer PORT NAME TYPE: "TTL RDATA" lines as the server itself gives them
answer() {
	dig @127.0.0.1 -p "$1" +norecurse +noall +answer "$2" "$3" |
		awk '{ $1 = ""; $3 = ""; print }' | sed 's/^ *//; s/  */ /g'
}

# plan FILE PROVIDER [SERVER...]: a plan for the sandbox's zone
plan() {
	local f=$1 prov=$2 servers="" s
	local manage=${MANAGE:-'"corp.example. MX", "corp.example. TXT", "autodiscover.corp.example. CNAME"'}
	shift 2
	for s in "$@"; do servers+="${servers:+, }\"127.0.0.1:$s\""; done
	{
		cat <<EOF
version: 1
migration: dns-test
domains: [corp.example]
backends:
  src:
    imap: { host: 127.0.0.1, port: $SRC_IMAP, tls: none }
    login: { method: master, user: migrator, secret: { env: MASTER_PW } }
    route: "lmtp:inet:127.0.0.1:$SRC_LMTP"
  dst:
    imap: { host: 127.0.0.1, port: $DST_IMAP, tls: none }
    login: { method: master, user: migrator, secret: { env: MASTER_PW } }
    route: "lmtp:inet:127.0.0.1:$DST_LMTP"
    default: false
dns:
  zone: corp.example.
  low_ttl: 2
  servers: [$servers]
  manage: [$manage]
EOF
		case $prov in
		powerdns) printf '  provider: powerdns\n  endpoint: %s\n  key: { env: PDNS_API_KEY }\n' "${ENDPOINT:-$PDNS_API}" ;;
		bind) printf '  provider: rfc2136\n  endpoint: %s\n  key: { env: BIND_TSIG_SECRET }\n  key_name: %s\n' "${ENDPOINT:-127.0.0.1:$BIND_DNS}" "${KEY_NAME:-ddns-key}" ;;
		knot) printf '  provider: rfc2136\n  endpoint: %s\n  key: { env: KNOT_TSIG_SECRET }\n  key_name: %s\n' "${ENDPOINT:-127.0.0.1:$KNOT_DNS}" "${KEY_NAME:-ddns-key}" ;;
		esac
		cat <<EOF
users:
  - { address: alice@corp.example, group: pilot }
  - { address: bob@corp.example }
phases:
  - { name: pilot, groups: [pilot], from: src, to: dst }
  - name: final
    rest: true
    from: src
    to: dst
    dns_change:
      "corp.example. MX": ["10 mx.dest-host.example."]
      "corp.example. TXT": ["v=spf1 include:dest-host.example -all"]
EOF
	} >"$f"
}

# round_trip PROVIDER PORT: the whole life of the final phase's records
round_trip() {
	local prov=$1 port=$2 secret=$3
	plan p.yaml "$prov" "$port"

	run "$M" dns p.yaml lower --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"~ corp.example. MX: lower (TTL 4 -> 2)"* ]]
	[[ "$output" == *"+ corp.example. 2 IN MX 10 mx.source-host.example."* ]]
	[[ "$output" == *"dry run: nothing was changed"* ]]
	[ ! -e p.state.db ]
	[ "$(answer "$port" corp.example MX)" = "4 MX 10 mx.source-host.example." ]

	run "$M" dns p.yaml lower
	[ "$status" -eq 0 ]
	[[ "$output" == *"lowered TTL of corp.example. MX: 4 -> 2"* ]]
	[ "$(answer "$port" corp.example MX)" = "2 MX 10 mx.source-host.example." ]
	[ "$(answer "$port" autodiscover.corp.example CNAME)" = "2 CNAME autodiscover.source-host.example." ]
	run "$M" status p.yaml
	[[ "$output" == *"TTL of corp.example. MX still lowered since "*"(original 4 s)"* ]]

	# too early: refused with the time it will be safe
	run "$M" dns p.yaml change --phase final
	[ "$status" -eq 75 ]
	[[ "$output" == *"phase 'final': not yet safe to change DNS: caches may hold the old TTL until 20"*"; run again then, or use --wait"* ]]
	[ "$(answer "$port" corp.example MX)" = "2 MX 10 mx.source-host.example." ]

	run "$M" dns p.yaml verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"server 127.0.0.1:$port serial "*": ok"* ]]

	run "$M" dns p.yaml change --phase final --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"- corp.example. 2 IN MX 10 mx.source-host.example."* ]]
	[[ "$output" == *"+ corp.example. 2 IN MX 10 mx.dest-host.example."* ]]
	[ "$(answer "$port" corp.example MX)" = "2 MX 10 mx.source-host.example." ]

	if [ "${WAIT:-0}" = 1 ]; then
		local t0=$SECONDS
		run "$M" dns p.yaml change --phase final --wait
		[ "$status" -eq 0 ]
		[[ "$output" == *"waiting "* ]]
		[ $((SECONDS - t0)) -ge 2 ]
	else
		MIGRATE_NOW=$(($(date +%s) + 10)) run "$M" dns p.yaml change --phase final
		[ "$status" -eq 0 ]
	fi
	[[ "$output" == *"changed corp.example. MX"* ]]
	[ "$(answer "$port" corp.example MX)" = "2 MX 10 mx.dest-host.example." ]
	[ "$(answer "$port" corp.example TXT)" = '2 TXT "v=spf1 include:dest-host.example -all"' ]
	# again: nothing left to do
	MIGRATE_NOW=$(($(date +%s) + 10)) run "$M" dns p.yaml change --phase final
	[ "$status" -eq 0 ]
	[[ "$output" != *"changed"* ]]

	run "$M" dns p.yaml restore
	[ "$status" -eq 0 ]
	[[ "$output" == *"restored TTL of corp.example. MX: 2 -> 4"* ]]
	[ "$(answer "$port" corp.example MX)" = "4 MX 10 mx.dest-host.example." ]
	[ "$(answer "$port" autodiscover.corp.example CNAME)" = "4 CNAME autodiscover.source-host.example." ]
	run "$M" status p.yaml
	[[ "$output" != *"still lowered"* ]]
	run "$M" dns p.yaml restore
	[ "$status" -eq 0 ]
	[[ "$output" == *"no lowered TTL to restore"* ]]

	run "$M" dns p.yaml rollback --phase final
	[ "$status" -eq 0 ]
	[[ "$output" == *"rolled back corp.example. MX to its original records, TTL 4"* ]]
	[ "$(answer "$port" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	[ "$(answer "$port" corp.example TXT)" = '4 TXT "v=spf1 include:source-host.example -all"' ]

	run "$M" log p.yaml
	for k in dns-lower dns-change dns-restore dns-rollback dns-verify; do
		[[ "$output" == *" $k "* ]]
	done
	# the key is nowhere: not in the output, the log or the state
	run "$M" -D dns,http dns p.yaml verify
	[ "$status" -eq 0 ]
	[[ "$output" != *"$secret"* ]]
	[ -z "$(sqlite3 p.state.db .dump | grep -F -- "$secret")" ]
}

# ---- round trips -------------------------------------------------------

@test "powerdns (HTTP API): lower, verify, change --wait, restore, rollback" {
	WAIT=1 round_trip powerdns "$PDNS_DNS" "$PDNS_API_KEY"
}

@test "bind (RFC 2136 + TSIG): lower, verify, change, restore, rollback" {
	round_trip bind "$BIND_DNS" "$BIND_TSIG_SECRET"
}

@test "knot (RFC 2136 + TSIG): lower, verify, change, restore, rollback" {
	round_trip knot "$KNOT_DNS" "$KNOT_TSIG_SECRET"
}

@test "the engine against every server: TTLs, hmac-sha512, wrong keys, a TTL refused" {
	run "$BUILD_DIR/itests/dnsctl_live"
	echo "$output"
	[ "$status" -eq 0 ]
}

# ---- refusals ------------------------------------------------------------

@test "a wrong API key is refused (exit 77) and nothing changes" {
	plan p.yaml powerdns "$PDNS_DNS"
	PDNS_API_KEY=wrong-key-1234 run "$M" dns p.yaml lower
	[ "$status" -eq 77 ]
	[[ "$output" == *"powerdns '$PDNS_API' zone 'corp.example.': record 'corp.example. MX': the API key was refused (HTTP 401)"* ]]
	[[ "$output" != *"wrong-key-1234"* ]]
	[ "$(answer "$PDNS_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	run "$M" status p.yaml
	[[ "$output" != *"still lowered"* ]]
}

@test "a wrong TSIG secret (BADSIG) or key name (BADKEY) is refused (exit 77)" {
	plan b.yaml bind "$BIND_DNS"
	BIND_TSIG_SECRET=$KNOT_TSIG_SECRET run "$M" dns b.yaml lower
	[ "$status" -eq 77 ]
	[[ "$output" == *"rfc2136 '127.0.0.1:$BIND_DNS' zone 'corp.example.': record 'corp.example. MX': TSIG key 'ddns-key.' refused (BADSIG: wrong secret or algorithm)"* ]]
	[ "$(answer "$BIND_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	run "$M" status b.yaml
	[[ "$output" != *"still lowered"* ]]

	KEY_NAME=nobody-key plan k.yaml knot "$KNOT_DNS"
	run "$M" dns k.yaml lower
	[ "$status" -eq 77 ]
	[[ "$output" == *"TSIG key 'nobody-key.' refused (BADKEY: the server does not know this key)"* ]]
	[ "$(answer "$KNOT_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
}

@test "an unreachable provider is a temporary failure (exit 75), nothing saved" {
	ENDPOINT=http://127.0.0.1:9/api/v1 plan p.yaml powerdns "$PDNS_DNS"
	run "$M" dns p.yaml lower
	[ "$status" -eq 75 ]
	[[ "$output" == *"powerdns 'http://127.0.0.1:9/api/v1' zone 'corp.example.': record 'corp.example. MX': cannot reach the API"* ]]
	ENDPOINT=127.0.0.1:9 plan b.yaml bind "$BIND_DNS"
	run "$M" dns b.yaml lower
	[ "$status" -eq 75 ]
	[[ "$output" == *"rfc2136 '127.0.0.1:9' zone 'corp.example.': record 'corp.example. MX': server '127.0.0.1:9'"* ]]
	run "$M" status b.yaml
	[[ "$output" != *"still lowered"* ]]
	# and "migrate check" stays off the network
	run "$M" check b.yaml
	[ "$status" -eq 0 ]
}

@test "a record outside the zone is a plan error (exit 65)" {
	MANAGE='"mx.other.example. MX"' plan p.yaml powerdns "$PDNS_DNS"
	run "$M" dns p.yaml lower
	[ "$status" -eq 65 ]
	[[ "$output" == *"record 'mx.other.example. MX' is outside the zone 'corp.example.'"* ]]
}

@test "a name without an RRset: refused before anything changes (exit 65)" {
	MANAGE='"corp.example. MX", "corp.example. TXT", "nothere.corp.example. MX"' \
		plan b.yaml bind "$BIND_DNS"
	run "$M" dns b.yaml lower
	[ "$status" -eq 65 ]
	[[ "$output" == *"rfc2136 '127.0.0.1:$BIND_DNS' zone 'corp.example.': record 'nothere.corp.example. MX': no RRset; nothing was changed"* ]]
	[ "$(answer "$BIND_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	run "$M" status b.yaml
	[[ "$output" != *"still lowered"* ]]
}

@test "a change of records never lowered is refused (exit 64) unless --force" {
	plan k.yaml knot "$KNOT_DNS"
	run "$M" dns k.yaml change --phase final
	[ "$status" -eq 64 ]
	[[ "$output" == *"'corp.example. MX': its TTL has not been lowered; run 'migrate dns k.yaml lower --phase final' first"* ]]
	run "$M" dns k.yaml change --phase final --dry-run
	[ "$status" -eq 0 ]
	[[ "$output" == *"+ corp.example. 4 IN MX 10 mx.dest-host.example."* ]]
	[ "$(answer "$KNOT_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	run "$M" dns k.yaml change --phase final --force
	[ "$status" -eq 0 ]
	[ "$(answer "$KNOT_DNS" corp.example MX)" = "4 MX 10 mx.dest-host.example." ]
	run "$M" dns k.yaml rollback --phase final
	[ "$status" -eq 0 ]
	[ "$(answer "$KNOT_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	run "$M" dns k.yaml lower --phase pilot
	[ "$status" -eq 0 ]
	run "$M" dns k.yaml frobnicate
	[ "$status" -eq 64 ]
	run "$M" dns k.yaml lower --phase nosuch
	[ "$status" -eq 64 ]
}

# ---- crashes -------------------------------------------------------------

@test "killed right after lower: status shows it, restore run again puts it back" {
	plan p.yaml powerdns "$PDNS_DNS"
	MIGRATE_TEST_CRASH_AFTER=lower run "$M" dns p.yaml lower
	[ "$status" -eq 99 ]
	[ "$(answer "$PDNS_DNS" corp.example MX)" = "2 MX 10 mx.source-host.example." ]
	run "$M" status p.yaml
	[[ "$output" == *"TTL of corp.example. TXT still lowered since "*"(original 4 s)"* ]]
	run "$M" dns p.yaml restore
	[ "$status" -eq 0 ]
	[ "$(answer "$PDNS_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	[ "$(answer "$PDNS_DNS" corp.example TXT)" = '4 TXT "v=spf1 include:source-host.example -all"' ]
	run "$M" status p.yaml
	[[ "$output" != *"still lowered"* ]]
}

@test "killed after the provider lowered but before the state knew: the original TTL is kept" {
	plan b.yaml bind "$BIND_DNS"
	MIGRATE_TEST_CRASH_AFTER=lower-sent run "$M" dns b.yaml lower
	[ "$status" -eq 99 ]
	[ "$(answer "$BIND_DNS" corp.example MX)" = "2 MX 10 mx.source-host.example." ]
	run "$M" dns b.yaml lower
	[ "$status" -eq 0 ]
	[ "$(sqlite3 b.state.db "SELECT orig_ttl FROM dns_records WHERE type = 'MX'")" = 4 ]
	run "$M" dns b.yaml restore
	[ "$status" -eq 0 ]
	[ "$(answer "$BIND_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
}

@test "killed after saving the originals, and in the middle of restore: runs again finish" {
	plan k.yaml knot "$KNOT_DNS"
	MIGRATE_TEST_CRASH_AFTER=save run "$M" dns k.yaml lower
	[ "$status" -eq 99 ]
	[ "$(answer "$KNOT_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	run "$M" dns k.yaml lower
	[ "$status" -eq 0 ]
	[ "$(answer "$KNOT_DNS" corp.example MX)" = "2 MX 10 mx.source-host.example." ]
	MIGRATE_TEST_CRASH_AFTER=restore-sent run "$M" dns k.yaml restore
	[ "$status" -eq 99 ]
	run "$M" status k.yaml
	[[ "$output" == *"still lowered"* ]]
	run "$M" dns k.yaml restore
	[ "$status" -eq 0 ]
	for n in "corp.example MX" "corp.example TXT" "autodiscover.corp.example CNAME"; do
		[[ "$(answer "$KNOT_DNS" $n)" == "4 "* ]]
	done
	run "$M" status k.yaml
	[[ "$output" != *"still lowered"* ]]
}

# ---- verification ----------------------------------------------------------

@test "verify notices a record edited behind migrate's back (exit 69)" {
	plan b.yaml bind "$BIND_DNS"
	run "$M" dns b.yaml lower
	[ "$status" -eq 0 ]
	nsupdate -k "$BIND_KEY_FILE" <<EOF
server 127.0.0.1 $BIND_DNS
zone corp.example
update delete corp.example. MX
update add corp.example. 2 MX 20 mx.someone-else.example.
send
EOF
	run "$M" dns b.yaml verify
	[ "$status" -eq 69 ]
	[[ "$output" == *"record 'corp.example. MX': the provider no longer serves what migrate wrote (TTL 2)"* ]]
	# restore keeps the records it finds, with the original TTL
	run "$M" dns b.yaml restore
	[ "$status" -eq 0 ]
	[ "$(answer "$BIND_DNS" corp.example MX)" = "4 MX 20 mx.someone-else.example." ]
}

@test "verify catches a server that still serves the old data (exit 75)" {
	plan p.yaml powerdns "$PDNS_DNS" "$BIND_DNS"
	MIGRATE_DNS_SETTLE=1 run "$M" dns p.yaml lower
	[ "$status" -eq 75 ]
	[[ "$output" == *"TTLs lowered, but not yet on every server"* ]]
	[[ "$output" == *"server '127.0.0.1:$BIND_DNS': 'corp.example. MX': serves TTL 4, expected 2"* ]]
	run "$M" dns p.yaml verify
	[ "$status" -eq 75 ]
	[[ "$output" == *"server 127.0.0.1:$PDNS_DNS serial "*": ok"* ]]
	[[ "$output" == *"server 127.0.0.1:$BIND_DNS serial "*": LAGS"* ]]
	[[ "$output" == *"SOA serials differ"* ]]
	# never confirmed everywhere, so never safe to change
	MIGRATE_NOW=$(($(date +%s) + 3600)) run "$M" dns p.yaml change --phase final
	[ "$status" -eq 75 ]
	[[ "$output" == *"the low TTL has not been seen on every server yet"* ]]
	[ "$(answer "$PDNS_DNS" corp.example MX)" = "2 MX 10 mx.source-host.example." ]
	# a change made on one server only is caught too
	plan q.yaml bind "$BIND_DNS" "$KNOT_DNS"
	MIGRATE_DNS_SETTLE=0 run "$M" dns q.yaml change --phase final --force
	[ "$status" -eq 75 ]
	[[ "$output" == *"server '127.0.0.1:$KNOT_DNS': 'corp.example. MX': serves '10 mx.source-host.example.', expected '10 mx.dest-host.example.'"* ]]
	MIGRATE_DNS_SETTLE=0 run "$M" dns q.yaml rollback --phase final
	[ "$(answer "$BIND_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
	MIGRATE_DNS_SETTLE=0 run "$M" dns p.yaml restore
	[ "$(answer "$PDNS_DNS" corp.example MX)" = "4 MX 10 mx.source-host.example." ]
}
