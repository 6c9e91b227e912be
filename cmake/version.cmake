# Writes OUT (version.h): VERSION's number and the commit built, so
# `rmapfuzz --version` names what a report came from, and the search
# code's fingerprint: a hash of the files an exploration's search reads
# (the model, the decoder, the oracle, the explorer), so that
# `rmapfuzz explore --merge` can tell shards searched by other code from
# shards searched alike, whatever the commits between. Run at every build;
# the header is rewritten only when the string changes, so nothing else
# rebuilds.
#   cmake -DSRC=<source dir> -DOUT=<header> -P version.cmake
file(STRINGS "${SRC}/VERSION" number LIMIT_COUNT 1)
execute_process(COMMAND git -C "${SRC}" rev-parse --short HEAD
  OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
    OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT dirty STREQUAL "")
    set(commit "${commit}, with uncommitted changes")
  endif()
endif()
# By content, not by commit: a commit that leaves these files alone
# (docs, tools, the mutator, the CLI) searches alike. Sorted by path.
# By pattern, so that a file split out of one of them later is hashed too:
# the explorer's files but its command line, the oracle's, the decoder's
# and the runner's.
file(GLOB search_files RELATIVE "${SRC}" "${SRC}/core/*.[ch]" "${SRC}/fuzz/explore*.[ch]"
  "${SRC}/fuzz/oracle*.[ch]" "${SRC}/fuzz/program.[ch]" "${SRC}/fuzz/run.[ch]")
list(REMOVE_ITEM search_files "fuzz/explore_cli.c")
list(SORT search_files)
set(sums "")
foreach(f ${search_files})
  file(SHA256 "${SRC}/${f}" sum)
  string(APPEND sums "${f} ${sum}\n")
endforeach()
string(SHA256 search "${sums}")
string(SUBSTRING "${search}" 0 12 search)
set(text "#define RMAPFUZZ_VERSION \"${number} (git ${commit})\"\n#define RMAPFUZZ_SEARCH_CODE \"${search}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
