# isogate_mgmt: event encoding (RFC 5424, JSON lines), aggregation, syslog transports,
# event intake and sender, control socket, audit trail, policy service, sensors, metrics.
# isogate_mgmt_client: the small part the gateway links to send events (event_sender).
# Executables: isogate-mgmtd (mgmtd_main.cc) and isogatectl (ctl/*.cc).
set(ISOGATE_MGMT_CLIENT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/event.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_wire.cc
  ${CMAKE_CURRENT_LIST_DIR}/flow_wire.cc
  ${CMAKE_CURRENT_LIST_DIR}/strict_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/event_sender.cc)
add_library(isogate_mgmt_client STATIC ${ISOGATE_MGMT_CLIENT_SOURCES})
target_include_directories(isogate_mgmt_client PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(isogate_mgmt_client PUBLIC nlohmann_json::nlohmann_json)

file(GLOB ISOGATE_MGMT_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cc)
list(REMOVE_ITEM ISOGATE_MGMT_SOURCES ${CMAKE_CURRENT_LIST_DIR}/mgmtd_main.cc
     ${ISOGATE_MGMT_CLIENT_SOURCES})
find_package(Threads REQUIRED)
add_library(isogate_mgmt STATIC ${ISOGATE_MGMT_SOURCES})
target_include_directories(isogate_mgmt PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(isogate_mgmt PUBLIC isogate_mgmt_client nlohmann_json::nlohmann_json
                      isogate_policy yaml-cpp OpenSSL::Crypto PkgConfig::PCAP Threads::Threads)

if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/mgmtd_main.cc)
  add_executable(isogate-mgmtd ${CMAKE_CURRENT_LIST_DIR}/mgmtd_main.cc)
  target_link_libraries(isogate-mgmtd PRIVATE isogate_mgmt isogate_policy)
endif()

file(GLOB ISOGATE_CTL_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/ctl/*.cc)
if(ISOGATE_CTL_SOURCES)
  add_executable(isogatectl ${ISOGATE_CTL_SOURCES})
  target_link_libraries(isogatectl PRIVATE isogate_mgmt)
endif()
