# The spec's own tests (owner: spec): proto/schema/*.schema.json against
# known-good and known-bad documents (spec.schema), and the real honyakud
# against peers written from proto/PROTOCOL.md alone: spec_client.py's
# conformance cases (spec.client) and the worker-facing promises played by
# spec_worker.py (spec.worker). A case that needs a broker change of
# issue 7 says so when it fails.
add_test(NAME spec.schema COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_schema.py)
set_tests_properties(spec.schema PROPERTIES TIMEOUT 30)

if(TARGET honyakud)
  foreach(side client worker)
    add_test(NAME spec.${side}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_spec.py $<TARGET_FILE:honyakud> ${side})
    set_tests_properties(spec.${side} PROPERTIES TIMEOUT 120)
  endforeach()
endif()
