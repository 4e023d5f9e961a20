# The kernel conntrack table watch of the kernel backend (no root, except one test that reads
# a fresh network namespace's /proc/net/stat/nf_conntrack and skips without root).
if(TARGET isogate_gateway)
  isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/conntrack_stat_test.cc isogate_gateway)
endif()
