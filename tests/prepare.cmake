# Tests of the prepare pipeline (owner: extract): charset detection and
# conversion, article extraction, the whole pipeline, and a deterministic
# run of the prepare fuzz target. All need only hnyprep.
if(TARGET hnyprep)
  set(HNY_ARTICLES_DIR ${HNY_TESTS_DIR}/data/articles)
  set(HNY_SAMPLES_DIR ${HNY_SHARED_DIR}/data/samples)

  foreach(t test_charset test_extract test_prepare test_date test_html)
    add_executable(${t} ${HNY_TESTS_DIR}/${t}.c)
    target_link_libraries(${t} PRIVATE hnyprep PkgConfig::ICU)
  endforeach()
  add_test(NAME test_charset COMMAND test_charset)
  add_test(NAME test_date COMMAND test_date)
  add_test(NAME test_html COMMAND test_html)
  # an 8 MiB page of small paragraphs through hny_prepare, alone in its
  # process so that the peak memory it prints is its own
  add_test(NAME test_html_memory COMMAND test_html memory)
  add_test(NAME test_extract COMMAND test_extract ${HNY_SAMPLES_DIR} ${HNY_ARTICLES_DIR})
  add_test(NAME test_prepare COMMAND test_prepare ${HNY_SAMPLES_DIR} ${HNY_ARTICLES_DIR})
  set_tests_properties(test_charset test_extract test_prepare test_date test_html test_html_memory
                       PROPERTIES TIMEOUT 60)

  # The article-extraction benchmark (shared/data/article-extraction): the
  # prepare pipeline over 92 real pages, scored by the benchmark's score.py;
  # fails below F1 0.95. Skipped (77) when the shared data is absent.
  add_executable(extract_corpus ${HNY_TESTS_DIR}/extract_corpus.c)
  target_link_libraries(extract_corpus PRIVATE hnyprep)
  add_test(NAME extract_bench COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_extract_bench.py
           $<TARGET_FILE:extract_corpus> ${HNY_SHARED_DIR}/data/article-extraction 0.95)
  set_tests_properties(extract_bench PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)

  # fuzz_prepare: the libFuzzer entry point plus a standalone driver that
  # mutates the test articles deterministically (-DHNY_LIBFUZZER with clang
  # -fsanitize=fuzzer builds the real fuzzer instead).
  add_executable(fuzz_prepare ${HNY_TESTS_DIR}/fuzz_prepare.c)
  target_link_libraries(fuzz_prepare PRIVATE hnyprep)
  add_test(NAME fuzz_prepare COMMAND fuzz_prepare ${HNY_SAMPLES_DIR} ${HNY_ARTICLES_DIR})
  set_tests_properties(fuzz_prepare PROPERTIES TIMEOUT 30)

  # test_markup: the inline markup form and its placeholders (owner: markup)
  add_executable(test_markup ${HNY_TESTS_DIR}/test_markup.c)
  target_link_libraries(test_markup PRIVATE hnymarkup)
  add_test(NAME test_markup COMMAND test_markup)
  set_tests_properties(test_markup PROPERTIES TIMEOUT 30)
  # the placeholders against a real Apertium APy (skipped without it)
  add_test(NAME markup_apy COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_markup_apy.py)
  set_tests_properties(markup_apy PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()
