# The DPDK backend's mbuf pool and where its objects live (its own process: one EAL per test binary).
if(TARGET isogate_dpdk_backend)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/dpdk_mbuf_pool_test.cc isogate_dpdk_backend)
endif()
