# The audit trail and the JSON-lines log on a full disk (issue 6), without root: the disk is
# "full" through RLIMIT_FSIZE.
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/disk_full_test.cc isogate_mgmt)
