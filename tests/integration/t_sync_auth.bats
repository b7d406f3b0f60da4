#!/usr/bin/env bats
# t_sync_auth.bats -- logging in as each user through a master identity
# (AUTHENTICATE PLAIN with authzid, and Dovecot's "user*master" LOGIN),
# XOAUTH2 with tokens from the plan's token command (Dovecot's oauth2
# passdb against a local token checker; a token expiring between runs),
# plain connections when the plan says "tls: none"; and the engine's
# verify, expunge and reverse-delta paths (through tests/integration/
# sync_engine.c, as the phase engine will call them).

load sync_lib

setup_file() {
	sync_setup_file
	seed alice@corp.example small 21
	seed bob@corp.example small 22
	seed carol@corp.example small 23
	# XOAUTH2 on the destination: Dovecot's oauth2 passdb asks a local
	# token checker (test-local settings; the template is untouched)
	OAUTH_PORT=$((SANDBOX_BASE + 160))
	export OAUTH_PORT
	mkdir -p "$SYNC_TMP/tokens"
	: >"$SYNC_TMP/valid-tokens"
	cat >"$SYNC_TMP/checker.py" <<'EOF'
import json, sys, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
valid = sys.argv[2]
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        tok = urllib.parse.parse_qs(body).get("token", [""])[0]
        users = dict(l.split() for l in open(valid) if l.strip())
        out = {"active": True, "username": users[tok]} if tok in users else {"active": False}
        out = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
	"$PY" "$SYNC_TMP/checker.py" "$OAUTH_PORT" "$SYNC_TMP/valid-tokens" \
		</dev/null >"$SYNC_TMP/checker.log" 2>&1 3>&- &
	INTROSPECT_PID=$!
	export INTROSPECT_PID
	for i in $(seq 100); do
		curl -s -o /dev/null -X POST "http://127.0.0.1:$OAUTH_PORT/" && break
		sleep 0.05
	done
	cat >"$SANDBOX_DIR/dst/oauth2.conf.ext" <<EOF
introspection_url = http://127.0.0.1:$OAUTH_PORT/introspect
introspection_mode = post
username_attribute = username
active_attribute = active
active_value = true
EOF
	dovecot_edit dst "s.replace('auth_mechanisms = plain login', 'auth_mechanisms = plain login xoauth2 oauthbearer') + 'passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = $SANDBOX_DIR/dst/oauth2.conf.ext\n}\n'"
}

teardown_file() {
	sync_teardown_file
}

setup() {
	cd "$SYNC_TMP/plan" || return 1
}

@test "master user on both sides: AUTHENTICATE PLAIN with the user as authzid" {
	write_plan "$SYNC_TMP/plan/master.yaml" "" "" "" \
		"{ method: master, user: $MASTER_USER, secret: { file: $SYNC_TMP/plan/master.pw } }"
	(umask 077 && echo "$MASTER_PW" >master.pw)
	run "$MIGRATE" sync master.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"alice@corp.example: copied 250 messages"* ]]
	run compare alice@corp.example
	[ "$status" -eq 0 ]
	# the destination saw the master user log in as alice
	grep -q "Login: user=<alice@corp.example>, method=PLAIN" "$SANDBOX_DIR/dst/log/dovecot.log"
	# a wrong master password names the backend's admin, not a secret
	# (--recheck: nothing moved on the source, and a plain re-run would
	# not log in to the destination at all)
	echo wrongpw >master.pw
	run "$MIGRATE" sync master.yaml --user alice@corp.example --recheck
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"AUTHENTICATE PLAIN as 'alice@corp.example' by '$MASTER_USER' refused"* ]]
	[[ $output != *wrongpw* ]]
	echo "$MASTER_PW" >master.pw
}

@test "master user through Dovecot's user*master LOGIN form" {
	run env SE_PORT_SRC="$SRC_IMAP" SE_PORT_DST="$DST_IMAP" SE_CA="$CA_FILE" \
		SE_USER=bob@corp.example SE_AUTH=master-login SE_ADMIN="$MASTER_USER" \
		SE_SECRET="$MASTER_PW" "$BUILD_DIR/itests/sync_engine" login
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"login ok"* ]]
	[[ $output == *"verify: rc 0, missing 0, extra 0, flags 0"* ]]
	run compare bob@corp.example
	[ "$status" -eq 0 ]
}

@test "XOAUTH2: a token from the token command, fetched again on every run" {
	write_plan "$SYNC_TMP/plan/oauth.yaml" "" "" "" \
		"{ method: oauth2, token_command: [/bin/cat, \"$SYNC_TMP/tokens/{login}\"] }"
	echo "tok-1 carol@corp.example" >"$SYNC_TMP/valid-tokens"
	echo tok-1 >"$SYNC_TMP/tokens/carol@corp.example"
	run "$MIGRATE" sync oauth.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"carol@corp.example: copied 250 messages"* ]]
	grep -q "Login: user=<carol@corp.example>, method=XOAUTH2" "$SANDBOX_DIR/dst/log/dovecot.log"
	# the token expires between two runs; the command now gives a new one
	deliver "$SRC_LMTP" carol@corp.example 2 oauth
	echo "tok-2 carol@corp.example" >"$SYNC_TMP/valid-tokens"
	echo tok-2 >"$SYNC_TMP/tokens/carol@corp.example"
	run "$MIGRATE" sync oauth.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 2 messages"* ]]
	run compare carol@corp.example
	[ "$status" -eq 0 ]
	# an expired token: a clear error naming the user; the token is not
	# shown (--recheck: logs in to the destination though nothing moved)
	echo tok-1 >"$SYNC_TMP/tokens/carol@corp.example"
	run "$MIGRATE" sync oauth.yaml --user carol@corp.example --recheck
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"user 'carol@corp.example': destination 'suite' ("*"): AUTHENTICATE XOAUTH2 as 'carol@corp.example' refused"* ]]
	[[ $output != *tok-1* ]]
	# a failing token command is reported as such
	rm -f "$SYNC_TMP/tokens/carol@corp.example"
	run "$MIGRATE" sync oauth.yaml --user carol@corp.example --recheck
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"token for 'carol@corp.example'"* ]]
}

@test "tls: none only where the plan says so" {
	write_plan "$SYNC_TMP/plan/plain.yaml" "" "{ host: 127.0.0.1, port: $DST_IMAP, tls: none }"
	sed -i 's|state: ./state.db|state: ./plain.db|' plain.yaml
	run "$MIGRATE" sync plain.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"matched 250"* ]]
}

@test "verify lists every difference: missing, extra, flag mismatch" {
	run "$BUILD_DIR/itests/sync_engine" plan master.yaml p1 alice@corp.example verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"alice@corp.example: verified: 250 messages in 16 folders agree"* ]]
	[[ $output == *"verify: missing 0, extra 0, flags 0"* ]]
	doveadm -c "$DST_CONF" expunge -u alice@corp.example mailbox Trash uid 1
	doveadm -c "$DST_CONF" flags add -u alice@corp.example '$Changed' mailbox Sent uid 2
	deliver "$DST_LMTP" alice@corp.example 1 extra
	run "$BUILD_DIR/itests/sync_engine" plan master.yaml p1 alice@corp.example verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"differences: 1 missing, 1 extra, 1 flags"* ]]
	[[ $output == *"missing: 'Trash' -> 'Trash' source uid 1"* ]]
	[[ $output == *"extra: 'INBOX' -> 'INBOX' destination uid"* ]]
	[[ $output == *"flags: 'Sent' -> 'Sent' source uid 2 destination uid 2: source ("*"), destination ("*"\$Changed"* ]]
	[[ $output == *"verify: missing 1, extra 1, flags 1"* ]]
}

@test "reverse delta copies back only what arrived on the destination" {
	before=$(count src alice@corp.example INBOX)
	deliver "$DST_LMTP" alice@corp.example 3 back
	run "$BUILD_DIR/itests/sync_engine" plan master.yaml p1 alice@corp.example reverse
	echo "$output"
	[ "$status" -eq 0 ]
	# 3 new ones and the extra message of the verify test: nothing else
	[[ $output == *"alice@corp.example: copied 4 messages"* ]]
	[ "$(count src alice@corp.example INBOX)" = $((before + 4)) ]
	# the forward direction knows them: nothing goes back and forth
	run "$MIGRATE" sync master.yaml --user alice@corp.example
	echo "$output"
	[[ $output == *"copied 0 messages"* ]]
}

@test "expunges reach the destination only when asked" {
	doveadm -c "$SRC_CONF" expunge -u alice@corp.example mailbox Junk uid 1:2
	want=$(count src alice@corp.example Junk)
	run "$MIGRATE" sync master.yaml --user alice@corp.example
	[ "$status" -eq 0 ]
	[ "$(count dst alice@corp.example Junk)" = $((want + 2)) ]
	run "$BUILD_DIR/itests/sync_engine" plan master.yaml p1 alice@corp.example expunge
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"expunged 2"* ]]
	[ "$(count dst alice@corp.example Junk)" = "$want" ]
}
