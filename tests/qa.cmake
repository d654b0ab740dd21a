# The checks on translated segments (include/honyaku/qa.h): the module's
# unit test, its rates on our own test set through `honyaku qa`, and the
# flags through the real honyakud and worker into records.
if(TARGET hnycommon)
  # every check, both ways; the caps and the JSON of a flag
  add_executable(test_qa ${HNY_TESTS_DIR}/test_qa.c)
  target_link_libraries(test_qa PRIVATE hnycommon)
  add_test(NAME qa.unit COMMAND test_qa)
  set_tests_properties(qa.unit PROPERTIES TIMEOUT 30)
endif()

if(TARGET honyaku)
  # False alarms on 380 correct translations and recall on 76 planted
  # errors (tests/data/qa): measured 0.26% and 98.7%; the bars leave a
  # small margin. The aligner's hand-aligned pairs (tests/data/align):
  # 1.5% of 518 links flagged, each a real difference of the two texts.
  add_test(NAME qa.rates
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_qa_rates.py $<TARGET_FILE:honyaku>
                   ${HNY_TESTS_DIR}/data/qa 1.0 95.0 ${HNY_TESTS_DIR}/data/align 3.0)
  set_tests_properties(qa.rates PROPERTIES TIMEOUT 60)
  # the command alone: what it reads and trusts, its output and exit status
  add_test(NAME qa.cli
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_qa_cli.py $<TARGET_FILE:honyaku>)
  set_tests_properties(qa.cli PROPERTIES TIMEOUT 60)
endif()

# The flags through the real honyakud, workers and the translation-API test
# server, into records written by `honyaku batch` and summed up by `honyaku
# qa`. Deferred: tests/testserver.cmake, which defines hny-testserver, is
# read after this fragment.
function(hny_qa_daemon_test)
  if(TARGET honyakud AND TARGET honyaku-worker AND TARGET honyaku AND TARGET hny-testserver)
    add_test(NAME qa.daemon
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_qa_daemon.py $<TARGET_FILE:honyakud>
                     $<TARGET_FILE:honyaku> $<TARGET_FILE:hny-testserver>
                     ${HNY_TESTS_DIR}/data/qa/glossary.en-ja.tsv)
    set_tests_properties(qa.daemon PROPERTIES TIMEOUT 90)
  endif()
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER CALL hny_qa_daemon_test)
else()
  hny_qa_daemon_test()
endif()

# The flags over a large fixed set of pairs (every QA and aligner test
# text, and the shared golden rules and article bodies), altered in many
# ways, against golden files written before the checks were made faster:
# any change of a flag fails. After a deliberate change of the checks,
# rewrite them with `test_qa_golden GOLDEN --write FILE...` (the same
# FILEs as below) and say why in the commit.
if(TARGET hnycommon)
  add_executable(test_qa_golden ${HNY_TESTS_DIR}/test_qa_golden.c)
  target_link_libraries(test_qa_golden PRIVATE hnycommon)
  file(GLOB HNY_QA_ALIGN_TEXTS ${HNY_TESTS_DIR}/data/align/*/*.en)
  list(SORT HNY_QA_ALIGN_TEXTS)
  add_test(NAME qa.golden
           COMMAND test_qa_golden ${HNY_TESTS_DIR}/data/qa/golden-flags.tsv
                   ${HNY_TESTS_DIR}/data/qa/pairs.tsv ${HNY_TESTS_DIR}/data/qa/planted.tsv
                   ${HNY_QA_ALIGN_TEXTS})
  add_test(NAME qa.golden_shared
           COMMAND test_qa_golden ${HNY_TESTS_DIR}/data/qa/golden-flags-shared.tsv
                   ${HNY_SHARED_DIR}/data/golden-rules/golden_rules.jsonl
                   ${HNY_SHARED_DIR}/data/golden-rules/ja_other_sets.jsonl
                   ${HNY_SHARED_DIR}/data/article-extraction/ground-truth.json)
  set_tests_properties(qa.golden qa.golden_shared PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
