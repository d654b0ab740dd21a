# `honyaku batch` as a person sees it (live line under a pseudo-terminal,
# lines, SIGINT and resume, causes that stop a batch, binaries) against
# honyakud, its workers and hny-testserver. Deferred: tests/testserver.cmake,
# which defines hny-testserver, is read after this fragment.
function(hny_client_batch_test)
  if(TARGET honyakud AND TARGET honyaku-worker AND TARGET honyaku AND TARGET hny-testserver)
    add_test(NAME client_batch_ui
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_batch_ui.py
                     $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku> $<TARGET_FILE:hny-testserver>)
    set_tests_properties(client_batch_ui PROPERTIES TIMEOUT 120)
  endif()
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER CALL hny_client_batch_test)
else()
  hny_client_batch_test()
endif()
