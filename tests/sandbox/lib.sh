# lib.sh -- helpers shared by up.sh, down.sh and seed.sh (source it; bash).
#
# Every probe talks to 127.0.0.1 only.  Times are in milliseconds.

sb_now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

sb_msg() { echo "sandbox: $*" >&2; }

# sb_used_ports: every local TCP/UDP port bound for listening (TIME-WAIT
# leftovers do not block a server that sets SO_REUSEADDR, as all ours do)
sb_used_ports() {
	ss -Hltnu 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }' | sort -un
}

# sb_alive PID: the process exists and is not a zombie (a zombie is gone:
# PID 1 may reap late, and kill -0 still succeeds on it)
sb_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[ -n "$st" ] && [[ $st != Z* ]]
}

# sb_ours DIR PID: the process belongs to the sandbox in DIR: its command
# line names DIR, or its working directory is inside DIR (the Postfix
# master's command line is just "master -w", but it runs in the queue dir)
sb_ours() {
	local d=$1 p=$2 cwd
	[[ $p =~ ^[0-9]+$ ]] || return 1
	[ -r "/proc/$p/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$d/" && return 0
	cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || return 1
	[[ $cwd == "$d" || $cwd == "$d"/* ]]
}

# sb_greeting PORT: print the first line the server on 127.0.0.1:PORT sends
# (IMAP "* OK", SMTP/LMTP "220"), then say goodbye politely
sb_greeting() {
	local port=$1 line=""
	exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
	IFS= read -r -t 2 line <&7
	case $line in
	'* '*) printf 'a LOGOUT\r\n' >&7 ;;
	*) printf 'QUIT\r\n' >&7 ;;
	esac
	exec 7>&- 7<&-
	printf '%s\n' "${line%$'\r'}"
}

# sb_port_open PORT: something accepts TCP connections on 127.0.0.1:PORT
sb_port_open() {
	(exec 7<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sb_wait TIMEOUT_S PID CMD...: run CMD until it succeeds.  Fails when the
# deadline passes, or when PID (if not empty) is no longer alive.
sb_wait() {
	local limit=$1 pid=$2 end
	shift 2
	end=$(($(sb_now_ms) + limit * 1000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		if [ -n "$pid" ] && ! sb_alive "$pid"; then
			return 2
		fi
		[ "$(sb_now_ms)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# helpers for sb_wait
sb_is_greeting() { [[ $(sb_greeting "$1") == "$2"* ]]; }
sb_dig_soa() {
	dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short corp.example SOA 2>/dev/null | grep -q .
}

# sb_log_tail FILE: the last lines of a log, indented, for failure messages
sb_log_tail() {
	[ -r "$1" ] && tail -n 5 "$1" | sed 's/^/    /' >&2
	return 0
}

# sb_procs_in DIR: PIDs of live processes whose command line names DIR/ or
# whose working directory is inside DIR (this shell and its ancestors are
# left out)
sb_procs_in() {
	local d=$1 p skip=" " q=$BASHPID
	while [ -n "$q" ] && [ "$q" -gt 1 ]; do
		skip+="$q "
		q=$(ps -o ppid= -p "$q" 2>/dev/null | tr -d ' ')
	done
	{
		grep -laF -- "$d/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3
		find /proc/[0-9]*/cwd -maxdepth 0 \( -lname "$d" -o -lname "$d/*" \) \
			2>/dev/null | cut -d/ -f3
	} | sort -un | while read -r p; do
		[[ $skip == *" $p "* ]] && continue
		sb_alive "$p" && echo "$p"
	done
}
