#!/usr/bin/env bats
# t_sync_plan.bats -- the plan keys of the sync engine's options, through
# the real binary: a phase's "expunge: true" (source expunges reach the
# destination; without it they do not; a reverse delta never expunges),
# Dovecot's master LOGIN form (login "form: separator"), and a backend's
# bandwidth cap (a sync under 1MB/s takes at least the time its bytes
# need; never an upper bound: speed is for the benchmarks).

load sync_lib

setup_file() {
	sync_setup_file
	seed alice@corp.example small 41
	seed bob@corp.example small 42
	seed carol@corp.example small 43
	seed dave@corp.example small 44
}

teardown_file() {
	sync_teardown_file
}

setup() {
	cd "$SYNC_TMP/plan" || return 1
}

# phase_expunge FILE PHASE: add "expunge: true" to a phase of write_plan's
phase_expunge() {
	sed -i "s/{ name: $2, \(.*\) }/{ name: $2, \1, expunge: true }/" "$1"
	grep -q "name: $2, .*expunge: true" "$1"
}

@test "expunges on the source reach the destination only with the phase's 'expunge: true'" {
	write_plan "$SYNC_TMP/plan/ex.yaml"
	sed -i 's|state: ./state.db|state: ./ex.db|' ex.yaml
	run "$MIGRATE" sync ex.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	before=$(count src alice@corp.example INBOX)
	doveadm -c "$SRC_CONF" expunge -u alice@corp.example mailbox INBOX uid 1:3
	want=$(count src alice@corp.example INBOX)
	gone=$((before - want))
	[ "$gone" -gt 0 ]
	# without the key: the destination keeps them
	run "$MIGRATE" sync ex.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *expunged* ]]
	[ "$(count dst alice@corp.example INBOX)" = $((want + gone)) ]
	# the phase asks: exactly those go, on the next sync of the phase
	phase_expunge ex.yaml p1
	run "$MIGRATE" check ex.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"p1 "*"legacy -> suite, expunge"* ]]
	run "$MIGRATE" sync ex.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"alice@corp.example: copied 0 messages"*", expunged $gone;"* ]]
	[ "$(count dst alice@corp.example INBOX)" = "$want" ]
	run compare alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	# a message that only the destination has is no source expunge
	deliver "$DST_LMTP" alice@corp.example 1 own
	sent=$(count src alice@corp.example Sent)
	doveadm -c "$SRC_CONF" expunge -u alice@corp.example mailbox Sent all
	[ "$(count src alice@corp.example Sent)" = 0 ]
	run "$MIGRATE" sync ex.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *", expunged $sent;"* ]]
	[ "$(count dst alice@corp.example INBOX)" = $((want + 1)) ]
	[ "$(count dst alice@corp.example Sent)" = "$(count src alice@corp.example Sent)" ]
}

@test "a reverse delta never expunges, even when asked" {
	write_plan "$SYNC_TMP/plan/rev.yaml"
	sed -i 's|state: ./state.db|state: ./rev.db|' rev.yaml
	phase_expunge rev.yaml p1
	run "$MIGRATE" sync rev.yaml --user carol@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	# carol "deletes" two messages on the destination after cutover
	doveadm -c "$DST_CONF" expunge -u carol@corp.example mailbox INBOX uid 1:2
	src_before=$(count src carol@corp.example INBOX)
	[ "$(count dst carol@corp.example INBOX)" -lt "$src_before" ]
	# rollback's reverse delta (destination -> source), asked to expunge
	run "$BUILD_DIR/itests/sync_engine" plan rev.yaml p1 carol@corp.example reverse expunge
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output != *expunged* ]]
	[ "$(count src carol@corp.example INBOX)" = "$src_before" ]
}

@test "master user through Dovecot's LOGIN \"user*admin\" form ('form: separator')" {
	write_plan "$SYNC_TMP/plan/sep.yaml" "" "" \
		"{ method: master, user: $MASTER_USER, secret: { env: T_MASTER_PW }, form: separator }"
	sed -i 's|state: ./state.db|state: ./sep.db|' sep.yaml
	run "$MIGRATE" check sep.yaml
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"login master (LOGIN user*$MASTER_USER)"* ]]
	run "$MIGRATE" -D imap sync sep.yaml --user bob@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"authenticating as 'bob@corp.example' (master LOGIN)"* ]]
	[[ $output == *"bob@corp.example: copied 250 messages"* ]]
	[[ $output != *"$T_MASTER_PW"* ]]
	run compare bob@corp.example
	[ "$status" -eq 0 ]
	# the separator is really what the plan says: Dovecot's is '*', so
	# "bob@corp.example%admin" is an unknown user
	sed -i 's|form: separator }|form: separator, separator: "%" }|' sep.yaml
	run "$MIGRATE" sync sep.yaml --user bob@corp.example
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"LOGIN as 'bob@corp.example%$MASTER_USER' refused"* ]]
	[[ $output != *"$T_MASTER_PW"* ]]
	sed -i 's|separator: "%"|separator: "*"|' sep.yaml
	run "$MIGRATE" sync sep.yaml --user bob@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"bob@corp.example: copied 0 messages"* ]]
}

@test "bandwidth: 1MB/s on the source: exact copy, at least the time its bytes need" {
	manifest="$SYNC_TMP/lab/seed-src-dave@corp.example.manifest"
	bytes=$(grep -v '^#' "$manifest" | awk -F'\t' '{ s += $3 } END { print s }')
	[ "$bytes" -gt 2000000 ]
	write_plan "$SYNC_TMP/plan/bw.yaml" \
		"{ host: 127.0.0.1, port: $SRC_IMAPS, tls: implicit, ca: $CA_FILE, bandwidth: 1MB/s }"
	sed -i 's|state: ./state.db|state: ./bw.db|' bw.yaml
	t0=$(date +%s.%N)
	run "$MIGRATE" -v sync bw.yaml --user dave@corp.example
	t1=$(date +%s.%N)
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"backend 'legacy': bandwidth capped at 1.0 MB/s"* ]]
	[ "$(grep -c 'bandwidth capped' <<<"$output")" = 1 ]
	[[ $output == *"dave@corp.example: copied 250 messages"* ]]
	run compare dave@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	# every body crossed the capped link: a lower bound only
	"$PY" -c "import sys; t = $t1 - $t0; print('# %d bytes in %.1f s' % ($bytes, t)); sys.exit(0 if t >= 0.8 * $bytes / 1e6 else 1)"
}

@test "migrate check accepts the bandwidth forms and refuses the others" {
	for ok in "500KB/s 500000" "10MB/s 10000000" "1.5MB/s 1500000" \
		"2GB/s 2000000000" "64KiB/s 65536" "1.5MiB/s 1572864" \
		"1GiB/s 1073741824"; do
		set -- $ok
		write_plan "$SYNC_TMP/plan/bwc.yaml" "{ host: 127.0.0.1, bandwidth: $1 }"
		run "$MIGRATE" check bwc.yaml
		echo "$1: $output"
		[ "$status" -eq 0 ]
		[[ $output == *"legacy "*"imap 127.0.0.1:993 (implicit), bandwidth $2 bytes/s, login master"* ]]
	done
	# 0: no cap
	write_plan "$SYNC_TMP/plan/bwc.yaml" "{ host: 127.0.0.1, bandwidth: 0 }"
	run "$MIGRATE" check bwc.yaml
	[ "$status" -eq 0 ]
	[[ $output != *bandwidth* ]]
	for bad in "10Mb/s|not bits" "1000000|did you mean '1000000B/s'?" \
		"10MBs|did you mean '10MB/s'?" "fast|not 'fast'" \
		"100B/s|must be from 1KB/s to 100GB/s" "-1MB/s|not '-1MB/s'"; do
		write_plan "$SYNC_TMP/plan/bwc.yaml" "{ host: 127.0.0.1, bandwidth: \"${bad%%|*}\" }"
		run "$MIGRATE" check bwc.yaml
		echo "$bad: $output"
		[ "$status" -eq 65 ]
		[[ $output == *"bwc.yaml:7:"*"backend 'legacy' imap: 'bandwidth' "*"${bad#*|}"* ]]
	done
}
