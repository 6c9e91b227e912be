#!/usr/bin/env bash
# rmapfuzz's benchmarks (./build.sh bench runs this). Prints markdown tables
# (or, with --json, one JSON document):
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
#   4. how the cost of one execution grows with records and vmas;
#   5. the explorer's states per second, and its default bound's table's
#      time projected from a shard (bench-explore.sh).
# Or, with --random-protocols N, the explorer against the fuzzer on N random
# switch combinations no row names (bench-random.sh).
# Progress on stderr, a line per measurement with an estimate of the time
# left. The options: rf_synopsis below, and tools/bench.sh --help.
set -euo pipefail

rf_name=bench
rf_synopsis='[--seconds N] [--seeds K] [--cap S] [--blind-factor F] [--jobs J] [--protocols "P..."] [--searches-only] [--json]
--random-protocols N [--random-seed S] [--seeds K] [--cap S] [--jobs J] [--invariants F[,F]] [--explore-args "..."] [--explore-seconds S] [--kept DIR] [--json]'
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_invoked tools/bench.sh

usage() {
	cat <<EOF
$(rf_usage_line)

The benchmarks: rmap_fuzzer's executions per second against an empty
target (with and without sanitizers), the time and executions each buggy
protocol's first violation takes, fuzzing against blind random testing,
the cost of one execution, and the explorer's states per second with its
default bound's time projected from a sample of it. About half an hour
with the defaults on 2 cores.

  --seconds N        each exec/s measurement (default 20)
  --seeds K          searches per protocol, seeds 1..K (default 10)
  --cap S            the most seconds one fuzzer search may take (default 60)
  --blind-factor F   blind's cap, in fuzzer medians (default 10, at most --cap)
  --jobs J           searches at a time (default: the cores)
  --protocols "P..." the buggy protocols to search (default: every one, and
                     as P:tlb, in the tlb family alone, each row that is
                     sound for the walks but not for its TLBs)
  --searches-only    the searches' table only (no exec/s, no cost table)
  --random-protocols N  instead of all that: N random switch combinations
                     no row names (rmapfuzz protocols --random), each explored
                     (rmapfuzz explore, its default bound unless --explore-args
                     says otherwise, its menu the 2014 rows' and what the
                     switches concern: --ops ...,exec,walks for no_stack_skip)
                     and fuzzed from an empty corpus, --seeds
                     seeds of --cap seconds (defaults 10 x 120); a table of
                     the explorer's verdict, the fuzzer's k/K and median time,
                     and whether they agree
  --random-seed S    the draws' seed (default 1)
  --invariants F[,F] the families explorer and fuzzer judge (default walk, the
                     explorer's)
  --explore-args "..."  more options for rmapfuzz explore: a smaller bound
                     (--max-ops 3 --max-pmds 3), --jobs, --preemptions, --ops
                     (one menu for every combination); checked before any
                     work; not -p, --all, --shard, --json, -o, --merge,
                     --dry-run, which bench sets
  --explore-seconds S  each exploration's time (default 600; 0: none). The
                     explorer stops at a combination's first level that breaks
                     an invariant (--stop-at-violation: the verdict and the
                     shortest counterexample of the whole bound); a clean one
                     is stopped after S seconds (SIGINT) and says how far it
                     got: "clean through L operations"
  --kept DIR         where searches are kept (default results/explore/;
                     'none': nowhere): a combination stopped clean takes the
                     verdict of a kept search of the same protocol, bound,
                     menu and invariants (rmapfuzz explore --merge of
                     DIR/*/shard-*.json) that found a violation or ran every
                     level to its end; the table names it
  --json             a JSON document on stdout instead of the markdown tables
  -h, --help         this help
  --version          the version

Progress on stderr: a line per measurement and per search, with k of N and
an estimate of the time left. Each run's raw results stay in
build/bench/YYYYmmdd-HHMMSS/ (libfuzzer.txt, blind.txt).
EOF
}

seconds=20 seeds=10 cap="" factor=10 jobs=$(nproc 2>/dev/null || echo 2) only="" searches_only=0 json=0
nrandom=0 random_seed=1 families="" explore_args="" explore_seconds=600 kept=$rf_root/results/explore kept_given=""
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--version) rf_version; exit 0 ;;
	--seconds | --seconds=*)
		rf_num seconds 1 "$@"; shift "$rf_shift" ;;
	--seeds | --seeds=*)
		rf_num seeds 1 "$@"; shift "$rf_shift" ;;
	--cap | --cap=*)
		rf_num cap 1 "$@"; shift "$rf_shift" ;;
	--blind-factor | --blind-factor=*)
		rf_num factor 1 "$@"; shift "$rf_shift" ;;
	--jobs | --jobs=*)
		rf_num jobs 1 "$@"; shift "$rf_shift" ;;
	--protocols | --protocols=*)
		rf_value --protocols "$@"; only=$rf_val; shift "$rf_shift"
		[ -n "${only// /}" ] || rf_usage_error "--protocols wants protocol names" ;;
	--searches-only) searches_only=1; shift ;;
	--random-protocols | --random-protocols=*)
		rf_num nrandom 1 "$@"; shift "$rf_shift" ;;
	--random-seed | --random-seed=*)
		rf_num random_seed 0 "$@"; shift "$rf_shift" ;;
	--invariants | --invariants=*)
		rf_value --invariants "$@"; families=$rf_val; shift "$rf_shift"
		rf_check_invariants "$families" ;;
	--explore-args=*) explore_args=${1#*=}; shift ;;
	--explore-args) # its value is options: it begins with "--"
		[ $# -ge 2 ] || rf_usage_error "option '--explore-args' requires an argument"
		explore_args=$2; shift 2 ;;
	--explore-seconds | --explore-seconds=*)
		rf_num explore_seconds 0 "$@"; shift "$rf_shift" ;;
	--kept | --kept=*)
		rf_value --kept "$@"; kept=$rf_val kept_given=1; shift "$rf_shift"
		[ "$kept" = none ] || [ -d "$kept" ] || rf_usage_error "--kept: no directory '$kept'" ;;
	--json) json=1; shift ;;
	-?*) rf_usage_error "unknown option '$1'" ;;
	*) rf_usage_error "unexpected argument '$1'" ;;
	esac
done
# --random-protocols is a benchmark of its own: the options of the other
# one are not its.
if [ "$nrandom" -gt 0 ]; then
	[ -z "$only" ] || rf_usage_error "--protocols is not for --random-protocols (it draws its own)"
	[ "$searches_only" = 0 ] || rf_usage_error "--searches-only is not for --random-protocols"
	searches_only=1
	cap=${cap:-120}
else
	# Each as NAME VALUE DEFAULT, three words: a value may hold any
	# character, so no separator inside one string would do.
	random_only() { [ "$2" = "$3" ] || rf_usage_error "--$1 is for --random-protocols"; }
	random_only random-seed "$random_seed" 1
	random_only invariants "$families" ""
	random_only explore-args "$explore_args" ""
	random_only explore-seconds "$explore_seconds" 600
	random_only kept "$kept_given" ""
	cap=${cap:-60}
fi
tool="$rf_build/rmapfuzz"
# A buggy protocol: expected anything but sound or disputed, searched in
# the families its expectation speaks of (walk and lifetime: most rows keep
# linux-3.15's mremap TLB race too, which would be found first); then a
# row sound for those whose TLBs are not (the mremap CVEs), searched as
# P:tlb, in that family alone.
buggy_protocols() {
	"$tool" protocols --tsv | awk -F'\t' '
		NR == 1 {for (i = 1; i <= NF; i++) if ($i == "expected tlb") t = i; next}
		$2 != "sound" && $2 != "disputed" {print $1; next}
		$2 == "sound" && t && $t != "sound" {print $1 ":tlb"}'
}
if [ -n "$only" ] && [ -x "$tool" ]; then
	all_buggy=$(buggy_protocols)
	for p in $only; do
		grep -qxF -- "$p" <<<"$all_buggy" ||
			rf_usage_error "'$p' is not a buggy protocol; the buggy ones: $(tr '\n' ' ' <<<"$all_buggy")"
	done
fi
# --explore-args: what bench sets itself is refused (a shard's or another
# protocol's verdict would stand in the table as the drawn protocol's whole
# bound), and the rest is checked by the explorer before any work, where a
# build has it.
if [ "$nrandom" -gt 0 ] && [ -n "$explore_args" ]; then
	read -r -a xa <<<"$explore_args"
	if what=$(rf_explore_arg_taken --explore-args "protocol all shard json output merge dry-run" po "${xa[@]}"); then
		rf_usage_error "$what is bench's to set (each drawn protocol's whole bound, as JSON)"
	fi
	if [ -x "$tool" ] && ! why=$("$tool" explore "${xa[@]}" -p linux-3.15 --dry-run 2>&1 >/dev/null); then
		rf_usage_error "--explore-args: $(head -n 1 <<<"$why")"
	fi
fi
[ "${RMAPFUZZ_PARSE_ONLY:-}" = 1 ] && exit 0
rf_need_build rmapfuzz rmap_fuzzer empty_fuzzer

build=$rf_build
out="$rf_work/bench/$(date +%Y%m%d-%H%M%S)"
while ! mkdir -p "$(dirname "$out")" || ! mkdir "$out" 2>/dev/null; do out="$out-"; done
# A crash report symbolized costs a tenth of a second: not part of finding it.
export ASAN_OPTIONS=symbolize=0 UBSAN_OPTIONS=symbolize=0

buggy=()
if [ -n "$only" ]; then read -r -a buggy <<<"$only"; elif [ "$nrandom" = 0 ]; then mapfile -t buggy < <(buggy_protocols); fi
echo "bench: results in $(rf_rel "$out")" >&2

execs_per_second() { # BINARY -> exec/s over $seconds, from a copy of the seeds
	local dir
	dir=$(mktemp -d "$out/corpus.XXXX")
	cp "$build"/seeds/rmap_fuzzer/*.bin "$dir/"
	# In the families linux-3.15 is sound for: its mremap TLB race (tlb)
	# would end the run at once, with no figure. Anything found stays in
	# the run's directory, not the caller's.
	RMAP_PROTOCOL=linux-3.15 RMAP_INVARIANTS=walk,lifetime "$1" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$dir/" "$dir" 2>&1 |
		sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p'
	rm -rf "$dir"
}

# Table 1: "build|rmap_fuzzer|empty" per build.
rates=()
if [ "$searches_only" = 0 ]; then
	# Unsanitized twins of the two targets: the same CMake build, sanitizers off.
	nosan=$rf_nosan
	echo "bench: building the targets without sanitizers into $(rf_rel "$nosan") (log: $(rf_rel "$out/nosan-build.log"))" >&2
	rf_build_nosan "$out/nosan-build.log" "$jobs" rmap_fuzzer empty_fuzzer rmapfuzz
	rf_progress_start 8
	for variant in "ASan+UBSan:$build" "no sanitizer:$nosan"; do
		name=${variant%%:*} dir=${variant#*:}
		# Each twice, alternating, the better of two: a VM's speed drifts
		# by 10% and more from one minute to the next.
		r=0 e=0
		for _ in 1 2; do
			x=$(execs_per_second "$dir/rmap_fuzzer")
			rf_progress "exec/s, $name rmap_fuzzer: ${x:-?}"
			y=$(execs_per_second "$dir/empty_fuzzer")
			rf_progress "exec/s, $name empty target: ${y:-?}"
			[ "${x:-0}" -gt "$r" ] && r=$x
			[ "${y:-0}" -gt "$e" ] && e=$y
		done
		rates+=("$name|$r|$e")
	done
fi

# A target is PROTOCOL or PROTOCOL:FAMILY (buggy_protocols).
search_one() { # TARGET SEED -> "target seed found|silent wall search execs invariant|-"
	local p=$1 s=$2 dir t0 t1 execs search inv fam=walk,lifetime
	[ "${p#*:}" = "$p" ] || fam=${p#*:}
	dir=$(mktemp -d "$out/search.XXXX")
	t0=$(date +%s.%N)
	RMAP_PROTOCOL=${p%%:*} RMAP_INVARIANTS=$fam "$build/rmap_fuzzer" -seed="$s" -max_total_time="$cap" -print_final_stats=1 \
		-artifact_prefix="$dir/" >"$dir/log" 2>&1 || true
	t1=$(date +%s.%N)
	execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$dir/log" | tail -1)
	search=$(sed -nE 's/^rmap_fuzzer: violation after ([0-9.]+) s of search.*/\1/p' "$dir/log" | head -1)
	inv=$(grep -oE 'rmap violation: [a-z0-9-]+' "$dir/log" | head -1 | sed 's/.* //')
	if [ -n "$(find "$dir" -maxdepth 1 -name 'crash-*' | head -n 1)" ]; then
		printf "%s %s found %.3f %s %s %s\n" "$p" "$s" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
			"${search:-0}" "${execs:-0}" "${inv:--}"
	else
		echo "$p $s silent $cap $cap ${execs:-0} -"
	fi
	rm -rf "$dir"
}
blind_one() { # TARGET SEED CAP -> "target seed found|silent wall search inputs"
	local t0 t1 line fam=walk,lifetime
	[ "${1#*:}" = "$1" ] || fam=${1#*:}
	t0=$(date +%s.%N)
	line=$(RMAP_INVARIANTS=$fam "$tool" blind --protocol "${1%%:*}" "$2" "$3" || true)
	t1=$(date +%s.%N)
	if [ "${line%% *}" = found ]; then
		printf "%s %s found %.3f %s %s\n" "$1" "$2" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
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
# The searches' lines through, each with its progress line.
progress_lines() { # KIND
	local p s how wall search n inv
	while read -r p s how wall search n inv; do
		echo "$p $s $how $wall $search $n${inv:+ $inv}"
		if [ "$how" = found ]; then
			rf_progress "$1 $p seed $s: found in ${wall}s"
		else
			rf_progress "$1 $p seed $s: silent at its cap, ${wall}s"
		fi
	done
}

if [ "$nrandom" -gt 0 ]; then
	# shellcheck source=bench-random.sh
	. "$rf_root/tools/bench-random.sh"
	exit 0
fi

rf_progress_start $((${#buggy[@]} * seeds))
for p in "${buggy[@]}"; do for ((s = 1; s <= seeds; s++)); do echo "$p $s"; done; done |
	xargs -P "$jobs" -L 1 bash -c 'search_one "$@"' _ | progress_lines libFuzzer >"$out/libfuzzer.txt"
# Blind's cap per protocol: factor x the fuzzer's median wall-clock time,
# at least a second, at most --cap.
rf_progress_start $((${#buggy[@]} * seeds))
for p in "${buggy[@]}"; do
	lt=$(awk -v p="$p" '$1 == p' "$out/libfuzzer.txt" | median 4)
	bcap=$(awk -v t="$lt" -v f="$factor" -v c="$cap" 'BEGIN {b = t * f; if (b < 1) b = 1; if (b > c) b = c; printf "%.0f", b + 0.5}')
	for ((s = 1; s <= seeds; s++)); do echo "$p $s $bcap"; done
done | xargs -P "$jobs" -L 1 bash -c 'blind_one "$@"' _ | progress_lines blind >"$out/blind.txt"

# libFuzzer's start-up: the empty target to its first input and out again.
startup=$(for _ in 1 2 3 4 5; do
	t0=$(date +%s.%N)
	"$build/empty_fuzzer" -runs=1 >/dev/null 2>&1 || true
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {print b - a}'
done | median 1)

# Table 2, per protocol: "protocol|lw|ls|le|lfound|lower|bw|bs|be|bfound".
searches=()
for p in "${buggy[@]}"; do
	lf=$(awk -v p="$p" '$1 == p' "$out/libfuzzer.txt")
	bl=$(awk -v p="$p" '$1 == p' "$out/blind.txt")
	lw=$(median 4 <<<"$lf") ls=$(median 5 <<<"$lf") le=$(median 6 <<<"$lf")
	bw=$(median 4 <<<"$bl") bs=$(median 5 <<<"$bl") be=$(median 6 <<<"$bl")
	lfound=$(grep -c found <<<"$lf" || true)
	bfound=$(grep -c found <<<"$bl" || true)
	lower=""
	[ $((2 * bfound)) -le "$seeds" ] && lower=">"
	searches+=("$p|$lw|$ls|$le|$lfound|$lower|$bw|$bs|$be|$bfound")
done

speed="" explorer_rows=() explorer_projection=""
if [ "$searches_only" = 0 ]; then
	echo "bench: the cost of one execution (rmapfuzz speed)" >&2
	speed=$("$tool" speed)
	# shellcheck source=bench-explore.sh
	. "$rf_root/tools/bench-explore.sh"
fi

ratio() { awk -v b="$1" -v l="$2" 'BEGIN {if (l > 0) printf "%.1fx", b / l; else print "-"}'; }
ratio_num() { awk -v b="$1" -v l="$2" 'BEGIN {if (l > 0) printf "%.2f", b / l; else print "-"}'; }

if [ "$json" = 1 ]; then
	printf '{\n  "version": %s,\n  "cores": %s,\n  "cpu": %s,\n  "results_dir": %s,' \
		"$(rf_json_str "$(rf_version)")" "$(nproc 2>/dev/null || echo null)" \
		"$(rf_json_str "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')")" "$(rf_json_str "$out")"
	printf '\n  "exec_per_second": ['
	sep=""
	for row in "${rates[@]}"; do
		IFS='|' read -r name r e <<<"$row"
		printf '%s\n    {"build": %s, "rmap_fuzzer": %s, "empty_target": %s, "ratio": %s}' "$sep" \
			"$(rf_json_str "$name")" "$(rf_json_num "$r")" "$(rf_json_num "$e")" \
			"$(rf_json_num "$(awk -v r="$r" -v e="$e" 'BEGIN {if (e > 0) printf "%.4f", r / e; else print "-"}')")"
		sep=","
	done
	[ -z "$sep" ] || printf '\n  '
	printf '],\n  "searches": {"seeds": %s, "cap_seconds": %s, "blind_factor": %s, "libfuzzer_startup_seconds": %s, "protocols": [' \
		"$seeds" "$cap" "$factor" "$(rf_json_num "$startup")"
	sep=""
	for row in "${searches[@]}"; do
		IFS='|' read -r p lw ls le lfound lower bw bs be bfound <<<"$row"
		printf '%s\n    {"protocol": %s,' "$sep" "$(rf_json_str "$p")"
		printf '\n     "libfuzzer": {"median_wall_seconds": %s, "median_search_seconds": %s, "median_executions": %s, "found_on_seeds": %s},' \
			"$(rf_json_num "$lw")" "$(rf_json_num "$ls")" "$(rf_json_num "$le")" "$lfound"
		printf '\n     "blind": {"median_wall_seconds": %s, "median_search_seconds": %s, "median_inputs": %s, "found_on_seeds": %s, "medians_are_the_cap": %s},' \
			"$(rf_json_num "$bw")" "$(rf_json_num "$bs")" "$(rf_json_num "$be")" "$bfound" "$([ -n "$lower" ] && echo true || echo false)"
		printf '\n     "ratios": {"wall": %s, "search": %s, "executions": %s, "lower_bounds": %s}}' \
			"$(rf_json_num "$(ratio_num "$bw" "$lw")")" "$(rf_json_num "$(ratio_num "$bs" "$ls")")" \
			"$(rf_json_num "$(ratio_num "$be" "$le")")" "$([ -n "$lower" ] && echo true || echo false)"
		sep=","
	done
	printf '\n  ]},\n  "cost_per_execution": ['
	sep=""
	# rmapfuzz speed's two tables: "| N | us | steps |" under "| records"
	# or "| vmas".
	while IFS='|' read -r by n us steps; do
		printf '%s\n    {"by": %s, "n": %s, "microseconds": %s, "steps": %s}' "$sep" "$(rf_json_str "$by")" \
			"$(rf_json_num "$n")" "$(rf_json_num "$us")" "$(rf_json_num "$steps")"
		sep=","
	done < <(awk -F' *[|] *' '/^[|] records/ {by = "records"; next} /^[|] vmas/ {by = "vmas"; next}
		/^[|] [0-9]/ && by != "" {print by "|" $2 "|" $3 "|" $4}' <<<"$speed")
	[ -z "$sep" ] || printf '\n  '
	printf '],\n  "explorer": ['
	sep=""
	for row in "${explorer_rows[@]}"; do
		IFS='|' read -r name bound n programs states secs <<<"$row"
		printf '%s\n    {"build": %s, "bound": %s, "protocols": %s, "programs": %s, "states": %s, "seconds": %s, "states_per_second": %s}' \
			"$sep" "$(rf_json_str "$name")" "$(rf_json_str "$bound")" "$n" "$(rf_json_num "$programs")" \
			"$(rf_json_num "$states")" "$(rf_json_num "$secs")" \
			"$(rf_json_num "$(awk -v a="$states" -v b="$secs" 'BEGIN {if (b > 0) printf "%.0f", a / b; else print "-"}')")"
		sep=","
	done
	[ -z "$sep" ] || printf '\n  '
	printf ']'
	if [ -n "$explorer_projection" ]; then
		IFS='|' read -r cpu wall n j lo hi o <<<"$explorer_projection"
		printf ',\n  "explorer_default_bound_projection": {"rows": %s, "cores": %s, "cpu_seconds": %s, "wall_seconds": %s, "cpu_seconds_from_lightest_shard": %s, "cpu_seconds_from_heaviest_shard": %s, "setup_seconds_per_shard": %s, "from": "linux-3.15, %s, no sanitizer, (seconds - 8 x set-ups) x %s + set-ups, x rows: rough (programs differ by orders of magnitude; rows differ)"}' \
			"$n" "$j" "$cpu" "$wall" "$lo" "$hi" "$o" "$explorer_sample" "$((explore_shards / 8))"
	fi
	printf '\n}\n'
	exit 0
fi

if [ "$searches_only" = 0 ]; then
	echo "## Executions per second ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'))"
	echo
	echo "| build | rmap_fuzzer | empty target | ratio |"
	echo "|---|---|---|---|"
	for row in "${rates[@]}"; do
		IFS='|' read -r name r e <<<"$row"
		echo "| $name | $r | $e | $(awk -v r="$r" -v e="$e" 'BEGIN {if (e > 0) printf "%.1f%%", 100 * r / e; else print "-"}') |"
	done
	echo
fi
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
for row in "${searches[@]}"; do
	IFS='|' read -r p lw ls le lfound lower bw bs be bfound <<<"$row"
	echo "| \`$p\` | $lw | $ls | $le | $lfound/$seeds | $lower$bw | $lower$bs | $lower$be | $bfound/$seeds |" \
		"$lower$(ratio "$bw" "$lw") | $lower$(ratio "$bs" "$ls") | $lower$(ratio "$be" "$le") |"
done
[ "$searches_only" = 1 ] && exit 0
echo
echo "## Cost of one execution (ASan+UBSan, rmapfuzz speed)"
echo
echo "$speed"
echo
echo "## Explorer speed (rmapfuzz explore)"
echo
echo "| build | bound | protocols | programs | states | seconds | states/s |"
echo "|---|---|---|---|---|---|---|"
for row in "${explorer_rows[@]}"; do
	IFS='|' read -r name bound n programs states secs <<<"$row"
	echo "| $name | $bound | $n | $programs | $states | $secs |" \
		"$(awk -v a="$states" -v b="$secs" 'BEGIN {if (b > 0) printf "%.0f", a / b; else print "-"}') |"
done
if [ -n "$explorer_projection" ]; then
	IFS='|' read -r cpu wall n j lo hi o <<<"$explorer_projection"
	days() { awk -v s="$1" 'BEGIN {printf "%.1f", s / 86400}'; }
	echo
	echo "The default bound's table ($n rows), projected from linux-3.15's $explorer_sample, without"
	echo "sanitizers: their seconds less what each shard pays before its programs (the set-ups of"
	echo "the whole bound, ${o}s: a shard of almost no programs), x $((explore_shards / 8)) a row, plus that once:"
	echo "$(days "$cpu") CPU days, $(days "$wall") days on $j cores. A rough figure: programs differ by orders of"
	echo "magnitude in states, and 8 shards sample them thinly (the shards' own projections:"
	echo "$(days "$lo") to $(days "$hi") CPU days); at the small bound rows have 0.4 to 1.3 times"
	echo "linux-3.15's states. The small bound's states/s are over $j jobs; the shards' include their set-ups."
fi
