# The administrators' documentation against the code: the Grafana dashboard only queries
# metrics isogate-mgmtd exports, the policy picture is what `graph --svg` draws today, and
# relative links in docs/ resolve (tests/docs/check_docs.py). Label "unit".
find_program(ISOGATE_SYSTEM_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
foreach(check dashboard links)
  add_test(NAME docs_${check} COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/check_docs.py
                                      ${check} ${PROJECT_SOURCE_DIR})
  set_tests_properties(docs_${check} PROPERTIES LABELS unit)
endforeach()
if(TARGET isogate-policy)
  add_test(NAME docs_graph COMMAND ${ISOGATE_SYSTEM_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/check_docs.py
                                   graph ${PROJECT_SOURCE_DIR} $<TARGET_FILE:isogate-policy>)
  set_tests_properties(docs_graph PROPERTIES LABELS unit)
endif()
