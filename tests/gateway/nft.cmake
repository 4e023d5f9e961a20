# The nftables netlink emitter. Unit: encoding without root. e2e: loads rulesets in
# throwaway network namespaces (needs root).
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/nft_batch_test.cc isogate_nft_netlink)

add_executable(gateway_nft_netlink_test ${CMAKE_CURRENT_LIST_DIR}/nft_netlink_test.cc)
target_link_libraries(gateway_nft_netlink_test PRIVATE isogate_nft_netlink GTest::gtest GTest::gtest_main)
target_compile_definitions(gateway_nft_netlink_test PRIVATE
  ISOGATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" ISOGATE_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(gateway_nft_netlink_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS e2e)
