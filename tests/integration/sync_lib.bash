# sync_lib.bash -- helpers for the t_sync*.bats files: a sandbox per file,
# plans written against it, seeding, delivery, and an independent
# comparison of both mailboxes (imap_compare.py).  Load with
#	load sync_lib
# and call sync_setup_file / sync_teardown_file from setup_file /
# teardown_file.

SB="$BATS_TEST_DIRNAME/../sandbox"
PY=/usr/bin/python3
BUILD_DIR=${BUILD_DIR:-$(realpath "$BATS_TEST_DIRNAME/../../build")}
MIGRATE=$BUILD_DIR/migrate
COMPARE="$BATS_TEST_DIRNAME/imap_compare.py"

sync_setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	[ -x "$MIGRATE" ] || skip "no $MIGRATE (make all)"
	SYNC_TMP=$(mktemp -d /tmp/migrate-synctest.XXXXXX)
	export SYNC_TMP
	chmod 755 "$SYNC_TMP"
	"$SB/up.sh" "$SYNC_TMP/lab" >"$SYNC_TMP/up.out" 2>&1 || {
		cat "$SYNC_TMP/up.out" >&2
		return 1
	}
	set -a
	. "$SYNC_TMP/lab/env"
	set +a
	mkdir -p "$SYNC_TMP/plan"
}

sync_teardown_file() {
	[ -n "${SYNC_TMP:-}" ] || return 0
	if [ -n "${INTROSPECT_PID:-}" ]; then
		kill "$INTROSPECT_PID" 2>/dev/null
		wait "$INTROSPECT_PID" 2>/dev/null
	fi
	"$SB/down.sh" "$SYNC_TMP/lab" >/dev/null
	. "$SB/lib.sh"
	local left
	left=$(sb_procs_in "$SYNC_TMP")
	rm -rf "$SYNC_TMP"
	if [ -n "$left" ]; then
		echo "# still running after down.sh: $left" >&3
		return 1
	fi
}

# seed USER [SCALE [SEED [src|dst]]]
seed() {
	"$SB/seed.sh" "$SYNC_TMP/lab" "$1" "${2:-small}" "${3:-1}" "${4:-src}" >/dev/null
}

# deliver PORT ADDRESS N TAG: N new messages through LMTP
deliver() {
	timeout 30 "$PY" - "$@" <<'EOF'
import smtplib, sys
port, rcpt, n, tag = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
l = smtplib.LMTP('127.0.0.1', port)
for i in range(n):
    msg = ('From: ext@sender.example\r\nTo: %s\r\nSubject: new %s %d\r\n'
           'Message-ID: <new-%s-%d@sender.example>\r\n'
           'Date: Sat, 28 Nov 2026 10:00:%02d +0000\r\n\r\nhello %d\r\n'
           % (rcpt, tag, i, tag, i, i % 60, i))
    l.sendmail('ext@sender.example', [rcpt], msg)
l.quit()
EOF
}

# compare USER [ARGS...]: both mailboxes agree (plain IMAP, own password)
compare() {
	local u=$1
	shift
	timeout 120 "$PY" "$COMPARE" "$SRC_IMAP" "$DST_IMAP" "$u" "${u%@*}pw" "$@"
}

# count INSTANCE USER FOLDER: messages in a folder (doveadm)
count() {
	local conf=$SRC_CONF
	[ "$1" = dst ] && conf=$DST_CONF
	doveadm -c "$conf" -f flow mailbox status -u "$2" messages "$3" |
		sed 's/.*messages=//'
}

# dst_logins USER: how many times USER logged in to the destination Dovecot
dst_logins() {
	grep -c "imap-login: Info: Login: user=<$1>," "$SYNC_TMP/lab/dst/log/dovecot.log" || true
}

# write_csv FILE USER...: per-user credentials, mode 0600
write_csv() {
	local f=$1 u
	shift
	: >"$f"
	chmod 600 "$f"
	for u in "$@"; do
		echo "$u,,${u%@*}pw" >>"$f"
	done
}

# write_plan FILE [SRC_IMAP_YAML [DST_IMAP_YAML [SRC_LOGIN [DST_LOGIN [EXTRA]]]]]
# Users alice..judy, phase "p1" (group a: alice bob carol), "p2" (the rest).
write_plan() {
	local f=$1
	local src=${2:-"{ host: 127.0.0.1, port: $SRC_IMAPS, tls: implicit, ca: $CA_FILE }"}
	local dst=${3:-"{ host: 127.0.0.1, port: $DST_IMAP, tls: starttls, ca: $CA_FILE }"}
	local sl=${4:-"{ method: master, user: $MASTER_USER, secret: { env: T_MASTER_PW } }"}
	local dl=${5:-"{ method: per-user, credentials: $(dirname "$f")/dst.csv }"}
	cat >"$f" <<EOF
version: 1
migration: synctest
domains: [corp.example]
state: ./state.db
backends:
  legacy:
    imap: $src
    login: $sl
    route: "lmtp:inet:127.0.0.1:$SRC_LMTP"
    default: true
  suite:
    imap: $dst
    login: $dl
    route: "lmtp:inet:127.0.0.1:$DST_LMTP"
${6:-}
users:
  - { address: alice@corp.example, group: a }
  - { address: bob@corp.example, group: a }
  - { address: carol@corp.example, group: a }
  - { address: dave@corp.example, group: b }
  - { address: erin@corp.example, group: b }
  - { address: frank@corp.example, group: b }
phases:
  - { name: p1, groups: [a], from: legacy, to: suite }
  - { name: p2, groups: [b], from: legacy, to: suite }
EOF
	write_csv "$(dirname "$f")/dst.csv" alice@corp.example bob@corp.example \
		carol@corp.example dave@corp.example erin@corp.example frank@corp.example
}

# dovecot_reconf INSTANCE PYTHON-EXPR: edit this sandbox's dovecot.conf
# (test-local; the template is untouched) and reload.
dovecot_edit() {
	local conf=$SRC_CONF
	[ "$1" = dst ] && conf=$DST_CONF
	"$PY" - "$conf" "$2" <<'EOF'
import sys
p, expr = sys.argv[1], sys.argv[2]
s = open(p).read()
s = eval(expr, {'s': s})
open(p, 'w').write(s)
EOF
	doveadm -c "$conf" reload
	sleep 0.5
}

export T_MASTER_PW=migratorpw
