# shellcheck shell=bash disable=SC2034 # the sourcing script reads rf_*
# What build.sh and tools/*.sh share; sourced, never run. Argument parsing
# and usage errors, --version, the directories (and their environment
# overrides), paths as the user reads them, progress lines with an estimate
# of the time left, JSON strings.
#
# The sourcing script sets, before it parses its arguments:
#   rf_name    the prefix of its messages ("fuzz", "build.sh")
#   rf_cmd     how it was invoked, for usage lines: rf_invoked DEFAULT sets
#              it from RMAPFUZZ_CMD (build.sh sets that when it hands a
#              command to a tool: "./build.sh fuzz") or DEFAULT
#   rf_synopsis  its arguments ("[--seconds N] [--seeds K]"), a line per
#              form; rf_usage_line wraps them within 80 columns
#
# Environment (each defaults to the checkout's own):
#   RMAPFUZZ_BUILD_DIR     the build: rmapfuzz, rmap_fuzzer, seeds (build/), and
#                          its unsanitized twin in nosan/ (explore, bench)
#   RMAPFUZZ_WORK_DIR      campaigns' corpora, crashes, logs; verdicts' and
#                          bench's runs (the build directory)
#   RMAPFUZZ_CRASHERS_DIR  the kept crashers (crashers/)

# Run on its own it would act on nothing: it says so instead.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	msg="tools/lib.sh: sourced by build.sh and tools/*.sh, never run; ./build.sh --help"
	case ${1:-} in -h | --help) echo "$msg" && exit 0 ;; *) echo "$msg" >&2 && exit 2 ;; esac
fi

rf_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rf_abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
rf_build=$(rf_abs "${RMAPFUZZ_BUILD_DIR:-$rf_root/build}")
rf_work=$(rf_abs "${RMAPFUZZ_WORK_DIR:-$rf_build}")
rf_crashers=$(rf_abs "${RMAPFUZZ_CRASHERS_DIR:-$rf_root/crashers}")
# The build's unsanitized twin (the same CMake build, sanitizers off): what
# the explorer's long searches and the bench's unsanitized figures run.
rf_nosan=$rf_build/nosan
rf_name=${rf_name:-rmapfuzz}
rf_synopsis=${rf_synopsis:-}

# rf_invoked DEFAULT: how this script was invoked, for its usage lines.
# RMAPFUZZ_CMD is for this script only, not for the tools it runs.
rf_invoked() {
	rf_cmd=${RMAPFUZZ_CMD:-$1}
	unset RMAPFUZZ_CMD
}

rf_err() { echo "$rf_name: $*" >&2; }
# A failure that is not the user's command line: exit 1.
rf_fail() { rf_err "$@"; exit 1; }
# A bad command line: the message, the synopsis, exit 2. Nothing has run yet.
rf_usage_error() {
	rf_err "$@"
	rf_usage_line "(--help for more)" >&2
	exit 2
}

# rf_words DEPTH TEXT: TEXT's words one a line, split only at the spaces
# inside at most DEPTH brackets, so that "[--part P/M]" stays one word.
rf_words() {
	local max=$1 text=$2 word="" depth=0 c i
	for ((i = 0; i < ${#text}; i++)); do
		c=${text:i:1}
		case $c in
		'[' | '(') depth=$((depth + 1)) ;;
		']' | ')') depth=$((depth - 1)) ;;
		' ')
			if ((depth <= max)); then
				[ -z "$word" ] || printf '%s\n' "$word"
				word=""
				continue
			fi
			;;
		esac
		word+=$c
	done
	[ -z "$word" ] || printf '%s\n' "$word"
}

# rf_usage_line [TAIL]: "usage: CMD SYNOPSIS TAIL" within 80 columns, a
# line per form where rf_synopsis holds several (a line each), TAIL after
# the last. A word that would cross column 80 starts a line of its own,
# under the first word (8 columns in when CMD is long); a bracketed group
# too long for any line is broken inside its outer brackets.
rf_usage_line() {
	local cmd=${rf_cmd:-$rf_name} forms=() f head indent words word line inner
	mapfile -t forms <<<"$rf_synopsis"
	for f in "${!forms[@]}"; do
		head="       $cmd"
		[ "$f" -gt 0 ] || head="usage: $cmd"
		indent=$(printf '%*s' $((${#head} > 40 ? 8 : ${#head})) '')
		words=()
		while IFS= read -r word; do
			if ((${#indent} + 1 + ${#word} > 80)); then
				mapfile -t inner < <(rf_words 1 "$word")
				words+=("${inner[@]}")
			else
				words+=("$word")
			fi
		done < <(rf_words 0 "${forms[f]}$([ $((f + 1)) -lt ${#forms[@]} ] || echo "${1:+ $1}")")
		line=$head
		for word in "${words[@]}"; do
			if ((${#line} + 1 + ${#word} > 80)) && [ "$line" != "$indent" ] &&
				{ [ "$line" != "$head" ] || ((${#head} > 40)); }; then
				printf '%s\n' "$line"
				line=$indent
			fi
			line+=" $word"
		done
		printf '%s\n' "$line"
	done
}

# The version every command prints: VERSION at the root of the checkout
# and the commit, as `rmapfuzz --version` prints it.
rf_version() {
	local v="unknown" c
	[ -r "$rf_root/VERSION" ] && v=$(tr -d '[:space:]' <"$rf_root/VERSION")
	c=$(git -C "$rf_root" rev-parse --short HEAD 2>/dev/null) || c=unknown
	# As cmake/version.cmake says it: figures name what measured them.
	[ "$c" = unknown ] || [ -z "$(git -C "$rf_root" status --porcelain --untracked-files=no 2>/dev/null)" ] ||
		c="$c, with uncommitted changes"
	echo "rmapfuzz ${v:-unknown} (git ${c:-unknown})"
}

# rf_value OPTION "$@": the value of OPTION, given as "OPTION VALUE" or
# "OPTION=VALUE" at $1. Sets rf_val, and rf_shift to the number of
# arguments it took. A missing value (the end of the line, or the next
# option) is a usage error.
rf_value() {
	local opt=$1
	shift
	case $1 in
	"$opt"=*)
		rf_val=${1#*=}
		rf_shift=1
		;;
	*)
		if [ $# -lt 2 ] || [ "${2#--}" != "$2" ]; then
			rf_usage_error "option '$opt' requires an argument"
		fi
		rf_val=$2
		rf_shift=2
		;;
	esac
}

# rf_uint OPTION VALUE MIN: VALUE is a whole number of at least MIN (and
# at most 9 digits: no arithmetic overflow), or a usage error.
rf_uint() {
	if ! [[ "$2" =~ ^[0-9]{1,9}$ ]] || [ $((10#$2)) -lt "$3" ]; then
		rf_usage_error "$1 wants a whole number of at least $3, not '$2'"
	fi
}

# rf_num VAR MIN "$@": the whole-number option at $1 ("--opt N" or
# "--opt=N", at least MIN) into VAR; rf_shift as rf_value sets it.
rf_num() {
	local var=$1 min=$2
	shift 2
	rf_value "${1%%=*}" "$@"
	rf_uint "${1%%=*}" "$rf_val" "$min"
	printf -v "$var" '%d' "$((10#$rf_val))"
}

# rf_is_help_or_version ARGS...: -h, --help or --version before any "--".
rf_is_help_or_version() {
	local a
	for a in "$@"; do
		case $a in
		--) return 1 ;;
		-h | --help | --version) return 0 ;;
		esac
	done
	return 1
}

# rf_check_invariants SPEC: SPEC is a comma-separated list of invariant
# families (walk, tlb, lifetime, all), or a usage error.
rf_check_invariants() {
	local f
	[ -n "$1" ] || rf_usage_error "--invariants wants invariant families (walk, tlb, lifetime, all)"
	for f in ${1//,/ }; do
		case $f in
		walk | tlb | lifetime | all) ;;
		*) rf_usage_error "unknown invariant family '$f' (known: walk, tlb, lifetime, all)" ;;
		esac
	done
	case $1 in ,* | *, | *,,*) rf_usage_error "--invariants '$1': an empty family name" ;; esac
}

# The protocols rmapfuzz knows, one a line (needs the build).
rf_protocols() { "$rf_build/rmapfuzz" protocols --tsv | awk -F'\t' 'NR > 1 {print $1}'; }
# rf_expected PROTOCOL: the verdict the row expects.
rf_expected() { "$rf_build/rmapfuzz" protocols --tsv "$1" | awk -F'\t' 'NR > 1 {print $2}'; }

# rf_check_protocol NAME: a usage error unless rmapfuzz knows NAME, a row's
# name or an ad-hoc spec ROW+SWITCH[,SWITCH...] (rmapfuzz's own message:
# the bad switch and the known ones). Without a build yet, nothing to check
# against: true.
rf_check_protocol() {
	[ -x "$rf_build/rmapfuzz" ] || return 0
	local err
	err=$("$rf_build/rmapfuzz" protocols --spec -- "$1" 2>&1 >/dev/null) ||
		rf_usage_error "${err#rmapfuzz: }"
}

rf_need_build() { # BINARY...: each built, or an error naming the fix
	local b
	for b in "$@"; do
		[ -x "$rf_build/$b" ] || rf_fail "no $(rf_rel "$rf_build/$b"); build first (./build.sh)"
	done
}

# A path as the user reads it: relative to the checkout when inside it.
rf_rel() {
	case $1 in
	"$rf_root"/*) echo "${1#"$rf_root"/}" ;;
	*) echo "$1" ;;
	esac
}

rf_now() { date +%s.%N; }
# rf_elapsed T0 [T1]: seconds from T0 to T1 (now), one decimal.
rf_elapsed() { awk -v a="$1" -v b="${2:-$(rf_now)}" 'BEGIN {printf "%.1f", b - a}'; }
# rf_dur SECONDS: 45s, 3m05s, 1h02m.
rf_dur() {
	awk -v s="$1" 'BEGIN {
		s = int(s + 0.5)
		if (s < 60) printf "%ds", s
		else if (s < 3600) printf "%dm%02ds", s / 60, s % 60
		else printf "%dh%02dm", s / 3600, (s % 3600) / 60
	}'
}

# Progress of a job of N units, to stderr: rf_progress_start N, then
# rf_progress WHAT after each unit: "NAME: [k/N] WHAT; 1m10s so far, about
# 2m20s left". The estimate is the time per unit so far times the units
# left; rf_progress WHAT SECONDS gives it instead (a unit of known cost).
rf_progress_start() {
	rf_progress_total=$1
	rf_progress_done=0
	rf_progress_t0=$(rf_now)
}
rf_progress() {
	rf_progress_done=$((rf_progress_done + 1))
	local k=$rf_progress_done n=$rf_progress_total spent left
	spent=$(rf_elapsed "$rf_progress_t0")
	if [ "$k" -ge "$n" ]; then
		echo "$rf_name: [$k/$n] $1; done in $(rf_dur "$spent")" >&2
		return
	fi
	left=${2:-$(awk -v s="$spent" -v k="$k" -v n="$n" 'BEGIN {print s / k * (n - k)}')}
	echo "$rf_name: [$k/$n] $1; $(rf_dur "$spent") so far, about $(rf_dur "$left") left" >&2
}

# A JSON string: rf_json_str TEXT prints "TEXT" escaped.
rf_json_str() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\t'/\\t}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	printf '"%s"' "$s"
}
# A JSON number, or null for anything else ("-", ">12", "").
rf_json_num() {
	if [[ "$1" =~ ^-?([0-9]+\.?[0-9]*|\.[0-9]+)$ ]]; then
		awk -v v="$1" 'BEGIN {printf "%.10g", v + 0}'
	else
		printf 'null'
	fi
}

# rf_tmpdir NAME: a new temporary directory whose path has no blank:
# libFuzzer builds the command lines of its fork mode and its
# -minimize_crash and -merge steps by pasting paths together unquoted.
rf_tmpdir() {
	local base=${TMPDIR:-/tmp}
	case $base in *[[:space:]]* | "") base=/tmp ;; esac
	mktemp -d "$base/rmapfuzz-$1.XXXXXX"
}

# rf_alive PID: the process runs (a zombie, exited but not yet waited
# for, does not).
rf_alive() {
	local st
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# rf_nap: sleep a fifth of a second, in the background so that a signal's
# trap runs at once rather than after the sleep.
rf_nap() {
	sleep 0.2 &
	local p=$!
	wait "$p" 2>/dev/null || kill "$p" 2>/dev/null || true
}

# rf_group_alive PGID: a process of the group runs (zombies, dead but not
# yet reaped, do not count: the orphans among them are init's to reap).
rf_group_alive() {
	local f line state pgrp
	for f in /proc/[0-9]*/stat; do
		{ read -r line <"$f"; } 2>/dev/null || continue
		# After the command's name: state, parent, process group, ...
		read -r state _ pgrp _ <<<"${line##*) }"
		if [ "$pgrp" = "$1" ] && [ "$state" != Z ]; then return 0; fi
	done
	return 1
}

# rf_build_nosan LOG JOBS TARGET...: configure rf_nosan (clang, sanitizers
# off: said again every time, whatever configured it before; a second
# configure takes a fraction of a second) and build TARGETs there with JOBS
# jobs, the output in LOG; on failure, LOG's end and exit.
rf_build_nosan() {
	local log=$1 jobs=$2
	shift 2
	mkdir -p "$(dirname "$log")"
	if ! { CC=clang cmake -S "$rf_root" -B "$rf_nosan" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
		-DRMAPFUZZ_SANITIZE=OFF && ninja -C "$rf_nosan" -j "$jobs" "$@"; } >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rf_fail "the build without sanitizers failed (log: $(rf_rel "$log"))"
	fi
}

# rf_explore_arg_taken WHERE LONG SHORT ARG...: the first ARG that names one
# of rmapfuzz explore's options a tool sets itself, LONG (names without
# "--", blank-separated; any unambiguous start of one too, as getopt_long
# takes it: --sh is --shard) or SHORT (their letters), said on stdout as
# "WHERE: 'ARG'" (and the option it stands for); false if none does.
rf_explore_arg_taken() {
	local where=$1 long=$2 short=$3 a name o
	shift 3
	for a in "$@"; do
		case $a in
		--?*)
			name=${a%%=*}
			for o in $long; do
				case --$o in
				"$name"*)
					if [ "$name" = "--$o" ]; then echo "$where: '$a'"; else echo "$where: '$a' (--$o)"; fi
					return 0 ;;
				esac
			done ;;
		-[!-]*)
			if [[ $short == *"${a:1:1}"* ]]; then echo "$where: '$a'" && return 0; fi ;;
		esac
	done
	return 1
}
