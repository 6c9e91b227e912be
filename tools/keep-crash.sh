#!/usr/bin/env bash
# Turn a crashing input into a regression input under crashers/.
#
#   tools/keep-crash.sh [--fast] PROTOCOL CRASH_FILE
#
# Minimizes the crash twice, with `rmapfuzz minimize` (delta debugging over
# records) and with libFuzzer's -minimize_crash, keeps the smaller of those
# that still has the crash's signature (the report's first line;
# libFuzzer's result is minimized again by ours), and writes it as
# crashers/PROTOCOL/<invariant>-<hash>.bin with its scenario text and
# signature in a .txt next to it. A crasher is never overwritten or
# deleted: when one with the same signature is already there and is no
# larger, the new one is not kept. --fast: ours only (milliseconds, not
# libFuzzer's ten seconds). Progress on stderr; on stdout one line saying
# what happened, both sizes and which crasher holds the signature.
set -euo pipefail

rf_name=keep-crash
rf_synopsis="[--fast] PROTOCOL CRASH_FILE"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_invoked tools/keep-crash.sh

usage() {
	cat <<EOF
$(rf_usage_line)

Minimize CRASH_FILE, a violation under PROTOCOL, and keep it in
crashers/PROTOCOL/ as <invariant>-<hash>.bin with a .txt (its signature,
the report's first line, and its scenario text), unless a crasher with
the same signature and no more records is already there. Never
overwrites or deletes a crasher.

  --fast      rmapfuzz minimize only (milliseconds); skip libFuzzer's
              -minimize_crash pass (about 10 s)
  -h, --help  this help
  --version   the version

Prints progress on stderr, and on stdout one line (broken here in two):
  keep-crash: PROTOCOL INVARIANT: ours N records, libFuzzer's M;
    wrote|kept CRASHER (R records)
("wrote": this crash's minimized input is the new crasher; "kept": the
crasher already there holds the signature). Exit 0 when the signature has
a crasher, 1 when CRASH_FILE does not violate under PROTOCOL, 2 on a bad
command line or a missing file.

Environment: RMAPFUZZ_CRASHERS_DIR (instead of crashers/),
RMAPFUZZ_BUILD_DIR (instead of build/).
EOF
}

fast=0
args=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--version) rf_version; exit 0 ;;
	--fast) fast=1; shift ;;
	--) shift; args+=("$@"); break ;;
	-?*) rf_usage_error "unknown option '$1'" ;;
	*) args+=("$1"); shift ;;
	esac
done
[ ${#args[@]} -eq 2 ] || rf_usage_error "wants PROTOCOL and CRASH_FILE, not ${#args[@]} argument(s)"
proto=${args[0]}
crash=${args[1]}
rf_need_build rmapfuzz
rf_check_protocol "$proto"
[ -f "$crash" ] || { rf_err "$crash: no such file"; exit 2; }
tool="$rf_build/rmapfuzz"
# libFuzzer's -minimize_crash runs itself again with the paths pasted
# into a command line: it gets them from a directory without blanks.
tmp=$(rf_tmpdir keep-crash)
trap 'rm -rf "$tmp"' EXIT
cp "$crash" "$tmp/crash"

signature_of() { # FILE -> the report's first line, or nothing when it passes
	{ "$tool" replay --protocol "$proto" "$1" 2>/dev/null || true; } | sed -n '2{/^rmap violation: /p}'
}
records() { echo $(($(stat -c %s "$1") / 4)); }

units=3
[ "$fast" = 1 ] && units=2
rf_progress_start "$units"
sig=$(signature_of "$crash")
if [ -z "$sig" ]; then
	rf_err "$crash does not violate under $proto (a crash of the model itself?)"
	exit 1
fi
rf_progress "replayed: $sig" "$([ "$fast" = 1 ] && echo 0.1 || echo 10)"

"$tool" minimize --protocol "$proto" "$tmp/crash" -o "$tmp/ours.bin" >/dev/null
ours=$(records "$tmp/ours.bin")
best="$tmp/ours.bin"
theirs=-
if [ "$fast" = 1 ]; then
	theirs="skipped (--fast)"
	rf_progress "rmapfuzz minimize: $ours records"
else
	rf_progress "rmapfuzz minimize: $ours records; next libFuzzer's -minimize_crash (10 s)" 10
	# libFuzzer's minimizer, made canonical through the scenario text.
	if [ -x "$rf_build/rmap_fuzzer" ]; then
		ln -s "$rf_build/rmap_fuzzer" "$tmp/rmap_fuzzer"
		RMAP_PROTOCOL=$proto "$tmp/rmap_fuzzer" -minimize_crash=1 -max_total_time=10 \
			-exact_artifact_path="$tmp/libfuzzer.bin" "$tmp/crash" >"$tmp/libfuzzer.log" 2>&1 || true
		if [ -s "$tmp/libfuzzer.bin" ] && [ "$(signature_of "$tmp/libfuzzer.bin")" = "$sig" ]; then
			"$tool" show --protocol "$proto" "$tmp/libfuzzer.bin" >"$tmp/libfuzzer.txt"
			"$tool" encode "$tmp/libfuzzer.txt" -o "$tmp/libfuzzer-canonical.bin"
			theirs=$(records "$tmp/libfuzzer-canonical.bin")
			if [ "$theirs" -lt "$ours" ]; then
				# Ours again on libFuzzer's result: operands toward zero, so
				# the text reads mm0 and thp0, not mm34 and thp159.
				"$tool" minimize --protocol "$proto" "$tmp/libfuzzer-canonical.bin" -o "$tmp/both.bin" >/dev/null
				best="$tmp/both.bin"
			fi
		fi
	fi
	rf_progress "libFuzzer -minimize_crash: $theirs records"
fi
size=$(stat -c %s "$best")

invariant=$(sed -E 's/^rmap violation: ([a-z-]+) .*/\1/' <<<"$sig")
said="keep-crash: $proto $invariant: ours $ours records, libFuzzer's $theirs"
dir="$rf_crashers/$proto"
mkdir -p "$dir"
for txt in "$dir"/*.txt; do
	bin=${txt%.txt}.bin
	if [ ! -f "$txt" ] || [ ! -f "$bin" ]; then continue; fi
	if [ "$(head -n 1 "$txt")" = "# $sig" ] && [ "$(stat -c %s "$bin")" -le "$size" ]; then
		echo "$said; kept $(rf_rel "$bin") ($(records "$bin") records)"
		exit 0
	fi
done
hash=$(sha1sum "$best" | cut -c1-8)
out="$dir/$invariant-$hash"
# Written beside the crashers under temporary names, then renamed: the
# .txt first, so that every .bin has its .txt (crashers_test.sh).
{
	echo "# $sig"
	echo "# minimized from $(basename "$crash"): rmapfuzz minimize $ours records, libFuzzer -minimize_crash $theirs"
	"$tool" show --protocol "$proto" "$best"
} >"$tmp/out.txt"
cp "$best" "$tmp/out.bin"
for ext in txt bin; do
	cp "$tmp/out.$ext" "$dir/.$invariant-$hash.$ext.$$"
	mv -f "$dir/.$invariant-$hash.$ext.$$" "$out.$ext"
done
echo "$said; wrote $(rf_rel "$out.bin") ($((size / 4)) records)"
# A crasher of the repository's own needs its golden report, which the
# tests compare replays with (tests/golden_test.sh).
if [ "$rf_crashers" = "$rf_root/crashers" ]; then
	"$rf_root/tools/update-golden.sh" --build "$rf_build" "$out.bin" >/dev/null &&
		echo "keep-crash: its report is tests/golden/$proto/$invariant-$hash.report (git add both)"
fi
