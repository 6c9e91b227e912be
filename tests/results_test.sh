#!/usr/bin/env bash
# The explorer's results kept in the tree say what their files say. For
# every search kept as shards (results/explore/*/campaign):
# - the directory holds its campaign and shard-I-of-N.json files only, each
#   with I < N, N the campaign's, and each file is the shard its name says,
#   of the campaign's bound and protocol: its bound and result lines are
#   those rmapfuzz explore writes for the campaign's options (a run of one
#   program, shard 0 of 1000000, says them);
# - rmapfuzz explore --merge of them reads clean: "clean within the bound"
#   with all N, "clean in K of N shards" with fewer (a search kept here
#   that breaks an invariant would need its own row in the README first);
# - results/explore/README.md has one summary row of the search, and it
#   gives the merge's shards, programs and states (and, with all N, its
#   interleavings and CPU hours); the search's table of shards is what
#   `tools/explore-shards.sh DIR --table` prints of them;
# - a search queued, its campaign written and no shard kept yet, has the
#   row "0 of N, queued" with no figures, and its section no table.
# What git's index holds is read (a clean clone's files): a campaign
# running in a working tree writes shards, and a shard removed to be
# searched again leaves a gap, before the files and the README's rows are
# committed together. Without git, the files as they are.
# Usage: results_test.sh BUILD_DIR SOURCE_DIR
build=${1:?usage: tests/results_test.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: tests/results_test.sh BUILD_DIR SOURCE_DIR}
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"
cd "$src" || exit 2
rmapfuzz=$build/rmapfuzz

# A snapshot of results/explore in $tmp/results: git's index, or the files.
snap=$tmp/results
mkdir -p "$snap"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	while IFS= read -r path; do
		mkdir -p "$snap/$(dirname "${path#results/explore/}")"
		git show ":$path" >"$snap/${path#results/explore/}"
	done < <(git ls-files -- results/explore)
else
	cp -R results/explore/. "$snap/"
fi
readme=$snap/README.md
[ -e "$readme" ] || { fail "results/explore/README.md is missing"; finish; exit; }

# The campaign file's "shards N" and "explore OPTIONS..." (as
# explore-shards reads it).
read_campaign() { # FILE: sets n and args
	local line key rest
	n="" args=()
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		read -r key rest <<<"$line" || true
		case $key in
		shards) [[ $rest =~ ^[0-9]+$ ]] && n=$((10#$rest)) ;;
		explore) read -r -a args <<<"$rest" ;;
		esac
	done <"$1"
	[ -n "$n" ] && [ "${#args[@]}" -gt 0 ]
}
# A JSON document's bound without its shard, its "max_ops" line without
# its shard, and its results' protocols: what every shard of one search shares.
search_of() { # FILE
	sed -nE 's/^  "bound": "(.*); shard [0-9]+\/[0-9]+",$/bound \1/p' "$1"
	sed -nE 's/^  ("max_ops": .*), "shard": [0-9]+, "shards": [0-9]+(.*)$/header \1\2/p' "$1"
	sed -nE 's/^    \{"protocol": "([^"]*)".*/protocol \1/p' "$1"
}

# summary_row NAME WANT: the README has one summary row of NAME, WANT.
summary_row() {
	awk -v row="| \`$1/\` |" 'index($0, row) == 1' "$readme" >"$tmp/rows"
	same "results/explore/README.md: summary rows of $1" 1 "$(wc -l <"$tmp/rows")"
	same "results/explore/README.md: the summary row of $1" "$2" "$(head -n 1 "$tmp/rows")"
}
# section_table NAME: the search's table in the README: from the first
# '| shard | protocol |' line after its section's heading to the table's
# end (nothing without one).
section_table() {
	awk -v h="## \`$1/\`" '
		index($0, h) == 1 { in_section = 1; next }
		in_section && /^## / { exit }
		in_section && /^\| shard \| protocol \|/ { in_table = 1 }
		in_table && !/^\|/ { exit }
		in_table { print }' "$readme"
}

searches=0
for campaign in "$snap"/*/campaign; do
	[ -e "$campaign" ] || continue
	d=$(dirname "$campaign")
	name=$(basename "$d")
	where=results/explore/$name
	searches=$((searches + 1))
	if ! read_campaign "$campaign"; then
		fail "$where/campaign: no 'shards N' or 'explore OPTIONS...' line"
		continue
	fi

	# What a shard of this search says of its search.
	timeout -s INT 60 "$rmapfuzz" explore "${args[@]}" --shard 0/1000000 --json >"$tmp/ref.json" 2>"$tmp/ref.err"
	search_of "$tmp/ref.json" >"$tmp/ref.search"
	if ! grep -q '^bound ' "$tmp/ref.search" || ! grep -q '^protocol ' "$tmp/ref.search"; then
		fail "$where/campaign: rmapfuzz explore ${args[*]} --shard 0/1000000 --json wrote no bound or result: $(head -n 3 "$tmp/ref.err")"
		continue
	fi
	protocols=$(sed -n 's/^protocol //p' "$tmp/ref.search")
	if [ "$(echo "$protocols" | wc -l)" != 1 ]; then
		fail "$where: a search of several protocols ($protocols): its summary row would hold one's figures"
		continue
	fi

	kept=0 bad=0
	for f in "$d"/*; do
		b=$(basename "$f")
		[ "$b" = campaign ] && continue
		if ! [[ $b =~ ^shard-([0-9]+)-of-([0-9]+)\.json$ ]]; then
			fail "$where/$b: not a shard's name (shard-I-of-$n.json)"; bad=1; continue
		fi
		i=$((10#${BASH_REMATCH[1]}))
		if [ "${BASH_REMATCH[2]}" != "$n" ] || [ "$i" -ge "$n" ]; then
			fail "$where/$b: not one of the campaign's $n shards"; bad=1; continue
		fi
		if ! grep -q "^  \"bound\": \".*; shard $i/$n\",\$" "$f" ||
			! grep -q "^  \"max_ops\": .*, \"shard\": $i, \"shards\": $n," "$f"; then
			fail "$where/$b: not shard $i/$n (its bound line or \"max_ops\" line says another)"; bad=1; continue
		fi
		search_of "$f" >"$tmp/shard.search"
		if cmp -s "$tmp/ref.search" "$tmp/shard.search"; then
			pass
		else
			fail "$where/$b: not a shard of the campaign's search (explore ${args[*]}):"
			diff "$tmp/ref.search" "$tmp/shard.search" | head -n 6 | sed 's/^/    /' >&2
			bad=1
		fi
		kept=$((kept + 1))
	done
	[ "$bad" = 0 ] || continue
	if [ "$kept" = 0 ]; then
		summary_row "$name" "| \`$name/\` | 0 of $n, queued | not searched yet | | | | |"
		same "results/explore/README.md: $name (queued) has a section" \
			1 "$(awk -v h="## \`$name/\`" 'index($0, h) == 1' "$readme" | wc -l)"
		same "results/explore/README.md: $name (queued) has no table" "" "$(section_table "$name")"
		continue
	fi

	# The merge, and its row of the protocol.
	if "$rmapfuzz" explore --merge "$d"/shard-*.json >"$tmp/merge" 2>"$tmp/merge.err"; then
		pass
	else
		fail "$where: rmapfuzz explore --merge: exit $? ($(head -n 3 "$tmp/merge.err"))"; continue
	fi
	row=$(grep -F "| $protocols | " "$tmp/merge" | head -n 1)
	IFS='|' read -r _ _ verdict _ _ prog st il secs _ <<<"$row"
	verdict=$(echo "$verdict" | sed 's/^ *//; s/ *$//')
	prog=${prog// /} st=${st// /} il=${il// /} secs=${secs// /}
	if [ "$kept" = "$n" ]; then
		same "$where: the merge's verdict" "clean within the bound" "$verdict"
		hours=$(LC_ALL=C awk -v s="$secs" 'BEGIN { printf "%.1f", s / 3600 }')
		want="| \`$name/\` | $kept of $n | clean within the bound | $(commas "$prog") | $(commas "$st") | $(commas "$il") | $hours |"
	else
		case $verdict in
		"clean in $kept of $n shards "*) pass ;;
		*) fail "$where: the merge's verdict: '$verdict', expected clean in $kept of $n shards" ;;
		esac
		want="| \`$name/\` | $kept of $n, under way | clean so far | $(commas "$prog") | $(commas "$st") | | |"
	fi
	summary_row "$name" "$want"

	section_table "$name" >"$tmp/table.readme"
	if tools/explore-shards.sh "$d" --rmapfuzz "$rmapfuzz" --table >"$tmp/table.data" 2>"$tmp/table.err"; then
		if cmp -s "$tmp/table.data" "$tmp/table.readme"; then
			pass
		else
			fail "results/explore/README.md: the table of $name is not its shards' (tools/explore-shards.sh $where --table):"
			diff "$tmp/table.readme" "$tmp/table.data" | head -n 10 | sed 's/^/    /' >&2
		fi
	else
		fail "tools/explore-shards.sh $where --table: $(head -n 3 "$tmp/table.err")"
	fi
done
# No summary row for a search the tree lacks.
# shellcheck disable=SC2016 # the backquotes are markdown's
while read -r name; do
	if [ -e "$snap/$name/campaign" ]; then pass; else fail "results/explore/README.md has a row for $name/, which is not kept"; fi
done < <(sed -nE 's/^\| `([^`/]+)\/` \|.*/\1/p' "$readme")
[ "$searches" -gt 0 ] || fail "no search kept in results/explore"
finish
