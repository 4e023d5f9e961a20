# Acceptance tests of isogate-mgmtd + isogatectl (issue 5) with real components: rsyslogd on
# a namespace's loopback, the kernel gateway, unix users made by the test, scapy on a veth.
# Need root; label "e2e"; each case its own namespaces and accounts (test_mgmt_acceptance.py).
find_program(ISOGATE_RSYSLOGD_FOR_ACCEPTANCE rsyslogd PATHS /usr/sbin /sbin)
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl AND ISOGATE_RSYSLOGD_FOR_ACCEPTANCE)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  foreach(case roles restart sensor confirm matrix)
    add_test(NAME e2e_mgmt_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_mgmt_acceptance.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl> ${case})
    set_tests_properties(e2e_mgmt_${case} PROPERTIES LABELS e2e TIMEOUT 120 RUN_SERIAL TRUE)
  endforeach()
endif()
