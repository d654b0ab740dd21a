# Japanese -> English through the whole pipeline (owner: text): real
# honyakud and workers, the pseudo profile and a DeepL profile against
# hny-testserver (defined in testserver.cmake, later in the sorted
# fragments: referenced by name, resolved when the build is generated).
if(TARGET honyakud AND TARGET honyaku-worker AND TARGET honyaku
   AND EXISTS ${HNY_TESTS_DIR}/testserver/hny_testserver.c)
  add_test(NAME ja_en
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_ja_en.py
                   $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>
                   $<TARGET_FILE:hny-testserver> ${HNY_TESTS_DIR}/data/articles)
  set_tests_properties(ja_en PROPERTIES TIMEOUT 120)
endif()
