/*  test_util.c: the capped string buffer of honyaku/util.h (hny_buf_t):
    adds up to the cap and not one byte past it, the sticky refusal that
    keeps the content whole, reset, truncate, take, and the growth that
    never allocates more than the cap can use. */
#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Up to the cap exactly, then refused, content kept as it was. */
static void
s_test_cap (void)
{
    hny_buf_t b = HNY_BUF_INIT (8);
    CHECK (b.data == NULL && strcmp (hny_buf_str (&b), "") == 0);
    CHECK (hny_buf_room (&b) == 8);
    CHECK (hny_buf_adds (&b, "abc") == 0);
    CHECK (hny_buf_add (&b, "defgh", 5) == 0);          /* exactly 8 */
    CHECK (b.len == 8 && strcmp (b.data, "abcdefgh") == 0 && !b.toobig);
    CHECK (hny_buf_room (&b) == 0);
    CHECK (b.alloc == 9);                               /* never more than the cap can use */
    CHECK (hny_buf_add (&b, "", 0) == 0);               /* nothing more is still fine */
    CHECK (hny_buf_add (&b, "i", 1) == -1);
    CHECK (b.toobig && b.len == 8 && strcmp (b.data, "abcdefgh") == 0);
    hny_buf_free (&b);
    CHECK (b.data == NULL && b.len == 0 && b.max == 8 && !b.toobig);
}

/* A refused add leaves the content whole, and so does every add after
   it, even one that would fit: no string with a hole in its middle. */
static void
s_test_sticky (void)
{
    hny_buf_t b = HNY_BUF_INIT (10);
    CHECK (hny_buf_adds (&b, "head ") == 0);
    CHECK (hny_buf_adds (&b, "a long middle") == -1);
    CHECK (hny_buf_room (&b) == 0);
    CHECK (hny_buf_adds (&b, "tail") == -1);
    CHECK (strcmp (b.data, "head ") == 0 && b.toobig);
    /* reset: empty, usable again, memory and cap kept */
    char *before = b.data;
    hny_buf_reset (&b);
    CHECK (!b.toobig && b.len == 0 && b.data == before && b.data [0] == '\0');
    CHECK (hny_buf_adds (&b, "0123456789") == 0 && b.len == 10);
    /* the first add alone past the cap: nothing allocated */
    hny_buf_t c = HNY_BUF_INIT (4);
    CHECK (hny_buf_adds (&c, "12345") == -1);
    CHECK (c.data == NULL && c.len == 0 && c.toobig);
    CHECK (strcmp (hny_buf_str (&c), "") == 0);
    hny_buf_free (&b);
    hny_buf_free (&c);
}

/* Bytes are bytes: NULs inside, truncate, take. */
static void
s_test_bytes (void)
{
    hny_buf_t b = HNY_BUF_INIT (64);
    CHECK (hny_buf_add (&b, "a\0b", 3) == 0);
    CHECK (b.len == 3 && memcmp (b.data, "a\0b", 4) == 0);
    hny_buf_truncate (&b, 1);
    CHECK (b.len == 1 && strcmp (b.data, "a") == 0);
    size_t len = 0;
    char *s = hny_buf_take (&b, &len);
    CHECK (len == 1 && strcmp (s, "a") == 0);
    CHECK (b.data == NULL && b.len == 0 && b.alloc == 0 && b.max == 64);
    free (s);
    /* taking an empty buffer gives "" the caller owns */
    s = hny_buf_take (&b, &len);
    CHECK (s && len == 0 && *s == '\0');
    free (s);
    /* truncate on a buffer never added to */
    hny_buf_truncate (&b, 0);
    CHECK (b.data == NULL);
}

/* Growth by doubling, with the content intact across reallocations. */
static void
s_test_growth (void)
{
    hny_buf_t b = HNY_BUF_INIT (100000);
    char piece [7] = "piece.";
    size_t adds = 0;
    while (hny_buf_add (&b, piece, 6) == 0)
        adds++;
    CHECK (adds == 100000 / 6);
    CHECK (b.len == adds * 6 && b.toobig);
    CHECK (b.alloc <= 100001 && b.alloc > b.len);
    int whole = 1;
    for (size_t i = 0; i < b.len; i += 6)
        whole &= memcmp (b.data + i, piece, 6) == 0;
    CHECK (whole && b.data [b.len] == '\0');
    hny_buf_free (&b);
    /* a large cap costs nothing until used */
    hny_buf_t big = HNY_BUF_INIT ((size_t) 1 << 40);
    CHECK (hny_buf_adds (&big, "x") == 0 && big.alloc <= 64);
    hny_buf_free (&big);
}

int
main (void)
{
    s_test_cap ();
    s_test_sticky ();
    s_test_bytes ();
    s_test_growth ();
    return s_check_done ("test_util");
}
