#!/usr/bin/env bash
# The command lines of build.sh and tools/*.sh: every command and
# subcommand answers -h/--help with its usage on stdout and exit 0, and
# --version with the version line; a bad command line (an unknown option,
# a missing or malformed value, an unknown protocol) exits 2 with a usage
# hint before any work: nothing built, nothing fuzzed. Options in any
# order; libFuzzer's flags after --.
# Usage: tools_args_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/tools_args_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/tools_args_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

version=$(version_line "$src")

# A copy of the scripts without sources and without a build: a command
# that got past its command line would build (and fail) or run, and leave
# build/ behind.
bare="$tmp/bare"
copy_checkout "$bare"
bare_version=$(version_line "$bare")

commands=("build.sh" "build.sh build" "build.sh test" "build.sh fuzz" "build.sh verdicts"
	"build.sh coverage" "build.sh explore" "build.sh bench" "build.sh explore-shards" "tools/fuzz.sh" "tools/keep-crash.sh" "tools/verdicts.sh"
	"tools/bench.sh" "tools/check-oss-fuzz.sh" "tools/explore-shards.sh")
for c in "${commands[@]}"; do
	read -r -a argv <<<"$c"
	for h in --help -h; do
		rc=0
		(cd "$bare" && timeout 20 "./${argv[0]}" "${argv[@]:1}" "$h") >"$tmp/out" 2>"$tmp/err" || rc=$?
		expect_rc "$c $h" 0 "$rc"
		same "$c $h: stdout begins with" "usage:" "$(head -c 6 "$tmp/out")"
		empty "$c $h: stderr" "$tmp/err"
		narrow "$c $h" "$tmp/out"
	done
	rc=0
	(cd "$bare" && timeout 20 "./${argv[0]}" "${argv[@]:1}" --version) >"$tmp/out" 2>&1 || rc=$?
	expect_rc "$c --version" 0 "$rc"
	same "$c --version" "$bare_version" "$(cat "$tmp/out")"
done
# The sourced scripts, run on their own, say what sources them and act on
# nothing.
for f in tools/lib.sh tools/bench-explore.sh tools/bench-random.sh; do
	rc=0
	(cd "$bare" && timeout 20 bash "$f" --help) >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "bash $f --help" 0 "$rc"
	contains "bash $f --help: what sources it" "$tmp/out" "$f: sourced by"
	narrow "bash $f --help" "$tmp/out"
	rc=0
	(cd "$bare" && timeout 20 bash "$f") >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "bash $f" 2 "$rc"
	contains "bash $f: says it is not run" "$tmp/err" "never run"
	empty "bash $f: stdout" "$tmp/out"
	absent "bash $f: built or ran" "$bare/build"
done
# In the checkout, the commit.
same "build.sh --version in the checkout" "$version" "$("$src/build.sh" --version)"
same "tools/fuzz.sh --version in the checkout" "$version" "$("$src/tools/fuzz.sh" --version)"

# refused DESCRIPTION TEXT COMMAND...: in the bare copy, exit 2 at once,
# TEXT and a usage line on stderr, nothing on stdout, no build directory.
refused() {
	local what=$1 text=$2 rc=0
	shift 2
	(cd "$bare" && timeout 20 "$@") >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "$what" 2 "$rc"
	contains "$what: the message" "$tmp/err" "$text"
	contains "$what: a usage hint" "$tmp/err" "usage: "
	empty "$what: stdout" "$tmp/out"
	lacks "$what: no raw bash error" "$tmp/err" "parameter null"
	lacks "$what: no raw bash error" "$tmp/err" "unbound variable"
	absent "$what: built or ran" "$bare/build"
	rm -rf "$bare/build"
}
# CI's entry point: its help, and a refusal of what it does not take, both
# before it builds anything.
mkdir -p "$bare/.ci"
cp "$src/.ci/run" "$bare/.ci/"
rc=0
(cd "$bare" && timeout 20 .ci/run --help) >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc ".ci/run --help" 0 "$rc"
same ".ci/run --help: stdout begins with" "usage:" "$(head -c 6 "$tmp/out")"
empty ".ci/run --help: stderr" "$tmp/err"
narrow ".ci/run --help" "$tmp/out"
refused ".ci/run with an argument" "takes no arguments ('--jobs')" .ci/run --jobs
# OSS-Fuzz's and ClusterFuzzLite's entry points: their help, no build.
for f in oss-fuzz/build.sh .clusterfuzzlite/build.sh; do
	mkdir -p "$bare/$(dirname "$f")"
	cp "$src/$f" "$bare/$f"
	rc=0
	(cd "$bare" && timeout 20 bash "$f" --help) >"$tmp/out" 2>"$tmp/err" || rc=$?
	expect_rc "$f --help" 0 "$rc"
	same "$f --help: stdout begins with" "usage:" "$(head -c 6 "$tmp/out")"
	empty "$f --help: stderr" "$tmp/err"
	narrow "$f --help" "$tmp/out"
	absent "$f --help: built" "$bare/build"
done
refused "fuzz with a misspelt option" "unknown option '--tme'" ./build.sh fuzz --tme 5
refused "fuzz with libFuzzer's flag before --" "go after --" ./build.sh fuzz -max_total_time=5
refused "fuzz --jobs without a value" "option '--jobs' requires an argument" ./build.sh fuzz --jobs
refused "fuzz --jobs 0" "--jobs wants a whole number of at least 1, not '0'" ./build.sh fuzz --jobs 0
refused "fuzz --time abc" "--time wants a whole number of at least 1, not 'abc'" ./build.sh fuzz --time=abc
refused "fuzz with two protocols" "one protocol" ./build.sh fuzz linux-3.14 linux-3.15
refused "fuzz with an unknown invariant family" "unknown invariant family 'walks'" ./build.sh fuzz --invariants walk,walks
refused "fuzz --invariants without a value" "option '--invariants' requires an argument" ./build.sh fuzz --invariants
refused "verdicts with an unknown family" "unknown invariant family 'all'" ./build.sh verdicts --families all
refused "bench --seeds without a value" "option '--seeds' requires an argument" ./build.sh bench --seeds
refused "bench --seeds followed by an option" "option '--seeds' requires an argument" ./build.sh bench --seeds --cap 5
refused "bench with an unknown option" "unknown option '--frob'" ./build.sh bench --frob
refused "verdicts --seconds 1.5" "--seconds wants a whole number" ./build.sh verdicts --seconds 1.5
refused "verdicts with an argument" "unexpected argument 'x'" ./build.sh verdicts --json x
refused "coverage with an option" "unknown option '--html'" ./build.sh coverage --html
refused "test with an unknown option" "unknown argument '--frob'" ./build.sh test --frob
refused "build with an option" "unknown option '--x'" ./build.sh build --x
refused "an unknown command" "unknown command 'frob'" ./build.sh frob
refused "an unknown global option" "unknown option '--frob'" ./build.sh --frob
refused "tools/fuzz.sh with a misspelt option" "unknown option '--tme'" ./tools/fuzz.sh --tme 5
refused "keep-crash without its arguments" "wants PROTOCOL and CRASH_FILE" ./tools/keep-crash.sh
refused "keep-crash with an unknown option" "unknown option '--frob'" ./tools/keep-crash.sh --frob x y
refused "check-oss-fuzz with an unknown combination" "unknown combination 'frob'" ./tools/check-oss-fuzz.sh frob

# With the build: the protocol is checked against rmapfuzz's, before any
# work; options in any order; libFuzzer's flags after --.
scratch_dirs
# tool_run "TOOL ARGS..." [PARSE_ONLY]: tools/TOOL ARGS, its exit in rc,
# its output in $tmp/out and $tmp/err; PARSE_ONLY 1 stops it after its
# command line.
tool_run() {
	local argv
	read -r -a argv <<<"$1"
	rc=0
	RMAPFUZZ_PARSE_ONLY=${2:-} "$src/tools/${argv[0]}" "${argv[@]:1}" >"$tmp/out" 2>"$tmp/err" || rc=$?
}
for c in "fuzz.sh no-such-protocol" "verdicts.sh --protocols no-such-protocol" "keep-crash.sh no-such-protocol x"; do
	tool_run "$c"
	expect_rc "$c" 2 "$rc"
	contains "$c: names the protocol" "$tmp/err" "unknown protocol 'no-such-protocol'"
	contains "$c: lists the known ones" "$tmp/err" "linux-3.15"
done
# An ad-hoc spec passes where a row's name does; a bad one is refused
# with rmapfuzz's reason.
for c in "fuzz.sh linux-3.15+split_retry" "verdicts.sh --protocols linux-3.19+split_retry" \
	"keep-crash.sh linux-3.14+split_pmd_peek=off x"; do
	tool_run "$c" 1
	[ "${c%% *}" = keep-crash.sh ] || expect_rc "$c: a spec passes" 0 "$rc"
	lacks "$c: no complaint of the protocol" "$tmp/err" "protocol"
done
for c in "fuzz.sh linux-3.15+nope" "verdicts.sh --protocols linux-3.15+index=bad" "keep-crash.sh linux-3.15+moveto_tail x"; do
	tool_run "$c"
	expect_rc "$c" 2 "$rc"
	contains "$c: says why" "$tmp/err" "'linux-3.15+"
done
contains "a switch without what it needs: says so" "$tmp/err" "moveto_tail needs index=list"
rc=0
"$src/tools/bench.sh" --protocols linux-3.15 >"$tmp/out" 2>"$tmp/err" || rc=$?
expect_rc "bench of a sound protocol" 2 "$rc"
contains "bench of a sound protocol: lists the buggy ones" "$tmp/err" "linux-3.14"
absent "a refused command line left its work directory" "$tmp/work"
rc=0
RMAPFUZZ_PARSE_ONLY=1 "$src/tools/fuzz.sh" --jobs 2 --time=5 linux-3.14 --merge-every 0 -- -max_len=64 -bogus || rc=$?
expect_rc "fuzz.sh: options before and after the protocol" 0 "$rc"
rc=0
RMAPFUZZ_PARSE_ONLY=1 "$src/tools/bench.sh" --json --seeds=2 --searches-only --cap 5 || rc=$?
expect_rc "bench.sh: --opt=value and options in any order" 0 "$rc"
# libFuzzer's flags after -- reach it: -runs ends the campaign. On
# all-fixes, silent in every family (linux-3.15's TLB race is found in a
# few hundred runs).
rc=0
timeout 60 "$src/tools/fuzz.sh" all-fixes -- -runs=500 >"$tmp/out" 2>&1 || rc=$?
expect_rc "fuzz.sh with -runs after --" 0 "$rc"
contains "libFuzzer ran the runs it was given" "$tmp/out" "Done 500 runs"
contains "the campaign's summary" "$tmp/out" "fuzz: summary for all-fixes"

finish
