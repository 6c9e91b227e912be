#!/usr/bin/env bash
# The verdict table: fuzz every protocol from an empty corpus and say what
# the fuzzer found (./build.sh verdicts runs this).
#
#   tools/verdicts.sh [--seconds N] [--seeds K] [--jobs J] [--protocols "P1 P2..."]
#
# For each protocol and seed 1..K: rmap_fuzzer with -seed, an empty corpus
# and -max_total_time=N. A run ends at its first violation (the time and
# executions to it are measured) or at N seconds of silence. The first
# violation of each invariant goes through tools/keep-crash.sh (both
# minimizers; the smallest per signature is kept in crashers/<protocol>/). The anon_vma lock cost per mremap and
# per fork comes from `rmapfuzz cost` (one fixed workload: an mremap to a new
# vma, one into a merged vma, a fork of two vmas).
# Prints a markdown table; the raw per-run lines are in build/verdicts/runs.txt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
seconds=100
seeds=3
jobs=$(nproc 2>/dev/null || echo 2)
only=""

die() { echo "verdicts: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds=${2:?}; shift 2 ;;
	--seeds) seeds=${2:?}; shift 2 ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	--protocols) only=${2:?}; shift 2 ;;
	*) die "unknown argument '$1' (--seconds N, --seeds K, --jobs J, --protocols \"P...\")" ;;
	esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "--seconds wants a positive number, not '$seconds'"
[[ "$seeds" =~ ^[1-9][0-9]*$ ]] || die "--seeds wants a positive number, not '$seeds'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not '$jobs'"

fuzzer="$build/rmap_fuzzer"
tool="$build/rmapfuzz"
[ -x "$fuzzer" ] && [ -x "$tool" ] || die "build first (./build.sh)"
out="$build/verdicts"
rm -rf "$out"
mkdir -p "$out"

all=$("$tool" protocols | awk '{print $1}')
protos=${only:-$all}
for p in $protos; do
	grep -qx -- "$p" <<<"$all" || die "unknown protocol '$p'"
done

# One run: prints "protocol seed found|silent seconds executions invariant".
run_one() {
	local p=$1 s=$2 dir="$out/$1/seed-$2"
	mkdir -p "$dir/corpus" "$dir/crash"
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	RMAP_PROTOCOL=$p "$fuzzer" -seed="$s" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$dir/crash/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	local execs crash inv=-
	execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/log" | awk '{print $2}' | tail -1)
	crash=$(find "$dir/crash" -type f | head -1)
	if [ -n "$crash" ]; then
		inv=$(grep -m1 -o 'rmap violation: [a-z-]*' "$dir/log" | awk '{print $3}')
		printf '%s %s found %.1f %s %s %s\n' "$p" "$s" "$(echo "$t1 - $t0" | bc)" \
			"${execs:-0}" "${inv:-?}" "$crash"
	else
		[ "$rc" -eq 0 ] || { echo "verdicts: $p seed $s: rmap_fuzzer exit $rc, see $dir/log" >&2; }
		printf '%s %s silent %.1f %s - -\n' "$p" "$s" "$(echo "$t1 - $t0" | bc)" "${execs:-0}"
	fi
}
export -f run_one
export out fuzzer seconds

n=$(( $(wc -w <<<"$protos") * seeds ))
echo "verdicts: $n runs of up to ${seconds}s, $jobs at a time" >&2
for p in $protos; do
	for s in $(seq 1 "$seeds"); do echo "$p $s"; done
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$@"' _ | tee "$out/runs.txt" >&2

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }

echo "| protocol | expected | measured | invariant | median s to violation | median executions | minimized records: ours (libFuzzer's) | anon_vma locks: mremap to new / into merged / fork |"
echo "|---|---|---|---|---|---|---|---|"
for p in $protos; do
	expected=$("$tool" protocols | awk -v p="$p" '$1 == p' | sed 's/.*| expected: //')
	runs=$(awk -v p="$p" '$1 == p' "$out/runs.txt")
	found=$(awk '$3 == "found"' <<<"$runs" | wc -l)
	cost=$("$tool" cost --protocol "$p" |
		sed -E 's/.*: ([0-9]+) to a new vma, ([0-9]+) into a merged one; per fork of [0-9]+ vmas: ([0-9]+)/\1 \/ \2 \/ \3/')
	if [ "$found" -gt 0 ]; then
		inv=$(awk '$3 == "found" {print $6}' <<<"$runs" | sort | uniq -c | sort -rn |
			awk '{printf "%s%s", sep, $2; sep=", "}')
		secs=$(awk '$3 == "found" {print $4}' <<<"$runs" | median)
		execs=$(awk '$3 == "found" {print $5}' <<<"$runs" | median)
		records="-"
		# Crashes go through the crashers pipeline; the table shows both
		# minimizers' sizes for the first.
		# The first crash of each invariant (the pipeline keeps one per signature).
		for crash in $(awk '$3 == "found" && !seen[$6]++ {print $7}' <<<"$runs"); do
			line=$("$here/tools/keep-crash.sh" "$p" "$crash" 2>&1 | tail -1)
			echo "$line" >>"$out/keep-crash.txt"
			[ "$records" = "-" ] && records=$(sed -E 's/.*ours ([0-9]+) records, libFuzzer.s ([0-9-]+);.*/\1 (libFuzzer: \2)/' <<<"$line")
		done
		measured="violates ($found/$seeds seeds)"
		[ "$found" -lt "$seeds" ] && secs="$secs (found runs)"
	else
		inv="-"
		secs="silent ${seconds}s"
		execs=$(awk '{print $5}' <<<"$runs" | median)
		records="-"
		measured="silent ($seeds x ${seconds}s)"
	fi
	echo "| \`$p\` | $expected | $measured | $inv | $secs | $execs | $records | $cost |"
done
