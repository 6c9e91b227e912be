# shellcheck shell=bash disable=SC2154 # the test sets build and src
# What the tests of build.sh and tools/*.sh share (sourced): checks that
# count, a scratch directory, a copy of the checkout's scripts.
#
# The test sets build and src (BUILD_DIR, SOURCE_DIR: its two arguments)
# before sourcing this; it ends with `finish`.

set -u
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rmapfuzz-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passes=0
failures=0

pass() { passes=$((passes + 1)); }
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# check DESCRIPTION COMMAND...: the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass; else fail "$what"; fi
}
# same DESCRIPTION EXPECTED ACTUAL
same() {
	if [ "$2" = "$3" ]; then pass; else fail "$1: '$3', expected '$2'"; fi
}
# empty DESCRIPTION FILE: FILE is empty.
empty() {
	if [ ! -s "$2" ]; then pass; else fail "$1: $(head -n 3 "$2")"; fi
}
# absent DESCRIPTION PATH: nothing at PATH.
absent() {
	if [ ! -e "$2" ]; then pass; else fail "$1: $2 exists"; fi
}
# expect_rc DESCRIPTION EXPECTED ACTUAL
expect_rc() {
	if [ "$2" = "$3" ]; then pass; else fail "$1: exit $3, expected $2"; fi
}
# contains DESCRIPTION FILE TEXT: a line of FILE holds TEXT.
contains() {
	if grep -qF -- "$3" "$2"; then
		pass
	else
		fail "$1: '$3' not in:"
		head -n 30 "$2" | sed 's/^/    /' >&2
	fi
}
lacks() { # DESCRIPTION FILE TEXT
	if grep -qF -- "$3" "$2"; then
		fail "$1: '$3' in:"
		grep -F -- "$3" "$2" | head -n 5 | sed 's/^/    /' >&2
	else
		pass
	fi
}
narrow() { # DESCRIPTION FILE: every line of FILE within 80 columns
	local wide
	wide=$(awk '(length($0) > 80) { print "line " FNR ", " length($0) " columns: " $0 }' "$2")
	if [ -z "$wide" ]; then pass; else fail "$1: wider than 80 columns: $wide"; fi
}
# commas N: N with thousands' commas, as the tables print counts.
commas() { echo "$1" | sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta'; }
finish() {
	echo "$(basename "$0" .sh): $passes passed, $failures failed"
	[ "$failures" -eq 0 ]
}

# The version line every command prints.
version_line() {
	local c
	c=$(git -C "$1" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ "$c" = unknown ] || [ -z "$(git -C "$1" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
		c="$c, with uncommitted changes"
	echo "rmapfuzz $(tr -d '[:space:]' <"$1/VERSION") (git $c)"
}

# json_check DESCRIPTION FILE PYTHON_EXPRESSION: the expression, over the
# document d, is true. Without python3, only jq's parse.
json_check() {
	if command -v python3 >/dev/null; then
		if python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$2" "$3" 2>"$tmp/py.err"; then
			pass
		else
			fail "$1: $3 ($(tail -n 1 "$tmp/py.err"))"
			head -c 2000 "$2" >&2
		fi
	elif command -v jq >/dev/null; then
		check "$1: JSON" jq -e . "$2" >/dev/null
	else
		echo "note: neither python3 nor jq: $1 not checked" >&2
	fi
}

# scratch_dirs: the tools run on this build, with corpora, crashes, logs
# and crashers in the scratch directory, never in the checkout's.
scratch_dirs() {
	export RMAPFUZZ_BUILD_DIR=$build RMAPFUZZ_WORK_DIR="$tmp/work" RMAPFUZZ_CRASHERS_DIR="$tmp/crashers"
}

# copy_checkout DIR [with-build]: build.sh, tools/, VERSION and crashers/
# in DIR (no sources: nothing there can be built); with-build, also the
# binaries and seeds a campaign runs on, in DIR/build.
copy_checkout() {
	mkdir -p "$1"
	cp -r "$src/build.sh" "$src/tools" "$src/VERSION" "$src/crashers" "$1/"
	if [ "${2:-}" = with-build ]; then
		mkdir -p "$1/build/seeds"
		cp "$build/rmap_fuzzer" "$build/rmapfuzz" "$1/build/"
		cp -r "$build/seeds/rmap_fuzzer" "$1/build/seeds/"
	fi
}

# The processes started with RMAPFUZZ_TEST_MARK=MARK in their environment
# (inherited by everything a command starts, sessions of its own too), as
# "pid command line"; zombies (dead, not yet reaped by init) have none.
processes_marked() {
	local f pid cmd
	while IFS= read -r f; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" != "$$" ] || continue
		cmd=$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)
		# Gone meanwhile (the grep that looked, for one).
		[ -n "$cmd" ] && echo "$pid $cmd"
	done < <(grep -lzxF "RMAPFUZZ_TEST_MARK=$1" /proc/[0-9]*/environ 2>/dev/null)
	return 0
}
