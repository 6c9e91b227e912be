#!/bin/bash -eu
# OSS-Fuzz runs this in $SRC/rmapfuzz with its compiler variables set; the
# project's own build.sh writes the sound-protocol targets, their seed
# corpora, .options and dictionary into $OUT.
case ${1:-} in
-h | --help)
	echo "usage: oss-fuzz/build.sh (no arguments)"
	echo "What OSS-Fuzz runs in \$SRC/rmapfuzz: ./build.sh, with its variables."
	exit 0
	;;
esac
./build.sh
