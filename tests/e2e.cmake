# End-to-end tests over real processes: APy, honyakud, honyaku-worker, honyaku.
if(TARGET honyakud AND TARGET honyaku-worker AND TARGET honyaku)
  add_test(NAME e2e_apertium
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_e2e_apertium.py
                   $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>
                   ${HNY_TESTS_DIR}/spec_client.py ${HNY_TESTS_DIR}/data/demo-archive)
  set_tests_properties(e2e_apertium PROPERTIES TIMEOUT 300)
endif()
