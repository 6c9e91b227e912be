#!/usr/bin/env bash
# The verdict table: fuzz every protocol from an empty corpus and say what
# the fuzzer found (./build.sh verdicts runs this).
#
#   tools/verdicts.sh [--seconds N] [--seeds K] [--jobs J] [--protocols "P1 P2..."] [--json]
#
# For each protocol and seed 1..K: rmap_fuzzer with -seed, an empty corpus
# and -max_total_time=N. A run ends at its first violation (the time and
# executions to it are measured) or at N seconds of silence. The first
# violation of each invariant goes through tools/keep-crash.sh (both
# minimizers; the smallest per signature is kept in crashers/<protocol>/).
# The anon_vma lock cost per mremap and per fork comes from `rmapfuzz cost`
# (one fixed workload: an mremap to a new vma, one into a merged vma, a fork
# of two vmas). Prints a markdown table, or JSON; progress on stderr; the
# raw per-run lines in build/verdicts/<date>/runs.txt.
set -euo pipefail

rf_name=verdicts
rf_synopsis='[--seconds N] [--seeds K] [--jobs J] [--protocols "P..."] [--json]'
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_invoked tools/verdicts.sh

usage() {
	cat <<EOF
usage: $rf_cmd $rf_synopsis

Fuzz each protocol from an empty corpus, once per seed, and print the
verdict table: per protocol what protocols.md expects, what the fuzzer
found (violations on how many seeds, which invariants, the median time and
executions to the first), the size of the kept crasher (both minimizers)
and the anon_vma lock cost. About 15 minutes with the defaults on 2 cores.

  --seconds N          each run's limit (default 100)
  --seeds K            runs per protocol, seeds 1..K (default 3)
  --jobs J             runs at a time (default: the cores, $(nproc 2>/dev/null || echo 2) here)
  --protocols "P..."   these protocols only (default: every one)
  --json               a JSON document on stdout instead of the markdown table
  -h, --help           this help
  --version            the version

Progress on stderr: a line per finished run and per minimized crash, with
k of N and an estimate of the time left. The first crash of each invariant
goes through tools/keep-crash.sh into crashers/PROTOCOL/ (or
\$RMAPFUZZ_CRASHERS_DIR). Each run's corpus, crashes and log stay in
build/verdicts/YYYYmmdd-HHMMSS/ (or under \$RMAPFUZZ_WORK_DIR), with runs.txt:
"protocol seed found|silent seconds executions invariant" per run.
EOF
}

seconds=100 seeds=3 jobs=$(nproc 2>/dev/null || echo 2) only="" json=0
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--version) rf_version; exit 0 ;;
	--seconds | --seconds=*)
		rf_num seconds 1 "$@"; shift "$rf_shift" ;;
	--seeds | --seeds=*)
		rf_num seeds 1 "$@"; shift "$rf_shift" ;;
	--jobs | --jobs=*)
		rf_num jobs 1 "$@"; shift "$rf_shift" ;;
	--protocols | --protocols=*)
		rf_value --protocols "$@"; only=$rf_val; shift "$rf_shift"
		[ -n "${only// /}" ] || rf_usage_error "--protocols wants protocol names" ;;
	--json) json=1; shift ;;
	-?*) rf_usage_error "unknown option '$1'" ;;
	*) rf_usage_error "unexpected argument '$1'" ;;
	esac
done
for p in $only; do rf_check_protocol "$p"; done
[ "${RMAPFUZZ_PARSE_ONLY:-}" = 1 ] && exit 0
rf_need_build rmap_fuzzer rmapfuzz

fuzzer="$rf_build/rmap_fuzzer"
tool="$rf_build/rmapfuzz"
# Each run of verdicts in a directory of its own: an earlier one's runs stay.
out="$rf_work/verdicts/$(date +%Y%m%d-%H%M%S)"
while ! mkdir -p "$(dirname "$out")" || ! mkdir "$out" 2>/dev/null; do out="$out-"; done

protos=()
if [ -n "$only" ]; then read -r -a protos <<<"$only"; else mapfile -t protos < <(rf_protocols); fi

# One run: prints "protocol seed found|silent seconds executions invariant".
run_one() {
	local p=$1 s=$2 dir="$out/$1/seed-$2"
	mkdir -p "$dir/corpus" "$dir/crash"
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	RMAP_PROTOCOL=$p "$fuzzer" -seed="$s" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$dir/crash/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	local execs inv secs
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$dir/log" | tail -n 1)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
	if [ -n "$(find "$dir/crash" -type f | head -n 1)" ]; then
		inv=$(sed -nE 's/^rmap violation: ([a-z-]+).*/\1/p' "$dir/log" | head -n 1)
		echo "$p $s found $secs ${execs:-0} ${inv:-?}"
	else
		[ "$rc" -eq 0 ] || echo "verdicts: $p seed $s: rmap_fuzzer exit $rc, see $dir/log" >&2
		echo "$p $s silent $secs ${execs:-0} -"
	fi
}
export -f run_one
export out fuzzer seconds

n=$((${#protos[@]} * seeds))
echo "verdicts: $n runs of up to ${seconds}s, $jobs at a time; runs in $(rf_rel "$out")" >&2
rf_progress_start "$n"
for p in "${protos[@]}"; do
	for ((s = 1; s <= seeds; s++)); do echo "$p $s"; done
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$@"' _ |
	while read -r p s how secs execs inv; do
		echo "$p $s $how $secs $execs $inv" >>"$out/runs.txt"
		what="$p seed $s: silent for ${secs}s"
		[ "$how" = silent ] || what="$p seed $s: $inv after ${secs}s"
		rf_progress "$what"
	done
touch "$out/runs.txt"

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# The first crash of each invariant of each protocol, minimized and kept.
firsts=$(awk '$3 == "found" && !seen[$1 " " $6]++ {print $1, $2, $6}' "$out/runs.txt")
if [ -n "$firsts" ]; then
	rf_progress_start "$(wc -l <<<"$firsts")"
	while read -r p s inv; do
		crash=$(find "$out/$p/seed-$s/crash" -type f | head -n 1)
		if line=$("$rf_root/tools/keep-crash.sh" "$p" "$crash" </dev/null 2>"$out/$p/seed-$s/keep-crash.err"); then
			:
		else
			line="keep-crash: $p $inv: failed: $(tail -n 1 "$out/$p/seed-$s/keep-crash.err")"
		fi
		echo "$p $inv $line" >>"$out/keep-crash.txt"
		rf_progress "$p $inv: $(sed -E 's/^keep-crash: [^:]*: //' <<<"$line")" "$(awk -v k="$(wc -l <"$out/keep-crash.txt")" -v n="$(wc -l <<<"$firsts")" 'BEGIN {print (n - k) * 11}')"
	done <<<"$firsts"
fi
touch "$out/keep-crash.txt"

# Per protocol, the fields of its row.
rows=()
for p in "${protos[@]}"; do
	expected=$(rf_expected "$p")
	runs=$(awk -v p="$p" '$1 == p' "$out/runs.txt")
	found=$(awk '$3 == "found"' <<<"$runs" | wc -l)
	read -r cost_new cost_merged cost_fork < <("$tool" cost --protocol "$p" |
		sed -E 's/.*: ([0-9]+) to a new vma, ([0-9]+) into a merged one; per fork of [0-9]+ vmas: ([0-9]+).*/\1 \2 \3/')
	ours="-" theirs="-" inv="-"
	if [ "$found" -gt 0 ]; then
		inv=$(awk '$3 == "found" {print $6}' <<<"$runs" | sort | uniq -c | sort -rn |
			awk '{printf "%s%s", sep, $2; sep=","}')
		secs=$(awk '$3 == "found" {print $4}' <<<"$runs" | median)
		execs=$(awk '$3 == "found" {print $5}' <<<"$runs" | median)
		# The sizes of the protocol's first kept crash, both minimizers.
		k=$(awk -v p="$p" '$1 == p {$1 = ""; $2 = ""; print; exit}' "$out/keep-crash.txt")
		if [[ "$k" =~ ours\ ([0-9]+)\ records,\ libFuzzer.s\ ([0-9-]+)\; ]]; then
			ours=${BASH_REMATCH[1]} theirs=${BASH_REMATCH[2]}
		fi
		verdict=violates
	else
		secs="-"
		execs=$(awk '{print $5}' <<<"$runs" | median)
		verdict=silent
	fi
	rows+=("$p|$expected|$verdict|$found|$inv|$secs|$execs|$ours|$theirs|$cost_new|$cost_merged|$cost_fork")
done

if [ "$json" = 1 ]; then
	printf '{\n  "version": %s,\n  "seconds": %s,\n  "seeds": %s,\n  "runs_file": %s,\n  "protocols": [' \
		"$(rf_json_str "$(rf_version)")" "$seconds" "$seeds" "$(rf_json_str "$out/runs.txt")"
	sep=""
	for row in "${rows[@]}"; do
		IFS='|' read -r p expected verdict found inv secs execs ours theirs cn cm cf <<<"$row"
		printf '%s\n    {"protocol": %s, "expected": %s, "verdict": %s, "found_on_seeds": %s, "seeds": %s,' \
			"$sep" "$(rf_json_str "$p")" "$(rf_json_str "$expected")" "$(rf_json_str "$verdict")" "$found" "$seeds"
		printf '\n     "invariants": ['
		isep=""
		if [ "$inv" != - ]; then
			for i in ${inv//,/ }; do printf '%s%s' "$isep" "$(rf_json_str "$i")"; isep=", "; done
		fi
		printf '], "median_seconds_to_violation": %s, "median_executions": %s,' "$(rf_json_num "$secs")" "$(rf_json_num "$execs")"
		printf '\n     "minimized_records": {"ours": %s, "libfuzzer": %s},' "$(rf_json_num "$ours")" "$(rf_json_num "$theirs")"
		printf '\n     "anon_vma_locks": {"mremap_to_new_vma": %s, "mremap_into_merged_vma": %s, "fork_of_2_vmas": %s},' \
			"$(rf_json_num "$cn")" "$(rf_json_num "$cm")" "$(rf_json_num "$cf")"
		printf '\n     "runs": ['
		rsep=""
		while read -r _ s how rsecs rexecs rinv; do
			rinv=$(rf_json_str "$rinv")
			[ "$rinv" != '"-"' ] || rinv=null
			printf '%s{"seed": %s, "result": %s, "seconds": %s, "executions": %s, "invariant": %s}' "$rsep" \
				"$s" "$(rf_json_str "$how")" "$(rf_json_num "$rsecs")" "$(rf_json_num "$rexecs")" "$rinv"
			rsep=", "
		done < <(awk -v p="$p" '$1 == p' "$out/runs.txt" | sort -k2,2n)
		printf ']}'
		sep=","
	done
	printf '\n  ]\n}\n'
	exit 0
fi

echo "| protocol | expected | measured | invariant | median s to violation | median executions | minimized records: ours (libFuzzer's) | anon_vma locks: mremap to new / into merged / fork |"
echo "|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
	IFS='|' read -r p expected verdict found inv secs execs ours theirs cn cm cf <<<"$row"
	if [ "$verdict" = violates ]; then
		measured="violates ($found/$seeds seeds)"
		[ "$found" -lt "$seeds" ] && secs="$secs (found runs)"
		records="-"
		[ "$ours" = - ] || records="$ours (libFuzzer: $theirs)"
	else
		measured="silent ($seeds x ${seconds}s)"
		secs="silent ${seconds}s"
		records="-"
	fi
	echo "| \`$p\` | $expected | $measured | ${inv//,/, } | $secs | $execs | $records | $cn / $cm / $cf |"
done
