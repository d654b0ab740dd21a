# honyaku-worker: the HTTP engine and backends (test_backend, against a real
# Apertium APy started by apy.py) and the worker process against a fake
# broker in pyzmq (worker_broker). Both exit 77 (skipped) only when
# apertium-apy is not installed; test_backend still runs its other parts.
if(TARGET hnybackend)
  add_executable(test_backend ${HNY_TESTS_DIR}/test_backend.c)
  target_link_libraries(test_backend PRIVATE hnybackend)
  add_test(NAME test_backend
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/apy.py $<TARGET_FILE:test_backend>)
  set_tests_properties(test_backend PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()

# The segment cap and the progress hook of hny_prepare (small articles).
if(TARGET hnyprep)
  add_executable(test_prepare_limits ${HNY_TESTS_DIR}/test_prepare_limits.c)
  target_link_libraries(test_prepare_limits PRIVATE hnyprep)
  add_test(NAME test_prepare_limits COMMAND test_prepare_limits)
  set_tests_properties(test_prepare_limits PROPERTIES TIMEOUT 30)
endif()

if(TARGET honyaku-worker)
  if(TARGET hnyprep)
    set(HNY_WORKER_HAVE_PREPARE 1)
  else()
    set(HNY_WORKER_HAVE_PREPARE 0)
  endif()
  add_test(NAME worker_broker
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_worker_broker.py
                   $<TARGET_FILE:honyaku-worker>
                   ${HNY_SHARED_DIR}/data/samples/jpw-2019-04-21-threat-2plus2.txt
                   ${HNY_WORKER_HAVE_PREPARE})
  set_tests_properties(worker_broker PROPERTIES TIMEOUT 90)

  # Section 9 of PROTOCOL.md against the fake broker (fake_broker.py) and an
  # APy stand-in that holds its answers (held_apy.py): the broker's
  # heartbeat_ms, lease renewal, work kept across a lost broker.
  add_test(NAME worker_lease
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_worker_lease.py
                   $<TARGET_FILE:honyaku-worker>)
  set_tests_properties(worker_lease PROPERTIES TIMEOUT 120)
  # Big articles: the segment cap (413, peak RSS bound) and heartbeats
  # during a long prepare. Needs prepare.
  # Peak RSS means nothing under ASan (shadow memory, quarantine): bound 0
  # skips that check there.
  if(HNY_WORKER_HAVE_PREPARE)
    if(HNY_SANITIZE)
      set(HNY_WORKER_RSS_MIB 0)
    else()
      set(HNY_WORKER_RSS_MIB 200)
    endif()
    add_test(NAME worker_prepare
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_worker_prepare.py
                     $<TARGET_FILE:honyaku-worker> ${HNY_WORKER_RSS_MIB})
    set_tests_properties(worker_prepare PROPERTIES TIMEOUT 180)
  endif()
endif()
