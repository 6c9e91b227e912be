#!/usr/bin/env bash
# A local fuzzing campaign (./build.sh fuzz runs this).
#
#   tools/fuzz.sh PROTOCOL [--jobs N] [--time S] [--merge-every S] [-- LIBFUZZER_FLAGS...]
#
# Runs rmap_fuzzer on PROTOCOL with the working corpus in
# build/corpus/PROTOCOL/ (seeded from build/seeds/rmap_fuzzer/, the encoded
# corpus/rmap_fuzzer/*.txt) and crashes in build/crashes/PROTOCOL/.
#   --jobs N         N processes (libFuzzer's fork mode); a crash does not stop
#                    the campaign, it is kept and fuzzing goes on
#   --time S         stop after S seconds (default: until Ctrl-C, or with one
#                    job until the first crash)
#   --merge-every S  every S seconds (default 600 with --jobs or --time), stop,
#                    shrink the working corpus to a set cover of its coverage
#                    (-set_cover_merge), and go on
# Every crash goes through tools/keep-crash.sh (minimized, deduplicated into
# crashers/). On exit or Ctrl-C: a summary of executions, exec/s, coverage,
# new corpus inputs and the crashes with their paths.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$here/build"
die() { echo "fuzz: $*" >&2; exit 2; }

[ $# -ge 1 ] || die "usage: tools/fuzz.sh PROTOCOL [--jobs N] [--time S] [--merge-every S] [-- FLAGS...]"
proto=$1
shift
jobs=1 total=0 merge_every=0 flags=()
while [ $# -gt 0 ]; do
	case "$1" in
	--jobs) jobs=${2:-}; shift 2 || die "--jobs wants a number" ;;
	--time) total=${2:-}; shift 2 || die "--time wants seconds" ;;
	--merge-every) merge_every=${2:-}; shift 2 || die "--merge-every wants seconds" ;;
	--) shift; flags=("$@"); break ;;
	*) flags=("$@"); break ;;
	esac
done
for v in "$jobs" "$total" "$merge_every"; do
	[[ "$v" =~ ^[0-9]+$ ]] || die "'$v' is not a number"
done
[ "$jobs" -ge 1 ] || die "--jobs must be at least 1"
if [ "$merge_every" -eq 0 ] && { [ "$jobs" -gt 1 ] || [ "$total" -gt 0 ]; }; then
	merge_every=600
fi

corpus="$build/corpus/$proto" crashes="$build/crashes/$proto" seeds="$build/seeds/rmap_fuzzer"
log="$build/fuzz-$proto.log"
mkdir -p "$corpus" "$crashes"
since="$build/.fuzz-started-$proto"
touch "$since"
start=$(date +%s)
corpus_before=$(find "$corpus" -type f | wc -l)
execs=0 ft="" rounds=0 stopped=0
: >"$log"

summary() {
	local now elapsed found n
	now=$(date +%s)
	elapsed=$((now - start))
	[ "$elapsed" -gt 0 ] || elapsed=1
	echo >&2
	echo "fuzz: summary for $proto after ${elapsed}s in $rounds round(s) of $jobs job(s):" >&2
	echo "  executions   $execs ($((execs / elapsed))/s)" >&2
	if [ -n "$ft" ]; then
		echo "  coverage     $ft features (libFuzzer's ft:: interleavings, layouts, steps)" >&2
	else
		echo "  coverage     not reported (a seed crashed before libFuzzer's first status line)" >&2
	fi
	n=$(find "$corpus" -type f | wc -l)
	echo "  corpus       $n inputs in ${corpus#"$here"/} ($((n - corpus_before)) new)" >&2
	found=$(find "$crashes" -type f -newer "$since" | sort)
	if [ -z "$found" ]; then
		echo "  crashes      none" >&2
	else
		echo "  crashes      $(wc -l <<<"$found"):" >&2
		for f in $found; do
			echo "    ${f#"$here"/}" >&2
			"$here/tools/keep-crash.sh" "$proto" "$f" 2>&1 | sed 's/^/      /' >&2 || true
			echo "      read it: build/rmapfuzz replay --protocol $proto ${f#"$here"/}" >&2
		done
	fi
	echo "  log          ${log#"$here"/}" >&2
}

on_interrupt() {
	stopped=1
	[ -n "${pid:-}" ] && kill -INT "$pid" 2>/dev/null || true
}
trap on_interrupt INT TERM

# One round: libFuzzer until its time is up (or a crash with one job).
round() {
	local seconds=$1 rc=0
	local args=(-artifact_prefix="$crashes/" -print_final_stats=1)
	[ "$seconds" -gt 0 ] && args+=(-max_total_time="$seconds")
	[ "$jobs" -gt 1 ] && args+=(-fork="$jobs" -ignore_crashes=1)
	RMAP_PROTOCOL="$proto" "$build/rmap_fuzzer" "${args[@]}" "${flags[@]}" "$corpus" "$seeds" \
		2> >(tee "$log.round" >&2) &
	pid=$!
	wait "$pid" || rc=$?
	# A signal interrupts wait; wait again for the fuzzer itself.
	while kill -0 "$pid" 2>/dev/null; do wait "$pid" || rc=$?; done
	pid=
	rounds=$((rounds + 1))
	local last
	last=$(grep -aE '^#[0-9]+' "$log.round" | tail -1 || true)
	local n
	n=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log.round" | tail -1)
	[ -n "$n" ] || n=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$last")
	execs=$((execs + ${n:-0}))
	# No status line: the round stopped (a crash) while libFuzzer still
	# read its seeds. The last round that printed one still counts.
	local f
	f=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
	[ -z "$f" ] || ft=$f
	cat "$log.round" >>"$log"
	rm -f "$log.round"
	return "$rc"
}

merge() {
	local fresh="$corpus.merge"
	rm -rf "$fresh"
	mkdir -p "$fresh"
	echo "fuzz: merging the corpus (-set_cover_merge)" >&2
	if RMAP_PROTOCOL="$proto" "$build/rmap_fuzzer" -set_cover_merge=1 "$fresh" "$corpus" \
		>"$build/fuzz-$proto-merge.log" 2>&1; then
		rm -rf "$corpus"
		mv "$fresh" "$corpus"
	else
		rm -rf "$fresh"
		echo "fuzz: merge failed (see build/fuzz-$proto-merge.log); the corpus is kept as it was" >&2
	fi
}

rc=0
while [ "$stopped" -eq 0 ]; do
	left=0
	if [ "$total" -gt 0 ]; then
		left=$((total - ($(date +%s) - start)))
		[ "$left" -gt 0 ] || break
	fi
	seconds=$merge_every
	if [ "$total" -gt 0 ] && { [ "$seconds" -eq 0 ] || [ "$left" -lt "$seconds" ]; }; then
		seconds=$left
	fi
	round "$seconds" || rc=$?
	# One job: a crash ends the campaign, as plain libFuzzer does.
	if [ "$rc" -ne 0 ] && [ "$jobs" -eq 1 ]; then
		break
	fi
	rc=0
	[ "$stopped" -eq 0 ] && [ "$merge_every" -gt 0 ] && merge
	[ "$merge_every" -gt 0 ] || break
done
summary
[ "$stopped" -eq 1 ] && exit 130
exit "$rc"
