# Unit tests of the DPDK backend's benchmark support (no EAL, no root): the
# ISOGATE_DPDK_NEIGHBOURS parser and the infinite_rx capture frame count that sizes the pool.
if(TARGET isogate_dpdk_backend)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/dpdk_bench_env_test.cc isogate_dpdk_backend)
endif()
