#!/bin/sh
# deps.sh -- install every Debian package migrate needs to build, test and
# run its demo.  Quick when everything is present: dpkg is asked first and
# apt-get runs only for what is missing.  Never starts a system-wide daemon:
# a policy-rc.d that answers 101 is put in place before installing.
set -eu

PKGS="build-essential pkg-config ca-certificates openssl
libetpan-dev libcurl4-gnutls-dev libssl-dev libsqlite3-dev libyaml-dev
libldns-dev libjansson-dev libcmocka-dev sqlite3
dovecot-imapd dovecot-lmtpd postfix postfix-lmdb postfix-cdb
pdns-server pdns-backend-sqlite3 bind9 bind9-dnsutils knot knot-dnsutils
ldnsutils swaks isync valgrind iproute2 procps curl bats e2fsprogs mount"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "deps: installing:$missing"
if [ ! -x /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
fi
echo "postfix postfix/main_mailer_type select No configuration" |
	$SUDO debconf-set-selections
$SUDO apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
	--no-install-recommends $missing
