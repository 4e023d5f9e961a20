# EventSender counts a refused aggregated event as its occurrences (the DPDK storm's accounting).
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/event_sender_loss_test.cc isogate_mgmt)
