#!/bin/sh
# run-unit.sh BUILD_DIR BIN... -- run unit test binaries, one line each.
#
# Each binary's stdout and stderr go to BUILD_DIR/test-logs/NAME.log.
# Prints "PASS NAME (N tests)" or "FAIL NAME" and the tail of its log;
# exits 1 if any failed.  VALGRIND=1 runs each under valgrind;
# UNIT_TIMEOUT (seconds, default 600) bounds each binary.  Under ASan,
# tools/lsan.supp is passed to LeakSanitizer when it exists.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 BUILD_DIR BIN..." >&2
	exit 64
fi
build=$1
shift
root=$(cd "$(dirname "$0")/.." && pwd)
logdir=$build/test-logs
mkdir -p "$logdir" || exit 1

if [ -f "$root/tools/lsan.supp" ]; then
	LSAN_OPTIONS="suppressions=$root/tools/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
	export LSAN_OPTIONS
fi

wrap=
if [ "${VALGRIND:-0}" = 1 ]; then
	wrap="valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
--error-exitcode=99 --suppressions=$root/tools/valgrind.supp"
fi
tmo=
if command -v timeout >/dev/null 2>&1; then
	tmo="timeout ${UNIT_TIMEOUT:-600}"
fi

failed=0
for bin in "$@"; do
	# A glob like build/tests/test_* also matches the compiler's .d files.
	case $bin in
	*.d | *.o) continue ;;
	esac
	name=$(basename "$bin")
	log=$logdir/$name.log
	if [ ! -x "$bin" ]; then
		echo "FAIL $name"
		echo "    (no such binary: $bin)"
		failed=1
		continue
	fi
	# shellcheck disable=SC2086
	$tmo $wrap "$bin" >"$log" 2>&1
	rc=$?
	n=$(sed -n 's/^\[==========\] \([0-9][0-9]*\) test(s) run\..*/\1/p' "$log" |
		tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "PASS $name (${n:-?} tests)"
	else
		case $rc in
		99) why="valgrind errors" ;;
		124) why="timed out" ;;
		*) why="exit $rc" ;;
		esac
		echo "FAIL $name ($why; log: $log)"
		tail -n 25 "$log" | sed 's/^/    /'
		failed=1
	fi
done
exit $failed
