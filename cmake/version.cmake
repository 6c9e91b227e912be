# Writes OUT (version.h): VERSION's number and the commit built, so
# `rmapfuzz --version` names what a report came from. Run at every build;
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
set(text "#define RMAPFUZZ_VERSION \"${number} (git ${commit})\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
