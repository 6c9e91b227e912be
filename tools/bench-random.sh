# shellcheck shell=bash disable=SC2154 # bench.sh sets what this reads
# bench.sh --random-protocols N: the explorer judges the fuzzer beyond the
# catalogue. Sourced by bench.sh once its options are read and its search
# functions (search_one, median, progress_lines) are defined; never run.
#
# N random switch combinations no row names (rmapfuzz protocols --random N
# --seed S: linux-3.15 with one to four switches changed). Each is explored
# at the explorer's default bound (or what --explore-args says), its menu
# the 2014 rows' operations and those its switches concern (explore_ops
# below: exec for no_stack_skip; a --ops in --explore-args wins), and fuzzed
# from an empty corpus, --seeds seeds of --cap seconds, both judging the
# same invariant families (--invariants, default walk: the explorer's). They
# agree when the explorer breaks an invariant and the fuzzer finds a
# violation on every seed, or the explorer is clean within its bound and the
# fuzzer silent on every seed.
#
# The explorer stops at a combination's first level that breaks an invariant
# (--stop-at-violation): the verdict and the shortest counterexample are the
# whole bound's. A clean combination needs the whole bound (hours at the
# default one): after --explore-seconds it is stopped (SIGINT) and its
# result is the levels it finished, "clean through L operations".
#
# A combination stopped clean takes the verdict of a search of it kept in
# --kept (results/explore/: the default bound's campaigns) at the same
# bound, menu and invariants: violated where it found a violation, clean
# where it ran every level to its end.
#
# Reads: tool, out, seeds, cap, jobs, json, nrandom, random_seed, families,
# explore_args, explore_seconds, kept. Writes to $out: specs.txt,
# explore/K.json (each explorer's JSON), kept/*.json (the merge of each
# kept search, when one was looked for), explore.txt ("spec verdict
# invariants seconds menu searched kept" a line; searched: the operations
# of the levels finished, "-" when all; kept: kept_search's "SEARCH_CODE,
# SECONDS,OURS,DIR" of the kept search whose verdict it is, else "-"),
# libfuzzer.txt (search_one's lines).

# Run on its own it would act on nothing: it says so instead.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	msg="tools/bench-random.sh: sourced by bench.sh, never run; ./build.sh bench --help"
	case ${1:-} in -h | --help) echo "$msg" && exit 0 ;; *) echo "$msg" >&2 && exit 2 ;; esac
fi

families=${families:-walk}
mapfile -t specs < <("$tool" protocols --random "$nrandom" --seed "$random_seed")
[ "${#specs[@]}" = "$nrandom" ] || rf_fail "rmapfuzz protocols --random $nrandom drew ${#specs[@]}"
printf '%s\n' "${specs[@]}" >"$out/specs.txt"
read -r -a xargs_explore <<<"$explore_args"

# The explorer's menu for SPEC (rmapfuzz explore --ops): the 2014 rows'
# fork, munmap and mremap, and the operations its switches concern, so that
# its verdict is not "clean" for want of the operation the switch changes.
# no_stack_skip changes try_to_unmap on exec's temporary stack: exec, and
# walks of every mapped page started at any step (exec's argument pages
# are mapped by the exec itself). The tlb family judges what a TLB holds:
# access fills it.
explore_ops() { # SPEC
	local ops=fork,munmap,mremap
	case ",${1#*+}," in *,no_stack_skip,*) ops+=,exec,walks ;; esac
	case ",$families," in *,tlb,*) ops+=,access ;; esac
	echo "$ops"
}

# The explorer, one protocol at a time, each with the cores (--jobs; a
# --jobs in --explore-args comes later and wins), unsanitized as
# ./build.sh explore runs it: the same search, 2 to 3 times faster (the
# fuzzer's side is the sanitized target, as in the searches).
echo "bench: building the explorer without sanitizers into $(rf_rel "$rf_nosan") (log: $(rf_rel "$out/nosan-build.log"))" >&2
rf_build_nosan "$out/nosan-build.log" "$jobs" rmapfuzz
explorer="$rf_nosan/rmapfuzz"
# kept_merge: each kept search (a subdirectory of --kept with shard files)
# merged into $out/kept/NAME.json, once, at the first need; what the merge
# warns of (parts of several search codes) or refuses is said.
kept_merged=""
kept_merge() {
	local dir j
	kept_merged=1
	mkdir -p "$out/kept"
	for dir in "$kept"/*/; do
		compgen -G "${dir}shard-*.json" >/dev/null || continue
		j="$out/kept/$(basename "$dir").json"
		if "$explorer" explore --merge "$dir"shard-*.json --json >"$j" 2>"$j.err"; then
			# Its warning (parts of several search codes) in a line:
			# the merge itself says which.
			[ ! -s "$j.err" ] || rf_err "kept search $(rf_rel "$dir"): $(head -n 1 "$j.err" |
				sed -E 's/^rmapfuzz explore: warning: (the parts were searched by [0-9]+ versions of the search code).*/\1 (rmapfuzz explore --merge of its shards says which)/' | cut -c 1-200)"
		else
			rf_err "kept search $(rf_rel "$dir") not merged: $(head -n 1 "$j.err")"
			rm -f "$j"
		fi
		rm -f "$j.err"
	done
}

# kept_search SPEC JSON: "verdict invariants SEARCH_CODE,SECONDS,OURS,DIR"
# of a kept search of SPEC whose verdict is that of the whole bound of the
# explorer's JSON (a violation it found, or clean over every level), or
# nothing. Its merge's bound line is the run's (the menu, the
# invariants, the preemptions; a merge of only some of a split's shards
# says "shard set of N" there) and, for a clean one, its result ran to
# its end ("end": "complete", every level of the bound done). OURS is the
# search code of the explorer's JSON: a kept search by another (or by
# several, "mixed") is named as such. SECONDS: its parts' seconds added
# up (CPU seconds where each part ran one worker, as explore-shards runs
# them). DIR comes last: a campaign's name holds commas. Where several
# match, the first (in name order) is taken, and a disagreeing one is said.
kept_search() {
	local spec=$1 bound max ours j line v invs code secs found=""
	bound=$(sed -nE 's/^  "bound": "(.*)",$/\1/p' "$2" | head -n 1)
	max=$(sed -nE 's/.*"max_ops": ([0-9]+).*/\1/p' "$2" | head -n 1)
	ours=$(sed -nE 's/.*"search_code": "([a-z0-9]+)".*/\1/p' "$2" | head -n 1)
	[ -n "$bound" ] && [ -n "$max" ] || return 0
	for j in "$out"/kept/*.json; do
		[ -e "$j" ] || continue
		[ "$(sed -nE 's/^  "bound": "(.*)",$/\1/p' "$j" | head -n 1)" = "$bound" ] || continue
		line=$(grep -F "{\"protocol\": \"$spec\", " "$j") || continue
		v=$(sed -nE 's/.*"verdict": "([a-z]+)".*/\1/p' <<<"$line")
		# A violation is the bound's wherever a search found it; clean is
		# the bound's only from a search that did every level.
		case $v in
		violated) ;;
		clean)
			if ! grep -qF '"end": "complete"' <<<"$line" || ! grep -qF "\"ops_done\": $max," <<<"$line"; then
				continue
			fi
			;;
		*) continue ;;
		esac
		if [ -n "$found" ]; then
			[ "$v" = "${found%% *}" ] ||
				rf_err "kept searches of $spec disagree: $(rf_rel "$j") is $v; the first one's verdict is taken"
			continue
		fi
		invs=$(grep -oE '"invariant": "[a-z0-9-]+"' <<<"$line" | cut -d'"' -f4 | paste -sd, - || true)
		code=$(sed -nE 's/.*"search_code": "([a-z0-9]+)".*/\1/p' "$j" | head -n 1)
		secs=$(sed -nE 's/.*"seconds": ([0-9.]+).*/\1/p' <<<"$line" | head -n 1)
		found="$v ${invs:--} ${code:-unknown},${secs%.*},${ours:-unknown},$(rf_rel "$kept")/$(basename "$j" .json)"
	done
	[ -z "$found" ] || echo "$found"
}

mkdir -p "$out/explore"
rf_progress_start "$nrandom"
: >"$out/explore.txt"
for ((k = 0; k < nrandom; k++)); do
	spec=${specs[k]} jfile="$out/explore/$k.json"
	t0=$(rf_now)
	verdict=error invs=- menu=$(explore_ops "$spec") searched=-
	limit=()
	# --foreground: the budget's SIGINT goes to the explorer alone, which
	# passes it on to its workers; and a Ctrl-C at the terminal reaches it
	# (timeout would otherwise put it in a process group of its own).
	[ "$explore_seconds" -gt 0 ] && limit=(timeout --foreground --preserve-status -s INT -k 60 "$explore_seconds")
	rc=0
	"${limit[@]}" "$explorer" explore --protocol "$spec" --invariants "$families" --jobs "$jobs" --ops "$menu" \
		--stop-at-violation "${xargs_explore[@]}" --json >"$jfile" 2>"$out/explore/$k.log" || rc=$?
	# 130: stopped by the budget, its result written: the levels it
	# finished ("end": "interrupted"), or all it was to search, its second
	# search cut (its counterexamples' steps not minimized).
	if [ "$rc" = 0 ] || { [ "$rc" = 130 ] && grep -q '"ops_done": ' "$jfile"; }; then
		verdict=$(sed -nE 's/.*"verdict": "([a-z]+)".*/\1/p' "$jfile" | head -n 1)
		invs=$(grep -oE '"invariant": "[a-z0-9-]+"' "$jfile" | cut -d'"' -f4 | paste -sd, - || true)
		menu=$(sed -nE 's/.*"ops": "([a-z,]+)".*/\1/p' "$jfile" | head -n 1)
		if grep -q '"end": "interrupted"' "$jfile"; then
			searched=$(sed -nE 's/.*"ops_done": ([0-9]+).*/\1/p' "$jfile" | head -n 1)
		fi
	fi
	secs=$(rf_elapsed "$t0")
	note="" ks=-
	[ "${searched:--}" = - ] || note=", stopped at ${explore_seconds}s with $searched operations searched"
	if [ "$verdict" = clean ] && [ "${searched:--}" != - ]; then
		[ "$kept" = none ] || [ -n "$kept_merged" ] || kept_merge
		read -r kv kinvs kd < <(kept_search "$spec" "$jfile") || true
		if [ -n "${kv:-}" ]; then
			verdict=$kv invs=${kinvs#-} ks=$kd
			note+="; the whole bound $kv by the kept search ${kd#*,*,*,}"
		fi
		kv="" kinvs="" kd=""
	fi
	echo "$spec ${verdict:-error} ${invs:--} $secs ${menu:--} ${searched:--} $ks" >>"$out/explore.txt"
	# The time first: the kept search's is not this run's.
	rf_progress "explore $spec: ${verdict:-error}${invs:+ ($invs)} in ${secs}s$note"
done
bound=$(cat "$out"/explore/*.json 2>/dev/null | sed -nE 's/^  "bound": "(.*)",$/\1/p' | head -n 1)
bound=$(sed -E 's/; menu [^;]*(; walks [^;]*)?;/; menu per row;/' <<<"$bound")
[ -n "$bound" ] || rf_fail "the explorer failed: $(tail -n 3 "$out/explore/0.log")"

# The fuzzer: every protocol's seeds, --jobs at a time.
rf_progress_start $((nrandom * seeds))
for spec in "${specs[@]}"; do for ((s = 1; s <= seeds; s++)); do echo "$spec:$families $s"; done; done |
	xargs -P "$jobs" -L 1 bash -c 'search_one "$@"' _ | progress_lines libFuzzer >"$out/libfuzzer.txt"

# A row per protocol: "spec|verdict|invs|esecs|found|lower|wall|search|
# finvs|agree|menu|searched|kept".
# agree: yes; so-far (the explorer clean through the levels it finished
# in its time, the fuzzer silent: counted as agreeing, said apart);
# missed (the explorer broke an invariant, the fuzzer missed it on some
# seeds); beyond (the explorer clean within its bound and menu, the
# fuzzer found one: what the bound leaves out, or a wrong verdict of
# ours); unsearched (the explorer clean through the levels it finished,
# the fuzzer found one: the levels left may hold it); noclaim (no level
# finished); error (the explorer failed).
rows=() agreed=0 buggy_n=0 buggy_all=0
for spec in "${specs[@]}"; do
	read -r _ verdict invs esecs menu searched ks < <(awk -v p="$spec" '$1 == p' "$out/explore.txt")
	# A kept search's verdict is the whole bound's.
	whole=$searched
	[ "${ks:--}" = - ] || whole=-
	lf=$(awk -v p="$spec:$families" '$1 == p' "$out/libfuzzer.txt")
	found=$(awk '$3 == "found"' <<<"$lf" | wc -l)
	wall=$(median 4 <<<"$lf") search=$(median 5 <<<"$lf")
	finvs=$(awk '$3 == "found" {print $7}' <<<"$lf" | sort -u | paste -sd, -)
	lower=""
	[ $((2 * found)) -le "$seeds" ] && lower=">"
	agree=error
	if [ "$verdict" = violated ]; then
		buggy_n=$((buggy_n + 1))
		agree=missed
		[ "$found" = "$seeds" ] && agree=yes buggy_all=$((buggy_all + 1))
	elif [ "$verdict" = clean ] && [ "$whole" = 0 ]; then
		agree=noclaim
	elif [ "$verdict" = clean ] && [ "$whole" != - ]; then
		agree=unsearched
		[ "$found" = 0 ] && agree=so-far
	elif [ "$verdict" = clean ]; then
		agree=beyond
		[ "$found" = 0 ] && agree=yes
	fi
	case $agree in yes | so-far) agreed=$((agreed + 1)) ;; esac
	rows+=("$spec|$verdict|$invs|$esecs|$found|$lower|$wall|$search|${finvs:--}|$agree|$menu|$searched|${ks:--}")
done

if [ "$json" = 1 ]; then
	printf '{\n  "version": %s,\n  "cores": %s,\n  "results_dir": %s,' "$(rf_json_str "$(rf_version)")" \
		"$(nproc 2>/dev/null || echo null)" "$(rf_json_str "$out")"
	printf '\n  "random_protocols": {"n": %s, "draw_seed": %s, "invariants": %s, "explore_bound": %s, "explore_args": %s, "explore_seconds": %s,' \
		"$nrandom" "$random_seed" "$(rf_json_str "$families")" "$(rf_json_str "$bound")" "$(rf_json_str "$explore_args")" "$explore_seconds"
	printf '\n    "seeds": %s, "cap_seconds": %s, "agree": %s, "explorer_buggy": %s, "buggy_found_on_every_seed": %s,' \
		"$seeds" "$cap" "$agreed" "$buggy_n" "$buggy_all"
	printf '\n    "protocols": ['
	sep=""
	for row in "${rows[@]}"; do
		IFS='|' read -r spec verdict invs esecs found lower wall search finvs agree menu searched ks <<<"$row"
		ok=true dis=null kj=null
		if [ "$ks" != - ]; then
			IFS=, read -r kc ksecs kours kd <<<"$ks"
			kj="{\"dir\": $(rf_json_str "$kd"), \"search_code\": $(rf_json_str "$kc"), \"this_search_code\": $(rf_json_str "$kours"), \"seconds\": $ksecs}"
		fi
		case $agree in yes | so-far) ;; *) ok=false dis=$(rf_json_str "$agree") ;; esac
		printf '%s\n      {"protocol": %s, "agree": %s, "disagreement": %s,' "$sep" "$(rf_json_str "$spec")" "$ok" "$dis"
		printf '\n       "explorer": {"verdict": %s, "invariants": [%s], "seconds": %s, "menu": %s, "stopped_after_ops": %s, "kept_search": %s},' "$(rf_json_str "$verdict")" \
			"$(tr ',' '\n' <<<"${invs#-}" | sed '/^$/d; s/.*/"&"/' | paste -sd, - | sed 's/,/, /g')" "$(rf_json_num "$esecs")" \
			"$(rf_json_str "$menu")" "$([ "$searched" = - ] && echo null || echo "$searched")" "$kj"
		printf '\n       "fuzzer": {"found_on_seeds": %s, "median_wall_seconds": %s, "median_search_seconds": %s, "medians_are_the_cap": %s, "invariants": [%s]}}' \
			"$found" "$(rf_json_num "$wall")" "$(rf_json_num "$search")" "$([ -n "$lower" ] && echo true || echo false)" \
			"$(tr ',' '\n' <<<"${finvs#-}" | sed '/^$/d; s/.*/"&"/' | paste -sd, - | sed 's/,/, /g')"
		sep=","
	done
	printf '\n    ]}\n}\n'
	return 0
fi

echo "## The explorer against the fuzzer: $nrandom random protocols"
echo
echo "Drawn by \`rmapfuzz protocols --random $nrandom --seed $random_seed\` (linux-3.15 with one to four"
echo "switches changed; none a row's). Explorer: \`rmapfuzz explore --stop-at-violation${explore_args:+ $explore_args}\`, bound: $bound,"
echo "each stopped at its first level that breaks an invariant$([ "$explore_seconds" -gt 0 ] && echo " or after ${explore_seconds}s (then \"clean through L operations\": the levels it finished)");"
echo "its menu (\`--ops\`) the 2014 rows' fork, munmap, mremap and what the row's switches concern (exec and"
echo "walks of every mapped page for no_stack_skip, access for the tlb family)."
echo "Fuzzer: $seeds seeds of at most ${cap}s each from an empty corpus; both judge the invariants of"
echo "\`$families\`. *wall* is the median over the seeds, a silent one counting as the cap (\">\": silent on"
echo "half the seeds or more). *agree*: the explorer broke an invariant and the fuzzer found a violation"
echo "on every seed, or the explorer was clean within its bound and the fuzzer silent on every seed."
[ "$kept" = none ] || echo "A combination the explorer was stopped on, clean, takes the verdict of a search of it kept in" \
	"\`$(rf_rel "$kept")/\` at the same bound, menu and invariants where there is one: violated where it found a" \
	"violation, clean where it searched every level."
echo
echo "| protocol | explorer's menu | explorer | explorer s | fuzzer found | wall s | search s | fuzzer's invariants | agree |"
echo "|---|---|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
	IFS='|' read -r spec verdict invs esecs found lower wall search finvs agree menu searched ks <<<"$row"
	v=$verdict
	[ "$verdict" = violated ] && v="violated: ${invs//,/, }"
	[ "$verdict" = clean ] && v="clean within the bound"
	[ "$verdict" = clean ] && [ "$searched" != - ] && v="clean through $searched operations (stopped at ${explore_seconds}s)"
	[ "$verdict" = clean ] && [ "$searched" = 0 ] && v="no level finished in ${explore_seconds}s: no claim"
	if [ "$ks" != - ]; then
		IFS=, read -r kc ksecs kours kd <<<"$ks"
		[ "$kc" = "$kours" ] || kc+=", this explorer's $kours"
		v="${v%% (stopped*}"
		[ "$verdict" = clean ] && v="clean within the bound"
		v+=" (the kept search \`$kd/\`, search code $kc, $ksecs s; this run stopped at ${explore_seconds}s)"
	fi
	case $agree in
	so-far) agree="yes, so far (the levels it finished)" ;;
	unsearched) agree="no: the fuzzer found one; the explorer searched $searched operations only" ;;
	noclaim) agree="no claim: the explorer finished no level" ;;
	missed) agree="no: the fuzzer missed it on $((seeds - found)) seeds" ;;
	beyond) agree="no: the fuzzer found what the explorer's bound leaves out" ;;
	error) agree="no: the explorer failed (explore/*.log)" ;;
	esac
	echo "| \`$spec\` | ${menu//,/, } | $v | $esecs | $found/$seeds | $lower$wall | $lower$search | ${finvs//,/, } | $agree |"
done
echo
echo "Agree on $agreed of $nrandom; the explorer found $buggy_n buggy, the fuzzer found $buggy_all of them on" \
	"$seeds of $seeds seeds."
