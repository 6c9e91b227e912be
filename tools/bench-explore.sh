# shellcheck shell=bash disable=SC2154,SC2034 # bench.sh sets what this reads, reads what it sets
# bench.sh's explorer table: rmapfuzz explore's states per second, and the
# time its default bound's table would take. Sourced by bench.sh (not with
# --searches-only); never run.
#
# Per build (ASan+UBSan, what ./build.sh builds; and the unsanitized twin,
# what a long exploration should use):
#   - every row at a small bound, 3 operations, 2 concurrent, 3 pmds, 1 mm,
#     --jobs J: the whole table's wall-clock time;
#   - linux-3.15's shard 0/20000 of the default bound (5 operations, 3
#     concurrent, 6 pmds, 3 mms), one process: its states and seconds.
# The default bound is too big to run here (docs/explore.md, Figures): its
# table is projected from that shard, seconds x 20000 per row, x the rows,
# over J cores: rough, as a shard merges fewer states than the whole (its
# visited set is its own) and rows differ (the list-indexed rows have many
# times linux-3.15's states).
#
# Reads: tool, nosan, out, jobs. Writes to $out: explore-*.json. Sets
# explorer_rows ("build|bound|protocols|programs|states|seconds" each) and
# explorer_projection ("cpu_seconds|wall_seconds|rows|cores").

explore_json_sum() { # FIELD FILE -> the sum of FIELD over the results
	grep -oE "\"$1\": [0-9]+" "$2" | awk '{s += $2} END {print s + 0}'
}
explore_json_seconds() { # FILE -> the run's top-level seconds
	sed -nE 's/^  "seconds": ([0-9.]+),?$/\1/p' "$1" | head -n 1
}

nrows=$("$tool" protocols --tsv | tail -n +2 | wc -l)
rf_progress_start 4
for variant in "ASan+UBSan:$tool" "no sanitizer:$nosan/rmapfuzz"; do
	name=${variant%%:*} bin=${variant#*:}
	tag=$(tr -c 'a-z\n' - <<<"${name,,}")
	f="$out/explore-small-$tag.json"
	"$bin" explore --all --max-ops 3 --max-conc 2 --max-pmds 3 --max-mms 1 --jobs "$jobs" --json >"$f" 2>/dev/null ||
		[ -s "$f" ] || rf_fail "rmapfuzz explore failed (the small bound, $name)"
	explorer_rows+=("$name|3 operations, 2 concurrent, 3 pmds, 1 mm, every row, --jobs $jobs|$nrows|$(explore_json_sum programs "$f")|$(explore_json_sum states "$f")|$(explore_json_seconds "$f")")
	rf_progress "explore, $name: every row at a small bound, $(explore_json_seconds "$f")s"
	f="$out/explore-shard-$tag.json"
	"$bin" explore -p linux-3.15 --shard 0/20000 --json >"$f" 2>/dev/null ||
		[ -s "$f" ] || rf_fail "rmapfuzz explore failed (the default bound's shard, $name)"
	secs=$(explore_json_seconds "$f")
	explorer_rows+=("$name|default bound (5, 3, 6, 3), linux-3.15, shard 0/20000|1|$(explore_json_sum programs "$f")|$(explore_json_sum states "$f")|$secs")
	rf_progress "explore, $name: the default bound's shard 0/20000, ${secs}s"
	[ "$name" = "no sanitizer" ] &&
		explorer_projection="$(awk -v s="$secs" -v r="$nrows" -v j="$jobs" 'BEGIN {printf "%.0f|%.0f", s * 20000 * r, s * 20000 * r / j}')|$nrows|$jobs"
done
