# The translation memory that learns (README "Translation memory"):
# `honyaku tm import` of TMX, reviewed XLIFF 1.2 and 2.0 and align
# records, `honyaku tm export` read back with translate-toolkit, human
# entries winning over machine output and billing nothing, the hits
# counted in STATS and /metrics, and bad files importing nothing; against
# the real honyakud, honyaku-worker and hny-testserver (tm.learn). The
# store's side (schema 5, its upgrade from 4) is in store (test_store.c).
function(hny_tm_learn_test)
  if(TARGET honyakud AND TARGET honyaku-worker AND TARGET honyaku AND TARGET hny-testserver)
    add_test(NAME tm.learn
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_tm_learn.py $<TARGET_FILE:honyakud>
                     $<TARGET_FILE:honyaku> $<TARGET_FILE:hny-testserver>)
    set_tests_properties(tm.learn PROPERTIES TIMEOUT 90)
  endif()
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER CALL hny_tm_learn_test)
else()
  hny_tm_learn_test()
endif()
