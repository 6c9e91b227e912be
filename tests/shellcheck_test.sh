#!/usr/bin/env bash
# No shellcheck finding in build.sh, .ci/run, the OSS-Fuzz and
# ClusterFuzzLite build.sh, tools/*.sh and the tests'
# scripts. ./build.sh test installs shellcheck (or names the package).
# Usage: shellcheck_test.sh SOURCE_DIR
set -eu
src=${1:?usage: tests/shellcheck_test.sh SOURCE_DIR}
if ! command -v shellcheck >/dev/null; then
	echo "FAIL: shellcheck is not installed (apt-get install shellcheck; ./build.sh test installs it as root)" >&2
	exit 1
fi
cd "$src"
checked=(build.sh .ci/run oss-fuzz/build.sh .clusterfuzzlite/build.sh tools/*.sh tests/tools_lib.sh tests/*_test.sh)
shellcheck -x -P SCRIPTDIR "${checked[@]}"
echo "shellcheck: ${#checked[@]} files clean"
