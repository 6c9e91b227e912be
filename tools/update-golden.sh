#!/usr/bin/env bash
# Write the golden reports of kept crashers (tests/golden/, checked by
# tests/golden_test.sh under ctest) from the current build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

usage() {
	cat <<USAGE
usage: tools/update-golden.sh [--build DIR] [CRASHER.bin...]
       tools/update-golden.sh --help

Replays each crasher (default: every crashers/*/*.bin) under its protocol,
as \`rmapfuzz replay --protocol P crashers/P/NAME.bin\` from the source tree,
and writes the output to tests/golden/P/NAME.report, printing what changed.
Run it after ./build.sh, when a change to the reports is meant and the new
reports read right (\`git diff tests/golden\` shows them); with no crasher
named it also removes goldens whose crasher is gone.

  --build DIR   the build directory holding rmapfuzz (default: build)
USAGE
}

build=$here/build
bins=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--build) [ $# -ge 2 ] || { usage >&2; exit 2; }; build=$(cd "$2" && pwd); shift 2 ;;
	-*) echo "update-golden.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
	*) bins+=("$1"); shift ;;
	esac
done
tool=$build/rmapfuzz
[ -x "$tool" ] || { echo "update-golden.sh: no $tool: run ./build.sh first" >&2; exit 2; }

# Paths as the golden test names them: relative to the source tree.
relative() {
	local path
	path=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	case $path in
	"$here"/crashers/*/*.bin) echo "${path#"$here"/}" ;;
	*) echo "update-golden.sh: $1 is not a crasher (crashers/PROTOCOL/NAME.bin)" >&2; exit 2 ;;
	esac
}

cd "$here"
if [ ${#bins[@]} -eq 0 ]; then
	for bin in crashers/*/*.bin; do [ -e "$bin" ] && bins+=("$bin"); done
	for golden in tests/golden/*/*.report; do
		[ -e "$golden" ] || continue
		bin=crashers/$(basename "$(dirname "$golden")")/$(basename "$golden" .report).bin
		[ -f "$bin" ] || { rm "$golden"; echo "removed $golden (no $bin)"; }
	done
else
	for i in "${!bins[@]}"; do bins[i]=$(relative "${bins[i]}"); done
fi
for bin in "${bins[@]}"; do
	proto=$(basename "$(dirname "$bin")")
	golden=tests/golden/$proto/$(basename "$bin" .bin).report
	mkdir -p "$(dirname "$golden")"
	"$tool" replay --protocol "$proto" "$bin" >"$golden.new" 2>&1 || true
	if [ -f "$golden" ] && cmp -s "$golden" "$golden.new"; then
		rm "$golden.new"
		echo "unchanged $golden"
	else
		mv "$golden.new" "$golden"
		echo "wrote     $golden"
	fi
done
