# isogate_gateway: the gateway process's parts (policy loading, backends, NFLOG events);
# isogate-gw: the daemon (gw_main.cc only wires them together).
set(ISOGATE_GATEWAY_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/event_output.cc
  ${CMAKE_CURRENT_LIST_DIR}/violation_event.cc
  ${CMAKE_CURRENT_LIST_DIR}/nflog_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/policy_loader.cc
  ${CMAKE_CURRENT_LIST_DIR}/stats_report.cc
  ${CMAKE_CURRENT_LIST_DIR}/stats_reporter.cc
  ${CMAKE_CURRENT_LIST_DIR}/monitor_port.cc)
foreach(optional nft_backend.cc gateway_loop.cc conntrack_sweep.cc conntrack_flows.cc nft_netlink_sink.cc)
  if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/${optional})
    list(APPEND ISOGATE_GATEWAY_SOURCES ${CMAKE_CURRENT_LIST_DIR}/${optional})
  endif()
endforeach()
add_library(isogate_gateway STATIC ${ISOGATE_GATEWAY_SOURCES})
target_include_directories(isogate_gateway PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(isogate_gateway PUBLIC isogate_policy isogate_mgmt PkgConfig::NFLOG)
# The netlink emitter's library is defined by gateway/nft_netlink.cmake (globbed after this file).
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/nft_netlink.cmake)
  target_link_libraries(isogate_gateway PUBLIC isogate_nft_netlink)
endif()

if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/gw_main.cc AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/nft_netlink_sink.cc)
  add_executable(isogate-gw ${CMAKE_CURRENT_LIST_DIR}/gw_main.cc)
  target_link_libraries(isogate-gw PRIVATE isogate_gateway)
endif()
