#!/usr/bin/env bats
# t_sandbox.bats -- the sandbox of tests/sandbox/ really works: every server
# answers, TLS verifies against the run's CA only, the master user logs in
# both ways, the gateway routes by its transport maps, the DNS servers take
# TSIG-signed updates and refuse wrong keys, and the seeder is deterministic
# and agrees with doveadm.  Everything on 127.0.0.1.

SB="$BATS_TEST_DIRNAME/../sandbox"
PY=/usr/bin/python3

setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	SANDBOX_TMP=$(mktemp -d /tmp/migrate-sbtest.XXXXXX)
	export SANDBOX_TMP
	chmod 755 "$SANDBOX_TMP"	# mktemp -d makes 0700: Postfix and Dovecot helpers need in
	"$SB/up.sh" "$SANDBOX_TMP/lab" >"$SANDBOX_TMP/up.out" 2>&1 || {
		cat "$SANDBOX_TMP/up.out" >&2
		return 1
	}
	set -a
	. "$SANDBOX_TMP/lab/env"
	set +a
}

teardown_file() {
	[ -n "${SANDBOX_TMP:-}" ] || return 0
	"$SB/down.sh" "$SANDBOX_TMP/lab" >/dev/null
	. "$SB/lib.sh"
	local left
	left=$(sb_procs_in "$SANDBOX_TMP")
	rm -rf "$SANDBOX_TMP"
	if [ -n "$left" ]; then
		echo "# still running after down.sh: $left" >&3
		return 1
	fi
}

# ---- helpers -----------------------------------------------------------

# imap_login PORT USER PASS: IMAP LOGIN, then SELECT INBOX
imap_login() {
	timeout 10 "$PY" - "$@" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=5)
m.login(sys.argv[2], sys.argv[3])
typ, _ = m.select("INBOX")
assert typ == "OK", typ
m.logout()
EOF
}

# imap_plain PORT AUTHZID AUTHCID PASS: AUTHENTICATE PLAIN, then SELECT INBOX
imap_plain() {
	timeout 10 "$PY" - "$@" <<'EOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=5)
z, c, p = sys.argv[2:5]
m.authenticate("PLAIN", lambda _: ("%s\0%s\0%s" % (z, c, p)).encode())
typ, _ = m.select("INBOX")
assert typ == "OK", typ
m.logout()
EOF
}

# count CONF USER [MAILBOX]: messages in the mailbox (INBOX)
count() {
	doveadm -c "$1" -f tab mailbox status -u "$2" messages "${3:-INBOX}" |
		awk -F'\t' 'END { print $NF }'
}

# wait_subject CONF USER SUBJECT: the message arrives in INBOX within 10 s
wait_subject() {
	local i
	for i in $(seq 1 100); do
		[ -n "$(doveadm -c "$1" search -u "$2" mailbox INBOX header Subject "$3" 2>/dev/null)" ] &&
			return 0
		sleep 0.1
	done
	echo "'$3' never reached INBOX of '$2' ($1)" >&2
	tail -n 5 "$POSTFIX_LOG" >&2
	return 1
}

# send_smtp TO SUBJECT: one mail through the gateway
send_smtp() {
	timeout 20 swaks --server 127.0.0.1 --port "$SMTP" --from ext@sender.example \
		--to "$1" --header "Subject: $2" --silent 2 </dev/null
}

# nsupdate_mx PORT KEYFILE TTL: replace the MX RRset with TTL
nsupdate_mx() {
	timeout 10 nsupdate -t 3 -k "$2" <<EOF
server 127.0.0.1 $1
zone corp.example
update delete corp.example. MX
update add corp.example. $3 MX 10 mx.source-host.example.
send
EOF
}

mx_ttl() {
	dig @127.0.0.1 -p "$1" +time=2 +tries=1 +noall +answer corp.example MX | awk '{ print $2 }'
}

bad_key_file() {
	printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
		"$TSIG_KEY_NAME" "$(head -c 32 /dev/urandom | base64 -w0)" >"$SANDBOX_TMP/bad.key"
	echo "$SANDBOX_TMP/bad.key"
}

# ---- tests ---------------------------------------------------------------

@test "up.sh reports its time and writes a private env with every variable" {
	grep -q '^sandbox up in [0-9]* ms' "$SANDBOX_TMP/up.out"
	[ "$(stat -c %a "$SANDBOX_DIR/env")" = 600 ]
	for v in SANDBOX_DIR SRC_IMAP SRC_IMAPS SRC_LMTP SRC_CONF DST_IMAP DST_IMAPS DST_LMTP \
		DST_CONF CA_FILE WRONG_CA_FILE MASTER_USER MASTER_PW SMTP POSTFIX_CONF TRANSPORT_MAP \
		SITE_TRANSPORT PDNS_DNS PDNS_API PDNS_API_KEY BIND_DNS BIND_KEY_FILE BIND_TSIG_SECRET \
		KNOT_DNS KNOT_KEY_FILE KNOT_TSIG_SECRET TSIG_KEY_NAME; do
		[ -n "${!v}" ] || { echo "$v is empty"; return 1; }
	done
	[ $((SRC_IMAPS - SRC_IMAP)) = 850 ] && [ $((KNOT_DNS - BIND_DNS)) = 1 ]
}

@test "up.sh refuses a busy port by name and leaves nothing behind" {
	run "$SB/up.sh" "$SANDBOX_TMP/second" "$SANDBOX_BASE"
	[ "$status" -ne 0 ]
	[[ $output == *"port $SRC_IMAP (SRC_IMAP)"*busy* ]]
	run "$SB/up.sh" "$SANDBOX_DIR"
	[ "$status" -ne 0 ]
	[[ $output == *"already running"* ]]
}

@test "up.sh gives up on a server that never answers and stops the rest" {
	mkdir -p "$SANDBOX_TMP/fakebin"
	printf '#!/bin/bash\nexec -a "knotd-fake $*" sleep 30\n' >"$SANDBOX_TMP/fakebin/knotd"
	chmod +x "$SANDBOX_TMP/fakebin/knotd"
	SANDBOX_TIMEOUT=2 PATH="$SANDBOX_TMP/fakebin:$PATH" run "$SB/up.sh" "$SANDBOX_TMP/third"
	[ "$status" -ne 0 ]
	[[ $output == *"knot (knotd) did not come up on 127.0.0.1:"*"within 2 s"* ]]
	. "$SB/lib.sh"
	[ -z "$(sb_procs_in "$SANDBOX_TMP/third")" ]
}

@test "IMAP LOGIN works on src and dst, a wrong password is refused" {
	imap_login "$SRC_IMAP" alice@corp.example alicepw
	imap_login "$DST_IMAP" judy@corp.example judypw
	run imap_login "$SRC_IMAP" alice@corp.example wrongpw
	[ "$status" -ne 0 ]
	[[ $output == *AUTHENTICATIONFAILED* ]]
}

@test "IMAPS verifies against CA_FILE and fails against WRONG_CA_FILE" {
	for port in "$SRC_IMAPS" "$DST_IMAPS"; do
		run timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$CA_FILE" \
			-verify_return_error -verify_ip 127.0.0.1 </dev/null
		[ "$status" -eq 0 ]
		[[ $output == *"Verify return code: 0 (ok)"* ]]
		run timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile "$WRONG_CA_FILE" \
			-verify_return_error -verify_ip 127.0.0.1 </dev/null
		[ "$status" -ne 0 ]
	done
}

@test "master user logs in with user*master and with SASL PLAIN authzid" {
	imap_login "$SRC_IMAP" "alice@corp.example*$MASTER_USER" "$MASTER_PW"
	imap_login "$DST_IMAP" "bob@corp.example*$MASTER_USER" "$MASTER_PW"
	imap_plain "$SRC_IMAP" alice@corp.example "$MASTER_USER" "$MASTER_PW"
	imap_plain "$DST_IMAP" carol@corp.example "$MASTER_USER" "$MASTER_PW"
	run imap_plain "$SRC_IMAP" alice@corp.example "$MASTER_USER" wrongpw
	[ "$status" -ne 0 ]
	run imap_login "$SRC_IMAP" "nobody@corp.example*$MASTER_USER" "$MASTER_PW"
	[ "$status" -ne 0 ]
}

@test "LMTP delivers straight into src and dst" {
	before=$(count "$SRC_CONF" dave@corp.example)
	timeout 20 swaks --server 127.0.0.1 --port "$SRC_LMTP" --protocol LMTP \
		--from ext@sender.example --to dave@corp.example --header "Subject: lmtp-src" \
		--silent 2 </dev/null
	[ "$(count "$SRC_CONF" dave@corp.example)" = $((before + 1)) ]
	timeout 20 swaks --server 127.0.0.1 --port "$DST_LMTP" --protocol LMTP \
		--from ext@sender.example --to dave@corp.example --header "Subject: lmtp-dst" \
		--silent 2 </dev/null
	wait_subject "$DST_CONF" dave@corp.example lmtp-dst
}

@test "the gateway routes by the site map, then by migrate_transport" {
	send_smtp alice@corp.example gw-before-switch
	wait_subject "$SRC_CONF" alice@corp.example gw-before-switch
	printf 'alice@corp.example\tlmtp:inet:127.0.0.1:%s\n' "$DST_LMTP" >"$TRANSPORT_MAP"
	postmap -c "$POSTFIX_CONF" "lmdb:$TRANSPORT_MAP"
	postfix -c "$POSTFIX_CONF" reload 2>/dev/null
	send_smtp alice@corp.example gw-after-switch
	send_smtp bob@corp.example gw-bob-stays
	wait_subject "$DST_CONF" alice@corp.example gw-after-switch
	wait_subject "$SRC_CONF" bob@corp.example gw-bob-stays
	[ -z "$(doveadm -c "$SRC_CONF" search -u alice@corp.example mailbox INBOX header Subject gw-after-switch)" ]
}

@test "the PowerDNS API takes the key and refuses a wrong one (401)" {
	run curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "X-API-Key: $PDNS_API_KEY" \
		"$PDNS_API/servers/localhost/zones/corp.example."
	[ "$output" = 200 ]
	run curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "X-API-Key: wrong" \
		"$PDNS_API/servers/localhost/zones/corp.example."
	[ "$output" = 401 ]
}

@test "all three DNS servers serve the MX with the zone TTL" {
	for port in "$PDNS_DNS" "$BIND_DNS" "$KNOT_DNS"; do
		run dig @127.0.0.1 -p "$port" +time=2 +tries=1 +noall +answer corp.example MX
		[[ $output == *"$SANDBOX_ZONE_TTL	IN	MX	10 mx.source-host.example."* ]]
	done
}

@test "TSIG updates work on BIND, Knot and PowerDNS; a wrong key is refused" {
	bad=$(bad_key_file)
	for s in "$BIND_DNS:$BIND_KEY_FILE" "$KNOT_DNS:$KNOT_KEY_FILE" "$PDNS_DNS:$PDNS_KEY_FILE"; do
		port=${s%%:*}
		nsupdate_mx "$port" "${s#*:}" 300
		[ "$(mx_ttl "$port")" = 300 ]
		run nsupdate_mx "$port" "$bad" 120
		[ "$status" -ne 0 ]
		[ "$(mx_ttl "$port")" = 300 ]
	done
	run nsupdate_mx "$BIND_DNS" "$bad" 120
	[[ $output == *BADSIG* ]]
}

@test "seed.sh fills a mailbox and doveadm agrees with the manifest" {
	run "$SB/seed.sh" "$SANDBOX_DIR" carol@corp.example small 5
	[ "$status" -eq 0 ]
	manifest=${lines[-1]}
	[ -s "$manifest" ]
	total=$(awk -F'\t' '$1 == "# total" { print $2 }' "$manifest")
	[ "$total" -ge 200 ]
	got=$(doveadm -c "$SRC_CONF" -f tab mailbox status -u carol@corp.example messages '*' |
		awk -F'\t' 'NR > 1 { n += $2 } END { print n }')
	[ "$got" = "$total" ]
	# a nested, a non-ASCII and an '&' folder are there, stored as Maildir++ expects
	home=$(doveadm -c "$SRC_CONF" user -f home carol@corp.example)
	[ -d "$home/Maildir/.Archive.2019.Q1/cur" ]
	[ -d "$home/Maildir/.Entw&APw-rfe/cur" ]
	[ -d "$home/Maildir/.Lists.dev &- ops/cur" ]
	[ "$(stat -c %U "$home/Maildir/cur")" = nobody ]
	# seeding the same mailbox twice is refused
	run "$SB/seed.sh" "$SANDBOX_DIR" carol@corp.example small 5
	[ "$status" -ne 0 ]
}

@test "the seeder is deterministic: same seed, same bytes" {
	seed=$BUILD_DIR/tools/seed
	"$seed" --seed 42 --manifest "$SANDBOX_TMP/a.manifest" "$SANDBOX_TMP/a/Maildir"
	"$seed" --seed 42 --manifest "$SANDBOX_TMP/b.manifest" "$SANDBOX_TMP/b/Maildir"
	"$seed" --seed 43 --manifest "$SANDBOX_TMP/c.manifest" "$SANDBOX_TMP/c/Maildir"
	cmp "$SANDBOX_TMP/a.manifest" "$SANDBOX_TMP/b.manifest"
	run cmp -s "$SANDBOX_TMP/a.manifest" "$SANDBOX_TMP/c.manifest"
	[ "$status" -ne 0 ]
	# every message file: name, size, mtime (INTERNALDATE), then all the bytes
	tree() {
		(cd "$1" && find . -type f \( -path '*/cur/*' -o -path '*/new/*' \) -printf '%p %s %T@\n' | sort &&
			find . -type f \( -path '*/cur/*' -o -path '*/new/*' \) -print0 | sort -z | xargs -0 cat | sha256sum)
	}
	[ "$(tree "$SANDBOX_TMP/a")" = "$(tree "$SANDBOX_TMP/b")" ]
	# the small corpus: a few hundred messages, the largest about 1 MiB
	biggest=$(find "$SANDBOX_TMP/a" -type f -printf '%s\n' | sort -n | tail -n 1)
	[ "$biggest" -gt 1000000 ] && [ "$biggest" -lt 1200000 ]
}

@test "down.sh stops everything, and again is a no-op" {
	run "$SB/down.sh" "$SANDBOX_DIR"
	[ "$status" -eq 0 ]
	[[ $output == "sandbox down in "* ]]
	. "$SB/lib.sh"
	[ -z "$(sb_procs_in "$SANDBOX_DIR")" ]
	for port in "$SRC_IMAP" "$DST_IMAP" "$SMTP" "$PDNS_HTTP"; do
		run sb_port_open "$port"
		[ "$status" -ne 0 ]
	done
	run "$SB/down.sh" "$SANDBOX_DIR"
	[ "$status" -eq 0 ]
}
