# The deepl backend beyond translating: its own unit test against
# hny-testserver (glossary life, setup failures, usage probe, tag handling,
# Retry-After dates), and the whole pipeline against DeepL's own API mock
# with request validation on (../shared/vendor/deepl-mock; needs node and
# npm, and the npm registry once per build directory: exit 77 without them).
# testserver.cmake comes later in the sorted fragments: hny-testserver is
# referenced by name, resolved when the build is generated.
if(TARGET hnybackend AND EXISTS ${HNY_TESTS_DIR}/testserver/hny_testserver.c)
  # ts_harness.c: starting the server, its control API, running a batch
  # to its end (shared with test_backends_api).
  add_executable(test_deepl_api ${HNY_TESTS_DIR}/test_deepl_api.c
                 ${HNY_TESTS_DIR}/ts_harness.c)
  target_link_libraries(test_deepl_api PRIVATE hnybackend)
  add_dependencies(test_deepl_api hny-testserver)
  add_test(NAME deepl_api COMMAND test_deepl_api $<TARGET_FILE:hny-testserver>)
  set_tests_properties(deepl_api PROPERTIES TIMEOUT 60)
endif()

if(TARGET honyakud AND TARGET honyaku-worker AND TARGET honyaku)
  add_test(NAME deepl_mock
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_deepl_mock.py
                   $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>
                   ${HNY_SHARED_DIR}/vendor/deepl-mock ${CMAKE_BINARY_DIR}/deepl-mock-cache)
  set_tests_properties(deepl_mock PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
