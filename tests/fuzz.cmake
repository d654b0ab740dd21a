# Fuzz targets for the worker's decoders of untrusted bytes (owner: fuzz):
#   fuzz_markup   - inline markup parsing and the placeholder round trip
#                   (a backend's translation restored against its source)
#   fuzz_backends - every HTTP backend type's parse of a service's answer
#   fuzz_qa       - the checks on translated segments (honyaku/qa.h)
# Built with -DHNY_FUZZ=ON (clang) they are libFuzzer targets; otherwise each
# main runs a deterministic batch of random and mutated valid inputs.
if(TARGET hnymarkup)
  add_executable(fuzz_markup ${HNY_TESTS_DIR}/fuzz_markup.c)
  target_link_libraries(fuzz_markup PRIVATE hnymarkup)
  if(HNY_FUZZ)
    target_compile_definitions(fuzz_markup PRIVATE HNY_FUZZING)
    target_compile_options(fuzz_markup PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_markup PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME fuzz.markup COMMAND fuzz_markup 100000)
    set_tests_properties(fuzz.markup PROPERTIES TIMEOUT 60)
  endif()
endif()

if(TARGET hnybackend)
  add_executable(fuzz_backends ${HNY_TESTS_DIR}/fuzz_backends.c)
  target_link_libraries(fuzz_backends PRIVATE hnybackend)
  if(HNY_FUZZ)
    target_compile_definitions(fuzz_backends PRIVATE HNY_FUZZING)
    target_compile_options(fuzz_backends PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_backends PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME fuzz.backends COMMAND fuzz_backends 40000)
    set_tests_properties(fuzz.backends PROPERTIES TIMEOUT 60)
  endif()
endif()

# fuzz_qa: the checks on translated segments (honyaku/qa.h), over texts
# built from what their readers look for, and random bytes
if(TARGET hnycommon)
  add_executable(fuzz_qa ${HNY_TESTS_DIR}/fuzz_qa.c)
  target_link_libraries(fuzz_qa PRIVATE hnycommon)
  if(HNY_FUZZ)
    target_compile_definitions(fuzz_qa PRIVATE HNY_FUZZING)
    target_compile_options(fuzz_qa PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_qa PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME fuzz.qa COMMAND fuzz_qa 20000)
    set_tests_properties(fuzz.qa PROPERTIES TIMEOUT 60)
  endif()
endif()
