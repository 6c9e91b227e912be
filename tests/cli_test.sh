#!/usr/bin/env bash
# The command-line contract (fuzzing.md): rmapfuzz protocols/replay/trace,
# their exit codes and last lines, and rmap_fuzzer's protocol check.
# Usage: cli_test.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
passes=0

expect() { # description, expected exit, actual exit
	if [ "$2" = "$3" ]; then
		passes=$((passes + 1))
	else
		echo "FAIL: $1: exit $3, expected $2" >&2
		failures=$((failures + 1))
	fi
}
contains() { # description, file, text
	if grep -qF -- "$3" "$2"; then
		passes=$((passes + 1))
	else
		echo "FAIL: $1: '$3' not in output:" >&2
		head -20 "$2" >&2
		failures=$((failures + 1))
	fi
}

# The mail's race (tests/test_fuzz.c): split-missed-pmd under linux-3.14.
printf '\x81\x00\x00\x03\x82\x00\x02\x01\x84\x08\x02\x08\x04\x08\x08\x02\x06\x00\x00\x00\x00\x39\x00\xdc' > "$tmp/mail.bin"

"$build/rmapfuzz" protocols > "$tmp/out" 2>&1
expect "protocols" 0 $?
contains "protocols lists linux-3.15" "$tmp/out" "linux-3.15"
contains "protocols lists linux-3.14" "$tmp/out" "linux-3.14"

"$build/rmapfuzz" replay --protocol linux-3.15 --every-step "$build/seeds/rmap_fuzzer" > "$tmp/out" 2>&1
expect "seed corpus replays clean" 0 $?
last=$(tail -n 1 "$tmp/out")
n=$(find "$src/corpus/rmap_fuzzer" -name '*.txt' | wc -l)
[ "$n" -gt 0 ] || { echo "FAIL: no seeds" >&2; failures=$((failures + 1)); }
[ "$last" = "$n passed, 0 failed" ] && passes=$((passes + 1)) || {
	echo "FAIL: seed corpus last line '$last'" >&2
	failures=$((failures + 1))
}

for i in 1 2 3 4 5 6 7 8 9 10; do
	"$build/rmapfuzz" replay --protocol linux-3.14 "$tmp/mail.bin" > "$tmp/out" 2>&1
	expect "mail race violates under linux-3.14 (run $i)" 1 $?
done
contains "report's first line" "$tmp/out" "rmap violation: split-missed-pmd (linux-3.14)"
[ "$(tail -n 1 "$tmp/out")" = "0 passed, 1 failed" ] && passes=$((passes + 1)) || {
	echo "FAIL: violation last line" >&2
	failures=$((failures + 1))
}

RMAP_PROTOCOL=linux-3.14 "$build/rmapfuzz" replay --protocol linux-3.15 "$tmp/mail.bin" > "$tmp/out" 2>&1
expect "the option beats the environment; linux-3.15 passes the race" 0 $?

"$build/rmapfuzz" replay --protocol no-such-protocol "$tmp/mail.bin" > "$tmp/out" 2>&1
expect "unknown protocol" 2 $?
contains "unknown protocol lists the names" "$tmp/out" "linux-3.15"

"$build/rmapfuzz" replay "$tmp/does-not-exist" > "$tmp/out" 2>&1
expect "missing file" 2 $?
contains "missing file named" "$tmp/out" "does-not-exist"

"$build/rmapfuzz" replay > "$tmp/out" 2>&1
expect "replay without files" 2 $?
"$build/rmapfuzz" frobnicate > "$tmp/out" 2>&1
expect "unknown command" 2 $?

"$build/rmapfuzz" trace --protocol linux-3.14 "$tmp/mail.bin" > "$tmp/out" 2>&1
expect "trace of a violating input" 1 $?
contains "trace names steps" "$tmp/out" "move_huge_pmd"

# Scenario text: show and encode round trip; errors name FILE:LINE:COL.
"$build/rmapfuzz" show "$tmp/mail.bin" > "$tmp/mail.txt" 2>&1
expect "show" 0 $?
contains "show writes scenario text" "$tmp/mail.txt" "mremap  mm0 slot8 2P -> slot2"
"$build/rmapfuzz" encode "$tmp/mail.txt" -o "$tmp/mail2.bin" > "$tmp/out" 2>&1
expect "encode" 0 $?
cmp -s "$tmp/mail.bin" "$tmp/mail2.bin" && passes=$((passes + 1)) || {
	echo "FAIL: encode(show(x)) != x" >&2
	failures=$((failures + 1))
}
"$build/rmapfuzz" replay --protocol linux-3.14 "$tmp/mail.txt" > "$tmp/out" 2>&1
expect "replay reads scenario text" 1 $?
printf 'mmap mm0 slot0 4P now\nfault mm0 slot2 thp\nmremap mm0 slot8 -> slot2\n' > "$tmp/bad.txt"
"$build/rmapfuzz" encode "$tmp/bad.txt" -o "$tmp/bad.bin" > "$tmp/out" 2>&1
expect "malformed scenario" 2 $?
contains "FILE:LINE:COL" "$tmp/out" "$tmp/bad.txt:3:18: expected a length"
[ ! -e "$tmp/bad.bin" ] && passes=$((passes + 1)) || {
	echo "FAIL: a malformed scenario wrote output" >&2
	failures=$((failures + 1))
}
"$build/rmapfuzz" encode "$tmp/mail.bin" -o "$tmp/x.bin" > "$tmp/out" 2>&1
expect "encode wants .txt" 2 $?
"$build/rmapfuzz" minimize --protocol linux-3.14 "$tmp/mail.bin" -o "$tmp/min.bin" > "$tmp/out" 2>&1
expect "minimize" 0 $?
contains "minimize keeps the signature" "$tmp/out" "rmap violation: split-missed-pmd (linux-3.14)"
"$build/rmapfuzz" minimize --protocol linux-3.15 "$tmp/mail.bin" -o "$tmp/min.bin" > "$tmp/out" 2>&1
expect "minimize of a passing input" 1 $?

# The lock cost the mail weighs: the templist takes the anon_vma lock a
# second time per mremap and per forked vma.
"$build/rmapfuzz" cost --protocol linux-3.15 > "$tmp/out" 2>&1
expect "cost" 0 $?
contains "cost of linux-3.15" "$tmp/out" "4 to a new vma, 3 into a merged one; per fork of 2 vmas: 2"
"$build/rmapfuzz" cost --protocol templist > "$tmp/out" 2>&1
contains "cost of the templist" "$tmp/out" "5 to a new vma, 3 into a merged one; per fork of 2 vmas: 4"
# Blind random testing is deterministic per seed.
"$build/rmapfuzz" blind --protocol tree-left 1 30 > "$tmp/out" 2>&1
expect "blind finds tree-left" 1 $?
contains "blind's verdict" "$tmp/out" "found"
"$build/rmapfuzz" blind --protocol tree-left x 30 > "$tmp/out" 2>&1
expect "blind with a bad seed" 2 $?

if [ -x "$build/rmap_fuzzer" ]; then
	RMAP_PROTOCOL=no-such-protocol "$build/rmap_fuzzer" -runs=0 > "$tmp/out" 2>&1
	expect "rmap_fuzzer: unknown protocol" 2 $?
	contains "rmap_fuzzer lists the names" "$tmp/out" "linux-3.14"
	# libFuzzer writes new inputs to its first corpus directory: a scratch one.
	mkdir "$tmp/corpus"
	RMAP_PROTOCOL=linux-3.15 "$build/rmap_fuzzer" -runs=200 "$tmp/corpus" "$src/corpus/rmap_fuzzer" > "$tmp/out" 2>&1
	expect "rmap_fuzzer runs the seeds under linux-3.15" 0 $?
	RMAP_PROTOCOL=linux-3.14 "$build/rmap_fuzzer" -artifact_prefix="$tmp/" "$tmp/mail.bin" > "$tmp/out" 2>&1
	[ $? -ne 0 ] && passes=$((passes + 1)) || { echo "FAIL: rmap_fuzzer did not crash on the race" >&2; failures=$((failures + 1)); }
	contains "rmap_fuzzer report" "$tmp/out" "rmap violation: split-missed-pmd (linux-3.14)"
	contains "rmap_fuzzer traps from the invariant's function" "$tmp/out" "violation_split_missed_pmd"
	# The search clock starts at the first input the mutator made: a
	# replay has none; from an empty corpus the race comes after
	# libFuzzer's two made-up inputs (an empty one and a newline), some
	# time into the search.
	contains "a replay took no search" "$tmp/out" "violation after 0.0000 s of search, input 1"
	mkdir "$tmp/search"
	RMAP_PROTOCOL=unlink-first "$build/rmap_fuzzer" -seed=1 -max_total_time=60 \
		-artifact_prefix="$tmp/search/" > "$tmp/out" 2>&1
	[ $? -ne 0 ] && passes=$((passes + 1)) ||
		{ echo "FAIL: rmap_fuzzer did not find unlink-first from an empty corpus" >&2; failures=$((failures + 1)); }
	grep -qE "violation after (0\.0*[1-9][0-9]*|[1-9][0-9.]*) s of search, input ([3-9]|[1-9][0-9]+)$" "$tmp/out" &&
		[ "$(grep -c "of search" "$tmp/out")" = 1 ] && passes=$((passes + 1)) ||
		{ echo "FAIL: the search's report line:" >&2; grep "of search" "$tmp/out" >&2; failures=$((failures + 1)); }
fi

echo "cli: $passes passed, $failures failed"
[ "$failures" -eq 0 ]
