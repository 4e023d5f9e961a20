# `isogatectl flows` end to end: isogate-gw + isogate-mgmtd in a namespace topology of the
# test's own, real TCP connections over IPv4 and IPv6 (test_flows.py). Kernel backend, and
# the DPDK backend over net_af_packet when it is built. Root; label e2e.
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  set(flows_cases kernel)
  if(TARGET isogate_dpdk_backend)
    list(APPEND flows_cases dpdk)
  endif()
  foreach(case ${flows_cases})
    add_test(NAME e2e_flows_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_flows.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl> ${case})
    set_tests_properties(e2e_flows_${case} PROPERTIES LABELS e2e TIMEOUT 180 RUN_SERIAL TRUE)
  endforeach()
endif()
