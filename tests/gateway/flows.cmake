# `isogatectl flows` on the gateway side: the kernel backend's ctnetlink reader (messages
# built in the test, no root) and the DPDK backend's export (the in-process data plane).
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/conntrack_flows_test.cc isogate_gateway)
if(TARGET isogate_dpdk_backend AND TARGET isogate_dataplane_testkit AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/dpdk_flows_test.cc)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/dpdk_flows_test.cc isogate_dpdk_backend isogate_dataplane_testkit)
endif()
