# The adaptive period of the gateway's counter and flow reports (pure logic, no clock waits).
if(TARGET isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/report_period_test.cc isogate_gateway)
endif()
