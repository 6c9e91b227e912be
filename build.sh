#!/usr/bin/env bash
# rmapfuzz's one entry point.
#
#   ./build.sh                       build everything into build/ (ASan+UBSan)
#   ./build.sh test                  build, then run every test through ctest
#   ./build.sh fuzz [PROTOCOL] [--jobs N] [--time S] [--merge-every S] [-- LIBFUZZER_FLAGS...]
#                                    fuzz PROTOCOL (default linux-3.15)
#   ./build.sh verdicts [--seconds N] [--seeds K]
#                                    fuzz every protocol, print the verdict table
#   ./build.sh coverage              line coverage of the seeds and crashers
#   ./build.sh bench [--seconds N] [--seeds K] [--cap S]
#                                    benchmarks: exec/s, time to violations
#   with OSS-Fuzz's variables set ($OUT, $LIB_FUZZING_ENGINE, $CC, $CFLAGS...)
#                                    the OSS-Fuzz / ClusterFuzzLite build
#
# On a fresh Debian 12 machine it installs what it needs (clang with its
# sanitizer runtimes, cmake, ninja) when run as root, or says which
# packages to install.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/build"
jobs=$(nproc 2>/dev/null || echo 2)

die() { echo "build.sh: $*" >&2; exit 2; }

usage() {
	cat >&2 <<USAGE
usage: ./build.sh [build|test|help]
       ./build.sh fuzz [PROTOCOL] [--jobs N] [--time S] [--merge-every S] [-- LIBFUZZER_FLAGS...]
       ./build.sh verdicts [--seconds N] [--seeds K] [--jobs J] [--protocols "P..."]
       ./build.sh coverage
       ./build.sh bench [--seconds N] [--seeds K] [--cap S] [--jobs J]
  build   compile the model, tools and tests into build/ (the default)
  test    build, then run every test (ctest); non-zero exit on any failure
  fuzz    run rmap_fuzzer on PROTOCOL (default linux-3.15; see
          build/rmapfuzz protocols), seeded from corpus/rmap_fuzzer/; the
          working corpus grows in build/corpus/PROTOCOL/, crashes land in
          build/crashes/PROTOCOL/; each is minimized and kept, deduplicated
          by its first report line, as crashers/PROTOCOL/*.bin with a .txt
          (tools/keep-crash.sh). --jobs N: N processes (fork mode), crashes
          do not stop it; --time S: stop after S seconds; --merge-every S:
          shrink the corpus (-set_cover_merge) every S seconds (default 600
          with --jobs or --time). Ctrl-C stops it; a summary follows.
  coverage  replay the seeds and crashers/ with a coverage build; print
          llvm-cov's report of core/ and fuzz/, HTML in build/coverage/html/
  bench     exec/s against an empty target, time to each buggy protocol's
          violation against blind random testing, cost per execution
  verdicts  fuzz every protocol from an empty corpus (default 3 seeds x 100 s,
          about 15 minutes on 2 cores) and print the verdict table
USAGE
}

# The toolchain: clang 14 with its sanitizer runtimes (Debian's
# libclang-rt-14-dev), cmake and ninja.
ensure_deps() {
	local missing=()
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

# The model and the run library (CMake's rmapcore + rmaprun), for the
# builds made without CMake: OSS-Fuzz's and the coverage build.
lib_sources=("$here"/core/*.c "$here"/fuzz/program.c "$here"/fuzz/scenario.c "$here"/fuzz/oracle.c
	"$here"/fuzz/runlog.c "$here"/fuzz/report.c "$here"/fuzz/cause.c "$here"/fuzz/run.c "$here"/fuzz/minimize.c "$here"/fuzz/strbuf.c)
# The rmapfuzz tool's own files, on top of those.
tool_sources=("$here"/fuzz/rmapfuzz.c "$here"/fuzz/cli_io.c "$here"/fuzz/measure.c)

# The OSS-Fuzz / ClusterFuzzLite build contract (fuzzing.md): C compiled
# with $CC $CFLAGS, linked with $CXX $CXXFLAGS $LIB_FUZZING_ENGINE, no
# sanitizer of our own, output only in $OUT (objects in $WORK). $OUT gets the
# targets of the sound protocol (rmap_fuzzer fuzzes linux-3.15 unless told
# otherwise; continuous fuzzing must not file known bugs) and the scenario
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
	local plain=() harness=()
	if [ "${FUZZING_ENGINE:-}" = libfuzzer ]; then
		plain=(-fno-sanitize=fuzzer-no-link)
		harness=("-fno-sanitize-coverage=trace-cmp,indirect-calls")
	fi
	compile() { # SOURCE OBJECT EXTRA_FLAGS...
		local from=$1 to=$2
		shift 2
		# shellcheck disable=SC2086 # the flags are word lists
		$CC $CFLAGS "$@" -std=c11 -Wall -Wextra -I"$here/core" -I"$here/fuzz" -c "$from" -o "$to"
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
	$CXX $CXXFLAGS "$work/obj/rmap_fuzzer.o" "$work/obj/mutator.o" "${uncovered[@]}" \
		$LIB_FUZZING_ENGINE -o "$OUT/rmap_fuzzer"
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS "$work/obj/scenario_fuzzer.o" "${covered[@]}" $LIB_FUZZING_ENGINE \
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
	configure >/dev/null
	cmake --build "$build" -j "$jobs" --target seeds >/dev/null
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
	clang -std=c11 -O0 -g -fprofile-instr-generate -fcoverage-mapping -I"$here/core" -I"$here/fuzz" \
		"${tool_sources[@]}" "${lib_sources[@]}" -lm -o "$cov/rmapfuzz"
	local p dir n=0
	export LLVM_PROFILE_FILE="$cov/profiles/%p.profraw"
	for p in $("$cov/rmapfuzz" protocols | awk '{print $1}'); do
		"$cov/rmapfuzz" replay --protocol "$p" --every-step "$build/seeds/rmap_fuzzer" >/dev/null || true
		n=$((n + 1))
	done
	for dir in "$here"/crashers/*/; do
		[ -d "$dir" ] || continue
		"$cov/rmapfuzz" replay --protocol "$(basename "$dir")" --every-step "$dir" >/dev/null || true
		"$cov/rmapfuzz" show --protocol "$(basename "$dir")" "$dir"/*.txt >/dev/null 2>&1 || true
	done
	unset LLVM_PROFILE_FILE
	"$profdata" merge -sparse "$cov"/profiles/*.profraw -o "$cov/rmapfuzz.profdata"
	echo "build.sh: coverage of the seeds (under $n protocols) and crashers/:" >&2
	"$llvmcov" report "$cov/rmapfuzz" -instr-profile="$cov/rmapfuzz.profdata" \
		"$here/core" "$here/fuzz"
	local d
	for d in core fuzz; do
		"$llvmcov" report "$cov/rmapfuzz" -instr-profile="$cov/rmapfuzz.profdata" "$here/$d" |
			awk -v d="$d/" '/^TOTAL/ {print "build.sh: " d " line coverage " $10 " (" $8 - $9 " of " $8 " lines), regions " $4}' >&2
	done
	"$llvmcov" show "$cov/rmapfuzz" -instr-profile="$cov/rmapfuzz.profdata" -format=html \
		-output-dir="$cov/html" "$here/core" "$here/fuzz" >/dev/null
	echo "build.sh: HTML report: $cov/html/index.html" >&2
}

do_test() {
	do_build
	ctest --test-dir "$build" --output-on-failure -j "$jobs"
}

do_fuzz() {
	local proto=linux-3.15
	if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
		proto=$1
		shift
	fi
	do_build >/dev/null
	if ! "$build/rmapfuzz" protocols | awk '{print $1}' | grep -qx -- "$proto"; then
		echo "build.sh: unknown protocol '$proto'; known: $("$build/rmapfuzz" protocols | awk '{printf "%s ", $1}')" >&2
		exit 2
	fi
	echo "build.sh: fuzzing $proto; corpus build/corpus/$proto (seeds: build/seeds/rmap_fuzzer, from corpus/rmap_fuzzer/*.txt); crashes go to build/crashes/$proto" >&2
	exec "$here/tools/fuzz.sh" "$proto" "$@"
}

case "${1:-build}" in
build)
	if [ -n "${OUT:-}" ] && [ -n "${LIB_FUZZING_ENGINE:-}" ]; then
		oss_fuzz_build
	else
		do_build
	fi
	;;
test) do_test ;;
fuzz)
	shift
	do_fuzz "$@"
	;;
coverage) do_coverage ;;
bench)
	shift
	do_build >/dev/null
	exec "$here/tools/bench.sh" "$@"
	;;
verdicts)
	shift
	do_build >/dev/null
	exec "$here/tools/verdicts.sh" "$@"
	;;
help | -h | --help) usage ;;
*) usage; exit 2 ;;
esac
