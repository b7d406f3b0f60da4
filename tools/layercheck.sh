#!/bin/sh
# layercheck.sh -- fail on an #include that points upward or sideways
# between the project's folders, or on a third-party header included
# outside the one module that owns that library (STYLE.md, DESIGN.md).
set -u
cd "$(dirname "$0")/.." || exit 2
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

# module: the project folders it may include from
allowed() {
	case $1 in
	util) echo "util" ;;
	plans | imapsync | dnsctl | gateway | probe) echo "util $1" ;;
	migrate) echo "util plans imapsync dnsctl gateway probe migrate" ;;
	esac
}
# third-party header prefix: the files allowed to include it
owner() {
	case $1 in
	yaml.h) echo "plans/" ;;
	libetpan/*) echo "imapsync/" ;;
	ldns/* | curl/*) echo "dnsctl/" ;;
	jansson.h) echo "dnsctl/ util/json.c" ;;
	sqlite3.h) echo "migrate/state.c" ;;
	openssl/*) echo "imapsync/ util/hash.c dnsctl/ probe/" ;;
	*) echo "" ;;
	esac
}

for m in util plans imapsync dnsctl gateway probe migrate; do
	for f in $m/*.c $m/*.h; do
		[ -f "$f" ] || continue
		grep -n '^[[:space:]]*#[[:space:]]*include' "$f" | while IFS= read -r line; do
			n=${line%%:*}
			inc=$(printf '%s' "$line" | sed -n 's/.*#[[:space:]]*include[[:space:]]*[<"]\([^>"]*\)[>"].*/\1/p')
			case $inc in
			util/* | plans/* | imapsync/* | dnsctl/* | gateway/* | probe/* | migrate/*)
				dir=${inc%%/*}
				case " $(allowed "$m") " in
				*" $dir "*) ;;
				*) echo "$f:$n: layer violation: $m/ must not include $inc"; echo x >> "$tmp" ;;
				esac ;;
			*)
				own=$(owner "$inc")
				[ -n "$own" ] || continue
				ok=0
				for o in $own; do
					case $f in $o*) ok=1 ;; esac
				done
				[ $ok = 1 ] || { echo "$f:$n: $inc may only be included by: $own"; echo x >> "$tmp"; }
				;;
			esac
		done
	done
done

if [ -s "$tmp" ]; then
	echo "layercheck: $(wc -l < "$tmp") violation(s)"
	exit 1
fi
echo "layercheck: ok"
