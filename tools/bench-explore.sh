# shellcheck shell=bash disable=SC2154,SC2034 # bench.sh sets what this reads, reads what it sets
# bench.sh's explorer table: rmapfuzz explore's states per second, and the
# time its default bound's table would take. Sourced by bench.sh (not with
# --searches-only); never run.
#
# Per build (ASan+UBSan, what ./build.sh builds; and the unsanitized twin,
# what a long exploration should use):
#   - every row at a small bound, 3 operations, 2 concurrent, 3 pmds, 1 mm,
#     --jobs J: the whole table's wall-clock time;
#   - linux-3.15 at the default bound (5 operations, 3 concurrent, 6 pmds,
#     3 mms), a sample of it: shards I/8000 for I = 0, 1001, ..., 7007
#     (8 of them, spread over the numbering, about 380 programs each), one
#     process each.
# The default bound is too big to run here (docs/explore.md, "The default
# bound's size"): its table is projected from the sample: its seconds less
# what each shard pays before its programs (the set-ups, measured on a
# shard of almost no programs) x 1000 a row (8000 shards / 8), plus that
# once, x the rows, over J cores. Programs differ by orders of magnitude in
# states: 8 shards of 80000 (about 40 programs each) projected half of
# what two shards of 400 (15,288 programs) do, and these 8 agree with
# those within a few per cent (docs/explore.md); the range of the shards'
# own projections is printed beside it. A shard merges fewer states than
# the whole, its visited set being its own (not measured); and at the
# small bound rows have 0.4 to 1.3 times linux-3.15's states.
# Reads: tool, nosan, out, jobs. Writes to $out: explore-*.json. Sets
# explorer_rows ("build|bound|protocols|programs|states|seconds" each),
# explorer_sample (its words) and explorer_projection ("cpu_seconds|
# wall_seconds|rows|cores|cpu_low|cpu_high|setup_seconds": cpu_low and
# cpu_high each shard's own projection, the lightest's and the heaviest's;
# setup_seconds what every shard pays first).

# Run on its own it would act on nothing: it says so instead.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	msg="tools/bench-explore.sh: sourced by bench.sh, never run; ./build.sh bench --help"
	case ${1:-} in -h | --help) echo "$msg" && exit 0 ;; *) echo "$msg" >&2 && exit 2 ;; esac
fi

explore_shards=8000 explore_stride=1001
explorer_sample="shards I/$explore_shards for I = 0, $explore_stride, ..., $((7 * explore_stride))"

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
	programs=0 states=0 secs=0 lo="" hi=""
	for ((k = 0; k < 8; k++)); do
		f="$out/explore-shard-$tag-$k.json"
		"$bin" explore -p linux-3.15 --shard $((k * explore_stride))/$explore_shards --json >"$f" 2>/dev/null ||
			[ -s "$f" ] || rf_fail "rmapfuzz explore failed (the default bound's shard $((k * explore_stride))/$explore_shards, $name)"
		s1=$(explore_json_seconds "$f")
		programs=$((programs + $(explore_json_sum programs "$f"))) states=$((states + $(explore_json_sum states "$f")))
		read -r secs lo hi < <(awk -v a="$secs" -v s="$s1" -v lo="$lo" -v hi="$hi" \
			'BEGIN {if (lo == "" || s < lo) lo = s; if (hi == "" || s > hi) hi = s; print a + s, lo, hi}')
	done
	explorer_rows+=("$name|default bound (5, 3, 6, 3), linux-3.15, 8 shards of $explore_shards|1|$programs|$states|$secs")
	rf_progress "explore, $name: 8 shards of the default bound, ${secs}s"
	[ "$name" = "no sanitizer" ] || continue
	# What every shard pays before its programs: the set-ups of the whole
	# bound, run to number the programs (a shard of almost none: 4 programs,
	# about 4,000 states). A run of the whole bound pays it once.
	f="$out/explore-setups-$tag.json"
	"$bin" explore -p linux-3.15 --shard 999999/1000000 --json >"$f" 2>/dev/null ||
		[ -s "$f" ] || rf_fail "rmapfuzz explore failed (shard 999999/1000000, $name)"
	o=$(explore_json_seconds "$f")
	# "cpu|wall|rows|cores|cpu of the lightest shard alone|of the heaviest|set-ups"
	explorer_projection=$(awk -v s="$secs" -v r="$nrows" -v j="$jobs" -v lo="$lo" -v hi="$hi" -v o="$o" -v N="$explore_shards" '
		function row(t, n) { t = (t - n * o) * N / n + o; return t > o ? t : o }
		BEGIN {printf "%.0f|%.0f|%s|%s|%.0f|%.0f|%s", row(s, 8) * r, row(s, 8) * r / j, r, j, row(lo, 1) * r, row(hi, 1) * r, o}')
done
