#!/bin/bash -eu
# OSS-Fuzz runs this in $SRC/rmapfuzz with its compiler variables set; the
# project's own build.sh writes the sound-protocol targets, their seed
# corpora, .options and dictionary into $OUT.
./build.sh
