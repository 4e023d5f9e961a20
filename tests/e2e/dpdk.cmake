# End-to-end tests of the DPDK backend: the kernel backend's scenarios over net_af_packet
# ports on the gateway namespace's veths. Need root; label "e2e" (run with `ctest -L e2e`).
if(TARGET isogate-gw AND TARGET isogate_dpdk_backend)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  foreach(case matrix matrix2 lifecycle reload schedule)
    add_test(NAME e2e_dpdk_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_dpdk_backend.py
                     --gw $<TARGET_FILE:isogate-gw> ${case})
    set_tests_properties(e2e_dpdk_${case} PROPERTIES LABELS e2e TIMEOUT 240 RUN_SERIAL TRUE)
  endforeach()
endif()
