#!/usr/bin/env bash
# rmapfuzz's benchmarks (./build.sh bench runs this). Prints markdown tables:
#   1. executions per second of rmap_fuzzer (linux-3.15) with and without
#      sanitizers, next to an empty target built the same way, in this run
#      (each measured twice, alternating; the better of the two);
#   2. per buggy protocol, the median wall-clock time (process start to the
#      violation, start-up included), search time (from the first input
#      the mutator made: rmap_fuzzer's own report) and executions to the
#      first violation over --seeds seeds from an empty corpus;
#   3. the same for blind random testing (rmapfuzz blind: random inputs of
#      lengths 0..96 through the same decoder and oracle, no feedback), its
#      wall-clock too, capped at --blind-factor times the fuzzer's median
#      (a blind run still silent at the cap shows as ">": the ratio is then
#      a lower bound), and the ratios of times and of executions;
#   4. how the cost of one execution grows with records and vmas.
#
#   tools/bench.sh [--seconds N] [--seeds K] [--cap S] [--blind-factor F] [--jobs J]
#                  [--protocols "P..."] [--searches-only]
#     --seconds       per exec/s measurement (default 20)
#     --seeds         seeds per protocol (default 10)
#     --cap           the most seconds one fuzzer search may take (default 60)
#     --blind-factor  blind's cap, in fuzzer medians (default 10, at most --cap)
#     --protocols     the buggy protocols to search (default: every one)
#     --searches-only table 2 only (no exec/s, no cost table)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
seconds=20 seeds=10 cap=60 factor=10 jobs=$(nproc 2>/dev/null || echo 2) only="" searches_only=0
die() { echo "bench: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) seconds=${2:?}; shift 2 ;;
	--seeds) seeds=${2:?}; shift 2 ;;
	--cap) cap=${2:?}; shift 2 ;;
	--blind-factor) factor=${2:?}; shift 2 ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	--protocols) only=${2:?}; shift 2 ;;
	--searches-only) searches_only=1; shift ;;
	*) die "unknown argument '$1'" ;;
	esac
done
for v in "$seconds" "$seeds" "$cap" "$factor" "$jobs"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || die "'$v' is not a positive number"
done
tool="$build/rmapfuzz"
out="$build/bench"
rm -rf "$out"
mkdir -p "$out"
# A crash report symbolized costs a tenth of a second: not part of finding it.
export ASAN_OPTIONS=symbolize=0 UBSAN_OPTIONS=symbolize=0

execs_per_second() { # BINARY -> exec/s over $seconds, from a copy of the seeds
	local dir
	dir=$(mktemp -d "$out/corpus.XXXX")
	cp "$build"/seeds/rmap_fuzzer/*.bin "$dir/"
	RMAP_PROTOCOL=linux-3.15 "$1" -max_total_time="$seconds" -print_final_stats=1 "$dir" 2>&1 |
		sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p'
	rm -rf "$dir"
}

if [ "$searches_only" = 0 ]; then
	# Unsanitized twins of the two targets: the same CMake build, sanitizers off.
	CC=${CC:-clang} cmake -S "$here" -B "$out/nosan" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
		-DRMAPFUZZ_SANITIZE=OFF >/dev/null
	ninja -C "$out/nosan" rmap_fuzzer empty_fuzzer >/dev/null
	echo "## Executions per second ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
	echo
	echo "| build | rmap_fuzzer | empty target | ratio |"
	echo "|---|---|---|---|"
	for variant in "ASan+UBSan:$build" "no sanitizer:$out/nosan"; do
		name=${variant%%:*} dir=${variant#*:}
		# Each twice, alternating, the better of two: a VM's speed drifts
		# by 10% and more from one minute to the next.
		r=0 e=0
		for _ in 1 2; do
			x=$(execs_per_second "$dir/rmap_fuzzer")
			y=$(execs_per_second "$dir/empty_fuzzer")
			[ "${x:-0}" -gt "$r" ] && r=$x
			[ "${y:-0}" -gt "$e" ] && e=$y
		done
		echo "| $name | $r | $e | $(awk -v r="$r" -v e="$e" 'BEGIN {printf "%.1f%%", 100 * r / e}') |"
	done
	echo
fi

# A buggy protocol: expected anything but sound or disputed.
buggy=$("$tool" protocols | awk -F' [|] expected: ' '$2 != "sound" && $2 != "disputed" {split($1, a, " "); print a[1]}')
if [ -n "$only" ]; then
	for p in $only; do
		grep -qx "$p" <<<"$buggy" || die "'$p' is not a buggy protocol (rmapfuzz protocols)"
	done
	buggy=$only
fi

search_one() { # PROTOCOL SEED -> "protocol seed found|silent wall search execs"
	local p=$1 s=$2 dir t0 t1 execs search
	dir=$(mktemp -d "$out/search.XXXX")
	t0=$(date +%s.%N)
	RMAP_PROTOCOL=$p "$build/rmap_fuzzer" -seed="$s" -max_total_time="$cap" -print_final_stats=1 \
		-artifact_prefix="$dir/" >"$dir/log" 2>&1 || true
	t1=$(date +%s.%N)
	execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$dir/log" | tail -1)
	search=$(sed -nE 's/^rmap_fuzzer: violation after ([0-9.]+) s of search.*/\1/p' "$dir/log" | head -1)
	if ls "$dir"/crash-* >/dev/null 2>&1; then
		printf "%s %s found %.3f %s %s\n" "$p" "$s" "$(echo "$t1 - $t0" | bc)" "${search:-0}" "${execs:-0}"
	else
		echo "$p $s silent $cap $cap ${execs:-0}"
	fi
	rm -rf "$dir"
}
blind_one() { # PROTOCOL SEED CAP -> "protocol seed found|silent wall search inputs"
	local t0 t1 line
	t0=$(date +%s.%N)
	line=$("$tool" blind --protocol "$1" "$2" "$3" || true)
	t1=$(date +%s.%N)
	if [ "${line%% *}" = found ]; then
		printf "%s %s found %.3f %s %s\n" "$1" "$2" "$(echo "$t1 - $t0" | bc)" \
			"$(awk '{print $2}' <<<"$line")" "$(awk '{print $3}' <<<"$line")"
	else
		echo "$1 $2 silent $3 $3 $(awk '{print $3}' <<<"$line")"
	fi
}
export -f search_one blind_one
export build tool out cap

median() { # of column $1 of stdin
	awk -v c="$1" '{print $c}' | sort -g |
		awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf (m < 100 ? "%.3g\n" : "%.0f\n"), m}'
}

for p in $buggy; do for s in $(seq 1 "$seeds"); do echo "$p $s"; done; done |
	xargs -P "$jobs" -L 1 bash -c 'search_one "$@"' _ >"$out/libfuzzer.txt"
# Blind's cap per protocol: factor x the fuzzer's median wall-clock time,
# at least a second, at most --cap.
for p in $buggy; do
	lt=$(awk -v p="$p" '$1 == p' "$out/libfuzzer.txt" | median 4)
	bcap=$(awk -v t="$lt" -v f="$factor" -v c="$cap" 'BEGIN {b = t * f; if (b < 1) b = 1; if (b > c) b = c; printf "%.0f", b + 0.5}')
	for s in $(seq 1 "$seeds"); do echo "$p $s $bcap"; done
done | xargs -P "$jobs" -L 1 bash -c 'blind_one "$@"' _ >"$out/blind.txt"

# libFuzzer's start-up: the empty target to its first input and out again.
startup=$(for i in 1 2 3 4 5; do
	t0=$(date +%s.%N)
	"$build/empty_fuzzer" -runs=1 >/dev/null 2>&1 || true
	echo "$(date +%s.%N) - $t0" | bc
done | median 1)
echo "## Time to the first violation (median of $seeds seeds, empty corpus)"
echo
echo "*wall*: process start to violation, start-up included (libFuzzer's: the empty target starts,"
echo "runs one input and exits in ${startup}s here); *search*:"
echo "from the first mutated input (rmap_fuzzer's own report), from the first input (blind's loop)."
echo "Fuzzer runs capped at ${cap}s; blind runs at ${factor}x the fuzzer's median wall time (at least 1s):"
echo "\">\" marks a blind median that is that cap (silent on half the seeds or more), so its ratios"
echo "are lower bounds."
echo
echo "| protocol | libFuzzer wall s | search s | executions | found | blind wall s | search s | inputs | found | wall ratio | search ratio | executions ratio |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
ratio() { awk -v b="$1" -v l="$2" 'BEGIN {if (l > 0) printf "%.1fx", b / l; else print "-"}'; }
for p in $buggy; do
	lf=$(awk -v p="$p" '$1 == p' "$out/libfuzzer.txt")
	bl=$(awk -v p="$p" '$1 == p' "$out/blind.txt")
	lw=$(median 4 <<<"$lf") ls=$(median 5 <<<"$lf") le=$(median 6 <<<"$lf")
	bw=$(median 4 <<<"$bl") bs=$(median 5 <<<"$bl") be=$(median 6 <<<"$bl")
	lfound=$(grep -c found <<<"$lf" || true)
	bfound=$(grep -c found <<<"$bl" || true)
	lower=""
	[ $((2 * bfound)) -le "$seeds" ] && lower=">"
	echo "| \`$p\` | $lw | $ls | $le | $lfound/$seeds | $lower$bw | $lower$bs | $lower$be | $bfound/$seeds |" \
		"$lower$(ratio "$bw" "$lw") | $lower$(ratio "$bs" "$ls") | $lower$(ratio "$be" "$le") |"
done
[ "$searches_only" = 1 ] && exit 0
echo
echo "## Cost of one execution (ASan+UBSan, rmapfuzz speed)"
echo
"$tool" speed
