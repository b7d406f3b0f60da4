#!/usr/bin/env bats
# t_sync_layout.bats -- folders between servers that name them
# differently: the destination Dovecot here uses '.' as its delimiter,
# the Courier-style namespace prefix "INBOX." and calls its \Sent folder
# "Sent Items" (test-local settings; the template is untouched).  Checks
# special-use mapping, delimiters and prefixes, modified UTF-7 names,
# \Noselect parents, subscriptions, and the plan's map and excludes.

load sync_lib

setup_file() {
	sync_setup_file
	seed alice@corp.example small 31
	seed bob@corp.example small 32
	dovecot_edit dst "s.replace('namespace inbox {\n  inbox = yes\n  separator = /', 'namespace inbox {\n  inbox = yes\n  separator = .\n  prefix = INBOX.').replace('  mailbox Sent {', '  mailbox \"Sent Items\" {')"
	write_plan "$SYNC_TMP/plan/plan.yaml"
	write_plan "$SYNC_TMP/plan/rules.yaml" "" "" "" "" \
		"folders:
  special_use: true
  exclude: [\"Junk\", \"Archive/2019*\"]
  map: { \"Projects\": \"Work/Projects\", \"Sent\": \"Sent (old system)\" }"
	sed -i 's|state: ./state.db|state: ./rules.db|' "$SYNC_TMP/plan/rules.yaml"
}

teardown_file() {
	sync_teardown_file
}

setup() {
	cd "$SYNC_TMP/plan" || return 1
}

@test "the destination's own layout: '.' delimiter, INBOX. prefix, \\Sent called 'Sent Items'" {
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == *"copied 250 messages"* ]]
	run doveadm -c "$DST_CONF" mailbox list -u alice@corp.example
	echo "$output"
	[[ $output == *"INBOX.Sent Items"* ]]
	[[ $output == *"INBOX.Archive.2019.Q1"* ]]
	[[ $output == *"INBOX.Lists.dev & ops"* ]]
	[[ $output == *"INBOX.Entwürfe"* && $output == *"INBOX.日本語"* ]]
	# no second Sent folder next to the special-use one
	[[ $output != *"INBOX.Sent"$'\n'* ]]
	run compare alice@corp.example --dst-sep . --dst-prefix INBOX. "Sent=INBOX.Sent Items"
	echo "$output"
	[ "$status" -eq 0 ]
	# subscriptions follow the folders
	src=$(doveadm -c "$SRC_CONF" mailbox list -s -u alice@corp.example |
		sed -e 's|/|.|g' -e '/^INBOX$/!s|^|INBOX.|' -e 's|^INBOX.Sent$|INBOX.Sent Items|' | sort)
	dst=$(doveadm -c "$DST_CONF" mailbox list -s -u alice@corp.example | sort)
	echo "src: $src"
	echo "dst: $dst"
	[ "$src" = "$dst" ]
	# and a re-run copies nothing
	run "$MIGRATE" sync plan.yaml --user alice@corp.example
	[[ $output == *"copied 0 messages (0 bytes), matched 0"* ]]
}

@test "the plan's map and excludes win over special use" {
	run "$MIGRATE" sync rules.yaml --user bob@corp.example
	echo "$output"
	[ "$status" -eq 0 ]
	run doveadm -c "$DST_CONF" mailbox list -u bob@corp.example
	echo "$output"
	[[ $output == *"INBOX.Sent (old system)"* ]]
	[[ $output == *"INBOX.Work.Projects.Project-X"* ]]
	[[ $output != *"INBOX.Junk"* ]]
	[[ $output != *"INBOX.Archive.2019"* ]]
	[[ $output == *"INBOX.Archive.2020"* ]]
	[ "$(count dst bob@corp.example 'INBOX.Sent Items')" = 0 ]
	[ "$(count dst bob@corp.example 'INBOX.Sent (old system)')" = "$(count src bob@corp.example Sent)" ]
	run compare bob@corp.example --dst-sep . --dst-prefix INBOX. --exclude Junk \
		--exclude Archive/2019 --exclude Archive/2019/Q1 --exclude Archive/2019/Q2 \
		"Sent=INBOX.Sent (old system)" "Projects=INBOX.Work.Projects" \
		"Projects/Project-X=INBOX.Work.Projects.Project-X"
	echo "$output"
	[ "$status" -eq 0 ]
	# the dry run says so too
	run "$MIGRATE" sync rules.yaml --user bob@corp.example --dry-run
	echo "$output"
	[[ $output == *"'Junk': excluded"* ]]
	[[ $output == *"'Sent' -> 'INBOX.Sent (old system)': 0 messages"* ]]
}
