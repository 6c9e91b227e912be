#!/usr/bin/env bash
# A search too long for one sitting, kept as shards in a directory: run the
# shards it has no result for, a few at a time, and print the merge of all
# it has (./build.sh explore-shards runs this). Several directories are a
# queue: their shards run in the order given, J at a time over all of them
# (a directory's first shards take the slots the last ones of the one
# before leave free), and each directory's merge is printed when its last
# shard ends.
#
#   tools/explore-shards.sh DIR [DIR...] [--jobs J] [--until TIME] [--limit K]
#                           [--part P/M] [--table] [--rmapfuzz BIN]
#   tools/explore-shards.sh DIR --new --shards N [--jobs J] ...
#                           -- EXPLORE_OPTIONS...
#
# DIR/campaign says the search: "shards N" and "explore OPTIONS..." (the
# rmapfuzz explore options, without --shard, --json, -o, --merge, --jobs,
# --dry-run).
# Each shard I is `rmapfuzz explore OPTIONS --shard I/N --json`, written to
# DIR/.shard-I-of-N.json.tmp and renamed to DIR/shard-I-of-N.json when it
# ends with every level searched: a stopped shard leaves nothing behind, a
# kept one is never written again (so each kept file is checked first: a
# whole result of the campaign's search). The rmapfuzz run is a copy taken
# at the start (build/nosan's, built first; or --rmapfuzz's), so a rebuild
# while the shards run changes none of them.
set -euo pipefail
# The whole script is one brace group, read to its end before it runs: a
# run takes hours, and an edit of this file meanwhile (a git pull) would
# otherwise be read from the middle of its new text when the loop ends.
{

rf_name=explore-shards
rf_synopsis='DIR [DIR...] [--new --shards N] [--jobs J] [--until TIME] [--limit K] [--part P/M] [--table] [--rmapfuzz BIN] [-- EXPLORE_OPTIONS...]'
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rf_invoked tools/explore-shards.sh

usage() {
	cat <<EOF
$(rf_usage_line)

Go on with one rmapfuzz explore search kept as shards in DIR: run every
shard DIR has no result for (of its part, with --part), J at a time, each
into DIR/shard-I-of-N.json, then print the merge of DIR's shards (rmapfuzz
explore --merge): "clean in K of N shards (which), not the whole bound"
until all N are there, then the bound's result. Another machine, or a
later sitting, goes on where this one stopped.

Several DIRs are a queue, each its own search (its campaign file, its
options): their shards run in the order of the DIRs, then of shard
number, J at a time over all of them, so that the next DIR's shards start
in the slots a DIR's last shards leave free. When a DIR's last shard
ends, its merge is printed after a line "## DIR": stdout is one merge a
DIR, in the order given. --until and --limit count over the whole queue,
--part is every DIR's; --table and --limit 0 show each DIR in turn after
its "## DIR". Every DIR's lock is taken before any shard runs (one held:
nothing runs), and a shard that fails starts no other, of any DIR.
Progress lines name their DIR (its last component, or its path when two
share one), and the estimate of a DIR's time left comes with the queue's.
A DIR given twice is refused; --new starts one DIR, alone.

Before anything runs (a shard, a merge, a table), every DIR's explore
options are checked (rmapfuzz explore --dry-run; a bad one is named with
its campaign line) and so is every shard file it keeps: a whole result
(not empty, cut short or stopped) of the campaign's protocols and bound,
and the shard its name says. One that is not is named, exit 2: move it
away, and a run searches its shard again.

  --new --shards N     start DIR (made if missing; one without a campaign
                       file): the explore options after "--" and N go into
                       DIR/campaign, then the shards run as below (with
                       --limit 0: the campaign file only, nothing run; a
                       DIR to queue later). The options are checked
                       first by rmapfuzz explore --dry-run of the build
                       that will run them (or --rmapfuzz's): refused,
                       they write nothing, exit 2
  --jobs J             shards at a time, each one process on one core
                       (default: the cores, $(nproc 2>/dev/null || echo 2) here)
  --until TIME         start no shard after TIME (what date -d reads: 22:00,
                       "tomorrow 06:00", "3 hours"); the running ones finish
  --limit K            at most K shards this time, of the whole queue (0:
                       only the merge, no build but --new's, no lock:
                       where a running campaign stands)
  --part P/M           only the shards I with I mod M = P (0 <= P < M), of
                       every DIR: M machines share a search, each with its
                       own copy of DIR and its own part; copy their
                       shard-I-of-N.json files into one DIR, and the merge
                       joins them (--table and --limit 0 show every shard
                       kept)
  --table              print DIR's shards as a markdown table (shard,
                       protocol, verdict, programs, states, interleavings,
                       seconds, search code),
                       run nothing
  --rmapfuzz BIN       run BIN (an rmapfuzz) instead of building build/nosan's
  -h, --help           this help
  --version            the version

DIR/campaign, written by --new (lines; # starts a comment):
  shards N
  explore OPTIONS...   rmapfuzz explore's options, as on its command line
                       (no --shard, --json, -o, --merge, --jobs,
                       --dry-run)

Progress on stderr: a line per shard started and ended, with the shards
kept and an estimate of the time left. One run a directory at a time (a
lock in DIR says so; its running shards hold it too); to share one
search between machines, each runs its --part (or rmapfuzz explore --shard
I/N --json for its own shards) and the files go into one DIR as
shard-I-of-N.json (copied under another name, then renamed). Needs bash
5.1 or later. A shard that fails stops the run (no new shard starts; its
error is shown). Ctrl-C or SIGTERM stops the running shards (each its own
process group, a --rmapfuzz wrapper's child too) and throws their partial
results away; the kept ones stay. A second one kills them without waiting.
Ctrl-Z (SIGTSTP) suspends the run and its running shards; fg (or SIGCONT)
goes on with both.
Exit 0 when every shard run ended with its result kept, and every merge
printed; 1 when one failed (with --new, a campaign whose options an
rmapfuzz from before --dry-run refuses is removed) or a merge did; 2 on a
bad command line, campaign file or kept shard file; 130 or 143 after a
signal (141 when a queue's stdout is a pipe whose reader has gone).
EOF
}

dirs=() new=0 shards="" jobs=$(nproc 2>/dev/null || echo 2) until="" limit=-1 table=0 bin="" part_k=0 part_m=1
explore_args=()
while [ $# -gt 0 ]; do
	case $1 in
	-h | --help) usage; exit 0 ;;
	--version) rf_version; exit 0 ;;
	--new) new=1; shift ;;
	--shards | --shards=*) rf_num shards 1 "$@"; shift "$rf_shift" ;;
	--jobs | --jobs=*) rf_num jobs 1 "$@"; shift "$rf_shift" ;;
	--limit | --limit=*) rf_num limit 0 "$@"; shift "$rf_shift" ;;
	--until | --until=*)
		rf_value --until "$@"; until=$rf_val; shift "$rf_shift" ;;
	--table) table=1; shift ;;
	--part | --part=*)
		rf_value --part "$@"; shift "$rf_shift"
		if ! [[ $rf_val =~ ^([0-9]{1,7})/([0-9]{1,7})$ ]] ||
			[ $((10#${BASH_REMATCH[1]})) -ge $((10#${BASH_REMATCH[2]})) ]; then
			rf_usage_error "--part '$rf_val': wants P/M, whole numbers with 0 <= P < M (this machine's part of M)"
		fi
		part_k=$((10#${BASH_REMATCH[1]})) part_m=$((10#${BASH_REMATCH[2]})) ;;
	--rmapfuzz | --rmapfuzz=*)
		rf_value --rmapfuzz "$@"; bin=$rf_val; shift "$rf_shift" ;;
	--) shift; explore_args=("$@"); break ;;
	-?*) rf_usage_error "unknown option '$1'" ;;
	*) dirs+=("$1"); shift ;;
	esac
done
[ ${#dirs[@]} -gt 0 ] || rf_usage_error "which DIR? (the directory of the shards)"
# --new writes one campaign: a queue is of campaigns that exist.
[ "$new" = 0 ] || [ ${#dirs[@]} = 1 ] ||
	rf_usage_error "--new starts one DIR, not ${#dirs[@]} (start each with its own --new, then queue them)"
dir=${dirs[0]}

# explore_args_ok WHERE ARGS...: none of the options this tool sets; else
# why, on stdout.
explore_args_ok() {
	local where=$1 what
	shift
	what=$(rf_explore_arg_taken "$where" "shard json output merge jobs help version dry-run" oh "$@") || return 0
	echo "$what is this tool's to set, or no search (leave it out)"
	return 1
}

deadline=""
if [ -n "$until" ]; then
	deadline=$(date -d "$until" +%s 2>/dev/null) || rf_usage_error "--until '$until': not a time date -d reads"
	# A time of day alone that is past today means tomorrow's.
	if [ "$deadline" -le "$(date +%s)" ] && [[ "$until" =~ ^[0-9]{1,2}:[0-9]{2}(:[0-9]{2})?$ ]]; then
		deadline=$((deadline + 86400))
	fi
	[ "$deadline" -gt "$(date +%s)" ] || rf_usage_error "--until '$until' is past ($(date -d "@$deadline"))"
fi
if [ "$new" = 1 ]; then
	[ -n "$shards" ] || rf_usage_error "--new wants --shards N"
	[ "$shards" -le 1000000 ] || rf_usage_error "--shards $shards: rmapfuzz explore splits a bound in at most 1000000"
	[ ${#explore_args[@]} -gt 0 ] || rf_usage_error "--new wants the explore options after '--' (at least the protocol: -- -p linux-3.15)"
	why=$(explore_args_ok "the explore options" "${explore_args[@]}") || rf_usage_error "$why"
	for a in "${explore_args[@]}"; do
		case $a in *[[:space:]]*) rf_usage_error "explore option '$a' has a blank: the campaign file splits at blanks" ;; esac
	done
	[ ! -e "$dir/campaign" ] || rf_usage_error "$dir/campaign exists: DIR has a search (leave out --new to go on with it)"
else
	[ -z "$shards" ] || rf_usage_error "--shards goes with --new (DIR/campaign says it)"
	[ ${#explore_args[@]} -eq 0 ] || rf_usage_error "explore options go with --new (DIR/campaign says them)"
	for d in "${dirs[@]}"; do
		[ -d "$d" ] || [ ! -e "$d" ] || rf_usage_error "$d: not a directory"
		[ -d "$d" ] || rf_usage_error "$d: no such directory (--new starts one)"
		if ! [ -f "$d/campaign" ] || ! [ -r "$d/campaign" ]; then
			rf_usage_error "$d/campaign: missing, or no file (--new starts a search)"
		fi
	done
fi
# dir_name K: DIR K as the user reads it.
dir_name() { rf_rel "$(rf_abs "${dirs[$1]}")"; }
# The same directory twice in a queue would run its shards twice, and its
# second lock (another open file, the same process) would say "another
# explore-shards runs on it": refused by name. real_of: each DIR's path,
# its links resolved.
real_of=()
declare -A given=()
for k in "${!dirs[@]}"; do
	real_of[k]=$(realpath -m -- "${dirs[k]}")
	[ -z "${given[${real_of[k]}]:-}" ] ||
		rf_usage_error "${dirs[k]}: the same directory as ${given[${real_of[k]}]} (give a DIR once)"
	given[${real_of[k]}]=${dirs[k]}
done
# wait -n -p (which shard ended) came with bash 5.1.
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
	rf_fail "needs bash 5.1 or later (wait -n -p); this is $BASH_VERSION"
fi
# needs_build: whether rmapfuzz is built first: not with --rmapfuzz, nor
# for --table (it runs nothing), nor for --limit 0 but --new's when
# build/nosan's is there.
needs_build() {
	[ -z "$bin" ] && [ "$table" = 0 ] &&
		{ [ "$limit" != 0 ] || [ "$new" = 1 ] || ! [ -x "$rf_nosan/rmapfuzz" ]; }
}
# (build.sh reads "build" on stdout: it installs the toolchain only then.)
if [ "${RMAPFUZZ_PARSE_ONLY:-}" = 1 ]; then
	! needs_build || echo build
	exit 0
fi

# The campaign file: "shards N", "explore OPTIONS..."; a bad line is
# named, exit 2.
campaign_error() { rf_err "$@"; exit 2; }
read_campaign() { # FILE
	local file=$1 n=0 line key rest
	shards="" explore_args=() explore_line=""
	local seen_explore=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		line=${line%%#*}
		# (A file of CRLF lines: the carriage returns are blanks.)
		line=${line//$'\r'/ }
		read -r key rest <<<"$line" || true
		case $key in
		"") ;;
		shards)
			if ! [[ "$rest" =~ ^[0-9]{1,7}$ ]] || [ $((10#$rest)) -lt 1 ] || [ $((10#$rest)) -gt 1000000 ]; then
				campaign_error "$file:$n: 'shards' wants a whole number from 1 to 1000000, not '$rest'"
			fi
			[ -z "$shards" ] || campaign_error "$file:$n: 'shards' twice"
			shards=$((10#$rest)) ;;
		explore)
			[ "$seen_explore" = 0 ] || campaign_error "$file:$n: 'explore' twice"
			seen_explore=1 explore_line=$n
			read -r -a explore_args <<<"$rest"
			[ ${#explore_args[@]} -gt 0 ] || campaign_error "$file:$n: 'explore' wants rmapfuzz explore's options"
			local why
			why=$(explore_args_ok "$file:$n" "${explore_args[@]}") || campaign_error "$why" ;;
		*) campaign_error "$file:$n: unknown key '$key' (known: shards, explore)" ;;
		esac
	done <"$file"
	[ -n "$shards" ] || campaign_error "$file: no 'shards N' line"
	[ "$seen_explore" = 1 ] || campaign_error "$file: no 'explore OPTIONS...' line"
}

# resolve_bin: bin, the rmapfuzz that runs the shards (and merges, and
# checks the campaigns); none for --table without build/nosan's.
resolve_bin() {
	if [ -n "$bin" ]; then
		[ -x "$bin" ] || rf_usage_error "--rmapfuzz $bin: not an executable"
		return 0
	fi
	if ! needs_build; then
		# Only where it stands: no build (an existing rmapfuzz, or one
		# built once), no lock (a run may hold it: this is what it
		# would print). --new builds: its options are checked by the
		# rmapfuzz of this tree, the one a run would build.
		[ ! -x "$rf_nosan/rmapfuzz" ] || bin=$rf_nosan/rmapfuzz
		return 0
	fi
	echo "$rf_name: building rmapfuzz without sanitizers into $(rf_rel "$rf_nosan") (log: $(rf_rel "$rf_nosan/build.log"))" >&2
	rf_build_nosan "$rf_nosan/build.log" "$jobs" rmapfuzz
	bin=$rf_nosan/rmapfuzz
}

# check_split WHERE DIR SHARDS: refused (exit 2) if --part has no shard
# of DIR's SHARDS, or DIR holds files of another split (they would not
# merge): said before anything runs.
check_split() {
	local f
	[ "$part_k" -lt "$3" ] || rf_usage_error "$1--part $part_k/$part_m: no shard of the campaign's $3 is in part $part_k"
	for f in "$2"/shard-*-of-*.json; do
		[ -e "$f" ] || continue
		case ${f##*/} in
		shard-*-of-"$3".json)
			# (shard-00-of-N.json, or one past N: no shard's, never read.)
			if ! [[ ${f##*/} =~ ^shard-(0|[1-9][0-9]{0,6})-of- ]] || ((BASH_REMATCH[1] >= $3)); then
				rf_err "warning: $f: no shard of the campaign's $3 is named so (shard-I-of-$3.json, I from 0 to $(($3 - 1))): not read"
			fi ;;
		*) campaign_error "$f: a shard of another split than the campaign's $3 (move it away)" ;;
		esac
	done
}

# dry_run ARGS...: rmapfuzz explore ARGS --dry-run by bin, its output
# and errors in dry_out; false if it refuses them. None (dry_out empty)
# without a bin, or by an rmapfuzz from before --dry-run (said once: the
# first shard checks them).
can_dry_run=""
dry_run() {
	dry_out=""
	[ -n "$bin" ] || return 0
	if [ -z "$can_dry_run" ]; then
		# (The help read whole: grep -q would end the pipe early, and
		# pipefail take rmapfuzz's SIGPIPE for an answer.)
		local help
		help=$("$bin" explore --help 2>/dev/null) || true
		can_dry_run=no
		[[ $help != *--dry-run* ]] || can_dry_run=yes
		[ "$can_dry_run" = yes ] ||
			rf_err "note: $(rf_rel "$bin") has no explore --dry-run: the explore options are not checked until a shard runs, nor the kept shards' search"
	fi
	[ "$can_dry_run" = yes ] || return 0
	dry_out=$("$bin" explore "$@" --dry-run 2>&1)
}
refused_options() { # dry_out's errors, on stderr
	printf '%s\n' "$dry_out" | grep -v "^Try 'rmapfuzz explore --help'" >&2 || true
}

kept() { # K: DIR K's shards kept, one a line
	local d=${dirs[$1]} n=${shards_of[$1]} i
	for ((i = 0; i < n; i++)); do [ ! -e "$d/shard-$i-of-$n.json" ] || echo "$i"; done
}
# check_kept K: DIR K's kept shards are whole results (a cut or empty file
# would be taken as searched, and never searched again) and, given
# PROTOCOLS and BOUND (what the campaign's options search), of its search
# (another campaign's file would be merged as this one's): else each is
# named, exit 2. One awk reads every file, as print_table does.
check_kept() { # K [PROTOCOLS BOUND]
	local bad
	bad=$(kept "$1" | EXPLORE_SHARDS_DIR=${dirs[$1]} EXPLORE_SHARDS_PROTOCOLS=${2:-} \
		EXPLORE_SHARDS_BOUND=${3:-} awk -v shards="${shards_of[$1]}" '
		{
			f = ENVIRON["EXPLORE_SHARDS_DIR"] "/shard-" $0 "-of-" shards ".json"
			n = 0; bound = ""; protos = ""; results = 0; cut = 0; last = ""
			while ((r = (getline line < f)) > 0) {
				n++
				sub(/\r$/, "", line)	# a copy with CRLF ends: the merge reads it
				last = line
				if (bound == "" && line ~ /^  "bound": ".*",$/) {
					bound = substr(line, 13)
					sub(/",$/, "", bound)
				}
				if (line ~ /^  "results": \[/)
					results = 1
				if (line ~ /^    \{"protocol": "/) {
					p = substr(line, 19)
					sub(/".*/, "", p)
					protos = protos (protos == "" ? "" : " ") p
				}
				if (index(line, "\"end\": \"interrupted\""))
					cut = 1
			}
			close(f)
			# (A search of one shard is the whole: its bound names none.)
			want = shards == 1 ? "" : "; shard " $0 "/" shards
			if (r < 0)
				print f ": unreadable"
			else if (n == 0)
				print f ": empty, not a result: move it away (a run searches its shard again)"
			else if (!results || last != "}" || cut)
				print f ": not a whole result (cut short, or a search stopped): move it away (a run searches its shard again)"
			else if (ENVIRON["EXPLORE_SHARDS_BOUND"] == "")
				next
			else if (substr(bound, length(bound) - length(want) + 1) != want)
				print f ": not shard " $0 "/" shards " (its bound: " bound "): move it away"
			else if (protos != ENVIRON["EXPLORE_SHARDS_PROTOCOLS"])
				print f ": another search'"'"'s shard (its protocol(s) " protos ", the campaign'"'"'s " ENVIRON["EXPLORE_SHARDS_PROTOCOLS"] "): move it away"
			else if (substr(bound, 1, length(bound) - length(want)) != ENVIRON["EXPLORE_SHARDS_BOUND"])
				print f ": another search'"'"'s shard (its bound " substr(bound, 1, length(bound) - length(want)) "; the campaign'"'"'s " ENVIRON["EXPLORE_SHARDS_BOUND"] "): move it away"
		}')
	[ -n "$bad" ] || return 0
	printf '%s\n' "$bad" | while IFS= read -r line; do rf_err "$line"; done
	campaign_error "$(dir_name "$1"): kept shard file(s) refused (above), nothing run"
}
# check_search K: DIR K's explore options (args_of) checked by --dry-run
# (false if refused: dry_out says why), then its kept shards (check_kept)
# against the protocols and bound it says.
check_search() {
	local args line protocols="" bound=""
	read -r -a args <<<"${args_of[$1]}"
	dry_run "${args[@]}" || return 1
	while IFS= read -r line; do
		[[ ! $line =~ ^[0-9]+\ protocol\(s\):\ (.*)$ ]] || protocols=${BASH_REMATCH[1]}
		[[ ! $line =~ ^bound:\ (.*)$ ]] || bound=${BASH_REMATCH[1]}
	done <<<"$dry_out"
	if [ -n "$dry_out" ] && { [ -z "$protocols" ] || [ -z "$bound" ]; }; then
		rf_err "note: $(rf_rel "$bin") explore --dry-run said no protocols or bound that this script reads: the kept shards of $(dir_name "$1") are checked only for being whole"
		protocols="" bound=""
	fi
	check_kept "$1" "$protocols" "$bound"
}

if [ "$new" = 1 ]; then
	# Every refusal comes before the campaign is written. The options
	# are checked by the rmapfuzz that will run them: a refused one
	# writes nothing (found only when a shard ran, it would remove the
	# campaign again).
	[ "$table" = 0 ] || rf_usage_error "--table shows the shards kept, and --new starts a search: none yet"
	check_split "" "$dir" "$shards"
	resolve_bin
	# (DIR may hold shard files already, copied from another machine.)
	shards_of=("$shards") args_of=("${explore_args[*]}")
	if ! check_search 0; then
		refused_options
		rf_usage_error "rmapfuzz explore refused the explore options (above): no campaign written"
	fi
	mkdir -p "$dir"
	{
		echo "# One rmapfuzz explore search kept as shards: ./build.sh explore-shards DIR goes on with it."
		echo "shards $shards"
		echo "explore ${explore_args[*]}"
	} >"$dir/.campaign.tmp"
	mv "$dir/.campaign.tmp" "$dir/campaign"
	echo "$rf_name: $(dir_name 0)/campaign written: $shards shards of rmapfuzz explore ${explore_args[*]}" >&2
fi
# Each DIR's search, read once at the start: its shards (shards_of) and its
# explore options (args_of: the campaign file splits them at blanks, and
# so does start_shard).
shards_of=() args_of=() line_of=()
for k in "${!dirs[@]}"; do
	d=${dirs[k]}
	read_campaign "$d/campaign"
	shards_of[k]=$shards args_of[k]="${explore_args[*]}"
	line_of[k]=$explore_line
	where=""
	[ ${#dirs[@]} = 1 ] || where="$d: "
	check_split "$where" "$d" "$shards"
done
# Before anything runs (a shard, a merge, a table): every DIR's campaign
# options checked by the rmapfuzz that runs them (a bad one in a queue
# would stop it hours in), and its kept shards by what they search.
[ "$new" = 1 ] || resolve_bin
[ -n "$bin" ] || rf_err "note: no rmapfuzz at hand (build/nosan's, or --rmapfuzz): the explore options and the kept shards' search are not checked"
for k in "${!dirs[@]}"; do
	if ! check_search "$k"; then
		refused_options
		campaign_error "${dirs[k]}/campaign:${line_of[k]}: rmapfuzz explore refused its explore options (above)"
	fi
done
# In a queue each progress line names its DIR: its last component, or the
# path as given when two DIRs share one. One DIR's lines name none (as
# they always did).
label_of=("")
if [ ${#dirs[@]} -gt 1 ]; then
	declare -A base_seen=()
	shared=0
	for k in "${!dirs[@]}"; do
		label_of[k]=${real_of[k]##*/}
		[ -z "${base_seen[${label_of[k]}]:-}" ] || shared=1
		base_seen[${label_of[k]}]=1
	done
	if [ "$shared" = 1 ]; then
		for k in "${!dirs[@]}"; do label_of[k]=$(dir_name "$k"); done
	fi
fi
# say K TEXT: a line of DIR K's on stderr, its label first in a queue.
say() { echo "$rf_name: ${label_of[$1]:+${label_of[$1]}: }$2" >&2; }
# dir_heading K: in a queue, the line on stdout before what is printed of
# DIR K (its merge, its table), a blank line between two DIRs'.
dir_heading() {
	[ ${#dirs[@]} -gt 1 ] || return 0
	[ "$1" = 0 ] || echo
	echo "## $(dir_name "$1")"
	echo
}
# The per-result figures of a shard's JSON, a line each:
# "protocol verdict programs states interleavings".
shard_rows() { # FILE
	# The first "programs" of the line is the result's (its levels' come
	# after a "{").
	sed -nE 's/^ *\{"protocol": "([^"]*)", "verdict": "([^"]*)"[^{]*"programs": ([0-9]+), "states": ([0-9]+), "interleavings": ([0-9]+),.*/\1 \2 \3 \4 \5/p' "$1"
}
commas() { echo "$1" | sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta'; }
print_table() { # K: DIR K's kept shards as a markdown table
	echo "| shard | protocol | verdict | programs | states | interleavings | seconds | search code |"
	echo "|---:|---|---|---:|---:|---:|---:|---|"
	# One awk for every file (a shard's JSON: its "search_code" and
	# "seconds" lines come before its result lines), not some processes a
	# shard: a table of thousands of shards in a second.
	# DIR through the environment: awk -v would read its backslashes as escapes.
	kept "$1" | EXPLORE_SHARDS_DIR=${dirs[$1]} awk -v shards="${shards_of[$1]}" '
		function commas(n,   out) {
			out = ""
			while (length(n) > 3) {
				out = "," substr(n, length(n) - 2) out
				n = substr(n, 1, length(n) - 3)
			}
			return n out
		}
		# The value after "key": in s (a number, or a string unquoted).
		function val(s, key,   i) {
			i = index(s, "\"" key "\": ")
			if (!i)
				return ""
			s = substr(s, i + length(key) + 4)
			if (substr(s, 1, 1) == "\"")
				return substr(s, 2, index(substr(s, 2), "\"") - 1)
			sub(/[,}\]].*/, "", s)
			return s
		}
		{
			i = $0
			f = ENVIRON["EXPLORE_SHARDS_DIR"] "/shard-" i "-of-" shards ".json"
			secs = ""; code = ""
			while ((r = (getline line < f)) > 0) {
				if (code == "" && index(line, "\"search_code\": "))
					code = val(line, "search_code")
				if (secs == "" && line ~ /^  "seconds": [0-9.]+,?$/)
					secs = val(line, "seconds")
				# The first "programs" of the line is the result'"'"'s (its
				# levels'"'"' and invariants'"'"' come after it).
				if (line ~ /^ *\{"protocol": "[^"]*", "verdict": "[^"]*"[^{]*"programs": [0-9]+, "states": [0-9]+, "interleavings": [0-9]+,/)
					printf "| %s | %s | %s | %s | %s | %s | %.0f | %s |\n", i, val(line, "protocol"),
						val(line, "verdict"), commas(val(line, "programs")), commas(val(line, "states")),
						commas(val(line, "interleavings")), secs == "" ? 0 : secs,
						code == "" ? "not recorded" : code
			}
			if (r < 0)
				print "explore-shards: " f ": unreadable" > "/dev/stderr"
			close(f)
		}'
}
if [ "$table" = 1 ]; then
	for k in "${!dirs[@]}"; do
		dir_heading "$k"
		print_table "$k"
	done
	exit 0
fi

# The run's temporary directory (its rmapfuzz, the shards' errors), and
# that of a merge in batches: set while they exist.
tmp="" run_bin="" merge_tmp="" merge_failed=0
# merge_traps set|clear: outside a run (--limit 0), a stop during a merge
# in batches removes the batches' merges before it ends the script; in a
# run, stop_all's traps stay, and it removes them.
merge_traps() {
	[ -z "$tmp" ] || return 0
	if [ "$1" = clear ]; then
		trap - INT TERM HUP
		return 0
	fi
	trap 'rm -rf "$merge_tmp"; trap - INT; kill -s INT $$' INT
	trap 'rm -rf "$merge_tmp"; trap - TERM; kill -s TERM $$' TERM
	trap 'rm -rf "$merge_tmp"; trap - HUP; kill -s HUP $$' HUP
}
# The merge of DIR K it would print (its kept shards; nothing else):
# --limit 0, and when its last shard of a run ends. A merge that fails is
# said, and the run goes on (the shards are kept) but exits 1
# (merge_failed). A run's merges are by its copy of rmapfuzz.
#
# A command line holds some 30,000 of these paths (Linux's 2 MB for
# arguments), and a campaign may have up to 1,000,000 shards: past
# EXPLORE_SHARDS_MERGE_BATCH files (default 10,000; the test sets it low)
# each batch is merged to JSON first and the batches' merges merged, which
# is the same result (a merge keeps which shards and which files it holds).
print_merge() { # K
	local k=$1 files=() i
	local d=${dirs[k]} n=${shards_of[k]} nk=${nkept_of[k]} merge_bin=${run_bin:-$bin}
	if [ "$nk" -eq 0 ]; then
		say "$k" "no shard kept yet"
		return 0
	fi
	while read -r i; do files+=("$d/shard-$i-of-$n.json"); done < <(kept "$k")
	say "$k" "the merge of the $nk kept shard(s):"
	local why
	why="rmapfuzz explore --merge $(dir_name "$k")/shard-*-of-$n.json says why"
	local batch=${EXPLORE_SHARDS_MERGE_BATCH:-10000}
	if ! [[ $batch =~ ^[1-9][0-9]{0,6}$ ]]; then
		rf_err "EXPLORE_SHARDS_MERGE_BATCH=$batch: not a count of files (1 to 9999999); 10000 it is"
		batch=10000
	fi
	# And no more paths than fit in EXPLORE_SHARDS_ARG_BYTES (default
	# 1,000,000, half the usual limit, the environment's room left): a
	# long DIR makes each path longer. Each costs its bytes, its NUL and
	# its pointer; the last shard's path is the longest.
	local bytes=${EXPLORE_SHARDS_ARG_BYTES:-1000000}
	if ! [[ $bytes =~ ^[1-9][0-9]{0,8}$ ]]; then
		rf_err "EXPLORE_SHARDS_ARG_BYTES=$bytes: not a count of bytes (1 to 999999999); 1000000 it is"
		bytes=1000000
	fi
	local last=${files[${#files[@]} - 1]} LC_ALL=C	# ${#last} in bytes
	local fit=$((bytes / (${#last} + 9)))
	[ "$fit" -ge 1 ] || fit=1
	[ "$batch" -le "$fit" ] || batch=$fit
	if [ "${#files[@]}" -le "$batch" ]; then
		"$merge_bin" explore --merge "${files[@]}" ||
			{ say "$k" "the merge failed (exit $?): $why"; merge_failed=1; }
		return 0
	fi
	# (The batches' merges are at most 100 at the default batch with a
	# million shards: one merge of them.)
	local parts=() s e nb=$(((${#files[@]} + batch - 1) / batch))
	merge_tmp=$(rf_tmpdir explore-merge) || {
		merge_tmp="" merge_failed=1
		say "$k" "no temporary directory for the merge in batches (TMPDIR=${TMPDIR:-/tmp})"
		return 0
	}
	merge_traps set
	say "$k" "(in $nb batches of at most $batch files, their merges merged)"
	for ((s = 0; s < ${#files[@]}; s += batch)); do
		e=$((s + batch < ${#files[@]} ? s + batch - 1 : ${#files[@]} - 1))
		if ! "$merge_bin" explore --merge --json "${files[@]:s:batch}" >"$merge_tmp/part-$s.json" 2>"$merge_tmp/part-$s.err"; then
			cat "$merge_tmp/part-$s.err" >&2 || true
			say "$k" "the merge of the batch ${files[s]##*/} to ${files[e]##*/} failed: rmapfuzz explore --merge of those files says why"
			merge_failed=1
			rm -rf "$merge_tmp" || true
			merge_tmp=""
			merge_traps clear
			return 0
		fi
		parts+=("$merge_tmp/part-$s.json")
	done
	if "$merge_bin" explore --merge "${parts[@]}"; then
		rm -rf "$merge_tmp" || true
	else
		say "$k" "the merge of the batches' merges failed (exit $?): they are kept in $merge_tmp"
		merge_failed=1
	fi
	merge_tmp=""
	merge_traps clear
}
# The queue: every DIR's shards to run, DIR by DIR, each q_dir[j]'s shard
# q_shard[j]. Per DIR: nkept_of, its shards kept; missing_of, its shards
# still to search on this machine (--part: of its part only), for the
# estimate: each one kept, or whose result appeared, is one fewer.
q_dir=() q_shard=() nkept_of=() missing_of=() ran_of=() spent_of=()
for k in "${!dirs[@]}"; do
	d=${dirs[k]} n=${shards_of[k]} nk=0 nt=0
	for ((i = 0; i < n; i++)); do
		if [ -e "$d/shard-$i-of-$n.json" ]; then
			nk=$((nk + 1))
		elif [ $((i % part_m)) = "$part_k" ]; then
			q_dir+=("$k") q_shard+=("$i")
			nt=$((nt + 1))
		fi
	done
	nkept_of[k]=$nk missing_of[k]=$nt ran_of[k]=0 spent_of[k]=0
done
part_text=""
[ "$part_m" = 1 ] || part_text=" of part $part_k/$part_m (the shards I with I mod $part_m = $part_k)"
# queue_cut N: the queue's first N shards only (--limit, --until). last_of:
# where each DIR's last shard is in it (-1: none); queued_of: how many.
queue_cut() {
	local j k
	q_dir=("${q_dir[@]:0:$1}") q_shard=("${q_shard[@]:0:$1}")
	for k in "${!dirs[@]}"; do last_of[k]=-1 queued_of[k]=0; done
	for j in "${!q_dir[@]}"; do
		k=${q_dir[j]}
		last_of[k]=$j queued_of[k]=$((queued_of[k] + 1))
	done
}
last_of=() queued_of=()
queue_cut "${#q_dir[@]}"
if [ "$limit" = 0 ]; then
	for k in "${!dirs[@]}"; do
		dir_heading "$k"
		echo "$rf_name: $(dir_name "$k"): ${nkept_of[k]} of ${shards_of[k]} shards kept" >&2
		print_merge "$k"
	done
	exit "$merge_failed"
fi
# One run a directory: two would run the same shards. The shards hold it
# too (it is inherited), so that one left running by a killed run is not
# written by a second. A queue takes every DIR's before any shard runs,
# and each shard keeps its own DIR's only (own_lock_only).
lock_fd=()
for k in "${!dirs[@]}"; do
	d=${dirs[k]}
	exec {fd}>>"$d/.explore-shards.lock"
	lock_fd[k]=$fd
	flock -n "$fd" || rf_fail "$d: another explore-shards runs on it, or a shard that a killed run left running holds its lock ($d/.explore-shards.lock)"
done
tmp=$(rf_tmpdir explore-shards)
cp "$bin" "$tmp/rmapfuzz"
run_bin=$tmp/rmapfuzz

[ "$limit" -lt 0 ] || [ "${#q_dir[@]}" -le "$limit" ] || queue_cut "$limit"
# (A --version that fails is no reason to stop: the start line says so.)
version=$("$run_bin" --version) || version="an rmapfuzz whose --version failed"
until_text=""
[ -z "$deadline" ] || until_text="; none started after $(date -d "@$deadline" '+%F %T')"
if [ ${#dirs[@]} = 1 ]; then
	echo "$rf_name: $(dir_name 0): ${nkept_of[0]} of ${shards_of[0]} shards kept; ${#q_dir[@]}$part_text to run now, $jobs at a time, by $version$until_text" >&2
else
	for k in "${!dirs[@]}"; do
		echo "$rf_name: $(dir_name "$k"): ${nkept_of[k]} of ${shards_of[k]} shards kept; ${queued_of[k]}$part_text to run now" >&2
	done
	echo "$rf_name: the queue: ${#q_dir[@]} shard(s) of ${#dirs[@]} DIRs to run now, $jobs at a time, by $version$until_text" >&2
fi

# The running shards, by "K:I" (DIR K's shard I): their pids, their starts.
declare -A pid_of=() t0_of=()
# Without job control (set +m: a SHELLOPTS exported from an interactive
# shell can turn it on here) a background job of this script is no group
# leader, so setsid makes it one without a fork: its pid is its group's.
set +m
new_group=()
if command -v setsid >/dev/null; then new_group=(setsid); fi
# A run that dies by a signal it cannot trap (kill -9) takes its shards
# with it: each is killed when its parent, this shell, dies (Linux's
# parent-death signal), instead of searching on into a file no one will
# rename, holding its DIR's lock. (A --rmapfuzz wrapper that does not exec
# dies so; what it runs is left.)
if command -v setpriv >/dev/null && setpriv --pdeathsig KILL true 2>/dev/null; then
	new_group+=(setpriv --pdeathsig KILL)
fi
failed=0 ran=0 resumed=0
# shellcheck disable=SC2317 # the traps run them
signal_shards() { # SIGNAL: to every running shard's process group
	local i
	for i in "${!pid_of[@]}"; do
		kill -s "$1" -- "-${pid_of[$i]}" 2>/dev/null || kill -s "$1" "${pid_of[$i]}" 2>/dev/null || true
	done
}
# shellcheck disable=SC2317
stop_all() { # SIGNAL [EXIT]: the shards stopped, then end by SIGNAL (or exit EXIT)
	local sig=$1 key k i f rc n=${#pid_of[@]}
	# It ends the run itself: a helper a second Ctrl-C ends (its sleep)
	# must not end it half way, its temporary files left.
	set +e
	# A second stop does not wait for the shards: it kills them.
	trap 'kill_all INT' INT
	trap 'kill_all TERM' TERM
	trap 'kill_all HUP' HUP
	trap '' TSTP PIPE
	signal_shards TERM
	# A suspended shard takes its stop once it runs.
	signal_shards CONT
	for key in "${!pid_of[@]}"; do
		k=${key%%:*} i=${key#*:}
		f="${dirs[k]}/.shard-$i-of-${shards_of[k]}.json.tmp"
		rc=0
		wait "${pid_of[$key]}" 2>/dev/null || rc=$?
		# What a wrapper ran may outlive it a moment, the lock held: a
		# few seconds for the group to go.
		for _ in $(seq 50); do kill -0 -- "-${pid_of[$key]}" 2>/dev/null || break; sleep 0.1; done
		# One that ended whole before the stop reached it is kept.
		if [ "$rc" -eq 0 ] && shard_whole "$f"; then
			keep_shard "$k" "$i"
		else
			rm -f "$f"
		fi
		# Gone: a second stop signals only the shards still here.
		unset "pid_of[$key]"
	done
	echo "$rf_name: stopped by $sig: $n running shard(s) stopped, their partial results thrown away; $ran kept this time" >&2
	[ -z "$merge_tmp" ] || rm -rf "$merge_tmp"
	rm -rf "$tmp"
	trap - INT TERM HUP TSTP PIPE
	[ -z "${2:-}" ] || exit "$2"
	kill -s "$sig" $$
}
# shellcheck disable=SC2317
kill_all() { # SIGNAL: a second stop, during stop_all's wait
	trap '' INT TERM HUP
	echo "$rf_name: stopped again by $1: the running shard(s) killed" >&2
	signal_shards KILL
}
# Ctrl-Z: the shards are in process groups of their own, which the
# terminal's stop does not reach; they stop with the run and go on with it.
# The trap is set only while the run waits for a shard (below): the
# commands it runs meanwhile ignore SIGTSTP, for a Ctrl-Z that stopped one
# of them would leave the run waiting on it, its trap never run. A Ctrl-Z
# in those moments is lost (press it again). The time suspended is left
# out of the shards' times and the estimate (not out of the seconds
# rmapfuzz itself reports).
# shellcheck disable=SC2317
suspend_all() {
	trap '' TSTP
	local ts d i
	ts=$(rf_now)
	signal_shards STOP
	echo "$rf_name: suspended, its ${#pid_of[@]} running shard(s) with it (fg, or kill -CONT $$, to go on)" >&2
	kill -s STOP $$
	signal_shards CONT
	d=$(rf_elapsed "$ts")
	for i in "${!pid_of[@]}"; do
		t0_of[$i]=$(awk -v a="${t0_of[$i]}" -v d="$d" 'BEGIN {printf "%.9f", a + d}')
	done
	echo "$rf_name: going on after $(rf_dur "$d") suspended" >&2
	resumed=1
}
trap 'stop_all INT' INT
trap 'stop_all TERM' TERM
trap 'stop_all HUP' HUP
trap '' TSTP
# A queue prints a DIR's merge while the next DIR's shards run: a reader
# of stdout gone (a pipe into head, less quit) stops the run as a signal
# does, its shards with it, rather than end it and leave them running.
trap 'stop_all PIPE' PIPE

# A shard's output is its result when explore searched every level of the
# bound (end complete or at-violation) and wrote the document to its end.
shard_whole() { # FILE
	grep -q '"results": \[' "$1" && ! grep -q '"end": "interrupted"' "$1" && [ "$(tail -n 1 "$1")" = "}" ]
}
# One more of DIR K's shards kept (by this run or another machine).
count_kept() { # K
	nkept_of[$1]=$((nkept_of[$1] + 1)) missing_of[$1]=$((missing_of[$1] - 1))
}
# DIR K's shard I's output kept as its result; one another machine put
# there meanwhile stays, and this one goes.
keep_shard() { # K I
	local k=$1 i=$2 d=${dirs[$1]} n=${shards_of[$1]}
	if [ -e "$d/shard-$i-of-$n.json" ]; then
		rm -f "$d/.shard-$i-of-$n.json.tmp"
		say "$k" "shard $i/$n: a result appeared in $(dir_name "$k") meanwhile; that one is kept"
		count_kept "$k"
		return 1
	fi
	mv "$d/.shard-$i-of-$n.json.tmp" "$d/shard-$i-of-$n.json"
	ran=$((ran + 1)) ran_of[k]=$((ran_of[k] + 1))
	count_kept "$k"
}

# own_lock_only K: in a shard's process, before it runs, every other DIR's
# lock closed, so that a shard left running (by a wrapper, its run killed) keeps
# only its own DIR from another run.
own_lock_only() {
	local j fd
	for j in "${!lock_fd[@]}"; do
		if [ "$j" != "$1" ]; then
			fd=${lock_fd[j]}
			exec {fd}>&-
		fi
	done
}
start_shard() { # K I
	local k=$1 i=$2 d=${dirs[$1]} n=${shards_of[$1]} args
	if [ -e "$d/shard-$i-of-$n.json" ]; then
		say "$k" "shard $i/$n: a result appeared meanwhile (another machine's?); not run"
		count_kept "$k"
		return
	fi
	read -r -a args <<<"${args_of[k]}"
	# Its own process group (setsid), so that a stop reaches whatever a
	# --rmapfuzz wrapper runs too, not only the wrapper. (The subshell
	# execs: its pid is the shard's.)
	(
		own_lock_only "$k"
		exec "${new_group[@]}" "$run_bin" explore "${args[@]}" --shard "$i/$n" --json
	) >"$d/.shard-$i-of-$n.json.tmp" 2>"$tmp/$k-$i.err" &
	pid_of[$k:$i]=$!
	t0_of[$k:$i]=$(rf_now)
	say "$k" "shard $i/$n started"
}

# queue_eta: in a queue, what the estimate of a DIR's time left adds: the
# shards the queue's DIRs have to go and their time, each DIR's at its
# own shards' mean, or at this run's mean for a DIR none of whose shards
# ended yet.
queue_eta() {
	[ ${#dirs[@]} -gt 1 ] || return 0
	local k
	for k in "${!dirs[@]}"; do echo "${missing_of[k]} ${spent_of[k]} ${ran_of[k]}"; done |
		awk -v j="$jobs" '
			{ n[NR] = $1; s[NR] = $2; r[NR] = $3; S += $2; R += $3; left += $1 }
			END {
				for (i = 1; i <= NR; i++)
					t += n[i] * (r[i] ? s[i] / r[i] : (R ? S / R : 0))
				print left, t / j
			}' | {
		local left eta
		read -r left eta
		echo "; the queue: $left to go, about $(rf_dur "$eta")"
	}
}
# A shard's end: kept when it exited 0 with every level of the bound
# searched (end complete or at-violation), else its error said.
end_shard() { # K:I RC
	local key=$1 rc=$2 k=${1%%:*} i=${1#*:} secs rows
	local d=${dirs[k]} n=${shards_of[k]}
	local f="$d/.shard-$i-of-$n.json.tmp"
	secs=$(rf_elapsed "${t0_of[$key]}")
	unset "pid_of[$key]" "t0_of[$key]"
	if [ "$rc" -eq 0 ] && shard_whole "$f"; then
		keep_shard "$k" "$i" || return 0
		spent_of[k]=$(awk -v a="${spent_of[k]}" -v b="$secs" 'BEGIN {print a + b}')
		rows=$(shard_rows "$d/shard-$i-of-$n.json" | while read -r p v prog st _; do
			echo "$p $v, $(commas "$prog") programs, $(commas "$st") states"
		done | paste -sd ';' - | sed 's/;/; /g')
		local left=${missing_of[k]} eta
		eta=$(awk -v s="${spent_of[k]}" -v k="${ran_of[k]}" -v n="$left" -v j="$jobs" 'BEGIN {print s / k * n / j}')
		say "$k" "shard $i/$n: $rows, $(rf_dur "$secs"); ${nkept_of[k]} of $n kept, $left${part_text:+ of its part} to go (about $(rf_dur "$eta") at $jobs at a time, by this run's shards)$(queue_eta)"
	else
		rm -f "$f"
		failed=1
		say "$k" "shard $i/$n failed (exit $rc after $(rf_dur "$secs")); its error:"
		tail -n 20 "$tmp/$k-$i.err" >&2
		rf_err "no shard starts after a failure"
		if [ "$new" = 1 ] && [ "${nkept_of[k]}" = 0 ] && [ "$rc" = 2 ] && grep -q "rmapfuzz explore --help" "$tmp/$k-$i.err"; then
			# rmapfuzz explore refused the options --new wrote: no search yet.
			rm -f "$d/campaign"
			echo "$rf_name: $d/campaign removed (rmapfuzz explore refused its options): start again with --new" >&2
		fi
	fi
}

# dir_done K: nothing of DIR K runs, and nothing is left to start this
# run (its last shard of the queue started, or a failure starts none).
dir_done() {
	local key
	for key in "${!pid_of[@]}"; do [ "${key%%:*}" != "$1" ] || return 1; done
	[ "$failed" = 1 ] || [ "${last_of[$1]}" -lt "$next" ]
}
# The merges of the DIRs done, in the queue's order: one not done yet
# holds back those after it, so that stdout is one merge a DIR in order.
merged=0
print_done_merges() {
	while [ "$merged" -lt ${#dirs[@]} ] && dir_done "$merged"; do
		# (A write that fails before the PIPE trap runs stops it the same.)
		dir_heading "$merged" || stop_all PIPE
		print_merge "$merged"
		merged=$((merged + 1))
	done
}

next=0
while :; do
	while [ "$failed" = 0 ] && [ "${#pid_of[@]}" -lt "$jobs" ] && [ "$next" -lt "${#q_dir[@]}" ]; do
		if [ -n "$deadline" ] && [ "$(date +%s)" -ge "$deadline" ]; then
			echo "$rf_name: past --until: $((${#q_dir[@]} - next)) shard(s) left for another time" >&2
			queue_cut "$next"
			break
		fi
		start_shard "${q_dir[next]}" "${q_shard[next]}"
		next=$((next + 1))
	done
	# (After the shards started: no core waits for a merge.)
	print_done_merges
	[ "${#pid_of[@]}" -gt 0 ] || break
	# Whichever shard ends first (its pid and status); a signal's trap
	# runs during the wait.
	done_pid="" rc=0 resumed=0
	trap suspend_all TSTP
	wait -n -p done_pid "${pid_of[@]}" || rc=$?
	trap '' TSTP
	# Suspended and continued (suspend_all): no shard's end yet.
	if [ -z "${done_pid:-}" ] && [ "$resumed" = 1 ]; then continue; fi
	if [ -z "${done_pid:-}" ]; then
		# No shard's end to take (a bash without wait -p, or a wait that
		# failed): stop rather than spin.
		rf_err "wait -n -p failed (exit $rc; it needs bash 5.1): stopping"
		stop_all TERM 1
	fi
	for key in "${!pid_of[@]}"; do
		if [ "${pid_of[$key]}" = "$done_pid" ]; then
			end_shard "$key" "$rc"
			break
		fi
	done
done
trap - INT TERM HUP TSTP PIPE
rm -rf "$tmp"
exit $((failed | merge_failed))
}
