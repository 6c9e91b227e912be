#!/usr/bin/env bash
# A campaign with jobs stops at once: Ctrl-C (SIGINT to the whole process
# group, as a terminal sends it) after 20 s, and SIGTERM to the campaign's
# shell alone (kill PID) after 6 s, each end the campaign within 4 s (on a
# machine busy with other work, times its load per core, at most 8 s) with
# its summary: each crash signature listed once, with its number of crash
# files and the crasher that holds it (minimized during the campaign, or
# cut short and minimized fast); exit 130 and 143; nothing left running;
# the checkout's crashers/ untouched.
# Usage: fuzz_stop_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/fuzz_stop_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/fuzz_stop_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"

scratch_dirs
mkdir -p "$RMAPFUZZ_CRASHERS_DIR"
# The checkout's linux-3.14 crasher is there: a new one is kept only if smaller.
cp -r "$src/crashers/linux-3.14" "$RMAPFUZZ_CRASHERS_DIR/"
tracked=$(cd "$src/crashers" && find . -type f -print0 | sort -z | xargs -0 sha1sum)

# campaign NAME SECONDS SIGNAL TARGET: linux-3.14 with 2 jobs, in a process
# group of its own (job control), SIGNAL after SECONDS to the group
# (TARGET=group) or to the shell alone (TARGET=shell). Sets rc and took
# (seconds from the signal to the exit); the output is in $tmp/NAME.out.
campaign() {
	local name=$1 after=$2 sig=$3 target=$4 pid t0 t1 i
	set -m
	RMAPFUZZ_TEST_MARK="$tmp/$name" "$src/tools/fuzz.sh" linux-3.14 --jobs 2 --invariants walk >"$tmp/$name.out" 2>&1 &
	pid=$!
	set +m
	sleep "$after"
	# The load per core when the signal goes: a machine busy k times over
	# (other work beside the campaign's own jobs) stops k times slower.
	# At most 2: /proc/loadavg is the host's, nproc the CPUs this may use
	# (a container's 2 on a busy host), and the bound stays below the
	# 10 s after which a stop counts as hung.
	load=$(awk -v n="$(nproc 2>/dev/null || echo 1)" '{ f = $1 / n; printf "%.2f", (f < 1 ? 1 : (f > 2 ? 2 : f)) }' /proc/loadavg 2>/dev/null || echo 1)
	t0=$(date +%s.%N)
	if [ "$target" = group ]; then kill -"$sig" -- "-$pid"; else kill -"$sig" "$pid"; fi
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "$name: still running 10 s after SIG$sig; killing it"
		kill -KILL -- "-$pid" 2>/dev/null
	fi
	rc=0
	wait "$pid" || rc=$?
	t1=$(date +%s.%N)
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')
	echo "$name: stopped $took s after SIG$sig"
}

# summary_checks NAME SIGNAL
summary_checks() {
	local name=$1 sig=$2 out="$tmp/$1.out" sigs files total kept log
	# 4 s: what a stop does takes 2-3 s on a slow 2-core machine (ending the
	# jobs 0.3 s, their inputs' merge cut at 0.8 s, the crashes' last
	# replays up to 1 s, the fast minimizations 0.5 s), where a stop that
	# waited for a minimization would take up to 15 s, and a hung one 10.
	# On a machine busy with other work, 4 s times its load per core.
	local limit
	limit=$(awk -v l="$load" 'BEGIN { printf "%.1f", 4 * l }')
	check "$name: stopped within $limit s of SIG$sig (4 s x load per core $load; took $took s)" \
		awk -v t="$took" -v l="$limit" 'BEGIN {exit !(t <= l)}'
	contains "$name: the summary" "$out" "fuzz: summary for linux-3.14 after"
	contains "$name: says why it stopped" "$out" "stopped by SIG$sig"
	contains "$name: executions over fuzzing time" "$out" "of fuzzing, merges and stops left out)"
	# Each signature once:
	# "    rmap violation: X (linux-3.14): N crash file(s), the first F"
	sed -nE 's/^    (rmap violation: [^:]+): ([0-9]+) crash file\(s\).*/\1|\2/p' "$out" >"$tmp/$name.sigs"
	sigs=$(cut -d'|' -f1 "$tmp/$name.sigs")
	check "$name: a signature (linux-3.14 crashes at once)" [ -n "$sigs" ]
	same "$name: each signature listed once" "$(sort <<<"$sigs")" "$(sort -u <<<"$sigs")"
	# Their counts add up to the crash files of the campaign.
	total=$(awk -F'|' '{n += $2} END {print n + 0}' "$tmp/$name.sigs")
	files=$(find "$RMAPFUZZ_WORK_DIR/crashes/linux-3.14" -type f -newer "$tmp/$name.start" | wc -l)
	same "$name: crash files counted" "$files" "$total"
	contains "$name: the total" "$out" "  crashes      $files file(s)"
	# Each signature's crasher: in the crashers directory, with that signature.
	while IFS='|' read -r s _; do
		kept=$(grep -A 3 -F "    $s: " "$out" | sed -nE 's/.*; (kept|wrote) (.*) \([0-9]+ records\)$/\2/p' | head -n 1)
		case $kept in
		"$RMAPFUZZ_CRASHERS_DIR"/linux-3.14/*.bin) pass ;;
		*) fail "$name: $s: no crasher in the summary ('$kept')" ;;
		esac
		if [ -f "$kept" ]; then
			same "$name: $s: the crasher's signature" "# $s" "$(head -n 1 "${kept%.bin}.txt")"
		else
			fail "$name: $s: $kept is missing"
		fi
	done <"$tmp/$name.sigs"
	log=$(sed -nE 's/^  log          (.*)/\1/p' "$out")
	check "$name: the log is kept ($log)" [ -s "$log" ]
	contains "$name: the log has the summary" "$log" "fuzz: summary for linux-3.14"
	# Nothing of the campaign runs on: no fuzzer, no minimization, no shell.
	sleep 0.2
	same "$name: processes left" "" "$(processes_marked "$tmp/$name")"
}

touch "$tmp/a.start"
campaign a 20 INT group
expect_rc "a: exit after SIGINT" 130 "$rc"
summary_checks a INT

touch "$tmp/b.start"
sleep 0.01
campaign b 6 TERM shell
expect_rc "b: exit after SIGTERM" 143 "$rc"
summary_checks b TERM

same "the checkout's crashers/ untouched" "$tracked" \
	"$(cd "$src/crashers" && find . -type f -print0 | sort -z | xargs -0 sha1sum)"
absent "no campaign directory left" "$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name "rmapfuzz-fuzz-linux-3.14.*" -newer "$tmp/a.start" -print -quit)"

finish
