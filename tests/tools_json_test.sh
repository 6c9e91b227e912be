#!/usr/bin/env bash
# verdicts and bench: --json prints one JSON document on stdout (the
# markdown tables stay the default), progress goes to stderr with k of N,
# and each run keeps its results in a directory of its own.
# Usage: tools_json_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/tools_json_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/tools_json_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

scratch_dirs

# verdicts: the markdown table (a sound protocol, silent, fast).
rc=0
"$src/tools/verdicts.sh" --seconds 1 --seeds 1 --protocols all-fixes >"$tmp/v.md" 2>"$tmp/v.err" || rc=$?
expect_rc "verdicts" 0 "$rc"
contains "verdicts: the markdown table" "$tmp/v.md" "| protocol | expected | measured |"
contains "verdicts: a column per family" "$tmp/v.md" "| walk | tlb | lifetime |"
contains "verdicts: its row" "$tmp/v.md" "| \`all-fixes\` | sound | silent (1 x 1s) |"
contains "verdicts: progress" "$tmp/v.err" "all-fixes seed 1 tlb: silent"
first=$(find "$RMAPFUZZ_WORK_DIR/verdicts" -name runs.txt)
check "verdicts: its runs ($first)" [ -s "$first" ]

# verdicts --json: a buggy protocol (its crash minimized and kept) and a
# sound one.
# peek-split-pmd breaks two ways (the split's count mismatch, and the
# split-vs-zap kernel BUG); which one a single run reaches first is the
# fuzzer's draw, so either is its answer, but exactly one and named.
rc=0
"$src/tools/verdicts.sh" --json --protocols "peek-split-pmd all-fixes" --families walk --seconds 3 --seeds=1 \
	>"$tmp/v.json" 2>"$tmp/v.err" || rc=$?
expect_rc "verdicts --json" 0 "$rc"
lacks "verdicts --json: no markdown" "$tmp/v.json" "|---"
json_check "verdicts --json: the version" "$tmp/v.json" "d['version'].startswith('rmapfuzz ') and d['seconds'] == 3 and d['seeds'] == 1"
json_check "verdicts --json: the protocols" "$tmp/v.json" "[p['protocol'] for p in d['protocols']] == ['peek-split-pmd', 'all-fixes']"
json_check "verdicts --json: the family asked" "$tmp/v.json" "list(d['protocols'][0]['families']) == ['walk'] and d['protocols'][0]['runs'][0]['family'] == 'walk'"
json_check "verdicts --json: the buggy one" "$tmp/v.json" \
	"(lambda p: p['verdict'] == 'violates' and p['found_on_seeds'] == 1 and len(p['invariants']) == 1 and p['invariants'][0] in ('split-missed-pmd', 'kernel-bug') and p['runs'][0]['invariant'] == p['invariants'][0] and isinstance(p['minimized_records']['ours'], int) and p['runs'][0]['result'] == 'found')(d['protocols'][0])"
json_check "verdicts --json: the sound one" "$tmp/v.json" \
	"(lambda p: p['verdict'] == 'silent' and p['found_on_seeds'] == 0 and p['median_seconds_to_violation'] is None and p['anon_vma_locks'] == {'mremap_to_new_vma': 4, 'mremap_into_merged_vma': 3, 'fork_of_2_vmas': 2})(d['protocols'][1])"
contains "verdicts --json: progress of the runs" "$tmp/v.err" "verdicts: [2/2] "
check "verdicts --json: progress of the minimization" grep -Eq '^verdicts: \[1/1\] peek-split-pmd (split-missed-pmd|kernel-bug): ours [0-9]+ records' "$tmp/v.err"
check "verdicts --json: the crash kept" [ -n "$(find "$RMAPFUZZ_CRASHERS_DIR/peek-split-pmd" -name '*.bin' 2>/dev/null)" ]
check "the first verdicts' runs are still there" [ -s "$first" ]
same "two verdicts, two directories" 2 "$(find "$RMAPFUZZ_WORK_DIR/verdicts" -name runs.txt | wc -l)"

# bench: the searches' table, in markdown and in JSON.
rc=0
"$src/tools/bench.sh" --searches-only --seeds 1 --cap 5 --protocols unlink-first >"$tmp/b.md" 2>"$tmp/b.err" || rc=$?
expect_rc "bench --searches-only" 0 "$rc"
contains "bench: the markdown table" "$tmp/b.md" "| protocol | libFuzzer wall s | search s |"
contains "bench: progress" "$tmp/b.err" "bench: [1/1] libFuzzer unlink-first seed 1: found"
rc=0
"$src/tools/bench.sh" --json --searches-only --seeds 2 --cap 5 --protocols unlink-first >"$tmp/b.json" 2>"$tmp/b.err" || rc=$?
expect_rc "bench --json" 0 "$rc"
lacks "bench --json: no markdown" "$tmp/b.json" "|---"
json_check "bench --json: the searches" "$tmp/b.json" \
	"(lambda p: p['protocol'] == 'unlink-first' and p['libfuzzer']['found_on_seeds'] == 2 and p['blind']['found_on_seeds'] + 0 >= 0 and 'wall' in p['ratios'])(d['searches']['protocols'][0])"
json_check "bench --json: searches only" "$tmp/b.json" "d['exec_per_second'] == [] and d['cost_per_execution'] == [] and d['searches']['seeds'] == 2"
contains "bench --json: progress" "$tmp/b.err" "bench: [2/2] libFuzzer unlink-first seed "
contains "bench --json: blind's progress" "$tmp/b.err" "bench: [2/2] blind unlink-first seed "

finish
