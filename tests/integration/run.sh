#!/bin/bash
# run.sh BUILD_DIR -- run every tests/integration/*.bats against the real
# servers of tests/sandbox/ (TAP output).  Needs root: the Postfix gateway
# cannot run unprivileged.  Exits non-zero if any test fails.
set -u
HERE=$(dirname "$(realpath "$0")")
[ $# -eq 1 ] || { echo "usage: run.sh BUILD_DIR" >&2; exit 64; }
if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root (Postfix); run them as root" >&2
	exit 1
fi
command -v bats >/dev/null || { echo "integration: 'bats' is not installed (make deps)" >&2; exit 1; }
BUILD_DIR=$(realpath "$1") || exit 1
export BUILD_DIR
[ -x "$BUILD_DIR/tools/seed" ] ||
	{ echo "integration: '$BUILD_DIR/tools/seed' is missing (make all)" >&2; exit 1; }
shopt -s nullglob
files=("$HERE"/*.bats)
[ ${#files[@]} -gt 0 ] || { echo "integration: no tests" >&2; exit 1; }
echo "integration: ${#files[@]} file(s), build '$BUILD_DIR'"
exec bats --tap "${files[@]}"
