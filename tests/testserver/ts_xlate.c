/*  ts_xlate.c: the deterministic translation function of the test server,
    glossaries, and code point helpers. The rule is documented in ts_xlate.h
    and README.md; tests rely on it byte for byte. */
#include "ts_xlate.h"

#include "honyaku/util.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growable byte buffer, only for building results here. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} s_buf_t;

static void
s_buf_add (s_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = hny_realloc (b->data, cap);
        b->cap = cap;
    }
    memcpy (b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void
s_buf_adds (s_buf_t *b, const char *s)
{
    s_buf_add (b, s, strlen (s));
}

/* Length of the UTF-8 sequence that starts with byte c (1 for stray bytes,
   so that a bad byte can never make us skip the terminating NUL). */
static size_t
s_seq_len (const char *s)
{
    unsigned char c = (unsigned char) s[0];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    for (size_t i = 1; i < n; i++)
        if (((unsigned char) s[i] & 0xC0) != 0x80)
            return 1;
    return n;
}

static uint32_t
s_decode (const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *) s;
    switch (n) {
        case 2: return ((uint32_t) (u[0] & 0x1F) << 6) | (u[1] & 0x3F);
        case 3: return ((uint32_t) (u[0] & 0x0F) << 12) | ((uint32_t) (u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        case 4: return ((uint32_t) (u[0] & 0x07) << 18) | ((uint32_t) (u[1] & 0x3F) << 12)
                       | ((uint32_t) (u[2] & 0x3F) << 6) | (u[3] & 0x3F);
        default: return u[0];
    }
}

/* Encode a BMP code point (all we need: full-width forms) as UTF-8. */
static void
s_add_bmp (s_buf_t *b, uint32_t cp)
{
    char out[3] = { (char) (0xE0 | (cp >> 12)), (char) (0x80 | ((cp >> 6) & 0x3F)),
                    (char) (0x80 | (cp & 0x3F)) };
    s_buf_add (b, out, 3);
}

/* Length of an entity "&name;" or "&#123;" at s, or 0 when s is a bare '&'. */
static size_t
s_entity_len (const char *s)
{
    size_t i = 1;
    if (s[i] == '#')
        i++;
    size_t start = i;
    while (i < 12 && isalnum ((unsigned char) s[i]))
        i++;
    return (i > start && s[i] == ';') ? i + 1 : 0;
}

void
ts_xlate_mistake (char *text)
{
    for (char *p = text; *p; p++)
        if (*p >= '0' && *p <= '9')
            *p = *p == '9' ? '0' : (char) (*p + 1);
}

char *
ts_xlate (const char *text, const char *target, const ts_glossary_t *glossary, ts_markup_t markup)
{
    s_buf_t b = { 0 };
    s_buf_adds (&b, "【");
    for (const char *t = target; *t; t++) {
        char c = (char) tolower ((unsigned char) *t);
        s_buf_add (&b, &c, 1);
    }
    s_buf_adds (&b, "】");

    const char *p = text;
    while (*p) {
        if (markup != TS_MARKUP_NONE && *p == '<') {
            const char *end = strchr (p, '>');
            size_t n = end ? (size_t) (end - p) + 1 : strlen (p);
            s_buf_add (&b, p, n);
            p += n;
            continue;
        }
        if (markup != TS_MARKUP_NONE && *p == '&') {
            size_t n = s_entity_len (p);
            if (n) {
                s_buf_add (&b, p, n);
                p += n;
                continue;
            }
        }
        if (glossary) {
            /* Longest source term that starts here wins. */
            size_t best = 0, best_i = 0;
            for (size_t i = 0; i < glossary->count; i++) {
                size_t n = strlen (glossary->source[i]);
                if (n > best && strncmp (p, glossary->source[i], n) == 0) {
                    best = n;
                    best_i = i;
                }
            }
            if (best) {
                s_buf_adds (&b, glossary->target[best_i]);
                p += best;
                continue;
            }
        }
        if (*p >= 'A' && *p <= 'Z')
            s_add_bmp (&b, 0xFF21u + (uint32_t) (*p - 'A'));
        else if (*p >= 'a' && *p <= 'z')
            s_add_bmp (&b, 0xFF41u + (uint32_t) (*p - 'a'));
        else if (markup == TS_MARKUP_HTML_ESCAPE && *p == '\'')
            s_buf_adds (&b, "&#39;");
        else if (markup == TS_MARKUP_HTML_ESCAPE && *p == '"')
            s_buf_adds (&b, "&quot;");
        else {
            s_buf_add (&b, p, s_seq_len (p));
            p += s_seq_len (p);
            continue;
        }
        p++;
    }
    return b.data;
}

size_t
ts_codepoints (const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char) *s & 0xC0) != 0x80)
            n++;
    return n;
}

char *
ts_codepoint_prefix (const char *s, size_t len)
{
    const char *p = s;
    while (*p && len) {
        p += s_seq_len (p);
        len--;
    }
    return hny_strndup (s, (size_t) (p - s));
}

const char *
ts_detect_lang (const char *s)
{
    while (*s) {
        size_t n = s_seq_len (s);
        uint32_t cp = s_decode (s, n);
        if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FFF))
            return "ja";
        s += n;
    }
    return "en";
}

int
ts_streq_ci (const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    return strcasecmp (a, b) == 0;
}

ts_glossary_t *
ts_glossary_parse_tsv (const char *tsv, const char **err)
{
    ts_glossary_t *self = hny_calloc (1, sizeof *self);
    const char *line = tsv;
    while (*line) {
        const char *eol = strchr (line, '\n');
        size_t len = eol ? (size_t) (eol - line) : strlen (line);
        if (len && line[len - 1] == '\r')
            len--;
        if (len) {
            const char *tab = memchr (line, '\t', len);
            const char *msg = NULL;
            if (!tab || memchr (tab + 1, '\t', len - (size_t) (tab - line) - 1))
                msg = "Invalid glossary entries: each line needs exactly one tab";
            else if (tab == line || tab + 1 == line + len)
                msg = "Invalid glossary entries: empty term";
            else if (self->count == TS_GLOSSARY_MAX_ENTRIES)
                msg = "Invalid glossary entries: too many entries";
            if (msg) {
                *err = msg;
                ts_glossary_destroy (&self);
                return NULL;
            }
            self->source = hny_realloc (self->source, (self->count + 1) * sizeof (char *));
            self->target = hny_realloc (self->target, (self->count + 1) * sizeof (char *));
            self->source[self->count] = hny_strndup (line, (size_t) (tab - line));
            self->target[self->count] = hny_strndup (tab + 1, len - (size_t) (tab - line) - 1);
            self->count++;
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    if (self->count == 0) {
        *err = "Invalid glossary entries: no entries";
        ts_glossary_destroy (&self);
        return NULL;
    }
    return self;
}

static char *
s_dup_or_null (const char *s)
{
    return s ? hny_strdup (s) : NULL;
}

ts_glossary_t *
ts_glossary_dup (const ts_glossary_t *src)
{
    ts_glossary_t *self = hny_calloc (1, sizeof *self);
    self->id = s_dup_or_null (src->id);
    self->name = s_dup_or_null (src->name);
    self->source_lang = s_dup_or_null (src->source_lang);
    self->target_lang = s_dup_or_null (src->target_lang);
    self->count = src->count;
    self->source = hny_calloc (src->count ? src->count : 1, sizeof (char *));
    self->target = hny_calloc (src->count ? src->count : 1, sizeof (char *));
    for (size_t i = 0; i < src->count; i++) {
        self->source[i] = hny_strdup (src->source[i]);
        self->target[i] = hny_strdup (src->target[i]);
    }
    return self;
}

void
ts_glossary_destroy (ts_glossary_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    ts_glossary_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free (self->source[i]);
        free (self->target[i]);
    }
    free (self->source);
    free (self->target);
    free (self->id);
    free (self->name);
    free (self->source_lang);
    free (self->target_lang);
    free (self);
    *self_p = NULL;
}
