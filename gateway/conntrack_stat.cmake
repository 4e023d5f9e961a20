# The kernel conntrack table watch (gateway/conntrack_stat.h, conntrack_drop_reporter.h),
# added to isogate_gateway (defined by gateway.cmake, which the sorted glob includes later).
function(isogate_add_conntrack_stat)
  if(TARGET isogate_gateway)
    target_sources(isogate_gateway PRIVATE ${CMAKE_CURRENT_LIST_DIR}/conntrack_stat.cc
      ${CMAKE_CURRENT_LIST_DIR}/conntrack_drop_reporter.cc)
  endif()
endfunction()
cmake_language(DEFER CALL isogate_add_conntrack_stat)
