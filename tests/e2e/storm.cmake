# Load test of the kernel backend (issue 6): a one-minute violation storm through isogate-gw,
# isogate-mgmtd and rsyslogd. Needs root and namespaces; label "e2e".
find_program(ISOGATE_RSYSLOGD_FOR_STORM rsyslogd PATHS /usr/sbin /sbin)
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl AND ISOGATE_RSYSLOGD_FOR_STORM)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_test(NAME e2e_faults_storm
           COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_storm.py
                   --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                   --ctl $<TARGET_FILE:isogatectl> storm)
  set_tests_properties(e2e_faults_storm PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)
endif()
