# Connection table exhaustion (issue 6) with real traffic on both backends: the gateway
# config's `flows: {max: 8}`; the 9th allowed connection is refused and reported, the 8 keep
# working, denied traffic uses no budget, closed flows free it (test_flowlimit.py). Need
# root; label "e2e"; each test builds its own namespaces and removes them on every exit path.
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  set(backends kernel)
  if(TARGET isogate_dpdk_backend)
    list(APPEND backends dpdk)
  endif()
  foreach(backend ${backends})
    add_test(NAME e2e_flowlimit_${backend}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_flowlimit.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl> --backend ${backend})
    set_tests_properties(e2e_flowlimit_${backend} PROPERTIES LABELS e2e TIMEOUT 240 RUN_SERIAL TRUE)
  endforeach()
endif()
