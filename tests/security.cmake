# Security: honyaku keygen, refusal of plain TCP, CURVE with allow-lists on
# both endpoints (client and worker), ipc:// socket modes, SIGHUP reloads.
# Real honyakud, honyaku and honyaku-worker on loopback ports in a temporary
# directory (tests/test_security.py).
if(TARGET honyakud AND TARGET honyaku AND TARGET honyaku-worker)
  foreach(scenario keygen refuse curve reload)
    add_test(NAME security_${scenario}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_security.py
                     $<TARGET_FILE_DIR:honyakud> ${scenario})
    set_tests_properties(security_${scenario} PROPERTIES TIMEOUT 60)
  endforeach()
endif()
