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

/* RFC 3629's table, byte by byte: what hny_utf8_valid must accept. */
static int
s_utf8_reference (const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s [i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        else if (c >= 0xC0 && c <= 0xDF) { n = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF7) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (i + n >= len)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((s [i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s [i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

/* hny_utf8_valid against the reference: every string of up to three
   bytes, each also behind ASCII runs of every length up to 17 (the
   8-byte steps), and 300,000 random strings built of ASCII, every form of
   sequence (valid, overlong, surrogate, past U+10FFFF, cut short) and
   stray bytes. */
static void
s_test_utf8 (void)
{
    unsigned char buf [64];
    long wrong = 0;
    for (uint32_t v = 0; v < (1u << 24); v++) {
        buf [0] = (unsigned char) (v >> 16);
        buf [1] = (unsigned char) (v >> 8);
        buf [2] = (unsigned char) v;
        size_t len = v < 256 ? 1 : v < 65536 ? 2 : 3;
        const unsigned char *p = buf + 3 - len;
        if (hny_utf8_valid ((const char *) p, len) != s_utf8_reference (p, len))
            wrong++;
    }
    CHECK (wrong == 0);
    static const char *const pieces [] = {
        "a", "plain ASCII text", "\xc3\xa9", "\xe3\x81\x82", "\xef\xbd\x81", "\xf0\x9f\x98\x80",
        "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf",
        "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\x80", "\xbf",
        "\xe3\x81", "\xf0\x9f\x98", "\xc3", "\xe3\x41\x82", "\xe3\x81\xc0",
    };
    size_t npieces = sizeof pieces / sizeof pieces [0];
    srand (29);
    wrong = 0;
    for (int t = 0; t < 300000; t++) {
        size_t len = 0;
        int parts = rand () % 6;
        for (int k = 0; k < parts; k++) {
            const char *piece = pieces [rand () % npieces];
            size_t plen = strlen (piece);
            if (len + plen > sizeof buf)
                break;
            memcpy (buf + len, piece, plen);
            len += plen;
        }
        if (hny_utf8_valid ((const char *) buf, len) != s_utf8_reference (buf, len))
            wrong++;
    }
    CHECK (wrong == 0);
    /* behind ASCII runs of every length */
    for (size_t run = 0; run <= 17; run++)
        for (size_t i = 0; i < npieces; i++) {
            size_t plen = strlen (pieces [i]);
            memset (buf, 'x', run);
            memcpy (buf + run, pieces [i], plen);
            CHECK (hny_utf8_valid ((const char *) buf, run + plen) == s_utf8_reference (buf, run + plen));
        }
}

/* hny_utf8_length (eight bytes at a time) against a byte-by-byte count
   of the bytes that are not continuation bytes: random bytes of every
   length up to 40 at every offset, and text of 1-3-byte characters. */
static void
s_test_utf8_length (void)
{
    unsigned char buf [64];
    int wrong = 0;
    for (int t = 0; t < 20000; t++) {
        size_t off = (size_t) (t % 8), len = (size_t) (rand () % 41);
        for (size_t i = 0; i < off + len; i++)
            buf [i] = (unsigned char) (t % 3 == 0 ? 0x80 | (rand () & 0x7F) : rand ());
        size_t want = 0;
        for (size_t i = off; i < off + len; i++)
            want += (buf [i] & 0xC0) != 0x80;
        wrong += hny_utf8_length ((const char *) buf + off, len) != want;
    }
    CHECK (wrong == 0);
    CHECK (hny_utf8_length ("", 0) == 0);
    const char *text = "\xef\xbc\xb4\xe3\x83\x86" "a\xc3\xa9 \xe5\x85\xb1\xe7\x94\xa3\xe5\x85\x9a";
    CHECK (hny_utf8_length (text, strlen (text)) == 8);
}

/* hny_utf8_put against hny_utf8_valid and ICU's rule of lengths: every
   code point but the surrogates makes a valid sequence of the right length
   that hny_utf8_length counts as one. */
static void
s_test_utf8_put (void)
{
    int wrong = 0;
    for (unsigned long cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        char out [4];
        size_t n = hny_utf8_put (cp, out);
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        wrong += n != want || !hny_utf8_valid (out, n) || hny_utf8_length (out, n) != 1;
    }
    CHECK (wrong == 0);
    char out [4];
    CHECK (hny_utf8_put (0xE9, out) == 2 && memcmp (out, "\xc3\xa9", 2) == 0);
    CHECK (hny_utf8_put (0x1F600, out) == 4 && memcmp (out, "\xf0\x9f\x98\x80", 4) == 0);
}

int
main (void)
{
    s_test_cap ();
    s_test_sticky ();
    s_test_bytes ();
    s_test_growth ();
    s_test_utf8 ();
    s_test_utf8_length ();
    s_test_utf8_put ();
    return s_check_done ("test_util");
}
