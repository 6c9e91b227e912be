#!/usr/bin/env bash
# Every crasher (crashers/<protocol>/*.bin) still violates under its
# protocol with the signature its .txt records, passes under all-fixes (every
# fix known, every invariant family) and under linux-3.15 for the walks (the
# seed's question: its TLBs are CVE-2018-18281's), and its .txt encodes back
# to its bytes.
# Usage: crashers_test.sh BUILD_DIR SOURCE_DIR
set -u
build=${1:?usage: tests/crashers_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/crashers_test.sh BUILD_DIR SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
n=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

for bin in "$src"/crashers/*/*.bin; do
	[ -e "$bin" ] || continue
	n=$((n + 1))
	proto=$(basename "$(dirname "$bin")")
	txt=${bin%.bin}.txt
	[ -f "$txt" ] || { fail "$bin has no .txt"; continue; }
	sig=$(head -n 1 "$txt" | sed 's/^# //')
	"$build/rmapfuzz" replay --protocol "$proto" "$bin" >"$tmp/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] || fail "$bin: exit $rc under $proto, expected 1 (a violation)"
	[ "$(sed -n 2p "$tmp/out")" = "$sig" ] || fail "$bin: '$(sed -n 2p "$tmp/out")', expected '$sig'"
	"$build/rmapfuzz" replay --protocol all-fixes --every-step "$bin" >"$tmp/out" 2>&1 ||
		fail "$bin: violates under all-fixes: $(sed -n 2p "$tmp/out")"
	"$build/rmapfuzz" replay --protocol linux-3.15 --invariants walk --every-step "$bin" >"$tmp/out" 2>&1 ||
		fail "$bin: violates the walks under linux-3.15: $(sed -n 2p "$tmp/out")"
	"$build/rmapfuzz" encode "$txt" -o "$tmp/again.bin" 2>"$tmp/err" || fail "$txt: $(cat "$tmp/err")"
	cmp -s "$bin" "$tmp/again.bin" || fail "$txt does not encode to $bin"
done
echo "$n crashers replayed, $failures failures"
[ "$failures" -eq 0 ]
