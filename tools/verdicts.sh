#!/usr/bin/env bash
# The verdict table: fuzz every protocol from an empty corpus and say what
# the fuzzer found (./build.sh verdicts runs this).
#
#   tools/verdicts.sh [--seconds N] [--seeds K] [--jobs J]
#                     [--protocols "P1 P2..."] [--families "F1 F2..."]
#                     [--json]
#
# For each protocol, invariant family and seed 1..K: rmap_fuzzer with -seed,
# -invariants=FAMILY, an empty corpus and -max_total_time=N. A run ends at
# its first violation (the time and executions to it are measured) or at N
# seconds of silence. A family is a question of its own (the walks, the
# TLBs, the anon_vmas' lifetime): a run that asks one is not stopped by
# another's answer. The first violation of each invariant goes through
# tools/keep-crash.sh (both minimizers; the smallest per signature is kept
# in crashers/<protocol>/).
# The anon_vma lock cost per mremap and per fork comes from `rmapfuzz cost`
# (one fixed workload: an mremap to a new vma, one into a merged vma, a fork
# of two vmas). Prints a markdown table, or JSON; progress on stderr; the
# raw per-run lines in build/verdicts/<date>/runs.txt.
set -euo pipefail

rf_name=verdicts
rf_synopsis='[--seconds N] [--seeds K] [--jobs J] [--protocols "P..."] [--families "F..."] [--json]'
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_invoked tools/verdicts.sh

usage() {
	cat <<EOF
$(rf_usage_line)

Fuzz each protocol from an empty corpus, once per seed and invariant
family, and print the verdict table: per protocol what protocols.md
expects, what the fuzzer found (violations on how many seeds, which
invariants, the median time and executions to the first, over every
family), what each family found, the size of the kept crasher (both
minimizers) and the anon_vma lock cost. About 15 minutes per family with
the defaults on 2 cores.

  --seconds N          each run's limit (default 100)
  --seeds K            runs per protocol, seeds 1..K (default 3)
  --jobs J             runs at a time (default: the cores, $(nproc 2>/dev/null || echo 2) here)
  --protocols "P..."   these protocols only (default: every one)
  --families "F..."    these invariant families only, a run each (default:
                       walk tlb lifetime; build/rmapfuzz invariants)
  --json               a JSON document on stdout instead of the markdown table
  -h, --help           this help
  --version            the version

Progress on stderr: a line per finished run and per minimized crash, with
k of N and an estimate of the time left. The first crash of each invariant
goes through tools/keep-crash.sh into crashers/PROTOCOL/ (or
\$RMAPFUZZ_CRASHERS_DIR). Each run's corpus, crashes and log stay in
build/verdicts/YYYYmmdd-HHMMSS/ (or under \$RMAPFUZZ_WORK_DIR), with runs.txt:
"protocol seed found|silent seconds executions invariant family" per run.
EOF
}

seconds=100 seeds=3 jobs=$(nproc 2>/dev/null || echo 2) only="" json=0 families="walk tlb lifetime"
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
	--families | --families=*)
		rf_value --families "$@"; families=$rf_val; shift "$rf_shift"
		[ -n "${families// /}" ] || rf_usage_error "--families wants invariant families"
		for f in $families; do
			case $f in walk | tlb | lifetime) ;; *) rf_usage_error "unknown invariant family '$f' (known: walk, tlb, lifetime)" ;; esac
		done ;;
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

# One run: prints
# "protocol seed found|silent seconds executions invariant family".
run_one() {
	local p=$1 s=$2 f=$3 dir="$out/$1/$3/seed-$2"
	mkdir -p "$dir/corpus" "$dir/crash"
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	RMAP_PROTOCOL=$p RMAP_INVARIANTS=$f "$fuzzer" -seed="$s" -max_total_time="$seconds" -print_final_stats=1 \
		-artifact_prefix="$dir/crash/" "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	local execs inv secs
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$dir/log" | tail -n 1)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
	if [ -n "$(find "$dir/crash" -type f | head -n 1)" ]; then
		inv=$(sed -nE 's/^rmap violation: ([a-z-]+).*/\1/p' "$dir/log" | head -n 1)
		echo "$p $s found $secs ${execs:-0} ${inv:-?} $f"
	else
		[ "$rc" -eq 0 ] || echo "verdicts: $p seed $s $f: rmap_fuzzer exit $rc, see $dir/log" >&2
		echo "$p $s silent $secs ${execs:-0} - $f"
	fi
}
export -f run_one
export out fuzzer seconds

read -r -a fams <<<"$families"
n=$((${#protos[@]} * seeds * ${#fams[@]}))
echo "verdicts: $n runs of up to ${seconds}s, $jobs at a time; runs in $(rf_rel "$out")" >&2
rf_progress_start "$n"
for p in "${protos[@]}"; do
	for ((s = 1; s <= seeds; s++)); do
		for f in "${fams[@]}"; do echo "$p $s $f"; done
	done
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$@"' _ |
	while read -r p s how secs execs inv f; do
		echo "$p $s $how $secs $execs $inv $f" >>"$out/runs.txt"
		what="$p seed $s $f: silent for ${secs}s"
		[ "$how" = silent ] || what="$p seed $s $f: $inv after ${secs}s"
		rf_progress "$what"
	done
touch "$out/runs.txt"

median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# The first crash of each invariant of each protocol, minimized and kept
# (with the family its run asked, so that the minimization keeps to it).
firsts=$(awk '$3 == "found" && !seen[$1 " " $6]++ {print $1, $2, $6, $7}' "$out/runs.txt")
if [ -n "$firsts" ]; then
	rf_progress_start "$(wc -l <<<"$firsts")"
	while read -r p s inv f; do
		dir="$out/$p/$f/seed-$s"
		crash=$(find "$dir/crash" -type f | head -n 1)
		if line=$(RMAP_INVARIANTS=$f "$rf_root/tools/keep-crash.sh" "$p" "$crash" </dev/null 2>"$dir/keep-crash.err"); then
			:
		else
			line="keep-crash: $p $inv: failed: $(tail -n 1 "$dir/keep-crash.err")"
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
	# A seed found when a run of any family did; its time, the earliest.
	firsts_by_seed=$(awk '$3 == "found" {if (!($2 in t) || $4 < t[$2]) {t[$2] = $4; e[$2] = $5}}
		END {for (s in t) print t[s], e[s]}' <<<"$runs")
	found=0
	[ -z "$firsts_by_seed" ] || found=$(wc -l <<<"$firsts_by_seed")
	# What each family found: "invariant,invariant;seeds;median s".
	fam_cells=""
	for f in "${fams[@]}"; do
		fr=$(awk -v f="$f" '$7 == f' <<<"$runs")
		ff=$(awk '$3 == "found"' <<<"$fr" | wc -l)
		fi=$(awk '$3 == "found" {print $6}' <<<"$fr" | sort | uniq -c | sort -rn | awk '{printf "%s%s", sep, $2; sep=","}')
		fs=$(awk '$3 == "found" {print $4}' <<<"$fr" | median)
		fam_cells+="$f;${fi:--};$ff;$fs "
	done
	if [ "$found" -gt 0 ]; then
		inv=$(awk '$3 == "found" {print $6}' <<<"$runs" | sort | uniq -c | sort -rn |
			awk '{printf "%s%s", sep, $2; sep=","}')
		secs=$(awk '{print $1}' <<<"$firsts_by_seed" | median)
		execs=$(awk '{print $2}' <<<"$firsts_by_seed" | median)
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
	rows+=("$p|$expected|$verdict|$found|$inv|$secs|$execs|$ours|$theirs|$cost_new|$cost_merged|$cost_fork|$fam_cells")
done

if [ "$json" = 1 ]; then
	printf '{\n  "version": %s,\n  "seconds": %s,\n  "seeds": %s,\n  "runs_file": %s,\n  "protocols": [' \
		"$(rf_json_str "$(rf_version)")" "$seconds" "$seeds" "$(rf_json_str "$out/runs.txt")"
	sep=""
	for row in "${rows[@]}"; do
		IFS='|' read -r p expected verdict found inv secs execs ours theirs cn cm cf cells <<<"$row"
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
		printf '\n     "families": {'
		fsep=""
		for cell in $cells; do
			IFS=';' read -r f finv ffound fsecs <<<"$cell"
			printf '%s%s: {"found_on_seeds": %s, "invariants": [' "$fsep" "$(rf_json_str "$f")" "$ffound"
			isep=""
			if [ "$finv" != - ]; then
				for i in ${finv//,/ }; do printf '%s%s' "$isep" "$(rf_json_str "$i")"; isep=", "; done
			fi
			printf '], "median_seconds_to_violation": %s}' "$(rf_json_num "$fsecs")"
			fsep=", "
		done
		printf '},'
		printf '\n     "runs": ['
		rsep=""
		while read -r _ s how rsecs rexecs rinv rf; do
			rinv=$(rf_json_str "$rinv")
			[ "$rinv" != '"-"' ] || rinv=null
			printf '%s{"seed": %s, "family": %s, "result": %s, "seconds": %s, "executions": %s, "invariant": %s}' "$rsep" \
				"$s" "$(rf_json_str "$rf")" "$(rf_json_str "$how")" "$(rf_json_num "$rsecs")" "$(rf_json_num "$rexecs")" "$rinv"
			rsep=", "
		done < <(awk -v p="$p" '$1 == p' "$out/runs.txt" | sort -k2,2n -k7,7)
		printf ']}'
		sep=","
	done
	printf '\n  ]\n}\n'
	exit 0
fi

head="| protocol | expected | measured | invariant | median s to violation | median executions | minimized records: ours (libFuzzer's) | anon_vma locks: mremap to new / into merged / fork |"
rule="|---|---|---|---|---|---|---|---|"
for f in "${fams[@]}"; do head+=" $f |"; rule+="---|"; done
echo "$head"
echo "$rule"
for row in "${rows[@]}"; do
	IFS='|' read -r p expected verdict found inv secs execs ours theirs cn cm cf cells <<<"$row"
	# What each family found: "split-missed-pmd (3/3, 0.3 s)", or silence.
	fam=""
	for cell in $cells; do
		IFS=';' read -r f finv ffound fsecs <<<"$cell"
		if [ "$ffound" -gt 0 ]; then
			fam+=" ${finv//,/, } ($ffound/$seeds, ${fsecs} s) |"
		else
			fam+=" silent |"
		fi
	done
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
	echo "| \`$p\` | $expected | $measured | ${inv//,/, } | $secs | $execs | $records | $cn / $cm / $cf |$fam"
done
