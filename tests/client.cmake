# The honyaku command and libhonyaku: against a fake pyzmq broker
# (client_cli, which also runs test_client_lib), the in-process dry run
# (client_prepare), and against the real honyakud with its workers
# (client_e2e, client_restart) once they build.
if(TARGET honyaku AND TARGET honyaku_client)
  add_executable(test_client_lib ${HNY_TESTS_DIR}/test_client_lib.c)
  target_link_libraries(test_client_lib PRIVATE honyaku_client)
  add_test(NAME client_cli
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_client_cli.py
                   $<TARGET_FILE:honyaku> $<TARGET_FILE:test_client_lib>)
  set_tests_properties(client_cli PROPERTIES TIMEOUT 120)

  if(TARGET hnyprep)
    add_test(NAME client_prepare
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_client_e2e.py --prepare-only
                     $<TARGET_FILE:honyaku>
                     ${HNY_SHARED_DIR}/data/samples/jpw-2019-04-21-threat-2plus2.txt)
    set_tests_properties(client_prepare PROPERTIES TIMEOUT 30)
  endif()

  if(TARGET honyakud AND TARGET honyaku-worker)
    add_test(NAME client_e2e
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_client_e2e.py
                     $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>
                     ${HNY_SHARED_DIR}/data/samples/jpw-2019-04-21-threat-2plus2.txt)
    set_tests_properties(client_e2e PROPERTIES TIMEOUT 90)
    # Oversized SUBMITs against the real broker, and batch across a
    # honyakud killed and started again mid-batch.
    add_test(NAME client_restart
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_client_restart.py
                     $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>)
    set_tests_properties(client_restart PROPERTIES TIMEOUT 120)
  endif()
endif()
