#!/usr/bin/env bash
# Campaigns from a checkout whose path has blanks: crashes are kept (one
# job with --time fuzzes on past the first crash); the summary's new
# inputs are those whose content the corpus did not hold before (never
# negative, also after a merge shrank the corpus), its exec/s is over the
# fuzzing time only, and each campaign has a log of its own; --empty finds
# the mail's race from nothing.
# Usage: fuzz_campaign_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/fuzz_campaign_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/fuzz_campaign_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

co="$tmp/a checkout/with blanks"
copy_checkout "$co" with-build
unset RMAPFUZZ_BUILD_DIR RMAPFUZZ_WORK_DIR RMAPFUZZ_CRASHERS_DIR
tracked=$(cd "$co/crashers" && find . -type f | sort)

# 1. One job, --time: crashes do not end it; each is kept.
rc=0
(cd "$co" && timeout 120 tools/fuzz.sh linux-3.12 --time 6 --invariants walk) >"$tmp/one.out" 2>&1 || rc=$?
expect_rc "one job, --time 6" 0 "$rc"
contains "the summary" "$tmp/one.out" "fuzz: summary for linux-3.12 after"
lacks "no crash ended it" "$tmp/one.out" "a crash ended the campaign"
lacks "no file went missing" "$tmp/one.out" "no such file"
# The stop kills libFuzzer's fork-mode leader on purpose: no job-status
# line of bash's ("line N: PID Killed ...") reads as a failure.
lacks "no job-status line" "$tmp/one.out" "Killed"
files=$(find "$co/build/crashes/linux-3.12" -type f | wc -l)
check "fuzzed on past the first crash ($files crash files)" [ "$files" -ge 2 ]
contains "every crash file counted" "$tmp/one.out" "  crashes      $files file(s) in build/crashes/linux-3.12, 1 signature(s)"
contains "the signature, once" "$tmp/one.out" "    rmap violation: split-missed-pmd (linux-3.12): $files crash file(s)"
kept=$(sed -nE 's/.*; (kept|wrote) (.*) \([0-9]+ records\)$/\2/p' "$tmp/one.out" | tail -n 1)
case $kept in
crashers/linux-3.12/split-missed-pmd-*.bin) pass ;;
*) fail "the kept crasher: '$kept'" ;;
esac
check "the kept crasher is there ($kept)" [ -f "$co/$kept" ]
if grep -qE "ours [0-9]+ records, libFuzzer's [0-9]+;" "$tmp/one.out"; then pass; else
	fail "both minimizers ran from the path with blanks: $(grep 'keep-crash:' "$tmp/one.out")"
fi
# "read it:" is a command line that runs as printed, from the checkout.
read_it=$(sed -nE 's/^      read it: (.*)/\1/p' "$tmp/one.out" | head -n 1)
rc=0
(cd "$co" && eval "$read_it") >"$tmp/read.out" 2>&1 || rc=$?
expect_rc "read it: $read_it" 1 "$rc"
contains "read it: the report" "$tmp/read.out" "rmap violation: split-missed-pmd (linux-3.12)"
same "crashers/ as it was" "$tracked" "$(cd "$co/crashers" && find . -type f | sort)"

# 2. A corpus of 40 inputs that cover what 4 or so do: the merge shrinks
# it and renames what it keeps (the count of files once went negative).
# New inputs: those whose content was not in the corpus before.
corpus="$co/build/corpus/linux-3.15"
mkdir -p "$corpus"
i=0
for f in "$co"/build/seeds/rmap_fuzzer/*.bin; do
	i=$((i + 1))
	[ "$i" -le 40 ] || break
	cp "$f" "$corpus/input-$i"
done
hashes() { find "$corpus" -type f -print0 | xargs -0 -r sha1sum | cut -c1-40 | sort -u; }
hashes >"$tmp/before"
rc=0
# --time 8: the merge comes after a first round of 2 s, if the campaign has
# time left then; on a loaded machine its start alone took 2 s and more,
# and with --time 4 no merge came.
(cd "$co" && timeout 120 tools/fuzz.sh linux-3.15 --time 8 --merge-every 2) >"$tmp/merge.out" 2>&1 || rc=$?
expect_rc "a campaign with a merge" 0 "$rc"
contains "the corpus was merged" "$tmp/merge.out" "fuzz: merging the corpus"
hashes >"$tmp/after"
n=$(find "$corpus" -type f | wc -l)
same "the merge rewrote the corpus (libFuzzer's names)" 0 "$(find "$corpus" -name 'input-*' | wc -l)"
new=$(comm -13 "$tmp/before" "$tmp/after" | wc -l)
contains "new inputs by content" "$tmp/merge.out" "  corpus       $n inputs in build/corpus/linux-3.15 ($new new)"
if grep -qE '\(-[0-9]+ new\)' "$tmp/merge.out"; then fail "a negative count of new inputs"; else pass; fi
# exec/s: the executions over the fuzzing time, which leaves the merge out.
line=$(grep '^  executions ' "$tmp/merge.out")
read -r execs rate fuzzing < <(sed -nE 's/^  executions +([0-9]+) \(([0-9]+)\/s over ([0-9.]+)s of fuzzing.*/\1 \2 \3/p' <<<"$line")
wall=$(sed -nE 's/^fuzz: summary for linux-3.15 after ([0-9.]+)s .*/\1/p' "$tmp/merge.out")
if [ -n "${rate:-}" ] && [ -n "${wall:-}" ]; then
	check "exec/s is executions over fuzzing time ($line)" \
		awk -v e="$execs" -v r="$rate" -v t="$fuzzing" 'BEGIN {x = e / t; exit !(r >= x * 0.98 - 1 && r <= x * 1.02 + 1)}'
	check "the fuzzing time leaves the merge out (${fuzzing}s of ${wall}s)" awk -v f="$fuzzing" -v w="$wall" 'BEGIN {exit !(f < w)}'
else
	fail "no executions or time in the summary: $line"
fi

# 3. A log per campaign: two campaigns in the same second keep both. On
# all-fixes, silent in every family: a crash would end a campaign of
# -runs (linux-3.15's TLB race is found in a few hundred runs).
for k in 1 2; do
	rc=0
	(cd "$co" && timeout 60 tools/fuzz.sh all-fixes -- -runs=100) >"$tmp/log$k.out" 2>&1 || rc=$?
	expect_rc "a short campaign ($k)" 0 "$rc"
done
log1=$(sed -nE 's/^  log          (.*)/\1/p' "$tmp/log1.out")
log2=$(sed -nE 's/^  log          (.*)/\1/p' "$tmp/log2.out")
case $log1 in build/logs/fuzz-all-fixes-[0-9]*-[0-9]*.log) pass ;; *) fail "the log's name: '$log1'" ;; esac
check "two campaigns, two logs ($log1, $log2)" [ "$log1" != "$log2" ]
for l in "$log1" "$log2"; do
	contains "$l keeps its campaign's summary" "$co/$l" "fuzz: summary for all-fixes"
done
same "the logs of the four campaigns" 4 "$(find "$co/build/logs" -name 'fuzz-*.log' | wc -l)"

# 4. --empty: the README's demo. From nothing (no seeds, a scratch corpus
# thrown away), the fuzzer finds the mail's race by itself.
before=$(find "$co/build/corpus" -type f | sort)
rc=0
(cd "$co" && timeout 120 tools/fuzz.sh linux-3.12 --empty --invariants walk) >"$tmp/empty.out" 2>&1 || rc=$?
expect_rc "--empty: libFuzzer's crash status" 77 "$rc"
contains "--empty: no seeds" "$tmp/empty.out" "fuzz: from an empty corpus, no seeds (--empty)"
contains "--empty: libFuzzer starts from nothing" "$tmp/empty.out" "INFO: A corpus is not provided, starting from an empty corpus"
contains "--empty: found the race" "$tmp/empty.out" "rmap violation: split-missed-pmd (linux-3.12): 1 crash file(s)"
contains "--empty: its corpus discarded" "$tmp/empty.out" "inputs in a scratch corpus, discarded (--empty)"
same "--empty: the working corpora untouched" "$before" "$(find "$co/build/corpus" -type f | sort)"

finish
