# lib_mx.sh -- extra servers for the "migrate check --live" tests
# (t_live*.bats), started next to a running sandbox (tests/sandbox/up.sh)
# and stopped with it: every pidfile is added to $SANDBOX_DIR/pids, which
# tests/sandbox/down.sh reads.  Everything listens on 127.0.0.1 only.
#
#	mx_port				a free TCP port
#	mx_cert NAME DAYS		key and certificate for NAME from the
#					sandbox CA, valid DAYS days
#	mx_postfix NAME PORT MODE [SMTPS_PORT]
#					a second Postfix instance as backup MX
#					for corp.example, myhostname NAME, with
#					STARTTLS (certificate $MX_CERTS/NAME);
#					MODE: recipients (a relay recipient list
#					of the sandbox users), any (no list) or
#					relay (an open relay: 127.0.0.0/8 in
#					mynetworks, and no STARTTLS);
#					SMTPS_PORT adds TLS from the first byte
#	mx_https PORT DOCROOT NAME	an HTTPS server (/usr/bin/python3) for
#					DOCROOT with the certificate of NAME
#	mx_gateway_tls NAME		STARTTLS on the sandbox's gateway
#	pdns_rr NAME TYPE TTL CONTENT...	replace an RRset on PowerDNS
#	pdns_del NAME TYPE		delete an RRset on PowerDNS
#	all_rr NAME TYPE TTL CONTENT...	the same RRset on PowerDNS, BIND, Knot
#	pdns_reverse_zone		the zone 0.0.127.in-addr.arpa on PowerDNS
#
# Needs the sandbox's env sourced (SANDBOX_DIR, CA_FILE, PDNS_API, ...).

MX_CONF=$(dirname "${BASH_SOURCE[0]}")/../sandbox/conf
MX_CERTS=$SANDBOX_DIR/mxcerts

mx_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

mx_wait_port() {	# mx_wait_port PORT: up to 15 s
	local i
	for i in $(seq 1 300); do
		(exec 7<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.05
	done
	echo "nothing answers on 127.0.0.1:$1" >&2
	return 1
}

mx_cert() {	# mx_cert NAME DAYS
	local n=$1 days=$2 d=$MX_CERTS/$1
	mkdir -p "$d"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/key.pem" -out "$d/req.pem" -subj "/CN=$n" 2>/dev/null || return 1
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' \
		"$n" >"$d/ext.cnf"
	openssl x509 -req -in "$d/req.pem" -CA "$SANDBOX_DIR/ca/ca.pem" \
		-CAkey "$SANDBOX_DIR/ca/ca.key" -CAcreateserial -days "$days" \
		-extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null || return 1
	chmod 755 "$MX_CERTS" "$d"
	chmod 644 "$d/cert.pem"
	chgrp postfix "$d/key.pem" && chmod 640 "$d/key.pem"
}

mx_postfix() {	# mx_postfix NAME PORT MODE [SMTPS_PORT]
	local n=$1 port=$2 mode=$3 smtps=${4:-} P=$SANDBOX_DIR/mx-$1 nets=192.0.2.1/32 rmap="" tls=may
	mkdir -p "$P"/{etc,spool,data,log}
	chown postfix:postfix "$P/data"
	[ "$mode" = relay ] && nets=127.0.0.0/8 tls=none
	if [ "$mode" = recipients ]; then
		cut -d: -f1 "$SRC_USERS" | sed 's/$/\tOK/' >"$P/etc/relay_recipients"
		postmap -c "$SANDBOX_DIR/pf/etc" hash:"$P/etc/relay_recipients" || return 1
		rmap="hash:$P/etc/relay_recipients"
	fi
	printf 'corp.example\tsmtp:[127.0.0.1]:9\n' >"$P/etc/transport"
	postmap -c "$SANDBOX_DIR/pf/etc" hash:"$P/etc/transport" || return 1
	cat >"$P/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $P/spool
data_directory = $P/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $n
mydomain = corp.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = $nets
maillog_file = $P/log/postfix.log
maillog_file_prefixes = $P/log, /dev/stdout
smtp_dns_support_level = disabled
smtp_host_lookup = native
relay_domains = corp.example
relay_recipient_maps = $rmap
transport_maps = hash:$P/etc/transport
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_tls_security_level = $tls
smtpd_tls_cert_file = $MX_CERTS/$n/cert.pem
smtpd_tls_key_file = $MX_CERTS/$n/key.pem
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
EOF
	sed "s|@PORT@|$port|g" "$MX_CONF/master.cf.in" >"$P/etc/master.cf"
	printf 'tlsmgr unix - - n 1000? 1 tlsmgr\n' >>"$P/etc/master.cf"
	[ -z "$smtps" ] ||
		printf '127.0.0.1:%s inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n' "$smtps" >>"$P/etc/master.cf"
	touch -d '-1 min' "$P/etc/main.cf" "$P/etc/master.cf"
	echo "$P/spool/pid/master.pid" >>"$SANDBOX_DIR/pids"
	postfix -c "$P/etc" check >"$P/log/start.log" 2>&1 &&
		touch "$P/spool/quick-start" &&
		postfix -c "$P/etc" start >>"$P/log/start.log" 2>&1 ||
		{ cat "$P/log/start.log" >&2; return 1; }
	mx_wait_port "$port" || return 1
	[ -z "$smtps" ] || mx_wait_port "$smtps"
}

mx_https() {	# mx_https PORT DOCROOT NAME
	local port=$1 root=$2 n=$3 pid=$SANDBOX_DIR/https-$1.pid
	setsid /usr/bin/python3 -c '
import http.server, ssl, sys, os
port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.chdir(root)
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
' "$port" "$root" "$MX_CERTS/$n/cert.pem" "$MX_CERTS/$n/key.pem" </dev/null >"$SANDBOX_DIR/https-$port.log" 2>&1 3>&- &
	echo $! >"$pid"
	echo "$pid" >>"$SANDBOX_DIR/pids"
	mx_wait_port "$port"
}

mx_gateway_tls() {	# mx_gateway_tls NAME
	grep -q '^tlsmgr' "$POSTFIX_CONF/master.cf" ||
		printf 'tlsmgr unix - - n 1000? 1 tlsmgr\n' >>"$POSTFIX_CONF/master.cf"
	postconf -c "$POSTFIX_CONF" -e "smtpd_tls_security_level = may" \
		"smtpd_tls_cert_file = $MX_CERTS/$1/cert.pem" \
		"smtpd_tls_key_file = $MX_CERTS/$1/key.pem" &&
		postfix -c "$POSTFIX_CONF" reload >/dev/null 2>&1
}

mx_pdns() {	# mx_pdns METHOD PATH [JSON]
	curl -sf -o /dev/null --max-time 5 -X "$1" -H @"$SANDBOX_DIR/pdns/api-key.header" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} \
		"$PDNS_API/servers/localhost$2"
}

# The zone of a name: the reverse zone or corp.example.
mx_zone_of() {
	case $1 in
	*.in-addr.arpa.) echo 0.0.127.in-addr.arpa. ;;
	*) echo corp.example. ;;
	esac
}

pdns_rr() {	# pdns_rr NAME TYPE TTL CONTENT...
	local name=$1 type=$2 ttl=$3 recs="" c
	shift 3
	for c in "$@"; do
		c=${c//\\/\\\\}
		recs+="${recs:+,}{\"content\":\"${c//\"/\\\"}\",\"disabled\":false}"
	done
	mx_pdns PATCH "/zones/$(mx_zone_of "$name")" \
		"{\"rrsets\":[{\"name\":\"$name\",\"type\":\"$type\",\"ttl\":$ttl,\"changetype\":\"REPLACE\",\"records\":[$recs]}]}"
}

pdns_del() {	# pdns_del NAME TYPE
	mx_pdns PATCH "/zones/$(mx_zone_of "$1")" \
		"{\"rrsets\":[{\"name\":\"$1\",\"type\":\"$2\",\"changetype\":\"DELETE\"}]}"
}

all_rr() {	# all_rr NAME TYPE TTL CONTENT...: PowerDNS, BIND and Knot
	local name=$1 type=$2 ttl=$3 port key c cmds
	pdns_rr "$@" || return 1
	shift 3
	for port in "$BIND_DNS:$BIND_KEY_FILE" "$KNOT_DNS:$KNOT_KEY_FILE"; do
		key=${port#*:}
		cmds="server 127.0.0.1 ${port%%:*}"$'\n'"zone corp.example"$'\n'
		cmds+="update delete $name $type"$'\n'
		for c in "$@"; do cmds+="update add $name $ttl $type $c"$'\n'; done
		printf '%ssend\n' "$cmds" | nsupdate -k "$key" || return 1
	done
}

pdns_reverse_zone() {
	mx_pdns POST /zones '{"name":"0.0.127.in-addr.arpa.","kind":"Native","nameservers":[],"rrsets":[{"name":"0.0.127.in-addr.arpa.","type":"SOA","ttl":60,"records":[{"content":"ns1.corp.example. hostmaster.corp.example. 1 3600 600 86400 60","disabled":false}]},{"name":"0.0.127.in-addr.arpa.","type":"NS","ttl":60,"records":[{"content":"ns1.corp.example.","disabled":false}]}]}'
}
