# The flow snapshot path on the management side (wire, reassembly, `flows` command and
# isogatectl's table, whose source is compiled in: it is not part of a library).
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/flows_test.cc isogate_mgmt)
target_sources(mgmt_flows_test PRIVATE ${PROJECT_SOURCE_DIR}/mgmt/ctl/ctl_output.cc)
