/*  fuzz_rand.h: the deterministic pseudo-random source of the fuzz drivers'
    standalone mode (xorshift64*), so that a failure reproduces by case
    number. Header-only: each driver is one program. */
#ifndef HNY_FUZZ_RAND_H
#define HNY_FUZZ_RAND_H

#include <stddef.h>
#include <stdint.h>

static uint64_t s_state = 0x9E3779B97F4A7C15ULL;

static inline uint64_t
s_rand (void)
{
    s_state ^= s_state >> 12;
    s_state ^= s_state << 25;
    s_state ^= s_state >> 27;
    return s_state * 0x2545F4914F6CDD1DULL;
}

/* A number in [0, n); 0 when n is 0. */
static inline size_t
s_below (size_t n)
{
    return n ? (size_t) (s_rand () % n) : 0;
}

#endif
