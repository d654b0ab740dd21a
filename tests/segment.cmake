# Tests of normalization and sentence segmentation (owner: segment).
# hnyseg is a private library of just hny_normalize.c and hny_segment.c so
# that these tests build even while the rest of hnyprep is in flux.
if(TARGET hnycommon)
  add_library(hnyseg STATIC
    ${PROJECT_SOURCE_DIR}/workers/hny_normalize.c
    ${PROJECT_SOURCE_DIR}/workers/hny_segment.c)
  target_include_directories(hnyseg PUBLIC ${PROJECT_SOURCE_DIR}/workers ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(hnyseg PUBLIC hnycommon PkgConfig::ICU)

  foreach(t test_normalize test_segment test_golden_rules)
    add_executable(${t} ${HNY_TESTS_DIR}/${t}.c)
    target_link_libraries(${t} PRIVATE hnyseg PkgConfig::ICU PkgConfig::JANSSON)
  endforeach()
  add_test(NAME test_normalize COMMAND test_normalize)
  add_test(NAME test_segment COMMAND test_segment ${HNY_SHARED_DIR}/data/samples)
  add_test(NAME test_golden_rules COMMAND test_golden_rules ${HNY_SHARED_DIR}/data/golden-rules
           ${HNY_TESTS_DIR}/data/segment-jpw.jsonl)
  set_tests_properties(test_normalize test_segment test_golden_rules PROPERTIES TIMEOUT 30)
endif()
