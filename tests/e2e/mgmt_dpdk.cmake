# The management chain (issue 5) with the DPDK backend: isogate-gw `backend: dpdk` over
# net_af_packet ports, isogate-mgmtd, a real rsyslogd (TCP and UDP) and isogatectl, with real
# traffic (test_mgmt_dpdk.py). Need root; label "e2e"; each case its own namespaces.
find_program(ISOGATE_RSYSLOGD_FOR_MGMT_DPDK rsyslogd PATHS /usr/sbin /sbin)
if(TARGET isogate-gw AND TARGET isogate_dpdk_backend AND TARGET isogate-mgmtd AND TARGET isogatectl
   AND ISOGATE_RSYSLOGD_FOR_MGMT_DPDK)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  foreach(case syslog control sensor)
    add_test(NAME e2e_mgmt_dpdk_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_mgmt_dpdk.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl> ${case})
    set_tests_properties(e2e_mgmt_dpdk_${case} PROPERTIES LABELS e2e TIMEOUT 120 RUN_SERIAL TRUE)
  endforeach()
endif()
