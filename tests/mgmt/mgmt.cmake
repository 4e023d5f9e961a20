# Unit tests of mgmt/ (one executable per file).
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/rfc5424_test.cc isogate_mgmt)
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/aggregator_test.cc isogate_mgmt)
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/event_wire_test.cc isogate_mgmt)
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/syslog_transport_test.cc isogate_mgmt)
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/audit_trail_test.cc isogate_mgmt)
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/control_protocol_test.cc isogate_mgmt)
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/policy_service_test.cc isogate_mgmt)
