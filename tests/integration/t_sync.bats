#!/usr/bin/env bats
# t_sync.bats -- "migrate sync" against the sandbox's two Dovecots: exact
# copies (bodies byte for byte, flags, keywords, INTERNALDATEs, checked by
# an independent IMAP comparison), idempotent re-runs, incremental syncs,
# flags after cutover, recreated folders, a lost state, a crash between
# APPEND and commit, servers without UIDPLUS or CONDSTORE, dry runs.

load sync_lib

setup_file() {
	sync_setup_file
	seed alice@corp.example small 1
	seed bob@corp.example small 2
	seed dave@corp.example small 4
	seed erin@corp.example small 5
	seed frank@corp.example small 6
	write_plan "$SYNC_TMP/plan/plan.yaml"
}

teardown_file() {
	sync_teardown_file
}

setup() {
	cd "$SYNC_TMP/plan" || return 1
}

@test "full copy: bodies, flags, keywords and dates exact; empty mailboxes too" {
	run "$MIGRATE" sync plan.yaml --phase p1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"alice@corp.example: copied 250 messages"* ]]
	[[ $output == *"bob@corp.example: copied"* ]]
	[[ $output == *"carol@corp.example: copied 0 messages"* ]]
	[[ $output == *"3 of 3 users synced"* ]]
	run compare alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run compare bob@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	# non-ASCII folders arrived under their own names
	run doveadm -c "$DST_CONF" mailbox list -u alice@corp.example
	[[ $output == *"Entwürfe"* && $output == *"Réunions"* && $output == *"日本語"* ]]
	# the users table says what happened
	run sqlite3 state.db "SELECT address, status, src_msgs, dst_msgs FROM users ORDER BY address"
	[[ $output == *"alice@corp.example|prestaged|250|250"* ]]
	[[ $output == *"carol@corp.example|prestaged|0|0"* ]]
}

@test "subscriptions are copied" {
	src=$(doveadm -c "$SRC_CONF" mailbox list -s -u alice@corp.example | sort)
	dst=$(doveadm -c "$DST_CONF" mailbox list -s -u alice@corp.example | sort)
	echo "src: $src"
	echo "dst: $dst"
	[ "$src" = "$dst" ]
}

@test "a second run copies nothing and touches no folder" {
	before=$(count dst alice@corp.example INBOX)
	logins=$(dst_logins alice@corp.example)
	dst_msgs=$(sqlite3 state.db "SELECT dst_msgs FROM users WHERE address = 'alice@corp.example'")
	[ "$dst_msgs" -gt 0 ]
	run "$MIGRATE" -D sync sync plan.yaml --phase p1
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"alice@corp.example: copied 0 messages (0 bytes), matched 0, skipped 0, flags updated 0"* ]]
	[[ $output == *"bob@corp.example: copied 0 messages"* ]]
	# nothing moved on the source: its STATUS alone said so, and the
	# destination was not even logged in to
	[[ $output == *"alice@corp.example: nothing moved on the source since the last complete sync"* ]]
	[ "$(dst_logins alice@corp.example)" = "$logins" ]
	[ "$(count dst alice@corp.example INBOX)" = "$before" ]
	# the folders' STATUS came with the listing (LIST-STATUS), not one
	# command each
	[[ $output =~ "17 folders, STATUS of 1"[0-9]" (LIST-STATUS)" ]]
	# the users table keeps what the destination held (not looked at)
	[ "$(sqlite3 state.db "SELECT dst_msgs FROM users WHERE address = 'alice@corp.example'")" = "$dst_msgs" ]
	# --recheck examines both sides: every folder found unchanged by the
	# STATUS of both
	run "$MIGRATE" -D sync sync plan.yaml --user alice@corp.example --recheck
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 0 messages (0 bytes), matched 0"* ]]
	[[ $output == *"folder 'INBOX': unchanged"* ]]
	[ "$(dst_logins alice@corp.example)" -gt "$logins" ]
	run compare alice@corp.example
	[ "$status" -eq 0 ]
}

@test "incremental: new mail and flag changes on the source" {
	deliver "$SRC_LMTP" alice@corp.example 5 inc1
	doveadm -c "$SRC_CONF" flags add -u alice@corp.example '\Flagged $Label1' mailbox INBOX uid 1:3
	doveadm -c "$SRC_CONF" flags remove -u alice@corp.example '\Seen' mailbox Sent uid 1:2
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 5 messages"* ]]
	[[ $output == *"flags updated 5"* ]]
	run compare alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "after cutover, flags the user changed on the destination are kept" {
	sqlite3 state.db "UPDATE users SET status = 'cut over' WHERE address = 'bob@corp.example'"
	# the user works on the destination: marks everything unread, adds a keyword
	doveadm -c "$DST_CONF" flags remove -u bob@corp.example '\Seen' mailbox INBOX all
	doveadm -c "$DST_CONF" flags add -u bob@corp.example 'UserLabel' mailbox INBOX all
	# meanwhile the source changes too
	doveadm -c "$SRC_CONF" flags add -u bob@corp.example 'SrcLabel' mailbox INBOX all
	run "$MIGRATE" sync plan.yaml --user bob@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run doveadm -c "$DST_CONF" -f tab fetch -u bob@corp.example flags mailbox INBOX all
	echo "$output"
	n=$(echo "$output" | tail -n +2 | wc -l)
	[ "$n" -gt 0 ]
	# every message: the user's changes stay, the source's change arrived
	[ "$(echo "$output" | tail -n +2 | grep -c 'UserLabel')" = "$n" ]
	[ "$(echo "$output" | tail -n +2 | grep -c 'SrcLabel')" = "$n" ]
	[ "$(echo "$output" | tail -n +2 | grep -c '\\Seen')" = 0 ]
}

@test "a destination folder deleted and recreated (new UIDVALIDITY): found by --verify, refilled, no duplicates" {
	want=$(count src alice@corp.example Archive/2019)
	doveadm -c "$DST_CONF" mailbox delete -u alice@corp.example Archive/2019/Q1 Archive/2019/Q2 Archive/2019
	doveadm -c "$DST_CONF" mailbox create -u alice@corp.example Archive/2019
	# the user also put two of the source's messages back by hand
	timeout 30 "$PY" - "$SRC_IMAP" "$DST_IMAP" <<'EOF'
import imaplib, sys
s = imaplib.IMAP4('127.0.0.1', int(sys.argv[1])); s.login('alice@corp.example', 'alicepw')
d = imaplib.IMAP4('127.0.0.1', int(sys.argv[2])); d.login('alice@corp.example', 'alicepw')
s.select('Archive/2019', readonly=True)
for uid in (b'1', b'2'):
    typ, data = s.uid('FETCH', uid, '(BODY.PEEK[] INTERNALDATE FLAGS)')
    meta, body = data[0]
    flags = meta.decode().split('FLAGS (')[1].split(')')[0].split()
    flags = '(' + ' '.join(f for f in flags if f != '\\Recent') + ')'
    date = '"' + meta.decode().split('INTERNALDATE "')[1].split('"')[0] + '"'
    assert d.append('Archive/2019', flags, date, body)[0] == 'OK'
EOF
	# nothing moved on the source: a sync does not look at the destination
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 0 messages"* ]]
	# verify compares both sides and lists the loss (exit 3)...
	run "$MIGRATE" sync plan.yaml --user alice@corp.example --verify
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"alice@corp.example: differences: "* ]]
	[[ $output == *"missing: 'Archive/2019/Q1'"* ]]
	[[ $output == *"0 of 1 users verified, 1 with differences"* ]]
	# ...after which the next sync examines both sides and refills,
	# matching the two messages put back by hand
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"matched 2"* ]]
	[ "$(count dst alice@corp.example Archive/2019)" = "$want" ]
	run compare alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run "$MIGRATE" sync plan.yaml --user alice@corp.example --verify
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"alice@corp.example: verified: "* ]]
	# --recheck finds a loss without verify
	want=$(count src alice@corp.example Archive/2020)
	doveadm -c "$DST_CONF" mailbox delete -u alice@corp.example Archive/2020
	run "$MIGRATE" sync plan.yaml --user alice@corp.example --recheck
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(count dst alice@corp.example Archive/2020)" = "$want" ]
	run compare alice@corp.example
	[ "$status" -eq 0 ]
}

@test "state file deleted: the re-run matches by identity and copies nothing" {
	rm -f state.db state.db-wal state.db-shm
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 0 messages"* ]]
	[[ $output == *"matched 255"* ]]
	run compare alice@corp.example
	[ "$status" -eq 0 ]
	# exact duplicates on the source are still duplicates, not merged
	run sqlite3 state.db "SELECT count(*) FROM msgmap WHERE user = 'alice@corp.example'"
	[ "$output" = 255 ]
}

@test "dry run: lists what would be copied per folder and changes nothing" {
	before=$(sqlite3 state.db "SELECT count(*) FROM runs")
	run "$MIGRATE" sync plan.yaml --user dave@corp.example --dry-run
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"dave@corp.example: would copy "*" messages"* ]]
	[[ $output == *"'INBOX' -> 'INBOX': "*" messages ("*" bytes)"* ]]
	[[ $output == *"(new folder)"* ]]
	[[ $output == *"dry run: nothing was changed"* ]]
	[ "$(count dst dave@corp.example INBOX)" = 0 ]
	[ "$(sqlite3 state.db "SELECT count(*) FROM runs")" = "$before" ]
	[ "$(sqlite3 state.db "SELECT count(*) FROM msgmap WHERE user = 'dave@corp.example'")" = 0 ]
}

@test "killed between APPEND and commit: the re-run finds the copies, none twice" {
	run env MIGRATE_TEST_CRASH_AFTER_APPEND=30 "$MIGRATE" sync plan.yaml --user dave@corp.example
	[ "$status" -eq 99 ]
	[ "$(doveadm -c "$DST_CONF" -f flow mailbox status -u dave@corp.example messages '*' | sed 's/.*messages=//' | paste -sd+ | bc)" -ge 30 ]
	run "$MIGRATE" sync plan.yaml --user dave@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"matched "* ]]
	[[ $output != *"matched 0,"* ]]
	run compare dave@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "a destination without UIDPLUS and a source without CONDSTORE" {
	run env MIGRATE_TEST_IMAP_WITHOUT=UIDPLUS,CONDSTORE,LITERAL+ "$MIGRATE" sync plan.yaml --user erin@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run compare erin@corp.example
	[ "$status" -eq 0 ]
	# every copy got its destination UID by identity
	[ "$(sqlite3 state.db "SELECT count(*) FROM msgmap WHERE user = 'erin@corp.example' AND dst_uid IS NULL")" = 0 ]
	# flag changes are found without CONDSTORE too
	doveadm -c "$SRC_CONF" flags add -u erin@corp.example '\Flagged' mailbox INBOX uid 1:4
	run env MIGRATE_TEST_IMAP_WITHOUT=UIDPLUS,CONDSTORE "$MIGRATE" sync plan.yaml --user erin@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 0 messages"* ]]
	run compare erin@corp.example
	[ "$status" -eq 0 ]
	# and with them back, nothing to do
	run "$MIGRATE" sync plan.yaml --user erin@corp.example
	[[ $output == *"copied 0 messages (0 bytes), matched 0"* ]]
}

@test "a destination without MULTIAPPEND: pipelined single APPENDs, exact" {
	run env MIGRATE_TEST_IMAP_WITHOUT=MULTIAPPEND "$MIGRATE" sync plan.yaml --user frank@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run compare frank@corp.example
	[ "$status" -eq 0 ]
	[ "$(sqlite3 state.db "SELECT count(*) FROM msgmap WHERE user = 'frank@corp.example' AND dst_uid IS NULL")" = 0 ]
	run "$MIGRATE" sync plan.yaml --user frank@corp.example
	[[ $output == *"copied 0 messages (0 bytes), matched 0"* ]]
}

@test "usage errors change nothing" {
	run "$MIGRATE" sync plan.yaml --phase nope
	[ "$status" -eq 64 ]
	[[ $output == *"no phase 'nope'"* ]]
	run "$MIGRATE" sync plan.yaml --user nobody@corp.example
	[ "$status" -eq 64 ]
	[[ $output == *"no user 'nobody@corp.example'"* ]]
	run "$MIGRATE" sync plan.yaml --user dave@corp.example --phase p1
	[ "$status" -eq 64 ]
	[[ $output == *"not in phase 'p1'"* ]]
}
