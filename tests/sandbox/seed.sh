#!/bin/bash
# seed.sh DIR USER [SCALE [SEED [src|dst]]] -- fill USER's mailbox on a running
# sandbox with build/tools/seed (scale small|demo|full, default small; seed
# default 1; instance default src), subscribe the folders, and check with
# doveadm that every folder holds what the manifest says (messages and
# vsize).  The manifest is written to DIR/seed-INSTANCE-USER.manifest (or
# $SEED_MANIFEST) and its path printed.  The seeder is $SEED_BIN, else
# $BUILD_DIR/tools/seed, else build/tools/seed of this repository.
set -uo pipefail
HERE=$(dirname "$(realpath "$0")")
. "$HERE/lib.sh"
die() { sb_msg "$*"; exit 1; }

[ $# -ge 2 ] && [ $# -le 5 ] || { echo "usage: seed.sh DIR USER [small|demo|full [SEED [src|dst]]]" >&2; exit 64; }
D=$(realpath -m "$1")
USER_=$2
SCALE=${3:-small}
SEED=${4:-1}
INST=${5:-src}
[ -r "$D/env" ] || die "no sandbox in '$D' (run up.sh first)"
. "$D/env"
case $INST in
src) CONF=$SRC_CONF ;;
dst) CONF=$DST_CONF ;;
*) die "instance '$INST' is neither 'src' nor 'dst'" ;;
esac
BIN=${SEED_BIN:-${BUILD_DIR:-$HERE/../../build}/tools/seed}
[ -x "$BIN" ] || die "seeder '$BIN' not found (make build/tools/seed)"
MANIFEST=${SEED_MANIFEST:-$D/seed-$INST-$USER_.manifest}

home=$(doveadm -c "$CONF" user -f home "$USER_" 2>/dev/null) && [ -n "$home" ] ||
	die "user '$USER_' is unknown to dovecot '$INST'"
"$BIN" --seed "$SEED" --scale "$SCALE" --manifest "$MANIFEST" "$home/Maildir" ||
	die "seeding '$USER_' failed"

# folders as the manifest names them (IMAP names, UTF-8)
mapfile -t folders < <(grep -v '^#' "$MANIFEST" | cut -f1)
doveadm -c "$CONF" mailbox subscribe -u "$USER_" "${folders[@]}" ||
	die "doveadm could not subscribe '$USER_' to the seeded folders"

# doveadm must agree with the manifest, folder by folder
got=$(doveadm -c "$CONF" -f tab mailbox status -u "$USER_" 'messages vsize' "${folders[@]}") ||
	die "doveadm mailbox status failed for '$USER_'"
want=$(grep -v '^#' "$MANIFEST")
if [ "$(tail -n +2 <<<"$got" | sort)" != "$(sort <<<"$want")" ]; then
	sb_msg "doveadm disagrees with the manifest for '$USER_' (< manifest, > doveadm):"
	diff <(sort <<<"$want") <(tail -n +2 <<<"$got" | sort) >&2
	exit 1
fi
echo "$MANIFEST"
