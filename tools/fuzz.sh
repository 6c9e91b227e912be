#!/usr/bin/env bash
# A local fuzzing campaign (./build.sh fuzz runs this).
#
#   tools/fuzz.sh [PROTOCOL] [--jobs N] [--time S] [--merge-every S] [--empty]
#                 [--invariants F[,F]] [-- LIBFUZZER_FLAGS...]
#
# rmap_fuzzer on PROTOCOL, its working corpus in build/corpus/PROTOCOL/
# (seeded from build/seeds/rmap_fuzzer/), crashes in build/crashes/PROTOCOL/,
# libFuzzer's output in a log of its own per campaign (build/logs/). The
# campaign runs in a session of its own (the shell Ctrl-C reaches relays
# the signals), and so does the fuzzer: a stop (Ctrl-C, SIGTERM, SIGHUP)
# ends all of its processes at once, libFuzzer's fork-mode jobs too; what
# the unfinished jobs found is merged into the corpus.
#
# Crashes: a watcher looks at the crashes directory every second, replays
# each new crash for its signature (the report's first line) and runs
# tools/keep-crash.sh once per signature, in the background while fuzzing
# goes on. On a stop, the minimizations still running are cut short and
# redone with `keep-crash.sh --fast` (rmapfuzz minimize only,
# milliseconds), so that the summary follows within a second or two.
set -euo pipefail

rf_name=fuzz
rf_synopsis="[PROTOCOL] [--jobs N] [--time S] [--merge-every S] [--empty] [--invariants F[,F]] [-- LIBFUZZER_FLAGS...]"
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_invoked tools/fuzz.sh

usage() {
	cat <<EOF
$(rf_usage_line)

Fuzz PROTOCOL (default all-fixes, every fix known; the names: build/rmapfuzz
protocols) with rmap_fuzzer, seeded from build/seeds/rmap_fuzzer/
(corpus/rmap_fuzzer/ encoded). The working corpus grows in
build/corpus/PROTOCOL/, crashes land in build/crashes/PROTOCOL/.
libFuzzer's output goes to the terminal and to
build/logs/fuzz-PROTOCOL-YYYYmmdd-HHMMSS.log, one log per campaign.

  --jobs N         N fuzzing processes (libFuzzer's -fork=N)
  --time S         stop after S seconds
  --merge-every S  every S seconds, shrink the working corpus to a set cover
                   of its coverage (-set_cover_merge) and go on; 0: never.
                   Default 600 with --jobs above 1 or --time, else 0
  --empty          start from nothing: no seeds, and a scratch working
                   corpus discarded at the end (crashes are still kept):
                   how to watch the fuzzer find a race on its own
  --invariants F[,F]  check these invariant families only (walk, tlb,
                   lifetime, all; build/rmapfuzz invariants): the fuzzer,
                   the replays and the minimizations all run with
                   RMAP_INVARIANTS set so. Default: every family
  -h, --help       this help
  --version        the version
  -- FLAGS...      libFuzzer flags, passed as they are (-max_len=64 ...)

With --jobs above 1, --time or --merge-every, a crash does not stop the
campaign: it is kept and fuzzing goes on (libFuzzer's fork mode with
-ignore_crashes=1, also for one job). With one job and neither, the first
crash ends it, as plain libFuzzer does.

A round ended by --merge-every, --time or a stop leaves libFuzzer's jobs
unfinished; the inputs they found are merged into the corpus (-merge=1).
Each crash is replayed for its signature (the report's first line) as it
lands; the first crash of each signature is minimized and kept in
crashers/PROTOCOL/ by tools/keep-crash.sh in the background, once per
signature. Ctrl-C (SIGINT), SIGTERM or SIGHUP stop the campaign within
a few seconds: the fuzzer's processes are ended, the inputs of its
unfinished jobs merged for at most 0.8 s more, minimizations still
running are redone with keep-crash.sh --fast (rmapfuzz minimize only), and
the summary follows: executions and exec/s over the time spent fuzzing
(merges and the stop left out), coverage, the inputs the campaign added to
the corpus, each crash signature once with its number of crash files and
the crasher that holds it, and the log.

Exit status: 0 when the campaign ran to its end (crashes or not); the
fuzzer's own status when a crash ended a one-job campaign or libFuzzer
failed; 130 after SIGINT, 143 after SIGTERM, 129 after SIGHUP; 2 on a bad
command line.

Environment: RMAPFUZZ_WORK_DIR (instead of build/ for corpora, crashes
and logs), RMAPFUZZ_CRASHERS_DIR (instead of crashers/), RMAPFUZZ_BUILD_DIR
(instead of build/ for rmap_fuzzer, rmapfuzz and the seeds).
EOF
}

args=("$@")
proto="" jobs=1 total=0 merge_every="" flags=() empty=0 invariants=""
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--version) rf_version; exit 0 ;;
	--jobs | --jobs=*)
		rf_num jobs 1 "$@"; shift "$rf_shift" ;;
	--time | --time=*)
		rf_num total 1 "$@"; shift "$rf_shift" ;;
	--merge-every | --merge-every=*)
		rf_num merge_every 0 "$@"; shift "$rf_shift" ;;
	--empty) empty=1; shift ;;
	--invariants | --invariants=*)
		rf_value --invariants "$@"; invariants=$rf_val; shift "$rf_shift"
		rf_check_invariants "$invariants" ;;
	--) shift; flags=("$@"); break ;;
	-[a-z]*=*) rf_usage_error "unknown option '$1' (libFuzzer's flags go after --: $rf_cmd ${proto:-PROTOCOL} -- $1)" ;;
	-?*) rf_usage_error "unknown option '$1'" ;;
	*)
		[ -z "$proto" ] || rf_usage_error "one protocol, not '$proto' and '$1'"
		proto=$1; shift ;;
	esac
done
proto=${proto:-all-fixes}
rf_check_protocol "$proto"
# The fuzzer, the watcher's replays and keep-crash.sh all read it.
[ -z "$invariants" ] || export RMAP_INVARIANTS=$invariants
# build.sh checks the command line this way before it builds.
[ "${RMAPFUZZ_PARSE_ONLY:-}" = 1 ] && exit 0
rf_need_build rmap_fuzzer rmapfuzz
[ -d "$rf_build/seeds/rmap_fuzzer" ] || rf_fail "no seeds in $(rf_rel "$rf_build/seeds/rmap_fuzzer"); build first (./build.sh)"

# Ctrl-C signals the terminal's whole foreground process group: every
# command this script runs would die of it mid-way. So the campaign runs
# in a session of its own, and this shell, all that Ctrl-C reaches, only
# hands it the signals it gets and exits with its status. SIGINT goes as
# SIGUSR1: a background command starts with SIGINT ignored, for good.
relay=${RMAPFUZZ_CAMPAIGN_RELAY:-}
if [ -z "$relay" ]; then
	RMAPFUZZ_CAMPAIGN_RELAY=$$ RMAPFUZZ_CMD=$rf_cmd setsid "$BASH" "${BASH_SOURCE[0]}" "${args[@]}" &
	campaign=$!
	trap 'kill -USR1 "$campaign" 2>/dev/null' INT
	trap 'kill -TERM "$campaign" 2>/dev/null' TERM
	trap 'kill -HUP "$campaign" 2>/dev/null' HUP
	while rf_alive "$campaign"; do wait "$campaign" || true; done
	rc=0
	wait "$campaign" || rc=$?
	exit "$rc"
fi
unset RMAPFUZZ_CAMPAIGN_RELAY

forking=0
if [ "$jobs" -gt 1 ] || [ "$total" -gt 0 ] || [ -n "$merge_every" ]; then forking=1; fi
if [ -z "$merge_every" ]; then
	merge_every=0
	[ "$forking" = 1 ] && merge_every=600
fi
cores=$(nproc 2>/dev/null || echo 2)

corpus="$rf_work/corpus/$proto"
crashes="$rf_work/crashes/$proto"
seeds="$rf_build/seeds/rmap_fuzzer"
# A merge swaps the corpus for its merged copy by two renames through
# CORPUS.old; cut between them, the corpus is in CORPUS.old.
if [ "$empty" = 0 ] && [ -d "$corpus.old" ]; then
	if [ -n "$(find "$corpus" -mindepth 1 -print -quit 2>/dev/null)" ]; then
		rm -rf "$corpus.old"
	else
		rmdir "$corpus" 2>/dev/null || true
		mv "$corpus.old" "$corpus"
	fi
fi
[ "$empty" = 1 ] || mkdir -p "$corpus"
mkdir -p "$crashes" "$rf_work/logs"
# One log per campaign, never overwritten.
stamp=$(date +%Y%m%d-%H%M%S)
log="$rf_work/logs/fuzz-$proto-$stamp.log"
n=1
until (set -C && : >"$log") 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -le 100 ] || rf_fail "cannot create a log in $(rf_rel "$rf_work/logs")"
	log="$rf_work/logs/fuzz-$proto-$stamp-$n.log"
done

# The campaign's own directory (no blank in its path: libFuzzer's command
# lines): links to the corpus, seeds, crashes and the fuzzer, libFuzzer's
# temporary files (TMPDIR), the watcher's records.
state=$(rf_tmpdir "fuzz-$proto")
fpid="" tpid="" wpid=""
# On any exit: nothing of the campaign left running, its directory gone.
# shellcheck disable=SC2317 # a trap's
cleanup() {
	set +e
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	[ -n "$fpid" ] && group_stop "$fpid" plain
	if [ -n "$wpid" ] && rf_alive "$wpid"; then
		touch "$state/stop-now"
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			rf_alive "$wpid" || break
			sleep 0.2
		done
		kill -KILL "$wpid" 2>/dev/null
	fi
	# Minimizations still running (a pid file goes when its process is reaped).
	local p
	for p in "$state"/sig/*/pid; do
		[ -f "$p" ] && kill -KILL -- "-$(cat "$p")" 2>/dev/null
	done
	rm -rf "$state"
}
trap cleanup EXIT
mkdir -p "$state/tmp" "$state/sig"
if [ "$empty" = 1 ]; then
	# --empty: nothing to start from, nothing kept but the crashes.
	corpus="$state/scratch-corpus" seeds="$state/no-seeds"
	mkdir "$corpus" "$seeds"
fi
ln -s "$corpus" "$state/corpus"
ln -s "$seeds" "$state/seeds"
ln -s "$crashes" "$state/crashes"
ln -s "$rf_build/rmap_fuzzer" "$state/rmap_fuzzer"
# The corpus's inputs by content (a merge renames and rewrites them all):
# the campaign's new inputs are those whose content was not there before.
corpus_hashes() { find "$corpus" -maxdepth 1 -type f -print0 | xargs -0 -r sha1sum | cut -c1-40 | sort -u; }
corpus_hashes >"$state/corpus-before"
touch "$state/since"

start=$(rf_now)
execs=0 fuzz_time=0 ft="" rounds=0 stopped="" rc=0 ended=""

# shellcheck disable=SC2317 # a trap's
on_signal() { [ -n "$stopped" ] || stopped=$1; }
# The shell that relays the signals is gone (killed outright): a hang-up.
relay_gone() {
	rf_alive "$relay" && return 1
	on_signal HUP
}
trap 'on_signal INT' INT USR1
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP

# group_stop PID HOW: end the process group PID leads (the fuzzer and
# whatever it started) and reap its leader. HOW=fork: the leader (libFuzzer's
# fork-mode parent) is killed first so that it leaves its jobs' logs, then
# the jobs get SIGTERM and write their final stats; plain: SIGTERM to all.
group_stop() {
	local pid=$1 how=$2 _
	# The leader reaped here, at once: bash reports a job killed by a
	# signal when it reaps it, and this wait's stderr is where that goes.
	if [ "$how" = fork ]; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	kill -TERM -- "-$pid" 2>/dev/null || true
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		rf_group_alive "$pid" || break
		sleep 0.05 || true
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		rf_group_alive "$pid" || break
		sleep 0.05 || true
	done
}

# launch: run "$@" in a session of its own (a background child of this
# non-interactive shell is no process group leader, so setsid does not
# fork: its pid is the new group's id), output appended to the log.
launch() {
	TMPDIR="$state/tmp" RMAP_PROTOCOL="$proto" setsid "$@" </dev/null >>"$log" 2>&1 &
	fpid=$!
	echo "$fpid" >"$state/fuzzer.pid"
}

# A number from libFuzzer's output: the last "stat::number_of_executed_units",
# else the count of its last status line.
executions_in() {
	local n
	n=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$1" | tail -n 1)
	[ -n "$n" ] || n=$(sed -nE 's/^#([0-9]+)[:[:space:]].*/\1/p' "$1" | tail -n 1)
	echo "${n:-0}"
}

# One round of fuzzing: until SECONDS pass (0: no limit), the fuzzer ends
# by itself (a crash with one job, libFuzzer's own limits) or a stop.
round() {
	local seconds=$1 off t0 t1 deadline="" why=""
	off=$(stat -c %s "$log")
	local args=(-artifact_prefix="$state/crashes/" -print_final_stats=1)
	[ "$forking" = 1 ] && args+=(-fork="$jobs" -ignore_crashes=1)
	t0=$(rf_now)
	[ "$seconds" -gt 0 ] && deadline=$(awk -v t="$t0" -v s="$seconds" 'BEGIN {printf "%.3f", t + s}')
	launch "$state/rmap_fuzzer" "${args[@]}" "${flags[@]}" "$state/corpus" "$state/seeds"
	tail -c +$((off + 1)) -s 0.2 -f --pid="$fpid" "$log" >&2 &
	tpid=$!
	while :; do
		relay_gone || true
		if [ -n "$stopped" ]; then why=stop; break; fi
		if ! rf_alive "$fpid"; then why=ended; break; fi
		if [ -n "$deadline" ] && awk -v d="$deadline" -v n="$(rf_now)" 'BEGIN {exit !(n >= d)}'; then
			why=deadline
			break
		fi
		rf_nap
	done
	t1=$(rf_now)
	local frc=0
	if [ "$why" = ended ]; then
		wait "$fpid" || frc=$?
	else
		group_stop "$fpid" "$([ "$forking" = 1 ] && echo fork || echo plain)"
	fi
	fpid=""
	rm -f "$state/fuzzer.pid"
	# The display shows the rest of the output, then ends with the fuzzer.
	wait "$tpid" 2>/dev/null || true
	tpid=""
	rounds=$((rounds + 1))
	fuzz_time=$(awk -v a="$fuzz_time" -v t0="$t0" -v t1="$t1" 'BEGIN {printf "%.3f", a + t1 - t0}')
	tail -c +$((off + 1)) "$log" >"$state/round.log"
	local n=0 f
	if [ "$forking" = 1 ]; then
		# The parent counts the executions of the jobs that finished; the
		# jobs it left behind say theirs in their own logs.
		n=$(sed -nE 's/^#([0-9]+): cov: .*/\1/p' "$state/round.log" | tail -n 1)
		n=${n:-0}
		for f in "$state/tmp"/libFuzzerTemp.FuzzWithFork*.dir/*.log; do
			[ -f "$f" ] && n=$((n + $(executions_in "$f")))
		done
		[ "$why" = ended ] || harvest
		rm -rf "$state/tmp"/libFuzzerTemp.*
	else
		n=$(executions_in "$state/round.log")
	fi
	execs=$((execs + n))
	# No status line: the round stopped (a crash) while libFuzzer still
	# read its seeds. The last round that printed one still counts.
	f=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' "$state/round.log" | tail -n 1)
	[ -z "$f" ] || ft=$f
	case $why in
	stop | deadline) return 0 ;;
	esac
	# The fuzzer ended by itself: a crash with one job, libFuzzer's own
	# limits (-max_total_time, -runs after --), or an error.
	ended=1
	if [ "$forking" = 1 ] && grep -q '^INFO: exiting: ' "$state/round.log"; then
		frc=0
	fi
	if [ "$frc" -ne 0 ]; then
		if [ "$forking" = 0 ] && grep -q '^rmap violation: ' "$state/round.log"; then
			echo "fuzz: a crash ended the campaign (one job, no --time: as plain libFuzzer; --time S fuzzes on past crashes)" >&2
		else
			rf_err "rmap_fuzzer exited with status $frc; see $(rf_rel "$log")"
		fi
	fi
	rc=$frc
}

# A round ended by its deadline or a stop left libFuzzer's jobs unfinished:
# the inputs they found (their corpus directories, C1, C2...), which their
# parent would have merged, go into the corpus with -merge=1 (those that
# add coverage): within 0.8 s of a stop (60 s otherwise), or not at all.
harvest() {
	local dirs=() d t0 t_stop="" before after
	for d in "$state"/tmp/libFuzzerTemp.FuzzWithFork*.dir/C*; do
		[ -n "$(find "$d" -type f -print -quit 2>/dev/null)" ] && dirs+=("$d")
	done
	[ ${#dirs[@]} -gt 0 ] || return 0
	before=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	echo "fuzz: merging the inputs of ${#dirs[@]} unfinished job(s) into the corpus (-merge=1)" >>"$log"
	t0=$(rf_now)
	launch "$state/rmap_fuzzer" -merge=1 "$state/corpus" "${dirs[@]}"
	while rf_alive "$fpid"; do
		relay_gone || true
		[ -z "$stopped" ] || [ -n "$t_stop" ] || t_stop=$(rf_now)
		if awk -v t="$(rf_elapsed "$t0")" -v s="${t_stop:+$(rf_elapsed "$t_stop")}" \
			'BEGIN {exit !(t > 60 || (s != "" && s > 0.8))}'; then
			group_stop "$fpid" plain
			rf_err "stopped: the inputs of the unfinished jobs were not merged into the corpus"
			break
		fi
		sleep 0.05 || true
	done
	wait "$fpid" 2>/dev/null || true
	fpid=""
	rm -f "$state/fuzzer.pid"
	after=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	echo "fuzz: $((after - before)) input(s) of the unfinished jobs merged" >>"$log"
}

# Shrink the working corpus; a stop or a failure keeps it as it was.
merge() {
	local fresh="$corpus.merge" mrc=0
	rm -rf "$fresh" "$corpus.old"
	mkdir -p "$fresh"
	ln -sfn "$fresh" "$state/merge"
	echo "fuzz: merging the corpus (-set_cover_merge)" >&2
	echo "fuzz: merging the corpus (-set_cover_merge) at $(date +%T)" >>"$log"
	launch "$state/rmap_fuzzer" -set_cover_merge=1 "$state/merge" "$state/corpus"
	while rf_alive "$fpid" && ! relay_gone && [ -z "$stopped" ]; do rf_nap; done
	if [ -n "$stopped" ]; then
		group_stop "$fpid" plain
		mrc=1
	else
		wait "$fpid" || mrc=$?
	fi
	fpid=""
	rm -f "$state/fuzzer.pid"
	# An empty result of a corpus that was not empty is no merge.
	if [ -z "$(find "$fresh" -type f -print -quit)" ] && [ -n "$(find "$corpus" -type f -print -quit)" ]; then
		mrc=1
	fi
	if [ "$mrc" -eq 0 ]; then
		mv "$corpus" "$corpus.old"
		mv "$fresh" "$corpus"
		rm -rf "$corpus.old"
	else
		rm -rf "$fresh"
		[ -n "$stopped" ] || rf_err "merge failed (see $(rf_rel "$log")); the corpus is kept as it was"
	fi
}

# The watcher (a background subshell): every second, the crashes that
# landed since the campaign began, each replayed once for its signature;
# the first crash of each new signature goes to keep-crash.sh, as many at
# a time as the cores the fuzzer leaves (one at least). It ends when told
# (the file finish: every minimization runs to its end; stop-now: they
# are cut short and redone fast), or when the campaign's shell is gone.
# Each signature's records are in $state/sig/K/: sig, first, files,
# status (pending, running, full, cut, fast, failed; none: no violation), pid,
# out and err of keep-crash.
watch_crashes() {
	trap ':' INT TERM HUP # the campaign's shell decides; see above
	set +e # and a failed command must not end the watch
	local main=$1 nsig=0 limit tick=0
	local -A seen=() index=() kpid=()
	limit=$((cores - jobs))
	[ "$limit" -ge 1 ] || limit=1

	# signature_of FILE: the report's first line, or nothing. timeout puts
	# the replay in a process group of its own: Ctrl-C cannot cut it.
	signature_of() {
		local out r
		for _ in 1 2; do
			r=0
			out=$(timeout 5 "$rf_build/rmapfuzz" replay --protocol "$proto" "$1" 2>/dev/null) || r=$?
			[ "$r" -ge 124 ] || break
		done
		sed -n '2{/^rmap violation: /p}' <<<"$out"
	}
	# scan [BUDGET]: replay the new crash files (for at most BUDGET seconds).
	scan() {
		local f base sig k t0
		t0=$(rf_now)
		while IFS= read -r -d '' f; do
			base=${f##*/}
			[ -z "${seen[$base]:-}" ] || continue
			if [ -n "${1:-}" ] && awk -v t="$(rf_elapsed "$t0")" -v b="$1" 'BEGIN {exit !(t > b)}'; then
				echo "$f" >>"$state/unreplayed"
				seen[$base]=1
				continue
			fi
			seen[$base]=1
			sig=$(signature_of "$f")
			[ -n "$sig" ] || sig="-"
			k=${index[$sig]:-}
			if [ -z "$k" ]; then
				nsig=$((nsig + 1))
				k=$nsig
				index[$sig]=$k
				mkdir -p "$state/sig/$k"
				printf '%s\n' "$sig" >"$state/sig/$k/sig"
				printf '%s\n' "$f" >"$state/sig/$k/first"
				if [ "$sig" = - ]; then
					echo none >"$state/sig/$k/status"
					echo "fuzz: $(rf_rel "$f") replays without an rmap violation (a timeout, out of memory, or a crash of the model?)" >&2
				else
					echo pending >"$state/sig/$k/status"
					echo "fuzz: new signature: $sig ($(rf_rel "$f")); minimizing it in the background" >&2
				fi
			fi
			printf '%s\n' "$f" >>"$state/sig/$k/files"
		done < <(find "$crashes" -maxdepth 1 -type f -newer "$state/since" \
			\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
			-printf '%T@ %p\0' 2>/dev/null |
			sort -z -n | cut -z -d' ' -f2-)
	}
	status() { cat "$state/sig/$1/status"; }
	# Minimizations that ended: their results.
	reap() {
		local k r
		for k in "${!kpid[@]}"; do
			rf_alive "${kpid[$k]}" && continue
			r=0
			wait "${kpid[$k]}" || r=$?
			unset "kpid[$k]"
			rm -f "$state/sig/$k/pid"
			if [ "$r" -eq 0 ] && [ -s "$state/sig/$k/out" ]; then
				echo full >"$state/sig/$k/status"
				echo "fuzz: $(cat "$state/sig/$k/out")" >&2
			else
				echo failed >"$state/sig/$k/status"
			fi
		done
	}
	start_pending() { # LIMIT
		local k
		for ((k = 1; k <= nsig; k++)); do
			[ "${#kpid[@]}" -lt "$1" ] || return 0
			[ "$(status "$k")" = pending ] || continue
			echo running >"$state/sig/$k/status"
			TMPDIR="$state/tmp" setsid "$rf_root/tools/keep-crash.sh" "$proto" "$(cat "$state/sig/$k/first")" \
				</dev/null >"$state/sig/$k/out" 2>"$state/sig/$k/err" &
			kpid[$k]=$!
			echo "$!" >"$state/sig/$k/pid"
		done
	}
	# A stop: what runs is cut short, and every signature without its
	# crasher yet gets one from rmapfuzz minimize alone, all at once (each
	# is a process of a second or less; one after another they were what
	# made a stop slow).
	wrap_up_now() {
		local k
		local -A fpid=()
		scan 1
		reap
		for k in "${!kpid[@]}"; do
			kill -KILL -- "-${kpid[$k]}" 2>/dev/null
			wait "${kpid[$k]}" 2>/dev/null
			unset "kpid[$k]"
			rm -f "$state/sig/$k/pid"
			echo cut >"$state/sig/$k/status"
		done
		for ((k = 1; k <= nsig; k++)); do
			case $(status "$k") in
			pending | failed | cut)
				TMPDIR="$state/tmp" setsid "$rf_root/tools/keep-crash.sh" --fast "$proto" "$(cat "$state/sig/$k/first")" \
					</dev/null >"$state/sig/$k/out" 2>"$state/sig/$k/err" &
				fpid[$k]=$!
				;;
			esac
		done
		for k in "${!fpid[@]}"; do
			if wait "${fpid[$k]}"; then
				echo fast >"$state/sig/$k/status"
			else
				echo failed >"$state/sig/$k/status"
			fi
		done
	}

	while :; do
		if [ -e "$state/stop-now" ]; then
			wrap_up_now
			return 0
		fi
		if ! kill -0 "$main" 2>/dev/null; then
			# The campaign's shell was killed outright: leave nothing behind.
			[ -s "$state/fuzzer.pid" ] && kill -KILL -- "-$(cat "$state/fuzzer.pid")" 2>/dev/null
			for k in "${!kpid[@]}"; do kill -KILL -- "-${kpid[$k]}" 2>/dev/null || true; done
			rm -rf "$state"
			return 0
		fi
		if [ -e "$state/finish" ]; then
			scan
			reap
			start_pending "$cores"
			if [ "${#kpid[@]}" -eq 0 ]; then
				return 0
			fi
			if [ ! -e "$state/waiting" ]; then
				touch "$state/waiting"
				echo "fuzz: waiting for ${#kpid[@]} minimization(s) (keep-crash.sh, up to 15 s each); Ctrl-C cuts them short" >&2
			fi
		else
			if [ $((tick % 5)) -eq 0 ]; then scan; fi
			reap
			start_pending "$limit"
		fi
		tick=$((tick + 1))
		sleep 0.2
	done
}

what="until Ctrl-C"
[ "$total" -gt 0 ] && what="for ${total}s"
[ "$forking" = 0 ] && what="$what or the first crash"
merging="no merges"
[ "$merge_every" -gt 0 ] && merging="merging the corpus every ${merge_every}s"
{
	echo "fuzz: $proto, $jobs job(s), $what, $merging${invariants:+, invariants $invariants}"
	if [ "$empty" = 1 ]; then
		echo "fuzz: from an empty corpus, no seeds (--empty); crashes $(rf_rel "$crashes"); crashers $(rf_rel "$rf_crashers/$proto")"
	else
		echo "fuzz: corpus $(rf_rel "$corpus") (seeds $(rf_rel "$seeds")); crashes $(rf_rel "$crashes"); crashers $(rf_rel "$rf_crashers/$proto")"
	fi
	echo "fuzz: log $(rf_rel "$log")"
} | tee -a "$log" >&2 || true

watch_crashes "$$" &
wpid=$!

while [ -z "$stopped" ]; do
	seconds=$merge_every
	if [ "$total" -gt 0 ]; then
		left=$(awk -v t="$total" -v s="$start" -v n="$(rf_now)" 'BEGIN {l = t - (n - s); printf "%d", (l > int(l)) ? int(l) + 1 : int(l)}')
		[ "$left" -gt 0 ] || break
		if [ "$seconds" -eq 0 ] || [ "$left" -lt "$seconds" ]; then seconds=$left; fi
	fi
	round "$seconds"
	[ -z "$ended" ] || break
	[ -z "$stopped" ] || break
	[ "$merge_every" -gt 0 ] || break
	# A merge when another round follows.
	if [ "$total" -gt 0 ] && awk -v t="$total" -v s="$start" -v n="$(rf_now)" 'BEGIN {exit !(n - s >= t)}'; then
		break
	fi
	merge
done

# The crashes: the watcher's last look, and minimizations finished or,
# after a stop, cut short.
if [ -n "$stopped" ]; then touch "$state/stop-now"; else touch "$state/finish"; fi
while rf_alive "$wpid"; do
	relay_gone || true
	[ -z "$stopped" ] || touch "$state/stop-now"
	rf_nap
done
wait "$wpid" 2>/dev/null || true
wpid=""
# The summary is all that is left: a second Ctrl-C must not cut it.
trap '' INT TERM HUP

# 12.3s; 4m05s (245.0s)
seconds_text() {
	local s
	s=$(printf '%.1f' "$1")
	if awk -v s="$s" 'BEGIN {exit !(s < 60)}'; then echo "${s}s"; else echo "$(rf_dur "$s") (${s}s)"; fi
}

summary() {
	local elapsed rate n new k files nfiles=0 nsig=0 sig st out crasher
	elapsed=$(rf_elapsed "$start")
	rate=$(awk -v e="$execs" -v t="$fuzz_time" 'BEGIN {printf "%d", (t > 0 ? e / t : 0)}')
	echo
	local how=""
	[ -z "$stopped" ] || how=", stopped by SIG$stopped"
	echo "fuzz: summary for $proto after $(seconds_text "$elapsed") in $rounds round(s) of $jobs job(s)$how:"
	echo "  executions   $execs ($rate/s over $(seconds_text "$fuzz_time") of fuzzing, merges and stops left out)"
	if [ -n "$ft" ]; then
		echo "  coverage     $ft features (libFuzzer's ft:: interleavings, layouts, steps)"
	else
		echo "  coverage     not reported (the fuzzer stopped before libFuzzer's first status line)"
	fi
	corpus_hashes >"$state/corpus-after"
	n=$(find "$corpus" -maxdepth 1 -type f | wc -l)
	new=$(comm -13 "$state/corpus-before" "$state/corpus-after" | wc -l)
	if [ "$empty" = 1 ]; then
		echo "  corpus       $n inputs in a scratch corpus, discarded (--empty)"
	else
		echo "  corpus       $n inputs in $(rf_rel "$corpus") ($new new)"
	fi
	for k in "$state"/sig/*/; do
		[ -f "$k/files" ] || continue
		nfiles=$((nfiles + $(wc -l <"$k/files")))
		[ "$(cat "$k/sig")" = - ] || nsig=$((nsig + 1))
	done
	if [ "$nfiles" -eq 0 ] && [ ! -s "$state/unreplayed" ]; then
		echo "  crashes      none"
	else
		echo "  crashes      $nfiles file(s) in $(rf_rel "$crashes"), $nsig signature(s), each minimized once:"
	fi
	for ((k = 1; ; k++)); do
		[ -d "$state/sig/$k" ] || break
		sig=$(cat "$state/sig/$k/sig")
		st=$(cat "$state/sig/$k/status")
		files=$(wc -l <"$state/sig/$k/files")
		if [ "$sig" = - ]; then
			echo "    no rmap violation on replay: $files file(s) (timeouts, out of memory, or crashes of the model itself); see the log:"
			head -n 5 "$state/sig/$k/files" | while IFS= read -r f; do echo "      $(rf_rel "$f")"; done
			continue
		fi
		echo "    $sig: $files crash file(s), the first $(rf_rel "$(cat "$state/sig/$k/first")")"
		out=$(cat "$state/sig/$k/out" 2>/dev/null || true)
		crasher=$(sed -nE 's/.*; (kept|wrote) (.*) \([0-9]+ records\)$/\2/p' <<<"$out")
		case $st in
		full | fast)
			echo "      $out"
			[ "$st" = full ] || echo "      (stopped before libFuzzer's -minimize_crash pass: rmapfuzz minimize only; tools/keep-crash.sh runs both)"
			echo "      read it: $(rf_rel "$rf_build/rmapfuzz") replay --protocol $proto $(printf '%q' "$crasher")"
			;;
		*)
			echo "      not kept: keep-crash.sh failed: $(tail -n 1 "$state/sig/$k/err" 2>/dev/null)"
			echo "      read it: $(rf_rel "$rf_build/rmapfuzz") replay --protocol $proto $(printf '%q' "$(rf_rel "$(cat "$state/sig/$k/first")")")"
			;;
		esac
	done
	if [ -s "$state/unreplayed" ]; then
		echo "    not replayed (the stop came first): $(wc -l <"$state/unreplayed") file(s), e.g. $(rf_rel "$(head -n 1 "$state/unreplayed")")"
	fi
	echo "  log          $(rf_rel "$log")"
}
summary | tee -a "$log" >&2 || true # (a terminal gone: the log has it)

case $stopped in
INT) exit 130 ;;
TERM) exit 143 ;;
HUP) exit 129 ;;
esac
exit "$rc"
