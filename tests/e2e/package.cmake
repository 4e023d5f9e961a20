# The Debian package, end to end: cpack, dpkg -i on this machine, the units' commands run
# with their credentials in a namespace topology, dpkg --purge (tests/e2e/test_package.py
# says exactly what is and is not covered). Needs root; label "e2e".
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl AND TARGET isogate-policy)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  add_test(NAME e2e_package
           COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_package.py
                   --build-dir ${PROJECT_BINARY_DIR} --cpack ${CMAKE_CPACK_COMMAND})
  set_tests_properties(e2e_package PROPERTIES LABELS e2e TIMEOUT 600 RUN_SERIAL TRUE)
endif()
