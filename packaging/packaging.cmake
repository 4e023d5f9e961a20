# The Debian package (CPack, DEB generator): install rules for the four commands, the
# example configuration under /etc/isogate, the systemd units, man pages generated at build
# time (help2man over each command's --help plus docs/man/*.h2m) and the maintainer scripts.
# Build it with `cpack --config <build>/CPackConfig.cmake` after building; see docs/deployment.md.

set(ISOGATE_PKG_DIR ${CMAKE_CURRENT_LIST_DIR})
set(ISOGATE_PKG_OUT ${PROJECT_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${ISOGATE_PKG_OUT}/man)

# `install` (and so cpack's pre-install step) must not build every test and benchmark;
# the package only needs the commands and the man pages, which the default build makes.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# Commands: daemons in sbin (section 8), operator tools in bin (section 1).
set(ISOGATE_PKG_COMMANDS)
foreach(spec "isogate-gw;sbin;8" "isogate-mgmtd;sbin;8" "isogatectl;bin;1" "isogate-policy;bin;1")
  list(GET spec 0 cmd)
  list(GET spec 1 dir)
  list(GET spec 2 section)
  if(TARGET ${cmd})
    install(TARGETS ${cmd} RUNTIME DESTINATION ${dir})
    list(APPEND ISOGATE_PKG_COMMANDS "${cmd}:${section}")
  else()
    message(STATUS "packaging: target ${cmd} not defined, left out of the package")
  endif()
endforeach()

# Man pages: the options come from the binary's own --help (so they cannot drift from the
# code), the prose (description, files, exit status, examples) from docs/man/CMD.h2m.
find_program(ISOGATE_HELP2MAN help2man)
find_program(ISOGATE_GZIP gzip)
set(ISOGATE_MAN_PAGES)
if(ISOGATE_HELP2MAN AND ISOGATE_GZIP)
  foreach(entry ${ISOGATE_PKG_COMMANDS})
    string(REPLACE ":" ";" entry "${entry}")
    list(GET entry 0 cmd)
    list(GET entry 1 section)
    set(include ${PROJECT_SOURCE_DIR}/docs/man/${cmd}.h2m)
    set(page ${ISOGATE_PKG_OUT}/man/${cmd}.${section})
    if(cmd STREQUAL "isogate-policy")
      # Each subcommand's own --help becomes a COMMANDS section (packaging/man_include.cmake).
      set(base ${include})
      set(include ${ISOGATE_PKG_OUT}/man/${cmd}.h2m)
      add_custom_command(
        OUTPUT ${include}
        COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
                ${CMAKE_COMMAND} -DBASE=${base} -DCMD=$<TARGET_FILE:${cmd}>
                -DSUBCOMMANDS=check,compile,trace,diff,graph,audit -DOUT=${include}
                -P ${ISOGATE_PKG_DIR}/man_include.cmake
        DEPENDS ${cmd} ${base} ${ISOGATE_PKG_DIR}/man_include.cmake
        VERBATIM)
    endif()
    # --no-discard-stderr: a command that prints its usage on stderr still gets a page.
    # Leak checking off: an ASan build's exit report must not end up in the page.
    add_custom_command(
      OUTPUT ${page}.gz
      COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
              ${ISOGATE_HELP2MAN} --no-info --no-discard-stderr --section=${section}
              --version-string=${PROJECT_VERSION} --include=${include} --output=${page}
              $<TARGET_FILE:${cmd}>
      COMMAND ${ISOGATE_GZIP} -9nf ${page}
      DEPENDS ${cmd} ${include}
      COMMENT "man page ${cmd}(${section})"
      VERBATIM)
    list(APPEND ISOGATE_MAN_PAGES ${page}.gz)
    install(FILES ${page}.gz DESTINATION share/man/man${section})
  endforeach()
  add_custom_target(isogate-man ALL DEPENDS ${ISOGATE_MAN_PAGES})
else()
  message(WARNING "packaging: help2man or gzip not found, no man pages (.ci/install-deps.sh installs help2man)")
endif()

# /etc/isogate: the example policy as policy.yaml and the kernel-backend gateway config
# pointing at it. The config is derived from configs/gw-nftables.yaml at configure time so
# the two cannot drift; the package test checks the pair with `isogate-policy check`.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/configs/gw-nftables.yaml)
file(READ ${PROJECT_SOURCE_DIR}/configs/gw-nftables.yaml gateway_yaml)
string(REGEX REPLACE "\npolicy: [^ \n]+" "\npolicy: policy.yaml" gateway_yaml "${gateway_yaml}")
string(REGEX REPLACE "^(#[^\n]*\n)+" "" gateway_yaml "${gateway_yaml}")  # its header names repo paths
file(WRITE ${ISOGATE_PKG_OUT}/gateway.yaml
     "# /etc/isogate/gateway.yaml, installed by the isogate package from configs/gw-nftables.yaml.\n"
     "# Edit interfaces, addresses and event destinations for this box, then:\n"
     "#   isogate-policy check /etc/isogate/policy.yaml --gateway /etc/isogate/gateway.yaml\n"
     "#   systemctl enable --now isogate-mgmtd isogate-gw\n"
     "${gateway_yaml}")
install(FILES ${ISOGATE_PKG_OUT}/gateway.yaml DESTINATION /etc/isogate)
install(FILES ${PROJECT_SOURCE_DIR}/configs/tianjin-egov-boundary.yaml DESTINATION /etc/isogate
        RENAME policy.yaml)
install(FILES ${ISOGATE_PKG_DIR}/logrotate/isogate DESTINATION /etc/logrotate.d)
install(FILES ${ISOGATE_PKG_DIR}/sysctl/60-isogate.conf DESTINATION lib/sysctl.d)

# systemd units and the DPDK drop-in example.
install(FILES ${ISOGATE_PKG_DIR}/systemd/isogate-gw.service ${ISOGATE_PKG_DIR}/systemd/isogate-mgmtd.service
        DESTINATION /lib/systemd/system)
install(FILES ${ISOGATE_PKG_DIR}/systemd/dpdk.conf DESTINATION share/doc/isogate/examples)

# Documentation next to the binaries (the guides reference each other by file name;
# docs/README.md is their index).
file(GLOB isogate_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${isogate_docs} ${ISOGATE_PKG_DIR}/debian/copyright
        DESTINATION share/doc/isogate)
foreach(sub images grafana)
  if(EXISTS ${PROJECT_SOURCE_DIR}/docs/${sub})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/${sub} DESTINATION share/doc/isogate)
  endif()
endforeach()

# conffiles: dpkg keeps an administrator's edits of these across upgrades.
file(WRITE ${ISOGATE_PKG_OUT}/conffiles
     "/etc/isogate/gateway.yaml\n/etc/isogate/policy.yaml\n/etc/logrotate.d/isogate\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME isogate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "isogate")
set(CPACK_PACKAGE_CONTACT "isogate maintainers <isogate@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "network isolation gateway for e-government zones")
set(CPACK_PACKAGE_DESCRIPTION
    "Enforces physical and logical isolation between government network zones (intranet,\n"
    "extranet, portal, Internet) with nftables or DPDK, reports every violation over syslog\n"
    "(RFC 5424) and detects links that should not exist. Contains isogate-gw,\n"
    "isogate-mgmtd, isogatectl, isogate-policy and their systemd units.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps over the installed binaries.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nftables, rsyslog")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "dpdk, graphviz")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${ISOGATE_PKG_DIR}/debian/postinst ${ISOGATE_PKG_DIR}/debian/prerm ${ISOGATE_PKG_DIR}/debian/postrm
    ${ISOGATE_PKG_OUT}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# The package's end-to-end test lives in tests/e2e/package.cmake.
