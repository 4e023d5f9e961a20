# Benchmark support of the DPDK backend (gateway/dpdk_bench_env.h, dpdk_pcap_count.h), added to
# isogate_dpdk_backend (defined by dpdk.cmake, which the sorted glob includes first).
if(TARGET isogate_dpdk_backend)
  target_sources(isogate_dpdk_backend PRIVATE ${CMAKE_CURRENT_LIST_DIR}/dpdk_bench_env.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_pcap_count.cc)
endif()
