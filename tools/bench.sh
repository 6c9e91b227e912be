#!/usr/bin/env bash
# rmapfuzz's benchmarks (./build.sh bench runs this). Prints markdown tables:
#   1. executions per second of rmap_fuzzer (linux-3.15) with and without
#      sanitizers, next to an empty target built the same way, in this run;
#   2. per buggy protocol, the median time and executions to the first
#      violation over --seeds seeds from an empty corpus;
#   3. the same for blind random testing (rmapfuzz blind: random inputs of
#      lengths 0..96, no feedback), capped, and the ratio;
#   4. how the cost of one execution grows with records and vmas.
#
#   tools/bench.sh [--seconds N] [--seeds K] [--cap S] [--jobs J]
#     --seconds  per exec/s measurement (default 20)
#     --seeds    seeds per protocol (default 10)
#     --cap      the most seconds one search may take (default 60)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
seconds=20 seeds=10 cap=60 jobs=$(nproc 2>/dev/null || echo 2)
die() { echo "bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds=${2:?}; shift 2 ;;
	--seeds) seeds=${2:?}; shift 2 ;;
	--cap) cap=${2:?}; shift 2 ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
for v in "$seconds" "$seeds" "$cap" "$jobs"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || die "'$v' is not a positive number"
done
tool="$build/rmapfuzz"
out="$build/bench"
rm -rf "$out"
mkdir -p "$out/nosan"

# Unsanitized twins of the two targets (libFuzzer only), built here.
sources=("$here"/core/*.c "$here"/fuzz/program.c "$here"/fuzz/scenario.c "$here"/fuzz/oracle.c
	"$here"/fuzz/run.c "$here"/fuzz/minimize.c "$here"/fuzz/strbuf.c)
clang -std=c11 -O1 -g -fsanitize=fuzzer -I"$here/core" -I"$here/fuzz" "$here/fuzz/rmap_fuzzer.c" \
	"$here/fuzz/mutator.c" "${sources[@]}" -o "$out/nosan/rmap_fuzzer"
clang -std=c11 -O1 -g -fsanitize=fuzzer "$here/fuzz/empty_fuzzer.c" -o "$out/nosan/empty_fuzzer"

execs_per_second() { # BINARY -> exec/s over $seconds, from a copy of the seeds
	local dir
	dir=$(mktemp -d "$out/corpus.XXXX")
	cp "$build"/seeds/rmap_fuzzer/*.bin "$dir/"
	RMAP_PROTOCOL=linux-3.15 "$1" -max_total_time="$seconds" -print_final_stats=1 "$dir" 2>&1 |
		sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p'
	rm -rf "$dir"
}

echo "## Executions per second ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
echo
echo "| build | rmap_fuzzer | empty target | ratio |"
echo "|---|---|---|---|"
for variant in "ASan+UBSan:$build" "no sanitizer:$out/nosan"; do
	name=${variant%%:*} dir=${variant#*:}
	r=$(execs_per_second "$dir/rmap_fuzzer")
	e=$(execs_per_second "$dir/empty_fuzzer")
	echo "| $name | $r | $e | $(awk -v r="$r" -v e="$e" 'BEGIN {printf "%.1f%%", 100 * r / e}') |"
done
echo

# A buggy protocol: expected anything but sound or disputed.
buggy=$("$tool" protocols | awk -F' [|] expected: ' '$2 != "sound" && $2 != "disputed" {split($1, a, " "); print a[1]}')

search_one() { # PROTOCOL SEED -> "protocol seed found|silent seconds execs"
	local p=$1 s=$2 dir
	dir=$(mktemp -d "$out/search.XXXX")
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	RMAP_PROTOCOL=$p "$build/rmap_fuzzer" -seed="$s" -max_total_time="$cap" -print_final_stats=1 \
		-artifact_prefix="$dir/" "$dir" >"$dir/log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	local execs
	execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$dir/log" | tail -1)
	if ls "$dir"/crash-* >/dev/null 2>&1; then
		printf "%s %s found %.2f %s\n" "$p" "$s" "$(echo "$t1 - $t0" | bc)" "${execs:-0}"
	else
		echo "$p $s silent $cap ${execs:-0}"
	fi
	rm -rf "$dir"
}
blind_one() { # PROTOCOL SEED -> "protocol seed found|silent seconds inputs"
	local line
	line=$("$tool" blind --protocol "$1" "$2" "$cap" || true)
	echo "$1 $2 $(awk '{print $1, $2, $3}' <<<"$line")"
}
export -f search_one blind_one
export build tool out cap

for p in $buggy; do for s in $(seq 1 "$seeds"); do echo "$p $s"; done; done |
	xargs -P "$jobs" -L 1 bash -c 'search_one "$@"' _ >"$out/libfuzzer.txt"
for p in $buggy; do for s in $(seq 1 "$seeds"); do echo "$p $s"; done; done |
	xargs -P "$jobs" -L 1 bash -c 'blind_one "$@"' _ >"$out/blind.txt"

median() { sort -g | awk '{v[NR]=$1} END {if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }
echo "## Time to the first violation (median of $seeds seeds, empty corpus, capped at ${cap}s)"
echo
echo "| protocol | libFuzzer s | executions | found | blind random s | inputs | found | blind / libFuzzer |"
echo "|---|---|---|---|---|---|---|---|"
for p in $buggy; do
	lf=$(awk -v p="$p" '$1 == p' "$out/libfuzzer.txt")
	bl=$(awk -v p="$p" '$1 == p' "$out/blind.txt")
	lt=$(awk '{print $4}' <<<"$lf" | median)
	le=$(awk '{print $5}' <<<"$lf" | median)
	lfound=$(grep -c found <<<"$lf" || true)
	bt=$(awk '{print $4}' <<<"$bl" | median)
	be=$(awk '{print $5}' <<<"$bl" | median)
	bfound=$(grep -c found <<<"$bl" || true)
	ratio=$(awk -v b="$bt" -v l="$lt" 'BEGIN {if (l > 0) printf "%.1fx", b / l; else print "-"}')
	[ "$bfound" -lt "$seeds" ] && ratio=">= $ratio"
	echo "| \`$p\` | $lt | $le | $lfound/$seeds | $bt | $be | $bfound/$seeds | $ratio |"
done
echo
echo "## Cost of one execution (ASan+UBSan, rmapfuzz speed)"
echo
"$tool" speed
