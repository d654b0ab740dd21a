/*  fuzz_markup.c: fuzz target for hny_markup.h: parsing the inline form of
    a segment (untrusted article text) and restoring a backend's
    translation (untrusted service output) against the parsed source.

    Input format: byte 0 holds flags (bit 0: restore without markup even
    when the source has elements; bits 1-7 pick a render sub-range); the
    rest is the source in the inline form, then optionally a NUL byte and
    the translation. Without a NUL the translation is the source's own
    protected text (the round trip that must give the source back).

    Invariants: parsed text and restored output are valid UTF-8 when the
    input was; every tag a reader would see in any output is paired and
    properly nested; a restore that warns emits no tags; rendering the
    whole text is stable under re-parsing; protect then restore of the
    unchanged text gives the rendered source back without a warning.

    Built with -DHNY_FUZZ=ON (clang, libFuzzer) it is a plain fuzz target;
    otherwise main() runs N deterministic cases (argv[1], default 100000)
    of random bytes, seed sources, and their protected texts mutated the
    way a translation service might (tokens lost, doubled, swapped, moved,
    renumbered; quotes and markup-like text inserted; truncation). */

#include "hny_markup.h"

#include "honyaku/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"

#define S_HREF_PREFIX "<a href=\""

static long s_restored [2];     /* [0] clean, [1] with a warning: main checks both happen */

/* A tag of the inline form at p as a reader sees it (hny_markup.h): sets
   *tag (1 b, 2 i, 3 a) and *closing, returns its length; 0 when none. */
static size_t
s_reader_tag (const char *p, const char *end, int *tag, int *closing)
{
    static const struct { const char *text; int tag, closing; } simple [] = {
        { "<b>", 1, 0 }, { "</b>", 1, 1 }, { "<i>", 2, 0 }, { "</i>", 2, 1 }, { "</a>", 3, 1 }
    };
    size_t left = (size_t) (end - p);
    for (size_t i = 0; i < sizeof simple / sizeof simple [0]; i++) {
        size_t n = strlen (simple [i].text);
        if (left >= n && memcmp (p, simple [i].text, n) == 0) {
            *tag = simple [i].tag;
            *closing = simple [i].closing;
            return n;
        }
    }
    size_t pre = strlen (S_HREF_PREFIX);
    if (left < pre || memcmp (p, S_HREF_PREFIX, pre) != 0)
        return 0;
    const char *v = p + pre, *q = v;
    while (q < end && *q != '"' && *q != '<' && *q != '\n' && q - v <= HNY_MARKUP_MAX_HREF)
        q++;
    if (q - v > HNY_MARKUP_MAX_HREF || end - q < 2 || q [0] != '"' || q [1] != '>')
        return 0;
    *tag = 3;
    *closing = 0;
    return (size_t) (q + 2 - p);
}

/* Every tag a reader finds in [text, text + len) is paired and properly
   nested. Returns the number of tags, or -1 when they do not balance. */
static long
s_balanced (const char *text, size_t len)
{
    int stack [4 * HNY_MARKUP_MAX_ELEMENTS];
    size_t depth = 0;
    long tags = 0;
    const char *end = text + len;
    for (const char *p = text; p < end; ) {
        int tag, closing;
        size_t n = *p == '<' ? s_reader_tag (p, end, &tag, &closing) : 0;
        if (!n) {
            p++;
            continue;
        }
        tags++;
        if (!closing) {
            if (depth == sizeof stack / sizeof stack [0])
                return -1;
            stack [depth++] = tag;
        }
        else if (depth == 0 || stack [--depth] != tag)
            return -1;
        p += n;
    }
    return depth == 0 ? tags : -1;
}

/* What must hold for any inline form the module emits. */
static void
s_check_output (const char *out, size_t len, int input_valid)
{
    S_REQUIRE (out);
    S_REQUIRE (strlen (out) == len);
    if (input_valid)
        S_REQUIRE (hny_utf8_valid (out, len));
    S_REQUIRE (s_balanced (out, len) >= 0);
}

/* Check one source and one translation. */
static void
s_run (const char *src, size_t src_len, const char *tgt, size_t tgt_len, int have_tgt,
       unsigned flags)
{
    int src_valid = hny_utf8_valid (src, src_len);
    hny_markup_t *m = hny_markup_parse (src, src_len);
    S_REQUIRE (m);
    size_t plain_len = 0;
    const char *plain = hny_markup_text (m, &plain_len);
    S_REQUIRE (plain && strlen (plain) <= plain_len && plain [plain_len] == '\0');
    if (src_valid)
        S_REQUIRE (hny_utf8_valid (plain, plain_len));
    size_t count = hny_markup_count (m);
    S_REQUIRE (count <= HNY_MARKUP_MAX_ELEMENTS);

    /* The whole text rendered: balanced, and stable under re-parsing. */
    size_t full_len = 0;
    char *full = hny_markup_render (m, 0, plain_len, &full_len);
    s_check_output (full, full_len, src_valid);
    hny_markup_t *again = hny_markup_parse (full, full_len);
    size_t again_len = 0;
    const char *again_plain = hny_markup_text (again, &again_len);
    S_REQUIRE (again_len == plain_len && memcmp (again_plain, plain, plain_len) == 0);
    S_REQUIRE (hny_markup_count (again) == count);
    size_t full2_len = 0;
    char *full2 = hny_markup_render (again, 0, again_len, &full2_len);
    S_REQUIRE (full2_len == full_len && memcmp (full2, full, full_len) == 0);
    free (full2);
    hny_markup_destroy (&again);

    /* A sub-range (a segment of a paragraph): balanced too. */
    if (plain_len > 0) {
        size_t a = (flags >> 1) % (plain_len + 1);
        size_t b = a + (flags * 7u) % (plain_len - a + 1);
        size_t part_len = 0;
        char *part = hny_markup_render (m, a, b, &part_len);
        s_check_output (part, part_len, 0);
        free (part);
    }

    /* The escape alone: no tag survives it, the text decodes back. */
    size_t esc_len = 0;
    char *esc = hny_markup_escape (plain, plain_len, &esc_len);
    S_REQUIRE (s_balanced (esc, esc_len) == 0);
    hny_markup_t *unesc = hny_markup_parse (esc, esc_len);
    size_t unesc_len = 0;
    const char *unesc_plain = hny_markup_text (unesc, &unesc_len);
    S_REQUIRE (unesc_len == plain_len && memcmp (unesc_plain, plain, plain_len) == 0);
    hny_markup_destroy (&unesc);
    free (esc);

    /* Placeholders: the unchanged protected text restores to the source. */
    size_t prot_len = 0;
    char *prot = hny_markup_protect (m, &prot_len);
    int with_markup = prot != NULL && count > 0 && !(flags & 1);
    if (prot) {
        S_REQUIRE (strlen (prot) == prot_len);
        if (src_valid)
            S_REQUIRE (hny_utf8_valid (prot, prot_len));
        if (count > 0) {
            char *warning = NULL;
            char *back = hny_markup_restore (m, 1, prot, prot_len, &warning);
            if (warning || strcmp (back, full) != 0) {
                fprintf (stderr, "round trip differs:\n src  %.*s\n back %s\n warn %s\n",
                         (int) src_len, src, back, warning ? warning : "-");
                abort ();
            }
            free (back);
        }
    }
    else
        S_REQUIRE (count > 0);      /* protect refuses only what it must */

    /* The translation: the given one, else the protected text. */
    if (!have_tgt) {
        tgt = prot ? prot : plain;
        tgt_len = prot ? prot_len : plain_len;
    }
    int tgt_valid = hny_utf8_valid (tgt, tgt_len) && !memchr (tgt, '\0', tgt_len);
    char *warning = NULL;
    char *out = hny_markup_restore (m, with_markup, tgt, tgt_len, &warning);
    S_REQUIRE (out);
    size_t out_len = strlen (out);
    s_check_output (out, out_len, tgt_valid && src_valid);
    s_restored [warning != NULL]++;
    if (warning) {
        S_REQUIRE (*warning && hny_utf8_valid (warning, strlen (warning)));
        S_REQUIRE (s_balanced (out, out_len) == 0);    /* broken markup: none at all */
        free (warning);
    }
    if (!with_markup)
        S_REQUIRE (s_balanced (out, out_len) == 0);
    /* What was stored parses back to text with at most the source's elements. */
    hny_markup_t *stored = hny_markup_parse (out, out_len);
    S_REQUIRE (hny_markup_count (stored) <= count);
    hny_markup_destroy (&stored);

    /* Quotes alone: never breaks valid text. */
    char *quoted = hny_markup_quotes (plain, plain_len, tgt, tgt_len);
    S_REQUIRE (quoted);
    if (tgt_valid)
        S_REQUIRE (hny_utf8_valid (quoted, strlen (quoted)));
    free (quoted);

    free (out);
    free (prot);
    free (full);
    hny_markup_destroy (&m);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        hny_log_init ("fuzz_markup", HNY_LOG_ERROR);
        init = 1;
    }
    if (size == 0)
        return 0;
    unsigned flags = data [0];
    const char *src = (const char *) data + 1;
    size_t rest = size - 1;
    const char *nul = memchr (src, '\0', rest);
    size_t src_len = nul ? (size_t) (nul - src) : rest;
    const char *tgt = nul ? nul + 1 : NULL;
    size_t tgt_len = nul ? rest - src_len - 1 : 0;
    s_run (src, src_len, tgt, tgt_len, nul != NULL, flags);
    return 0;
}

#ifndef HNY_FUZZING

#include "fuzz_rand.h"

/* Sources in the inline form, as prepare emits them and as articles hold them. */
static const char *const s_seeds [] = {
    "Hello <b>brave</b> new <i>world</i>.",
    "<b>Bold <i>and italic</i></b> and <a href=\"https://example.com/?a=1&amp;b=2\">a link</a>.",
    "Nested <a href=\"x\"><b><i>deep</i></b></a> text, “curly” and ‘single’ quotes.",
    "Plain \"straight\" quotes, R&D, a < b and x > y, &lt;b&gt; is text.",
    "<i>Whole segment in italics</i>",
    "Empty <b></b> element and <i> unclosed, </b> stray, <a href=\"no-close\">.",
    "首相は<b>１０日</b>、<i>記者会見</i>で「<a href=\"https://x.jp/a\">発表</a>」した。",
    "A ⟦1⟧ token in the text <b>with markup</b>.",
    "Entities &amp;lt; &quot;q&quot; <a href=\"a&quot;b&lt;c&amp;d\">link</a> done.",
    "<b>a</b><b>b</b><i>c</i><i><b>d</b></i> it's",
    "",
    "<b>x</b>",
};
#define S_SEED_COUNT (sizeof s_seeds / sizeof s_seeds [0])

/* What services do to text, and what looks like markup but is not. */
static const char *const s_tokens [] = {
    "⟦1⟧", "⟦/1⟧", "⟦2⟧", "⟦/2⟧", "⟦3⟧", "⟦/3⟧", "⟦0⟧", "⟦9999⟧", "⟦/77⟧", "⟦", "⟧", "⟦/",
    "<b>", "</b>", "<i", "<a href=\"", "\">", "</a>", "<", ">", "&", "&lt;", "&amp", "&quot;",
    "\"", "'", "“", "”", "„", "‘", "’", "「", " ", "  ", "\n", "\xC3", "\xE2\x9F", "\0", "é",
};
#define S_TOKEN_COUNT (sizeof s_tokens / sizeof s_tokens [0])

/* A buffer being mutated. */
typedef struct {
    char data [16384];
    size_t len;
} s_buf_t;

static void
s_insert (s_buf_t *b, size_t at, const char *text, size_t n)
{
    if (b->len + n > sizeof b->data || at > b->len)
        return;
    memmove (b->data + at + n, b->data + at, b->len - at);
    memcpy (b->data + at, text, n);
    b->len += n;
}

static void
s_erase (s_buf_t *b, size_t at, size_t n)
{
    if (at >= b->len)
        return;
    if (n > b->len - at)
        n = b->len - at;
    memmove (b->data + at, b->data + at + n, b->len - at - n);
    b->len -= n;
}

/* Offsets of the placeholder tokens in b (at most max). */
static size_t
s_find_tokens (const s_buf_t *b, size_t *at, size_t *len, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i + 3 <= b->len && n < max; i++) {
        if (memcmp (b->data + i, "\xE2\x9F\xA6", 3) != 0)
            continue;
        const char *close = memmem (b->data + i + 3, b->len - i - 3, "\xE2\x9F\xA7", 3);
        if (!close || close - (b->data + i) > 10)
            continue;
        at [n] = i;
        len [n] = (size_t) (close + 3 - (b->data + i));
        n++;
    }
    return n;
}

/* One translation-like edit of b. */
static void
s_mutate (s_buf_t *b)
{
    size_t at [64], len [64];
    size_t n = s_find_tokens (b, at, len, 64);
    switch (s_below (9)) {
        case 0:         /* a token lost */
            if (n) {
                size_t k = s_below (n);
                s_erase (b, at [k], len [k]);
            }
            break;
        case 1: {       /* a token doubled or moved */
            if (!n)
                break;
            size_t k = s_below (n);
            char tok [16];
            memcpy (tok, b->data + at [k], len [k]);
            size_t tl = len [k];
            if (s_below (2))
                s_erase (b, at [k], tl);
            s_insert (b, s_below (b->len + 1), tok, tl);
            break;
        }
        case 2: {       /* two tokens swapped (crossing, closing before opening) */
            if (n < 2)
                break;
            size_t i = s_below (n), j = s_below (n);
            if (i == j)
                break;
            if (i > j) {
                size_t t = i; i = j; j = t;
            }
            char ti [16], tj [16];
            memcpy (ti, b->data + at [i], len [i]);
            memcpy (tj, b->data + at [j], len [j]);
            size_t li = len [i], lj = len [j];
            s_erase (b, at [j], lj);
            s_insert (b, at [j], ti, li);
            s_erase (b, at [i], li);
            s_insert (b, at [i], tj, lj);
            break;
        }
        case 3: {       /* the next token moved right after this one (an emptied element) */
            if (n < 2)
                break;
            size_t k = s_below (n - 1);
            char tok [16];
            size_t tl = len [k + 1];
            memcpy (tok, b->data + at [k + 1], tl);
            s_erase (b, at [k + 1], tl);
            s_insert (b, at [k] + len [k], tok, tl);
            break;
        }
        case 4:         /* a byte changed */
            if (b->len)
                b->data [s_below (b->len)] = (char) s_rand ();
            break;
        case 5:         /* truncated */
            b->len = s_below (b->len + 1);
            break;
        case 6: {       /* a range deleted */
            size_t a = s_below (b->len + 1);
            s_erase (b, a, s_below (12));
            break;
        }
        default: {      /* a token of the list inserted */
            const char *t = s_tokens [s_below (S_TOKEN_COUNT)];
            size_t tl = *t ? strlen (t) : 1;
            s_insert (b, s_below (b->len + 1), t, tl);
            break;
        }
    }
}

/* Fixed inputs (flags byte, source, NUL, translation) that once failed or
   guard an edge: each runs before the random cases. */
static const struct { const char *bytes; size_t len; } s_regressions [] = {
#define S_REG(lit) { lit, sizeof lit - 1 }
    /* an emptied element splits the text around it: "<b" + ">" must not
       become a tag */
    S_REG ("\x00" "<b>x</b> y\0" "<b⟦1⟧⟦/1⟧>z"),
    S_REG ("\x00" "<b>x</b> y<i>w</i>\0" "<b⟦1⟧⟦/1⟧>z</⟦2⟧⟦/2⟧b>"),
    /* a '<' inside a would-be href, escaped, made the "<a href=" before it a tag */
    S_REG ("\x00" "<a href=\"x<b>y\">t</a> z"),
    /* an href of bare '&' grows when escaped */
    S_REG ("\x00" "<a href=\"&&&&\">x</a>"),
#undef S_REG
};

int
main (int argc, char **argv)
{
    long cases = argc > 1 ? strtol (argv [1], NULL, 10) : 100000;
    static s_buf_t src, tgt;
    static uint8_t input [sizeof src.data + sizeof tgt.data + 2];

    for (size_t i = 0; i < sizeof s_regressions / sizeof s_regressions [0]; i++)
        LLVMFuzzerTestOneInput ((const uint8_t *) s_regressions [i].bytes, s_regressions [i].len);
    /* A long href of bare '&' (near the cap): rendered escaped, it must stay a link. */
    {
        s_buf_t *b = &src;
        b->len = 0;
        s_insert (b, 0, "\x00<a href=\"", 10);
        for (int k = 0; k < HNY_MARKUP_MAX_HREF - 8; k++)
            s_insert (b, b->len, k % 3 ? "x" : "&", 1);
        s_insert (b, b->len, "\">link</a> tail", 15);
        LLVMFuzzerTestOneInput ((const uint8_t *) b->data, b->len);
    }
    /* Many elements, past the cap. */
    {
        s_buf_t *b = &src;
        b->len = 0;
        s_insert (b, 0, "\x01", 1);
        for (int k = 0; k < HNY_MARKUP_MAX_ELEMENTS + 20; k++)
            s_insert (b, b->len, k % 2 ? "<b>x" : "<i>y", 4);
        for (int k = HNY_MARKUP_MAX_ELEMENTS + 19; k >= 0; k--)
            s_insert (b, b->len, k % 2 ? "</b>" : "</i>", 4);
        LLVMFuzzerTestOneInput ((const uint8_t *) b->data, b->len);
    }

    for (long c = 0; c < cases; c++) {
        int mode = (int) s_below (10);
        size_t len = 0;
        input [len++] = (uint8_t) s_rand ();
        if (mode == 0) {
            /* Noise, with and without a translation part. */
            size_t n = s_below (200);
            for (size_t i = 0; i < n; i++) {
                uint8_t byte = (uint8_t) s_rand ();
                input [len++] = s_below (4) ? (uint8_t) "<>&/bia\"⟦ x"[byte % 11] : byte;
            }
        }
        else {
            /* A seed source, sometimes mutated itself (mode 1-2). */
            src.len = 0;
            const char *seed = s_seeds [s_below (S_SEED_COUNT)];
            s_insert (&src, 0, seed, strlen (seed));
            if (s_below (3) == 0) {
                const char *more = s_seeds [s_below (S_SEED_COUNT)];
                s_insert (&src, src.len, more, strlen (more));
            }
            if (mode <= 2) {
                int edits = 1 + (int) s_below (4);
                for (int e = 0; e < edits; e++)
                    s_mutate (&src);
            }
            /* Sources never hold NUL here: it separates the translation. */
            for (size_t i = 0; i < src.len; i++)
                if (src.data [i] == '\0')
                    src.data [i] = ' ';
            memcpy (input + len, src.data, src.len);
            len += src.len;
            if (mode >= 4) {
                /* Its protected text, edited as a service might. */
                hny_markup_t *m = hny_markup_parse (src.data, src.len);
                size_t plen = 0;
                char *prot = hny_markup_protect (m, &plen);
                if (!prot)
                    prot = hny_strndup (hny_markup_text (m, NULL), strlen (hny_markup_text (m, NULL)));
                tgt.len = 0;
                s_insert (&tgt, 0, prot, strlen (prot));
                free (prot);
                hny_markup_destroy (&m);
                int edits = (int) s_below (5);
                for (int e = 0; e < edits; e++)
                    s_mutate (&tgt);
                input [len++] = '\0';
                memcpy (input + len, tgt.data, tgt.len);
                len += tgt.len;
            }
        }
        /* Exact-size copy so that ASan sees any read past the input. */
        uint8_t *copy = hny_malloc (len ? len : 1);
        memcpy (copy, input, len);
        LLVMFuzzerTestOneInput (copy, len);
        free (copy);
    }
    printf ("fuzz_markup: %ld cases: %ld restored clean, %ld with markup dropped, no crash\n",
            cases, s_restored [0], s_restored [1]);
    /* A driver that never breaks the placeholders (or always does) tests little. */
    if (cases >= 1000 && (s_restored [0] < cases / 20 || s_restored [1] < cases / 50)) {
        fprintf (stderr, "fuzz_markup: implausible split of outcomes\n");
        return 1;
    }
    return 0;
}
#endif
