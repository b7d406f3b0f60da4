#!/usr/bin/env bats
# `make demo` as a test: the demo plan (examples/demo/plan.yaml) on the
# sandbox, every phase, a rollback and a re-run; after each, the demo
# checks that the probe mail, the report, the gateway table and DNS agree
# and exits non-zero otherwise.  Run twice: the demo must run again from
# where the last one left the tree, without errors.

setup_file() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	export ROOT
	: "${BUILD_DIR:=$ROOT/build}"
	export BUILD_DIR
}

@test "the demo migration runs end to end, and runs again" {
	for round in 1 2; do
		run "$ROOT/examples/demo/run.sh" "$BUILD_DIR"
		echo "round $round: $output" | tail -40
		[ "$status" -eq 0 ]
		[[ "$output" == *"demo done: after every phase, mail, report, gateway table and DNS agreed"* ]]
		[[ "$output" == *"phase 'everyone-else' rolled back: its users live on 'legacy' again"* ]]
		[[ "$output" == *"lives on: legacy 0, suite 10 (of 10 users)"* ]]
	done
	# nothing of the demo's sandbox is left running
	. "$ROOT/tests/sandbox/lib.sh"
	[ -z "$(sb_procs_in "$ROOT/build/demo/lab")" ]
}
