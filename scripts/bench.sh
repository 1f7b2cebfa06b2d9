#!/usr/bin/env bash
# Times whole `celestra export` processes on generated configurations
# (internal/benchgen: every preset, with replicas, backups and metrics, and
# plain apps) and prints a Markdown table: per number of apps and format,
# the median wall time with min and max, the median user CPU time and the
# median peak RSS with min and max; then the growth from 100 to 1000 apps.
#
#   scripts/bench.sh                                      # everything (long at 1000 apps)
#   SIZES="1 100" FORMATS="yaml all" RUNS=7 scripts/bench.sh
#   BIN=/tmp/celestra-main scripts/bench.sh               # time another build
#   CSV=bench.csv scripts/bench.sh                        # also write a CSV
#
# Settings, from the environment:
#   SIZES    numbers of apps (default "1 10 100 1000")
#   FORMATS  formats to export (default "yaml compose helm kustomize all")
#   RUNS     runs per number of apps and format (default 5)
#   MIX      kinds of apps: presets (default) or plain-postgres (the mix of
#            the first measurements: plain apps and single Postgres)
#   BIN      the celestra binary to time (default: built from this checkout)
#   CSV      a file to write the table's figures to as CSV as well
#
# Runs alternate round-robin: the first run of every size and format, then
# the second, and so on, so that a slow spell of a shared machine falls on
# all of them rather than on one. Each run exports into a new folder. An
# export that fails stops the script with its message (exit 1).
#
# Needs Go (to generate the configurations and build celestra) and GNU time
# as /usr/bin/time: it installs nothing.
set -euo pipefail

die() {
	echo "bench.sh: $*" >&2
	exit 2
}

# absolute turns a path given relative to the caller's folder into an
# absolute one, before the script changes folder.
absolute() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

sizes=${SIZES:-"1 10 100 1000"}
formats=${FORMATS:-"yaml compose helm kustomize all"}
runs=${RUNS:-5}
mix=${MIX:-presets}
bin=${BIN:+$(absolute "$BIN")}
csv=${CSV:+$(absolute "$CSV")}

# Each number of apps and each format once, in the order given.
sizes=$(printf '%s\n' $sizes | awk '!seen[$0]++' | tr '\n' ' ')
formats=$(printf '%s\n' $formats | awk '!seen[$0]++' | tr '\n' ' ')

[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive whole number, got '$runs'"
[ -n "${sizes//[[:space:]]/}" ] || die "SIZES is empty"
for n in $sizes; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "SIZES: '$n' is not a positive whole number of apps"
done
[ -n "${formats//[[:space:]]/}" ] || die "FORMATS is empty"
for f in $formats; do
	case $f in
	yaml | compose | helm | kustomize | all) ;;
	*) die "FORMATS: unknown format '$f': use yaml, compose, helm, kustomize or all" ;;
	esac
done
if [ -n "$bin" ] && [ ! -x "$bin" ]; then
	die "BIN: $bin is not an executable file"
fi
if ! /usr/bin/time --version 2>&1 | grep -q GNU; then
	die "needs GNU time as /usr/bin/time, to measure peak memory; install it (Debian, Ubuntu: apt-get install time; Fedora: dnf install time; Alpine: apk add time) and run again"
fi
command -v go >/dev/null || die "needs Go, to generate the configurations (https://go.dev/dl/)"

cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/celestra-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -z "$bin" ]; then
	echo "bench.sh: building celestra" >&2
	go build -o "$work/celestra" ./cmd/celestra
	bin=$work/celestra
	what="built from this checkout"
	if commit=$(git rev-parse --short HEAD 2>/dev/null); then
		git diff --quiet HEAD 2>/dev/null || commit="$commit, with local changes"
		what="built from commit $commit"
	fi
	what="$what ($(go version | awk '{print $3}'))"
else
	what="$bin"
fi
go build -o "$work/benchgen" ./internal/benchgen/cmd
for n in $sizes; do
	"$work/benchgen" -n "$n" -mix "$mix" -o "$work/config-$n"
done

load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)
"$bin" version >/dev/null # read the binary from disk once, before timing
for ((r = 1; r <= runs; r++)); do
	echo "bench.sh: run $r of $runs" >&2
	for n in $sizes; do
		for f in $formats; do
			out=$work/out
			rm -rf "$out"
			if ! /usr/bin/time -f '%e %U %M' -o "$work/time" \
				"$bin" export "$work/config-$n" --format "$f" -o "$out" >"$work/stdout" 2>"$work/stderr"; then
				{
					echo "bench.sh: celestra export of $n apps (--format $f, run $r) failed:"
					head -n 40 "$work/stderr"
					lines=$(wc -l <"$work/stderr")
					[ "$lines" -le 40 ] || echo "... ($((lines - 40)) more lines)"
					head -n 1 "$work/time"
				} >&2
				exit 1
			fi
			tail -n 1 "$work/time" >>"$work/times-$n-$f"
			# The objects are the files of the YAML export.
			if [ ! -e "$work/objects-$n" ]; then
				case $f in
				yaml) find "$out" -maxdepth 1 -name '*.yaml' | wc -l >"$work/objects-$n" ;;
				all) find "$out/yaml" -maxdepth 1 -name '*.yaml' | wc -l >"$work/objects-$n" ;;
				esac
			fi
		done
	done
done
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo unknown)

# stats FILE COLUMN DIVISOR prints the median, min and max of a column of
# FILE, each divided by DIVISOR.
stats() {
	awk -v c="$2" -v d="$3" '{print $c / d}' "$1" | sort -g |
		awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; print m, a[1], a[NR]}'
}
seconds() { awk -v s="$1" 'BEGIN {printf "%.2f", s}'; }
# memory prints a size given in MiB, as GiB from 1 GiB on; memory A B
# prints the range from A to B.
memory() {
	awk -v a="$1" -v b="${2:-}" 'function size(m) {return m >= 1024 ? sprintf("%.2f", m / 1024) : sprintf("%.0f", m)}
		function unit(m) {return m >= 1024 ? "GiB" : "MiB"}
		BEGIN {
			if (b == "") print size(a) " " unit(a)
			else if (unit(a) == unit(b)) print size(a) "-" size(b) " " unit(b)
			else print size(a) " " unit(a) "-" size(b) " " unit(b)
		}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "x%.1f", a / b; else print "-"}'; }

cores=$(nproc 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
mem=$(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo 2>/dev/null || true)

echo "\`celestra export\` as a whole process (GNU time): medians of $runs runs per row, run round-robin;"
echo "configurations from \`internal/benchgen\` (mix \`$mix\`). Machine: $cores cores${cpu:+ ($cpu)}${mem:+, $mem of memory},"
echo "$(uname -sr); load average (1 min) $load_before before, $load_after after. Binary: $what."
echo
echo "| apps | objects | format | wall | wall min-max | user CPU | peak RSS | peak RSS min-max |"
echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
[ -z "$csv" ] || echo "apps,objects,format,runs,wall_median_s,wall_min_s,wall_max_s,user_median_s,rss_median_mib,rss_min_mib,rss_max_mib" >"$csv"
for n in $sizes; do
	objects=$(cat "$work/objects-$n" 2>/dev/null || echo "-")
	for f in $formats; do
		read -r wall wall_min wall_max < <(stats "$work/times-$n-$f" 1 1)
		read -r user _ _ < <(stats "$work/times-$n-$f" 2 1)
		read -r rss rss_min rss_max < <(stats "$work/times-$n-$f" 3 1024)
		echo "$wall $rss" >"$work/median-$n-$f"
		echo "| $n | $objects | $f | $(seconds "$wall") s | $(seconds "$wall_min")-$(seconds "$wall_max") s | $(seconds "$user") s | $(memory "$rss") | $(memory "$rss_min" "$rss_max") |"
		[ -z "$csv" ] || echo "$n,$objects,$f,$runs,$wall,$wall_min,$wall_max,$user,$rss,$rss_min,$rss_max" >>"$csv"
	done
done

# The growth from 100 to 1000 apps, or else between the two largest
# numbers of apps measured.
distinct=$(printf '%s\n' $sizes | sort -n -u)
if grep -qx 100 <<<"$distinct" && grep -qx 1000 <<<"$distinct"; then
	small=100 large=1000
else
	small=$(tail -n 2 <<<"$distinct" | head -n 1)
	large=$(tail -n 1 <<<"$distinct")
fi
echo
if [ "$small" = "$large" ]; then
	echo "Growth: one number of apps measured, nothing to compare."
else
	echo "Growth from $small to $large apps ($(ratio "$large" "$small") the apps), ratio of the medians:"
	echo
	echo "| format | wall | peak RSS |"
	echo "| --- | ---: | ---: |"
	for f in $formats; do
		read -r wall_small rss_small <"$work/median-$small-$f"
		read -r wall_large rss_large <"$work/median-$large-$f"
		echo "| $f | $(ratio "$wall_large" "$wall_small") | $(ratio "$rss_large" "$rss_small") |"
	done
fi
[ -z "$csv" ] || echo "bench.sh: wrote $csv" >&2
