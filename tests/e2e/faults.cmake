# Fault tests of the kernel backend (issue 6): a reload loop and kill -9 under traffic.
# Need root and namespaces; label "e2e".
if(TARGET isogate-gw)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  foreach(case reload_loop kill9)
    add_test(NAME e2e_faults_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_faults.py
                     --gw $<TARGET_FILE:isogate-gw> ${case})
    set_tests_properties(e2e_faults_${case} PROPERTIES LABELS e2e TIMEOUT 300 RUN_SERIAL TRUE)
  endforeach()
endif()
