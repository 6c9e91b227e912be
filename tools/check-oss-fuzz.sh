#!/usr/bin/env bash
# "check && pass ... || fail ...": pass and fail never fail themselves.
# shellcheck disable=SC2015
# Build rmapfuzz the way OSS-Fuzz and ClusterFuzzLite do, for every engine and
# sanitizer they would use, and check each build as their bad_build_check
# does.
#
#   tools/check-oss-fuzz.sh [COMBINATION...]
#
# Combinations: libfuzzer-address libfuzzer-undefined libfuzzer-memory
# libfuzzer-coverage afl-address (default: all). For each: export OSS-Fuzz's
# variables (CC, CXX, CFLAGS, CXXFLAGS, LIB_FUZZING_ENGINE, SANITIZER,
# FUZZING_ENGINE, OUT, WORK, SRC), run `bash -eux build.sh` into a fresh
# $OUT, move $OUT elsewhere (a target must not depend on where it was
# built), then per target: the engine's instrumentation is there, the
# sanitizer's calls are there and no other sanitizer's, no other executable
# in $OUT has LLVMFuzzerTestOneInput, and the target runs its seed corpus
# for 4 runs with its .options and dictionary. Prints one line per check;
# exit 1 if any failed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rf_name=check-oss-fuzz
rf_synopsis="[COMBINATION...]"
# shellcheck source=lib.sh
. "$here/tools/lib.sh"
rf_invoked tools/check-oss-fuzz.sh
all="libfuzzer-address libfuzzer-undefined libfuzzer-memory libfuzzer-coverage afl-address"

usage() {
	cat <<EOF
$(rf_usage_line)

Build rmapfuzz as OSS-Fuzz and ClusterFuzzLite do (bash -eux build.sh with
their variables) for each COMBINATION, and check the result as their
bad_build_check does. One line per check; exit 1 if any failed.

  COMBINATION  one of: $(fmt -w 57 <<<"$all" | sed '2,$s/^/                       /')
               (default: all of them)
  -h, --help   this help
  --version    the version
EOF
}

combos=()
for a in "$@"; do
	case $a in
	-h | --help) usage; exit 0 ;;
	--version) rf_version; exit 0 ;;
	-?*) rf_usage_error "unknown option '$a'" ;;
	*)
		case " $all " in
		*" $a "*) combos+=("$a") ;;
		*) rf_usage_error "unknown combination '$a' (known: $all)" ;;
		esac ;;
	esac
done
[ ${#combos[@]} -gt 0 ] || read -r -a combos <<<"$all"
failures=0
checks=0

pass() { checks=$((checks + 1)); echo "  ok    $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "  FAIL  $*"; }

# OSS-Fuzz's flags (infra/base-images/base-builder, clang 14 era).
common="-O1 -fno-omit-frame-pointer -gline-tables-only"
ubsan_checks="array-bounds,bool,builtin,enum,float-divide-by-zero,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound"
sanitizer_flags() {
	case $1 in
	address) echo "-fsanitize=address -fsanitize-address-use-after-scope" ;;
	undefined) echo "-fsanitize=$ubsan_checks,unsigned-integer-overflow -fno-sanitize-recover=$ubsan_checks" ;;
	memory) echo "-fsanitize=memory -fsanitize-memory-track-origins" ;;
	coverage) echo "-fprofile-instr-generate -fcoverage-mapping" ;;
	esac
}

ensure_afl() {
	command -v afl-clang-fast >/dev/null && [ -e /usr/lib/afl/libAFLDriver.a ] && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "check-oss-fuzz: installing afl++" >&2
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
	fi
	command -v afl-clang-fast >/dev/null && [ -e /usr/lib/afl/libAFLDriver.a ]
}

# A symbol in the binary (grep -c reads all of nm's output: no SIGPIPE).
has_symbol() { nm "$1" 2>/dev/null | grep -cE "$2" >/dev/null; }

# Calls into a runtime, counted in the disassembly (bad_build_check's way).
calls() { objdump -d --no-show-raw-insn "$1" | grep -cE "call.*<$2" || true; }

# The target's .options as flags: [libfuzzer] key = value -> -key=value.
options_flags() {
	[ -f "$1" ] || return 0
	awk '/^\[/ {s = $0; next} s == "[libfuzzer]" && /=/ {gsub(/[ \t]/, ""); print "-" $0}' "$1"
}

check_combo() {
	local engine=${1%%-*} sanitizer=${1#*-}
	local tmp
	tmp=$(mktemp -d)
	mkdir -p "$tmp/out" "$tmp/work"
	echo "$1:"
	local cc=clang cxx=clang++ lib=-fsanitize=fuzzer
	local cflags
	cflags="$common $(sanitizer_flags "$sanitizer")"
	if [ "$engine" = afl ]; then
		if ! ensure_afl; then
			fail "afl++ is not installed (apt-get install afl++)"
			rm -rf "$tmp"
			return
		fi
		cc=afl-clang-fast cxx=afl-clang-fast++ lib=/usr/lib/afl/libAFLDriver.a
	else
		cflags="$cflags -fsanitize=fuzzer-no-link"
	fi
	if ! (cd "$here" && env CC=$cc CXX=$cxx CFLAGS="$cflags" CXXFLAGS="$cflags" \
		LIB_FUZZING_ENGINE="$lib" SANITIZER="$sanitizer" FUZZING_ENGINE="$engine" \
		OUT="$tmp/out" WORK="$tmp/work" SRC="$(dirname "$here")" AFL_QUIET=1 \
		bash -eux ./build.sh >"$tmp/build.log" 2>&1); then
		fail "bash -eux build.sh failed; the end of its log:"
		tail -15 "$tmp/build.log" | sed 's/^/        /'
		rm -rf "$tmp"
		return
	fi
	pass "bash -eux build.sh into \$OUT"
	local left
	left=$(find "$tmp/work" -mindepth 1 | head -1)
	[ -z "$left" ] && pass "nothing left in \$WORK" || pass "\$WORK holds intermediate files only"
	# Move $OUT: the targets must run from anywhere.
	mv "$tmp/out" "$tmp/moved"
	local out="$tmp/moved" t
	local targets=()
	for t in "$out"/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		if grep -q LLVMFuzzerTestOneInput "$t"; then
			targets+=("$t")
		fi
	done
	[ ${#targets[@]} -eq 2 ] && pass "2 fuzz targets in \$OUT: $(for t in "${targets[@]}"; do basename "$t"; done | tr '\n' ' ')" ||
		fail "${#targets[@]} executables with LLVMFuzzerTestOneInput in \$OUT (want rmap_fuzzer, scenario_fuzzer)"
	for t in "${targets[@]}"; do
		local name
		name=$(basename "$t")
		[ -f "$out/${name}_seed_corpus.zip" ] && pass "$name: seed corpus" || fail "$name: no ${name}_seed_corpus.zip"
		[ -f "$out/$name.options" ] && pass "$name: .options" || fail "$name: no .options"
		# Instrumentation of the engine.
		case $engine in
		libfuzzer)
			if [ "$sanitizer" = coverage ]; then
				has_symbol "$t" __llvm_profile_write_file && pass "$name: coverage instrumentation" ||
					fail "$name: no coverage instrumentation"
			else
				# Inline 8-bit counters in our code, not just the runtime.
				objdump -h "$t" | grep -c __sancov_cntrs >/dev/null &&
					pass "$name: libFuzzer instrumentation" || fail "$name: no libFuzzer instrumentation"
			fi ;;
		afl)
			has_symbol "$t" "__afl_area_ptr|__afl_manual_init" && pass "$name: AFL++ instrumentation" ||
				fail "$name: no AFL++ instrumentation" ;;
		esac
		# Sanitizer calls: this one's, and no other's.
		local asan msan ubsan
		asan=$(calls "$t" __asan_)
		msan=$(calls "$t" __msan_)
		ubsan=$(calls "$t" __ubsan_handle)
		case $sanitizer in
		address) [ "$asan" -gt 0 ] && [ "$msan" -eq 0 ] ;;
		memory) [ "$msan" -gt 0 ] && [ "$asan" -eq 0 ] ;;
		undefined) [ "$ubsan" -gt 0 ] && [ "$asan" -eq 0 ] && [ "$msan" -eq 0 ] ;;
		coverage) [ "$asan" -eq 0 ] && [ "$msan" -eq 0 ] ;;
		esac && pass "$name: sanitizer calls asan $asan, msan $msan, ubsan $ubsan" ||
			fail "$name: sanitizer calls asan $asan, msan $msan, ubsan $ubsan for $sanitizer"
		# A short run, as bad_build_check's: the options, the dictionary, 4 runs.
		mkdir -p "$tmp/corpus-$name"
		(cd "$tmp/corpus-$name" && unzip -q -o "$out/${name}_seed_corpus.zip")
		local flags=()
		mapfile -t flags < <(options_flags "$out/$name.options" | sed "s#^-dict=#-dict=$out/#")
		local rc=0
		if [ "$engine" = afl ]; then
			# The AFL++ driver runs the files it is given, once each.
			(cd "$tmp" && "$t" "$tmp/corpus-$name"/* >"$tmp/run-$name.log" 2>&1) || rc=$?
		else
			(cd "$tmp" && UBSAN_OPTIONS=silence_unsigned_overflow=1:halt_on_error=1 \
				"$t" -runs=4 "${flags[@]}" "$tmp/corpus-$name" >"$tmp/run-$name.log" 2>&1) || rc=$?
		fi
		local how="${flags[*]:-no options}, 4 runs"
		if [ "$engine" = afl ]; then
			# Each seed read, as the driver says: it ran none once, and
			# exited 0 all the same (the target's flags came first).
			local seeds read
			seeds=$(find "$tmp/corpus-$name" -type f | wc -l)
			read=$(grep -c '^Reading [0-9]* bytes from ' "$tmp/run-$name.log" || true)
			how="the AFL++ driver, each seed once: $read of $seeds read"
			[ "$read" = "$seeds" ] || [ "$rc" != 0 ] || rc=1
		fi
		[ "$rc" -eq 0 ] && pass "$name: runs its seeds ($how)" || {
			fail "$name: exit $rc running its seeds; the end of its log:"
			tail -8 "$tmp/run-$name.log" | sed 's/^/        /'
		}
	done
	rm -rf "$tmp"
}

for combo in "${combos[@]}"; do
	check_combo "$combo"
done
echo "$checks checks, $failures failed"
[ "$failures" -eq 0 ]
