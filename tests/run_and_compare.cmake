# Runs a command and compares a file it wrote with an expected file, byte for byte.
#   cmake -DCOMMAND="a;b;c" -DOUT=file -DEXPECTED=file [-DFIRST="x;y"] -P run_and_compare.cmake
# FIRST is an optional command run before COMMAND (e.g. the recording that EXPECTED is).
foreach(step FIRST COMMAND)
  if(DEFINED ${step})
    execute_process(COMMAND ${${step}} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "${${step}} failed (${rc}):\n${out}${err}")
    endif()
  endif()
endforeach()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${EXPECTED} RESULT_VARIABLE same)
if(NOT same EQUAL 0)
  execute_process(COMMAND diff ${EXPECTED} ${OUT} OUTPUT_VARIABLE d)
  string(SUBSTRING "${d}" 0 3000 d)
  message(FATAL_ERROR "${OUT} differs from ${EXPECTED}:\n${d}")
endif()
message(STATUS "${OUT} is identical to ${EXPECTED}")
