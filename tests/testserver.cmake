# The project's own translation-API test server (DeepL, Google, LibreTranslate,
# OpenAI-compatible) with contract checks and fault injection, and its test.
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
# hny_util.c is compiled in directly so that the server does not wait on
# the rest of hnycommon (protocol, config) building.
add_executable(hny-testserver
               ${HNY_TESTS_DIR}/testserver/hny_testserver.c
               ${HNY_TESTS_DIR}/testserver/ts_state.c
               ${HNY_TESTS_DIR}/testserver/ts_xlate.c
               ${HNY_TESTS_DIR}/testserver/ts_http.c
               ${HNY_TESTS_DIR}/testserver/ts_deepl.c
               ${HNY_TESTS_DIR}/testserver/ts_google.c
               ${HNY_TESTS_DIR}/testserver/ts_libre.c
               ${HNY_TESTS_DIR}/testserver/ts_openai.c
               ${PROJECT_SOURCE_DIR}/proto/hny_util.c)
target_include_directories(hny-testserver PRIVATE ${PROJECT_SOURCE_DIR}/include
                           ${HNY_TESTS_DIR}/testserver)
find_package(Threads REQUIRED)
target_link_libraries(hny-testserver PRIVATE PkgConfig::MICROHTTPD PkgConfig::JANSSON Threads::Threads)

add_test(NAME testserver
         COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_testserver.py $<TARGET_FILE:hny-testserver>)
set_tests_properties(testserver PROPERTIES TIMEOUT 60)
