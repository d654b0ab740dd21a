/*  hny_inline.c: the reader of the inline form (honyaku/inline.h). Two
    passes: the first finds the tags and pairs them like a stack, the
    second writes the plain text and the token list, knowing which tags
    are markup and which are text. */
#include "honyaku/inline.h"
#include "honyaku/util.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define S_HREF_LEAD "<a href=\""

struct _hny_inline_t {
    char *text;                 /* the plain text, NUL-terminated */
    size_t len;
    hny_inline_token_t *tokens; /* in source order */
    size_t count;
    size_t elements;            /* paired elements */
};

/* A tag found in the first pass. */
typedef struct {
    size_t at, len;             /* its bytes in the source */
    hny_inline_tag_t tag;
    int closing;
    size_t href_at, href_len;   /* <a href>: the value as written */
    size_t mate;                /* the index of its pair, or SIZE_MAX: it is text */
} s_found_t;

static int
s_starts (const char *p, const char *end, const char *word, size_t n)
{
    return (size_t) (end - p) >= n && memcmp (p, word, n) == 0;
}

size_t
hny_inline_entity_at (const char *p, const char *end, char *c)
{
    static const struct { const char *name; size_t len; char c; } entities [] = {
        { "&lt;", 4, '<' }, { "&gt;", 4, '>' }, { "&amp;", 5, '&' }, { "&quot;", 6, '"' }
    };
    if (p >= end || *p != '&')
        return 0;
    for (size_t i = 0; i < sizeof entities / sizeof entities [0]; i++)
        if (s_starts (p, end, entities [i].name, entities [i].len)) {
            *c = entities [i].c;
            return entities [i].len;
        }
    return 0;
}

/* The tag at p, with where its href stands (links); 0 when none. */
static size_t
s_tag (const char *p, const char *end, s_found_t *found)
{
    static const struct { const char *text; size_t len; hny_inline_tag_t tag; int closing; }
        simple [] = {
        { "<b>", 3, HNY_INLINE_B, 0 }, { "</b>", 4, HNY_INLINE_B, 1 },
        { "<i>", 3, HNY_INLINE_I, 0 }, { "</i>", 4, HNY_INLINE_I, 1 },
        { "</a>", 4, HNY_INLINE_A, 1 }
    };
    if (p >= end || *p != '<')
        return 0;
    for (size_t i = 0; i < sizeof simple / sizeof simple [0]; i++)
        if (s_starts (p, end, simple [i].text, simple [i].len)) {
            *found = (s_found_t) { 0, simple [i].len, simple [i].tag, simple [i].closing,
                                   0, 0, SIZE_MAX };
            return simple [i].len;
        }
    size_t lead = strlen (S_HREF_LEAD);
    if (!s_starts (p, end, S_HREF_LEAD, lead))
        return 0;
    /* the value ends at its quote; a '<' or a line break first, or more
       than the cap, and this is no tag */
    const char *v = p + lead, *q = v;
    while (q < end && *q != '"' && *q != '<' && *q != '\n' && (size_t) (q - v) <= HNY_INLINE_MAX_HREF)
        q++;
    if ((size_t) (q - v) > HNY_INLINE_MAX_HREF || !s_starts (q, end, "\">", 2))
        return 0;
    size_t n = (size_t) (q + 2 - p);
    *found = (s_found_t) { 0, n, HNY_INLINE_A, 0, lead, (size_t) (q - v), SIZE_MAX };
    return n;
}

size_t
hny_inline_tag_at (const char *p, const char *end, hny_inline_tag_t *tag, int *closing)
{
    s_found_t found;
    size_t n = s_tag (p, end, &found);
    if (n) {
        *tag = found.tag;
        *closing = found.closing;
    }
    return n;
}

/* [p, p + n) with its escapes decoded, onto buf. */
static void
s_decode (hny_buf_t *buf, const char *p, size_t n)
{
    const char *end = p + n, *run = p;
    /* an escape starts at a '&': jump from one to the next */
    while (p < end && (p = memchr (p, '&', (size_t) (end - p)))) {
        char c;
        size_t e = hny_inline_entity_at (p, end, &c);
        if (!e) {
            p++;
            continue;
        }
        hny_buf_add (buf, run, (size_t) (p - run));
        hny_buf_add (buf, &c, 1);
        p += e;
        run = p;
    }
    hny_buf_add (buf, run, (size_t) (end - run));
}

/* Pass 1: every tag of the source, paired. Returns how many (*found_p:
   caller owns) and sets *paired to the tags that pair. */
static size_t
s_find (const char *src, size_t len, s_found_t **found_p, size_t *paired)
{
    *paired = 0;
    const char *end = src + len;
    s_found_t *found = NULL;
    size_t count = 0, alloc = 0, opened = 0;
    size_t stack [HNY_INLINE_MAX_ELEMENTS], depth = 0;
    for (const char *p = memchr (src, '<', len); p; p = memchr (p, '<', (size_t) (end - p))) {
        s_found_t tag;
        size_t n = s_tag (p, end, &tag);
        if (!n) {
            p++;
            continue;
        }
        if (count == alloc) {
            alloc = alloc ? alloc * 2 : 16;
            found = hny_realloc (found, alloc * sizeof *found);
        }
        tag.at = (size_t) (p - src);
        found [count] = tag;
        /* only the first HNY_INLINE_MAX_ELEMENTS opening tags may pair:
           the stack never holds more */
        if (!tag.closing && opened < HNY_INLINE_MAX_ELEMENTS) {
            stack [depth++] = count;
            opened++;
        }
        else if (tag.closing && depth > 0 && found [stack [depth - 1]].tag == tag.tag) {
            size_t o = stack [--depth];
            found [o].mate = count;
            found [count].mate = o;
            *paired += 2;
        }
        count++;
        p += n;
    }
    *found_p = found;
    return count;
}

/* A text token for the plain text from *from to the end of text so far. */
static void
s_text_token (hny_inline_t *self, const hny_buf_t *text, size_t *from)
{
    if (text->len == *from)
        return;
    self->tokens [self->count++] = (hny_inline_token_t) {
        .kind = HNY_INLINE_TEXT, .start = *from, .end = text->len
    };
    *from = text->len;
}

hny_inline_t *
hny_inline_parse (const char *src, size_t len)
{
    hny_inline_t *self = hny_calloc (1, sizeof *self);
    s_found_t *found = NULL;
    size_t paired;
    size_t nfound = s_find (src, len, &found, &paired);
    /* Pass 2. Every paired tag is a token (512 at most) and so, at most, is
       the text before each and after the last; the plain text is never
       longer than the source (an escape decodes to one byte, a tag to none). */
    self->tokens = hny_calloc (2 * paired + 1, sizeof *self->tokens);
    size_t *token_of = hny_calloc (nfound ? nfound : 1, sizeof *token_of);
    hny_buf_t text = HNY_BUF_INIT (len ? len : 1);
    hny_buf_add (&text, "", 0);
    size_t text_from = 0;
    const char *run = src;      /* source not yet written to the text */
    for (size_t f = 0; f < nfound; f++) {
        const s_found_t *t = &found [f];
        const char *at = src + t->at;
        if (t->mate == SIZE_MAX) {
            /* text as written: its escapes stay */
            s_decode (&text, run, (size_t) (at - run));
            hny_buf_add (&text, at, t->len);
            run = at + t->len;
            continue;
        }
        s_decode (&text, run, (size_t) (at - run));
        run = at + t->len;
        s_text_token (self, &text, &text_from);
        size_t index = self->count++;
        hny_inline_token_t *token = &self->tokens [index];
        *token = (hny_inline_token_t) {
            .kind = t->closing ? HNY_INLINE_CLOSE : HNY_INLINE_OPEN, .tag = t->tag,
            .start = text.len, .end = text.len, .at = t->at, .len = t->len
        };
        token_of [f] = index;
        if (t->closing) {
            /* the opening tag came first: link the two */
            hny_inline_token_t *open = &self->tokens [token_of [t->mate]];
            token->mate = token_of [t->mate];
            token->element = open->element;
            open->mate = index;
        }
        else {
            token->element = ++self->elements;
            if (t->tag == HNY_INLINE_A) {
                hny_buf_t href = HNY_BUF_INIT (HNY_INLINE_MAX_HREF);
                s_decode (&href, at + t->href_at, t->href_len);
                token->href = hny_buf_take (&href, NULL);
            }
        }
    }
    s_decode (&text, run, (size_t) (src + len - run));
    s_text_token (self, &text, &text_from);
    assert (!text.toobig);
    self->text = hny_buf_take (&text, &self->len);
    free (token_of);
    free (found);
    return self;
}

void
hny_inline_destroy (hny_inline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_inline_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free ((char *) self->tokens [i].href);
    free (self->tokens);
    free (self->text);
    free (self);
    *self_p = NULL;
}

const char *
hny_inline_text (const hny_inline_t *self, size_t *len)
{
    if (len)
        *len = self->len;
    return self->text;
}

size_t
hny_inline_count (const hny_inline_t *self)
{
    return self->count;
}

const hny_inline_token_t *
hny_inline_token (const hny_inline_t *self, size_t index)
{
    assert (index < self->count);
    return &self->tokens [index];
}

size_t
hny_inline_elements (const hny_inline_t *self)
{
    return self->elements;
}
