# Unit tests of mgmt/privileges (the daemons' --user drop). The drop itself runs in forked
# children and needs root; without root those cases skip and the lookups are still tested.
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/privileges_test.cc isogate_mgmt)
