#!/bin/bash
# run.sh MIGRATE -- the golden plan tests through the real binary:
# `migrate check tests/golden/plan/NAME.yaml` must print exactly
# NAME.ref on stderr (the diagnostics; the one-line "migrate: error:"
# summary aside) and exit 65 when NAME.ref holds an error, 0 otherwise.
# (tests/unit/test_plan_golden.c checks the same files through the API.)
set -u
M=$(realpath "$1")
cd "$(dirname "$0")/../.." || exit 2
pass=0 fail=0
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for y in tests/golden/plan/*.yaml; do
	ref=${y%.yaml}.ref
	[ -f "$ref" ] || continue
	"$M" check "$y" >/dev/null 2>"$tmp"
	rc=$?
	out=$(grep -v '^migrate: ' "$tmp")
	want=0
	grep -qv ': warning: ' "$ref" && want=65
	if [ "$out" == "$(cat "$ref")" ] && [ "$rc" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL golden $y (exit $rc, want $want)"
		diff -u "$ref" <(printf '%s\n' "$out") | head -20
	fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" = 0 ]
