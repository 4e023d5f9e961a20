# isogate_dataplane: the DPDK data plane library (packets in, packets and counters out).
# Built with DPDK's own pkg-config flags (no -march=native: the CI machine may differ).
if(ISOGATE_WITH_DPDK)
  file(GLOB ISOGATE_DATAPLANE_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.cc)
  add_library(isogate_dataplane STATIC ${ISOGATE_DATAPLANE_SOURCES})
  target_include_directories(isogate_dataplane PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(isogate_dataplane PUBLIC isogate_policy PkgConfig::DPDK)
  # The hot path is built optimised whatever the build type (assertions stay as configured).
  target_compile_options(isogate_dataplane PRIVATE -O3)
endif()
