# More fault tests of issue 6, each with real traffic in namespaces it builds and removes:
# kill -9 of the DPDK gateway (test_faults_dpdk.py), rsyslog stopped under a kernel gateway's
# violations (test_faults_syslog.py), a full disk under isogate-mgmtd's audit trail and JSON
# log (test_faults_disk.py). Need root; label "e2e".
find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(ISOGATE_RSYSLOGD_FOR_FAULTS rsyslogd PATHS /usr/sbin /sbin)
if(TARGET isogate-gw AND TARGET isogate_dpdk_backend)
  add_test(NAME e2e_faults_dpdk_kill9
           COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_faults_dpdk.py
                   --gw $<TARGET_FILE:isogate-gw>)
  set_tests_properties(e2e_faults_dpdk_kill9 PROPERTIES LABELS e2e TIMEOUT 240 RUN_SERIAL TRUE)
endif()
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl AND ISOGATE_RSYSLOGD_FOR_FAULTS)
  foreach(case syslog disk)
    add_test(NAME e2e_faults_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_faults_${case}.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl>)
    set_tests_properties(e2e_faults_${case} PROPERTIES LABELS e2e TIMEOUT 240 RUN_SERIAL TRUE)
  endforeach()
endif()
