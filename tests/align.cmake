# Tests of the sentence aligner (owner: align): the dynamic program on
# synthetic cases, the anchors and the lexicon (test_align), link F1 on the
# held-out hand-aligned pairs of tests/data/align (align_f1), and bad input
# through honyaku-align-test (align_bad_input).
if(TARGET hnyalign)
  add_executable(honyaku-align-test ${HNY_TESTS_DIR}/align_tool.c)
  target_link_libraries(honyaku-align-test PRIVATE hnyalign)
endif()
