# End-to-end tests of the kernel backend: real traffic through network namespaces the tests
# build and remove themselves. Need root; label "e2e" (run with `ctest -L e2e`).
if(TARGET isogate-gw)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  foreach(case matrix lifecycle reload schedule)
    add_test(NAME e2e_kernel_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_kernel_backend.py
                     --gw $<TARGET_FILE:isogate-gw> ${case})
    set_tests_properties(e2e_kernel_${case} PROPERTIES LABELS e2e TIMEOUT 180 RUN_SERIAL TRUE)
  endforeach()
endif()
