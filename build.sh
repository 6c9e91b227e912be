#!/usr/bin/env bash
# rmapfuzz's one entry point.
#
#   ./build.sh            build everything into build/ (ASan+UBSan)
#   ./build.sh test       build, then run every test through ctest
#
# On a fresh Debian 12 machine it installs what it needs (clang with its
# sanitizer runtimes, cmake, ninja) when run as root, or says which
# packages to install.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build="$here/build"
jobs=$(nproc 2>/dev/null || echo 2)

die() { echo "build.sh: $*" >&2; exit 2; }

usage() {
	cat >&2 <<USAGE
usage: ./build.sh [build|test|help]
  build   compile the model, tools and tests into build/ (the default)
  test    build, then run every test (ctest); non-zero exit on any failure
USAGE
}

# The toolchain: clang 14 with its sanitizer runtimes (Debian's
# libclang-rt-14-dev), cmake and ninja.
ensure_deps() {
	local missing=()
	command -v clang >/dev/null || missing+=(clang)
	command -v cmake >/dev/null || missing+=(cmake)
	command -v ninja >/dev/null || missing+=(ninja-build)
	if command -v clang >/dev/null; then
		local rt
		rt="$(clang --print-resource-dir)/lib/linux/libclang_rt.asan-x86_64.a"
		[ -e "$rt" ] || missing+=(libclang-rt-14-dev)
	fi
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		die "missing: ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
	fi
	echo "build.sh: installing ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

configure() {
	ensure_deps
	if [ ! -f "$build/build.ninja" ]; then
		CC=clang cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
	fi
}

do_build() {
	configure
	cmake --build "$build" -j "$jobs"
}

do_test() {
	do_build
	ctest --test-dir "$build" --output-on-failure -j "$jobs"
}

case "${1:-build}" in
build) do_build ;;
test) do_test ;;
help | -h | --help) usage ;;
*) usage; exit 2 ;;
esac
