#!/usr/bin/env bash
# The explorer's results kept in the tree say what their files say. For
# every search kept as shards (results/explore/*/campaign):
# - the directory holds its campaign and shard-I-of-N.json files only, each
#   with I < N, N the campaign's, and each file is the shard its name says,
#   of the campaign's protocol and bound;
# - rmapfuzz explore --merge of them reads clean: "clean within the bound"
#   with all N, "clean in K of N shards" with fewer (a search kept here
#   that breaks an invariant would need its own line in the README first);
# - results/explore/README.md's summary row of the search gives the
#   merge's shards, programs and states (and, with all N, its interleavings
#   and CPU hours), and the search's table of shards is what
#   `tools/explore-shards.sh DIR --table` prints of them.
# Only the files git tracks are read (all of them in a clean clone): a
# campaign running in a working tree writes shards before they and the
# README's rows are committed together.
# Usage: results_test.sh BUILD_DIR SOURCE_DIR
build=$1
src=$2
# shellcheck source=tools_lib.sh
. "$(dirname "$0")/tools_lib.sh"
cd "$src" || exit 2
readme=results/explore/README.md
rmapfuzz=$build/rmapfuzz

# The files of DIR the test reads: git's, or every file without git.
tracked() {
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -- "$1" | sed "s|^$1/||"
	else
		(cd "$1" && find . -type f ! -name '.*' | sed 's|^\./||')
	fi
}
commas() { echo "$1" | sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta'; }

searches=0
for campaign in results/explore/*/campaign; do
	[ -e "$campaign" ] || continue
	d=$(dirname "$campaign")
	name=$(basename "$d")
	searches=$((searches + 1))
	n=$(sed -nE 's/^shards ([0-9]+)$/\1/p' "$campaign")
	protocol=$(sed -nE 's/^explore .*-p ([^ ]+).*$/\1/p' "$campaign")
	if [ -z "$n" ] || [ -z "$protocol" ]; then
		fail "$campaign: no 'shards N' or 'explore ... -p P' line"
		continue
	fi

	# A copy of the tracked files, so that --table and the merge read them alone.
	copy=$tmp/$name
	mkdir -p "$copy"
	cp "$campaign" "$copy/campaign"
	kept=0 bad=0
	while IFS= read -r f; do
		[ "$f" = campaign ] && continue
		if ! [[ $f =~ ^shard-([0-9]+)-of-([0-9]+)\.json$ ]]; then
			fail "$d/$f: not a shard's name (shard-I-of-$n.json)"; bad=1; continue
		fi
		i=${BASH_REMATCH[1]}
		if [ "${BASH_REMATCH[2]}" != "$n" ] || [ "$i" -ge "$n" ]; then
			fail "$d/$f: not one of the campaign's $n shards"; bad=1; continue
		fi
		head=$(head -c 4096 "$d/$f")
		if [[ $head == *"\"shard\": $i, \"shards\": $n,"* ]] &&
			[[ $head == *"\"protocol\": \"$protocol\","* ]]; then
			pass
		else
			fail "$d/$f: not shard $i/$n of $protocol"; bad=1
		fi
		cp "$d/$f" "$copy/$f"
		kept=$((kept + 1))
	done < <(tracked "$d")
	[ "$kept" -gt 0 ] || { fail "$d: no shard kept"; continue; }
	[ "$bad" = 0 ] || continue

	# The merge, and its row of the protocol.
	if "$rmapfuzz" explore --merge "$copy"/shard-*.json >"$tmp/merge" 2>"$tmp/merge.err"; then
		pass
	else
		fail "$d: rmapfuzz explore --merge: exit $? ($(head -n 3 "$tmp/merge.err"))"; continue
	fi
	row=$(grep "^| $protocol | " "$tmp/merge")
	IFS='|' read -r _ _ verdict _ _ prog st il secs _ <<<"$row"
	verdict=$(echo "$verdict" | sed 's/^ *//; s/ *$//')
	prog=${prog// /} st=${st// /} il=${il// /} secs=${secs// /}
	if [ "$kept" = "$n" ]; then
		same "$d: the merge's verdict" "clean within the bound" "$verdict"
		result="clean within the bound" shards="$kept of $n"
		hours=$(awk -v s="$secs" 'BEGIN { printf "%.1f", s / 3600 }')
		want="| \`$name/\` | $shards | $result | $(commas "$prog") | $(commas "$st") | $(commas "$il") | $hours |"
	else
		case $verdict in
		"clean in $kept of $n shards "*) pass ;;
		*) fail "$d: the merge's verdict: '$verdict', expected clean in $kept of $n shards" ;;
		esac
		want="| \`$name/\` | $kept of $n, under way | clean so far | $(commas "$prog") | $(commas "$st") | | |"
	fi
	contains "$readme: the summary row of $name" "$readme" "$want"

	# The search's table: from the first '| shard | protocol |' line after
	# its section's heading to the table's end.
	awk -v h="## \`$name/\`" '
		index($0, h) == 1 { in_section = 1; next }
		in_section && /^## / { exit }
		in_section && /^\| shard \| protocol \|/ { in_table = 1 }
		in_table && !/^\|/ { exit }
		in_table { print }' "$readme" >"$tmp/table.readme"
	if tools/explore-shards.sh "$copy" --rmapfuzz "$rmapfuzz" --table >"$tmp/table.data" 2>"$tmp/table.err"; then
		if cmp -s "$tmp/table.data" "$tmp/table.readme"; then
			pass
		else
			fail "$readme: the table of $name is not its shards' (tools/explore-shards.sh $d --table):"
			diff "$tmp/table.readme" "$tmp/table.data" | head -n 10 | sed 's/^/    /' >&2
		fi
	else
		fail "tools/explore-shards.sh $d --table: $(head -n 3 "$tmp/table.err")"
	fi
done
# A summary row for every search, and none for a search the tree lacks.
# shellcheck disable=SC2016 # the backquotes are markdown's
while read -r name; do
	if [ -e "results/explore/$name/campaign" ]; then pass; else fail "$readme has a row for $name/, which is not kept"; fi
done < <(sed -nE 's/^\| `([^`/]+)\/` \|.*/\1/p' "$readme")
[ "$searches" -gt 0 ] || fail "no search kept in results/explore"
finish
