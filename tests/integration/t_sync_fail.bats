#!/usr/bin/env bats
# t_sync_fail.bats -- "migrate sync" when things go wrong: a refused
# password for one user, the source server killed in the middle, a
# certificate from the wrong CA, a message too large for the destination,
# an unreachable server, a credentials file others can read, a server
# that says BYE with a back-off time.

load sync_lib

setup_file() {
	sync_setup_file
	seed alice@corp.example small 11
	seed bob@corp.example small 12
	seed carol@corp.example small 13
	seed dave@corp.example demo 14
	seed frank@corp.example demo 16
	write_plan "$SYNC_TMP/plan/plan.yaml"
	# the destination refuses messages over 100 KiB for erin (test-local
	# Dovecot settings: the quota plugin's per-user maximum mail size)
	dovecot_edit dst "s.replace('mail_plugins = \$mail_plugins zlib\n', 'mail_plugins = \$mail_plugins zlib quota\n').replace('mail_plugins = \$mail_plugins imap_zlib', 'mail_plugins = \$mail_plugins imap_zlib imap_quota') + 'plugin {\n  quota = count:User quota\n  quota_vsizes = yes\n}\n'"
	sed -i 's|^erin@corp.example:\(.*\)::::::$|erin@corp.example:\1::::::userdb_quota_max_mail_size=100k|' "$DST_USERS"
	seed erin@corp.example small 15
}

teardown_file() {
	sync_teardown_file
}

setup() {
	cd "$SYNC_TMP/plan" || return 1
}

@test "a wrong password for one user: a clear error naming the user, the others complete" {
	sed -i 's|^bob@corp.example,,bobpw$|bob@corp.example,,wrong|' dst.csv
	run "$MIGRATE" sync plan.yaml --phase p1 --jobs 3
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"error: user 'bob@corp.example': destination 'suite' ("*"): LOGIN as 'bob@corp.example' refused: [AUTHENTICATIONFAILED]"* ]]
	# no secret in the output
	[[ $output != *wrong* ]]
	[[ $output == *"carol@corp.example: copied"* ]]
	[[ $output == *"2 of 3 users synced"* ]]
	run compare carol@corp.example
	[ "$status" -eq 0 ]
	run sqlite3 state.db "SELECT status, last_error FROM users WHERE address = 'bob@corp.example'"
	echo "$output"
	[[ $output == "failed|"*"AUTHENTICATIONFAILED"* ]]
	sed -i 's|^bob@corp.example,,wrong$|bob@corp.example,,bobpw|' dst.csv
	run "$MIGRATE" sync plan.yaml --user bob@corp.example
	[ "$status" -eq 0 ]
	run compare bob@corp.example
	[ "$status" -eq 0 ]
}

@test "the source server killed in the middle: exit 75, the re-run completes, nothing lost or doubled" {
	# (dave's 1,251 messages in many folders: two lanes of sessions)
	"$MIGRATE" -D sync sync plan.yaml --user dave@corp.example >"$SYNC_TMP/kill.out" 2>&1 &
	pid=$!
	for i in $(seq 400); do
		n=$(doveadm -c "$DST_CONF" -f flow mailbox status -u dave@corp.example messages '*' 2>/dev/null |
			sed 's/.*messages=//' | paste -sd+ | bc)
		[ "${n:-0}" -ge 100 ] && break
		sleep 0.05
	done
	# the whole server: its master and every process it started
	master=$(cat "$SANDBOX_DIR/src/run/master.pid")
	kill -9 "$master" $(pgrep -P "$master")
	st=0
	wait "$pid" || st=$?
	cat "$SYNC_TMP/kill.out"
	[ "$st" -eq 75 ]
	grep -q "run again to resume" "$SYNC_TMP/kill.out"
	grep -q "dave@corp.example: 2 lanes for 1251 messages" "$SYNC_TMP/kill.out"
	total=$(grep -v '^#' "$SANDBOX_DIR/seed-src-dave@corp.example.manifest" | cut -f2 | paste -sd+ | bc)
	n=$(doveadm -c "$DST_CONF" -f flow mailbox status -u dave@corp.example messages '*' |
		sed 's/.*messages=//' | paste -sd+ | bc)
	echo "copied before the kill: $n of $total"
	[ "$n" -lt "$total" ]
	# any Dovecot process of the killed instance gone, then start it again
	# (a killed master may stay a zombie for a while: PID 1 reaps late,
	# and Dovecot would take its pidfile for a live server)
	for i in $(seq 100); do
		st=$(ps -o stat= -p "$master" 2>/dev/null || true)
		[ -z "$st" ] || [[ $st == Z* ]] && break
		sleep 0.05
	done
	for i in $(seq 100); do
		[ -z "$(ss -Hltn "sport = :$SRC_IMAP")" ] && break
		sleep 0.05
	done
	rm -f "$SANDBOX_DIR/src/run/master.pid"
	dovecot -c "$SRC_CONF"
	for i in $(seq 100); do
		timeout 1 "$PY" -c "import imaplib; imaplib.IMAP4('127.0.0.1', $SRC_IMAP)" 2>/dev/null && break
		sleep 0.05
	done
	kill -0 "$(cat "$SANDBOX_DIR/src/run/master.pid")"
	run "$MIGRATE" sync plan.yaml --user dave@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run compare dave@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"same: $total messages"* ]]
}

@test "a session the server drops in the middle: every lane reconnects, resumes, finishes in the same run" {
	"$MIGRATE" -v -D sync sync plan.yaml --user frank@corp.example >"$SYNC_TMP/kick.out" 2>&1 &
	pid=$!
	for i in $(seq 400); do
		n=$(doveadm -c "$DST_CONF" -f flow mailbox status -u frank@corp.example messages '*' 2>/dev/null |
			sed 's/.*messages=//' | paste -sd+ | bc)
		[ "${n:-0}" -ge 100 ] && break
		sleep 0.05
	done
	doveadm -c "$SRC_CONF" kick frank@corp.example
	st=0
	wait "$pid" || st=$?
	cat "$SYNC_TMP/kick.out"
	[ "$st" -eq 0 ]
	# the server's last words are in the message
	grep -q "connection closed by the server: BYE Server shutting down.; retrying in 1000 ms (attempt 1 of 3)" "$SYNC_TMP/kick.out"
	# both lanes were kicked, and both came back
	grep -q "frank@corp.example: 2 lanes for" "$SYNC_TMP/kick.out"
	run compare frank@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a server that never answers: every operation has a deadline" {
	port=$((SANDBOX_BASE + 170))
	"$PY" -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
" </dev/null >/dev/null 2>&1 3>&- &
	hole=$!
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$port")" ] && break
		sleep 0.05
	done
	write_plan "$SYNC_TMP/plan/hole.yaml" "" \
		"{ host: 127.0.0.1, port: $port, tls: none, timeout: 1 }"
	sed -i 's|state: ./state.db|state: ./hole.db|' hole.yaml
	start=$(date +%s)
	run "$MIGRATE" sync hole.yaml --user carol@corp.example
	took=$(($(date +%s) - start))
	kill "$hole"
	echo "$output (took $took s)"
	[ "$status" -eq 75 ]
	[[ $output == *"destination 'suite' (127.0.0.1:$port): greeting: connection lost: no answer within 1 s"* ]]
	# 4 attempts of 1 s, waits of 1 + 2 + 4 s
	[ "$took" -lt 20 ]
}

@test "a certificate from the wrong CA is refused before LOGIN" {
	write_plan "$SYNC_TMP/plan/wrongca.yaml" \
		"{ host: 127.0.0.1, port: $SRC_IMAPS, tls: implicit, ca: $WRONG_CA_FILE }"
	sed -i 's|state: ./state.db|state: ./wrongca.db|' wrongca.yaml
	logins=$(grep -c "imap-login: Info: Login:" "$SANDBOX_DIR/src/log/dovecot.log")
	run "$MIGRATE" sync wrongca.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"source 'legacy' (127.0.0.1:$SRC_IMAPS): TLS certificate not accepted: unable to get local issuer certificate"* ]]
	[ "$(grep -c "imap-login: Info: Login:" "$SANDBOX_DIR/src/log/dovecot.log")" = "$logins" ]
	# STARTTLS is checked the same way
	write_plan "$SYNC_TMP/plan/wrongca2.yaml" "" \
		"{ host: 127.0.0.1, port: $DST_IMAP, tls: starttls, ca: $WRONG_CA_FILE }"
	sed -i 's|state: ./state.db|state: ./wrongca.db|' wrongca2.yaml
	run "$MIGRATE" sync wrongca2.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"destination 'suite' (127.0.0.1:$DST_IMAP): TLS certificate not accepted"* ]]
	# and the host name is checked: the certificate is for localhost and 127.0.0.1
	write_plan "$SYNC_TMP/plan/name.yaml" \
		"{ host: localhost, port: $SRC_IMAPS, tls: implicit, ca: $CA_FILE }"
	sed -i 's|state: ./state.db|state: ./wrongca.db|' name.yaml
	run "$MIGRATE" sync name.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a message too large for the destination is skipped and reported, never silently" {
	run "$MIGRATE" sync plan.yaml --user erin@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"warning: user 'erin@corp.example': folder '"*"': message "*" not copied: refused as too large ("*"[LIMIT]"* ]]
	[[ $output != *"skipped 0,"* ]]
	skipped=$(sqlite3 state.db "SELECT count(*) FROM msgmap WHERE user = 'erin@corp.example' AND status = 'skipped'")
	[ "$skipped" -gt 0 ]
	# every other message arrived
	run compare erin@corp.example
	echo "$output"
	[ "$(echo "$output" | grep -c 'only on the source')" = "$skipped" ]
	[ "$(echo "$output" | grep -c 'only on the destination')" = 0 ]
	# the event log has them, and a re-run does not try again
	[ "$(sqlite3 state.db "SELECT count(*) FROM events WHERE kind = 'sync-skipped'")" = "$skipped" ]
	run "$MIGRATE" sync plan.yaml --user erin@corp.example
	[ "$status" -eq 0 ]
	[[ $output == *"copied 0 messages (0 bytes), matched 0, skipped 0"* ]]
}

@test "an unreachable server: exit 75 after the retries, with the reason" {
	write_plan "$SYNC_TMP/plan/down.yaml" "" \
		"{ host: 127.0.0.1, port: $((SANDBOX_BASE + 150)), tls: starttls, ca: $CA_FILE, timeout: 5 }"
	sed -i 's|state: ./state.db|state: ./down.db|' down.yaml
	run "$MIGRATE" sync down.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 75 ]
	[[ $output == *"destination 'suite' (127.0.0.1:$((SANDBOX_BASE + 150))): cannot connect: Connection refused"* ]]
	[[ $output == *"run again to resume"* ]]
}

@test "a credentials file others can read is refused and nothing is copied" {
	runs=$(sqlite3 state.db "SELECT count(*) FROM runs")
	chmod 644 dst.csv
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	chmod 600 dst.csv
	echo "$output"
	[ "$status" -eq 78 ]
	[[ $output == *"credentials file"* ]]
	[ "$(sqlite3 state.db "SELECT count(*) FROM runs")" = "$runs" ]
	# a user missing from the file fails alone, with a clear message
	sed -i '/^alice@/d' dst.csv
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"no line for 'alice@corp.example' in credentials file"* ]]
}

@test "a server that says BYE with a back-off time: wait as asked, reconnect, resume, finish" {
	# byeproxy.py in front of the source: the first session's body FETCH
	# gets "* BYE [UNAVAILABLE] ... Suggested Backoff Time: 3 seconds"
	seed grace@corp.example small 17
	port=$((SANDBOX_BASE + 171))
	"$PY" "$BATS_TEST_DIRNAME/byeproxy.py" "$port" "$SRC_IMAP" "$SYNC_TMP/bye.pid" 3 \
		</dev/null >/dev/null 2>&1 3>&- &
	for i in $(seq 100); do
		[ -n "$(ss -Hltn "sport = :$port")" ] && break
		sleep 0.05
	done
	write_plan "$SYNC_TMP/plan/bye.yaml" "{ host: 127.0.0.1, port: $port, tls: none }"
	sed -i 's|state: ./state.db|state: ./bye.db|' bye.yaml
	sed -i 's|  - { address: carol@corp.example, group: a }|&\n  - { address: grace@corp.example, group: a }|' bye.yaml
	echo "grace@corp.example,,gracepw" >>dst.csv
	t0=$(date +%s.%N)
	run "$MIGRATE" -v sync bye.yaml --user grace@corp.example
	t1=$(date +%s.%N)
	kill "$(cat "$SYNC_TMP/bye.pid")"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"connection closed by the server: BYE [UNAVAILABLE] Server busy. Suggested Backoff Time: 3 seconds; retrying in 3000 ms (attempt 1 of 3)"* ]]
	[[ $output == *"grace@corp.example: copied "* ]]
	# it waited at least as long as the server asked (a lower bound only)
	awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a >= 3) }'
	run compare grace@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
}
