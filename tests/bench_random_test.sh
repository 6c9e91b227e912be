#!/usr/bin/env bash
# bench.sh --random-protocols with tiny figures: one random protocol, a
# bound the explorer clears at once, one fuzzer seed of 2 s. (The first run
# builds the unsanitized explorer into BUILD_DIR/nosan: a minute on a clean
# checkout.) The JSON holds
# the draw, both verdicts and whether they agree; the table says the
# bound; the options that are not this benchmark's are refused.
# Usage: bench_random_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/bench_random_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/bench_random_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

scratch_dirs
small=(--random-protocols 1 --seeds 1 --cap 2 --jobs 1 --explore-args "--max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1")
drawn=$("$build/rmapfuzz" protocols --random 1 --seed 1)

rc=0
"$src/tools/bench.sh" "${small[@]}" --json >"$tmp/b.json" 2>"$tmp/b.err" || rc=$?
expect_rc "bench --random-protocols --json" 0 "$rc"
json_check "the draw of seed 1" "$tmp/b.json" \
	"(lambda r: r['n'] == 1 and r['draw_seed'] == 1 and r['seeds'] == 1 and r['cap_seconds'] == 2 and r['invariants'] == 'walk' and [p['protocol'] for p in r['protocols']] == ['$drawn'])(d['random_protocols'])"
json_check "the explorer's bound, as it says it" "$tmp/b.json" \
	"d['random_protocols']['explore_bound'].startswith('2 operations') and d['random_protocols']['explore_args'] == '--max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1'"
json_check "both verdicts and the agreement" "$tmp/b.json" \
	"(lambda p: p['explorer']['verdict'] in ('clean', 'violated') and p['fuzzer']['found_on_seeds'] in (0, 1) and p['agree'] == (p['disagreement'] is None) and p['agree'] == ((p['explorer']['verdict'] == 'violated') == (p['fuzzer']['found_on_seeds'] == 1)))(d['random_protocols']['protocols'][0])"
contains "progress of the explorer" "$tmp/b.err" "bench: [1/1] explore $drawn: "
contains "progress of the fuzzer" "$tmp/b.err" "bench: [1/1] libFuzzer $drawn:walk seed 1: "
dir=$(sed -nE 's/^bench: results in (.*)/\1/p' "$tmp/b.err")
check "its draw kept ($dir)" [ "$(cat "$dir/specs.txt" 2>/dev/null)" = "$drawn" ]

# At the explorer's default bound a clean combination (seed 1's draw is)
# takes hours: --explore-seconds stops it (SIGINT) and the result is the
# levels it finished, said in the JSON and the table.
rc=0
"$src/tools/bench.sh" --random-protocols 1 --seeds 1 --cap 2 --jobs 1 --explore-seconds 4 --json \
	>"$tmp/s.json" 2>"$tmp/s.err" || rc=$?
expect_rc "bench --random-protocols --explore-seconds 4" 0 "$rc"
json_check "the explorer stopped, clean through the levels it finished" "$tmp/s.json" \
	"(lambda r: r['explore_seconds'] == 4 and r['explore_bound'].startswith('5 operations') and r['protocols'][0]['explorer']['verdict'] == 'clean' and isinstance(r['protocols'][0]['explorer']['stopped_after_ops'], int) and r['protocols'][0]['explorer']['seconds'] < 60)(d['random_protocols'])"
contains "progress says where it stopped" "$tmp/s.err" "stopped at 4s with "

# The options of the other benchmark are not this one's, nor these its.
for c in "--random-protocols 1 --protocols linux-3.14" "--random-protocols 1 --searches-only" \
	"--explore-args=--max-ops=2" "--random-seed 3" "--invariants walk" "--random-protocols 0" \
	"--explore-seconds 5" "--random-protocols 1 --explore-seconds x" \
	"--random-protocols 1 --invariants nope"; do
	rc=0
	# shellcheck disable=SC2086 # options and their values
	RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" $c >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "bench $c" 2 "$rc"
done
rc=0
RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" --random-protocols 3 --random-seed 2 --invariants walk,tlb \
	--explore-args "--max-ops 3" || rc=$?
expect_rc "bench --random-protocols: its options" 0 "$rc"
finish
