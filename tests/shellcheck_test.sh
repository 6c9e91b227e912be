#!/usr/bin/env bash
# No shellcheck finding in build.sh, .ci/run, tools/*.sh and the tests
# of the tools (cli_test.sh is left out: its A && B || C checks are
# deliberate). Skipped (exit 77) without shellcheck.
# Usage: shellcheck_test.sh SOURCE_DIR
set -eu
src=$1
if ! command -v shellcheck >/dev/null; then
	echo "shellcheck is not installed (apt-get install shellcheck): skipped"
	exit 77
fi
cd "$src"
files=(build.sh .ci/run tools/*.sh tests/crashers_test.sh tests/tools_lib.sh tests/*_test.sh)
checked=()
for f in "${files[@]}"; do
	[ "$f" = tests/cli_test.sh ] || checked+=("$f")
done
shellcheck -x -P SCRIPTDIR "${checked[@]}"
echo "shellcheck: ${#checked[@]} files clean"
