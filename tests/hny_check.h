/*  hny_check.h: the checks of a unit test program: CHECK reports a failed
    condition with its file and line, counts it and goes on, so that one
    run shows every failure; CHECK_STR does the same for a string that
    must equal another; s_check_done ends main with the verdict. A test
    may count a failure of its own with s_failures++.
    Header-only, like fuzz_rand.h: each test is one program. */
#ifndef HNY_CHECK_H
#define HNY_CHECK_H

#include <stdio.h>
#include <string.h>

static int s_failures = 0;      /* failed checks so far */
static int s_checks = 0;        /* CHECKs and CHECK_STRs run so far */

#define CHECK(cond) do { \
    s_checks++; \
    if (!(cond)) { \
        fprintf (stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        s_failures++; \
    } \
} while (0)

/* got (may be NULL: a failure) must equal want; each is evaluated once. */
#define CHECK_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    s_checks++; \
    if (!g_ || strcmp (g_, w_) != 0) { \
        fprintf (stderr, "%s:%d: got [%s], want [%s]\n", __FILE__, __LINE__, \
                 g_ ? g_ : "(null)", w_); \
        s_failures++; \
    } \
} while (0)

/* main's return value: 0 and "TEST: ok" on stdout when no check failed,
   else 1 and "TEST: M failures" on stderr; either with " (N checks)"
   when the test counted its checks with CHECK and CHECK_STR. */
static inline int
s_check_done (const char *test)
{
    char checks[32] = "";
    if (s_checks)
        snprintf (checks, sizeof checks, " (%d checks)", s_checks);
    if (s_failures) {
        fprintf (stderr, "%s: %d failures%s\n", test, s_failures, checks);
        return 1;
    }
    printf ("%s: ok%s\n", test, checks);
    return 0;
}

#endif
