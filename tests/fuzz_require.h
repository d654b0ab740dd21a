/*  fuzz_require.h: the invariant check of the fuzz drivers. Not assert():
    release builds define NDEBUG, and these checks are the test. A failed
    one names its place and aborts, which libFuzzer and the standalone
    mode both report as a crash. Header-only: each driver is one program. */
#ifndef HNY_FUZZ_REQUIRE_H
#define HNY_FUZZ_REQUIRE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define S_REQUIRE(cond) do { \
    if (!(cond)) { \
        fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
        abort (); \
    } \
} while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
