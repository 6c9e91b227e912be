#!/usr/bin/env bash
# tools/explore-shards.sh on a bound the explorer clears in a second, split
# in 3: --new runs every shard and the merge is the unsharded search's; a
# second run has nothing to do; a shard gone is run again, and only it; a
# stop throws the running shards' partial results away and keeps the rest;
# bad campaign files and options are refused by name, and nothing is lost.
# Several DIRs are a queue: DIR by DIR, the next one's shards starting
# while the last of one run, each DIR's merge as it alone prints it.
# Usage: explore_shards_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/explore_shards_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/explore_shards_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

tool=("$src/tools/explore-shards.sh")
b=$build/rmapfuzz
small=(-p linux-3.15 -p linux-3.14 --max-ops 3 --max-conc 2 --max-pmds 2 --max-mms 1)
d=$tmp/campaign

rc=0
"${tool[@]}" "$d" --new --shards 3 --jobs 2 --rmapfuzz "$b" -- "${small[@]}" >"$tmp/new.out" 2>"$tmp/new.err" || rc=$?
expect_rc "--new: every shard run" 0 "$rc"
for i in 0 1 2; do check "--new: shard $i kept" [ -s "$d/shard-$i-of-3.json" ]; done
absent "--new: no temporary file left" "$d/.shard-0-of-3.json.tmp"
contains "--new: the campaign file" "$d/campaign" "explore ${small[*]}"
contains "--new: progress per shard" "$tmp/new.err" "explore-shards: shard 2/3: linux-3.15 clean, "
contains "--new: the merge, the bound's claim" "$tmp/new.out" "| linux-3.15 | clean within the bound |"
contains "--new: the merge, linux-3.14 broken" "$tmp/new.out" "linux-3.14 split-missed-pmd: broken in"
# The shards' merge is the whole search's: programs and states per protocol.
"$b" explore "${small[@]}" >"$tmp/whole.out" 2>/dev/null
row() { grep -E "^\| $1 \|" "$2" | awk -F' *[|] *' '{print $6, $7}'; }
for p in linux-3.15 linux-3.14; do
	w=$(row "$p" "$tmp/whole.out")
	m=$(row "$p" "$tmp/new.out")
	# States: a shard's visited set is its own, so the shards hold at least
	# the whole's.
	if [ -n "$w" ] && [ "${w%% *}" = "${m%% *}" ] && [ "${m##* }" -ge "${w##* }" ]; then pass; else
		fail "$p: the shards' programs and states ($m) against the whole search's ($w)"
	fi
done

# Again: nothing to run, the files untouched.
sums=$(md5sum "$d"/shard-*.json)
rc=0
"${tool[@]}" "$d" --rmapfuzz "$b" >"$tmp/again.out" 2>"$tmp/again.err" || rc=$?
expect_rc "again: nothing to do" 0 "$rc"
contains "again: said" "$tmp/again.err" "3 of 3 shards kept; 0 to run now"
same "again: the kept shards untouched" "$sums" "$(md5sum "$d"/shard-*.json)"

# Two machines, each its part of the search in its own copy of DIR: each
# runs its own shards only, and their files together are the search.
for k in 0 1; do
	mkdir "$tmp/machine$k"
	cp "$d/campaign" "$tmp/machine$k/"
	rc=0
	"${tool[@]}" "$tmp/machine$k" --part "$k/2" --jobs 2 --rmapfuzz "$b" >"$tmp/part$k.out" 2>"$tmp/part$k.err" || rc=$?
	expect_rc "--part $k/2: its shards run" 0 "$rc"
done
same "--part 0/2: shards 0 and 2" "shard-0-of-3.json shard-2-of-3.json" "$(cd "$tmp/machine0" && echo shard-*)"
same "--part 1/2: shard 1" "shard-1-of-3.json" "$(cd "$tmp/machine1" && echo shard-*)"
contains "--part 0/2: said" "$tmp/part0.err" "0 of 3 shards kept; 2 of part 0/2 (the shards I with I mod 2 = 0) to run now"
contains "--part 1/2: what is left of its part" "$tmp/part1.err" "1 of 3 kept, 0 of its part to go"
contains "--part 0/2: the merge, of its shards" "$tmp/part0.out" "| linux-3.15 | clean in 2 of 3 shards (0,2), not the whole bound |"
cp "$tmp/machine1/shard-1-of-3.json" "$tmp/machine0/"
"${tool[@]}" "$tmp/machine0" --limit 0 --rmapfuzz "$b" >"$tmp/parts.out" 2>/dev/null
for p in linux-3.15 linux-3.14; do
	same "--part: the parts together are the search ($p)" "$(row "$p" "$tmp/new.out")" "$(row "$p" "$tmp/parts.out")"
done
for bad in 2/2 1/0 x 1/-2; do
	rc=0
	"${tool[@]}" "$d" --part "$bad" --rmapfuzz "$b" >/dev/null 2>"$tmp/badpart.err" || rc=$?
	expect_rc "--part $bad: refused" 2 "$rc"
	contains "--part $bad: said" "$tmp/badpart.err" "--part '$bad': wants P/M"
done
rc=0
"${tool[@]}" "$d" --part 3/4 --rmapfuzz "$b" >/dev/null 2>"$tmp/emptypart.err" || rc=$?
expect_rc "--part 3/4 of 3 shards: refused" 2 "$rc"
contains "--part 3/4 of 3 shards: said" "$tmp/emptypart.err" "--part 3/4: no shard of the campaign's 3 is in part 3"

# Past a batch of files (a command line holds some 30,000 paths) the
# batches are merged first, then their merges: the same result, the same
# output but the seconds, and the batches said.
merged() {
	EXPLORE_SHARDS_MERGE_BATCH=$1 "${tool[@]}" "$d" --limit 0 --rmapfuzz "$b" 2>"$tmp/batch$1.err" |
		grep -vE ' in [0-9.]+ s$' | sed -E 's/[|] [0-9.]+ [|]$/|/'
}
merged 10000 >"$tmp/batch10000.out"
merged 2 >"$tmp/batch2.out"
merged 1 >"$tmp/batch1.out"
same "a merge in batches of 2 is the merge" "$(cat "$tmp/batch10000.out")" "$(cat "$tmp/batch2.out")"
same "a merge in batches of 1 is the merge" "$(cat "$tmp/batch10000.out")" "$(cat "$tmp/batch1.out")"
contains "batches of 2: said" "$tmp/batch2.err" "(in 2 batches of at most 2 files, their merges merged)"
contains "batches of 1: said" "$tmp/batch1.err" "(in 3 batches of at most 1 files, their merges merged)"
lacks "no batches below the batch size" "$tmp/batch10000.err" "batches"
contains "the batched merge: the bound's claim" "$tmp/batch2.out" "| linux-3.15 | clean within the bound |"
# Fewer paths a batch where they would not fit in the bytes allowed: room
# for two paths (each "$d/shard-I-of-3.json", its NUL and its pointer).
suffix=/shard-2-of-3.json
p=$((${#d} + ${#suffix} + 9))
EXPLORE_SHARDS_ARG_BYTES=$((2 * p + 1)) "${tool[@]}" "$d" --limit 0 --rmapfuzz "$b" 2>"$tmp/bytes.err" |
	grep -vE ' in [0-9.]+ s$' | sed -E 's/[|] [0-9.]+ [|]$/|/' >"$tmp/bytes.out"
same "a merge in batches by bytes is the merge" "$(cat "$tmp/batch10000.out")" "$(cat "$tmp/bytes.out")"
contains "batches by bytes: said" "$tmp/bytes.err" "(in 2 batches of at most 2 files, their merges merged)"
EXPLORE_SHARDS_ARG_BYTES=$((2 * p - 1)) "${tool[@]}" "$d" --limit 0 --rmapfuzz "$b" >/dev/null 2>"$tmp/bytes1.err"
contains "batches by bytes: a byte short of two paths, one" "$tmp/bytes1.err" "(in 3 batches of at most 1 files, their merges merged)"
EXPLORE_SHARDS_ARG_BYTES=x "${tool[@]}" "$d" --limit 0 --rmapfuzz "$b" >"$tmp/bytesx.out" 2>"$tmp/bytesx.err"
contains "a bad byte count: said" "$tmp/bytesx.err" "EXPLORE_SHARDS_ARG_BYTES=x: not a count of bytes"
lacks "a bad byte count: the default used" "$tmp/bytesx.err" "batches"
contains "a bad byte count: the merge" "$tmp/bytesx.out" "| linux-3.15 | clean within the bound |"
merged 0 >"$tmp/batch0.out"
contains "a bad batch size: said" "$tmp/batch0.err" "EXPLORE_SHARDS_MERGE_BATCH=0: not a count of files"
contains "a bad batch size: the default used" "$tmp/batch0.out" "| linux-3.15 | clean within the bound |"
mkdir "$tmp/tmpdir"
TMPDIR=$tmp/tmpdir merged 1 >/dev/null
check "batches: no temporary file left" [ -z "$(ls -A "$tmp/tmpdir")" ]
# A batch that fails is named, and the merge's failure is the run's
# (exit 1). (A file whole but for its "max_ops" line: the merge refuses
# it, explore-shards' own check of the files does not look there.)
cp -r "$d" "$tmp/cut"
sed '/"max_ops"/d' "$d/shard-2-of-3.json" >"$tmp/cut/shard-2-of-3.json"
rc=0
EXPLORE_SHARDS_MERGE_BATCH=2 "${tool[@]}" "$tmp/cut" --limit 0 --rmapfuzz "$b" >/dev/null 2>"$tmp/cut.err" || rc=$?
expect_rc "a batch's merge failed: --limit 0 fails" 1 "$rc"
contains "a batch's merge failed: named" "$tmp/cut.err" "the merge of the batch shard-2-of-3.json to shard-2-of-3.json failed"
contains "a batch's merge failed: why" "$tmp/cut.err" 'shard-2-of-3.json: a result before the bound and the "max_ops"'
rc=0
"${tool[@]}" "$tmp/cut" --limit 0 --rmapfuzz "$b" >/dev/null 2>"$tmp/cut.err" || rc=$?
expect_rc "a merge failed: --limit 0 fails" 1 "$rc"
contains "a merge failed: said" "$tmp/cut.err" "the merge failed (exit 2)"
rc=0
"${tool[@]}" "$tmp/cut" --rmapfuzz "$b" >/dev/null 2>"$tmp/cut.err" || rc=$?
expect_rc "a merge failed: a run fails" 1 "$rc"
contains "a merge failed: a run, said" "$tmp/cut.err" "the merge failed (exit 2)"
# A kept file that is no whole result (cut short, empty, a search
# stopped) is refused by name before anything runs or prints: taken as
# kept, its shard would never be searched.
for how in cut empty stopped; do
	case $how in
	cut) head -c 100 "$d/shard-2-of-3.json" ;;
	empty) ;;
	stopped) sed 's/"end": "complete"/"end": "interrupted"/' "$d/shard-2-of-3.json" ;;
	esac >"$tmp/cut/shard-2-of-3.json"
	for mode in "--limit 0" --table ""; do
		rc=0
		# shellcheck disable=SC2086 # $mode: no option, one or two words
		"${tool[@]}" "$tmp/cut" $mode --rmapfuzz "$b" >"$tmp/cut.out" 2>"$tmp/cut.err" || rc=$?
		expect_rc "a $how shard file, ${mode:-a run}: refused" 2 "$rc"
		contains "a $how shard file, ${mode:-a run}: named" "$tmp/cut.err" \
			"cut/shard-2-of-3.json: $([ $how = empty ] && echo "empty, not a result" || echo "not a whole result")"
		contains "a $how shard file, ${mode:-a run}: move it away" "$tmp/cut.err" "move it away"
		empty "a $how shard file, ${mode:-a run}: nothing printed" "$tmp/cut.out"
	done
done

# A shard gone: --limit 0 only merges (a claim of 2 of 3 shards), then it
# alone runs again.
mv "$d/shard-1-of-3.json" "$tmp/shard1.json"
"${tool[@]}" "$d" --limit 0 --rmapfuzz "$b" >"$tmp/l0.out" 2>"$tmp/l0.err"
contains "--limit 0: the merge of the rest" "$tmp/l0.out" "| linux-3.15 | clean in 2 of 3 shards (0,2), not the whole bound |"
absent "--limit 0: nothing run" "$d/shard-1-of-3.json"
"${tool[@]}" "$d" --rmapfuzz "$b" >"$tmp/one.out" 2>"$tmp/one.err"
contains "a shard gone: it alone runs" "$tmp/one.err" "2 of 3 shards kept; 1 to run now"
contains "a shard gone: run again" "$tmp/one.err" "explore-shards: shard 1/3 started"
# The same result as before, but for the time it took.
results() { grep '"protocol"' "$1" | sed -E 's/"seconds": [0-9.]+//'; }
same "a shard gone: the same result as before" "$(results "$tmp/shard1.json")" "$(results "$d/shard-1-of-3.json")"
"${tool[@]}" "$d" --table --rmapfuzz "$b" >"$tmp/table.out"
contains "--table: a row per shard and protocol" "$tmp/table.out" "| 1 | linux-3.14 | violated | "
same "--table: 6 rows" 8 "$(wc -l <"$tmp/table.out")"
# A DIR whose name has a backslash (awk -v would read it as an escape).
mkdir "$tmp/back\\tslash"
cp "$d/campaign" "$d"/shard-*.json "$tmp/back\\tslash/"
"${tool[@]}" "$tmp/back\\tslash" --table --rmapfuzz "$b" >"$tmp/table-bs.out" 2>"$tmp/table-bs.err"
same "--table: a DIR with a backslash" "$(cat "$tmp/table.out")" "$(cat "$tmp/table-bs.out")"
empty "--table: a DIR with a backslash, no error" "$tmp/table-bs.err"
# Each row's figures are its shard's result's, with thousands' commas,
# the seconds rounded, the search code the file's.
f=$d/shard-2-of-3.json
for p in linux-3.15 linux-3.14; do
	l=$(grep "{\"protocol\": \"$p\"" "$f")
	fig() { echo "$l" | grep -oE "\"$1\": [0-9]+" | head -n 1 | grep -oE '[0-9]+$'; }
	v=$(echo "$l" | grep -oE '"verdict": "[a-z]+"' | cut -d'"' -f4)
	secs=$(sed -nE 's/^  "seconds": ([0-9.]+),?$/\1/p' "$f" | head -n 1)
	code=$(grep -oE '"search_code": "[0-9a-f]+"' "$f" | head -n 1 | cut -d'"' -f4)
	contains "--table: shard 2's $p row" "$tmp/table.out" \
		"| 2 | $p | $v | $(commas "$(fig programs)") | $(commas "$(fig states)") | $(commas "$(fig interleavings)") | $(printf '%.0f' "$secs") | $code |"
done

# Refused, by name, exit 2, and the campaign file kept as it was.
cp "$d/campaign" "$tmp/campaign.kept"
refused() { # DESCRIPTION MESSAGE ARGS...
	local what=$1 msg=$2 rc=0
	shift 2
	"${tool[@]}" "$@" >"$tmp/r.out" 2>"$tmp/r.err" || rc=$?
	expect_rc "$what" 2 "$rc"
	contains "$what: said" "$tmp/r.err" "$msg"
}
refused "--new on a campaign" "campaign exists" "$d" --new --shards 2 -- -p linux-3.15
same "--new on a campaign: the file kept" "$(cat "$tmp/campaign.kept")" "$(cat "$d/campaign")"
refused "--new without --shards" "--new wants --shards N" "$tmp/n1" --new -- -p linux-3.15
refused "--new with --json" "'--json' is this tool's to set" "$tmp/n2" --new --shards 2 -- -p linux-3.15 --json
refused "--new with --shard" "'--shard' is this tool's to set" "$tmp/n2" --new --shards 2 -- --shard 0/2
refused "--new with --jo, --jobs abbreviated" "'--jo=2' (--jobs) is this tool's to set" "$tmp/n2" --new --shards 2 -- -p linux-3.15 --jo=2
refused "--new with --dry-run" "'--dry-run' is this tool's to set" "$tmp/n2" --new --shards 2 -- -p linux-3.15 --dry-run
refused "--new with --dry, --dry-run abbreviated" "'--dry' (--dry-run) is this tool's to set" "$tmp/n2" --new --shards 2 -- -p linux-3.15 --dry
# Refusals of --new come before the campaign is written, and before any
# rmapfuzz is needed (here one that is not there, which is refused too).
mkdir "$tmp/n6"
touch "$tmp/n6/shard-0-of-3.json"
refused "--new --part with no shard of it" "--part 5/10: no shard of the campaign's 2 is in part 5" "$tmp/n6" --new --shards 2 --part 5/10 --rmapfuzz "$tmp/no-rmapfuzz" -- -p linux-3.15
refused "--new on a DIR of another split" "shard-0-of-3.json: a shard of another split than the campaign's 2" "$tmp/n6" --new --shards 2 --rmapfuzz "$tmp/no-rmapfuzz" -- -p linux-3.15
refused "--new --table" "--table shows the shards kept, and --new starts a search" "$tmp/n6" --new --shards 3 --table --rmapfuzz "$tmp/no-rmapfuzz" -- -p linux-3.15
absent "--new refused: no campaign written" "$tmp/n6/campaign"
refused "--new with more shards than explore splits in" "at most 1000000" "$tmp/n2" --new --shards 1000001 -- -p linux-3.15
refused "no DIR" "which DIR?" --jobs 1
mkdir -p "$tmp/none"
refused "no campaign" "campaign: missing" "$tmp/none"
refused "--shards without --new" "--shards goes with --new" "$d" --shards 4
refused "--until a date past" "is past" "$d" --until "2001-01-01 00:00"
refused "--until nonsense" "not a time date -d reads" "$d" --until "no time"
mkdir -p "$tmp/bad"
printf 'shards 3\nexplore -p linux-3.15\nspeed fast\n' >"$tmp/bad/campaign"
refused "a campaign's unknown key" "bad/campaign:3: unknown key 'speed'" "$tmp/bad"
printf '# a comment\nshards three\nexplore -p linux-3.15\n' >"$tmp/bad/campaign"
refused "a campaign's bad count" "bad/campaign:2: 'shards' wants a whole number" "$tmp/bad"
printf 'shards 3\nexplore -p linux-3.15 -o out\n' >"$tmp/bad/campaign"
refused "a campaign's -o" "bad/campaign:2: '-o' is this tool's to set" "$tmp/bad"
printf 'shards 3\n' >"$tmp/bad/campaign"
refused "a campaign without explore" "no 'explore OPTIONS...' line" "$tmp/bad"
printf 'shards 2\nexplore -p linux-3.15\n' >"$tmp/bad/campaign"
touch "$tmp/bad/shard-0-of-3.json"
refused "a shard of another split" "shard-0-of-3.json: a shard of another split than the campaign's 2" "$tmp/bad"
# A kept file of another search (another campaign's protocols, bound,
# menu or invariants, or another shard than its name says) is refused by
# name before anything runs or prints: merged as this search's, it would
# make a claim of it, and its shard would never be searched.
mkdir -p "$tmp/foreign"
other=(-p linux-3.15 -p linux-3.14 --max-ops 3 --max-conc 2 --max-mms 1)
for c in "-p linux-3.15 --max-ops 3 --max-conc 2 --max-pmds 2 --max-mms 1:its protocol(s) linux-3.15 linux-3.14, the campaign's linux-3.15)" \
	"${other[*]} --max-pmds 3:its bound 3 operations (set-up alone, then 2..2 concurrent, one a walk), 2 pmds" \
	"${small[*]} --ops fork,munmap:; the campaign's 3 operations (set-up alone, then 2..2 concurrent, one a walk), 2 pmds, 1 mms; menu fork, munmap;" \
	"${small[*]} --invariants walk,lifetime:; the campaign's 3 operations (set-up alone, then 2..2 concurrent, one a walk), 2 pmds, 1 mms; menu fork, munmap, mremap; preemptions unbounded; invariants walk,lifetime;"; do
	printf 'shards 3\nexplore %s\n' "${c%%:*}" >"$tmp/foreign/campaign"
	cp "$d/shard-0-of-3.json" "$tmp/foreign/"
	for mode in "" "--limit 0" --table; do
		# shellcheck disable=SC2086 # $mode: no option, one or two words
		refused "a kept shard of another search (explore ${c%%:*}), ${mode:-a run}" \
			"foreign/shard-0-of-3.json: another search's shard (its " "$tmp/foreign" $mode --rmapfuzz "$b"
		contains "a kept shard of another search (explore ${c%%:*}), ${mode:-a run}: why" "$tmp/r.err" "${c#*:}"
		contains "a kept shard of another search, ${mode:-a run}: move it away" "$tmp/r.err" "): move it away"
		empty "a kept shard of another search, ${mode:-a run}: nothing printed" "$tmp/r.out"
	done
	absent "a kept shard of another search: nothing run" "$tmp/foreign/shard-1-of-3.json"
done
# --new on a DIR holding another search's shard: refused before the
# campaign is written.
rm "$tmp/foreign/campaign"
refused "--new on a DIR with another search's shard" "foreign/shard-0-of-3.json: another search's shard (its protocol(s) linux-3.15 linux-3.14, the campaign's linux-3.15)" \
	"$tmp/foreign" --new --shards 3 --rmapfuzz "$b" -- -p linux-3.15 --max-ops 3 --max-conc 2 --max-pmds 2 --max-mms 1
absent "--new on a DIR with another search's shard: no campaign written" "$tmp/foreign/campaign"
printf 'shards 3\nexplore %s\n' "${small[*]}" >"$tmp/foreign/campaign"
cp "$d/shard-0-of-3.json" "$tmp/foreign/shard-1-of-3.json"
refused "a kept shard of another number" "foreign/shard-1-of-3.json: not shard 1/3 (its bound: " "$tmp/foreign" --limit 0 --rmapfuzz "$b"
rm "$tmp/foreign/shard-1-of-3.json"
# The files of the search are taken, the campaign file's lines may end in
# CRLF, and a file no shard is named (shard-00-of-3.json) is said.
printf 'shards 3\r\nexplore %s\r\n' "${small[*]}" >"$tmp/foreign/campaign"
cp "$d/shard-1-of-3.json" "$tmp/foreign/shard-01-of-3.json"
rc=0
"${tool[@]}" "$tmp/foreign" --limit 0 --rmapfuzz "$b" >"$tmp/crlf.out" 2>"$tmp/crlf.err" || rc=$?
expect_rc "a campaign of CRLF lines" 0 "$rc"
contains "a campaign of CRLF lines: its merge" "$tmp/crlf.out" "| linux-3.15 | clean in 1 of 3 shards (0), not the whole bound |"
contains "a file no shard is named: said" "$tmp/crlf.err" "warning: $tmp/foreign/shard-01-of-3.json: no shard of the campaign's 3 is named so"
refused "a file as DIR" "foreign/campaign: not a directory" "$tmp/foreign/campaign"
# Every DIR's campaign options are checked before anything runs (a bad
# one queued would stop the queue hours in), named with its line.
mkdir -p "$tmp/q3/first" "$tmp/q3/second"
printf 'shards 2\nexplore %s\n' "${small[*]}" >"$tmp/q3/first/campaign"
printf '# queued\nshards 2\nexplore -p no-such-protocol\n' >"$tmp/q3/second/campaign"
for mode in "" "--limit 0" --table; do
	# shellcheck disable=SC2086 # $mode: no option, one or two words
	refused "a queue's second campaign refused by explore, ${mode:-a run}" \
		"q3/second/campaign:3: rmapfuzz explore refused its explore options (above)" "$tmp/q3/first" "$tmp/q3/second" $mode --rmapfuzz "$b"
	contains "a queue's second campaign refused by explore, ${mode:-a run}: explore's error" "$tmp/r.err" "unknown protocol 'no-such-protocol'"
	lacks "a queue's second campaign refused by explore, ${mode:-a run}: nothing started" "$tmp/r.err" "started"
	empty "a queue's second campaign refused by explore, ${mode:-a run}: nothing printed" "$tmp/r.out"
done
absent "a queue's second campaign refused by explore: nothing of the first run" "$tmp/q3/first/shard-0-of-2.json"
# Options rmapfuzz explore refuses (rmapfuzz explore --dry-run): refused
# before anything is written, run or not (--limit 0).
for lim in "" "--limit 0"; do
	rc=0
	# shellcheck disable=SC2086 # $lim: no option, or two words
	"${tool[@]}" "$tmp/n3" --new --shards 2 $lim --rmapfuzz "$b" -- -p linux-3.15 --max-ops 9 >"$tmp/n3.out" 2>"$tmp/n3.err" || rc=$?
	expect_rc "--new ${lim:+$lim }with a bound explore refuses" 2 "$rc"
	contains "--new ${lim:+$lim }with a bound explore refuses: its error" "$tmp/n3.err" "--max-ops wants a number from 2 to 8, not '9'"
	contains "--new ${lim:+$lim }with a bound explore refuses: said" "$tmp/n3.err" "refused the explore options (above): no campaign written"
	absent "--new ${lim:+$lim }with a bound explore refuses: no DIR made" "$tmp/n3"
done
# An rmapfuzz that is not there: said, before anything is written.
rc=0
"${tool[@]}" "$tmp/n3" --new --shards 2 --rmapfuzz "$tmp/no-rmapfuzz" -- -p linux-3.15 >"$tmp/n3.out" 2>"$tmp/n3.err" || rc=$?
expect_rc "--new with no such --rmapfuzz" 2 "$rc"
contains "--new with no such --rmapfuzz: said" "$tmp/n3.err" "no-rmapfuzz: not an executable"
absent "--new with no such --rmapfuzz: no DIR made" "$tmp/n3"
# An rmapfuzz from before --dry-run (its help without it): the first shard
# fails, and the new campaign goes.
# shellcheck disable=SC2016 # the wrapper's own $1, $2 and $@
printf '#!/bin/sh\nif [ "$1 $2" = "explore --help" ]; then "%s" "$@" | grep -v -- --dry-run; else exec "%s" "$@"; fi\n' "$b" "$b" >"$tmp/old-rmapfuzz"
chmod +x "$tmp/old-rmapfuzz"
rc=0
"${tool[@]}" "$tmp/n3" --new --shards 2 --rmapfuzz "$tmp/old-rmapfuzz" -- -p no-such-protocol >"$tmp/n3.out" 2>"$tmp/n3.err" || rc=$?
expect_rc "--new with a protocol an older explore refuses" 1 "$rc"
contains "--new with a protocol an older explore refuses: its error" "$tmp/n3.err" "no-such-protocol"
contains "--new with a protocol an older explore refuses: said" "$tmp/n3.err" "campaign removed (rmapfuzz explore refused its options)"
absent "--new with a protocol an older explore refuses: no campaign" "$tmp/n3/campaign"
rc=0
"${tool[@]}" "$tmp/n3" --new --shards 2 --limit 0 --rmapfuzz "$tmp/old-rmapfuzz" -- -p no-such-protocol >"$tmp/n3.out" 2>"$tmp/n3.err" || rc=$?
expect_rc "--new --limit 0 by an older explore" 0 "$rc"
contains "--new --limit 0 by an older explore: the options not checked, said" "$tmp/n3.err" "has no explore --dry-run: the explore options are not checked until a shard runs"

# A stop (SIGTERM) mid-shard: the running shards' partial results go, the
# kept ones stay; exit 143. (The default bound: a shard of 100 takes minutes.)
# stop_mid_shard DIR RMAPFUZZ WHAT: a campaign of the default bound in DIR,
# stopped by SIGTERM once both its shards run; rc is the run's exit.
# start_long DIR RMAPFUZZ: such a campaign started, pid its run's, once
# both its shards run.
start_long() {
	"${tool[@]}" "$1" --new --shards 100 --jobs 2 --rmapfuzz "$2" -- -p linux-3.15 >"$1.out" 2>"$1.err" &
	pid=$!
	for _ in $(seq 100); do grep -q "shard 1/100 started" "$1.err" 2>/dev/null && break; sleep 0.1; done
	sleep 1
}
# wait_run WHAT: the run pid ended within 30 s, rc its exit; else it and
# its shards are killed (a test of a stop that hangs fails, not hangs).
wait_run() {
	local s
	for _ in $(seq 300); do
		s=$(ps -o stat= -p "$pid" 2>/dev/null | cut -c1)
		if [ -z "$s" ] || [ "$s" = Z ]; then break; fi
		sleep 0.1
	done
	if [ -n "$s" ] && [ "$s" != Z ]; then
		fail "$1: the run did not end in 30 s (killed)"
		kill_leftovers
		kill -KILL "$pid" 2>/dev/null
	fi
	rc=0
	wait "$pid" || rc=$?
}
stop_mid_shard() {
	start_long "$1" "$2"
	kill -TERM "$pid"
	wait_run "$3"
}
# This test's shards (whatever runs with its output in this test's
# directory: an explorer, or what a wrapper execs), and their states (T:
# stopped).
long_shards() {
	local f p
	for f in /proc/[0-9]*/fd/1; do
		case $(readlink "$f" 2>/dev/null) in "$tmp"/*/.shard-*) ;; *) continue ;; esac
		p=${f#/proc/}
		echo "${p%%/*}"
	done
}
states_of() { local p; for p in "$@"; do ps -o stat= -p "$p" | cut -c1; done | sort -u | paste -sd, -; }
# Whatever a failed check left running goes with the test.
kill_leftovers() {
	local p
	for p in $(long_shards); do kill -KILL "$p" 2>/dev/null; done
	return 0
}
trap 'kill_leftovers; rm -rf "$tmp"' EXIT
stop_mid_shard "$tmp/long" "$b" "SIGTERM"
expect_rc "SIGTERM: ends as by the signal" 143 "$rc"
contains "SIGTERM: said" "$tmp/long.err" "stopped by TERM: 2 running shard(s) stopped, their partial results thrown away"
check "SIGTERM: no shard kept, no temporary file" [ -z "$(find "$tmp/long" -name 'shard-*' -o -name '.shard-*')" ]
check "SIGTERM: the campaign kept" [ -s "$tmp/long/campaign" ]
check "SIGTERM: no explore left running" [ -z "$(long_shards)" ]
# The same through a --rmapfuzz wrapper that does not exec: the stop
# reaches the explorer it runs too (each shard is its own process group),
# which would otherwise search on, holding the directory's lock.
printf '#!/bin/sh\n"%s" "$@"\n' "$b" >"$tmp/noexec"
chmod +x "$tmp/noexec"
stop_mid_shard "$tmp/long2" "$tmp/noexec" "SIGTERM, a wrapper without exec"
expect_rc "SIGTERM, a wrapper without exec: ends as by the signal" 143 "$rc"
for _ in $(seq 50); do [ -n "$(long_shards)" ] || break; sleep 0.1; done
check "SIGTERM, a wrapper without exec: no explore left running" [ -z "$(long_shards)" ]
check "SIGTERM, a wrapper without exec: the lock free" flock -n "$tmp/long2/.explore-shards.lock" true

# kill -9 of the run, which no trap sees: its shards die with it (their
# parent-death signal), and free the lock. Where setpriv has no
# --pdeathsig they search on, as the docs say.
if setpriv --pdeathsig KILL true 2>/dev/null; then
	# (Its temporary directory, which no trap of a kill -9 removes, in ours.)
	mkdir -p "$tmp/kill9-tmp"
	TMPDIR="$tmp/kill9-tmp" start_long "$tmp/kill9" "$b"
	mapfile -t sp < <(long_shards)
	same "kill -9: two shards run" 2 "${#sp[@]}"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	for _ in $(seq 50); do [ -n "$(long_shards)" ] || break; sleep 0.1; done
	check "kill -9: no explore left running" [ -z "$(long_shards)" ]
	check "kill -9: the lock free" flock -n "$tmp/kill9/.explore-shards.lock" true
	check "kill -9: no shard kept" [ -z "$(find "$tmp/kill9" -name 'shard-*')" ]
	check "kill -9: its temporary directory where TMPDIR said" \
		[ -n "$(find "$tmp/kill9-tmp" -maxdepth 1 -name 'rmapfuzz-explore-shards.*')" ]
	kill_leftovers
fi

# Ctrl-Z (SIGTSTP) suspends the run and its shards, which the terminal's
# stop would not reach in their own process groups; SIGCONT goes on with
# both.
start_long "$tmp/susp" "$b"
mapfile -t sp < <(long_shards)
same "SIGTSTP: two shards run" 2 "${#sp[@]}"
kill -TSTP "$pid"
for _ in $(seq 50); do [ "$(states_of "$pid")" = T ] && break; sleep 0.1; done
same "SIGTSTP: the run stopped" T "$(states_of "$pid")"
same "SIGTSTP: its shards stopped" T "$(states_of "${sp[@]}")"
contains "SIGTSTP: said" "$tmp/susp.err" "suspended, its 2 running shard(s) with it"
kill -CONT "$pid"
for _ in $(seq 50); do grep -q "going on" "$tmp/susp.err" && break; sleep 0.1; done
sleep 0.5
check "SIGCONT: the run goes on" [ "$(states_of "$pid")" != T ]
st=$(states_of "${sp[@]}")
check "SIGCONT: its shards still there" [ -n "$st" ]
same "SIGCONT: its shards go on (none stopped)" "" "$(echo "$st" | tr -cd T)"
kill -TERM "$pid"
wait_run "SIGTSTP, SIGCONT, then SIGTERM"
expect_rc "SIGTSTP, SIGCONT, then SIGTERM: ends as by the signal" 143 "$rc"
check "SIGTSTP, SIGCONT, then SIGTERM: no explore left running" [ -z "$(long_shards)" ]
# A stop while suspended: the shards are continued to take it.
start_long "$tmp/susp2" "$b"
mapfile -t sp < <(long_shards)
kill -TSTP "$pid"
for _ in $(seq 50); do [ "$(states_of "$pid")" = T ] && break; sleep 0.1; done
kill -TERM "$pid"
kill -CONT "$pid"
wait_run "SIGTERM while suspended"
expect_rc "SIGTERM while suspended: ends as by the signal" 143 "$rc"
for _ in $(seq 50); do [ -n "$(long_shards)" ] || break; sleep 0.1; done
check "SIGTERM while suspended: no explore left running" [ -z "$(long_shards)" ]

# stopped_whole WHAT DIR: the run (pid) of DIR, sent SIGTERM while its two
# shards ran, ends as by the signal, both stopped: no temporary file left
# in DIR, nothing left running.
stopped_whole() {
	wait_run "$1"
	expect_rc "$1: ends as by the signal" 143 "$rc"
	contains "$1: said" "$2.err" "stopped by TERM: 2 running shard(s) stopped"
	check "$1: no temporary file" [ -z "$(find "$2" -name '.shard-*')" ]
	for _ in $(seq 50); do [ -n "$(long_shards)" ] || break; sleep 0.1; done
	check "$1: nothing left running" [ -z "$(long_shards)" ]
}

# A second stop kills the shards rather than wait for them (here shards
# that do not take SIGTERM).
printf '#!/bin/sh\ncase "$*" in *--shard*) trap "" TERM; exec sleep 61.5 ;; esac\nexec "%s" "$@"\n' "$b" >"$tmp/deaf"
chmod +x "$tmp/deaf"
start_long "$tmp/deaf2" "$tmp/deaf"
kill -TERM "$pid"
sleep 1
check "a first stop waits for shards that have not stopped" kill -0 "$pid"
t0=$(date +%s)
kill -TERM "$pid"
wait_run "a second stop"
expect_rc "a second stop: ends as by the signal" 143 "$rc"
check "a second stop: at once" [ $(($(date +%s) - t0)) -lt 20 ]
contains "a second stop: said" "$tmp/deaf2.err" "stopped again by TERM: the running shard(s) killed"
for _ in $(seq 50); do [ -n "$(long_shards)" ] || break; sleep 0.1; done
check "a second stop: no shard left running" [ -z "$(long_shards)" ]
check "a second stop: no temporary file" [ -z "$(find "$tmp/deaf2" -name '.shard-*')" ]
# The second stop sent to the run's whole process group, as a terminal's
# second Ctrl-C is, while the first waits for what a wrapper left behind:
# the commands the run waits with die of it, and the run still ends
# whole (its summary said, its temporary files gone).
printf '#!/bin/sh\ncase "$*" in *--shard*) (trap "" TERM; exec sleep 61.5) & wait; exit 0 ;; esac\nexec "%s" "$@"\n' "$b" >"$tmp/leaves"
chmod +x "$tmp/leaves"
setsid "${tool[@]}" "$tmp/grp" --new --shards 100 --jobs 2 --rmapfuzz "$tmp/leaves" -- -p linux-3.15 >"$tmp/grp.out" 2>"$tmp/grp.err" &
pid=$!
for _ in $(seq 100); do grep -q "shard 1/100 started" "$tmp/grp.err" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -TERM -- "-$pid"
sleep 1
kill -TERM -- "-$pid"
stopped_whole "a second stop to the run's group" "$tmp/grp"

# One run a directory: a second, while the first holds the lock, is
# refused; --limit 0 (where it stands) is not.
( flock 9; sleep 5 ) 9>>"$d/.explore-shards.lock" &
lock_pid=$!
for _ in $(seq 100); do flock -n "$d/.explore-shards.lock" true || break; sleep 0.1; done
rc=0
"${tool[@]}" "$d" --rmapfuzz "$b" >"$tmp/lock.out" 2>"$tmp/lock.err" || rc=$?
expect_rc "a second run on a directory" 1 "$rc"
contains "a second run on a directory: said" "$tmp/lock.err" "another explore-shards runs on it"
rc=0
"${tool[@]}" "$d" --limit 0 --rmapfuzz "$b" >"$tmp/lock0.out" 2>"$tmp/lock0.err" || rc=$?
expect_rc "--limit 0 beside a run" 0 "$rc"
contains "--limit 0 beside a run: the merge" "$tmp/lock0.out" "| linux-3.15 | clean within the bound |"
kill "$lock_pid" 2>/dev/null
wait "$lock_pid" 2>/dev/null

# A result that appears while a run goes on (another machine's) is not run
# again, and one that appears while its shard runs is kept over the run's.
rm "$d/shard-0-of-3.json" "$d/shard-2-of-3.json"
printf '#!/bin/sh\ncase "$*" in *--shard*) sleep 2 ;; esac\nexec "%s" "$@"\n' "$b" >"$tmp/slow2"
chmod +x "$tmp/slow2"
"${tool[@]}" "$d" --jobs 1 --rmapfuzz "$tmp/slow2" >"$tmp/appear.out" 2>"$tmp/appear.err" &
pid=$!
for _ in $(seq 100); do grep -q "shard 0/3 started" "$tmp/appear.err" 2>/dev/null && break; sleep 0.1; done
echo "another machine's" >"$d/shard-0-of-3.json"
cp "$tmp/shard1.json" "$d/shard-2-of-3.json"
rc=0
wait "$pid" || rc=$?
same "appeared meanwhile: the other machine's file kept" "another machine's" "$(cat "$d/shard-0-of-3.json")"
contains "appeared meanwhile: said" "$tmp/appear.err" "shard 0/3: a result appeared in"
contains "appeared meanwhile: not run" "$tmp/appear.err" "shard 2/3: a result appeared meanwhile (another machine's?); not run"
absent "appeared meanwhile: no temporary file left" "$d/.shard-0-of-3.json.tmp"
for i in 0 2; do rm -f "$d/shard-$i-of-3.json"; done
"${tool[@]}" "$d" --rmapfuzz "$b" >/dev/null 2>&1

# The script rewritten while it runs (a git pull during a campaign): the
# run goes on as it began. A copy of tools/ runs, with an rmapfuzz that
# takes 2 s a shard; the copy's script becomes lines that would leave a
# mark if read.
mkdir -p "$tmp/copy"
cp -r "$src/tools" "$tmp/copy/"
printf '#!/bin/sh\ncase "$*" in *--shard*) sleep 2 ;; esac\nexec "%s" "$@"\n' "$b" >"$tmp/slow-rmapfuzz"
chmod +x "$tmp/slow-rmapfuzz"
"$tmp/copy/tools/explore-shards.sh" "$tmp/edited" --new --shards 2 --jobs 1 --rmapfuzz "$tmp/slow-rmapfuzz" -- \
	"${small[@]}" >"$tmp/edited.out" 2>"$tmp/edited.err" &
pid=$!
for _ in $(seq 100); do grep -q "shard 0/2 started" "$tmp/edited.err" 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 400); do echo "touch '$tmp/clobbered'"; done >"$tmp/copy/tools/explore-shards.sh"
rc=0
wait "$pid" || rc=$?
expect_rc "the script rewritten while it runs: the run ends as it began" 0 "$rc"
absent "the script rewritten while it runs: none of the new text ran" "$tmp/clobbered"
check "the script rewritten while it runs: both shards kept" [ -s "$tmp/edited/shard-1-of-2.json" ]

# A queue: two campaigns (3 shards and 2), their shards DIR by DIR, J at
# a time over both; stdout each DIR's merge, as it alone prints it, after
# a line naming it, in the order given.
q=$tmp/q
mkdir -p "$q/first" "$q/second"
printf 'shards 3\nexplore %s\n' "${small[*]}" >"$q/first/campaign"
printf 'shards 2\nexplore -p linux-3.15 --max-ops 3 --max-conc 2 --max-pmds 2 --max-mms 1\n' >"$q/second/campaign"
cp -r "$q" "$tmp/alone"
rc=0
"${tool[@]}" "$q/first" "$q/second" --jobs 2 --rmapfuzz "$b" >"$tmp/q.out" 2>"$tmp/q.err" || rc=$?
expect_rc "a queue: every shard run" 0 "$rc"
for i in 0 1 2; do check "a queue: the first DIR's shard $i kept" [ -s "$q/first/shard-$i-of-3.json" ]; done
for i in 0 1; do check "a queue: the second DIR's shard $i kept" [ -s "$q/second/shard-$i-of-2.json" ]; done
for k in first second; do
	"${tool[@]}" "$tmp/alone/$k" --jobs 2 --rmapfuzz "$b" >"$tmp/alone-$k.out" 2>"$tmp/alone-$k.err"
done
# The merges but their seconds.
norm() { grep -vE ' in [0-9.]+ s$' | sed -E 's/[|] [0-9.]+ [|]$/|/'; }
expected=$(printf '## %s\n\n%s\n\n## %s\n\n%s\n' "$q/first" "$(cat "$tmp/alone-first.out")" \
	"$q/second" "$(cat "$tmp/alone-second.out")" | norm)
same "a queue: stdout is each DIR's merge as it alone prints it, in order" "$expected" "$(norm <"$tmp/q.out")"
contains "a queue: the first DIR's merge is of the bound" "$tmp/q.out" "| linux-3.14 | kernel-bug"
contains "a queue: said" "$tmp/q.err" "the queue: 5 shard(s) of 2 DIRs to run now, 2 at a time, by "
contains "a queue: each DIR's shards said" "$tmp/q.err" "explore-shards: $q/second: 0 of 2 shards kept; 2 to run now"
contains "a queue: a progress line names its DIR" "$tmp/q.err" "explore-shards: second: shard 1/2: linux-3.15 clean, "
contains "a queue: the queue's estimate" "$tmp/q.err" "; the queue: 0 to go, about "
lacks "a queue: no shard line without its DIR" "$tmp/q.err" "explore-shards: shard "
# Line numbers in the progress: the shards start DIR by DIR, and the
# second's first starts while the first's last runs (when the first's
# second shard ends, its third runs: two ends of the first's come before
# the second's start, the third after it).
line_of() { grep -nF -- "$1" "$tmp/q.err" | head -n 1 | cut -d: -f1; }
first_last_start=$(line_of "explore-shards: first: shard 2/3 started")
second_start=$(line_of "explore-shards: second: shard 0/2 started")
first_last_end=$(grep -nE '^explore-shards: first: shard [0-9]/3: ' "$tmp/q.err" | tail -n 1 | cut -d: -f1)
if [ -n "$first_last_start" ] && [ -n "$second_start" ] && [ "$first_last_start" -lt "$second_start" ]; then pass; else
	fail "a queue: the first DIR's shards start before the second's"
fi
if [ -n "$second_start" ] && [ -n "$first_last_end" ] && [ "$second_start" -lt "$first_last_end" ]; then pass; else
	fail "a queue: the second DIR's first shard starts before the first's last ends:"
	sed 's/^/    /' "$tmp/q.err" >&2
fi
# The first's merge is printed when its last shard ends, before the
# second's last shard ends.
if [ "$(line_of "explore-shards: first: the merge of the 3 kept shard(s):")" -lt \
	"$(grep -nE '^explore-shards: second: shard [0-9]/2: ' "$tmp/q.err" | tail -n 1 | cut -d: -f1)" ]; then pass; else
	fail "a queue: the first DIR's merge before the second DIR's end"
fi

# --table and --limit 0: each DIR in turn, after a line naming it.
"${tool[@]}" "$q/first" "$q/second" --table >"$tmp/qt.out"
expected=$(printf '## %s\n\n%s\n\n## %s\n\n%s' "$q/first" "$("${tool[@]}" "$q/first" --table)" \
	"$q/second" "$("${tool[@]}" "$q/second" --table)")
same "a queue's --table: each DIR's table after its name" "$expected" "$(cat "$tmp/qt.out")"
"${tool[@]}" "$q/first" "$q/second" --limit 0 --rmapfuzz "$b" >"$tmp/ql0.out" 2>"$tmp/ql0.err"
same "a queue's --limit 0: each DIR's merge after its name" "$(norm <"$tmp/q.out")" "$(norm <"$tmp/ql0.out")"
contains "a queue's --limit 0: each DIR's shards said" "$tmp/ql0.err" "explore-shards: $q/second: 2 of 2 shards kept"

# --limit counts over the whole queue.
rm "$q/first/shard-2-of-3.json" "$q/second"/shard-*
rc=0
"${tool[@]}" "$q/first" "$q/second" --limit 2 --jobs 1 --rmapfuzz "$b" >"$tmp/qlim.out" 2>"$tmp/qlim.err" || rc=$?
expect_rc "a queue's --limit 2" 0 "$rc"
same "a queue's --limit 2: the first's last shard and the second's first run" \
	"shard-0-of-3.json shard-1-of-3.json shard-2-of-3.json shard-0-of-2.json" \
	"$(cd "$q" && echo first/shard-* second/shard-* | sed 's|[a-z]*/||g')"
contains "a queue's --limit 2: said" "$tmp/qlim.err" "the queue: 2 shard(s) of 2 DIRs to run now"
contains "a queue's --limit 2: the second's merge, of its shard run" "$tmp/qlim.out" \
	"| linux-3.15 | clean in 1 of 2 shards (0), not the whole bound |"

# Every DIR's lock is taken before any shard runs: the second's held, the
# queue is refused, nothing of the first run.
rm "$q/first/shard-2-of-3.json"
exec {held}>>"$q/second/.explore-shards.lock"
flock -n "$held"
rc=0
"${tool[@]}" "$q/first" "$q/second" --rmapfuzz "$b" >"$tmp/qlock.out" 2>"$tmp/qlock.err" || rc=$?
exec {held}>&-
expect_rc "a queue, the second DIR's lock held: refused" 1 "$rc"
contains "a queue, the second DIR's lock held: said" "$tmp/qlock.err" "$q/second: another explore-shards runs on it"
lacks "a queue, the second DIR's lock held: no shard started" "$tmp/qlock.err" "started"
absent "a queue, the second DIR's lock held: nothing of the first run" "$q/first/shard-2-of-3.json"

# A shard that fails in the first DIR starts no other, of any DIR.
rm "$q/first/shard-1-of-3.json"
printf '#!/bin/sh\ncase "$*" in *"--shard 1/3"*) echo "this shard fails" >&2; exit 3 ;; esac\nexec "%s" "$@"\n' "$b" >"$tmp/fail1"
chmod +x "$tmp/fail1"
rc=0
"${tool[@]}" "$q/first" "$q/second" --jobs 1 --rmapfuzz "$tmp/fail1" >"$tmp/qfail.out" 2>"$tmp/qfail.err" || rc=$?
expect_rc "a queue, a shard failed" 1 "$rc"
contains "a queue, a shard failed: said" "$tmp/qfail.err" "explore-shards: first: shard 1/3 failed (exit 3"
contains "a queue, a shard failed: its error" "$tmp/qfail.err" "this shard fails"
lacks "a queue, a shard failed: the first's next not started" "$tmp/qfail.err" "first: shard 2/3 started"
lacks "a queue, a shard failed: none of the second started" "$tmp/qfail.err" "second: shard 1/2 started"
absent "a queue, a shard failed: none of the second run" "$q/second/shard-1-of-2.json"
contains "a queue, a shard failed: the first's merge" "$tmp/qfail.out" "| linux-3.15 | clean in 1 of 3 shards (0), not the whole bound |"
contains "a queue, a shard failed: the second's merge" "$tmp/qfail.out" "| linux-3.15 | clean in 1 of 2 shards (0), not the whole bound |"

# Refused on the command line: --new with two DIRs; a DIR twice (under
# another name too).
refused "--new with two DIRs" "--new starts one DIR, not 2" "$tmp/n4" "$tmp/n5" --new --shards 2 -- -p linux-3.15
absent "--new with two DIRs: nothing made" "$tmp/n4"
refused "a DIR twice" "$q/first/: the same directory as $q/first" "$q/first" "$q/second" "$q/first/"
refused "a DIR twice, under another name" "the same directory as $q/second" "$q/second" "$q/first/../second"

# A stop reaches the running shards of every DIR; each shard holds its own
# DIR's lock only. (The default bound: the first DIR's one shard left and
# the second's first run for minutes.)
mkdir -p "$tmp/stopq/first" "$tmp/stopq/second"
printf 'shards 2\nexplore -p linux-3.15\n' >"$tmp/stopq/first/campaign"
# (Shard 0 kept: a file that is a whole result of the campaign's search,
# as explore-shards checks it.)
{
	echo "{"
	"$b" explore -p linux-3.15 --dry-run | sed -n 's|^bound: \(.*\)|  "bound": "\1; shard 0/2",|p'
	printf '  "results": [\n    {"protocol": "linux-3.15", "end": "complete"}\n  ]\n}\n'
} >"$tmp/stopq/first/shard-0-of-2.json"
printf 'shards 100\nexplore -p linux-3.15\n' >"$tmp/stopq/second/campaign"
"${tool[@]}" "$tmp/stopq/first" "$tmp/stopq/second" --jobs 2 --rmapfuzz "$b" >"$tmp/stopq.out" 2>"$tmp/stopq.err" &
pid=$!
for _ in $(seq 100); do grep -q "second: shard 0/100 started" "$tmp/stopq.err" 2>/dev/null && break; sleep 0.1; done
sleep 1
mapfile -t sp < <(long_shards)
same "a queue's stop: a shard of each DIR runs" 2 "${#sp[@]}"
for p in "${sp[@]}"; do
	out=$(readlink "/proc/$p/fd/1")
	locks=$(for f in /proc/"$p"/fd/*; do readlink "$f"; done | grep -F .explore-shards.lock)
	same "a queue: a shard holds its own DIR's lock only" "${out%/.shard-*}/.explore-shards.lock" "$locks"
done
kill -TERM "$pid"
stopped_whole "a queue's stop" "$tmp/stopq"
for k in first second; do
	check "a queue's stop: the $k DIR's lock free" flock -n "$tmp/stopq/$k/.explore-shards.lock" true
done

# A queue writes a DIR's merge while the next DIR's shards run: stdout's
# reader gone (a pipe into head) stops the run as a signal does, exit
# 141, its shards stopped and their partial files gone, not left running.
mkdir -p "$tmp/pipeq/first" "$tmp/pipeq/second"
printf 'shards 1\nexplore %s\n' "${small[*]}" >"$tmp/pipeq/first/campaign"
printf 'shards 100\nexplore -p linux-3.15\n' >"$tmp/pipeq/second/campaign"
"${tool[@]}" "$tmp/pipeq/first" "$tmp/pipeq/second" --jobs 2 --rmapfuzz "$b" 2>"$tmp/pipeq.err" | true
rc=${PIPESTATUS[0]}
expect_rc "a queue's stdout closed: ends as by SIGPIPE" 141 "$rc"
contains "a queue's stdout closed: said" "$tmp/pipeq.err" "stopped by PIPE: 2 running shard(s) stopped"
check "a queue's stdout closed: no temporary file" [ -z "$(find "$tmp/pipeq" -name '.shard-*')" ]
for _ in $(seq 50); do [ -n "$(long_shards)" ] || break; sleep 0.1; done
check "a queue's stdout closed: nothing left running" [ -z "$(long_shards)" ]
check "a queue's stdout closed: the second DIR's lock free" flock -n "$tmp/pipeq/second/.explore-shards.lock" true
for p in $(long_shards); do kill -KILL "$p" 2>/dev/null || true; done

# A --version that fails names no version, and stops nothing.
# shellcheck disable=SC2016 # the wrapper's own $1 and $@
printf '#!/bin/sh\n[ "$1" = --version ] && exit 3\nexec "%s" "$@"\n' "$b" >"$tmp/noversion"
chmod +x "$tmp/noversion"
mkdir -p "$tmp/nov"
printf 'shards 1\nexplore %s\n' "${small[*]}" >"$tmp/nov/campaign"
rc=0
"${tool[@]}" "$tmp/nov" --rmapfuzz "$tmp/noversion" >"$tmp/nov.out" 2>"$tmp/nov.err" || rc=$?
expect_rc "a --version that fails: the shards run" 0 "$rc"
contains "a --version that fails: said" "$tmp/nov.err" "by an rmapfuzz whose --version failed"
check "a --version that fails: the shard kept" [ -s "$tmp/nov/shard-0-of-1.json" ]
# A search of one shard: its file's bound names no shard, and a later run
# takes it as kept (not another search's).
rc=0
"${tool[@]}" "$tmp/nov" --limit 0 --rmapfuzz "$b" >"$tmp/nov2.out" 2>"$tmp/nov2.err" || rc=$?
expect_rc "one shard, run again" 0 "$rc"
lacks "one shard, run again: its file not refused" "$tmp/nov2.err" "move it away"
# A kept file with CRLF line ends (a copy through another system) is
# whole, as the merge reads it.
mkdir -p "$tmp/crlf"
cp "$tmp/nov/campaign" "$tmp/crlf/"
sed 's/$/\r/' "$tmp/nov/shard-0-of-1.json" >"$tmp/crlf/shard-0-of-1.json"
rc=0
"${tool[@]}" "$tmp/crlf" --limit 0 --rmapfuzz "$b" >"$tmp/crlf.out" 2>"$tmp/crlf.err" || rc=$?
expect_rc "a kept file with CRLF ends" 0 "$rc"
lacks "a kept file with CRLF ends: not refused" "$tmp/crlf.err" "move it away"

# ./build.sh explore-shards builds, and first checks (as root: installs)
# the toolchain, only when the tool will build: not with --rmapfuzz, nor
# for --table, nor for --limit 0 with build/nosan's rmapfuzz there. (A
# checkout without sources, its toolchain stubs that leave a mark.)
copy_checkout "$tmp/co"
mkdir -p "$tmp/co/build/nosan" "$tmp/stubs"
cp "$b" "$tmp/co/build/nosan/rmapfuzz"
for t in clang cmake ninja apt-get; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\nexit 1\n' "$t" "$tmp/stubs.log" >"$tmp/stubs/$t"
	chmod +x "$tmp/stubs/$t"
done
for c in --table "--limit 0" "--rmapfuzz $b"; do
	rc=0
	# shellcheck disable=SC2086 # $c: one option or two words
	PATH=$tmp/stubs:$PATH RMAPFUZZ_BUILD_DIR=$tmp/co/build "$tmp/co/build.sh" explore-shards "$d" $c \
		>"$tmp/nobuild.out" 2>"$tmp/nobuild.err" || rc=$?
	expect_rc "./build.sh explore-shards ${c%% *}: no build" 0 "$rc"
	absent "./build.sh explore-shards ${c%% *}: no toolchain run" "$tmp/stubs.log"
	rm -f "$tmp/stubs.log"
done

# ./build.sh explore -p P: the named protocols (it once passed --all
# beside them, which explore refuses). Its build is stubbed: the copy's
# build/nosan holds the rmapfuzz under test.
mkdir -p "$tmp/okstubs"
for t in cmake ninja; do printf '#!/bin/sh\nexit 0\n' >"$tmp/okstubs/$t" && chmod +x "$tmp/okstubs/$t"; done
rc=0
PATH=$tmp/okstubs:$PATH RMAPFUZZ_BUILD_DIR=$tmp/co/build "$tmp/co/build.sh" explore -p linux-3.14 \
	--max-ops 2 --max-conc 2 --max-pmds 1 --max-mms 1 >"$tmp/bexp.out" 2>"$tmp/bexp.err" || rc=$?
expect_rc "./build.sh explore -p" 0 "$rc"
contains "./build.sh explore -p: the named row" "$tmp/bexp.out" "| linux-3.14 | kernel-bug"
lacks "./build.sh explore -p: that row only" "$tmp/bexp.out" "| linux-3.15 |"

"${tool[@]}" --help >"$tmp/h.out"
contains "--help" "$tmp/h.out" "usage: tools/explore-shards.sh DIR"
contains "--help: the queue" "$tmp/h.out" "usage: tools/explore-shards.sh DIR [DIR...]"
finish
