#!/usr/bin/env bats
# t_live.bats -- "migrate check --live" against real servers on 127.0.0.1:
# the sandbox (Dovecot, the Postfix gateway, PowerDNS, BIND, Knot) plus,
# from lib_mx.sh, three more Postfix instances as backup MX hosts (mx2:
# a relay recipient list, STARTTLS and port 465; mx3: no recipient list,
# a certificate that expires in 3 days; mx4: an open relay without TLS),
# certificates from the sandbox CA, a reverse zone and the MTA-STS records
# on PowerDNS, and an HTTPS server for the MTA-STS policy.
#
# Every check has a test that makes it pass and one that makes it fail
# (or warn, for the checks that only warn).

SB="$BATS_TEST_DIRNAME/../sandbox"
bats_require_minimum_version 1.5.0

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	: "${BUILD_DIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/build}"
	export BUILD_DIR
	LIVE_TMP=$(mktemp -d /tmp/migrate-livetest.XXXXXX)
	export LIVE_TMP
	chmod 755 "$LIVE_TMP"
	"$SB/up.sh" "$LIVE_TMP/lab" >"$LIVE_TMP/up.out" 2>&1 || {
		cat "$LIVE_TMP/up.out" >&2
		return 1
	}
	set -a
	. "$LIVE_TMP/lab/env"
	set +a
	. "$BATS_TEST_DIRNAME/lib_mx.sh"
	mx_cert gw.corp.example 30 && mx_cert mx2.corp.example 30 &&
		mx_cert mx3.corp.example 3 && mx_cert mx4.corp.example 30 &&
		mx_cert mta-sts.corp.example 30 || return 1
	P2=$(mx_port) P2S=$(mx_port) P3=$(mx_port) P4=$(mx_port) HP=$(mx_port)
	export P2 P2S P3 P4 HP
	mx_postfix mx2.corp.example "$P2" recipients "$P2S" &&
		mx_postfix mx3.corp.example "$P3" any &&
		mx_postfix mx4.corp.example "$P4" relay &&
		mx_gateway_tls gw.corp.example || return 1
	mkdir -p "$LIVE_TMP/www/.well-known"
	mx_https "$HP" "$LIVE_TMP/www" mta-sts.corp.example || return 1
	pdns_reverse_zone || return 1
	local h
	# on BIND and Knot too: BIND refuses an MX update whose in-zone
	# target has no address record
	for h in gw mx2 mx3 mx4 mx5 mta-sts loop; do
		all_rr "$h.corp.example." A 3600 127.0.0.1 || return 1
	done
	pdns_rr alias.corp.example. CNAME 3600 mx2.corp.example. || return 1
}

teardown_file() {
	[ -n "${LIVE_TMP:-}" ] || return 0
	"$SB/down.sh" "$LIVE_TMP/lab" >/dev/null
	rm -rf "$LIVE_TMP"
}

# The records, policy and gateway every test starts from.
setup() {
	. "$BATS_TEST_DIRNAME/lib_mx.sh"
	M=$BUILD_DIR/migrate
	T=$LIVE_TMP/t$BATS_TEST_NUMBER
	mkdir -p "$T"
	cd "$T" || return 1
	export PDNS_API_KEY MASTER_PW
	unset MIGRATE_NOW
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx2.corp.example." &&
		pdns_rr corp.example. TXT 3600 '"v=spf1 include:source-host.example include:spf.suite.example -all"' &&
		pdns_rr 1.0.0.127.in-addr.arpa. PTR 3600 gw.corp.example. &&
		pdns_rr _mta-sts.corp.example. TXT 3600 '"v=STSv1; id=1"' || return 1
	policy enforce gw.corp.example '*.corp.example'
	if [ -s "$TRANSPORT_MAP" ]; then
		: >"$TRANSPORT_MAP"
		postmap -c "$POSTFIX_CONF" lmdb:"$TRANSPORT_MAP"
	fi
}

policy() {	# policy MODE MX...
	local mode=$1 f=$LIVE_TMP/www/.well-known/mta-sts.txt
	shift
	{
		printf 'version: STSv1\nmode: %s\n' "$mode"
		printf 'mx: %s\n' "$@"
		printf 'max_age: 86400\n'
	} >"$f"
}

# plan FILE: the test plan; variables change parts of it.
plan() {
	local backups=${HOSTS-"      - { host: mx2.corp.example, preference: 20, role: backup, smtp: [25, 465], connect: { \"25\": \"127.0.0.1:$P2\", \"465\": \"127.0.0.1:$P2S\" } }"}
	cat >"$1" <<EOF
version: 1
migration: live
domains: [corp.example]
backends:
  src:
    imap: { host: 127.0.0.1, port: $SRC_IMAP, tls: none }
    login: { method: master, user: migrator, secret: { env: MASTER_PW } }
    route: "lmtp:inet:127.0.0.1:$SRC_LMTP"
    default: true
    spf: ["include:source-host.example"]
  dst:
    imap: { host: 127.0.0.1, port: $DST_IMAP, tls: none }
    login: { method: master, user: migrator, secret: { env: MASTER_PW } }
    route: "${DST_ROUTE:-lmtp:inet:127.0.0.1:$DST_LMTP}"
    spf: ["${DST_SPF:-include:spf.suite.example}"]
gateway:
  kind: postfix
  map: $TRANSPORT_MAP
  config_dir: $POSTFIX_CONF
  reload: [postfix, -c, $POSTFIX_CONF, reload]
  hostname: gw.corp.example
  connect: { "25": "127.0.0.1:$SMTP" }
  queue_max: ${QUEUE_MAX:-10}
  min_free_mb: ${MIN_FREE:-1}
dns:
  provider: powerdns
  endpoint: $PDNS_API
  key: { env: PDNS_API_KEY }
  zone: corp.example.
  manage: ["corp.example. MX"]
  servers: [${SERVERS:-"127.0.0.1:$PDNS_DNS"}]
  mx:
    ttl: ${MX_TTL:-3600}
    hosts:
      - { host: gw.corp.example, preference: 10, connect: { "25": "127.0.0.1:$SMTP" } }
$backups
    ca: ${MX_CA:-$CA_FILE}
    warn_days: 5
    timeout: 5
    mta_sts_port: $HP
users:
  - { address: alice@corp.example }
  - { address: bob@corp.example }
phases:
  - name: all
    rest: true
    from: src
    to: dst
    dns_change: { "corp.example. MX": [${FINAL_MX:-"10 gw.corp.example."}] }
EOF
}

# line STATUS CHECK SUBJECT: the output has that result line
line() {
	grep -E "^$1 +$2 +$3: " <<<"$output"
}

# ---- everything in order ---------------------------------------------------

@test "live: a healthy setup passes every check, exit 0" {
	plan p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	line OK mx-layout "127.0.0.1:$PDNS_DNS"
	line OK mx-ttl "127.0.0.1:$PDNS_DNS"
	line OK mx-address gw.corp.example
	line OK mx-address mx2.corp.example
	line OK fcrdns "gw.corp.example 127.0.0.1"
	line OK smtp gw.corp.example:25
	line OK starttls gw.corp.example:25
	line OK certificate gw.corp.example:25
	line OK smtp mx2.corp.example:25
	line OK smtp mx2.corp.example:465
	line OK starttls mx2.corp.example:465
	line OK certificate mx2.corp.example:465
	line OK backup-accept "mx2.corp.example:25 alice@corp.example"
	line OK backup-unknown "mx2.corp.example:25 migrate-probe-no-such-user@corp.example"
	line OK backup-relay "mx2.corp.example:25 relay-probe@migrate-probe.example"
	line OK gateway-routes "$TRANSPORT_MAP"
	line OK gateway-loop gateway
	line OK gateway-queue gateway
	line OK gateway-disk "$SANDBOX_DIR/pf/spool"
	line OK spf corp.example
	line OK mta-sts corp.example
	! grep -qE '^(WARN|FAIL|SKIP) ' <<<"$output"
	[[ "$output" == *"checks: "*" ok, 0 warnings, 0 failed, 0 not checked"* ]]
}

@test "live: --json lists every check with status and reason" {
	plan p.yaml
	run "$M" check --live --json p.yaml
	[ "$status" -eq 0 ]
	[ "$(jq -r .valid <<<"$output")" = true ]
	[ "$(jq -r '.summary.fail' <<<"$output")" = 0 ]
	[ "$(jq -r '[.checks[] | select(.check == "backup-relay")][0].status' <<<"$output")" = ok ]
	[ "$(jq -r '[.checks[].status] | unique | join(",")' <<<"$output")" = ok ]
}

@test "live: --json with a failure exits 69 and names it" {
	MIN_FREE=999999999 plan p.yaml
	run --separate-stderr "$M" check --live --json p.yaml
	[ "$status" -eq 69 ]
	[ "$(jq -r '.summary.fail' <<<"$output")" = 1 ]
	[ "$(jq -r '.checks[] | select(.status == "fail") | .check' <<<"$output")" = gateway-disk ]
	[[ "$stderr" == *"1 live check failed"* ]]
}

@test "live: --live is refused by commands other than check" {
	plan p.yaml
	run "$M" report p.yaml --live
	[ "$status" -eq 64 ]
	[[ "$output" == *"option '--live' does not apply to this command"* ]]
}

@test "live: a plan without an MX layout says so and checks the rest" {
	plan p.yaml
	sed -i '/^  mx:/,/^    mta_sts_port/d' p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[[ "$output" == *"SKIP  mx-layout"*"the plan declares no MX layout (dns 'mx')"* ]]
	line OK gateway-queue gateway
	line OK smtp gw.corp.example:25
	# no dns mx 'ca': the system store, which does not know the sandbox CA
	line FAIL certificate gw.corp.example:25 | grep -F "unable to get local issuer certificate"
	[ "$status" -eq 69 ]
}

# ---- DNS: the MX layout on every server ------------------------------------

@test "mx-layout: every authoritative server serves the declared layout" {
	all_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx2.corp.example."
	SERVERS="\"127.0.0.1:$PDNS_DNS\", \"127.0.0.1:$BIND_DNS\", \"127.0.0.1:$KNOT_DNS\"" plan p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	line OK mx-layout "127.0.0.1:$PDNS_DNS"
	line OK mx-layout "127.0.0.1:$BIND_DNS"
	line OK mx-layout "127.0.0.1:$KNOT_DNS"
}

@test "mx-layout: a server that serves another layout fails, naming it" {
	all_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx2.corp.example."
	pdns_rr corp.example. MX 3600 "10 gw.corp.example."
	SERVERS="\"127.0.0.1:$PDNS_DNS\", \"127.0.0.1:$BIND_DNS\"" plan p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL mx-layout "127.0.0.1:$PDNS_DNS" | grep -F "serves 10 gw.corp.example., but the plan's 'hosts' layout is 10 gw.corp.example., 20 mx2.corp.example."
	line OK mx-layout "127.0.0.1:$BIND_DNS"
}

@test "mx-layout: a server that does not answer fails" {
	dead=$(mx_port)
	SERVERS="\"127.0.0.1:$PDNS_DNS\", \"127.0.0.1:$dead\"" plan p.yaml
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL mx-layout "127.0.0.1:$dead" | grep -F "cannot ask for 'corp.example. MX'"
}

@test "mx-layout: after the phase's dns step the 'final' layout is expected" {
	plan p.yaml
	run "$M" dns p.yaml lower --phase all
	[ "$status" -eq 0 ]
	MIGRATE_NOW=$(($(date +%s) + 4000)) run "$M" dns p.yaml change --phase all
	[ "$status" -eq 0 ]
	run "$M" check --live p.yaml
	echo "$output"
	line OK mx-layout "127.0.0.1:$PDNS_DNS" | grep -F "serves 10 gw.corp.example. as the plan's 'final' layout"
	# someone puts the old layout back by hand
	pdns_rr corp.example. MX 300 "10 gw.corp.example." "20 mx2.corp.example."
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL mx-layout "127.0.0.1:$PDNS_DNS" | grep -F "(phase 'all' changed it)"
}

# ---- DNS: the TTL at this point of the migration ---------------------------

@test "mx-ttl: lowered by the phase and served low passes; served high fails" {
	plan p.yaml
	run "$M" dns p.yaml lower --phase all
	[ "$status" -eq 0 ]
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line OK mx-ttl "127.0.0.1:$PDNS_DNS" | grep -F "TTL 300, lowered by phase 'all'"
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx2.corp.example."
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL mx-ttl "127.0.0.1:$PDNS_DNS" | grep -F "serves TTL 3600, but phase 'all' lowered it to 300"
}

@test "mx-ttl: restored after the change passes; still low fails" {
	plan p.yaml
	"$M" dns p.yaml lower --phase all
	MIGRATE_NOW=$(($(date +%s) + 4000)) "$M" dns p.yaml change --phase all
	run "$M" dns p.yaml restore --phase all
	[ "$status" -eq 0 ]
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line OK mx-ttl "127.0.0.1:$PDNS_DNS" | grep -F "TTL 3600, the original (restored)"
	pdns_rr corp.example. MX 300 "10 gw.corp.example."
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL mx-ttl "127.0.0.1:$PDNS_DNS" | grep -F "the original TTL 3600 was to be restored"
}

@test "mx-ttl: a TTL other than the plan's before any change fails" {
	MX_TTL=86400 plan p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL mx-ttl "127.0.0.1:$PDNS_DNS" | grep -F "serves TTL 3600, but the plan says 86400"
}

# ---- MX hosts: addresses and reverse DNS ------------------------------------

@test "mx-address: a host without address records, and an alias, fail" {
	HOSTS="      - { host: noaddr.corp.example, preference: 20, role: backup, connect: { \"25\": \"127.0.0.1:$P2\" } }
      - { host: alias.corp.example, preference: 30, role: backup, connect: { \"25\": \"127.0.0.1:$P2\" } }" plan p.yaml
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 noaddr.corp.example." "30 alias.corp.example."
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line OK mx-layout "127.0.0.1:$PDNS_DNS"
	line FAIL mx-address noaddr.corp.example | grep -F "has no A or AAAA record"
	line FAIL mx-address alias.corp.example | grep -F "is an alias (CNAME) of mx2.corp.example."
	line OK mx-address gw.corp.example
}

@test "mx-address: names no listed server answers for are not checked (no other resolver)" {
	FINAL_MX='"10 mx.elsewhere.example."' plan p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	line SKIP mx-address mx.elsewhere.example | grep -F "no server named in the plan answers for 'mx.elsewhere.example. A'"
	line SKIP smtp mx.elsewhere.example:25
}

@test "fcrdns: an address without PTR, or with a PTR that does not point back, warns" {
	plan p.yaml
	pdns_del 1.0.0.127.in-addr.arpa. PTR
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line WARN fcrdns "gw.corp.example 127.0.0.1" | grep -F "no PTR record for 127.0.0.1"
	pdns_rr 1.0.0.127.in-addr.arpa. PTR 3600 nowhere.corp.example.
	run "$M" check --live p.yaml
	line WARN fcrdns "mx2.corp.example 127.0.0.1" | grep -F "has PTR nowhere.corp.example., which does not resolve back"
}

# ---- SMTP, STARTTLS, certificates -------------------------------------------

@test "smtp: a banner and EHLO for another name warn; a closed port fails" {
	dead=$(mx_port)
	HOSTS="      - { host: mx5.corp.example, preference: 20, role: backup, smtp: [25, 587], connect: { \"25\": \"127.0.0.1:$P2\", \"587\": \"127.0.0.1:$dead\" } }" plan p.yaml
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx5.corp.example."
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line WARN smtp mx5.corp.example:25 | grep -F "the banner names 'mx2.corp.example' and the EHLO reply 'mx2.corp.example', not 'mx5.corp.example'"
	line FAIL smtp mx5.corp.example:587 | grep -F "cannot connect to '127.0.0.1:$dead'"
}

@test "starttls and certificate: no STARTTLS fails; a certificate for another name fails" {
	HOSTS="      - { host: mx4.corp.example, preference: 20, role: backup, connect: { \"25\": \"127.0.0.1:$P4\" } }
      - { host: mx5.corp.example, preference: 30, role: backup, connect: { \"25\": \"127.0.0.1:$P2\" } }" plan p.yaml
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx4.corp.example." "30 mx5.corp.example."
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL starttls mx4.corp.example:25 | grep -F "STARTTLS is not offered"
	line SKIP certificate mx4.corp.example:25
	line OK starttls mx5.corp.example:25
	line FAIL certificate mx5.corp.example:25 | grep -F "is for 'mx2.corp.example', not for 'mx5.corp.example'"
}

@test "certificate: one that expires in 3 days warns (warn_days 5)" {
	HOSTS="      - { host: mx3.corp.example, preference: 20, role: backup, connect: { \"25\": \"127.0.0.1:$P3\" } }" plan p.yaml
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx3.corp.example."
	run "$M" check --live p.yaml
	echo "$output"
	line WARN certificate mx3.corp.example:25 | grep -F "expires in 3 days"
	line OK certificate gw.corp.example:25 | grep -F "verifies for 'gw.corp.example'"
}

@test "certificate: a chain the plan's CA does not sign fails" {
	MX_CA=$WRONG_CA_FILE plan p.yaml
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL certificate gw.corp.example:25 | grep -F "does not verify: unable to get local issuer certificate"
	line FAIL certificate mx2.corp.example:465
}

# ---- backup MX: RCPT probes --------------------------------------------------

@test "backup: without a recipient list it accepts unknown users (fails)" {
	HOSTS="      - { host: mx3.corp.example, preference: 20, role: backup, connect: { \"25\": \"127.0.0.1:$P3\" } }" plan p.yaml
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx3.corp.example."
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line OK backup-accept "mx3.corp.example:25 alice@corp.example"
	line FAIL backup-unknown "mx3.corp.example:25 migrate-probe-no-such-user@corp.example" | grep -F "no recipient validation"
	line OK backup-relay "mx3.corp.example:25 relay-probe@migrate-probe.example"
}

@test "backup: a backup that rejects a real user of the domain fails" {
	plan p.yaml
	# the first user of the domain is probed; mx2 does not list zed
	sed -i 's|  - { address: alice@corp.example }|  - { address: zed@corp.example }\n  - { address: alice@corp.example }|' p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL backup-accept "mx2.corp.example:25 zed@corp.example" | grep -F "rejected (550 5.1.1 <zed@corp.example>: Recipient address rejected: User unknown in relay recipient table): the backup would bounce"
}

@test "backup: an open relay fails; the probes never send DATA" {
	HOSTS="      - { host: mx4.corp.example, preference: 20, role: backup, connect: { \"25\": \"127.0.0.1:$P4\" } }" plan p.yaml
	pdns_rr corp.example. MX 3600 "10 gw.corp.example." "20 mx4.corp.example."
	run "$M" -D smtp check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL backup-relay "mx4.corp.example:25 relay-probe@migrate-probe.example" | grep -F "an open relay"
	# the protocol trace: RCPT probes end with RSET and QUIT, no DATA
	grep -F "RCPT TO:<relay-probe@migrate-probe.example>" <<<"$output"
	grep -F "C: RSET" <<<"$output"
	! grep -F "C: DATA" <<<"$output"
	[ -z "$(postqueue -c "$SANDBOX_DIR/mx-mx4.corp.example/etc" -j)" ]
}

@test "backup: the probe address of 'foreign' and 'unknown' come from the plan" {
	plan p.yaml
	sed -i "s|^    timeout: 5|    timeout: 5\n    probe: { from: postmaster@corp.example, unknown: nobody-here, foreign: someone@example.org }|" p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	line OK backup-unknown "mx2.corp.example:25 nobody-here@corp.example"
	line OK backup-relay "mx2.corp.example:25 someone@example.org"
}

# ---- the gateway ----------------------------------------------------------------

@test "gateway-routes: a map that disagrees with the state fails" {
	plan p.yaml
	printf 'alice@corp.example\tlmtp:inet:127.0.0.1:1\n' >"$TRANSPORT_MAP"
	postmap -c "$POSTFIX_CONF" lmdb:"$TRANSPORT_MAP"
	run --separate-stderr "$M" check --live --json p.yaml
	[ "$status" -eq 69 ]
	jq -r '.checks[] | select(.check == "gateway-routes") | .status + " " + .reason' <<<"$output" |
		grep -F "fail map 'lmdb:$TRANSPORT_MAP': 1 wrong answer: 'alice@corp.example' gives 'lmtp:inet:127.0.0.1:1', expected no entry"
}

@test "gateway-loop: a route whose name resolves to the gateway's listener fails" {
	DST_ROUTE="smtp:[loop.corp.example]:$SMTP" plan p.yaml
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL gateway-loop dst | grep -F "leads back to the gateway's own SMTP listener '127.0.0.1:$SMTP'"
}

@test "gateway-queue: more messages queued than 'queue_max' fails" {
	QUEUE_MAX=0 plan p.yaml
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line OK gateway-queue gateway | grep -F "0 messages queued"
	postconf -c "$POSTFIX_CONF" -e defer_transports=lmtp
	postfix -c "$POSTFIX_CONF" reload 2>/dev/null
	timeout 10 swaks --server 127.0.0.1 --port "$SMTP" --from ext@sender.example \
		--to alice@corp.example --silent 2 </dev/null
	for i in $(seq 1 50); do
		[ -n "$(postqueue -c "$POSTFIX_CONF" -j)" ] && break
		sleep 0.1
	done
	run "$M" check --live p.yaml
	postconf -c "$POSTFIX_CONF" -e defer_transports=
	postsuper -c "$POSTFIX_CONF" -d ALL 2>/dev/null
	postfix -c "$POSTFIX_CONF" reload 2>/dev/null
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL gateway-queue gateway | grep -F "1 message queued (1 deferred), more than the plan's 'queue_max' 0"
}

@test "gateway-disk: less free space than 'min_free_mb' fails" {
	MIN_FREE=999999999 plan p.yaml
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL gateway-disk "$SANDBOX_DIR/pf/spool" | grep -F "less than the plan's 'min_free_mb' 999999999"
}

# ---- SPF and MTA-STS --------------------------------------------------------------

@test "spf: a sending platform missing from the record warns" {
	DST_SPF=include:spf.other.example plan p.yaml
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line WARN spf corp.example | grep -F "lacks 'include:spf.other.example' (backend 'dst')"
	pdns_del corp.example. TXT
	run "$M" check --live p.yaml
	line WARN spf corp.example | grep -F "publishes no SPF record"
}

@test "mta-sts: a policy without an MX host of the plan fails (enforce) or warns (testing)" {
	FINAL_MX='"10 mx2.corp.example."' plan p.yaml
	policy enforce gw.corp.example
	run "$M" check --live p.yaml
	echo "$output"
	[ "$status" -eq 69 ]
	line FAIL mta-sts corp.example | grep -F "mode enforce, but its 'mx' lines lack 'mx2.corp.example'"
	policy testing gw.corp.example
	run "$M" check --live p.yaml
	line WARN mta-sts corp.example | grep -F "mode testing"
	policy enforce gw.corp.example mx2.corp.example
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line OK mta-sts corp.example | grep -F "cover all 2 MX hosts"
}

@test "mta-sts: an announced policy that cannot be fetched fails; none published passes" {
	plan p.yaml
	rm -f "$LIVE_TMP/www/.well-known/mta-sts.txt"
	run "$M" check --live p.yaml
	[ "$status" -eq 69 ]
	line FAIL mta-sts corp.example | grep -F "answers HTTP 404"
	pdns_del _mta-sts.corp.example. TXT
	run "$M" check --live p.yaml
	[ "$status" -eq 0 ]
	line OK mta-sts corp.example | grep -F "publishes no MTA-STS policy"
}
