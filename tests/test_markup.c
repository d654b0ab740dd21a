/*  test_markup.c: the inline markup form (hny_markup): parse and render
    round trips, ranges that cut elements, hostile markup, the placeholder
    round trip with lost, duplicated, crossed and unknown placeholders, and
    quote consistency. */
#include "hny_markup.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* parse + render the whole text */
static char *
s_roundtrip (const char *src)
{
    hny_markup_t *m = hny_markup_parse (src, strlen (src));
    size_t len;
    hny_markup_text (m, &len);
    char *out = hny_markup_render (m, 0, len, NULL);
    hny_markup_destroy (&m);
    return out;
}

static void
s_check_roundtrip (const char *src, const char *want)
{
    char *out = s_roundtrip (src);
    CHECK_STR (out, want);
    free (out);
}

/* protect src, let "translate" map the protected text, restore */
static char *
s_restore (const char *src, const char *translated, char **warning)
{
    hny_markup_t *m = hny_markup_parse (src, strlen (src));
    char *out = hny_markup_restore (m, 1, translated, strlen (translated), warning);
    hny_markup_destroy (&m);
    return out;
}

static void
test_parse (void)
{
    const char *src = "A <b>bold</b> and <i>it <b>both</b></i> <a href=\"http://x.jp/?a=1&amp;b=&quot;2&quot;\">link</a>.";
    hny_markup_t *m = hny_markup_parse (src, strlen (src));
    size_t len;
    CHECK_STR (hny_markup_text (m, &len), "A bold and it both link.");
    CHECK (len == strlen ("A bold and it both link."));
    CHECK (hny_markup_count (m) == 4);
    char *all = hny_markup_render (m, 0, len, NULL);
    CHECK_STR (all, src);
    free (all);
    /* a range that cuts elements closes and reopens them */
    char *part = hny_markup_render (m, 4, 16, NULL);      /* "ld and it bo" */
    CHECK_STR (part, "<b>ld</b> and <i>it <b>bo</b></i>");
    free (part);
    char *protected = hny_markup_protect (m, NULL);
    CHECK_STR (protected, "A ⟦1⟧bold⟦/1⟧ and ⟦2⟧it ⟦3⟧both⟦/3⟧⟦/2⟧ ⟦4⟧link⟦/4⟧.");
    free (protected);
    hny_markup_destroy (&m);

    /* escapes: minimal, and exact round trips */
    s_check_roundtrip ("R&D &lt;tag&gt; a > b &amp;lt; &lt;b>", "R&D <tag> a > b &amp;lt; &lt;b>");
    size_t n;
    char *esc = hny_markup_escape ("x < y & z &lt; \"q\"", 18, &n);
    CHECK_STR (esc, "x < y & z &amp;lt; \"q\"");
    CHECK (n == strlen (esc));
    hny_markup_t *back = hny_markup_parse (esc, n);
    CHECK_STR (hny_markup_text (back, NULL), "x < y & z &lt; \"q\"");
    hny_markup_destroy (&back);
    free (esc);
}

static void
test_hostile (void)
{
    /* unknown tags, attributes, stray and unclosed tags are text or dropped */
    s_check_roundtrip ("<script>x</script>", "<script>x</script>");
    s_check_roundtrip ("<b class=\"x\">y</b>", "<b class=\"x\">y&lt;/b>");
    s_check_roundtrip ("a</b> <b>never closed", "a&lt;/b> &lt;b>never closed");
    s_check_roundtrip ("<b><i>crossed</b></i>", "&lt;b><i>crossed&lt;/b></i>");
    s_check_roundtrip ("<b></b>empty<i></i>", "empty");
    s_check_roundtrip ("<a href=\"no end>x</a>", "<a href=\"no end>x&lt;/a>");
    s_check_roundtrip ("<a href=\"\">x</a>", "<a href=\"\">x</a>");
    s_check_roundtrip ("<", "<");
    s_check_roundtrip ("&", "&");
    s_check_roundtrip ("", "");
    /* a too long href is no link */
    size_t big = HNY_MARKUP_MAX_HREF + 100;
    char *src = malloc (big + 64);
    strcpy (src, "<a href=\"");
    memset (src + 9, 'h', big);
    strcpy (src + 9 + big, "\">t</a>");
    char *out = s_roundtrip (src);
    CHECK (out && strncmp (out, "<a href=\"hhh", 12) == 0 && strstr (out, "t&lt;/a>"));
    free (out);
    free (src);
    /* deep nesting and many elements stay capped */
    size_t reps = 100000;
    char *deep = malloc (reps * 7 + 8);
    char *p = deep;
    for (size_t i = 0; i < reps; i++)
        memcpy (p, "<b>", 3), p += 3;
    *p++ = 'x';
    for (size_t i = 0; i < reps; i++)
        memcpy (p, "</b>", 4), p += 4;
    hny_markup_t *m = hny_markup_parse (deep, (size_t) (p - deep));
    /* tags past the cap stay text */
    size_t plain_len;
    hny_markup_text (m, &plain_len);
    CHECK (plain_len == (reps - HNY_MARKUP_MAX_ELEMENTS) * 7 + 1);
    CHECK (hny_markup_count (m) == HNY_MARKUP_MAX_ELEMENTS);
    char *r = hny_markup_render (m, 0, plain_len, NULL);
    CHECK (r && strncmp (r, "<b><b>", 6) == 0 && strstr (r, "&lt;b>x</b>"));
    free (r);
    hny_markup_destroy (&m);
    free (deep);
    /* a source holding ⟦ cannot be protected */
    m = hny_markup_parse ("<b>⟦1⟧</b>", strlen ("<b>⟦1⟧</b>"));
    CHECK (hny_markup_protect (m, NULL) == NULL);
    char *warning = NULL;
    char *t = hny_markup_restore (m, 0, "⟦1⟧", strlen ("⟦1⟧"), &warning);
    CHECK_STR (t, "⟦1⟧");
    CHECK (warning != NULL);
    free (warning);
    free (t);
    hny_markup_destroy (&m);
}

static void
test_restore (void)
{
    const char *src = "The <b>red</b> car is <i>very</i> fast & <a href=\"u?a=1&amp;b\">new</a>.";
    char *warning = NULL;
    /* reordered but nested: fine */
    char *t = s_restore (src, "El ⟦1⟧rojo⟦/1⟧ coche es ⟦2⟧muy⟦/2⟧ rápido & ⟦3⟧nuevo⟦/3⟧ <x>.",
                         &warning);
    CHECK_STR (t, "El <b>rojo</b> coche es <i>muy</i> rápido & <a href=\"u?a=1&amp;b\">nuevo</a> <x>.");
    CHECK (warning == NULL);
    free (t);
    t = s_restore (src, "⟦2⟧Muy⟦/2⟧ ⟦3⟧nuevo⟦/3⟧ y ⟦1⟧rojo⟦/1⟧.", &warning);
    CHECK_STR (t, "<i>Muy</i> <a href=\"u?a=1&amp;b\">nuevo</a> y <b>rojo</b>.");
    CHECK (warning == NULL);
    free (t);
    /* an element left empty by the translation loses its tags only */
    t = s_restore (src, "⟦1⟧⟦/1⟧El coche ⟦2⟧muy⟦/2⟧ ⟦3⟧nuevo⟦/3⟧.", &warning);
    CHECK_STR (t, "El coche <i>muy</i> <a href=\"u?a=1&amp;b\">nuevo</a>.");
    CHECK (warning == NULL);
    free (t);

    /* broken arrangements: no markup at all, and a warning */
    static const struct { const char *tgt, *want, *why; } bad[] = {
        { "El ⟦1⟧rojo coche es ⟦2⟧muy⟦/2⟧ ⟦3⟧nuevo⟦/3⟧.", "El rojo coche es muy nuevo.", "lost" },
        { "El rojo coche es muy nuevo.", "El rojo coche es muy nuevo.", "lost" },
        { "⟦1⟧a⟦/1⟧ ⟦1⟧b⟦/1⟧ ⟦2⟧c⟦/2⟧ ⟦3⟧d⟦/3⟧", "a b c d", "duplicated" },
        { "⟦1⟧a ⟦2⟧b⟦/1⟧ c⟦/2⟧ ⟦3⟧d⟦/3⟧", "a b c d", "crossed" },
        { "⟦/1⟧a⟦1⟧ ⟦2⟧c⟦/2⟧ ⟦3⟧d⟦/3⟧", "a c d", "before" },
        { "⟦1⟧a⟦/1⟧ ⟦2⟧c⟦/2⟧ ⟦3⟧d⟦/3⟧ ⟦9⟧e⟦/9⟧", "a c d e", "unknown" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = s_restore (src, bad[i].tgt, &warning);
        CHECK_STR (t, bad[i].want);
        CHECK (warning && strstr (warning, bad[i].why));
        free (warning);
        warning = NULL;
        free (t);
    }
    /* no markup in the source: token-like text in the target stays text */
    t = s_restore ("plain < text", "texto ⟦1⟧ < plano <b>", &warning);
    CHECK_STR (t, "texto ⟦1⟧ < plano &lt;b>");
    CHECK (warning == NULL);
    free (t);
}

static void
test_quotes (void)
{
    char *t = hny_markup_quotes ("He said “no” and ‘yes’.", strlen ("He said “no” and ‘yes’."),
                                 "Dijo \"no\" y 'sí', l'eau.", strlen ("Dijo \"no\" y 'sí', l'eau."));
    CHECK_STR (t, "Dijo “no” y ‘sí’, l’eau.");
    free (t);
    t = hny_markup_quotes ("He said \"no\" and 'yes'.", strlen ("He said \"no\" and 'yes'."),
                           "Dijo “no” y „sí” ‘x’.", strlen ("Dijo “no” y „sí” ‘x’."));
    CHECK_STR (t, "Dijo \"no\" y \"sí\" 'x'.");
    free (t);
    /* mixed or no quotes in the source: the target is left alone */
    t = hny_markup_quotes ("“a” \"b\"", strlen ("“a” \"b\""), "\"x\" “y”", strlen ("\"x\" “y”"));
    CHECK_STR (t, "\"x\" “y”");
    free (t);
    t = hny_markup_quotes ("none", 4, "\"x\" “y”", strlen ("\"x\" “y”"));
    CHECK_STR (t, "\"x\" “y”");
    free (t);
    /* through restore, with markup */
    char *warning = NULL;
    t = s_restore ("He said <b>“no”</b>.", "Dijo ⟦1⟧\"no\"⟦/1⟧.", &warning);
    CHECK_STR (t, "Dijo <b>“no”</b>.");
    CHECK (warning == NULL);
    free (t);
}

int
main (void)
{
    test_parse ();
    test_hostile ();
    test_restore ();
    test_quotes ();
    return s_check_done ("test_markup");
}
