# `isogatectl flows` end to end on the kernel backend: isogate-gw + isogate-mgmtd in a
# namespace topology of the test's own, real TCP connections (test_flows.py). Root; e2e.
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  foreach(case kernel)
    add_test(NAME e2e_flows_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_flows.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl> ${case})
    set_tests_properties(e2e_flows_${case} PROPERTIES LABELS e2e TIMEOUT 180 RUN_SERIAL TRUE)
  endforeach()
endif()
