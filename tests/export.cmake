# Record exports (client/hny_export): the writers without a daemon
# (export_writers), the filters (export_filter), `honyaku export --in
# records.jsonl` for every format read back with translate-toolkit,
# xmllint and an HTML5 parser (export_cli), and `honyaku export` against
# the real honyakud and its workers (export_daemon).
if(TARGET honyaku_export)
  add_executable(test_export ${HNY_TESTS_DIR}/test_export.c)
  target_link_libraries(test_export PRIVATE honyaku_export)
  add_test(NAME export_writers COMMAND test_export)
  set_tests_properties(export_writers PROPERTIES TIMEOUT 30)
  add_executable(test_export_filter ${HNY_TESTS_DIR}/test_export_filter.c)
  target_link_libraries(test_export_filter PRIVATE honyaku_export)
  add_test(NAME export_filter COMMAND test_export_filter)
  set_tests_properties(export_filter PROPERTIES TIMEOUT 30)
endif()
if(TARGET honyaku AND TARGET honyaku_export)
  add_test(NAME export_cli
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_export_cli.py $<TARGET_FILE:honyaku>)
  set_tests_properties(export_cli PROPERTIES TIMEOUT 30)
endif()
if(TARGET honyaku AND TARGET honyaku_export AND TARGET honyakud AND TARGET honyaku-worker)
  add_test(NAME export_daemon
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_export_daemon.py
                   $<TARGET_FILE:honyakud> $<TARGET_FILE:honyaku>)
  set_tests_properties(export_daemon PROPERTIES TIMEOUT 60)
endif()
