# Access (README "Access"): [daemon] socket_group, the sockets in
# $RUNTIME_DIRECTORY under systemd, and how the honyaku command finds the
# service (test_access.py: the group cases as root with a temporary group
# and setpriv, the service's /run/honyaku in a private mount namespace);
# language tags through the CLI and the real honyakud (test_client_lang.py).
if(TARGET honyakud AND TARGET honyaku)
  add_test(NAME access
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_access.py
                   $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>)
  set_tests_properties(access PROPERTIES TIMEOUT 120)
endif()
if(TARGET honyakud AND TARGET honyaku AND TARGET honyaku-worker)
  add_test(NAME client_lang
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_client_lang.py
                   $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>)
  set_tests_properties(client_lang PROPERTIES TIMEOUT 60)
endif()
