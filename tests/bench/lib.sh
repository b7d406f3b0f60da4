# lib.sh -- helpers of the benchmark (sourced by tests/bench/run.sh; bash).
#
# Expects: ROOT (repository), OUT (results dir), W (work dir), BIN (the
# bench's C programs), the sandbox env sourced (SRC_*, DST_*, MASTER_*),
# USERS (array of addresses) and the BENCH_* settings of run.sh.

say() { printf '%s\n' "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }
now_s() { date +%s.%N; }

# ---- the C helpers -------------------------------------------------------

BENCH_CFLAGS=(-std=c17 -O2 -g -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -fno-common -Werror)

build_helpers() {	# build_helpers: benchrun, delayproxy, corpus into $BIN
	local p
	mkdir -p "$BIN" || die "cannot create '$BIN'"
	for p in benchrun delayproxy corpus; do
		if [ ! -x "$BIN/$p" ] || [ "$HERE/$p.c" -nt "$BIN/$p" ]; then
			"${CC:-cc}" "${BENCH_CFLAGS[@]}" -o "$BIN/$p" "$HERE/$p.c" ||
				die "cannot build '$HERE/$p.c' (cc failed)"
		fi
	done
}

# ---- users and their mail directories -------------------------------------

write_users_file() {	# write_users_file FILE N: the first N bench users
	local names=(alice bob carol dave erin frank grace heidi ivan judy
		kate leo mike nina oscar peggy quinn rupert sybil trent
		uma victor wendy xavier yvonne zack)
	local n=$2 i
	[ "$n" -le "${#names[@]}" ] || die "at most ${#names[@]} users (asked for $n)"
	: >"$1"
	for ((i = 0; i < n; i++)); do
		printf '%s@corp.example %spw\n' "${names[i]}" "${names[i]}" >>"$1"
	done
}

home_of() {	# home_of CONF USER: the user's home (mail is in HOME/Maildir)
	doveadm -c "$1" user -f home "$2" 2>/dev/null
}

# ---- source snapshots -----------------------------------------------------
# The live source mailboxes are swapped between two snapshots: "base" (the
# corpus) and "incr" (base plus new mail and flag changes).  Message files
# are hard links (Dovecot never rewrites one: a flag change renames it);
# Dovecot's own files (indexes, uidlist, subscriptions) are real copies,
# since some of them are appended to in place.

snap_take() {	# snap_take NAME: copy every user's live source home into W/snap/NAME
	local u h
	rm -rf "${W:?}/snap/$1"
	mkdir -p "$W/snap/$1"
	for u in "${USERS[@]}"; do
		h=${SRC_HOME[$u]}
		cp -a "$h" "$W/snap/$1/$u" || die "cannot snapshot '$h'"
	done
}

# to_trash DIR: delete DIR on the bench's own file system (run.sh), else
# move it out of the way into W/trash, deleted only at the end.  Deleting
# 20,000 files just before a run would skew it: on ext4 without a journal
# (this machine's disk) every new inode is then found only after skipping
# the recently freed ones (recently_deleted() in the kernel's inode
# allocator; perf showed half of all CPU in openat()).
to_trash() {
	[ -e "$1" ] || return 0
	if [ "${LOOPFS:-0}" = 1 ]; then
		rm -rf "$1"	# ext4 with a journal: no such skew
	else
		mkdir -p "$W/trash" && mv "$1" "$(mktemp -d "$W/trash/XXXXXX")/"
	fi
}

snap_restore() {	# snap_restore NAME: make the live source homes equal to snapshot NAME
	local u h
	[ "${SRC_STATE:-}" = "$1" ] && return 0
	for u in "${USERS[@]}"; do
		h=${SRC_HOME[$u]}
		to_trash "$h" && cp -al "$W/snap/$1/$u" "$h" || die "cannot restore '$h' from snapshot '$1'"
		find "$h" -type f \( -name 'dovecot*' -o -name subscriptions \) -links +1 \
			-exec sh -c 'for f; do cp -p "$f" "$f.bench" && mv -f "$f.bench" "$f"; done' sh {} + ||
			die "cannot copy the index files of '$h'"
	done
	SRC_STATE=$1
}

dst_wipe() {	# dst_wipe: delete every bench user's mail on the destination
	local u h
	for u in "${USERS[@]}"; do
		h=${DST_HOME[$u]}
		case $h in "$SANDBOX_DIR"/dst/*) ;; *) die "refusing to delete '$h' (not in the sandbox)" ;; esac
		to_trash "$h" || die "cannot move '$h' out of the way"
	done
}

# ---- corpus ---------------------------------------------------------------

seed_corpus() {	# seed_corpus: write every user's source mailbox, index it, subscribe
	local u i=0 folders
	for u in "${USERS[@]}"; do
		i=$((i + 1))
		[ ! -e "${SRC_HOME[$u]}/Maildir" ] || die "'${SRC_HOME[$u]}/Maildir' exists already"
		"$BIN/corpus" maildir --seed "$i" --messages "$BENCH_MSGS" --mean-kb "$BENCH_MEAN_KB" \
			"${SRC_HOME[$u]}/Maildir" >"$W/manifest-$u.tsv" || die "corpus for '$u' failed"
		mapfile -t folders < <(grep -v '^#' "$W/manifest-$u.tsv" | cut -f1)
		timeout 120 doveadm -c "$SRC_CONF" mailbox subscribe -u "$u" "${folders[@]}" ||
			die "doveadm could not subscribe '$u' to its folders"
	done
	# index every folder and read every header once: the source is an
	# established server, and no tool should pay for its first indexing
	timeout 900 doveadm -c "$SRC_CONF" fetch -A 'uid flags date.received size.virtual hdr' all \
		>/dev/null || die "doveadm could not read the seeded source mailboxes"
}

deliver_changes() {	# deliver_changes: new mail by LMTP and flag changes, on the live source
	local u out
	out=$("$BIN/corpus" lmtp --port "$SRC_LMTP" --seed 99 --count "$BENCH_NEW" \
		--mean-kb "$BENCH_MEAN_KB" "${USERS[@]}") || die "LMTP delivery to the source failed"
	say "incremental changes: $out (messages, bytes) by LMTP; flags on 3 folders per user"
	timeout 300 doveadm -c "$SRC_CONF" flags add -A '\Flagged' mailbox INBOX uid 1:15 &&
		timeout 300 doveadm -c "$SRC_CONF" flags remove -A '\Seen' mailbox Sent uid 1:10 &&
		timeout 300 doveadm -c "$SRC_CONF" flags add -A '\Answered $Forwarded' mailbox Archive/2020 uid 1:10 ||
		die "doveadm could not change flags on the source"
	timeout 900 doveadm -c "$SRC_CONF" fetch -A 'uid flags date.received size.virtual hdr' all \
		>/dev/null || die "doveadm could not read the changed source mailboxes"
}

# ---- listings and verification --------------------------------------------

# list_status CONF OUT: "user<TAB>folder<TAB>messages<TAB>vsize", sorted
# (a folder listed but gone, as doveadm backup leaves a \NonExistent parent
# on the destination, makes doveadm exit 68 after printing the others: the
# listing is used, the error kept in OUT.err)
list_status() {
	timeout 600 doveadm -c "$1" -f tab mailbox status -A 'messages vsize' '*' >"$2.raw" 2>"$2.err"
	[ "$(head -n1 "$2.raw")" = "$(printf 'Username\tmailbox\tmessages\tvsize')" ] || return 1
	tail -n +2 "$2.raw" | LC_ALL=C sort >"$2"
	rm -f "$2.raw"
}

# list_msgs CONF OUT: "user<TAB>folder<TAB>flags<TAB>date<TAB>size" per
# message, flags sorted and without \Recent, lines sorted
list_msgs() {
	timeout 600 doveadm -c "$1" -f tab fetch -A 'mailbox flags date.received size.virtual' all \
		>"$2.raw" || return 1
	tail -n +2 "$2.raw" | awk -F'\t' -v OFS='\t' '{
		n = split($3, f, " "); m = 0
		for (i = 1; i <= n; i++) if (f[i] != "\\Recent") g[++m] = f[i]
		for (i = 2; i <= m; i++) { x = g[i]; for (j = i - 1; j >= 1 && g[j] > x; j--) g[j + 1] = g[j]; g[j + 1] = x }
		s = ""; for (i = 1; i <= m; i++) s = s (i > 1 ? " " : "") g[i]
		$3 = s; print }' | LC_ALL=C sort >"$2"
	rm -f "$2.raw"
}

src_lists() {	# src_lists STATE: W/src-STATE.status and .msgs (once per state)
	[ -s "$W/src-$1.msgs" ] && return 0
	list_status "$SRC_CONF" "$W/src-$1.status" && list_msgs "$SRC_CONF" "$W/src-$1.msgs" ||
		die "cannot list the source mailboxes"
}

# proj FILE FIELDS: the given fields of a listing, sorted (a multiset)
proj() { cut -f"$2" "$1" | LC_ALL=C sort; }

# verify TOOL LAT SCEN: compare the destination with the source (state
# SRC_STATE), per user and folder; append a line to W/verify.tsv and write
# the differences to OUT/verify/TOOL-LAT-SCEN.txt.  Prints a summary.
verify() {
	local tool=$1 lat=$2 scen=$3 st=$SRC_STATE d=$W/dst-check rep
	rep=$OUT/verify/$tool-${lat}ms-$scen.txt
	mkdir -p "$OUT/verify"
	src_lists "$st"
	if ! list_status "$DST_CONF" "$d.status" || ! list_msgs "$DST_CONF" "$d.msgs"; then
		printf '%s\t%s\t%s\terror\t0\t0\t0\t0\t0\t0\t0\t-\t0\n' "$tool" "$lat" "$scen" >>"$W/verify.tsv"
		say "verify $tool ${lat}ms $scen: cannot list the destination: $(head -c 300 "$d.status.err")"
		return
	fi
	{
		echo "# $tool, ${lat} ms, after the $scen sync: destination compared with the source"
		echo "# folders whose message count differs (user, folder, source, destination):"
	} >"$rep"
	# folder counts: join on user+folder
	awk -F'\t' -v OFS='\t' '
		FNR == NR { s[$1 FS $2] = $3; next }
		{ d[$1 FS $2] = $3 }
		END {
			for (k in s) if (d[k] == "" ? s[k] != 0 : d[k] != s[k]) {
				split(k, a, FS); print "count", a[1], a[2], s[k], (d[k] == "" ? "missing" : d[k]) }
			for (k in d) if (!(k in s)) {
				split(k, a, FS); print (d[k] == 0 ? "extra-empty" : "extra"), a[1], a[2], "-", d[k] }
		}' "$W/src-$st.status" "$d.status" | LC_ALL=C sort >"$d.folders"
	grep -v '^extra-empty' "$d.folders" | cut -f2- >>"$rep"
	local fmis extra_empty smsg dmsg fl dt sz dbytes
	fmis=$(grep -vc '^extra-empty' "$d.folders")
	extra_empty=$(awk -F'\t' '$1 == "extra-empty" { print $3 }' "$d.folders" | LC_ALL=C sort -u | paste -sd, -)
	smsg=$(wc -l <"$W/src-$st.msgs")
	dmsg=$(wc -l <"$d.msgs")
	fl=$(LC_ALL=C comm -23 <(proj "$W/src-$st.msgs" 1,2,3) <(proj "$d.msgs" 1,2,3) | wc -l)
	dt=$(LC_ALL=C comm -23 <(proj "$W/src-$st.msgs" 1,2,4) <(proj "$d.msgs" 1,2,4) | wc -l)
	sz=$(LC_ALL=C comm -23 <(proj "$W/src-$st.msgs" 1,2,5) <(proj "$d.msgs" 1,2,5) | wc -l)
	{
		echo "# empty folders only on the destination: ${extra_empty:-none}"
		echo "# messages whose flags/keywords differ (source side, first 50):"
		LC_ALL=C comm -23 <(proj "$W/src-$st.msgs" 1,2,3) <(proj "$d.msgs" 1,2,3) | head -n 50
		echo "# messages whose INTERNALDATE differs (source side, first 20):"
		LC_ALL=C comm -23 <(proj "$W/src-$st.msgs" 1,2,4) <(proj "$d.msgs" 1,2,4) | head -n 20
		echo "# messages whose size differs (source side, first 20):"
		LC_ALL=C comm -23 <(proj "$W/src-$st.msgs" 1,2,5) <(proj "$d.msgs" 1,2,5) | head -n 20
	} >>"$rep"
	# bytes the destination holds beyond the source (added headers)
	dbytes=$(awk -F'\t' 'FNR == NR { s += $4; next } { d += $4 } END { printf "%d", d - s }' \
		"$W/src-$st.status" "$d.status")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$lat" "$scen" \
		"$([ "$fmis" = 0 ] && echo ok || echo MISMATCH)" "$(wc -l <"$W/src-$st.status")" \
		"$fmis" "$smsg" "$dmsg" "$fl" "$dt" "$sz" "${extra_empty:--}" "$dbytes" >>"$W/verify.tsv"
	if [ "$fmis" = 0 ]; then
		say "verify $tool ${lat}ms $scen: all $smsg messages in their folders; flags differ on $fl, dates on $dt, sizes on $sz (bytes $dbytes)${extra_empty:+; extra empty folders: $extra_empty}"
	else
		say "verify $tool ${lat}ms $scen: MISMATCH in $fmis folders (source $smsg messages, destination $dmsg): see $rep"
	fi
}

# ---- the tools ------------------------------------------------------------

# ports SRC DST for a latency (direct, or the delaying proxy's)
ports_for() {
	if [ "$1" = 0 ]; then echo "$SRC_IMAP $DST_IMAP"; else echo "$PROXY_SRC $PROXY_DST"; fi
}

mbsync_conf() {	# mbsync_conf USER SRCPORT DSTPORT FILE
	local u=$1
	mkdir -p "$W/mbsync/state/$u"
	(
		umask 077
		cat >"$4" <<EOF
# mbsync (isync $(mbsync --version 2>/dev/null | awk '{print $2}')): IMAP to IMAP, source -> destination
IMAPAccount src
Host 127.0.0.1
Port $2
User $u$MASTER_SEPARATOR$MASTER_USER
Pass $MASTER_PW
SSLType None
AuthMechs LOGIN

IMAPAccount dst
Host 127.0.0.1
Port $3
User $u$MASTER_SEPARATOR$MASTER_USER
Pass $MASTER_PW
SSLType None
AuthMechs LOGIN

IMAPStore src
Account src

IMAPStore dst
Account dst

Channel bench
Far :src:
Near :dst:
Patterns *
Sync Pull
Create Near
Expunge None
CopyArrivalDate yes
SyncState $W/mbsync/state/$u/
EOF
	)
}

# machine_cpu: CPU seconds the whole machine has spent busy since boot
# (every process: the tool, both Dovecots, the proxy)
machine_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { print ($2 + $3 + $4 + $7 + $8 + $9) / hz; exit }' /proc/stat
}

doveadm_conf() {	# doveadm_conf SRCPORT FILE: the destination's config + imapc to the source
	(
		umask 077
		cat >"$2" <<EOF
# doveadm backup -R with imapc: Dovecot's own migration, run on the destination
!include $DST_CONF
imapc_host = 127.0.0.1
imapc_port = $1
imapc_user = %u
imapc_master_user = $MASTER_USER
imapc_password = $MASTER_PW
imapc_features = rfc822.size fetch-headers
mail_prefetch_count = $BENCH_DOVEADM_PREFETCH
mail_fsync = $BENCH_DOVEADM_FSYNC
EOF
	)
}

migrate_plan() {	# migrate_plan SRCPORT DSTPORT FILE
	local u
	{
		echo "# written by tests/bench/run.sh"
		echo "version: 1"
		echo "migration: bench"
		echo "domains: [corp.example]"
		echo "state: $W/migrate/state.db"
		echo "backends:"
		echo "  src:"
		echo "    imap: { host: 127.0.0.1, port: $1, tls: none }"
		echo "    login: { method: master, user: $MASTER_USER, secret: { env: BENCH_MASTER_PW } }"
		echo "    route: \"lmtp:inet:127.0.0.1:$SRC_LMTP\""
		echo "    default: true"
		echo "  dst:"
		echo "    imap: { host: 127.0.0.1, port: $2, tls: none }"
		echo "    login: { method: master, user: $MASTER_USER, secret: { env: BENCH_MASTER_PW } }"
		echo "    route: \"lmtp:inet:127.0.0.1:$DST_LMTP\""
		echo "users:"
		for u in "${USERS[@]}"; do echo "  - { address: $u }"; done
		echo "phases:"
		echo "  - name: bench"
		echo "    rest: true"
		echo "    from: src"
		echo "    to: dst"
	} >"$3"
}

# tool_cmds TOOL LAT FILE: the benchrun command file for one sync of every user
tool_cmds() {
	local tool=$1 lat=$2 f=$3 sp dp u
	read -r sp dp < <(ports_for "$lat")
	: >"$f"
	case $tool in
	mbsync)
		for u in "${USERS[@]}"; do
			mbsync_conf "$u" "$sp" "$dp" "$W/mbsync/$u-$lat.rc"
			printf '%s\tmbsync -q -c %q -a\n' "$u" "$W/mbsync/$u-$lat.rc" >>"$f"
		done
		;;
	doveadm)
		doveadm_conf "$sp" "$W/doveadm-$lat.conf"
		for u in "${USERS[@]}"; do
			printf '%s\tdoveadm -c %q backup -R -u %q imapc:\n' "$u" "$W/doveadm-$lat.conf" "$u" >>"$f"
		done
		;;
	migrate)
		mkdir -p "$W/migrate"
		migrate_plan "$sp" "$dp" "$W/migrate/plan-$lat.yaml"
		printf 'all\t%q sync %q --phase bench --jobs %d\n' "$MIGRATE" \
			"$W/migrate/plan-$lat.yaml" "$BENCH_JOBS" >>"$f"
		;;
	esac
}

tool_reset() {	# tool_reset TOOL: forget what the tool remembers of earlier syncs
	case $1 in
	mbsync) rm -rf "${W:?}/mbsync/state" ;;
	migrate) rm -f "${W:?}/migrate/state.db" "$W/migrate/state.db-"* "$W/migrate/state.db.lock" ;;
	doveadm) ;;
	esac
}

tool_available() {	# tool_available TOOL: 0, or print why not
	case $1 in
	mbsync) command -v mbsync >/dev/null || { echo "mbsync not installed (Debian package isync)"; return 1; } ;;
	doveadm) command -v doveadm >/dev/null || { echo "doveadm not installed"; return 1; } ;;
	migrate)
		[ -x "$MIGRATE" ] || { echo "no '$MIGRATE' (make build/migrate)"; return 1; }
		local rc
		mkdir -p "$W/migrate"
		migrate_plan "$SRC_IMAP" "$DST_IMAP" "$W/migrate/probe.yaml"
		BENCH_MASTER_PW=$MASTER_PW timeout 60 "$MIGRATE" sync "$W/migrate/probe.yaml" \
			--user "${USERS[0]}" --dry-run >"$W/migrate/probe.log" 2>&1
		rc=$?
		tool_reset migrate
		case $rc in
		0) ;;
		69) echo "migrate sync not available yet (this build exits 69)"; return 1 ;;
		*) say "warning: migrate sync --dry-run failed (exit $rc): $(tail -n 3 "$W/migrate/probe.log" | tr '\n' ' '); measuring it anyway" ;;
		esac
		;;
	*) echo "unknown tool '$1' (known: migrate doveadm mbsync)"; return 1 ;;
	esac
}
