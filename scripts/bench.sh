#!/usr/bin/env bash
# Times the whole `celestra export` process on generated configurations of
# 1, 100 and 1000 apps (half plain StatefulApps, half Postgres presets) and
# prints, per size, the median wall time, median user CPU and median peak
# memory over RUNS runs.
#
#   scripts/bench.sh            # RUNS=5, sizes 1 100 1000
#   RUNS=3 SIZES="1 100" scripts/bench.sh
#
# Needs GNU time (/usr/bin/time; Debian package "time").
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}
sizes=${SIZES:-"1 100 1000"}
if [ ! -x /usr/bin/time ]; then
	echo "bench.sh needs GNU time: apt-get install -y time" >&2
	exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/celestra" ./cmd/celestra

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; print m}'; }

printf '%-6s %-5s %12s %12s %14s\n' apps runs "wall (s)" "user (s)" "peak RSS (MB)"
for n in $sizes; do
	go run ./internal/benchgen/cmd -n "$n" -o "$work/config-$n"
	: > "$work/times-$n"
	for _ in $(seq "$runs"); do
		rm -rf "$work/out-$n"
		/usr/bin/time -f '%e %U %M' -o "$work/one" \
			"$work/celestra" export "$work/config-$n" -o "$work/out-$n" 2>/dev/null
		cat "$work/one" >> "$work/times-$n"
	done
	wall=$(awk '{print $1}' "$work/times-$n" | median)
	user=$(awk '{print $2}' "$work/times-$n" | median)
	rss=$(awk '{printf "%.0f\n", $3/1024}' "$work/times-$n" | median)
	printf '%-6s %-5s %12s %12s %14s\n' "$n" "$runs" "$wall" "$user" "$rss"
done
