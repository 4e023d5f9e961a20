# libFuzzer targets (tests/fuzz/*_fuzz.cc): built only with clang and -DISOGATE_FUZZ=ON
# (together with -DISOGATE_SANITIZE=ON, so every input runs under ASan+UBSan).
# tests/fuzz/run_short.sh builds them in build/fuzz and runs each one briefly;
# bench/fuzz/run_long.sh runs them for longer. Target names: fuzz_<file name>.
option(ISOGATE_FUZZ "Build the libFuzzer targets (clang only, with ISOGATE_SANITIZE=ON)" OFF)
if(ISOGATE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "ISOGATE_FUZZ=ON needs clang (-DCMAKE_CXX_COMPILER=clang++)")
  endif()
  if(NOT ISOGATE_SANITIZE)
    message(FATAL_ERROR "ISOGATE_FUZZ=ON needs ISOGATE_SANITIZE=ON (fuzzing without ASan+UBSan "
                        "finds only the crashes that happen to segfault)")
  endif()
  # The code under test gets coverage instrumentation; only the fuzz targets link libFuzzer's main.
  foreach(lib isogate_policy isogate_mgmt_client isogate_mgmt isogate_dataplane
              isogate_dataplane_testkit)
    if(TARGET ${lib})
      target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
    endif()
  endforeach()

  add_custom_target(isogate_fuzzers)
  function(isogate_add_fuzzer src)
    get_filename_component(name ${src} NAME_WE)
    set(target fuzz_${name})
    add_executable(${target} ${src})
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${target} PRIVATE ${ARGN})
    target_compile_definitions(${target} PRIVATE ISOGATE_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    add_dependencies(isogate_fuzzers ${target})
  endfunction()

  set(dir ${CMAKE_CURRENT_LIST_DIR})
  isogate_add_fuzzer(${dir}/policy_fuzz.cc isogate_policy)
  isogate_add_fuzzer(${dir}/gateway_config_fuzz.cc isogate_policy)
  isogate_add_fuzzer(${dir}/control_protocol_fuzz.cc isogate_mgmt)
  isogate_add_fuzzer(${dir}/event_fuzz.cc isogate_mgmt)
  if(TARGET isogate_dataplane_testkit)
    isogate_add_fuzzer(${dir}/packet_fuzz.cc isogate_dataplane_testkit isogate_dataplane)
  endif()
endif()
