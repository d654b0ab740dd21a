# honyakud: the store's unit test, and integration tests that run the real
# honyakud (--workers 0) with fake workers (fake_worker.py, pyzmq) on private
# ipc:// endpoints in a temporary directory.
if(TARGET hnystore)
  add_executable(test_store ${HNY_TESTS_DIR}/test_store.c)
  target_link_libraries(test_store PRIVATE hnystore PkgConfig::SQLITE PkgConfig::ZSTD)
  add_test(NAME test_store COMMAND test_store ${HNY_TESTS_DIR}/data/store-v3.sql)
  set_tests_properties(test_store PROPERTIES TIMEOUT 30)
  add_executable(test_ckpt ${HNY_TESTS_DIR}/test_ckpt.c)
  target_link_libraries(test_ckpt PRIVATE hnystore PkgConfig::SQLITE)
  add_test(NAME test_ckpt COMMAND test_ckpt)
  set_tests_properties(test_ckpt PROPERTIES TIMEOUT 30)
  add_executable(test_zpool ${HNY_TESTS_DIR}/test_zpool.c)
  target_link_libraries(test_zpool PRIVATE hnystore PkgConfig::ZSTD)
  add_test(NAME test_zpool COMMAND test_zpool)
  set_tests_properties(test_zpool PROPERTIES TIMEOUT 60)
  add_executable(test_record ${HNY_TESTS_DIR}/test_record.c)
  target_link_libraries(test_record PRIVATE hnystore PkgConfig::SQLITE)
  add_test(NAME test_record COMMAND test_record)
  set_tests_properties(test_record PROPERTIES TIMEOUT 30)
  add_executable(test_tm ${HNY_TESTS_DIR}/test_tm.c)
  target_link_libraries(test_tm PRIVATE hnystore PkgConfig::SQLITE)
  add_test(NAME test_tm COMMAND test_tm)
  set_tests_properties(test_tm PROPERTIES TIMEOUT 30)
endif()

# The clients waiting for jobs, against a plain list.
if(TARGET hnyindex)
  # The broker's hash table, against a plain array.
  add_executable(test_map ${HNY_TESTS_DIR}/test_map.c)
  target_link_libraries(test_map PRIVATE hnyindex)
  add_test(NAME test_map COMMAND test_map)
  set_tests_properties(test_map PROPERTIES TIMEOUT 30)
  add_executable(test_waiters ${HNY_TESTS_DIR}/test_waiters.c)
  target_link_libraries(test_waiters PRIVATE hnyindex)
  add_test(NAME test_waiters COMMAND test_waiters)
  set_tests_properties(test_waiters PROPERTIES TIMEOUT 30)
  # The TM's recent entries, against a plain array.
  add_executable(test_tmnew ${HNY_TESTS_DIR}/test_tmnew.c)
  target_link_libraries(test_tmnew PRIVATE hnyindex)
  add_test(NAME test_tmnew COMMAND test_tmnew)
  set_tests_properties(test_tmnew PROPERTIES TIMEOUT 60)
endif()

# The scheduler alone: no sockets, no store, a clock of the test's own.
if(TARGET hnysched)
  add_executable(test_sched ${HNY_TESTS_DIR}/test_sched.c)
  target_link_libraries(test_sched PRIVATE hnysched)
  add_test(NAME test_sched COMMAND test_sched)
  set_tests_properties(test_sched PROPERTIES TIMEOUT 30)
endif()

if(TARGET honyakud)
  foreach(scenario e2e idempotent hostile tm dedup warning packing qa requests)
    add_test(NAME daemon_${scenario}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_pipeline.py
                     $<TARGET_FILE:honyakud> ${scenario})
    set_tests_properties(daemon_${scenario} PROPERTIES TIMEOUT 60)
  endforeach()
  foreach(scenario oversize credit fivexx pause admission unserved slow lock fulldisk adopt orphan
                   bigresult unread strictresult)
    add_test(NAME daemon_promise_${scenario}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_promises.py
                     $<TARGET_FILE:honyakud> ${scenario})
    set_tests_properties(daemon_promise_${scenario} PROPERTIES TIMEOUT 60)
  endforeach()
  # Align jobs with a worker the test drives (test_daemon_align.py).
  foreach(scenario flow failures submit admission backend)
    add_test(NAME daemon_align_${scenario}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_align.py
                     $<TARGET_FILE:honyakud> ${scenario})
    set_tests_properties(daemon_align_${scenario} PROPERTIES TIMEOUT 60)
  endforeach()
  add_test(NAME daemon_store_size
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_store.py $<TARGET_FILE:honyakud> size)
  add_test(NAME daemon_store_upgrade
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_store.py $<TARGET_FILE:honyakud> upgrade
                   ${HNY_TESTS_DIR}/data/store-v3.sql)
  add_test(NAME daemon_store_rows
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_store.py $<TARGET_FILE:honyakud> rows)
  add_test(NAME daemon_store_reuse_kill
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_store.py $<TARGET_FILE:honyakud> reuse_kill)
  set_tests_properties(daemon_store_size daemon_store_upgrade daemon_store_rows daemon_store_reuse_kill
                       PROPERTIES TIMEOUT 60)
  foreach(scenario worker_killed lease broker_killed transient failures)
    add_test(NAME daemon_${scenario}
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_faults.py
                     $<TARGET_FILE:honyakud> ${scenario})
    set_tests_properties(daemon_${scenario} PROPERTIES TIMEOUT 60)
  endforeach()
endif()

# The broker's side of backends against the DeepL stand-in: faults, TM,
# shared concurrency, rate budget, pause and fallback (real workers).
# Deferred: tests/testserver.cmake, which defines hny-testserver, is read
# after this fragment.
function(hny_daemon_backends_test)
  if(TARGET honyakud AND TARGET hny-testserver AND TARGET honyaku-worker)
    add_test(NAME daemon_backends
             COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_backends.py
                     $<TARGET_FILE:honyakud> $<TARGET_FILE:hny-testserver>)
    set_tests_properties(daemon_backends PROPERTIES TIMEOUT 120)
  endif()
endfunction()
if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.19)
  cmake_language(DEFER CALL hny_daemon_backends_test)
else()
  hny_daemon_backends_test()
endif()

# sd_notify: only when honyakud was built with libsystemd.
if(TARGET honyakud AND SYSTEMD_FOUND)
  add_test(NAME daemon_notify
           COMMAND /usr/bin/python3 ${HNY_TESTS_DIR}/test_daemon_notify.py $<TARGET_FILE:honyakud>)
  set_tests_properties(daemon_notify PROPERTIES TIMEOUT 60)
endif()
