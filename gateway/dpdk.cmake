# isogate_dpdk_backend: the DPDK backend of isogate-gw (EAL and ports from the gateway
# config, worker lcores running the data plane, violation records -> events, the
# --until-idle replay with its summary). Linked into isogate-gw by gateway.cmake's target.
if(ISOGATE_WITH_DPDK AND TARGET isogate_dataplane)
  add_library(isogate_dpdk_backend STATIC
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_eal.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_heap_prefault.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_mbuf_pool.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_ports.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_worker_loop.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_events.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_backend.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_summary.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_flows.cc
    ${CMAKE_CURRENT_LIST_DIR}/dpdk_gateway.cc)
  target_include_directories(isogate_dpdk_backend PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(isogate_dpdk_backend PUBLIC isogate_gateway isogate_dataplane)
  target_compile_options(isogate_dpdk_backend PRIVATE -O2)
  # gateway.cmake (which defines isogate-gw) is included after this file: link at the end.
  function(isogate_link_dpdk_backend)
    if(TARGET isogate-gw)
      target_link_libraries(isogate-gw PRIVATE isogate_dpdk_backend)
      target_compile_definitions(isogate-gw PRIVATE ISOGATE_HAVE_DPDK_BACKEND=1)
    endif()
  endfunction()
  cmake_language(DEFER CALL isogate_link_dpdk_backend)
endif()
