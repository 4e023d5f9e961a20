# The reload loop of issue 6 against the DPDK backend (test_faults_dpdk.py reload_loop):
# hundreds of reloads alternating good and broken policies under an allowed TCP stream and
# denied traffic, over net_af_packet ports in namespaces the test builds and removes.
# Two worker lcores (two queue pairs per port): every reload waits for both workers' quiescent
# state, and each keeps its own connection table. Needs root; label "e2e".
if(TARGET isogate-gw AND TARGET isogate_dpdk_backend)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_test(NAME e2e_faults_dpdk_reload_loop
           COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_faults_dpdk.py
                   --gw $<TARGET_FILE:isogate-gw> --workers 2 reload_loop)
  set_tests_properties(e2e_faults_dpdk_reload_loop PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)
endif()
