# Load test of the DPDK backend (issue 6): the violation storm of e2e_faults_storm against
# isogate-gw `backend: dpdk` (net_af_packet ports on the gateway namespace's veths) with
# isogate-mgmtd and rsyslogd (test_storm.py storm-dpdk). Needs root and namespaces; label "e2e".
# The storm lasts 45 s here so the whole test stays within ~90 s (`--seconds 60` by hand).
find_program(ISOGATE_RSYSLOGD_FOR_DPDK_STORM rsyslogd PATHS /usr/sbin /sbin)
if(TARGET isogate-gw AND TARGET isogate_dpdk_backend AND TARGET isogate-mgmtd AND TARGET isogatectl
   AND ISOGATE_RSYSLOGD_FOR_DPDK_STORM)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_test(NAME e2e_faults_dpdk_storm
           COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_storm.py
                   --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                   --ctl $<TARGET_FILE:isogatectl> --seconds 45 storm-dpdk)
  set_tests_properties(e2e_faults_dpdk_storm PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)
endif()
