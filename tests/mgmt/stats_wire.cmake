# Unit tests of the gateway's counter reports on the event wire (mgmt/event_wire.h) with the
# drop reason names the backends really send.
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/stats_wire_test.cc isogate_mgmt)
