# The backend table (include/honyaku/backends.h) as the one source of what
# a backend type is:
#   backends.traits       rows and worker vtables one to one; the config's
#                         and the worker's defaults and limits are the
#                         table's; README.md's table of types says the same
#   proto.sample_config   packaging/honyaku.conf is exactly what
#                         `honyakud --help-config` prints
# `cmake --build build --target sample-config` rewrites the sample from the
# program. This file is also the script those two run: with cmake -P (then
# CMAKE_SCRIPT_MODE_FILE is set) it compares PROGRAM's output with SAMPLE,
# or writes it there when WRITE is set.
if(NOT CMAKE_SCRIPT_MODE_FILE)
  if(TARGET hnybackend)
    add_executable(test_traits ${HNY_TESTS_DIR}/test_traits.c)
    target_link_libraries(test_traits PRIVATE hnybackend hnycommon)
    add_test(NAME backends.traits COMMAND test_traits ${PROJECT_SOURCE_DIR}/README.md)
    set_tests_properties(backends.traits PROPERTIES TIMEOUT 30)
  endif()
  if(TARGET honyakud)
    set(_hny_sample_args -DPROGRAM=$<TARGET_FILE:honyakud>
        -DSAMPLE=${PROJECT_SOURCE_DIR}/packaging/honyaku.conf)
    add_test(NAME proto.sample_config
             COMMAND ${CMAKE_COMMAND} ${_hny_sample_args} -P ${CMAKE_CURRENT_LIST_FILE})
    set_tests_properties(proto.sample_config PROPERTIES TIMEOUT 30)
    add_custom_target(sample-config
                      COMMAND ${CMAKE_COMMAND} ${_hny_sample_args} -DWRITE=1
                              -P ${CMAKE_CURRENT_LIST_FILE}
                      DEPENDS honyakud VERBATIM)
  endif()
  return()
endif()

cmake_minimum_required(VERSION 3.18...3.28)
execute_process(COMMAND ${PROGRAM} --help-config
                OUTPUT_VARIABLE printed RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} --help-config failed: ${rc}")
endif()
if(WRITE)
  file(WRITE ${SAMPLE} "${printed}")
  message(STATUS "wrote ${SAMPLE}")
  return()
endif()
file(READ ${SAMPLE} shipped)
if(NOT printed STREQUAL shipped)
  # Name the first line that differs (the usual cause: a table edited
  # without regenerating the sample) and keep the output for a diff.
  set(line 1)
  while(TRUE)
    string(FIND "${printed}" "\n" a)
    string(FIND "${shipped}" "\n" b)
    if(a LESS 0 OR NOT a EQUAL b)
      break()
    endif()
    string(SUBSTRING "${printed}" 0 ${a} pa)
    string(SUBSTRING "${shipped}" 0 ${b} sb)
    if(NOT pa STREQUAL sb)
      break()
    endif()
    math(EXPR a "${a} + 1")
    string(SUBSTRING "${printed}" ${a} -1 printed)
    string(SUBSTRING "${shipped}" ${a} -1 shipped)
    math(EXPR line "${line} + 1")
  endwhile()
  set(kept ${CMAKE_CURRENT_BINARY_DIR}/honyaku.conf.printed)
  execute_process(COMMAND ${PROGRAM} --help-config OUTPUT_FILE ${kept})
  message(FATAL_ERROR "${SAMPLE} differs from `honyakud --help-config` from line ${line}"
                      " (see: diff -u ${SAMPLE} ${kept}; regenerate it with"
                      " cmake --build BUILD --target sample-config)")
endif()
