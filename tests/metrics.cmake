# Metrics: the one renderer of STATS as Prometheus text and the in-memory
# meter (unit test), then honyakud's /metrics endpoint and `honyaku stats
# --format prometheus` against real processes, read with Debian's
# Prometheus client parser (python3-prometheus-client).
if(TARGET hnycommon AND TARGET hnysched)
  add_executable(test_metrics ${HNY_TESTS_DIR}/test_metrics.c ${PROJECT_SOURCE_DIR}/daemon/hny_meter.c)
  target_include_directories(test_metrics PRIVATE ${PROJECT_SOURCE_DIR}/daemon)
  target_link_libraries(test_metrics PRIVATE hnycommon hnysched)
  add_test(NAME metrics.render COMMAND test_metrics)
  set_tests_properties(metrics.render PROPERTIES TIMEOUT 30)
endif()

if(TARGET honyakud AND TARGET honyaku)
  foreach(scenario endpoint calls)
    add_test(NAME metrics.${scenario}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_metrics.py
                     $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku> - ${scenario})
    set_tests_properties(metrics.${scenario} PROPERTIES TIMEOUT 60)
  endforeach()
endif()

# With real workers and the DeepL stand-in: deferred, as
# tests/testserver.cmake (hny-testserver) is read after this fragment.
function(hny_metrics_batch_test)
  if(TARGET honyakud AND TARGET honyaku AND TARGET honyaku-worker AND TARGET hny-testserver)
    add_test(NAME metrics.batch
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_metrics.py
                     $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku> $<TARGET_FILE:hny-testserver> batch)
    set_tests_properties(metrics.batch PROPERTIES TIMEOUT 120)
  endif()
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER CALL hny_metrics_batch_test)
else()
  hny_metrics_batch_test()
endif()
