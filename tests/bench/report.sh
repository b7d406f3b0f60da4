#!/bin/bash
# report.sh META RESULTS VERIFY NOTES OUT_MD OUT_JSON -- the benchmark's
# tables, the targets checked PASS/FAIL/SKIP, as Markdown and JSON.
#
# META: key=value lines (size, users, messages, bytes, ...).
# RESULTS: tool lat scen status wall_s rss_kb top_rss_kb msgs bytes user_s sys_s
#          all_walls (comma-separated, when the run was repeated)
# VERIFY:  tool lat scen result folders folder_mismatches src_msgs dst_msgs
#          flags_differ dates_differ sizes_differ extra_empty_folders
#          extra_bytes (destination minus source)
# NOTES:   tool why-skipped
# (all tab-separated).  Called by run.sh; usable on its own on kept files.
set -uo pipefail
[ $# -eq 6 ] || { echo "usage: report.sh META RESULTS VERIFY NOTES OUT_MD OUT_JSON" >&2; exit 64; }

awk -F'\t' -v md="$5" -v js="$6" '
function jstr(s) {
	gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, " ", s)
	return "\"" s "\""
}
function num(x) { return x == "" ? "null" : x + 0 }
function f2(x) { return sprintf("%.2f", x) }
function f1(x) { return sprintf("%.1f", x) }
function key(t, l, s) { return t SUBSEP l SUBSEP s }
# a run usable for comparisons: it ran, and after it the destination held
# every message in its folder (no-change runs: nothing went missing either)
function usable(t, l, s,   k) {
	k = key(t, l, s)
	return (k in st) && st[k] == "ok" && (!(k in vres) || vres[k] == "ok")
}
function why(t, l, s,   k) {
	k = key(t, l, s)
	if (!(k in st)) return t " was not run at " l " ms"
	if (st[k] == "skipped") return t ": " (t in note ? note[t] : "skipped")
	if (st[k] != "ok") return t " " s " sync " st[k] " at " l " ms"
	return t " copied incompletely (" s ", " l " ms)"
}
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
# target NAME LAT SCEN PEER1 F1 PEER2 F2: our time <= F * peer time for each given peer
function target(name, l, s, p1, k1, p2, k2,   ok, d, m, r, pv, pk, i, detail) {
	ntg++
	tname[ntg] = name
	if (!usable("migrate", l, s)) {
		r = (!(key("migrate", l, s) in st) || st[key("migrate", l, s)] == "skipped") ? "SKIP" : "FAIL"
		tres[ntg] = r; tdet[ntg] = why("migrate", l, s); return
	}
	m = wall[key("migrate", l, s)]
	ok = 1; detail = "migrate " f2(m) " s"
	for (i = 1; i <= 2; i++) {
		pv = i == 1 ? p1 : p2; pk = i == 1 ? k1 : k2
		if (pv == "") continue
		if (pv == "fastest") {
			d = -1
			if (usable("doveadm", l, s)) d = wall[key("doveadm", l, s)]
			if (usable("mbsync", l, s) && (d < 0 || wall[key("mbsync", l, s)] < d)) d = wall[key("mbsync", l, s)]
			if (d < 0) { tres[ntg] = "SKIP"; tdet[ntg] = "no peer measured"; return }
			detail = detail ", fastest peer " f2(d) " s (limit " f2(pk * d) " s)"
		} else {
			if (!usable(pv, l, s)) { tres[ntg] = "SKIP"; tdet[ntg] = why(pv, l, s); return }
			d = wall[key(pv, l, s)]
			detail = detail ", " pv " " f2(d) " s (limit " f2(pk * d) " s)"
		}
		if (m > pk * d) ok = 0
	}
	tres[ntg] = ok ? "PASS" : "FAIL"; tdet[ntg] = detail
}
FILENAME == ARGV[1] { i = index($0, "="); meta[substr($0, 1, i - 1)] = substr($0, i + 1); next }
FILENAME == ARGV[2] {
	k = key($1, $2, $3)
	if (!($1 in seen_tool)) { seen_tool[$1] = 1; tools[++ntools] = $1 }
	if (!($2 in seen_lat)) { seen_lat[$2] = 1; lats[++nlats] = $2 }
	order[++nruns] = k
	rt[k] = $1; rl[k] = $2; rs[k] = $3
	st[k] = $4; wall[k] = $5; rss[k] = $6; top[k] = $7; msgs[k] = $8; bytes[k] = $9; us[k] = $10; sy[k] = $11; allw[k] = $12
	next
}
FILENAME == ARGV[3] {
	k = key($1, $2, $3)
	vres[k] = $4; vfold[k] = $5; vmis[k] = $6; vsrc[k] = $7; vdst[k] = $8
	vfl[k] = $9; vdt[k] = $10; vsz[k] = $11; vext[k] = $12; vbytes[k] = $13; vorder[++nv] = k
	next
}
FILENAME == ARGV[4] { note[$1] = $2; next }
END {
	sname["full"] = "full"; sname["nochange"] = "no-change"; sname["incr"] = "incremental"
	mb = meta["bytes"] / 1e6
	print "# migrate benchmark (" meta["size"] ")\n" > md
	printf "%s users, %s messages, %.1f MB in %s folders; incremental: %s new messages (%.1f MB) by LMTP plus flag changes. " \
		"%s users in parallel per tool. %s. %s; %s. Load average %s (other work on the machine skews the figures).\n\n", meta["users"], meta["messages"], mb, meta["folders"],
		meta["new_messages"], meta["new_bytes"] / 1e6, meta["jobs"], meta["date"], meta["host"], meta["versions"], meta["load"] > md
	print "| tool | RTT | sync | seconds | msgs/s | MB/s | peak RSS MB | vs migrate | vs doveadm | vs mbsync |" > md
	print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|" > md
	for (i = 1; i <= nruns; i++) {
		k = order[i]; t = rt[k]; l = rl[k]; s = rs[k]
		if (st[k] != "ok") {
			printf "| %s | %s ms | %s | %s | | | | | | |\n", t, l, sname[s], st[k] > md
			continue
		}
		rate = (msgs[k] > 0 && wall[k] > 0) ? f1(msgs[k] / wall[k]) : "-"
		mbs = (bytes[k] > 0 && wall[k] > 0) ? f2(bytes[k] / 1e6 / wall[k]) : "-"
		flag = (k in vres && vres[k] != "ok") ? " (incomplete!)" : ""
		printf "| %s | %s ms | %s | %.2f%s | %s | %s | %.1f |", t, l, sname[s], wall[k], flag, rate, mbs, rss[k] / 1024 > md
		split("migrate doveadm mbsync", peers, " ")
		for (p = 1; p <= 3; p++) {
			o = key(peers[p], l, s)
			printf " %s |", (peers[p] == t || !(o in st) || st[o] != "ok") ? "-" : ratio(wall[k], wall[o]) > md
		}
		printf "\n" > md
	}
	print "\nRatios are this tool'"'"'s time divided by the other'"'"'s (below 1: faster). No-change times are the median of the repeated runs (all of them are in the JSON). Peak RSS is the largest single process (the peers run one process per user, 4 at a time; the JSON also has the sum of the 4 largest). MB = 10^6 bytes.\n" > md

	print "## Did every tool copy everything?\n" > md
	print "Per user and folder, the destination against the source after each sync: message counts, and the multisets of flags+keywords, INTERNALDATEs and sizes.\n" > md
	print "| tool | RTT | after | result | folders | messages src / dst | flags differ | dates differ | sizes differ | bytes dst - src | extra empty folders |" > md
	print "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|" > md
	for (i = 1; i <= nv; i++) {
		k = vorder[i]; split(k, a, SUBSEP)
		printf "| %s | %s ms | %s | %s | %s | %s / %s | %s | %s | %s | %+d | %s |\n", a[1], a[2], sname[a[3]],
			vres[k] == "ok" ? "ok" : "**" vres[k] " (" vmis[k] " folders)**", vfold[k], vsrc[k], vdst[k],
			vfl[k], vdt[k], vsz[k], vbytes[k], vext[k] > md
	}

	target("full sync (0 ms) no slower than doveadm backup and at most half of mbsync", 0, "full", "doveadm", 1, "mbsync", 0.5)
	target("no-change re-sync (0 ms) at most half of the fastest peer", 0, "nochange", "fastest", 0.5, "", 0)
	ntg++; tname[ntg] = "peak RSS of migrate under 64 MB"
	maxr = -1
	for (i = 1; i <= nruns; i++) { k = order[i]; if (rt[k] == "migrate" && st[k] == "ok" && rss[k] > maxr) maxr = rss[k] }
	if (maxr < 0) { tres[ntg] = ("migrate" in note) ? "SKIP" : "FAIL"; tdet[ntg] = ("migrate" in note) ? "migrate: " note["migrate"] : "no successful migrate run" }
	else { tres[ntg] = maxr < 64 * 1024 ? "PASS" : "FAIL"; tdet[ntg] = "largest " f1(maxr / 1024) " MB" }
	target("full sync (20 ms) no slower than doveadm backup", 20, "full", "doveadm", 1, "", 0)
	target("no-change re-sync (20 ms) at most a quarter of mbsync", 20, "nochange", "mbsync", 0.25, "", 0)

	# correctness first: migrate'"'"'s destination equal to the source after every sync
	ntg++; tname[ntg] = "migrate'"'"'s copy exact after every sync (counts, flags+keywords, INTERNALDATEs, sizes)"
	bad = ""; nver = 0
	for (i = 1; i <= nv; i++) {
		k = vorder[i]; split(k, a, SUBSEP)
		if (a[1] != "migrate") continue
		nver++
		if (vres[k] != "ok" || vfl[k] + vdt[k] + vsz[k] > 0)
			bad = bad (bad == "" ? "" : "; ") sname[a[3]] " at " a[2] " ms: " (vres[k] != "ok" ? vmis[k] " folders with wrong counts, " : "") \
				"flags differ on " vfl[k] ", dates on " vdt[k] ", sizes on " vsz[k]
	}
	if (!nver) { tres[ntg] = ("migrate" in note) ? "SKIP" : "FAIL"; tdet[ntg] = ("migrate" in note) ? "migrate: " note["migrate"] : "never verified" }
	else { tres[ntg] = bad == "" ? "PASS" : "FAIL"; tdet[ntg] = bad == "" ? nver " syncs verified" : bad }

	print "\n## Targets (issue 3)\n" > md
	for (i = 1; i <= ntg; i++) printf "- **%s** %s: %s\n", tres[i], tname[i], tdet[i] > md

	print "\n## Notes\n" > md
	for (t in note) printf "- %s skipped: %s\n", t, note[t] > md
	printf "- Latency: %s. The delaying proxy (tests/bench/delayproxy.c) holds every chunk for half the round trip in each direction; doveadm backup reaches only the source through it (it writes the destination storage directly, as it does in production).\n",
		meta["netem"] == "yes" ? "the kernel has netem, but the proxy was used for the same setup everywhere" : "this kernel has no netem (tc: \"Specified qdisc kind is unknown\"), so a delaying TCP proxy on 127.0.0.1 sits in front of both servers" > md
	if ("doveadm" in seen_tool) printf "- doveadm backup ran with Dovecot'"'"'s migration settings: imapc_features = rfc822.size fetch-headers, mail_prefetch_count = %s, mail_fsync = %s; the destination server itself, which migrate and mbsync append to, ran with mail_fsync = %s.\n", meta["doveadm_prefetch"], meta["doveadm_fsync"], meta["dst_fsync"] > md
	if ("mbsync" in seen_tool) print "- mbsync ran with Sync Pull, Create Near, Expunge None, CopyArrivalDate yes, one channel per user (Patterns *)." > md

	# ---- JSON ----
	printf "{\n  \"meta\": {" > js
	n = 0
	for (k in meta) { printf "%s\n    %s: %s", (n++ ? "," : ""), jstr(k), (k ~ /^(users|messages|bytes|folders|new_messages|new_bytes|jobs)$/) ? num(meta[k]) : jstr(meta[k]) > js }
	printf "\n  },\n  \"runs\": [" > js
	for (i = 1; i <= nruns; i++) {
		k = order[i]
		printf "%s\n    {\"tool\": %s, \"rtt_ms\": %d, \"sync\": %s, \"status\": %s", (i > 1 ? "," : ""), jstr(rt[k]), rl[k], jstr(rs[k]), jstr(st[k]) > js
		if (st[k] == "ok")
			printf ", \"seconds\": %.6f, \"messages\": %d, \"bytes\": %d, \"msgs_per_s\": %s, \"mb_per_s\": %s, \"peak_rss_mb\": %.1f, \"rss_top_jobs_mb\": %.1f, \"user_s\": %s, \"sys_s\": %s, \"all_seconds\": [%s]", \
				wall[k], msgs[k], bytes[k], (msgs[k] > 0 && wall[k] > 0) ? f1(msgs[k] / wall[k]) : "null", \
				(bytes[k] > 0 && wall[k] > 0) ? sprintf("%.3f", bytes[k] / 1e6 / wall[k]) : "null", rss[k] / 1024, top[k] / 1024, num(us[k]), num(sy[k]), allw[k] > js
		if (k in vres) printf ", \"verify\": %s", jstr(vres[k]) > js
		printf "}" > js
	}
	printf "\n  ],\n  \"verify\": [" > js
	for (i = 1; i <= nv; i++) {
		k = vorder[i]; split(k, a, SUBSEP)
		printf "%s\n    {\"tool\": %s, \"rtt_ms\": %d, \"after\": %s, \"result\": %s, \"folders\": %d, \"folder_mismatches\": %d, \"src_messages\": %d, \"dst_messages\": %d, \"flags_differ\": %d, \"dates_differ\": %d, \"sizes_differ\": %d, \"extra_bytes\": %d, \"extra_empty_folders\": %s}", \
			(i > 1 ? "," : ""), jstr(a[1]), a[2], jstr(a[3]), jstr(vres[k]), vfold[k], vmis[k], vsrc[k], vdst[k], vfl[k], vdt[k], vsz[k], vbytes[k], jstr(vext[k]) > js
	}
	printf "\n  ],\n  \"targets\": [" > js
	for (i = 1; i <= ntg; i++)
		printf "%s\n    {\"target\": %s, \"result\": %s, \"detail\": %s}", (i > 1 ? "," : ""), jstr(tname[i]), jstr(tres[i]), jstr(tdet[i]) > js
	printf "\n  ],\n  \"skipped\": {" > js
	n = 0
	for (t in note) printf "%s%s: %s", (n++ ? ", " : ""), jstr(t), jstr(note[t]) > js
	printf "}\n}\n" > js
}' "$1" "$2" "$3" "$4"
