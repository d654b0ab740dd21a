/*  test_inline.c: the reader of the inline form (honyaku/inline.h), which
    the worker's markup and the client's exports share: plain text and
    escapes, paired tags and their tokens, what stays text (unpaired,
    crossed, unclosed, malformed links), the caps on hrefs and elements,
    and the grammar pieces the writer uses. */
#include "honyaku/inline.h"
#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tokens of a parse as one line, e.g. `T"A " <b1 T"x" >b1`, so that a
   case reads as the reader sees it. Caller owns. */
static char *
s_shape (const hny_inline_t *in)
{
    static const char *names [] = { "", "b", "i", "a" };
    hny_buf_t out = HNY_BUF_INIT (1 << 20);
    const char *plain = hny_inline_text (in, NULL);
    for (size_t i = 0; i < hny_inline_count (in); i++) {
        const hny_inline_token_t *t = hny_inline_token (in, i);
        if (i)
            hny_buf_adds (&out, " ");
        if (t->kind == HNY_INLINE_TEXT) {
            hny_buf_adds (&out, "T\"");
            hny_buf_add (&out, plain + t->start, t->end - t->start);
            hny_buf_adds (&out, "\"");
            continue;
        }
        char tag [64];
        snprintf (tag, sizeof tag, "%s%s%zu", t->kind == HNY_INLINE_OPEN ? "<" : ">",
                  names [t->tag], t->element);
        hny_buf_adds (&out, tag);
    }
    return hny_buf_take (&out, NULL);
}

/* Texts as the reader sees them: the source, its plain text and the shape
   of its tokens (s_shape). */
static const struct {
    const char *src, *plain, *shape;
} s_cases [] = {
    { "", "", "" },
    { "plain text", "plain text", "T\"plain text\"" },
    /* only the four escapes decode; everything else is literal */
    { "R&D, a < b, x > y", "R&D, a < b, x > y", "T\"R&D, a < b, x > y\"" },
    { "&lt;b&gt; &amp;amp; &quot;q&quot; &apos; &#60;", "<b> &amp; \"q\" &apos; &#60;",
      "T\"<b> &amp; \"q\" &apos; &#60;\"" },
    { "&l&lt;", "&l<", "T\"&l<\"" },
    /* paired tags */
    { "A <b>bold</b> move", "A bold move", "T\"A \" <b1 T\"bold\" >b1 T\" move\"" },
    { "<b><i>both</i></b>", "both", "<b1 <i2 T\"both\" >i2 >b1" },
    { "<i>one</i> <i>two</i>", "one two", "<i1 T\"one\" >i1 T\" \" <i2 T\"two\" >i2" },
    /* an element around no text is kept: dropping it is the reader's choice */
    { "x<b></b>y", "xy", "T\"x\" <b1 >b1 T\"y\"" },
    { "<a href=\"https://e.com/?a=1&amp;b=2\">this</a>", "this", "<a1 T\"this\" >a1" },
    /* what is text: tags that pair with nothing, as written */
    { "a </b> b", "a </b> b", "T\"a </b> b\"" },
    { "<b>never closed", "<b>never closed", "T\"<b>never closed\"" },
    /* a closing tag closes the innermost element only */
    { "<b><i>x</b></i>", "<b>x</b>", "T\"<b>\" <i1 T\"x</b>\" >i1" },
    { "<i>a</b>b</i>", "a</b>b", "<i1 T\"a</b>b\" >i1" },
    /* an unpaired tag keeps its escapes; the text around it decodes */
    { "&amp;<a href=\"a&amp;b\">x", "&<a href=\"a&amp;b\">x", "T\"&<a href=\"a&amp;b\">x\"" },
    /* near misses */
    { "<b >x</b >", "<b >x</b >", "T\"<b >x</b >\"" },
    { "<B>x</B>", "<B>x</B>", "T\"<B>x</B>\"" },
    { "<a href='x'>y</a>", "<a href='x'>y</a>", "T\"<a href='x'>y</a>\"" },
    { "<a href=\"x\" title=\"t\">y</a>", "<a href=\"x\" title=\"t\">y</a>",
      "T\"<a href=\"x\" title=\"t\">y</a>\"" },
    /* an href holds no '<' or line break (the writer escapes '<' and folds
       line breaks)... */
    { "<a href=\"x<y\">z</a>", "<a href=\"x<y\">z</a>", "T\"<a href=\"x<y\">z</a>\"" },
    { "<a href=\"a\nb\">z</a>", "<a href=\"a\nb\">z</a>", "T\"<a href=\"a\nb\">z</a>\"" },
    /* ...and the '<' that ends a would-be href may start a real tag */
    { "<a href=\"x<b>y</b>\">", "<a href=\"xy\">", "T\"<a href=\"x\" <b1 T\"y\" >b1 T\"\">\"" },
};

/* Every case: its plain text and token shape. */
static void
s_test_cases (void)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases [0]; i++) {
        const char *src = s_cases [i].src;
        hny_inline_t *in = hny_inline_parse (src, strlen (src));
        size_t len = 0;
        const char *text = hny_inline_text (in, &len);
        char *shape = s_shape (in);
        if (len != strlen (s_cases [i].plain) || strcmp (text, s_cases [i].plain) != 0
            || strcmp (shape, s_cases [i].shape) != 0) {
            fprintf (stderr, "case %zu: [%s]\n  plain [%s] want [%s]\n  shape [%s] want [%s]\n",
                     i, src, text, s_cases [i].plain, shape, s_cases [i].shape);
            s_failures++;
        }
        free (shape);
        hny_inline_destroy (&in);
    }
}

/* The fields of the tokens: positions, spelling, mates, the href. */
static void
s_test_tokens (void)
{
    const char *src = "See <a href=\"/x?a&amp;b\">the <b>link</b></a>.";
    hny_inline_t *in = hny_inline_parse (src, strlen (src));
    CHECK (hny_inline_count (in) == 8 && hny_inline_elements (in) == 2);
    const hny_inline_token_t *a = hny_inline_token (in, 1);
    CHECK (a->kind == HNY_INLINE_OPEN && a->tag == HNY_INLINE_A && a->element == 1);
    CHECK (a->href && strcmp (a->href, "/x?a&b") == 0);
    CHECK (a->at == 4 && a->len == strlen ("<a href=\"/x?a&amp;b\">"));
    CHECK (a->start == 4 && a->end == 4);
    const hny_inline_token_t *end_a = hny_inline_token (in, a->mate);
    CHECK (a->mate == 6 && end_a->kind == HNY_INLINE_CLOSE && end_a->mate == 1);
    CHECK (end_a->element == 1 && end_a->start == strlen ("See the link"));
    CHECK (memcmp (src + end_a->at, "</a>", 4) == 0 && end_a->len == 4 && !end_a->href);
    const hny_inline_token_t *b = hny_inline_token (in, 3);
    CHECK (b->tag == HNY_INLINE_B && b->element == 2 && !b->href);
    CHECK (hny_inline_token (in, b->mate)->element == 2);
    hny_inline_destroy (&in);

    /* an empty href is a link all the same */
    in = hny_inline_parse ("<a href=\"\">x</a>", 16);
    CHECK (hny_inline_elements (in) == 1 && strcmp (hny_inline_token (in, 0)->href, "") == 0);
    hny_inline_destroy (&in);
}

/* An href is at most HNY_INLINE_MAX_HREF bytes as written. */
static void
s_test_href (void)
{
    for (int over = 0; over < 2; over++) {
        size_t n = HNY_INLINE_MAX_HREF + (size_t) over;
        hny_buf_t src = HNY_BUF_INIT (n + 64);
        hny_buf_adds (&src, "<a href=\"");
        for (size_t i = 0; i < n; i++)
            hny_buf_add (&src, "h", 1);
        hny_buf_adds (&src, "\">x</a>");
        hny_inline_t *in = hny_inline_parse (src.data, src.len);
        CHECK (hny_inline_elements (in) == (over ? 0u : 1u));
        if (!over)
            CHECK (strlen (hny_inline_token (in, 0)->href) == n);
        else
            CHECK (strcmp (hny_inline_text (in, NULL), src.data) == 0);
        hny_inline_destroy (&in);
        hny_buf_free (&src);
    }
}

/* At most HNY_INLINE_MAX_ELEMENTS opening tags pair; later ones are text. */
static void
s_test_caps (void)
{
    hny_buf_t src = HNY_BUF_INIT (1 << 20);
    for (int i = 0; i < HNY_INLINE_MAX_ELEMENTS + 44; i++)
        hny_buf_adds (&src, "<b>x</b>");
    hny_inline_t *in = hny_inline_parse (src.data, src.len);
    CHECK (hny_inline_elements (in) == HNY_INLINE_MAX_ELEMENTS);
    size_t len = 0;
    const char *plain = hny_inline_text (in, &len);
    CHECK (len == HNY_INLINE_MAX_ELEMENTS + 44 * strlen ("<b>x</b>"));
    CHECK (strncmp (plain + HNY_INLINE_MAX_ELEMENTS, "<b>x</b>", 8) == 0);
    hny_inline_destroy (&in);
    /* nested past the cap: the outer ones pair, the inner ones are text */
    hny_buf_reset (&src);
    for (int i = 0; i < HNY_INLINE_MAX_ELEMENTS + 1; i++)
        hny_buf_adds (&src, "<i>");
    hny_buf_adds (&src, "deep");
    for (int i = 0; i < HNY_INLINE_MAX_ELEMENTS + 1; i++)
        hny_buf_adds (&src, "</i>");
    in = hny_inline_parse (src.data, src.len);
    CHECK (hny_inline_elements (in) == HNY_INLINE_MAX_ELEMENTS);
    CHECK (strcmp (hny_inline_text (in, NULL), "<i>deep</i>") == 0);
    hny_inline_destroy (&in);
    hny_buf_free (&src);
}

/* Bytes are bytes: a NUL is text, and the length is what was given. */
static void
s_test_bytes (void)
{
    const char src [] = "a\0<b>b\0</b>";
    hny_inline_t *in = hny_inline_parse (src, sizeof src - 1);
    size_t len = 0;
    const char *plain = hny_inline_text (in, &len);
    CHECK (len == 4 && memcmp (plain, "a\0b\0", 5) == 0);
    CHECK (hny_inline_elements (in) == 1);
    hny_inline_destroy (&in);
    /* parse only the first bytes asked for */
    in = hny_inline_parse ("<b>x</b>", 5);
    CHECK (strcmp (hny_inline_text (in, NULL), "<b>x<") == 0);
    hny_inline_destroy (&in);
    hny_inline_destroy (&in);      /* accepts a NULL *self_p */
    hny_inline_destroy (NULL);
}

/* The grammar pieces the writer's minimal escaping is built on. */
static void
s_test_pieces (void)
{
    const char *s = "&quot;&amp;&gt;&lt;&l";
    const char *end = s + strlen (s);
    char c = 0;
    CHECK (hny_inline_entity_at (s, end, &c) == 6 && c == '"');
    CHECK (hny_inline_entity_at (s + 6, end, &c) == 5 && c == '&');
    CHECK (hny_inline_entity_at (s + 11, end, &c) == 4 && c == '>');
    CHECK (hny_inline_entity_at (s + 15, end, &c) == 4 && c == '<');
    CHECK (hny_inline_entity_at (s + 19, end, &c) == 0);
    CHECK (hny_inline_entity_at (s, s + 3, &c) == 0);      /* cut by end */
    hny_inline_tag_t tag = 0;
    int closing = -1;
    const char *t = "</i><a href=\"u\">";
    CHECK (hny_inline_tag_at (t, t + strlen (t), &tag, &closing) == 4);
    CHECK (tag == HNY_INLINE_I && closing == 1);
    CHECK (hny_inline_tag_at (t + 4, t + strlen (t), &tag, &closing) == 12);
    CHECK (tag == HNY_INLINE_A && closing == 0);
    CHECK (hny_inline_tag_at (t + 4, t + strlen (t) - 1, &tag, &closing) == 0);
    CHECK (hny_inline_tag_at ("x<b>", "x<b>" + 4, &tag, &closing) == 0);
}

int
main (void)
{
    s_test_cases ();
    s_test_tokens ();
    s_test_href ();
    s_test_caps ();
    s_test_bytes ();
    s_test_pieces ();
    return s_check_done ("test_inline");
}
