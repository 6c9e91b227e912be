#!/usr/bin/env bash
# The command-line contract (fuzzing.md): rmapfuzz's commands, their exit
# codes, help and errors, inputs and outputs on disk, and rmap_fuzzer's
# protocol and input checks. "point N" names the defect of issue 14 a
# check holds fixed.
# Usage: cli_test.sh BUILD_DIR SOURCE_DIR
set -u
build=${1:?usage: tests/cli_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/cli_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

b="$build/rmapfuzz"
run() { # EXPECTED_EXIT DESCRIPTION -- COMMAND...: output in $tmp/out, stderr in $tmp/err
	local want=$1 what=$2 rc
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect_rc "$what" "$want" "$rc"
}
not() { ! "$@"; }
# The mail's race (tests/test_fuzz.c): split-missed-pmd under linux-3.14.
printf '\x81\x00\x00\x03\x82\x00\x02\x01\x84\x08\x02\x08\x04\x08\x08\x02\x06\x00\x00\x00\x00\x39\x00\xdc' > "$tmp/mail.bin"

"$build/rmapfuzz" protocols > "$tmp/out" 2>&1
expect_rc "protocols" 0 $?
contains "protocols lists linux-3.15" "$tmp/out" "linux-3.15"
contains "protocols lists linux-3.14" "$tmp/out" "linux-3.14"

"$build/rmapfuzz" replay --protocol linux-3.15 --every-step "$build/seeds/rmap_fuzzer" > "$tmp/out" 2>&1
expect_rc "seed corpus replays clean" 0 $?
last=$(tail -n 1 "$tmp/out")
n=$(find "$src/corpus/rmap_fuzzer" -name '*.txt' | wc -l)
[ "$n" -gt 0 ] || fail "no seeds"
check "seed corpus last line '$last'" [ "$last" = "$n passed, 0 failed" ]

for i in 1 2 3 4 5 6 7 8 9 10; do
	"$build/rmapfuzz" replay --protocol linux-3.14 "$tmp/mail.bin" > "$tmp/out" 2>&1
	expect_rc "mail race violates under linux-3.14 (run $i)" 1 $?
done
contains "report's first line" "$tmp/out" "rmap violation: split-missed-pmd (linux-3.14)"
check "violation last line" [ "$(tail -n 1 "$tmp/out")" = "0 passed, 1 failed" ]

RMAP_PROTOCOL=linux-3.14 "$build/rmapfuzz" replay --protocol linux-3.15 "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "the option beats the environment; linux-3.15 passes the race" 0 $?

# The invariant families: the mail's race is the walk family's.
"$build/rmapfuzz" replay --protocol linux-3.14 --invariants tlb "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "the walks' race under --invariants tlb passes" 0 $?
RMAP_INVARIANTS=tlb "$build/rmapfuzz" replay --protocol linux-3.14 "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "RMAP_INVARIANTS=tlb too" 0 $?
RMAP_INVARIANTS=tlb "$build/rmapfuzz" replay --protocol linux-3.14 --invariants walk,tlb "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "--invariants beats RMAP_INVARIANTS" 1 $?
"$build/rmapfuzz" replay --invariants walks "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "unknown family" 2 $?
contains "unknown family named" "$tmp/out" "unknown invariant family 'walks'"
RMAP_INVARIANTS=bogus "$build/rmapfuzz" replay "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "unknown family in RMAP_INVARIANTS" 2 $?
"$build/rmapfuzz" invariants > "$tmp/out" 2>&1
expect_rc "invariants" 0 $?
contains "invariants: stale-tlb is the tlb family's" "$tmp/out" "  stale-tlb"
"$build/rmap_fuzzer" -invariants=nope -runs=1 > "$tmp/out" 2>&1
expect_rc "rmap_fuzzer: unknown family" 2 $?

"$build/rmapfuzz" replay --protocol no-such-protocol "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "unknown protocol" 2 $?
contains "unknown protocol lists the names" "$tmp/out" "linux-3.15"

# Ad-hoc protocols (protocol_spec.h): a spec stands where a row's name
# goes, runs and reports under its canonical name; a bad one is exit 2
# naming the bad switch and the known ones, before any work.
spec='linux-3.15+pmd_move_locks=never,split_pmd_peek'
run 1 "spec: the mail race under linux-3.14's switches" -- "$b" replay --protocol "$spec" "$tmp/mail.bin"
contains "spec: reported under its name" "$tmp/out" "rmap violation: split-missed-pmd ($spec)"
run 0 "spec from \$RMAP_PROTOCOL" -- env RMAP_PROTOCOL='linux-3.19+split_retry' "$b" replay --json "$tmp/mail.bin"
# shellcheck disable=SC2016 # $RMAP_PROTOCOL is the output's text
contains "spec: the canonical name, relative to linux-3.15" "$tmp/out" \
	'"protocol": "linux-3.15+split_retry,anon_vma_reuse=degree", "protocol_from": "from $RMAP_PROTOCOL"'
run 0 "spec: protocols shows one" -- "$b" protocols 'linux-3.19+anon_vma_reuse=counts'
contains "spec: named canonically" "$tmp/out" "linux-3.15+anon_vma_reuse=counts"
contains "spec: expected unknown" "$tmp/out" "expected:       unknown"
contains "spec: says which row it is like" "$tmp/out" "the switches of row reuse-fixed"
run 0 "spec: protocols --tsv" -- "$b" protocols --tsv linux-3.14 "$spec"
check "spec: --tsv, a header, the row, then the spec" [ "$(awk -F'\t' 'NR > 1 {print $1 "|" $2 "|" $NF}' "$tmp/out")" = \
	"linux-3.14|split misses a pmd; split-vs-zap kernel BUG|$spec
$spec|unknown|$spec" ]
run 0 "protocols --spec" -- "$b" protocols --spec
check "protocols --spec: a line a row" [ "$(wc -l <"$tmp/out")" = "$("$b" protocols --tsv | tail -n +2 | wc -l)" ]
check "protocols --spec: linux-3.15 is itself" [ "$(head -n 1 "$tmp/out")" = linux-3.15 ]
contains "protocols --spec: linux-3.14 by its switches" "$tmp/out" "$spec"
for bad in "linux-3.15+nope:unknown switch 'nope' in 'linux-3.15+nope'; known: index=tree|list" \
	"linux-3.15+index=bad:bad value 'bad' for switch index" \
	"linux-3.15+moveto_tail:moveto_tail needs index=list" \
	"nope+split_retry:unknown row 'nope' before the '+'" \
	"linux-3.15+:an empty switch"; do
	for cmd in replay show blind; do
		args=("$tmp/mail.bin")
		[ "$cmd" = blind ] && args=(1 1)
		run 2 "spec ${bad%%:*}: $cmd --protocol" -- "$b" "$cmd" --protocol "${bad%%:*}" "${args[@]}"
		contains "spec ${bad%%:*}: $cmd says why" "$tmp/err" "${bad#*:}"
	done
	run 2 "spec ${bad%%:*}: \$RMAP_PROTOCOL" -- env RMAP_PROTOCOL="${bad%%:*}" "$b" replay "$tmp/mail.bin"
	contains "spec ${bad%%:*}: \$RMAP_PROTOCOL says why" "$tmp/err" "${bad#*:}"
	run 2 "spec ${bad%%:*}: explore --protocol" -- "$b" explore --protocol "${bad%%:*}" --max-ops 2
	contains "spec ${bad%%:*}: explore says why" "$tmp/err" "${bad#*:}"
	run 2 "spec ${bad%%:*}: protocols" -- "$b" protocols "${bad%%:*}"
done
# A crasher records its ad-hoc protocol as a row's: in its header, in its
# directory's name.
run 0 "spec: minimize under a spec" -- "$b" minimize --protocol "$spec" "$tmp/mail.bin" -o "$tmp/spec-min.txt"
run 1 "spec: the minimized crasher replays" -- "$b" replay "$tmp/spec-min.txt"
contains "spec: its header names the spec" "$tmp/out" "($spec, recorded in its .txt header)"
mkdir -p "$tmp/crashes/$spec"
cp "$tmp/mail.bin" "$tmp/crashes/$spec/race.bin"
run 1 "spec: a crasher in a directory named by a spec" -- "$b" replay "$tmp/crashes"
contains "spec: from its directory" "$tmp/out" "($spec, from the directory it is in)"
# The explorer: a spec explored, its verdict its own (agrees "-"), merged back.
run 0 "spec: explore" -- "$b" explore --protocol "$spec" --max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1 --json
contains "spec: explore's result" "$tmp/out" "\"protocol\": \"$spec\", \"verdict\": \"violated\", \"expected\": \"unknown\", \"agrees\": \"-\""
cp "$tmp/out" "$tmp/spec-explore.json"
run 0 "spec: explore --merge" -- "$b" explore --merge "$tmp/spec-explore.json"
contains "spec: merged" "$tmp/out" "| $spec | "
# --ops: exec (and walks of the pages it maps) in the menu finds the ad-hoc
# no_stack_skip's race, says the menu in the bound, and the counterexample
# it writes replays; a name not on the menu is refused.
nss='linux-3.15+no_stack_skip'
run 0 "explore --ops exec,walks" -- "$b" explore --protocol "$nss" --ops exec,walks --max-ops 2 --max-conc 2 \
	--max-pmds 1 --max-mms 2 -o "$tmp/nss" --json
contains "explore --ops: the menu in the bound" "$tmp/out" "menu exec; walks of every mapped page"
contains "explore --ops: the menu in the JSON" "$tmp/out" "\"ops\": \"exec,walks\""
contains "explore --ops: no_stack_skip broken" "$tmp/out" "\"verdict\": \"violated\""
cp "$tmp/out" "$tmp/nss.json"
run 0 "explore --ops: --merge keeps the menu" -- "$b" explore --merge "$tmp/nss.json"
contains "explore --ops: merged bound" "$tmp/out" "menu exec; walks of every mapped page"
run 1 "explore --ops: its counterexample replays" -- "$b" replay "$tmp/nss/$nss/stale-migration-entry.txt"
contains "explore --ops: the same violation" "$tmp/out" "rmap violation: stale-migration-entry ($nss)"
run 0 "explore without --ops: the 2014 menu" -- "$b" explore --protocol "$nss" --max-ops 2 --max-conc 2 \
	--max-pmds 1 --max-mms 2
contains "explore without --ops: clean" "$tmp/out" "| $nss | clean within the bound |"
contains "explore without --ops: its menu" "$tmp/out" "menu fork, munmap, mremap; preemptions"
# --every-step judges after every step, and may rightly break another
# invariant before the one a header records: no crasher is held to it.
run 1 "replay --every-step crashers/" -- "$b" replay --every-step "$src/crashers"
lacks "replay --every-step crashers/: none held to its header" "$tmp/out" "NOT AS RECORDED"
# The tlb family without an access in the menu: said, as no TLB is filled.
run 0 "explore --invariants tlb without access" -- "$b" explore --protocol linux-3.15 --invariants tlb \
	--max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1
contains "explore tlb without access: the note" "$tmp/err" "only an access fills a TLB and the menu has none"
run 0 "explore --invariants tlb with access" -- "$b" explore --protocol linux-3.15 --invariants tlb \
	--ops mremap,access --max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1
lacks "explore tlb with access: no note" "$tmp/err" "only an access fills a TLB"
run 2 "explore --ops nope" -- "$b" explore --ops fork,nope --max-ops 2
contains "explore --ops nope: says why" "$tmp/err" "no menu operation 'nope'"
# --dry-run: the search said, none run (the default bound over every row
# would take hours), nothing written; options refused as a search's are.
run 0 "explore --dry-run" -- "$b" explore --all --ops fork,exec --dry-run -o "$tmp/dry"
contains "explore --dry-run: every row" "$tmp/out" "$("$b" protocols | grep -c "^[a-z]") protocol(s): linux-3.15 all-fixes "
contains "explore --dry-run: the bound" "$tmp/out" "bound: 5 operations (set-up alone, then 2..3 concurrent, one a walk), 6 pmds, 3 mms; menu fork, exec;"
contains "explore --dry-run: said" "$tmp/out" "nothing searched (--dry-run)"
lacks "explore --dry-run: no table" "$tmp/out" "| linux-3.14 |"
check "explore --dry-run: no -o DIR" [ ! -e "$tmp/dry" ]
run 2 "explore --dry-run, a bad bound" -- "$b" explore -p linux-3.15 --max-conc 4 --max-ops 3 --dry-run
contains "explore --dry-run, a bad bound: says why" "$tmp/err" "--max-conc is more than --max-ops"
run 2 "explore --dry-run --merge" -- "$b" explore --merge --dry-run "$tmp/spec-explore.json"
contains "explore --dry-run --merge: says why" "$tmp/err" "--merge searches nothing"
run 2 "explore --dry-run --json" -- "$b" explore -p linux-3.15 --dry-run --json
contains "explore --dry-run --json: says why" "$tmp/err" "as text, not --json"
# -o DIR: checked before the search (a search of hours must not end
# unable to write), made with its parents; one under a file refused.
tiny=(--max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1)
: >"$tmp/afile"
run 2 "explore -o under a file" -- "$b" explore -p linux-3.14 "${tiny[@]}" -o "$tmp/afile/x"
contains "explore -o under a file: says why" "$tmp/err" "-o $tmp/afile/x: "
empty "explore -o under a file: refused before the search" "$tmp/out"
lacks "explore -o under a file: nothing searched" "$tmp/err" "protocol(s), bound:"
run 2 "explore --dry-run -o under a file" -- "$b" explore -p linux-3.14 "${tiny[@]}" -o "$tmp/afile/x" --dry-run
run 0 "explore -o with missing parents" -- "$b" explore -p linux-3.14 "${tiny[@]}" -o "$tmp/new1/new2"
check "explore -o with missing parents: the counterexample written" [ -s "$tmp/new1/new2/linux-3.14/kernel-bug.txt" ]
contains "explore: one preemption, singular" "$tmp/out" "split-missed-pmd (2 ops, 7 steps, 1 preemption) |"
contains "explore: one protocol, singular" "$tmp/out" "1 protocol in "
# A later run into the same DIR that finds less leaves the earlier files,
# and says they are not its own.
run 0 "explore -o again, finding nothing" -- "$b" explore -p linux-3.14 "${tiny[@]}" --preemptions 0 -o "$tmp/new1/new2"
contains "explore -o again: the earlier file said" "$tmp/err" "note: $tmp/new1/new2/linux-3.14/kernel-bug.txt is an earlier run's"
check "explore -o again: the earlier file kept" [ -s "$tmp/new1/new2/linux-3.14/kernel-bug.txt" ]
run 2 "explore with a protocol twice" -- "$b" explore -p linux-3.14 -p linux-3.15 -p linux-3.14 --dry-run
contains "explore with a protocol twice: says so" "$tmp/err" "--protocol linux-3.14 given twice"
run 2 "explore --all with a protocol" -- "$b" explore --all -p linux-3.14 --dry-run
contains "explore --all with a protocol: says so" "$tmp/err" "--all is every row: not with --protocol"
for o in --max-ops=3 --jobs=2 --stop-at-violation --no-dedup "--shard 1/2"; do
	# shellcheck disable=SC2086 # an option and its value
	run 2 "explore --merge $o" -- "$b" explore --merge $o "$tmp/spec-explore.json"
	contains "explore --merge $o: says why" "$tmp/err" "searches nothing, not ${o%%[ =]*}"
done
# --stop-at-violation: linux-3.14 breaks both invariants with 2 operations,
# so the third level is not searched, and the result says so, in the JSON
# too; --merge keeps what was searched.
run 0 "explore --stop-at-violation" -- "$b" explore --protocol linux-3.14 --max-ops 3 --max-conc 2 \
	--max-pmds 2 --max-mms 1 --stop-at-violation
contains "stop-at-violation: what was searched" "$tmp/out" "linux-3.14: searched every program of 2 operations or fewer (of 3): stopped after the first level that broke an invariant"
contains "stop-at-violation: the invariants" "$tmp/out" "| linux-3.14 | kernel-bug (2 ops"
run 0 "explore --stop-at-violation --json" -- "$b" explore --protocol linux-3.14 --max-ops 3 --max-conc 2 \
	--max-pmds 2 --max-mms 1 --stop-at-violation --json
contains "stop-at-violation: JSON" "$tmp/out" '"ops_done": 2, "end": "at-violation", "not_minimized": false, "levels": [{"level": 2,'
cp "$tmp/out" "$tmp/stop.json"
run 0 "stop-at-violation: --merge" -- "$b" explore --merge "$tmp/stop.json"
contains "stop-at-violation: merged" "$tmp/out" "linux-3.14: searched every program of 2 operations or fewer (of 3)"
# Each counterexample says whether its steps are minimized; in a file from
# before they did, the result's flag is every one's.
contains "JSON: a counterexample's own not_minimized" "$tmp/stop.json" '"not_minimized": false, "input": "'
sed -E 's/"not_minimized": false, "input"/"input"/g; s/"not_minimized": false, "levels"/"not_minimized": true, "levels"/' \
	"$tmp/stop.json" >"$tmp/old-flag.json"
run 0 "merge: a file from before counterexamples had a flag" -- "$b" explore --merge --json "$tmp/old-flag.json"
contains "merge: the result's flag, each counterexample's" "$tmp/out" '"not_minimized": true, "input": "'
lacks "merge: the result's flag, none left false" "$tmp/out" '"not_minimized": false'
# Shards: a merge of all of them is the bound's result; of some, it says
# so (a clean shard is no claim of the bound) and keeps which, to be merged
# again with the rest; a shard twice, or shards of two splits, are refused.
small=(--protocol linux-3.15 --max-ops 3 --max-conc 2 --max-pmds 2 --max-mms 1)
run 0 "explore unsharded" -- "$b" explore "${small[@]}" --json
cp "$tmp/out" "$tmp/whole.json"
for i in 0 1; do
	run 0 "explore --shard $i/2" -- "$b" explore "${small[@]}" --shard $i/2 --json
	cp "$tmp/out" "$tmp/shard$i.json"
done
run 0 "explore --shard 0/3" -- "$b" explore "${small[@]}" --shard 0/3 --json
cp "$tmp/out" "$tmp/third.json"
run 0 "merge: one shard of two" -- "$b" explore --merge "$tmp/shard0.json"
contains "merge: one shard of two, said" "$tmp/out" "| linux-3.15 | clean in 1 of 2 shards (0), not the whole bound |"
lacks "merge: one shard of two, no claim of the bound" "$tmp/out" "clean within the bound"
grep -v '"max_ops"' "$tmp/shard1.json" >"$tmp/headless.json"
run 2 "merge: a file without its header" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/headless.json"
contains "merge: a file without its header, said" "$tmp/err" "headless.json: a result before the bound and the"
# A header line without a key would have merged with a value left from the
# line before: "preemptions" gone read as a bound of 0.
sed -E 's/"preemptions": -?[0-9]+, //' "$tmp/shard1.json" >"$tmp/keyless.json"
run 2 "merge: a header line without a key" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/keyless.json"
contains "merge: a header line without a key, said" "$tmp/err" 'keyless.json: a "max_ops" line without "preemptions" (it was cut or edited)'
head -c 100 "$tmp/shard1.json" >"$tmp/cut.json"
run 2 "merge: a file cut before its results" -- "$b" explore --merge "$tmp/cut.json"
contains "merge: a file cut before its results, said" "$tmp/err" 'cut.json: no "max_ops" ... "shards" line (it was cut or edited)'
# The merge adds the levels' counts: a result's own, edited, would vanish.
sed -E 's/"interleavings": ([0-9]+), "cut"/"interleavings": 1\1, "cut"/' "$tmp/shard1.json" >"$tmp/edited.json"
run 2 "merge: a count edited" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/edited.json"
contains "merge: a count edited, said" "$tmp/err" 'edited.json: linux-3.15: its interleavings are not its last level'"'"'s (level 3) ("levels"): the file was edited'
# ... and a level's, which a merge with a part stopped at that level
# would make its figure.
sed -E 's/(\{"level": 2, "candidates": [0-9]+, "programs": [0-9]+, "translated": [0-9]+, "same_setup": [0-9]+, "states": )/\19/' \
	"$tmp/shard1.json" >"$tmp/edited-level.json"
run 2 "merge: a level's count edited" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/edited-level.json"
contains "merge: a level's count edited, said" "$tmp/err" 'edited-level.json: linux-3.15: its states fall from level 2 to level 3'
# The hash is said in the bound's text alone: a merge says it again, so a
# merge of merges still refuses another hash's shards.
run 0 "explore --byte-hash --shard 0/2" -- "$b" explore "${small[@]}" --byte-hash --shard 0/2 --json
cp "$tmp/out" "$tmp/bytes0.json"
run 0 "merge: a --byte-hash shard" -- "$b" explore --merge --json "$tmp/bytes0.json"
contains "merge: the hash said again" "$tmp/out" "states deduplicated by their bytes; shard set of 2"
cp "$tmp/out" "$tmp/bytes-merge.json"
run 2 "merge: another hash's shard" -- "$b" explore --merge "$tmp/bytes-merge.json" "$tmp/shard1.json"
contains "merge: another hash's shard, said" "$tmp/err" "shard1.json: another bound"
run 0 "merge: one shard of two, JSON" -- "$b" explore --merge --json "$tmp/shard0.json"
contains "merge: the shards it holds" "$tmp/out" '"shards_merged": "0"'
cp "$tmp/out" "$tmp/some.json"
run 0 "merge: the rest" -- "$b" explore --merge --json "$tmp/some.json" "$tmp/shard1.json"
lacks "merge: the rest, whole" "$tmp/out" "shards_merged"
programs() { sed -nE 's/.*"protocol": "linux-3.15".*"candidates": [0-9]+, "programs": ([0-9]+),.*/\1/p' "$1"; }
if [ -n "$(programs "$tmp/out")" ] && [ "$(programs "$tmp/out")" = "$(programs "$tmp/whole.json")" ]; then
	pass
else
	fail "merge: the shards' programs are not the whole's"
fi
run 0 "merge: both shards" -- "$b" explore --merge "$tmp/shard1.json" "$tmp/shard0.json"
contains "merge: both shards, the bound's claim" "$tmp/out" "| linux-3.15 | clean within the bound |"
# Which search code searched the parts: every result names its own (the
# hash of the files the search reads), a merge counts its parts' by code,
# a merge of merges still every file, and parts of two codes are warned of
# (their counts add up only if both search alike), as are files that do
# not say (an older rmapfuzz's), without a warning.
code=$(sed -nE 's/.*"search_code": "([0-9a-f]{12})".*/\1/p' "$tmp/shard0.json")
if [ -n "$code" ]; then pass; else fail "explore --json: no search_code of 12 hex digits"; fi
contains "merge: the parts' search code" "$tmp/out" "parts: 2 files searched by search code $code (rmapfuzz "
lacks "merge: one search code, no warning" "$tmp/err" "warning"
# A result it could not write (a full disk) is no exit 0.
rc=0
"$b" explore "${small[@]}" --json >/dev/full 2>"$tmp/err" || rc=$?
expect_rc "explore --json to a full disk" 2 "$rc"
contains "explore --json to a full disk: said" "$tmp/err" "rmapfuzz explore: writing the result: No space left on device"
run 0 "merge of a merge: search codes" -- "$b" explore --merge --json "$tmp/some.json" "$tmp/shard1.json"
contains "merge of a merge: every file counted" "$tmp/out" "\"parts_search_code\": [{\"search_code\": \"$code\", \"rmapfuzz\": "
contains "merge of a merge: 2 files" "$tmp/out" '"files": 2}]'
sed "s/\"search_code\": \"$code\"/\"search_code\": \"0123456789ab\"/" "$tmp/shard1.json" >"$tmp/other-code.json"
run 0 "merge: parts of two search codes" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/other-code.json"
contains "merge: parts of two search codes, warned" "$tmp/err" "warning: the parts were searched by 2 versions of the search code"
contains "merge: parts of two search codes, listed" "$tmp/out" "1 file searched by search code $code"
contains "merge: parts of two search codes, the other" "$tmp/out" "1 searched by search code 0123456789ab"
run 0 "merge: parts of two search codes, JSON" -- "$b" explore --merge --json "$tmp/shard0.json" "$tmp/other-code.json"
contains "merge: parts of two search codes, mixed" "$tmp/out" '"search_code": "mixed"'
# Parts of one search code that two builds ran (a campaign that went on
# past a commit outside the search code): each build named with its
# files, no warning, and the same again from a merge of that merge.
sed -E 's/"rmapfuzz": "[^"]*"/"rmapfuzz": "0.0.1 (git 1234567)"/' "$tmp/shard1.json" >"$tmp/other-build.json"
run 0 "merge: parts of two builds" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/other-build.json"
contains "merge: parts of two builds, each named" "$tmp/out" "parts: 2 files searched by search code $code (1 by rmapfuzz "
contains "merge: parts of two builds, the other" "$tmp/out" ", 1 by rmapfuzz 0.0.1 (git 1234567))"
lacks "merge: parts of two builds, no warning" "$tmp/err" "warning"
grep '^parts: ' "$tmp/out" >"$tmp/two-builds.parts"
run 0 "merge: parts of two builds, JSON" -- "$b" explore --merge --json "$tmp/shard0.json" "$tmp/other-build.json"
contains "merge: parts of two builds, one code" "$tmp/out" "\"search_code\": \"$code\","
contains "merge: parts of two builds, a row each" "$tmp/out" "\"rmapfuzz\": \"0.0.1 (git 1234567)\", \"files\": 1}]"
cp "$tmp/out" "$tmp/two-builds.json"
run 0 "merge of a merge of two builds" -- "$b" explore --merge "$tmp/two-builds.json"
if [ "$(cat "$tmp/two-builds.parts")" = "$(grep '^parts: ' "$tmp/out")" ]; then pass; else
	fail "merge of a merge of two builds: not the same parts"
fi
grep -v '"search_code": ' "$tmp/shard1.json" >"$tmp/unrecorded.json"
run 0 "merge: a part that does not say" -- "$b" explore --merge --json "$tmp/shard0.json" "$tmp/unrecorded.json"
contains "merge: a part that does not say, counted" "$tmp/out" '{"search_code": "", "rmapfuzz": "", "files": 1}'
contains "merge: a part that does not say, so unrecorded" "$tmp/out" '"search_code": "unrecorded"'
lacks "merge: a part that does not say, no warning" "$tmp/err" "warning"
# A merge of some shards whose other protocol is whole merges again; an
# unmerged shard claims nothing of the bound either.
run 0 "explore two protocols, shard 0/2" -- "$b" explore --protocol linux-3.14 "${small[@]}" --shard 0/2 --json
cp "$tmp/out" "$tmp/two0.json"
sed -E 's/("invariant": "[a-z-]+", "programs": )([0-9]+)/\11\2/' "$tmp/two0.json" >"$tmp/edited-inv.json"
run 2 "merge: an invariant's programs edited" -- "$b" explore --merge "$tmp/edited-inv.json"
contains "merge: an invariant's programs edited, said" "$tmp/err" "edited-inv.json: linux-3.14: its invariants' programs are not its last level's"
run 0 "merge: one shard of two, -o" -- "$b" explore --merge -o "$tmp/cex-some" "$tmp/two0.json"
contains "merge: one shard of two, -o: the counterexample's shards" "$tmp/cex-some/linux-3.14/split-missed-pmd.txt" \
	"# searched in 1 of 2 shards (0), not the whole bound: a shorter counterexample may lie in the other shards"
run 0 "explore linux-3.14, shard 1/2" -- "$b" explore --protocol linux-3.14 --max-ops 3 --max-conc 2 --max-pmds 2 \
	--max-mms 1 --shard 1/2 --json
cp "$tmp/out" "$tmp/two1.json"
run 0 "merge: one protocol whole, one not" -- "$b" explore --merge --json "$tmp/two0.json" "$tmp/shard1.json"
contains "merge: the whole one's shards listed too" "$tmp/out" '"protocol": "linux-3.15", "shards_merged": "0,1"'
cp "$tmp/out" "$tmp/mixed.json"
run 0 "merge: that merge with the rest" -- "$b" explore --merge "$tmp/mixed.json" "$tmp/two1.json"
contains "merge: that merge with the rest, whole" "$tmp/out" "| linux-3.15 | clean within the bound |"
lacks "merge: that merge with the rest, no shard left out" "$tmp/out" "not the whole bound"
run 0 "an unmerged shard" -- "$b" explore "${small[@]}" --shard 1/2
contains "an unmerged shard, said" "$tmp/out" "| linux-3.15 | clean in shard 1/2, not the whole bound | sound | yes, so far |"
# A long list of shards is read whole: 1,500 of 100,000 (6 KB), then one of
# them again, refused.
list=$(seq -s, 0 1499)
sed -e 's|; shard 0/2|; shard set of 100000|' -e 's|"shard": 0, "shards": 2|"shard": -1, "shards": 100000|' \
	-e "s|\"protocol\": \"linux-3.15\", |&\"shards_merged\": \"$list\", |" "$tmp/shard0.json" >"$tmp/long.json"
sed -e 's|; shard 0/2|; shard 1499/100000|' -e 's|"shard": 0, "shards": 2|"shard": 1499, "shards": 100000|' \
	"$tmp/shard0.json" >"$tmp/s1499.json"
run 0 "merge: a long list" -- "$b" explore --merge "$tmp/long.json"
contains "merge: a long list, counted whole" "$tmp/out" "clean in 1500 of 100000 shards (0-1499), not the whole bound"
run 2 "merge: a long list, one of it again" -- "$b" explore --merge "$tmp/long.json" "$tmp/s1499.json"
contains "merge: a long list, one of it again, said" "$tmp/err" "shard 1499/100000 merged twice"
run 2 "merge: a shard twice" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/some.json"
contains "merge: a shard twice, said" "$tmp/err" "shard 0/2 merged twice"
run 2 "merge: two splits" -- "$b" explore --merge "$tmp/shard0.json" "$tmp/third.json"
contains "merge: two splits, said" "$tmp/err" "third.json: 3 shards, where the first file's have 2"
run 2 "explore --stop-at-violation takes no value" -- "$b" explore --stop-at-violation=3
contains "explore --stop-at-violation=3: says why" "$tmp/err" "option '--stop-at-violation' doesn't allow an argument"
# A result without its levels (an older explore's) is refused, by name.
sed 's/, "ops_done": .*/}/' "$tmp/stop.json" >"$tmp/old.json"
run 2 "explore --merge: no levels" -- "$b" explore --merge "$tmp/old.json"
contains "explore --merge: no levels, said" "$tmp/err" "old.json: linux-3.14: no levels, or levels that make no sense"
# A level twice, or one with a key gone, is refused too.
sed -E 's/("levels": \[)(\{[^}]*\})/\1\2, \2/' "$tmp/stop.json" >"$tmp/twice.json"
run 2 "explore --merge: a level twice" -- "$b" explore --merge "$tmp/twice.json"
sed -E 's/"invariant_programs": \[[^]]*\]/"invariant_programs": 0/' "$tmp/stop.json" >"$tmp/noarray.json"
run 2 "explore --merge: a level's invariant counts not an array" -- "$b" explore --merge "$tmp/noarray.json"
sed -E 's/"invariant_programs": \[([0-9]+), [0-9]+\]/"invariant_programs": [\1]/' "$tmp/stop.json" >"$tmp/short.json"
run 2 "explore --merge: a count missing" -- "$b" explore --merge "$tmp/short.json"
sed 's/"level": 2, "candidates": [0-9]*, /"level": 2, /' "$tmp/stop.json" >"$tmp/nokey.json"
run 2 "explore --merge: a level's key gone" -- "$b" explore --merge "$tmp/nokey.json"
# With worker processes, one stopping at its first violating level stops
# the others there (they share where): linux-3.12's race is in level 3,
# and the result is the single process's.
run 0 "explore --stop-at-violation --jobs 2" -- "$b" explore --protocol linux-3.12 --max-ops 4 --max-conc 2 \
	--max-pmds 3 --max-mms 1 --preemptions 2 --stop-at-violation --jobs 2
contains "stop-at-violation --jobs 2: level 3" "$tmp/out" "linux-3.12: searched every program of 3 operations or fewer (of 4)"
contains "stop-at-violation --jobs 2: the race" "$tmp/out" "| linux-3.12 | split-missed-pmd (3 ops, 11 steps, 2 preemptions) |"
# Ctrl-C (SIGINT to the process group, as a terminal sends it) and SIGTERM
# to the parent alone, with worker processes: the result of the levels
# finished is printed, then exit 130 or 143. At the default bound the
# first level takes a second, the second protocol hours. --measure's
# figures (with SIGINT) say they count the level cut short.
for sig in INT TERM; do
	measure=()
	[ "$sig" = INT ] && measure=(--measure)
	set -m
	# Marked, so that the check for workers left sees this run's only
	# (not another test's running beside it).
	RMAPFUZZ_TEST_MARK="$tmp/explore-$sig" RMAPFUZZ_PROGRESS=all \
		"$b" explore --protocol linux-3.15 --protocol linux-3.14 --jobs 2 "${measure[@]}" \
		>"$tmp/out" 2>"$tmp/err" &
	pid=$!
	set +m
	# The stop after the first level, however loaded the machine: both
	# workers' progress lines for it (RMAPFUZZ_PROGRESS=all: every
	# worker's, where a terminal sees the first's only).
	for _ in $(seq 1500); do
		[ "$(grep -c "linux-3.15: every program of 2 operations done" "$tmp/err")" = 2 ] && break
		sleep 0.2
	done
	if [ "$(grep -c "linux-3.15: every program of 2 operations done" "$tmp/err")" = 2 ]; then
		pass
	else
		fail "RMAPFUZZ_PROGRESS=all: not a level line from each of the 2 workers"
	fi
	if [ "$sig" = INT ]; then kill -INT -- "-$pid"; else kill -TERM "$pid"; fi
	rc=0
	wait "$pid" || rc=$?
	expect_rc "explore stopped by SIG$sig" "$([ "$sig" = INT ] && echo 130 || echo 143)" "$rc"
	contains "explore SIG$sig: said" "$tmp/err" "rmapfuzz explore: stopped by SIG$sig: 1 of 2 protocol(s) explored"
	contains "explore SIG$sig: the result" "$tmp/out" "| linux-3.15 | clean through "
	contains "explore SIG$sig: what was searched" "$tmp/out" "interrupted in the next level"
	# The progress line on stderr says what the table says.
	levels=$(sed -nE 's/^\| linux-3.15 \| clean through ([0-9]+) operations .*/\1/p' "$tmp/out")
	contains "explore SIG$sig: the progress line's verdict" "$tmp/err" "] linux-3.15: clean through ${levels:-?} operations, "
	contains "explore SIG$sig: the programs not searched, of the levels reached" "$tmp/out" \
		"programs more in the levels reached, not searched"
	lacks "explore SIG$sig: the second protocol" "$tmp/out" "| linux-3.14 |"
	[ "$sig" = INT ] && contains "explore --measure SIGINT: the cut level said" "$tmp/err" \
		"measure: linux-3.15: these figures count the level cut short too"
	left=$(processes_marked "$tmp/explore-$sig")
	[ -z "$left" ] || fail "explore SIG$sig: a worker left running: $left"
done
# --random: N distinct draws, the same for the same seed, each a spec that
# parses back to itself and is no row's.
run 0 "protocols --random" -- "$b" protocols --random 12 --seed 7
cp "$tmp/out" "$tmp/random"
check "--random: 12 lines" [ "$(wc -l <"$tmp/random")" = 12 ]
check "--random: distinct" [ "$(sort -u "$tmp/random" | wc -l)" = 12 ]
run 0 "--random again" -- "$b" protocols --random 12 --seed 7
check "--random: the same seed, the same draws" cmp -s "$tmp/out" "$tmp/random"
run 0 "--random, another seed" -- "$b" protocols --random 12 --seed 8
check "--random: another seed, other draws" not cmp -s "$tmp/out" "$tmp/random"
"$b" protocols --spec >"$tmp/rows"
check "--random: no row's switches" not grep -qxF -f "$tmp/rows" "$tmp/random"
mapfile -t drawn <"$tmp/random"
run 0 "--random: the draws parse" -- "$b" protocols --spec "${drawn[@]}"
check "--random: each spec parses back to itself" cmp -s "$tmp/out" "$tmp/random"
run 0 "--random --tsv" -- "$b" protocols --random 3 --tsv
check "--random --tsv: a header and 3 rows" [ "$(wc -l <"$tmp/out")" = 4 ]
for bad in "--random 0" "--random x" "--random 1001" "--seed 3" "--random 2 --seed -1" "--random 2 linux-3.15"; do
	# shellcheck disable=SC2086 # options and their values
	run 2 "protocols $bad" -- "$b" protocols $bad
done

"$build/rmapfuzz" replay "$tmp/does-not-exist" > "$tmp/out" 2>&1
expect_rc "missing file" 2 $?
contains "missing file named" "$tmp/out" "does-not-exist"

"$build/rmapfuzz" replay > "$tmp/out" 2>&1
expect_rc "replay without files" 2 $?
"$build/rmapfuzz" frobnicate > "$tmp/out" 2>&1
expect_rc "unknown command" 2 $?

"$build/rmapfuzz" trace --protocol linux-3.14 "$tmp/mail.bin" > "$tmp/out" 2>&1
expect_rc "trace of a violating input" 1 $?
contains "trace names steps" "$tmp/out" "move_huge_pmd"

# Scenario text: show and encode round trip; errors name FILE:LINE:COL.
"$build/rmapfuzz" show "$tmp/mail.bin" > "$tmp/mail.txt" 2>&1
expect_rc "show" 0 $?
contains "show writes scenario text" "$tmp/mail.txt" "mremap  mm0 slot8 2P -> slot2"
"$build/rmapfuzz" encode "$tmp/mail.txt" -o "$tmp/mail2.bin" > "$tmp/out" 2>&1
expect_rc "encode" 0 $?
check "encode(show(x)) = x" cmp -s "$tmp/mail.bin" "$tmp/mail2.bin"
"$build/rmapfuzz" replay --protocol linux-3.14 "$tmp/mail.txt" > "$tmp/out" 2>&1
expect_rc "replay reads scenario text" 1 $?
printf 'mmap mm0 slot0 4P now\nfault mm0 slot2 thp\nmremap mm0 slot8 -> slot2\n' > "$tmp/bad.txt"
"$build/rmapfuzz" encode "$tmp/bad.txt" -o "$tmp/bad.bin" > "$tmp/out" 2>&1
expect_rc "malformed scenario" 2 $?
contains "FILE:LINE:COL" "$tmp/out" "$tmp/bad.txt:3:18: expected a length"
check "a malformed scenario wrote no output" [ ! -e "$tmp/bad.bin" ]
"$build/rmapfuzz" encode "$tmp/mail.bin" -o "$tmp/x.bin" > "$tmp/out" 2>&1
expect_rc "encode wants .txt" 2 $?
"$build/rmapfuzz" minimize --protocol linux-3.14 "$tmp/mail.bin" -o "$tmp/min.bin" > "$tmp/out" 2>&1
expect_rc "minimize" 0 $?
contains "minimize keeps the signature" "$tmp/out" "rmap violation: split-missed-pmd (linux-3.14)"
"$build/rmapfuzz" minimize --protocol linux-3.15 "$tmp/mail.bin" -o "$tmp/min.bin" > "$tmp/out" 2>&1
expect_rc "minimize of a passing input" 1 $?

# The lock cost the mail weighs: the templist takes the anon_vma lock a
# second time per mremap and per forked vma.
"$build/rmapfuzz" cost --protocol linux-3.15 > "$tmp/out" 2>&1
expect_rc "cost" 0 $?
contains "cost of linux-3.15" "$tmp/out" "4 to a new vma, 3 into a merged one; per fork of 2 vmas: 2"
"$build/rmapfuzz" cost --protocol templist > "$tmp/out" 2>&1
contains "cost of the templist" "$tmp/out" "5 to a new vma, 3 into a merged one; per fork of 2 vmas: 4"
# Blind random testing is deterministic per seed: seed 1 finds tree-left
# after 597,463 inputs, some 4 s of the ASan build alone; the budget is
# room for a loaded machine (it stops at the find).
"$build/rmapfuzz" blind --protocol tree-left 1 180 > "$tmp/out" 2>&1
expect_rc "blind finds tree-left" 1 $?
contains "blind's verdict" "$tmp/out" "found"
"$build/rmapfuzz" blind --protocol tree-left x 30 > "$tmp/out" 2>&1
expect_rc "blind with a bad seed" 2 $?

# ---- issue 14: inputs, outputs, options ----
first() { echo "$1"; }
crash14=$(first "$src"/crashers/linux-3.14/split-missed-pmd-*.bin)
cp "$crash14" "$tmp/race.bin"
cp "${crash14%.bin}.txt" "$tmp/race.txt"

# point 1: an empty directory, or one of only scenario text.
mkdir "$tmp/empty"
run 2 "point 1: replay of an empty directory" -- "$b" replay "$tmp/empty"
contains "point 1: says there was nothing" "$tmp/err" "no inputs to run in $tmp/empty"
lacks "point 1: no sanitizer report" "$tmp/err" "runtime error"
mkdir "$tmp/texts"
cp "$src"/corpus/rmap_fuzzer/fork-of-thp.txt "$src"/corpus/rmap_fuzzer/thp-in-vma.txt "$tmp/texts/"
run 0 "point 1: replay of a directory of scenario text" -- "$b" replay "$tmp/texts"
check "point 1: both texts ran" [ "$(tail -n 1 "$tmp/out")" = "2 passed, 0 failed" ]

# point 2: directories walked whole, in name order; skips named.
ncrash=$(find "$src/crashers" -name '*.bin' -o -name '*.txt' | wc -l)
run 1 "point 2: replay crashers/" -- "$b" replay "$src/crashers"
check "point 2: every crasher, .bin and .txt, in every subdirectory ($ncrash)" \
	[ "$(tail -n 1 "$tmp/out")" = "0 passed, $ncrash failed" ]
mkdir -p "$tmp/mixed/sub/deeper"
cp "$tmp/race.bin" "$tmp/mixed/a.bin"
cp "$src/corpus/rmap_fuzzer/thp-in-vma.txt" "$tmp/mixed/b.txt"
cp "$tmp/race.bin" "$tmp/mixed/sub/deeper/c"
ln -s "$tmp/texts/fork-of-thp.txt" "$tmp/mixed/link.txt"
ln -s "$tmp/texts" "$tmp/mixed/linkdir"
ln -s "$tmp/nowhere" "$tmp/mixed/dangling"
ln -s .. "$tmp/mixed/sub/loop"
echo notes >"$tmp/mixed/README.md"
echo x >"$tmp/mixed/.hidden"
run 0 "point 2: a mixed directory" -- "$b" replay --protocol linux-3.15 "$tmp/mixed"
check "point 2: a.bin, b.txt, the linked text, the linked directory's two and sub/deeper/c ran, in name order" \
	[ "$(grep -E ': (ok|FAILED)' "$tmp/out" | sed 's/:.*//' | sed "s|$tmp/mixed/||" | tr '\n' ' ')" = \
	"a.bin b.txt link.txt linkdir/fork-of-thp.txt linkdir/thp-in-vma.txt sub/deeper/c " ]
contains "point 2: a dangling link is named" "$tmp/err" "skipped $tmp/mixed/dangling: a link to nothing"
contains "point 2: a loop is named" "$tmp/err" "skipped $tmp/mixed/sub/loop: a link back into a directory being walked"
contains "point 2: README.md is named" "$tmp/err" "skipped $tmp/mixed/README.md: documentation"
contains "point 2: a hidden file is named" "$tmp/err" "skipped $tmp/mixed/.hidden: hidden"

# point 3: a failed write keeps the file that was there.
echo "the user's file" >"$tmp/keep.bin"
# Through a pipe: under the limit, our own output files could not grow.
{ (ulimit -f 0; "$b" encode "$tmp/race.txt" -o "$tmp/keep.bin" 2>&1; echo "exit $?") </dev/null | cat >"$tmp/err"; }
contains "point 3: encode past ulimit -f fails" "$tmp/err" "exit 2"
check "point 3: encode kept the file" [ "$(cat "$tmp/keep.bin")" = "the user's file" ]
{ (ulimit -f 0; "$b" minimize "$tmp/race.bin" -o "$tmp/keep.bin" 2>&1; echo "exit $?") </dev/null | cat >"$tmp/err"; }
contains "point 3: minimize past ulimit -f fails" "$tmp/err" "exit 2"
check "point 3: minimize kept the file" [ "$(cat "$tmp/keep.bin")" = "the user's file" ]
check "point 3: no temporary file left" [ -z "$(find "$tmp" -maxdepth 1 -name '.keep.bin.*')" ]
contains "point 3: the error names the file" "$tmp/err" "$tmp/keep.bin: File too large"
# A device that fails every write: our own node when we may make one (the
# old tool deleted it), else /dev/full, which only root could delete.
full=/dev/full
mknod "$tmp/full" c 1 7 2>/dev/null && full="$tmp/full"
run 2 "point 3: encode to a full device" -- "$b" encode "$tmp/race.txt" -o "$full"
check "point 3: the device node is still there" [ -c "$full" ]
contains "point 3: says the device is full" "$tmp/err" "No space left on device"
run 0 "point 3: a new output gets the umask's mode" -- "$b" encode "$tmp/race.txt" -o "$tmp/new.bin"
check "point 3: the output is there whole" cmp -s "$tmp/new.bin" "$tmp/race.bin"
chmod 600 "$tmp/new.bin"
run 0 "point 3: a replaced output" -- "$b" encode "$tmp/race.txt" -o "$tmp/new.bin"
check "point 3: a replaced output keeps its mode" [ "$(stat -c %a "$tmp/new.bin")" = 600 ]

# point 4: the input is never the output; .txt outputs are text.
cp "$tmp/race.txt" "$tmp/same.txt"
run 2 "point 4: encode s.txt -o s.txt" -- "$b" encode "$tmp/same.txt" -o "$tmp/same.txt"
check "point 4: encode left the scenario alone" cmp -s "$tmp/same.txt" "$tmp/race.txt"
contains "point 4: says why" "$tmp/err" "is the input"
run 2 "point 4: minimize s.txt -o ./s.txt" -- "$b" minimize "$tmp/same.txt" -o "$tmp/./same.txt"
check "point 4: minimize left the scenario alone" cmp -s "$tmp/same.txt" "$tmp/race.txt"
ln "$tmp/same.txt" "$tmp/hardlink.txt"
run 2 "point 4: minimize onto a hard link of the input" -- "$b" minimize "$tmp/same.txt" -o "$tmp/hardlink.txt"
run 0 "point 4: encode to X.txt" -- "$b" encode "$tmp/race.txt" -o "$tmp/canon.txt"
contains "point 4: X.txt is scenario text" "$tmp/canon.txt" "mremap  mm0 slot8 1P -> slot2"
contains "point 4: X.txt records the signature" "$tmp/canon.txt" "# rmap violation: split-missed-pmd (linux-3.14)"
run 0 "point 4: the text encodes back" -- "$b" encode "$tmp/canon.txt" -o "$tmp/canon.bin"
check "point 4: to the same bytes" cmp -s "$tmp/canon.bin" "$tmp/race.bin"
run 0 "point 4: minimize to X.txt" -- "$b" minimize "$tmp/race.bin" -o "$tmp/min.txt"
check "point 4: its first line is the signature" [ "$(head -n 1 "$tmp/min.txt")" = "# rmap violation: split-missed-pmd (linux-3.14)" ]
run 1 "point 4: and it replays to it" -- "$b" replay "$tmp/min.txt"

# minimize never lengthens the schedule it was given: the explorer's
# shortest counterexample, kept as list-3.2's crasher, comes back as it is
# (it was once rewritten into as many records that ran 30 steps, not 28).
cex=$(first "$src"/crashers/list-3.2/stale-migration-entry-*.txt)
run 0 "minimize: an explorer's counterexample" -- "$b" minimize "$cex" -o "$tmp/cex-min.bin"
check "minimize: comes back as it is" cmp -s "$tmp/cex-min.bin" "${cex%.txt}.bin"
contains "minimize: says the steps" "$tmp/out" "7 records -> 7 records, 28 steps -> 28"

# point 8: blind's arguments.
for bad in "1 nan" "1 inf" "1 -1" "1 ''" "1 0" "1 1e400" "'' 1" "-1 1" "x 1" "18446744073709551616 1" "1.5 1"; do
	eval "set -- $bad"
	timeout 10 "$b" blind "$1" "$2" >"$tmp/out" 2>"$tmp/err"
	expect_rc "point 8: blind $bad is refused at once" 2 $?
done

# point 9: a crasher replays under the protocol it records.
stale=$(first "$src"/crashers/list-3.0/stale-migration-entry-*.bin)
run 1 "point 9: a crasher without --protocol" -- env -u RMAP_PROTOCOL "$b" replay "$stale"
contains "point 9: under its own protocol" "$tmp/out" "rmap violation: stale-migration-entry (list-3.0)"
contains "point 9: and says which and why" "$tmp/out" "FAILED (list-3.0, recorded in its .txt header)"
run 1 "point 9: its .txt too" -- env -u RMAP_PROTOCOL "$b" replay "${stale%.bin}.txt"
mkdir -p "$tmp/crashes/tree-left"
cp "$(first "$src"/crashers/tree-left/*.bin)" "$tmp/crashes/tree-left/crash-1"
run 1 "point 9: a crash file in a directory named after its protocol" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/crashes"
contains "point 9: says so" "$tmp/out" "(tree-left, from the directory it is in)"
run 0 "point 9: --protocol still decides" -- "$b" replay --protocol linux-3.15 "$stale"
cp "$stale" "$tmp/loose.bin"
run 0 "point 9: a loose copy runs under the default" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/loose.bin"
run 1 "point 9: or \$RMAP_PROTOCOL" -- env RMAP_PROTOCOL=list-3.0 "$b" replay "$tmp/loose.bin"
contains "point 9: which it names" "$tmp/out" "(list-3.0, from \$RMAP_PROTOCOL)"
run 1 "point 9: trace finds the recorded protocol" -- env -u RMAP_PROTOCOL "$b" trace "$stale"
contains "point 9: trace says which" "$tmp/err" "protocol list-3.0 (recorded in its .txt header)"

# A header is held to: its protocol must parse (a typo is no licence to run
# under the default), blanks and a \r after it are let be, and the run must
# give the violation it records.
st=${stale%.bin}.txt
sed '1s/(list-3.0)/(list-3.0x)/' "$st" >"$tmp/typo.txt"
for cmd in replay show trace; do
	run 2 "header: $cmd of a header naming an unknown protocol" -- env -u RMAP_PROTOCOL "$b" $cmd "$tmp/typo.txt"
	contains "header: $cmd names FILE:LINE" "$tmp/err" "$tmp/typo.txt:1: "
	contains "header: $cmd names the protocol" "$tmp/err" "unknown protocol 'list-3.0x'"
	lacks "header: $cmd runs nothing under the default" "$tmp/out" "linux-3.15"
done
run 2 "header: minimize too" -- env -u RMAP_PROTOCOL "$b" minimize "$tmp/typo.txt" -o "$tmp/typo-min.txt"
run 2 "header: encode too" -- env -u RMAP_PROTOCOL "$b" encode "$tmp/typo.txt" -o "$tmp/typo-enc.bin"
cp "$stale" "$tmp/typo.bin"
run 2 "header: X.bin beside X.txt's bad header" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/typo.bin"
contains "header: X.bin names X.txt:1" "$tmp/err" "$tmp/typo.txt:1: "
mkdir -p "$tmp/hdrdir/list-3.0"
cp "$tmp/typo.txt" "$tmp/hdrdir/list-3.0/typo.txt"
run 2 "header: a bad header is not overruled by the directory" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/hdrdir"
sed '1s/ (list-3.0)$//' "$st" >"$tmp/noparen.txt"
run 2 "header: a header without its (PROTOCOL)" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/noparen.txt"
contains "header: says so" "$tmp/err" "names no protocol"
run 0 "header: --protocol decides over a bad header" -- "$b" replay --protocol linux-3.15 "$tmp/typo.txt"
sed '1s/$/  /' "$st" >"$tmp/blanks.txt"
sed 's/$/\r/' "$st" >"$tmp/crlf.txt"
for f in blanks crlf; do
	run 1 "header: $f after the header" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/$f.txt"
	contains "header: $f, under its protocol" "$tmp/out" "FAILED (list-3.0, recorded in its .txt header)"
done
sed 1d "$st" >"$tmp/nohdr.txt"
run 0 "header: none at all runs under the default" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/nohdr.txt"
contains "header: and says so" "$tmp/out" "ok (linux-3.15, the default, "
sed '1s/stale-migration-entry (/missed-vma (/' "$st" >"$tmp/other.txt"
run 3 "header: another violation than recorded" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/other.txt"
contains "header: says which it records" "$tmp/out" "NOT AS RECORDED: its header records 'rmap violation: missed-vma (list-3.0)'"
contains "header: the tally" "$tmp/out" "0 passed, 1 failed, 1 not as their headers record"
sed '1s/(list-3.0)/(linux-3.15)/' "$st" >"$tmp/gone.txt"
run 3 "header: a recorded violation not reproduced" -- env -u RMAP_PROTOCOL "$b" replay "$tmp/gone.txt"
contains "header: says so" "$tmp/out" "NOT REPRODUCED: its header records 'rmap violation: stale-migration-entry (linux-3.15)'"
run 3 "header: under --protocol naming the header's protocol too" -- "$b" replay --protocol linux-3.15 "$tmp/gone.txt"
run 0 "header: not when the family is not checked" -- "$b" replay --invariants tlb "$tmp/gone.txt"
run 3 "header: a mismatch outranks a violation" -- env -u RMAP_PROTOCOL "$b" replay "$st" "$tmp/gone.txt"
run 3 "header: --json" -- env -u RMAP_PROTOCOL "$b" replay --json "$tmp/gone.txt"
contains "header: --json's fields" "$tmp/out" '"recorded": "rmap violation: stale-migration-entry (linux-3.15)", "as_recorded": false}'
contains "header: --json's tally" "$tmp/out" '"not_as_recorded": 1}'

# point 11: devices and FIFOs are refused, big files read no further than used.
run 2 "point 11: replay /dev/zero" -- timeout 10 "$b" replay /dev/zero
contains "point 11: not a regular file" "$tmp/err" "/dev/zero: not a regular file"
mkfifo "$tmp/fifo"
run 2 "point 11: replay a FIFO without a writer" -- timeout 10 "$b" replay "$tmp/fifo"
cp "$tmp/race.bin" "$tmp/huge.bin"
truncate -s 4G "$tmp/huge.bin"
run 0 "point 11: a 4 GB file reads its first records only" -- timeout 10 "$b" replay "$tmp/huge.bin"
head -c 100000 /dev/zero | tr '\0' '#' >"$tmp/huge.txt"
truncate -s 1G "$tmp/huge.txt"
run 2 "point 11: scenario text over 64 KiB" -- timeout 10 "$b" replay "$tmp/huge.txt"
contains "point 11: says why" "$tmp/err" "over 64 KiB"
run 0 "point 11: JSON names the refused input" -- "$b" replay --json "$tmp/race.bin" --protocol linux-3.15
rm -f "$tmp/huge.bin" "$tmp/huge.txt"

# point 12: every command's help, version, a bad option, a bad input.
for cmd in protocols replay trace show encode minimize cost blind speed explore; do
	run 0 "point 12: $cmd --help" -- "$b" "$cmd" --help
	contains "point 12: $cmd --help on stdout" "$tmp/out" "usage: rmapfuzz $cmd"
	check "point 12: $cmd --help, nothing on stderr" [ ! -s "$tmp/err" ]
	narrow "point 12: $cmd --help" "$tmp/out"
	run 0 "point 12: $cmd -h" -- "$b" "$cmd" -h
	run 0 "point 12: $cmd --version" -- "$b" "$cmd" --version
	run 2 "point 12: $cmd --no-such-option" -- "$b" "$cmd" --no-such-option
	contains "point 12: $cmd names the bad option" "$tmp/err" "unrecognized option '--no-such-option'"
	contains "point 12: $cmd points at its help" "$tmp/err" "Try 'rmapfuzz $cmd --help'"
done
run 0 "point 12: rmapfuzz --help" -- "$b" --help
contains "point 12: lists the commands" "$tmp/out" "minimize"
narrow "point 12: rmapfuzz --help" "$tmp/out"
run 0 "point 12: rmapfuzz help replay" -- "$b" help replay
contains "point 12: help CMD is CMD's help" "$tmp/out" "usage: rmapfuzz replay"
run 0 "point 12: rmapfuzz --version" -- "$b" --version
check "point 12: the version names VERSION and the commit" \
	grep -qE "^rmapfuzz $(cat "$src/VERSION") \((git [0-9a-f]{7,}|version unknown)" "$tmp/out"
check "point 12: the tool's version is the scripts' (tools/lib.sh)" \
	[ "$(cat "$tmp/out")" = "$(bash "$src/build.sh" --version)" ]
run 2 "point 12: a bad global option" -- "$b" --frob
for cmd in trace show "minimize -o $tmp/x.bin"; do
	# shellcheck disable=SC2086 # the command and its option
	run 2 "point 12: $cmd DIR" -- "$b" $cmd "$tmp/texts"
	contains "point 12: $cmd DIR says it is a directory" "$tmp/err" "is a directory"
	lacks "point 12: $cmd DIR, no I/O error" "$tmp/err" "Input/output error"
done
run 2 "point 12: encode DIR.txt" -- "$b" encode "$tmp/texts" -o "$tmp/x.bin"
mkdir "$tmp/dir.txt"
run 2 "point 12: encode of a directory named .txt" -- "$b" encode "$tmp/dir.txt" -o "$tmp/x.bin"
contains "point 12: encode DIR says it is a directory" "$tmp/err" "is a directory"
run 2 "point 12: minimize to a directory" -- "$b" minimize "$tmp/race.bin" -o "$tmp/texts"
run 1 "point 12: options after the file" -- "$b" replay "$tmp/race.bin" --protocol linux-3.14
contains "point 12: the option after the file counted" "$tmp/out" "split-missed-pmd (linux-3.14)"
run 2 "point 12: an option without its argument" -- "$b" replay "$tmp/race.bin" --protocol
contains "point 12: says it needs one" "$tmp/err" "requires an argument"
run 2 "point 12: a bad option stops before any work" -- "$b" minimize "$tmp/race.bin" -o "$tmp/never.bin" --frob
check "point 12: nothing written" [ ! -e "$tmp/never.bin" ]
run 2 "point 12: minimize without -o" -- "$b" minimize "$tmp/race.bin"
run 2 "point 12: trace of two files" -- "$b" trace "$tmp/race.bin" "$tmp/race.bin"
run 2 "point 12: cost takes no operands" -- "$b" cost extra
run 2 "point 12: a bad \$RMAP_PROTOCOL" -- env RMAP_PROTOCOL=nope "$b" show "$tmp/race.bin"

# replay --json: one object per input, then the tally.
run 2 "json: replay --json (a missing file is an error)" -- "$b" replay --json "$tmp/race.bin" "$tmp/texts" "$tmp/missing"
check "json: three inputs and the tally" [ "$(wc -l <"$tmp/out")" = 4 ]
if command -v python3 >/dev/null; then
	check "json: every line parses, with the fields named" python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0]["verdict"] == "violation" and lines[0]["invariant"] == "split-missed-pmd"
assert lines[0]["first_line"] == "rmap violation: split-missed-pmd (linux-3.14)"
assert lines[0]["protocol"] == "linux-3.14" and lines[0]["protocol_from"] == "recorded in its .txt header"
assert lines[1]["verdict"] == "ok" and lines[1]["invariant"] is None and lines[1]["steps"] > 0
assert lines[0]["recorded"] == lines[0]["first_line"] and lines[0]["as_recorded"] is True
assert lines[3] == {"passed": 2, "failed": 1, "errors": 1, "not_as_recorded": 0}, lines[3]
' "$tmp/out"
else
	contains "json: the violation" "$tmp/out" '"verdict": "violation", "invariant": "split-missed-pmd"'
	contains "json: the tally" "$tmp/out" '{"passed": 2, "failed": 1, "errors": 1, "not_as_recorded": 0}'
fi

if [ -x "$build/rmap_fuzzer" ]; then
	# point 9: rmap_fuzzer refuses scenario text and takes -protocol=.
	run 2 "point 9: rmap_fuzzer refuses scenario text" -- env RMAP_PROTOCOL=linux-3.14 "$build/rmap_fuzzer" "$tmp/race.txt"
	contains "point 9: and says what to do" "$tmp/err" "rmapfuzz replay $tmp/race.txt"
	for flag in -protocol=linux-3.14 --protocol=linux-3.14; do
		"$build/rmap_fuzzer" "$flag" -artifact_prefix="$tmp/" "$tmp/race.bin" >"$tmp/out" 2>&1
		check "point 9: rmap_fuzzer $flag crashes on the race" [ $? -ne 0 ]
		contains "point 9: rmap_fuzzer $flag runs linux-3.14" "$tmp/out" "rmap violation: split-missed-pmd (linux-3.14)"
	done
	run 2 "point 9: rmap_fuzzer --protocol with a bad name" -- "$build/rmap_fuzzer" --protocol=nope "$tmp/race.bin"
	contains "point 9: lists the names" "$tmp/err" "linux-3.14"
	RMAP_PROTOCOL=no-such-protocol "$build/rmap_fuzzer" -runs=0 > "$tmp/out" 2>&1
	expect_rc "rmap_fuzzer: unknown protocol" 2 $?
	contains "rmap_fuzzer lists the names" "$tmp/out" "linux-3.14"
	# An ad-hoc spec, by flag and by environment; a bad one is exit 2.
	"$build/rmap_fuzzer" -protocol="$spec" -artifact_prefix="$tmp/" "$tmp/mail.bin" >"$tmp/out" 2>&1
	check "rmap_fuzzer -protocol=SPEC crashes on the race" [ $? -ne 0 ]
	contains "rmap_fuzzer -protocol=SPEC reports under the spec" "$tmp/out" "rmap violation: split-missed-pmd ($spec)"
	run 2 "rmap_fuzzer: a bad spec" -- env RMAP_PROTOCOL='linux-3.15+bogus' "$build/rmap_fuzzer" -runs=0
	contains "rmap_fuzzer: names the bad switch" "$tmp/err" "unknown switch 'bogus' in 'linux-3.15+bogus'; known: index=tree|list"
	# libFuzzer writes new inputs to its first corpus directory: a scratch one.
	mkdir "$tmp/corpus"
	RMAP_PROTOCOL=linux-3.15 "$build/rmap_fuzzer" -runs=200 "$tmp/corpus" "$src/corpus/rmap_fuzzer" > "$tmp/out" 2>&1
	expect_rc "rmap_fuzzer runs the seeds under linux-3.15" 0 $?
	check "rmap_fuzzer crashes on the race" \
		not env RMAP_PROTOCOL=linux-3.14 "$build/rmap_fuzzer" -artifact_prefix="$tmp/" "$tmp/mail.bin" > "$tmp/out" 2>&1
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
	expect_rc "rmap_fuzzer finds unlink-first from an empty corpus" 1 "$(( $? != 0 ))"
	check "the search's report line: $(grep "of search" "$tmp/out")" \
		grep -qE "violation after (0\.0*[1-9][0-9]*|[1-9][0-9.]*) s of search, input ([3-9]|[1-9][0-9]+)$" "$tmp/out"
	check "one search line" [ "$(grep -c "of search" "$tmp/out")" = 1 ]
fi

finish
