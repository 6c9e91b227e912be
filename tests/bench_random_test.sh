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

# A combination stopped clean takes the verdict of a kept search of the
# same protocol and bound that covered it whole (--kept): here seed 1's
# draw at a bound the explorer, stopped after 1 s, does not finish (some 4
# CPU s). A campaign's directory name holds commas, as these do.
kb=(--max-ops 4 --max-conc 2 --max-pmds 4 --max-mms 2)
kr=(--random-protocols 1 --seeds 1 --cap 2 --jobs 1 --explore-seconds 1 --explore-args "${kb[*]}")
kept_run() { # KEPT_DIR NAME [--json]: bench's run with --kept, its exit in rc
	rc=0
	"$src/tools/bench.sh" "${kr[@]}" --kept "$1" "${@:3}" >"$tmp/$2.out" 2>"$tmp/$2.err" || rc=$?
}
w="$tmp/kept/$drawn-whole"
mkdir -p "$w"
"$build/nosan/rmapfuzz" explore -p "$drawn" "${kb[@]}" --jobs 1 --json >"$w/shard-0-of-1.json" 2>/dev/null
code=$(sed -nE 's/.*"search_code": "([0-9a-f]+)".*/\1/p' "$w/shard-0-of-1.json" | head -n 1)
kept_run "$tmp/kept" k --json
expect_rc "bench --kept" 0 "$rc"
json_check "--kept: the kept whole search's verdict, named" "$tmp/k.out" \
	"(lambda p: p['explorer']['verdict'] == 'clean' and isinstance(p['explorer']['stopped_after_ops'], int) and p['explorer']['kept_search'] == {'dir': '$w', 'search_code': '$code', 'this_search_code': '$code', 'seconds': p['explorer']['kept_search']['seconds']} and p['agree'] and p['disagreement'] is None)(d['random_protocols']['protocols'][0])"
contains "--kept: progress says it" "$tmp/k.err" "the whole bound clean by the kept search $w"
check "--kept: progress gives this run's time, not as the kept search's" \
	grep -qE ": clean in [0-9.]+s, stopped at [0-9]+s with [0-9]+ operations searched; the whole bound clean by the kept search " "$tmp/k.err"
# The table names it, with its search code where it is not this
# explorer's, and the agreement is the whole bound's, not "so far".
sed -i -E 's/"search_code": "[0-9a-f]+"/"search_code": "0123456789ab"/' "$w/shard-0-of-1.json"
kept_run "$tmp/kept" km
expect_rc "bench --kept, the table" 0 "$rc"
contains "--kept: the table names the kept search and its code" "$tmp/km.out" \
	"clean within the bound (the kept search \`$w/\`, search code 0123456789ab, this explorer's $code,"
contains "--kept: the agreement is the whole bound's" "$tmp/km.out" " | yes |"
contains "--kept: the table says where they are looked for" "$tmp/km.out" "a search of it kept in \`$tmp/kept/\` at the same bound"

# Not the whole bound's verdict: a search stopped part way (its bound line
# the whole bound's), half of a split, the whole of another bound.
mkdir -p "$tmp/part/cut,1" "$tmp/part/half,2" "$tmp/part/other,3"
# (Stopped by SIGTERM once it has begun to search, its start line said:
# SIGINT, which a background job ignores, it ignores too.)
"$build/nosan/rmapfuzz" explore -p "$drawn" "${kb[@]}" --jobs 1 --json >"$tmp/part/cut,1/shard-0-of-1.json" 2>"$tmp/cut.err" &
cut_pid=$!
for _ in $(seq 100); do grep -q "bound:" "$tmp/cut.err" && break; sleep 0.1; done
sleep 0.5
kill -TERM "$cut_pid"
wait "$cut_pid"
check "--kept: the stopped search is clean and interrupted" grep -q '"end": "interrupted"' "$tmp/part/cut,1/shard-0-of-1.json"
"$build/nosan/rmapfuzz" explore -p "$drawn" "${kb[@]}" --shard 0/2 --json >"$tmp/part/half,2/shard-0-of-2.json" 2>/dev/null
"$build/nosan/rmapfuzz" explore -p "$drawn" --max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1 --json \
	>"$tmp/part/other,3/shard-0-of-1.json" 2>/dev/null
kept_run "$tmp/part" k2 --json
expect_rc "bench --kept, no whole search" 0 "$rc"
json_check "--kept: a stopped search, half a split and another bound are no verdict of the bound" "$tmp/k2.out" \
	"(lambda p: p['explorer']['kept_search'] is None and isinstance(p['explorer']['stopped_after_ops'], int) and p['agree'])(d['random_protocols']['protocols'][0])"

# A violation is the bound's wherever a kept search found it (here
# linux-3.14's at the same bound, named as the draw): the row is violated,
# and the silent fuzzer missed it.
mkdir -p "$tmp/bad/v"
"$build/nosan/rmapfuzz" explore -p linux-3.14 "${kb[@]}" --stop-at-violation --jobs 1 --json 2>/dev/null |
	sed "s/{\"protocol\": \"linux-3.14\", /{\"protocol\": \"$drawn\", /" >"$tmp/bad/v/shard-0-of-1.json"
kept_run "$tmp/bad" k3 --json
expect_rc "bench --kept, a violated kept search" 0 "$rc"
json_check "--kept: a violated kept search's verdict and invariants" "$tmp/k3.out" \
	"(lambda p: p['explorer']['verdict'] == 'violated' and 'split-missed-pmd' in p['explorer']['invariants'] and p['explorer']['kept_search']['dir'] == '$tmp/bad/v' and p['disagreement'] == 'missed')(d['random_protocols']['protocols'][0])"
rc=0
RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" --random-protocols 1 --kept "$tmp/no-such-dir" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "bench --kept with no such directory" 2 "$rc"
contains "bench --kept with no such directory: said" "$tmp/err" "--kept: no directory '$tmp/no-such-dir'"

# The options of the other benchmark are not this one's, nor these its.
for c in "--random-protocols 1 --protocols linux-3.14" "--random-protocols 1 --searches-only" \
	"--explore-args=--max-ops=2" "--random-seed 3" "--invariants walk" "--random-protocols 0" \
	"--explore-seconds 5" "--random-protocols 1 --explore-seconds x" \
	"--random-protocols 1 --invariants nope" "--kept none"; do
	rc=0
	# shellcheck disable=SC2086 # options and their values
	RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" $c >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "bench $c" 2 "$rc"
done
# A value may hold a colon (bench once split NAME:VALUE:DEFAULT strings).
rc=0
RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" --explore-args "--ops a:b:" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "bench --explore-args with colons, alone" 2 "$rc"
contains "bench --explore-args with colons, alone: said" "$tmp/err" "--explore-args is for --random-protocols"
# --explore-args checked before any work: the explorer's refusal, and what
# bench sets itself (a shard's verdict would stand as the whole bound's).
for c in "--max-ops 99|--max-ops wants a number from 2 to 8" "--shard 1/2|'--shard' is bench's to set" \
	"-p linux-3.14|'-p' is bench's to set" "--json|'--json' is bench's to set" \
	"--sh 0/2|'--sh' (--shard) is bench's to set"; do
	rc=0
	RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" --random-protocols 1 --explore-args "${c%%|*}" >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "bench --explore-args '${c%%|*}'" 2 "$rc"
	contains "bench --explore-args '${c%%|*}': said" "$tmp/err" "--explore-args: "
	contains "bench --explore-args '${c%%|*}': why" "$tmp/err" "${c#*|}"
done
rc=0
RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" --random-protocols 3 --random-seed 2 --invariants walk,tlb \
	--explore-args "--max-ops 3" || rc=$?
expect_rc "bench --random-protocols: its options" 0 "$rc"
finish
