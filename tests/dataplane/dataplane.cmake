# Data plane tests: each *_test.cc here is its own gtest binary with the EAL
# initialised once (tests/dataplane/harness.cc) and the packet builder.
if(ISOGATE_WITH_DPDK AND TARGET isogate_dataplane)
  add_library(isogate_dataplane_testkit STATIC ${CMAKE_CURRENT_LIST_DIR}/harness.cc
                                               ${CMAKE_CURRENT_LIST_DIR}/packet_builder.cc)
  target_link_libraries(isogate_dataplane_testkit PUBLIC isogate_dataplane GTest::gtest)
  file(GLOB dataplane_tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*_test.cc)
  foreach(src ${dataplane_tests})
    isogate_add_test(${src} isogate_dataplane_testkit isogate_dataplane)
  endforeach()
endif()
