#!/usr/bin/env bash
# rmapfuzz's one entry point.
#
# Its commands (build, test, fuzz, verdicts, coverage, explore,
# explore-shards, bench) and their options: `./build.sh --help`, printed
# by usage() below, and `./build.sh COMMAND --help`. With OSS-Fuzz's
# variables set ($OUT, $LIB_FUZZING_ENGINE, $CC, $CFLAGS...) it is the
# OSS-Fuzz / ClusterFuzzLite build.
#
# On a fresh Debian 12 machine it installs what it needs (clang with its
# sanitizer runtimes, cmake, ninja) when run as root, or says which
# packages to install. A command line is checked whole before anything is
# built or run: a bad one exits 2 at once.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rf_name=build.sh
rf_cmd=./build.sh
rf_synopsis="[build|test|fuzz|verdicts|coverage|explore|explore-shards|bench] [ARGS...]"
# shellcheck source=tools/lib.sh
. "$here/tools/lib.sh"
build=$rf_build
jobs=$(nproc 2>/dev/null || echo 2)

die() { echo "build.sh: $*" >&2; exit 2; }

usage() {
	cat <<USAGE
usage: ./build.sh [build]
       ./build.sh test [--junit FILE] [-- CTEST_ARGS...]
       ./build.sh fuzz [PROTOCOL] [--jobs N] [--time S] [--merge-every S]
                       [--empty] [--invariants F[,F]] [-- LIBFUZZER_FLAGS...]
       ./build.sh verdicts [--seconds N] [--seeds K] [--jobs J]
                           [--protocols "P..."] [--families "F..."] [--json]
       ./build.sh coverage
       ./build.sh explore [--jobs J] [RMAPFUZZ_EXPLORE_OPTIONS...]
       ./build.sh explore-shards DIR [DIR...] [--new --shards N] [--jobs J]
                                 [--until TIME] [--limit K] [--part P/M]
                                 [--table] [--rmapfuzz BIN]
                                 [-- RMAPFUZZ_EXPLORE_OPTIONS...]
       ./build.sh bench [--seconds N] [--seeds K] [--cap S] [--blind-factor F]
                        [--jobs J] [--protocols "P..."] [--searches-only]
                        [--json]
       ./build.sh bench --random-protocols N [--random-seed S] [--seeds K]
                        [--cap S] [--jobs J] [--invariants F[,F]]
                        [--explore-args "..."] [--explore-seconds S]
                        [--kept DIR] [--json]
       ./build.sh --help | --version;  ./build.sh COMMAND --help
  build     compile the model, tools and tests into build/ (the default)
  test      build, then run every test (ctest); non-zero exit on any failure.
            --junit FILE: ctest also writes its results as JUnit XML
  fuzz      a fuzzing campaign on PROTOCOL (default all-fixes; see
            build/rmapfuzz protocols), seeded from corpus/rmap_fuzzer/; the
            working corpus grows in build/corpus/PROTOCOL/, crashes land in
            build/crashes/PROTOCOL/ and each signature is minimized once and
            kept in crashers/PROTOCOL/. Ctrl-C stops it; a summary follows.
            (tools/fuzz.sh; ./build.sh fuzz --help)
  verdicts  fuzz every protocol from an empty corpus (default 3 seeds x 100 s,
            about 15 minutes on 2 cores) and print the verdict table
            (tools/verdicts.sh; ./build.sh verdicts --help)
  explore   every protocol at the explorer's default bound (every program and
            every interleaving; docs/explore.md): the verdict table, with
            --jobs (default: every core) and rmapfuzz explore's options
  explore-shards  go on with a search kept as shards in DIR (results/explore/
            holds ours): run the shards DIR has no result for, then print
            their merge; several DIRs are a queue, one after another with no
            core idle between two (tools/explore-shards.sh;
            ./build.sh explore-shards --help)
  coverage  replay the seeds and crashers/ with a coverage build; print
            llvm-cov's report of core/ and fuzz/, HTML in build/coverage/html/
  bench     exec/s against an empty target, time to each buggy protocol's
            violation against blind random testing, cost per execution, the
            explorer's states per second and its default bound's time; or,
            --random-protocols N, the explorer against the fuzzer on N random
            switch combinations (tools/bench.sh; ./build.sh bench --help)
Progress of the long ones goes to stderr; fuzz, verdicts and bench build
first, quietly (the build's log: build/logs/build.log).
USAGE
}

# The toolchain: clang 14 with its sanitizer runtimes (Debian's
# libclang-rt-14-dev), cmake and ninja.
# With "test": also what only the tests use (shellcheck checks the scripts).
ensure_deps() {
	local missing=()
	[ "${1:-}" != test ] || command -v shellcheck >/dev/null || missing+=(shellcheck)
	command -v clang >/dev/null || missing+=(clang)
	command -v cmake >/dev/null || missing+=(cmake)
	command -v ninja >/dev/null || missing+=(ninja-build)
	if command -v clang >/dev/null; then
		local rt
		rt="$(clang --print-resource-dir)/lib/linux/libclang_rt.asan-x86_64.a"
		[ -e "$rt" ] || missing+=(libclang-rt-14-dev)
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		die "missing: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
	fi
	echo "build.sh: installing ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

configure() {
	ensure_deps
	if [ ! -f "$build/build.ninja" ]; then
		CC=clang cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
	fi
}

do_build() {
	configure
	cmake --build "$build" -j "$jobs"
}

# The build before a tool runs: one line, the output in a log kept in
# build/logs/build.log; its end on the terminal if it fails.
do_build_quietly() {
	mkdir -p "$build/logs"
	local log="$build/logs/build.log"
	echo "build.sh: building into $(rf_rel "$build") (log: $(rf_rel "$log"))" >&2
	if ! { configure && cmake --build "$build" -j "$jobs"; } >"$log" 2>&1; then
		echo "build.sh: the build failed; the end of $(rf_rel "$log"):" >&2
		tail -n 20 "$log" >&2
		exit 1
	fi
}

# The model and the run library (CMake's rmapcore + rmaprun), and the
# rmapfuzz tool's own files on top of those, for the builds made without
# CMake (OSS-Fuzz's and the coverage build): from cmake/sources.txt, the
# list CMake reads, so that the two never differ.
sources_of() { # PART: its files, one a line
	[ ! -e "$here/cmake/sources.txt" ] || sed -n "s|^$1 |$here/|p" "$here/cmake/sources.txt"
}
mapfile -t lib_sources < <(printf '%s\n' "$here"/core/*.c && sources_of run)
mapfile -t tool_sources < <(sources_of tool)

# The OSS-Fuzz / ClusterFuzzLite build contract (fuzzing.md): C compiled
# with $CC $CFLAGS, linked with $CXX $CXXFLAGS $LIB_FUZZING_ENGINE, no
# sanitizer of our own, output only in $OUT (objects in $WORK). $OUT gets the
# targets of the sound protocol (rmap_fuzzer fuzzes all-fixes, the row with
# every fix known, unless told otherwise; continuous fuzzing must not file
# known bugs) and the scenario
# language's target, each with a seed corpus, .options and a dictionary.
oss_fuzz_build() {
	local work="${WORK:-$OUT}/rmapfuzz-build"
	local src
	rm -rf "$work"
	mkdir -p "$work/obj/covered" "$work/obj/plain" "$work/seeds"
	# With libFuzzer, rmap_fuzzer is built as CMake builds it: no coverage
	# in the model, the oracle, the decoder and the mutator, and no
	# comparison tracing in the target's own code; its search runs on the
	# features it hands libFuzzer (fuzz/run.h), and edges of the model
	# would only slow it (README, Benchmarks). scenario_fuzzer, whose
	# subject is the decoder, keeps coverage of everything, and so does
	# every other engine: they cannot read libFuzzer's extra counters.
	local plain=() harness=() engine=${FUZZING_ENGINE:-}
	# (OSS-Fuzz and ClusterFuzzLite set FUZZING_ENGINE; a build by hand
	# that leaves it out but links libFuzzer is libFuzzer's too.)
	if [ -z "$engine" ] && [[ " $LIB_FUZZING_ENGINE " == *" -fsanitize=fuzzer "* ]]; then
		engine=libfuzzer
	fi
	if [ "$engine" = libfuzzer ]; then
		plain=(-fno-sanitize=fuzzer-no-link)
		harness=("-fno-sanitize-coverage=trace-cmp,indirect-calls")
	fi
	compile() { # SOURCE OBJECT EXTRA_FLAGS...
		local from=$1 to=$2
		shift 2
		# shellcheck disable=SC2086 # the flags are word lists
		$CC ${CFLAGS:-} "$@" -std=c11 -Wall -Wextra -I"$here/core" -I"$here/fuzz" -c "$from" -o "$to"
	}
	local covered=() uncovered=() obj
	for src in "${lib_sources[@]}"; do
		obj=$(basename "$src" .c).o
		compile "$src" "$work/obj/covered/$obj"
		covered+=("$work/obj/covered/$obj")
		if [ ${#plain[@]} -gt 0 ]; then
			compile "$src" "$work/obj/plain/$obj" "${plain[@]}"
			uncovered+=("$work/obj/plain/$obj")
		else
			uncovered+=("$work/obj/covered/$obj")
		fi
	done
	compile "$here/fuzz/rmap_fuzzer.c" "$work/obj/rmap_fuzzer.o" "${harness[@]}"
	compile "$here/fuzz/mutator.c" "$work/obj/mutator.o" "${plain[@]}"
	compile "$here/fuzz/scenario_fuzzer.c" "$work/obj/scenario_fuzzer.o"
	# shellcheck disable=SC2086
	$CXX ${CXXFLAGS:-} "$work/obj/rmap_fuzzer.o" "$work/obj/mutator.o" "${uncovered[@]}" \
		$LIB_FUZZING_ENGINE -o "$OUT/rmap_fuzzer"
	# shellcheck disable=SC2086
	$CXX ${CXXFLAGS:-} "$work/obj/scenario_fuzzer.o" "${covered[@]}" $LIB_FUZZING_ENGINE \
		-o "$OUT/scenario_fuzzer"
	# The seeds are scenario text: encode them with a plain build of the
	# tool (no sanitizer: it runs here, at build time).
	local tool="$work/rmapfuzz-encode"
	"${HOST_CC:-$(command -v clang || echo cc)}" -O1 -std=c11 -I"$here/core" -I"$here/fuzz" \
		"${tool_sources[@]}" "${lib_sources[@]}" -lm -o "$tool"
	local text
	for text in "$here"/corpus/rmap_fuzzer/*.txt; do
		"$tool" encode "$text" -o "$work/seeds/$(basename "$text" .txt).bin"
	done
	make_zip "$OUT/rmap_fuzzer_seed_corpus.zip" "$work"/seeds/*.bin
	make_zip "$OUT/scenario_fuzzer_seed_corpus.zip" "$here"/corpus/rmap_fuzzer/*.txt
	cp "$here/fuzz/scenario_fuzzer.dict" "$OUT/"
	printf '[libfuzzer]\nmax_len = %d\nuse_counters = 0\n' 96 >"$OUT/rmap_fuzzer.options"
	printf '[libfuzzer]\ndict = scenario_fuzzer.dict\nmax_len = 2048\n' >"$OUT/scenario_fuzzer.options"
	rm -rf "$work"
}

# zip -j, or Python's zipfile where zip is missing.
make_zip() {
	local zipfile=$1
	shift
	rm -f "$zipfile"
	if command -v zip >/dev/null; then
		zip -q -j "$zipfile" "$@"
	else
		python3 -c 'import sys, zipfile, os
with zipfile.ZipFile(sys.argv[1], "w") as z:
    [z.write(f, os.path.basename(f)) for f in sys.argv[2:]]' "$zipfile" "$@"
	fi
}

# A coverage build of the rmapfuzz tool (clang source-based coverage, no
# sanitizer) replays the seeds under every protocol and each crasher under
# its own, then reports line coverage of core/ and fuzz/ and writes HTML.
do_coverage() {
	do_build_quietly
	local cov="$build/coverage" profdata llvmcov
	profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata || true)
	llvmcov=$(command -v llvm-cov-14 || command -v llvm-cov || true)
	if [ -z "$profdata" ] || [ -z "$llvmcov" ]; then
		if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
			echo "build.sh: installing llvm-14 (llvm-cov, llvm-profdata)" >&2
			apt-get update -qq
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq llvm-14 >/dev/null
			profdata=$(command -v llvm-profdata-14) llvmcov=$(command -v llvm-cov-14)
		else
			die "missing llvm-cov and llvm-profdata; install them with: sudo apt-get install llvm-14"
		fi
	fi
	rm -rf "$cov"
	mkdir -p "$cov/profiles"
	local protos=() dirs=() p dir
	mapfile -t protos < <(rf_protocols)
	for dir in "$rf_crashers"/*/; do
		[ -d "$dir" ] && dirs+=("${dir%/}")
	done
	# The units: the coverage build, a replay per protocol and per
	# crashers directory, the report.
	rf_name=coverage
	rf_progress_start $((2 + ${#protos[@]} + ${#dirs[@]}))
	clang -std=c11 -O0 -g -fprofile-instr-generate -fcoverage-mapping -I"$here/core" -I"$here/fuzz" \
		"${tool_sources[@]}" "${lib_sources[@]}" -lm -o "$cov/rmapfuzz" >"$cov/build.log" 2>&1 ||
		{ tail -n 20 "$cov/build.log" >&2; die "the coverage build failed (log: $(rf_rel "$cov/build.log"))"; }
	rf_progress "the coverage build of rmapfuzz"
	export LLVM_PROFILE_FILE="$cov/profiles/%p.profraw"
	for p in "${protos[@]}"; do
		"$cov/rmapfuzz" replay --protocol "$p" --every-step "$build/seeds/rmap_fuzzer" >/dev/null || true
		rf_progress "the seeds under $p"
	done
	for dir in "${dirs[@]}"; do
		p=$(basename "$dir")
		"$cov/rmapfuzz" replay --protocol "$p" --every-step "$dir" >/dev/null || true
		"$cov/rmapfuzz" show --protocol "$p" "$dir"/*.txt >/dev/null 2>&1 || true
		rf_progress "$(rf_rel "$dir")"
	done
	unset LLVM_PROFILE_FILE
	"$profdata" merge -sparse "$cov"/profiles/*.profraw -o "$cov/rmapfuzz.profdata"
	"$llvmcov" show "$cov/rmapfuzz" -instr-profile="$cov/rmapfuzz.profdata" -format=html \
		-output-dir="$cov/html" "$here/core" "$here/fuzz" >/dev/null
	rf_progress "the profiles merged, the HTML report written"
	rf_name=build.sh
	echo "build.sh: coverage of the seeds (under ${#protos[@]} protocols) and crashers/:" >&2
	"$llvmcov" report "$cov/rmapfuzz" -instr-profile="$cov/rmapfuzz.profdata" \
		"$here/core" "$here/fuzz"
	local d
	for d in core fuzz; do
		"$llvmcov" report "$cov/rmapfuzz" -instr-profile="$cov/rmapfuzz.profdata" "$here/$d" |
			awk -v d="$d/" '/^TOTAL/ {print "build.sh: " d " line coverage " $10 " (" $8 - $9 " of " $8 " lines), regions " $4}' >&2
	done
	echo "build.sh: HTML report: $(rf_rel "$cov/html/index.html")" >&2
}

do_test() {
	local junit="" ctest_args=()
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help) usage_test; exit 0 ;;
		--version) rf_version; exit 0 ;;
		--junit | --junit=*)
			rf_value --junit "$@"; junit=$rf_val; shift "$rf_shift"
			[ -n "$junit" ] || rf_usage_error "--junit wants a file name"
			case $junit in /*) ;; *) junit="$PWD/$junit" ;; esac ;;
		--) shift; ctest_args=("$@"); break ;;
		*) rf_usage_error "unknown argument '$1' (ctest's go after --)" ;;
		esac
	done
	ensure_deps test
	do_build
	[ -z "$junit" ] || ctest_args=(--output-junit "$junit" "${ctest_args[@]}")
	ctest --test-dir "$build" --output-on-failure -j "$jobs" "${ctest_args[@]}"
}

usage_test() {
	cat <<USAGE
usage: ./build.sh test [--junit FILE] [-- CTEST_ARGS...]

Build (as ./build.sh build), then run every test with ctest; exit non-zero
on any failure. --junit FILE: ctest writes the results as JUnit XML too
(.ci/run: build/junit.xml). CTEST_ARGS go to ctest (-R REGEX, -L LABEL...).
USAGE
}

usage_build() {
	cat <<USAGE
usage: ./build.sh [build]

Configure (CMake, Ninja, clang) and build the model, the tools, the fuzz
targets and the tests into build/, with ASan and UBSan. With OSS-Fuzz's
variables set (\$OUT, \$LIB_FUZZING_ENGINE, \$CC, \$CFLAGS...), the OSS-Fuzz /
ClusterFuzzLite build into \$OUT instead.
USAGE
}

usage_explore() {
	cat <<USAGE
usage: ./build.sh explore [--jobs J] [RMAPFUZZ_EXPLORE_OPTIONS...]
Build quietly, then run rmapfuzz explore --jobs J (default: every core)
with the options given (-p P, --max-ops N, --max-conc C, --max-pmds G,
--max-mms M, --preemptions K, --invariants F, --json, -o DIR: rmapfuzz explore
--help): every protocol (or those -p names) at the bound, the verdict table
on stdout, progress on stderr. docs/explore.md says what the bound and the
counts mean.

The default bound (5 operations, 3 concurrent, 6 pmds, 3 mms) takes some 6 to
14 CPU hours a protocol (docs/explore.md, "The default bound's size"): give a
smaller one (--max-ops 3 --max-conc 2 --max-pmds 3 --max-mms 1: every row in
seconds), split it with --shard I/N over machines and join the shards' --json
with rmapfuzz explore --merge, or stop each protocol after its first level
with a violation (--stop-at-violation with the buggy rows named, -p linux-3.14
-p ...: their shortest races at the default bound in about 2 minutes; a sound
row has no violation to stop at and searches its whole bound). Ctrl-C prints the
result of the levels finished ("clean through 4 operations"). It runs an
unsanitized build of rmapfuzz (build/nosan/, built on first use: the same
search, 2 to 3 times faster than build/'s ASan+UBSan one).
USAGE
}

usage_coverage() {
	cat <<USAGE
usage: ./build.sh coverage

Build rmapfuzz with clang's source-based coverage, replay the seeds under
every protocol and crashers/ under each crasher's own, print llvm-cov's
report of core/ and fuzz/ and write HTML to build/coverage/html/. Progress
on stderr.
USAGE
}

# A command without arguments: only --help and --version.
no_arguments() { # USAGE_FUNCTION ARGS...
	local help=$1
	shift
	case ${1:-} in
	"") ;;
	-h | --help) "$help"; exit 0 ;;
	--version) rf_version; exit 0 ;;
	-?*) rf_usage_error "unknown option '$1'" ;;
	*) rf_usage_error "unexpected argument '$1'" ;;
	esac
	[ $# -le 1 ] || rf_usage_error "unexpected argument '$2'"
}

# fuzz, verdicts, bench: the tool checks the command line first (and
# handles --help and --version) without a build; then the build, then
# the tool.
run_tool() { # COMMAND TOOL ARGS...
	local command=$1 tool=$2
	shift 2
	if rf_is_help_or_version "$@"; then
		RMAPFUZZ_CMD="./build.sh $command" exec "$here/tools/$tool" "$@"
	fi
	RMAPFUZZ_CMD="./build.sh $command" RMAPFUZZ_PARSE_ONLY=1 "$here/tools/$tool" "$@" || exit $?
	do_build_quietly
	RMAPFUZZ_CMD="./build.sh $command" exec "$here/tools/$tool" "$@"
}

command=${1:-build}
[ $# -eq 0 ] || shift
case $command in
build)
	rf_synopsis=build
	no_arguments usage_build "$@"
	if [ -n "${OUT:-}" ] && [ -n "${LIB_FUZZING_ENGINE:-}" ]; then
		oss_fuzz_build
	else
		do_build
	fi
	;;
test)
	rf_synopsis="test [--junit FILE] [-- CTEST_ARGS...]"
	do_test "$@"
	;;
fuzz) run_tool fuzz fuzz.sh "$@" ;;
verdicts) run_tool verdicts verdicts.sh "$@" ;;
bench) run_tool bench bench.sh "$@" ;;
explore)
	rf_synopsis="explore [--jobs J] [RMAPFUZZ_EXPLORE_OPTIONS...]"
	case ${1:-} in
	-h | --help) usage_explore; exit 0 ;;
	--version) rf_version; exit 0 ;;
	esac
	# The unsanitized build: the same search, 2 to 3 times faster.
	echo "build.sh: building rmapfuzz without sanitizers into $(rf_rel "$rf_nosan") (log: $(rf_rel "$rf_nosan/build.log"))" >&2
	ensure_deps
	rf_build_nosan "$rf_nosan/build.log" "$jobs" rmapfuzz
	explore_jobs=(--jobs "$jobs")
	for arg in "$@"; do
		case $arg in --jobs | --jobs=*) explore_jobs=() ;; esac
	done
	# No --all: without -p, explore searches every row anyway, and --all
	# beside a -p is refused.
	RMAPFUZZ_PROGRESS=1 exec "$rf_nosan/rmapfuzz" explore "${explore_jobs[@]}" "$@"
	;;
explore-shards)
	# The tool builds build/nosan itself (or runs --rmapfuzz's); its check
	# of the command line says "build" when it will: the toolchain is
	# needed then only (not with --rmapfuzz, --table, or --limit 0 and
	# build/nosan's there).
	if ! rf_is_help_or_version "$@"; then
		need=$(RMAPFUZZ_CMD="./build.sh explore-shards" RMAPFUZZ_PARSE_ONLY=1 "$here/tools/explore-shards.sh" "$@") || exit $?
		[ "$need" != build ] || ensure_deps
	fi
	RMAPFUZZ_CMD="./build.sh explore-shards" exec "$here/tools/explore-shards.sh" "$@"
	;;
coverage)
	rf_synopsis=coverage
	no_arguments usage_coverage "$@"
	do_coverage
	;;
help | -h | --help)
	[ $# -eq 0 ] || rf_usage_error "unexpected argument '$1' (./build.sh COMMAND --help)"
	usage
	;;
--version) rf_version ;;
-*) rf_usage_error "unknown option '$command'" ;;
*) rf_usage_error "unknown command '$command'" ;;
esac
