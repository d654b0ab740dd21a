# Tests of the sentence aligner (owner: align): the dynamic program on
# synthetic cases, the anchors and the lexicon (test_align), link F1 on the
# held-out hand-aligned pairs of tests/data/align (align_f1), and bad input
# through honyaku-align-test (align_bad_input); align jobs through the real
# honyakud and workers (align_daemon: honyaku align, batch --align, F1 as
# the tool's, bad input); with a backend through the test server
# (align_backend: billing, the TM, F1 with and without); honyaku align-pairs proposing the pairs of two
# folders (align_pairs). The broker's side of align jobs with a driven
# worker is in daemon.cmake (daemon_align_*).
if(TARGET hnyalign)
  add_executable(honyaku-align-test ${HNY_TESTS_DIR}/align_tool.c)
  target_link_libraries(honyaku-align-test PRIVATE hnyalign)
endif()
if(TARGET hnyalign)
  add_executable(test_align ${HNY_TESTS_DIR}/test_align.c)
  target_link_libraries(test_align PRIVATE hnyalign)
  add_test(NAME test_align COMMAND test_align)
  set_tests_properties(test_align PROPERTIES TIMEOUT 60)
endif()
if(TARGET honyaku-align-test)
  # Link F1 on the hand-aligned pairs (tests/data/align, scored by
  # align_score.py): a quality bar, not timing. The held-out pairs were
  # never tuned on; measured strict F1 0.964, lenient 0.976 (dev: 0.973,
  # 0.982); the bars sit a little below.
  add_test(NAME align_f1_heldout
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/align_score.py score $<TARGET_FILE:honyaku-align-test>
                   ${HNY_TESTS_DIR}/data/align/heldout --min-f1 0.94 --min-lenient 0.95)
  add_test(NAME align_f1_dev
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/align_score.py score $<TARGET_FILE:honyaku-align-test>
                   ${HNY_TESTS_DIR}/data/align/dev --min-f1 0.95 --min-lenient 0.96)
  add_test(NAME align_bad_input
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_align_cli.py $<TARGET_FILE:honyaku-align-test>
                   ${HNY_TESTS_DIR}/data/align)
  # with translations of the source (align --backend's evidence)
  add_test(NAME align_f1_mt
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_align_mt.py $<TARGET_FILE:honyaku-align-test>
                   ${HNY_TESTS_DIR}/data/align --min-f1 0.97)
  set_tests_properties(align_f1_heldout align_f1_dev align_bad_input align_f1_mt PROPERTIES TIMEOUT 120)
endif()
if(TARGET honyaku-align-test AND TARGET honyakud AND TARGET honyaku AND TARGET honyaku-worker)
  add_test(NAME align_daemon
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_align_daemon.py $<TARGET_FILE:honyakud>
                   $<TARGET_FILE:honyaku> $<TARGET_FILE:honyaku-align-test> ${HNY_TESTS_DIR}/data/align)
  set_tests_properties(align_daemon PROPERTIES TIMEOUT 180)
endif()
function(hny_align_backend_test)
  # honyaku align --backend through the test server (a DeepL stand-in)
  if(TARGET honyakud AND TARGET honyaku AND TARGET honyaku-worker AND TARGET hny-testserver AND TARGET hnyalign)
    add_test(NAME align_backend
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_align_backend.py $<TARGET_FILE:honyakud>
                     $<TARGET_FILE:honyaku> $<TARGET_FILE:hny-testserver> ${HNY_TESTS_DIR}/data/align)
    set_tests_properties(align_backend PROPERTIES TIMEOUT 120)
  endif()
endfunction()
# hny-testserver is defined in testserver.cmake, maybe after this file
cmake_language(DEFER CALL hny_align_backend_test)
if(TARGET honyaku AND TARGET hnyanchor)
  add_test(NAME align_pairs
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_align_pairs.py $<TARGET_FILE:honyaku>
                   ${HNY_TESTS_DIR}/data/align)
  set_tests_properties(align_pairs PROPERTIES TIMEOUT 60)
endif()
