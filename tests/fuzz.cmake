# Fuzz targets for decoders of untrusted bytes (owner: fuzz), one function each:
#   fuzz_markup   - inline markup parsing and the placeholder round trip
#                   (a backend's translation restored against its source)
#   fuzz_backends - every HTTP backend type's parse of a service's answer
#   fuzz_qa       - the checks on translated segments (honyaku/qa.h)
#   fuzz_tm       - the translation memory's walker over a record's JSON text
# Built with -DHNY_FUZZ=ON (clang) they are libFuzzer targets; otherwise each
# main runs a deterministic batch of random and mutated valid inputs.
function(hny_fuzz_target name lib test cases)
  add_executable(${name} ${HNY_TESTS_DIR}/${name}.c)
  target_link_libraries(${name} PRIVATE ${lib})
  if(HNY_FUZZ)
    target_compile_definitions(${name} PRIVATE HNY_FUZZING)
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    add_test(NAME ${test} COMMAND ${name} ${cases})
    set_tests_properties(${test} PROPERTIES TIMEOUT 60)
  endif()
endfunction()

if(TARGET hnymarkup)
  hny_fuzz_target(fuzz_markup hnymarkup fuzz.markup 100000)
endif()
if(TARGET hnybackend)
  hny_fuzz_target(fuzz_backends hnybackend fuzz.backends 40000)
endif()
if(TARGET hnystore)
  hny_fuzz_target(fuzz_tm hnystore fuzz.tm 50000)
endif()

# fuzz_qa: the checks on translated segments (honyaku/qa.h), over texts
# built from what their readers look for, and random bytes
if(TARGET hnycommon)
  hny_fuzz_target(fuzz_qa hnycommon fuzz.qa 20000)
endif()
