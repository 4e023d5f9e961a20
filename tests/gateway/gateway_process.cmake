# Unit tests of the isogate-gw process parts (no root, no kernel): policy loading through a
# recording backend, NFLOG prefix and packet decoding into events.
if(TARGET isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/violation_event_test.cc isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/policy_loader_test.cc isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/nft_backend_test.cc isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/stats_report_test.cc isogate_gateway)
endif()
