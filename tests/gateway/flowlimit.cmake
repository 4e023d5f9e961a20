# The flow limit (gateway config `flows.max`) through the netlink emitter: loads in a
# throwaway network namespace exactly like the text (needs root).
add_executable(gateway_nft_flow_limit_netlink_test ${CMAKE_CURRENT_LIST_DIR}/nft_flow_limit_netlink_test.cc)
target_link_libraries(gateway_nft_flow_limit_netlink_test PRIVATE isogate_nft_netlink GTest::gtest GTest::gtest_main)
target_compile_definitions(gateway_nft_flow_limit_netlink_test PRIVATE
  ISOGATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ISOGATE_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(gateway_nft_flow_limit_netlink_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS e2e)

# The kernel backend's side without a kernel: the limit reaches every applied ruleset, the
# NFLOG refusal report becomes a fault event, the counter the flow-table-full drop reason.
if(TARGET isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/flow_limit_gateway_test.cc isogate_gateway)
endif()
