#!/usr/bin/env bash
# Every kept crasher's report is its golden one: crashers/P/NAME.bin, replayed
# from the source tree as `build/rmapfuzz replay --protocol P
# crashers/P/NAME.bin` (the report a developer reads), must print exactly
# tests/golden/P/NAME.report. A change to the reports shows as a diff here;
# once the new reports read right, tools/update-golden.sh writes them.
# Usage: golden_test.sh BUILD_DIR SOURCE_DIR
set -u
build=${1:?usage: tests/golden_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/golden_test.sh BUILD_DIR SOURCE_DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src" || exit 2
failures=0
n=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

for bin in crashers/*/*.bin; do
	[ -e "$bin" ] || continue
	n=$((n + 1))
	proto=$(basename "$(dirname "$bin")")
	golden=tests/golden/$proto/$(basename "$bin" .bin).report
	"$build/rmapfuzz" replay --protocol "$proto" "$bin" >"$tmp/report" 2>&1
	if [ ! -f "$golden" ]; then
		fail "$bin has no golden report ($golden). Its report is below; when it reads
      right, create the golden with: tools/update-golden.sh $bin"
		sed 's/^/      | /' "$tmp/report" >&2
	elif ! diff -u --label "$golden (golden)" --label "$bin (replayed now)" "$golden" \
		"$tmp/report" >"$tmp/diff"; then
		fail "$bin: its report is not $golden. The diff (- golden, + now) is below;
      when the new report reads right: tools/update-golden.sh $bin"
		cat "$tmp/diff" >&2
	fi
done
for golden in tests/golden/*/*.report; do
	[ -e "$golden" ] || continue
	proto=$(basename "$(dirname "$golden")")
	bin=crashers/$proto/$(basename "$golden" .report).bin
	[ -f "$bin" ] || fail "$golden is the report of no crasher ($bin): remove it"
done
echo "$n golden reports checked, $failures failures"
[ "$failures" -eq 0 ]
