# isogate_nft_netlink: the nftables ruleset model (policy/nft_ruleset.h) as one netlink
# transaction (libnftnl + libmnl), its commit and its readback verification.
add_library(isogate_nft_netlink STATIC
  ${CMAKE_CURRENT_LIST_DIR}/nft_batch.cc
  ${CMAKE_CURRENT_LIST_DIR}/nft_rule_encoder.cc
  ${CMAKE_CURRENT_LIST_DIR}/nft_netlink.cc)
target_include_directories(isogate_nft_netlink PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(isogate_nft_netlink PUBLIC isogate_policy PkgConfig::NFTNL)
