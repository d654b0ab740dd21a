/*  hny_markup.c: the inline form of hny_markup.h: its elements (read by
    the one parser of honyaku/inline.h, which the client's exports share),
    the writer's minimal escaping, rendering any byte range of the plain
    text back (closing and reopening elements at the range's edges), and
    the placeholder round trip through a backend with the quote clean-up on
    the way back. */
#include "hny_markup.h"

#include "honyaku/inline.h"
#include "honyaku/util.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TOK_OPEN   "\xE2\x9F\xA6"     /* ⟦ U+27E6 */
#define S_TOK_CLOSE  "\xE2\x9F\xA7"     /* ⟧ U+27E7 */
#define S_TOK_MAXNUM 4                  /* digits of a token number */

/* Bytes of an element's two tags at most: "<a href=\"" (9), the href
   escaped (at most the cap: hny_markup_parse drops longer ones), "\">" (2),
   "</a>" (4). */
#define S_TAGS_MAX (9 + HNY_MARKUP_MAX_HREF + 2 + 4)

typedef struct {
    hny_markup_tag_t tag;
    const char *href;           /* links only: unescaped, borrowed from the parse */
    size_t start, end;          /* byte range in the plain text */
} s_elem_t;

struct _hny_markup_t {
    hny_inline_t *parsed;       /* the source read by hny_inline: owns text and hrefs */
    const char *text;           /* plain text, NUL-terminated */
    size_t len;
    s_elem_t *elems;            /* in order of opening: outer before inner */
    size_t count;
};

/* The cap of an output made of len bytes of text, escaped (a byte becomes
   at most 5: "&amp;"), and the tags of count elements. Every output here
   is bounded so by its input: past it is a bug, hence the asserts. */
static size_t
s_cap (size_t len, size_t count)
{
    assert (len < SIZE_MAX / 8 && count <= HNY_MARKUP_MAX_ELEMENTS);
    return 5 * len + count * S_TAGS_MAX + 1;
}

/* The string built in out (caller owns); *out_len set when not NULL. */
static char *
s_take (hny_buf_t *out, size_t *out_len)
{
    assert (!out->toobig);
    return hny_buf_take (out, out_len);
}

static int
s_starts (const char *p, const char *end, const char *word)
{
    size_t n = strlen (word);
    return (size_t) (end - p) >= n && memcmp (p, word, n) == 0;
}

/* 1 when a tag of the inline form starts at p. */
static int
s_is_tag (const char *p, const char *end)
{
    hny_inline_tag_t tag;
    int closing;
    return hny_inline_tag_at (p, end, &tag, &closing) > 0;
}

/* 1 when text "<a href=\"..." at p, not a tag as it stands (a '<' ends
   the href), would read as one once the text after it is escaped: that
   '<' becomes "&lt;" and no longer ends the href. A "<a href=\"" inside
   counts as escaped (the safe side: one `<` more escaped than needed). */
static int
s_tag_once_escaped (const char *p, const char *end)
{
    if (!s_starts (p, end, "<a href=\""))
        return 0;
    size_t written = 0;
    for (const char *r = p + strlen ("<a href=\""); r < end; r++) {
        char c;
        if (*r == '"')
            return r + 1 < end && r[1] == '>' && written <= HNY_MARKUP_MAX_HREF;
        if (*r == '\n')
            return 0;
        if (*r == '<') {
            if (!s_is_tag (r, end) && !s_starts (r, end, "<a href=\""))
                return 0;       /* stays '<': the href ends here */
            written += 4;
        }
        else
            written += *r == '&' && hny_inline_entity_at (r, end, &c) ? 5 : 1;
        if (written > HNY_MARKUP_MAX_HREF)
            return 0;
    }
    return 0;
}

/* Escape text (href 0) or an href value (href 1) onto out. */
/* The first byte of set (at most 3) at or after p, or end. at [k] keeps
   where set [k] is next between calls (known [k]: looked for; NULL: none
   is left). */
static const char *
s_next_of (const char *p, const char *end, const char *set, const char **at, int *known)
{
    const char *first = end;
    for (int k = 0; k < 3 && set [k]; k++) {
        if (!known [k] || (at [k] && at [k] < p)) {
            at [k] = memchr (p, set [k], (size_t) (end - p));
            known [k] = 1;
        }
        if (at [k] && at [k] < first)
            first = at [k];
    }
    return first;
}

static void
s_escape (hny_buf_t *out, const char *text, size_t len, int href)
{
    const char *end = text + len, *run = text;
    /* only '<', '&' (and in an href '"') may be replaced: jump to them */
    const char *set = href ? "<&\"" : "<&";
    const char *at [3] = { NULL, NULL, NULL };
    int known [3] = { 0, 0, 0 };
    for (const char *p = text; (p = s_next_of (p, end, set, at, known)) < end; p++) {
        const char *rep = NULL;
        char c;
        if (*p == '<' && (href || s_is_tag (p, end) || s_tag_once_escaped (p, end)))
            rep = "&lt;";
        else if (*p == '&' && (href || hny_inline_entity_at (p, end, &c)))
            rep = "&amp;";
        else if (*p == '"' && href)
            rep = "&quot;";
        if (!rep)
            continue;
        hny_buf_add (out, run, (size_t) (p - run));
        hny_buf_adds (out, rep);
        run = p + 1;
    }
    hny_buf_add (out, run, (size_t) (end - run));
}

char *
hny_markup_escape (const char *text, size_t len, size_t *out_len)
{
    hny_buf_t out = HNY_BUF_INIT (s_cap (len, 0));
    s_escape (&out, text, len, 0);
    return s_take (&out, out_len);
}

/* ------------------------------------------------------------------ parse */

/* Bytes of href as s_escape writes it into a tag. */
static size_t
s_href_escaped_len (const char *href)
{
    size_t len = 0;
    for (const char *p = href; *p; p++)
        len += *p == '&' ? 5 : *p == '<' ? 4 : *p == '"' ? 6 : 1;
    return len;
}

hny_markup_t *
hny_markup_parse (const char *src, size_t len)
{
    hny_markup_t *self = hny_calloc (1, sizeof *self);
    self->parsed = hny_inline_parse (src, len);
    self->text = hny_inline_text (self->parsed, &self->len);
    size_t elements = hny_inline_elements (self->parsed);
    self->elems = hny_calloc (elements ? elements : 1, sizeof *self->elems);
    /* The paired elements, in order of opening, but for two kinds the
       placeholders cannot carry: elements around no text, and links whose
       href would pass the cap once written escaped (a bare '&' becomes
       "&amp;": rendered, they would read as text with a stray </a>). Their
       text stays. */
    for (size_t i = 0; i < hny_inline_count (self->parsed); i++) {
        const hny_inline_token_t *t = hny_inline_token (self->parsed, i);
        if (t->kind != HNY_INLINE_OPEN)
            continue;
        size_t end = hny_inline_token (self->parsed, t->mate)->start;
        if (end == t->start || (t->href && s_href_escaped_len (t->href) > HNY_MARKUP_MAX_HREF))
            continue;
        self->elems[self->count++] = (s_elem_t) { t->tag, t->href, t->start, end };
    }
    return self;
}

void
hny_markup_destroy (hny_markup_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_markup_t *self = *self_p;
    hny_inline_destroy (&self->parsed);
    free (self->elems);
    free (self);
    *self_p = NULL;
}

const char *
hny_markup_text (const hny_markup_t *self, size_t *len)
{
    return hny_inline_text (self->parsed, len);
}

size_t
hny_markup_count (const hny_markup_t *self)
{
    return self->count;
}

/* ----------------------------------------------------------------- render */

static void
s_open_tag (hny_buf_t *out, const s_elem_t *e)
{
    if (e->tag == HNY_MARKUP_B)
        hny_buf_adds (out, "<b>");
    else if (e->tag == HNY_MARKUP_I)
        hny_buf_adds (out, "<i>");
    else {
        hny_buf_adds (out, "<a href=\"");
        s_escape (out, e->href, strlen (e->href), 1);
        hny_buf_adds (out, "\">");
    }
}

static void
s_close_tag (hny_buf_t *out, const s_elem_t *e)
{
    hny_buf_adds (out, e->tag == HNY_MARKUP_B ? "</b>" : e->tag == HNY_MARKUP_I ? "</i>" : "</a>");
}

static void
s_token (hny_buf_t *out, size_t number, int closing)
{
    char buf[32];
    snprintf (buf, sizeof buf, S_TOK_OPEN "%s%zu" S_TOK_CLOSE, closing ? "/" : "", number);
    hny_buf_adds (out, buf);
}

/* Emit [start, end) of the plain text with its elements clipped to the
   range: as tags (tokens 0) or as ⟦n⟧ tokens around raw text (tokens 1). */
static void
s_emit (const hny_markup_t *self, size_t start, size_t end, int tokens, hny_buf_t *out)
{
    size_t inc[HNY_MARKUP_MAX_ELEMENTS], n = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_elem_t *e = &self->elems[i];
        size_t cs = e->start > start ? e->start : start;
        size_t ce = e->end < end ? e->end : end;
        if (cs < ce)
            inc[n++] = i;
    }
    size_t stack[HNY_MARKUP_MAX_ELEMENTS], depth = 0, k = 0, pos = start;
#define S_CS(i) (self->elems[i].start > start ? self->elems[i].start : start)
#define S_CE(i) (self->elems[i].end < end ? self->elems[i].end : end)
    for (;;) {
        while (depth > 0 && S_CE (stack[depth - 1]) == pos) {
            size_t i = stack[--depth];
            if (tokens)
                s_token (out, i + 1, 1);
            else
                s_close_tag (out, &self->elems[i]);
        }
        if (pos >= end)
            break;
        while (k < n && S_CS (inc[k]) == pos) {
            assert (depth < HNY_MARKUP_MAX_ELEMENTS);
            if (tokens)
                s_token (out, inc[k] + 1, 0);
            else
                s_open_tag (out, &self->elems[inc[k]]);
            stack[depth++] = inc[k++];
        }
        size_t next = end;
        if (k < n && S_CS (inc[k]) < next)
            next = S_CS (inc[k]);
        if (depth > 0 && S_CE (stack[depth - 1]) < next)
            next = S_CE (stack[depth - 1]);
        assert (next > pos);
        if (tokens)
            hny_buf_add (out, self->text + pos, next - pos);
        else
            s_escape (out, self->text + pos, next - pos, 0);
        pos = next;
    }
#undef S_CS
#undef S_CE
}

char *
hny_markup_render (const hny_markup_t *self, size_t start, size_t end, size_t *out_len)
{
    if (end > self->len)
        end = self->len;
    hny_buf_t out = HNY_BUF_INIT (s_cap (start < end ? end - start : 0, self->count));
    if (start < end)
        s_emit (self, start, end, 0, &out);
    return s_take (&out, out_len);
}

char *
hny_markup_protect (const hny_markup_t *self, size_t *out_len)
{
    if (self->count > 0 && strstr (self->text, S_TOK_OPEN))
        return NULL;
    /* raw text, and tokens shorter than the tags */
    hny_buf_t out = HNY_BUF_INIT (s_cap (self->len, self->count));
    if (self->len > 0)
        s_emit (self, 0, self->len, 1, &out);
    return s_take (&out, out_len);
}

/* ----------------------------------------------------------------- quotes */

#define S_LDQ "\xE2\x80\x9C"    /* “ */
#define S_RDQ "\xE2\x80\x9D"    /* ” */
#define S_LOWQ "\xE2\x80\x9E"   /* „ */
#define S_LSQ "\xE2\x80\x98"    /* ‘ */
#define S_RSQ "\xE2\x80\x99"    /* ’ */

static size_t
s_count (const char *s, size_t len, const char *what)
{
    size_t n = 0, w = strlen (what);
    const char *end = s + len;
    for (const char *p = s; (p = memmem (p, (size_t) (end - p), what, w)); p++)
        n++;
    return n;
}

/* 1: only curly, -1: only straight, 0: both or none. */
static int
s_style (size_t curly, size_t straight)
{
    if (curly && !straight)
        return 1;
    if (straight && !curly)
        return -1;
    return 0;
}

char *
hny_markup_quotes (const char *src, size_t src_len, const char *tgt, size_t len)
{
    /* A source without quotes of either kind (no '"', no '\'', no lead
       byte of a curly one) leaves the target as it is: the usual case,
       three scans instead of seven and a walk of the target. */
    if (!memchr (src, '"', src_len) && !memchr (src, '\'', src_len) && !memchr (src, '\xE2', src_len)) {
        char *copy = hny_malloc (len + 1);
        memcpy (copy, tgt, len);
        copy [len] = '\0';
        return copy;
    }
    int dq = s_style (s_count (src, src_len, S_LDQ) + s_count (src, src_len, S_RDQ)
                      + s_count (src, src_len, S_LOWQ), s_count (src, src_len, "\""));
    int sq = s_style (s_count (src, src_len, S_LSQ) + s_count (src, src_len, S_RSQ),
                      s_count (src, src_len, "'"));
    /* a quote becomes at most three bytes (“ ” ‘ ’) */
    hny_buf_t out = HNY_BUF_INIT (3 * len + 1);
    size_t dq_seen = 0, from = 0, i = 0;
    /* The text between quotes goes in runs, not byte by byte. */
    while (i < len) {
        const char *p = tgt + i;
        size_t left = len - i, skip = 1;
        const char *put = NULL;
        if (dq == 1 && *p == '"')
            put = dq_seen++ % 2 == 0 ? S_LDQ : S_RDQ;
        else if (dq == -1 && left >= 3 && (memcmp (p, S_LDQ, 3) == 0 || memcmp (p, S_RDQ, 3) == 0
                                          || memcmp (p, S_LOWQ, 3) == 0)) {
            put = "\"";
            skip = 3;
        }
        else if (sq == 1 && *p == '\'') {
            char prev = i > 0 ? tgt[i - 1] : ' ';
            int opening = prev == ' ' || prev == '(' || prev == '[' || prev == '"'
                          || (i >= 3 && memcmp (tgt + i - 3, S_LDQ, 3) == 0);
            put = opening ? S_LSQ : S_RSQ;
        }
        else if (sq == -1 && left >= 3 && (memcmp (p, S_LSQ, 3) == 0 || memcmp (p, S_RSQ, 3) == 0)) {
            put = "'";
            skip = 3;
        }
        if (!put) {
            i++;
            continue;
        }
        hny_buf_add (&out, tgt + from, i - from);
        hny_buf_adds (&out, put);
        i += skip;
        from = i;
    }
    hny_buf_add (&out, tgt + from, len - from);
    return s_take (&out, NULL);
}

/* ---------------------------------------------------------------- restore */

/* A token at p: returns its length and sets *number and *closing, else 0. */
static size_t
s_token_at (const char *p, const char *end, size_t *number, int *closing)
{
    if (!s_starts (p, end, S_TOK_OPEN))
        return 0;
    const char *q = p + 3;
    *closing = q < end && *q == '/';
    if (*closing)
        q++;
    size_t n = 0, digits = 0;
    while (q < end && *q >= '0' && *q <= '9' && digits < S_TOK_MAXNUM) {
        n = n * 10 + (size_t) (*q - '0');
        q++, digits++;
    }
    if (digits == 0 || !s_starts (q, end, S_TOK_CLOSE))
        return 0;
    *number = n;
    return (size_t) (q + 3 - p);
}

/* The first token at or after p: returns where it starts and sets *len
   (and *number, *closing as s_token_at); NULL when none is before end. */
static const char *
s_next_token (const char *p, const char *end, size_t *len, size_t *number, int *closing)
{
    while (p < end && (p = memmem (p, (size_t) (end - p), S_TOK_OPEN, 3)) != NULL) {
        if ((*len = s_token_at (p, end, number, closing)) > 0)
            return p;
        p++;
    }
    return NULL;
}

/* Check the tokens of text against src's elements; returns NULL when they
   are a legal arrangement, else why not (static string). */
static const char *
s_check_tokens (const hny_markup_t *src, const char *text, size_t len)
{
    unsigned char *state = hny_calloc (src->count + 1, 1);     /* 0 new, 1 open, 2 closed */
    size_t stack[HNY_MARKUP_MAX_ELEMENTS], depth = 0;
    const char *why = NULL;
    const char *end = text + len, *p = text;
    size_t n, number;
    int closing;
    while (!why && (p = s_next_token (p, end, &n, &number, &closing)) != NULL) {
        p += n;
        if (number < 1 || number > src->count)
            why = "unknown placeholder";
        else if (!closing && state[number] != 0)
            why = "duplicated placeholder";
        else if (!closing) {
            state[number] = 1;
            stack[depth++] = number;
        }
        else if (state[number] == 2)
            why = "duplicated placeholder";
        else if (state[number] == 0)
            why = "placeholder closed before it was opened";
        else if (depth == 0 || stack[depth - 1] != number)
            why = "placeholders crossed";
        else {
            state[number] = 2;
            depth--;
        }
    }
    for (size_t i = 1; i <= src->count && !why; i++)
        if (state[i] != 2)
            why = "placeholder lost";
    free (state);
    return why;
}

/* text with every token removed and the double spaces this leaves folded. */
static char *
s_strip_tokens (const char *text, size_t len, size_t *out_len)
{
    hny_buf_t out = HNY_BUF_INIT (len + 1);
    const char *end = text + len, *p = text, *token;
    size_t n, number;
    int closing;
    while ((token = s_next_token (p, end, &n, &number, &closing)) != NULL) {
        hny_buf_add (&out, p, (size_t) (token - p));
        p = token + n;
        if (out.len > 0 && out.data[out.len - 1] == ' ')
            while (p < end && *p == ' ')
                p++;
    }
    hny_buf_add (&out, p, (size_t) (end - p));
    return s_take (&out, out_len);
}

char *
hny_markup_restore (const hny_markup_t *src, int with_markup, const char *tgt, size_t len,
                    char **warning)
{
    *warning = NULL;
    char *quoted = hny_markup_quotes (src->text, src->len, tgt, len);
    size_t qlen = strlen (quoted);
    hny_buf_t out = HNY_BUF_INIT (s_cap (qlen, src->count));
    if (src->count == 0 || !with_markup) {
        if (src->count > 0)
            *warning = hny_strdup ("inline markup dropped: the source text holds \xE2\x9F\xA6");
        s_escape (&out, quoted, qlen, 0);
        free (quoted);
        return s_take (&out, NULL);
    }
    const char *why = s_check_tokens (src, quoted, qlen);
    if (why) {
        *warning = hny_sprintf ("inline markup dropped: %s in the translation", why);
        size_t plen = 0;
        char *plain = s_strip_tokens (quoted, qlen, &plen);
        s_escape (&out, plain, plen, 0);
        free (plain);
        free (quoted);
        return s_take (&out, NULL);
    }
    /* The text between two tags is escaped as one piece: an element left
       empty vanishes, and the text on its two sides must not join into a
       tag ("<b" ⟦1⟧⟦/1⟧ ">") or an escape after escaping. */
    hny_buf_t raw = HNY_BUF_INIT (qlen + 1);
    const char *end = quoted + qlen, *run = quoted, *p = quoted;
    size_t n, number;
    int closing;
    while ((p = s_next_token (p, end, &n, &number, &closing)) != NULL) {
        hny_buf_add (&raw, run, (size_t) (p - run));
        const s_elem_t *e = &src->elems[number - 1];
        size_t m, number2;
        int closing2;
        if (!closing && (m = s_token_at (p + n, end, &number2, &closing2)) > 0 && closing2
            && number2 == number) {
            p += n + m;                 /* an element left empty: no tags */
            run = p;
            continue;
        }
        s_escape (&out, raw.data, raw.len, 0);
        hny_buf_reset (&raw);
        if (closing)
            s_close_tag (&out, e);
        else
            s_open_tag (&out, e);
        p += n;
        run = p;
    }
    hny_buf_add (&raw, run, (size_t) (end - run));
    s_escape (&out, raw.data, raw.len, 0);
    hny_buf_free (&raw);
    free (quoted);
    return s_take (&out, NULL);
}
