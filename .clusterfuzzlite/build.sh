#!/bin/bash -eu
# ClusterFuzzLite builds in $SRC/rmapfuzz (the checkout) with OSS-Fuzz's
# variables; the project's build.sh honours them.
./build.sh
