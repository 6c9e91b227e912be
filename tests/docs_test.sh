#!/usr/bin/env bash
# The documentation a clone carries: every link in README.md and docs/
# leads to a file of the repository (nothing outside it: no ../shared, no
# web address), and docs/commands.md names every option that a command's
# --help names, so the reference cannot fall behind the tools; the
# README's "out of N" tests is ctest's count.
# Usage: docs_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/docs_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/docs_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"
cd "$src" || exit 2

pages=(README.md docs/*.md)
for page in "${pages[@]}"; do
	dir=$(dirname "$page")
	# Markdown links: [text](target), the target up to a blank, ')' or '#'.
	while IFS= read -r target; do
		case $target in
		http:* | https:* | mailto:* | /*) fail "$page links outside the repository: $target" ;;
		*) if [ -e "$dir/$target" ]; then pass; else fail "$page links to $target, which is not there"; fi ;;
		esac
	done < <(grep -oE '\]\([^)# ]+' "$page" | sed 's/^](//')
	if grep -nE 'https?://|\.\./shared' "$page" >"$tmp/outside"; then
		fail "$page points outside the repository: $(head -n 3 "$tmp/outside")"
	else
		pass
	fi
done

# The test count the README promises is ctest's: the tests the build's
# CTestTestfile.cmake adds (read, not `ctest -N`, which would write over
# the running ctest's LastTest.log).
n=$(grep -c '^add_test(' "$build/CTestTestfile.cmake" 2>/dev/null)
if [ "${n:-0}" -gt 0 ]; then
	same "README.md's test count is ctest's" "out of $n" "$(grep -oE 'tests failed out of [0-9]+' README.md | head -n 1 | sed 's/^tests failed //')"
else
	fail "$build/CTestTestfile.cmake adds no tests"
fi

# The input bounds docs/inputs.md states are the headers' (a figure there
# once said 32 records where program.h had 24).
define() { sed -nE "s/^#define $2 ([0-9]+).*/\1/p" "$1"; }
bounds="Bounds: $(define fuzz/program.h PROGRAM_MAX_RECORDS) records, $(define core/world.h MAX_TASKS) tasks,"
bounds="$bounds $(define core/world.h MAX_MMS) mms, $(define core/world.h MAX_MAP_COUNT) vmas per mm"
same "docs/inputs.md's bounds are the headers'" "$bounds" \
	"$(tr '\n' ' ' <docs/inputs.md | grep -oE 'Bounds: [0-9]+ records, [0-9]+ tasks, [0-9]+ mms, [0-9]+ vmas +per mm' | tr -s ' ')"
records=$(define fuzz/program.h PROGRAM_MAX_RECORDS)
contains "docs/commands.md's input size is program.h's" docs/commands.md "($records records, $((records * 4)) bytes)"

# Every long option of every command's help, on the reference page.
helps=("$build/rmapfuzz --help")
while read -r cmd; do helps+=("$build/rmapfuzz $cmd --help"); done < <(
	"$build/rmapfuzz" --help | sed -nE 's/^  ([a-z]+) +.*/\1/p')
for sub in "" test fuzz verdicts coverage bench explore explore-shards; do helps+=("bash build.sh $sub --help"); done
helps+=("bash tools/keep-crash.sh --help" "bash tools/update-golden.sh --help" "bash tools/check-oss-fuzz.sh --help")
for h in "${helps[@]}"; do
	# shellcheck disable=SC2086 # a command line
	$h >"$tmp/help" 2>&1 || { fail "$h: exit $?"; continue; }
	check "$h prints a usage line" grep -q '^usage: ' "$tmp/help"
	while read -r opt; do
		case $opt in --help | --version) continue ;; esac
		if grep -qF -- "$opt" docs/commands.md; then pass; else fail "docs/commands.md does not name $opt ($h)"; fi
	done < <(grep -oE -- '--[a-z][a-z-]+' "$tmp/help" | sort -u)
done
finish
