# Tests of the protocol codec and the configuration (proto/).
if(TARGET hnycommon)
  add_executable(test_proto ${HNY_TESTS_DIR}/test_proto.c)
  target_link_libraries(test_proto PRIVATE hnycommon)
  add_test(NAME proto.codec COMMAND test_proto)
  set_tests_properties(proto.codec PROPERTIES TIMEOUT 30)

  # test_util: the capped string buffer (hny_buf_t) of honyaku/util.h
  add_executable(test_util ${HNY_TESTS_DIR}/test_util.c)
  target_link_libraries(test_util PRIVATE hnycommon)
  add_test(NAME proto.util COMMAND test_util)
  set_tests_properties(proto.util PROPERTIES TIMEOUT 30)

  # test_json: cJSON under the protocol's rules (proto/hny_json.h): what
  # cJSON alone accepts and the protocol refuses, integers past 2^53, and
  # the writers byte for byte against jansson's json_dumps
  add_executable(test_json ${HNY_TESTS_DIR}/test_json.c)
  target_link_libraries(test_json PRIVATE hnyjson)
  add_test(NAME proto.json COMMAND test_json)
  set_tests_properties(proto.json PROPERTIES TIMEOUT 30)

  # test_inline: the reader of the inline form (honyaku/inline.h) that the
  # worker's markup and the client's exports share
  add_executable(test_inline ${HNY_TESTS_DIR}/test_inline.c)
  target_link_libraries(test_inline PRIVATE hnycommon)
  add_test(NAME proto.inline COMMAND test_inline)
  set_tests_properties(proto.inline PROPERTIES TIMEOUT 30)

  # test_lang: language tags (honyaku/lang.h), BCP 47 checked with ICU
  add_executable(test_lang ${HNY_TESTS_DIR}/test_lang.c)
  target_link_libraries(test_lang PRIVATE hnycommon)
  add_test(NAME proto.lang COMMAND test_lang)
  set_tests_properties(proto.lang PROPERTIES TIMEOUT 30)

  add_executable(test_config ${HNY_TESTS_DIR}/test_config.c)
  target_link_libraries(test_config PRIVATE hnycommon)
  add_test(NAME proto.config
           COMMAND test_config ${PROJECT_SOURCE_DIR}/packaging/honyaku.conf)
  set_tests_properties(proto.config PROPERTIES TIMEOUT 30)

  # Built as a libFuzzer target with -DHNY_FUZZ=ON and clang; otherwise its
  # own main runs a deterministic batch of random and mutated messages.
  add_executable(fuzz_proto ${HNY_TESTS_DIR}/fuzz_proto.c)
  target_link_libraries(fuzz_proto PRIVATE hnycommon)
  if(HNY_FUZZ)
    target_compile_definitions(fuzz_proto PRIVATE HNY_FUZZING)
    target_compile_options(fuzz_proto PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_proto PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME proto.fuzz COMMAND fuzz_proto 200000)
    set_tests_properties(proto.fuzz PROPERTIES TIMEOUT 60)
  endif()
endif()
