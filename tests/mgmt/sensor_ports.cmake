# Unit tests of mgmt/sensor_ports (which monitor ports isogate-mgmtd's sensors watch).
isogate_add_test(${CMAKE_CURRENT_LIST_DIR}/sensor_ports_test.cc isogate_mgmt)
