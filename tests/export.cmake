# Record exports (client/hny_export): the writers without a daemon
# (export_writers), and `honyaku export --in records.jsonl` for every format
# (export_cli).
if(TARGET honyaku_export)
  add_executable(test_export ${HNY_TESTS_DIR}/test_export.c)
  target_link_libraries(test_export PRIVATE honyaku_export)
  add_test(NAME export_writers COMMAND test_export)
  set_tests_properties(export_writers PROPERTIES TIMEOUT 30)
endif()
if(TARGET honyaku AND TARGET honyaku_export)
  add_test(NAME export_cli
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_export_cli.py $<TARGET_FILE:honyaku>)
  set_tests_properties(export_cli PROPERTIES TIMEOUT 30)
endif()
