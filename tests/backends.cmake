# The deepl, google, libretranslate and openai backends through the real
# dispatch against hny-testserver (contract checks, fault injection).
# testserver.cmake comes later in the sorted fragments: its target is
# referenced here by name, resolved when the build is generated.
if(TARGET hnybackend AND EXISTS ${HNY_TESTS_DIR}/testserver/hny_testserver.c)
  # ts_harness.c: starting the server, its control API, running a batch
  # to its end (shared with test_deepl_api).
  add_executable(test_backends_api ${HNY_TESTS_DIR}/test_backends_api.c
                 ${HNY_TESTS_DIR}/ts_harness.c)
  target_link_libraries(test_backends_api PRIVATE hnybackend)
  add_dependencies(test_backends_api hny-testserver)
  add_test(NAME backends_api
           COMMAND test_backends_api $<TARGET_FILE:hny-testserver>)
  set_tests_properties(backends_api PROPERTIES TIMEOUT 60)
endif()
