#!/bin/bash
# up.sh DIR [BASEPORT] -- start the migrate sandbox (root only), on 127.0.0.1:
#
#   Dovecot "src" and "dst"   IMAP B+143/B+1143, IMAPS B+993/B+1993, LMTP B+24/B+1024
#   Postfix gateway           SMTP B+525 (transport maps: migrate_transport, then site)
#   PowerDNS (gsqlite3)       DNS B+53, HTTP API B+81
#   BIND 9                    DNS B+54 (RFC 2136 + TSIG hmac-sha256)
#   Knot DNS                  DNS B+55 (RFC 2136 + TSIG hmac-sha256)
#
# Without BASEPORT (27000 and bases whose ports would meet its ports are
# left to `make demo`), the first base in 20000..31000 (step 200, from a random
# start) whose ports are all free is used.  Writes DIR/env (every port, path
# and secret; mode 0600) and DIR/pids (every pidfile, for down.sh).  Nothing
# outside DIR is written.  On any failure the servers already started are
# stopped again and the exit status is 1.
#
# Environment: SANDBOX_USERS=FILE (lines "address password"; default the ten
# users alice..judy @corp.example, password "<localpart>pw"),
# SANDBOX_ZONE_TTL (record TTL of corp.example, default 3600),
# SANDBOX_TIMEOUT (seconds each server may take to answer, default 15).
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
CONF=$HERE/conf
. "$HERE/lib.sh"

die() { sb_msg "$*"; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: up.sh DIR [BASEPORT]" >&2; exit 64; }
[ "$(id -u)" = 0 ] || die "up.sh needs root (the Postfix gateway cannot run unprivileged)"
D=$(realpath -m "$1")
[ "$D" != / ] || die "DIR must not be '/'"
BASE=${2:-}
TTL=${SANDBOX_ZONE_TTL:-3600}
LIMIT=${SANDBOX_TIMEOUT:-15}
KEYNAME=ddns-key
[[ $TTL =~ ^[0-9]+$ ]] || die "SANDBOX_ZONE_TTL '$TTL' is not a number"
[ -z "$BASE" ] || [[ $BASE =~ ^[0-9]+$ && $BASE -ge 1024 && $BASE -le 63000 ]] ||
	die "base port '$BASE' must be a number between 1024 and 63000"

# daemons must not inherit our caller's extra descriptors (bats waits on fd 3)
for fd in 3 4 5 6 7 8 9; do eval "exec $fd>&-"; done

t0=$(sb_now_ms)
if [ -s "$D/pids" ]; then
	while read -r f; do
		[ -s "$f" ] && sb_ours "$D" "$(head -n1 "$f" | tr -d ' ')" &&
			die "a sandbox is already running in '$D' (stop it with down.sh)"
	done <"$D/pids"
fi
mkdir -p "$D" || die "cannot create '$D'"
chmod go+rx "$D"
# the unprivileged helpers of Postfix and Dovecot must reach files in DIR
a=$(dirname "$D")
while [ "$a" != / ]; do
	[ "$(($(stat -c '%#a' "$a") & 1))" = 1 ] ||
		die "'$a' is not searchable by other users (mode $(stat -c %a "$a")); chmod 755 it (mktemp -d makes 0700)"
	a=$(dirname "$a")
done
cd / || exit 1
# a fresh lab every time: drop what an earlier run left (only our own names)
rm -rf "${D:?}"/{ca,src,dst,pf,pdns,bind,knot,env}
: >"$D/pids"

# ---- ports ---------------------------------------------------------------
NAMES=(SRC_IMAP SRC_IMAPS SRC_LMTP DST_IMAP DST_IMAPS DST_LMTP SMTP PDNS_DNS PDNS_HTTP BIND_DNS KNOT_DNS)
OFFS=(143 993 24 1143 1993 1024 525 53 81 54 55)
USED=" $(sb_used_ports | tr '\n' ' ') "
busy_port() {	# busy_port BASE: print "NAME PORT" of the first busy port
	local i
	for i in "${!NAMES[@]}"; do
		if [[ $USED == *" $(($1 + OFFS[i])) "* ]]; then
			echo "${NAMES[i]} $(($1 + OFFS[i]))"
			return 0
		fi
	done
	return 1
}
if [ -n "$BASE" ]; then
	if b=$(busy_port "$BASE"); then
		die "port ${b#* } (${b% *}) on 127.0.0.1 is busy; choose another base port"
	fi
else
	# base 27000 belongs to `make demo` (examples/demo/plan.yaml): never
	# pick a base whose ports would take one of the demo's
	demo_clash() {
		local o p
		for o in "${OFFS[@]}"; do
			for p in "${OFFS[@]}"; do
				[ $(($1 + o)) = $((27000 + p)) ] && return 0
			done
		done
		return 1
	}
	n=$(((31000 - 20000) / 200 + 1))
	start=$((RANDOM % n))
	for ((k = 0; k < n; k++)); do
		cand=$((20000 + ((start + k) % n) * 200))
		demo_clash "$cand" && continue
		busy_port "$cand" >/dev/null || { BASE=$cand; break; }
	done
	[ -n "$BASE" ] || die "no free base port in 20000..31000"
fi
for i in "${!NAMES[@]}"; do printf -v "${NAMES[i]}" %d $((BASE + OFFS[i])); done

# from here on, a failure stops whatever was started
UP_OK=0
cleanup() {
	[ "$UP_OK" = 1 ] && return
	sb_msg "stopping what was started in '$D'"
	"$HERE/down.sh" "$D" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

rand_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
rand_b64() { head -c 32 /dev/urandom | base64 -w0; }
PDNS_API_KEY=$(rand_hex 16)
BIND_SECRET=$(rand_b64)
KNOT_SECRET=$(rand_b64)
PDNS_SECRET=$(rand_b64)
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

# ---- users ---------------------------------------------------------------
USERS_TEXT=""
if [ -n "${SANDBOX_USERS:-}" ]; then
	[ -r "$SANDBOX_USERS" ] || die "SANDBOX_USERS file '$SANDBOX_USERS' cannot be read"
	while read -r addr pw _; do
		[ -z "$addr" ] || [[ $addr == \#* ]] && continue
		[[ $addr == *@* && -n $pw && $addr$pw != *:* ]] ||
			die "SANDBOX_USERS: bad line for '$addr' (want \"address password\", no ':')"
		USERS_TEXT+="$addr:{PLAIN}$pw::::::"$'\n'
	done <"$SANDBOX_USERS"
else
	for u in alice bob carol dave erin frank grace heidi ivan judy; do
		USERS_TEXT+="$u@corp.example:{PLAIN}${u}pw::::::"$'\n'
	done
fi
[ -n "$USERS_TEXT" ] || die "no users"

# ---- TLS: a CA per run, a server certificate per Dovecot ------------------
mkdir -p "$D/ca" && chmod 700 "$D/ca"
ossl() { openssl req -config "$CONF/openssl.cnf" -x509 -newkey ec \
	-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 "$@" 2>>"$D/ca/openssl.log"; }
ossl -keyout "$D/ca/ca.key" -out "$D/ca/ca.pem" -subj "/CN=migrate sandbox CA" \
	-extensions v3_ca & p1=$!
ossl -keyout "$D/ca/wrong-ca.key" -out "$D/ca/wrong-ca.pem" \
	-subj "/CN=migrate sandbox wrong CA" -extensions v3_ca & p2=$!
wait $p1 && wait $p2 || die "openssl could not make the CAs (see '$D/ca/openssl.log')"
for n in src dst; do
	mkdir -p "$D/$n/tls"
	ossl -keyout "$D/$n/tls/key.pem" -out "$D/$n/tls/cert.pem" -subj "/CN=localhost" \
		-extensions v3_server -CA "$D/ca/ca.pem" -CAkey "$D/ca/ca.key" &
done
wait -n && wait -n || die "openssl could not make the server certificates"
chmod 644 "$D/ca/ca.pem" "$D/ca/wrong-ca.pem"
chmod 600 "$D/ca/ca.key" "$D/ca/wrong-ca.key"
chmod 755 "$D/ca"

# ---- configuration -------------------------------------------------------
mk_dovecot() {	# mk_dovecot NAME IMAP IMAPS LMTP
	local d=$D/$1
	mkdir -p "$d"/{run,state,log,mail} || return 1
	chown "$NOBODY_UID:$NOBODY_GID" "$d/mail"
	chmod 600 "$d/tls/key.pem"
	printf '%s' "$USERS_TEXT" >"$d/users"
	printf 'migrator:{PLAIN}migratorpw::::::\n' >"$d/masters"
	chmod 640 "$d/users" "$d/masters"
	chgrp dovecot "$d/users" "$d/masters"
	sed -e "s|@D@|$d|g" -e "s|@NAME@|$1|g" -e "s|@IMAP@|$2|g" -e "s|@IMAPS@|$3|g" \
		-e "s|@LMTP@|$4|g" -e "s|@UID@|$NOBODY_UID|g" -e "s|@GID@|$NOBODY_GID|g" \
		"$CONF/dovecot.conf.in" >"$d/dovecot.conf"
}
mk_dovecot src "$SRC_IMAP" "$SRC_IMAPS" "$SRC_LMTP" || die "cannot configure dovecot 'src'"
mk_dovecot dst "$DST_IMAP" "$DST_IMAPS" "$DST_LMTP" || die "cannot configure dovecot 'dst'"

zone_text() {
	cat <<ZONE
\$ORIGIN corp.example.
\$TTL $TTL
@               SOA   ns1.corp.example. hostmaster.corp.example. 1 3600 600 86400 60
@               NS    ns1.corp.example.
ns1             A     127.0.0.1
@               MX    10 mx.source-host.example.
@               TXT   "v=spf1 include:source-host.example -all"
autodiscover    CNAME autodiscover.source-host.example.
ZONE
}
key_file() {	# key_file SECRET: the nsupdate -k / named include format
	printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$KEYNAME" "$1"
}

P=$D/pf
mkdir -p "$P"/{etc,spool,data,log}
chown postfix:postfix "$P/data"
sed "s|@P@|$P|g" "$CONF/main.cf.in" >"$P/etc/main.cf"
sed "s|@PORT@|$SMTP|g" "$CONF/master.cf.in" >"$P/etc/master.cf"
printf '# site default: the whole domain is on the source Dovecot\ncorp.example\tlmtp:inet:127.0.0.1:%s\n' \
	"$SRC_LMTP" >"$P/etc/transport"
: >"$P/etc/migrate_transport"
# Postfix sleeps (up to 1.5 s, in 300 ms steps) while main.cf is under a
# second old: backdate the files we just wrote
touch -d '-1 min' "$P/etc/main.cf" "$P/etc/master.cf"

mkdir -p "$D/pdns/run"
sed -e "s|@D@|$D/pdns|g" -e "s|@DNS@|$PDNS_DNS|g" -e "s|@HTTP@|$PDNS_HTTP|g" \
	-e "s|@KEY@|$PDNS_API_KEY|g" "$CONF/pdns.conf.in" >"$D/pdns/pdns.conf"
key_file "$PDNS_SECRET" >"$D/pdns/ddns.key"
(umask 077 && printf 'X-API-Key: %s\n' "$PDNS_API_KEY" >"$D/pdns/api-key.header")

mkdir -p "$D/bind"
key_file "$BIND_SECRET" >"$D/bind/ddns.key"
zone_text >"$D/bind/db.corp.example"
sed -e "s|@D@|$D/bind|g" -e "s|@PORT@|$BIND_DNS|g" -e "s|@KEYNAME@|$KEYNAME|g" \
	"$CONF/named.conf.in" >"$D/bind/named.conf"

mkdir -p "$D/knot"/{run,db,zones}
key_file "$KNOT_SECRET" >"$D/knot/ddns.key"
zone_text >"$D/knot/zones/corp.example.zone"
sed -e "s|@D@|$D/knot|g" -e "s|@PORT@|$KNOT_DNS|g" -e "s|@KEYNAME@|$KEYNAME|g" \
	-e "s|@SECRET@|$KNOT_SECRET|g" "$CONF/knot.conf.in" >"$D/knot/knot.conf"
chmod 600 "$D"/{pdns,bind,knot}/ddns.key "$D/pdns/pdns.conf" "$D/knot/knot.conf"

cat >"$D/env" <<ENV
# migrate sandbox, started $(date -u +%FT%TZ); source this file
SANDBOX_DIR=$D
SANDBOX_BASE=$BASE
SANDBOX_ZONE=corp.example
SANDBOX_ZONE_TTL=$TTL
SRC_IMAP=$SRC_IMAP
SRC_IMAPS=$SRC_IMAPS
SRC_LMTP=$SRC_LMTP
SRC_CONF=$D/src/dovecot.conf
SRC_USERS=$D/src/users
DST_IMAP=$DST_IMAP
DST_IMAPS=$DST_IMAPS
DST_LMTP=$DST_LMTP
DST_CONF=$D/dst/dovecot.conf
DST_USERS=$D/dst/users
CA_FILE=$D/ca/ca.pem
WRONG_CA_FILE=$D/ca/wrong-ca.pem
MASTER_USER=migrator
MASTER_PW=migratorpw
MASTER_SEPARATOR=*
SMTP=$SMTP
POSTFIX_CONF=$P/etc
TRANSPORT_MAP=$P/etc/migrate_transport
SITE_TRANSPORT=$P/etc/transport
POSTFIX_LOG=$P/log/postfix.log
PDNS_DNS=$PDNS_DNS
PDNS_HTTP=$PDNS_HTTP
PDNS_API=http://127.0.0.1:$PDNS_HTTP/api/v1
PDNS_API_KEY=$PDNS_API_KEY
PDNS_KEY_FILE=$D/pdns/ddns.key
PDNS_TSIG_SECRET=$PDNS_SECRET
BIND_DNS=$BIND_DNS
BIND_KEY_FILE=$D/bind/ddns.key
BIND_TSIG_SECRET=$BIND_SECRET
KNOT_DNS=$KNOT_DNS
KNOT_KEY_FILE=$D/knot/ddns.key
KNOT_TSIG_SECRET=$KNOT_SECRET
TSIG_KEY_NAME=$KEYNAME
TSIG_ALGORITHM=hmac-sha256
ENV
chmod 600 "$D/env"

# ---- start everything at once, then wait for each ------------------------
addpid() { echo "$1" >>"$D/pids"; }
addpid "$D/src/run/master.pid"
addpid "$D/dst/run/master.pid"
addpid "$P/spool/pid/master.pid"
for n in pdns bind knot; do addpid "$D/$n/launch.pid"; done
addpid "$D/pdns/run/pdns.pid"
addpid "$D/bind/named.pid"
addpid "$D/knot/run/knot.pid"

fail() {	# fail WHAT PORT LOG [STATUS]: STATUS 2 means the daemon exited
	if [ "${4:-1}" = 2 ]; then
		sb_msg "$1 exited before it answered on 127.0.0.1:$2 (log: $3)"
	else
		sb_msg "$1 did not come up on 127.0.0.1:$2 within $LIMIT s (log: $3)"
	fi
	sb_log_tail "$3"
	return 1
}
pid_in() {	# pid_in PIDFILE: the PID, or nothing yet
	[ -r "$1" ] && tr -d ' \n' <"$1"
}
launch() {	# launch NAME LOG CMD...: a foreground daemon in its own session
	local name=$1 log=$2
	shift 2
	setsid "$@" </dev/null >"$log" 2>&1 &
	echo $! >"$D/$name/launch.pid"
}

start_dovecot() {	# start_dovecot NAME IMAP IMAPS LMTP
	local d=$D/$1 log=$D/$1/log/dovecot.log pid
	if ! dovecot -c "$d/dovecot.conf" </dev/null >"$d/log/start.log" 2>&1; then
		sb_msg "dovecot '$1' failed to start (ports $2, $3, $4)"
		sb_log_tail "$d/log/start.log"
		sb_log_tail "$log"
		return 1
	fi
	pid=$(pid_in "$d/run/master.pid")
	sb_wait "$LIMIT" "$pid" sb_is_greeting "$2" "* OK" || fail "dovecot '$1' IMAP" "$2" "$log" $? || return 1
	sb_wait "$LIMIT" "$pid" sb_is_greeting "$4" "220" || fail "dovecot '$1' LMTP" "$4" "$log" $? || return 1
	sb_wait "$LIMIT" "$pid" sb_port_open "$3" || fail "dovecot '$1' IMAPS" "$3" "$log" $?
}

start_postfix() {
	postmap -c "$P/etc" hash:"$P/etc/transport" &&
		postmap -c "$P/etc" lmdb:"$P/etc/migrate_transport" ||
		{ sb_msg "postmap failed for the gateway maps in '$P/etc'"; return 1; }
	# "check" creates the queue directories; quick-start then spares
	# "start" the same checks again (they take a second)
	if ! postfix -c "$P/etc" check >"$P/log/start.log" 2>&1 ||
		! touch "$P/spool/quick-start" ||
		! postfix -c "$P/etc" start >>"$P/log/start.log" 2>&1; then
		sb_msg "postfix gateway failed to start (SMTP port $SMTP)"
		sb_log_tail "$P/log/start.log"
		sb_log_tail "$P/log/postfix.log"
		return 1
	fi
	sb_wait "$LIMIT" "$(pid_in "$P/spool/pid/master.pid")" \
		sb_is_greeting "$SMTP" "220" || fail "postfix gateway SMTP" "$SMTP" "$P/log/postfix.log" $?
}

pdns_api() {	# pdns_api METHOD PATH [JSON]: 2xx or fail
	curl -sf -o /dev/null --max-time 5 -X "$1" -H @"$D/pdns/api-key.header" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} \
		"http://127.0.0.1:$PDNS_HTTP/api/v1/servers/localhost$2"
}
start_pdns() {
	local log=$D/pdns/pdns.log pid z
	sqlite3 "$D/pdns/pdns.sqlite3" </usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql ||
		{ sb_msg "powerdns: cannot create the sqlite3 database"; return 1; }
	launch pdns "$log" pdns_server --config-dir="$D/pdns"
	pid=$(cat "$D/pdns/launch.pid")
	sb_wait "$LIMIT" "$pid" pdns_api GET "" || fail "powerdns HTTP API" "$PDNS_HTTP" "$log" $? || return 1
	rr() { printf '{"name":"%s","type":"%s","ttl":%s,"records":[{"content":"%s","disabled":false}]}' "$@"; }
	z="{\"name\":\"corp.example.\",\"kind\":\"Native\",\"nameservers\":[],\"rrsets\":["
	z+="$(rr corp.example. SOA "$TTL" "ns1.corp.example. hostmaster.corp.example. 1 3600 600 86400 60"),"
	z+="$(rr corp.example. NS "$TTL" ns1.corp.example.),"
	z+="$(rr ns1.corp.example. A "$TTL" 127.0.0.1),"
	z+="$(rr corp.example. MX "$TTL" "10 mx.source-host.example."),"
	z+="$(rr corp.example. TXT "$TTL" '\"v=spf1 include:source-host.example -all\"'),"
	z+="$(rr autodiscover.corp.example. CNAME "$TTL" autodiscover.source-host.example.)]}"
	pdns_api POST /zones "$z" &&
		pdns_api POST /tsigkeys "{\"name\":\"$KEYNAME\",\"algorithm\":\"hmac-sha256\",\"key\":\"$PDNS_SECRET\"}" &&
		pdns_api PUT /zones/corp.example./metadata/TSIG-ALLOW-DNSUPDATE "{\"metadata\":[\"$KEYNAME\"]}" ||
		{ sb_msg "powerdns: the API refused the zone or the TSIG key (log: $log)"; sb_log_tail "$log"; return 1; }
	sb_wait "$LIMIT" "$pid" sb_dig_soa "$PDNS_DNS" || fail "powerdns DNS" "$PDNS_DNS" "$log" $?
}

start_bind() {
	local log=$D/bind/named.log
	launch bind "$log" named -c "$D/bind/named.conf" -g
	sb_wait "$LIMIT" "$(cat "$D/bind/launch.pid")" sb_dig_soa "$BIND_DNS" ||
		fail "bind (named)" "$BIND_DNS" "$log" $?
}

start_knot() {
	local log=$D/knot/knotd.log
	launch knot "$log" knotd -c "$D/knot/knot.conf"
	sb_wait "$LIMIT" "$(cat "$D/knot/launch.pid")" sb_dig_soa "$KNOT_DNS" ||
		fail "knot (knotd)" "$KNOT_DNS" "$log" $?
}

timed() {	# timed NAME CMD...: with SANDBOX_DEBUG set, say how long CMD took
	local t rc
	t=$(sb_now_ms)
	"${@:2}"
	rc=$?
	[ -z "${SANDBOX_DEBUG:-}" ] || sb_msg "$1: ready after $(($(sb_now_ms) - t0)) ms (own $(($(sb_now_ms) - t)) ms)"
	return $rc
}
[ -z "${SANDBOX_DEBUG:-}" ] || sb_msg "configured after $(($(sb_now_ms) - t0)) ms"
declare -A JOBS
timed dovecot-src start_dovecot src "$SRC_IMAP" "$SRC_IMAPS" "$SRC_LMTP" & JOBS[dovecot-src]=$!
timed dovecot-dst start_dovecot dst "$DST_IMAP" "$DST_IMAPS" "$DST_LMTP" & JOBS[dovecot-dst]=$!
timed postfix start_postfix & JOBS[postfix]=$!
timed powerdns start_pdns & JOBS[powerdns]=$!
timed bind start_bind & JOBS[bind]=$!
timed knot start_knot & JOBS[knot]=$!
bad=""
for j in "${!JOBS[@]}"; do wait "${JOBS[$j]}" || bad+=" $j"; done
[ -z "$bad" ] || die "failed to start:$bad"

UP_OK=1
echo "sandbox up in $(($(sb_now_ms) - t0)) ms (base port $BASE; env in $D/env)"
