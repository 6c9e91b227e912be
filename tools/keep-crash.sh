#!/usr/bin/env bash
# Turn a crashing input into a regression input under crashers/.
#
#   tools/keep-crash.sh PROTOCOL CRASH_FILE
#
# Minimizes the crash twice, with `rmapfuzz minimize` (delta debugging over
# records) and with libFuzzer's -minimize_crash, keeps the smaller of those
# that still has the crash's signature (libFuzzer's, then ours over it) (the report's first line), and writes
# it as crashers/PROTOCOL/<invariant>-<hash>.bin with its scenario text and
# signature in a .txt next to it. A crasher is never overwritten or deleted:
# when one with the same signature is already there and is no larger, the
# new one is not kept. Prints one line saying what happened and both sizes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
[ $# -eq 2 ] || { echo "usage: tools/keep-crash.sh PROTOCOL CRASH_FILE" >&2; exit 2; }
proto=$1
crash=$2
[ -f "$crash" ] || { echo "keep-crash: $crash: no such file" >&2; exit 2; }
tool="$build/rmapfuzz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

signature_of() { # FILE -> the report's first line, or nothing when it passes
	{ "$tool" replay --protocol "$proto" "$1" 2>/dev/null || true; } | sed -n '2{/^rmap violation: /p}'
}

sig=$(signature_of "$crash")
if [ -z "$sig" ]; then
	echo "keep-crash: $crash does not violate under $proto (a crash of the model itself?)" >&2
	exit 1
fi

"$tool" minimize --protocol "$proto" "$crash" -o "$tmp/ours.bin" >/dev/null
ours=$(( $(stat -c %s "$tmp/ours.bin") / 4 ))

# libFuzzer's minimizer, made canonical through the scenario text.
best="$tmp/ours.bin"
theirs=-
if [ -x "$build/rmap_fuzzer" ]; then
	RMAP_PROTOCOL=$proto "$build/rmap_fuzzer" -minimize_crash=1 -max_total_time=10 \
		-exact_artifact_path="$tmp/libfuzzer.bin" "$crash" >"$tmp/libfuzzer.log" 2>&1 || true
	if [ -s "$tmp/libfuzzer.bin" ] && [ "$(signature_of "$tmp/libfuzzer.bin")" = "$sig" ]; then
		"$tool" show --protocol "$proto" "$tmp/libfuzzer.bin" >"$tmp/libfuzzer.txt"
		"$tool" encode "$tmp/libfuzzer.txt" -o "$tmp/libfuzzer-canonical.bin"
		theirs=$(( $(stat -c %s "$tmp/libfuzzer-canonical.bin") / 4 ))
		if [ "$theirs" -lt "$ours" ]; then
			# Ours again on libFuzzer's result: operands toward zero, so
			# the text reads mm0 and thp0, not mm34 and thp159.
			"$tool" minimize --protocol "$proto" "$tmp/libfuzzer-canonical.bin" -o "$tmp/both.bin" >/dev/null
			best="$tmp/both.bin"
		fi
	fi
fi
size=$(stat -c %s "$best")

invariant=$(sed -E 's/^rmap violation: ([a-z-]+) .*/\1/' <<<"$sig")
dir="$here/crashers/$proto"
mkdir -p "$dir"
for txt in "$dir"/*.txt; do
	[ -e "$txt" ] || continue
	if [ "$(head -n 1 "$txt")" = "# $sig" ] && [ "$(stat -c %s "${txt%.txt}.bin")" -le "$size" ]; then
		echo "keep-crash: $proto $invariant: ours $ours records, libFuzzer's $theirs; kept ${txt%.txt}.bin ($(( $(stat -c %s "${txt%.txt}.bin") / 4 )) records)"
		exit 0
	fi
done
hash=$(sha1sum "$best" | cut -c1-8)
out="$dir/$invariant-$hash"
cp "$best" "$out.bin"
{
	echo "# $sig"
	echo "# minimized from $(basename "$crash"): rmapfuzz minimize $ours records, libFuzzer -minimize_crash $theirs"
	"$tool" show --protocol "$proto" "$out.bin"
} >"$out.txt"
echo "keep-crash: $proto $invariant: ours $ours records, libFuzzer's $theirs; wrote ${out#"$here"/}.bin ($((size / 4)) records)"
