# The DPDK backend's start-up touch of a --no-huge EAL heap (its own process: one EAL per test).
if(TARGET isogate_dpdk_backend)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/dpdk_heap_prefault_test.cc isogate_dpdk_backend)
endif()
