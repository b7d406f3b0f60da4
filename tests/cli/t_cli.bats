#!/usr/bin/env bats
# The command line: help, commands, exit codes, check/report/status/log
# over real plan files.  Needs no server.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	M=${MIGRATE:-$ROOT/build/migrate}
	T=$(mktemp -d)
	export MIGRATE_NOW=1764320400	# 2025-11-28T09:00:00Z: stable output
	cd "$ROOT"
}

teardown() {
	rm -rf "$T"
}

@test "--help lists every command and exits 0" {
	run "$M" --help
	[ "$status" -eq 0 ]
	for c in check run sync rollback report status log; do
		[[ "$output" == *"  $c "* ]]
	done
}

@test "help for each command" {
	for c in check run sync rollback report status log; do
		run "$M" help "$c"
		[ "$status" -eq 0 ]
		[[ "$output" == "usage: migrate $c PLAN"* ]]
		run "$M" "$c" --help
		[ "$status" -eq 0 ]
	done
}

@test "usage errors exit 64 with a clear message" {
	run "$M"
	[ "$status" -eq 64 ]
	run "$M" chek examples/demo/plan.yaml
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown command 'chek' (did you mean 'check'?)"* ]]
	run "$M" report examples/demo/plan.yaml --bogus
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown option '--bogus'"* ]]
	run "$M" report examples/demo/plan.yaml --dry-run
	[ "$status" -eq 64 ]
	[[ "$output" == *"option '--dry-run' does not apply to this command"* ]]
	run "$M" report
	[ "$status" -eq 64 ]
	[[ "$output" == *"no plan file given"* ]]
	run "$M" report examples/demo/plan.yaml --format xml
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown format 'xml'"* ]]
	run "$M" -D bogus check examples/demo/plan.yaml
	[ "$status" -eq 64 ]
	[[ "$output" == *"unknown debug category 'bogus'"* ]]
}

@test "check accepts every example plan" {
	for p in examples/*.yaml examples/*/plan.yaml; do
		run "$M" check "$p"
		echo "$p: $output"
		[ "$status" -eq 0 ]
		[[ "$output" == *"plan '$p' is valid"* ]]
	done
}

@test "check summarises the demo plan" {
	run "$M" check examples/demo/plan.yaml
	[ "$status" -eq 0 ]
	[[ "$output" == *"users      10 in 2 groups"* ]]
	[[ "$output" == *"state      build/demo/demo.state.db"* ]]
	[[ "$output" == *"    pilot          4 users, legacy -> suite"* ]]
	[[ "$output" == *"    sales-wave     3 users, legacy -> suite"* ]]
	[[ "$output" == *"    everyone-else  3 users, legacy -> suite, dns change corp.example. MX"* ]]
}

@test "check prints every error of a broken plan in one run, exit 65" {
	cat > "$T/bad.yaml" <<'YAML'
version: 1
migration: bad
domains: [corp.example]
backends:
  legacy:
    imap: { hots: 127.0.0.1 }
    login: { method: master, user: m, secret: hunter22 }
    route: "lmtp:inet:127.0.0.1:24"
  suite:
    imap: { host: 127.0.0.1, port: 99999 }
    login: { method: per-user, credentials: c.csv }
    route: "lmtp:inet:127.0.0.1:25"
users:
  - { address: a@corp.example, group: it }
phases:
  - { name: p1, groups: [itt], from: legacy, to: sute }
YAML
	run "$M" check "$T/bad.yaml"
	echo "$output"
	[ "$status" -eq 65 ]
	[[ "$output" == *"$T/bad.yaml:6:"*"unknown key 'hots'"*"did you mean 'host'?"* ]]
	[[ "$output" == *"$T/bad.yaml:7:"*"literal secret"* ]]
	[[ "$output" == *"$T/bad.yaml:10:"*"port"* ]]
	[[ "$output" == *"$T/bad.yaml:16:"*"unknown group 'itt'"* ]]
	[[ "$output" == *"$T/bad.yaml:16:"*"unknown backend 'sute'"*"did you mean 'suite'?"* ]]
	# the secret itself is never echoed
	[[ "$output" != *hunter22* ]]
}

@test "check --json reports diagnostics for machines" {
	printf 'version: 2\n' > "$T/v2.yaml"
	run "$M" check --json "$T/v2.yaml"
	[ "$status" -eq 65 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["valid"] is False, d
assert any(x["line"] == 1 and x["severity"] == "error" for x in d["diagnostics"]), d
'
	run "$M" check --json examples/demo/plan.yaml
	[ "$status" -eq 0 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["valid"] is True and d["users"] == 10 and d["phases"] == 3, d
'
}

@test "a missing plan file is an I/O error, not a crash" {
	run "$M" check "$T/nope.yaml"
	[ "$status" -ne 0 ]
	[ "$status" -ne 65 ] || [[ "$output" == *"nope.yaml"* ]]
	[[ "$output" == *"nope.yaml"* ]]
}

@test "run and rollback refuse bad arguments before touching anything" {
	run "$M" rollback examples/demo/plan.yaml --state "$T/s.db"
	[ "$status" -eq 64 ]
	[[ "$output" == *"--phase NAME is required"* ]]
	for c in run rollback; do
		run "$M" "$c" examples/demo/plan.yaml --phase nope --state "$T/s.db"
		[ "$status" -eq 64 ]
		[[ "$output" == *"no phase 'nope' in 'examples/demo/plan.yaml'"* ]]
	done
	# a missing secret is a configuration error, and nothing is created
	run env -u DEMO_MASTER_PW "$M" examples/demo/plan.yaml --dry-run --state "$T/s.db"
	echo "$output"
	[ "$status" -eq 78 ]
	[[ "$output" == *"running phase 'pilot' (dry run: nothing is changed)"* ]]
	[[ "$output" == *"+ alice@corp.example lmtp:inet:127.0.0.1:28024"* ]]
	[[ "$output" == *"environment variable 'DEMO_MASTER_PW' is not set"* ]]
	[ ! -e "$T/s.db" ]
}

@test "report before any run: every user on the backend the plan starts it on" {
	run "$M" report examples/demo/plan.yaml --state "$T/none.db"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing has run yet"* ]]
	[[ "$output" == *"lives on: legacy 10, suite 0 (of 10 users)"* ]]
	[ ! -e "$T/none.db" ]	# report never creates the state
	run "$M" report examples/demo/plan.yaml --state "$T/none.db" --format csv
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = $'address,group,backend,phase,state,last_sync,src_msgs,src_bytes,dst_msgs,dst_bytes,last_error\r' ]
	[ "${#lines[@]}" -eq 11 ]
	[[ "${lines[1]}" == "alice@corp.example,it,legacy,pilot,pending,"* ]]
	[[ "$output" == *"heidi@corp.example,sales,legacy,everyone-else,pending"* ]]
	run "$M" report examples/demo/plan.yaml --state "$T/none.db" --format json
	[ "$status" -eq 0 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d["users"]) == 10
assert all(u["backend"] == "legacy" and u["state"] == "pending" for u in d["users"])
assert [p["users"] for p in d["phases"]] == [4, 3, 3], d["phases"]
assert d["lives_on"] == {"legacy": 10, "suite": 0}
'
	run "$M" report examples/demo/plan.yaml --state "$T/none.db" --format markdown
	[ "$status" -eq 0 ]
	[[ "$output" == "# Who lives where: corp-demo"* ]]
	[[ "$output" == *"| alice@corp.example | it | legacy | pilot | pending |"* ]]
}

@test "status and log without a state" {
	run "$M" status examples/demo/plan.yaml --state "$T/none.db"
	[ "$status" -eq 0 ]
	[[ "$output" == *"no run yet"* ]]
	[[ "$output" == *"phase 'pilot' (legacy -> suite, 4 users): pending"* ]]
	run "$M" status --json examples/demo/plan.yaml --state "$T/none.db"
	[ "$status" -eq 0 ]
	echo "$output" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["last_run"] is None and len(d["phases"]) == 3
assert all(s["status"] == "pending" for s in d["phases"][0]["steps"])
'
	run "$M" log examples/demo/plan.yaml --state "$T/none.db"
	[ "$status" -eq 0 ]
	[[ "$output" == *"nothing has been changed"* ]]
}

@test "a state file from a newer schema is refused with a clear message" {
	sqlite3 "$T/new.db" 'PRAGMA user_version = 42;'
	chmod 600 "$T/new.db"
	run "$M" report examples/demo/plan.yaml --state "$T/new.db"
	[ "$status" -ne 0 ]
	[[ "$output" == *"has schema version 42, newer than this migrate understands (2)"* ]]
	run "$M" status examples/demo/plan.yaml --state "$T/new.db"
	[ "$status" -ne 0 ]
	[ "$(sqlite3 "$T/new.db" 'PRAGMA user_version')" = 42 ]
}

@test "a file that is not a state store is refused" {
	printf 'hello\n%.0s' $(seq 1 200) > "$T/junk.db"
	run "$M" report examples/demo/plan.yaml --state "$T/junk.db"
	[ "$status" -ne 0 ]
	[[ "$output" == *"not a migrate state file"* ]]
}
