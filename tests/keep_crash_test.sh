#!/usr/bin/env bash
# tools/keep-crash.sh: a crash becomes a crasher in $RMAPFUZZ_CRASHERS_DIR
# (never the checkout's crashers/ here), with its .txt, written whole; a
# second crash of the same signature keeps the crasher already there; both
# minimizers run from paths with blanks; progress on stderr; --fast skips
# libFuzzer's pass; a passing input is refused.
# Usage: keep_crash_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/keep_crash_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/keep_crash_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

export RMAPFUZZ_BUILD_DIR=$build
export RMAPFUZZ_CRASHERS_DIR="$tmp/kept crashers"
mkdir -p "$tmp/a dir"
# The mail's race (tests/cli_test.sh): split-missed-pmd under linux-3.12,
# with records the minimizers can drop (the race's own six, and two more).
crash="$tmp/a dir/crash file"
printf '\x81\x00\x00\x03\x81\x01\x00\x03\x82\x00\x02\x01\x84\x08\x02\x08\x04\x08\x08\x02\x06\x00\x00\x00\x00\x39\x00\xdc\x81\x02\x00\x01' >"$crash"
rc=0
"$build/rmapfuzz" replay --protocol linux-3.12 "$crash" >"$tmp/out" 2>&1 || rc=$?
expect_rc "the test's crash violates" 1 "$rc"
sig=$(sed -n 2p "$tmp/out")
same "the test's crash's signature" "rmap violation: split-missed-pmd (linux-3.12)" "$sig"

# --fast: ours only.
rc=0
"$src/tools/keep-crash.sh" --fast linux-3.12 "$crash" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "keep-crash --fast" 0 "$rc"
contains "--fast skips libFuzzer" "$tmp/out" "libFuzzer's skipped (--fast)"
contains "--fast writes a crasher" "$tmp/out" "; wrote $RMAPFUZZ_CRASHERS_DIR/linux-3.12/split-missed-pmd-"
contains "progress: the replay" "$tmp/err" "keep-crash: [1/2] replayed: $sig"
contains "progress: ours" "$tmp/err" "keep-crash: [2/2] rmapfuzz minimize"
bins=("$RMAPFUZZ_CRASHERS_DIR"/linux-3.12/*.bin)
same "one crasher written" 1 "${#bins[@]}"
bin=${bins[0]}
txt=${bin%.bin}.txt
same "its .txt's first line is the signature" "# $sig" "$(head -n 1 "$txt" 2>/dev/null)"
rc=0
"$build/rmapfuzz" replay --protocol linux-3.12 "$bin" >"$tmp/out" 2>&1 || rc=$?
expect_rc "the crasher violates" 1 "$rc"
same "the crasher keeps the signature" "$sig" "$(sed -n 2p "$tmp/out")"
rc=0
"$build/rmapfuzz" encode "$txt" -o "$tmp/again.bin" >/dev/null 2>&1 || rc=$?
expect_rc "its .txt encodes" 0 "$rc"
check "its .txt encodes to its bytes" cmp -s "$bin" "$tmp/again.bin"
check "minimized: smaller than the crash" [ "$(stat -c %s "$bin")" -lt "$(stat -c %s "$crash")" ]
same "nothing but the crasher in the directory" "$(basename "$bin") $(basename "$txt")" \
	"$(find "$RMAPFUZZ_CRASHERS_DIR/linux-3.12" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ' | sed 's/ $//')"

# Both minimizers (libFuzzer's -minimize_crash runs itself again with the
# paths in a command line: blanks in them broke it): the same signature,
# no smaller, so the crasher already there is kept and nothing is written.
before=$(ls -l --time-style=+%s.%N "$RMAPFUZZ_CRASHERS_DIR/linux-3.12")
rc=0
"$src/tools/keep-crash.sh" linux-3.12 "$crash" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "keep-crash" 0 "$rc"
if grep -qE "libFuzzer's [0-9]+;" "$tmp/out"; then pass; else fail "libFuzzer's minimizer gave nothing: $(cat "$tmp/out")"; fi
contains "the crasher already there holds the signature" "$tmp/out" "; kept $bin ("
same "nothing written" "$before" "$(ls -l --time-style=+%s.%N "$RMAPFUZZ_CRASHERS_DIR/linux-3.12")"
for k in 1 2 3; do contains "progress: phase $k of 3" "$tmp/err" "keep-crash: [$k/3] "; done

# Into the checkout's own crashers/ (a copy of it here), a crasher comes
# with its golden report, which tests/golden_test.sh compares replays with.
copy_checkout "$tmp/repo"
rm -rf "$tmp/repo/crashers/linux-3.12"
rc=0
env -u RMAPFUZZ_CRASHERS_DIR "$tmp/repo/tools/keep-crash.sh" --fast linux-3.12 "$crash" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "keep-crash into the checkout" 0 "$rc"
kept=("$tmp/repo/crashers/linux-3.12"/*.bin)
golden="$tmp/repo/tests/golden/linux-3.12/$(basename "${kept[0]}" .bin).report"
contains "it names the golden report" "$tmp/out" "its report is tests/golden/linux-3.12/"
check "the golden report is there" [ -f "$golden" ]
contains "the golden is the crasher's report" "$golden" "$sig"

# A passing input is no crash.
rc=0
"$src/tools/keep-crash.sh" --fast linux-3.15 "$crash" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "a passing input" 1 "$rc"
contains "a passing input: said" "$tmp/err" "does not violate under linux-3.15"
absent "a passing input: no crasher" "$RMAPFUZZ_CRASHERS_DIR/linux-3.15"
rc=0
"$src/tools/keep-crash.sh" linux-3.12 "$tmp/no such file" >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "a missing file" 2 "$rc"
contains "a missing file: named" "$tmp/err" "no such file"

finish
