# Least privilege (issue 6): isogate-gw (kernel and DPDK backend) and isogate-mgmtd started as root
# with --user, checked from /proc and by their work (test_privileges.py). Need root and
# namespaces, make a unix user and groups (removed at the end); label "e2e".
if(TARGET isogate-gw AND TARGET isogate-mgmtd AND TARGET isogatectl)
  find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  set(cases kernel)
  if(TARGET isogate_dpdk_backend)
    list(APPEND cases dpdk)
  endif()
  foreach(case ${cases})
    add_test(NAME e2e_privileges_${case}
             COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_privileges.py
                     --gw $<TARGET_FILE:isogate-gw> --mgmtd $<TARGET_FILE:isogate-mgmtd>
                     --ctl $<TARGET_FILE:isogatectl> ${case})
    set_tests_properties(e2e_privileges_${case} PROPERTIES LABELS e2e TIMEOUT 180 RUN_SERIAL TRUE)
  endforeach()
endif()
