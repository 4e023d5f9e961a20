# isogate-mgmtd against a real rsyslogd (Debian package) on 127.0.0.1, high ports:
# the messages that arrive must be exactly the expected RFC 5424 lines. Label "e2e".
find_program(ISOGATE_RSYSLOGD rsyslogd PATHS /usr/sbin /sbin)
if(TARGET isogate-mgmtd AND ISOGATE_RSYSLOGD)
  add_executable(e2e_mgmt_rsyslog_test ${CMAKE_CURRENT_LIST_DIR}/mgmt_rsyslog_test.cc)
  target_link_libraries(e2e_mgmt_rsyslog_test PRIVATE isogate_mgmt isogate_policy GTest::gtest GTest::gtest_main)
  target_compile_definitions(e2e_mgmt_rsyslog_test PRIVATE
    ISOGATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ISOGATE_RSYSLOGD="${ISOGATE_RSYSLOGD}"
    ISOGATE_MGMTD="$<TARGET_FILE:isogate-mgmtd>")
  add_dependencies(e2e_mgmt_rsyslog_test isogate-mgmtd)
  gtest_discover_tests(e2e_mgmt_rsyslog_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS e2e TIMEOUT 120)
endif()
