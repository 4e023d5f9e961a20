// A property check for fuzz targets: when an invariant of the code under test
// does not hold, print which one and abort, so libFuzzer saves the input as a
// crash (a plain assert would vanish in a release build).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)
