#!/bin/bash -eu
# ClusterFuzzLite builds in $SRC/rmapfuzz (the checkout) with OSS-Fuzz's
# variables; the project's build.sh honours them.
case ${1:-} in
-h | --help)
	echo "usage: .clusterfuzzlite/build.sh (no arguments)"
	echo "What ClusterFuzzLite runs in \$SRC/rmapfuzz: ./build.sh, with its variables."
	exit 0
	;;
esac
./build.sh
