/*  hny_glossary.c: glossaries of backend profiles: reading the TSV with
    hard caps and the checks a service makes, longest-match lookup, the
    fingerprint that names a server-side copy, placeholders and their
    lenient restoration (see hny_glossary.h). Lookup is a scan of every entry at every position:
    glossaries are small (at most 5000 entries) and segments short. */
#include "hny_glossary.h"

#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_OPEN  "\xE2\x9F\xA6"          /* ⟦ U+27E6 */
#define S_CLOSE "\xE2\x9F\xA7"          /* ⟧ U+27E7 */
#define S_MARK_LEN 3                    /* bytes of each bracket */

typedef struct {
    char *source;
    size_t source_len;
    char *target;
    size_t line;                        /* in the file, for messages */
} s_entry_t;

struct _hny_glossary_t {
    s_entry_t *entries;
    size_t count;
};

/* 1 when a term is what DeepL's glossary endpoint takes: 1 to MAX_TERM
   bytes of UTF-8 without C0/C1 control characters, DEL, or the line and
   paragraph separators U+2028/U+2029 (the service splits entries there). */
static int
s_term_ok (const char *term, size_t len)
{
    if (len == 0 || len > HNY_GLOSSARY_MAX_TERM || !hny_utf8_valid (term, len))
        return 0;
    const unsigned char *u = (const unsigned char *) term;
    for (size_t i = 0; i < len; i++) {
        if (u[i] < 0x20 || u[i] == 0x7F)
            return 0;
        if (u[i] == 0xC2 && i + 1 < len && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F)
            return 0;                   /* U+0080..U+009F */
        if (u[i] == 0xE2 && i + 2 < len && u[i + 1] == 0x80
            && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
            return 0;                   /* U+2028, U+2029 */
    }
    return 1;
}

/* Drop ASCII spaces around [*p, *p + *len). */
static void
s_trim (const char **p, size_t *len)
{
    while (*len > 0 && **p == ' ')
        (*p)++, (*len)--;
    while (*len > 0 && (*p)[*len - 1] == ' ')
        (*len)--;
}

/* The entry with this source term, or NULL. */
static const s_entry_t *
s_find (const hny_glossary_t *self, const char *source, size_t len)
{
    for (size_t i = 0; i < self->count; i++)
        if (self->entries[i].source_len == len
            && memcmp (self->entries[i].source, source, len) == 0)
            return &self->entries[i];
    return NULL;
}

hny_glossary_t *
hny_glossary_parse (const char *tsv, size_t size, const char *name, char **error)
{
    assert (error);
    *error = NULL;
    hny_glossary_t *self = hny_calloc (1, sizeof *self);
    size_t line_no = 0;
    const char *p = tsv, *end = tsv + size;
    while (p < end) {
        line_no++;
        const char *eol = memchr (p, '\n', (size_t) (end - p));
        const char *stop = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (stop > p && stop[-1] == '\r')
            stop--;
        if (stop == p || *p == '#') {
            p = next;
            continue;
        }
        const char *tab = memchr (p, '\t', (size_t) (stop - p));
        if (!tab) {
            *error = hny_sprintf ("%s:%zu: expected \"source<TAB>target\"", name, line_no);
            break;
        }
        const char *src = p, *tgt = tab + 1;
        size_t slen = (size_t) (tab - p), tlen = (size_t) (stop - tab - 1);
        s_trim (&src, &slen);
        s_trim (&tgt, &tlen);
        if (slen == 0 || tlen == 0) {
            *error = hny_sprintf ("%s:%zu: empty %s term (a service refuses the whole glossary)",
                                  name, line_no, slen == 0 ? "source" : "target");
            break;
        }
        if (!s_term_ok (src, slen) || !s_term_ok (tgt, tlen)) {
            *error = hny_sprintf ("%s:%zu: terms must be 1 to %d bytes of UTF-8 text without"
                                  " tabs, control characters or line separators", name, line_no,
                                  HNY_GLOSSARY_MAX_TERM);
            break;
        }
        const s_entry_t *dup = s_find (self, src, slen);
        if (dup) {
            if (strlen (dup->target) == tlen && memcmp (dup->target, tgt, tlen) == 0) {
                /* harmless, but a service refuses duplicate keys: send it once */
                hny_warn ("%s:%zu: \"%.*s\" repeats line %zu; skipped", name, line_no,
                          (int) (slen < 64 ? slen : 64), src, dup->line);
                p = next;
                continue;
            }
            *error = hny_sprintf ("%s:%zu: source term \"%.*s\" is already on line %zu with"
                                  " another target", name, line_no, (int) (slen < 64 ? slen : 64),
                                  src, dup->line);
            break;
        }
        if (self->count == HNY_GLOSSARY_MAX_ENTRIES) {
            *error = hny_sprintf ("%s:%zu: more than %d entries", name, line_no,
                                  HNY_GLOSSARY_MAX_ENTRIES);
            break;
        }
        self->entries = hny_realloc (self->entries, (self->count + 1) * sizeof *self->entries);
        s_entry_t *entry = &self->entries[self->count++];
        entry->source = hny_strndup (src, slen);
        entry->source_len = slen;
        entry->target = hny_strndup (tgt, tlen);
        entry->line = line_no;
        p = next;
    }
    if (!*error && self->count == 0)
        *error = hny_sprintf ("%s: the glossary has no entries", name);
    if (*error)
        hny_glossary_destroy (&self);
    return self;
}

hny_glossary_t *
hny_glossary_load (const char *path, char **error)
{
    assert (error);
    *error = NULL;
    char *data = NULL;
    size_t size = 0;
    if (hny_file_read (path, HNY_GLOSSARY_MAX_FILE, &data, &size) != 0) {
        /* hny_file_read says which: too large (EFBIG), or why it could not */
        if (errno == EFBIG)
            *error = hny_sprintf ("%s: the glossary is larger than %d bytes", path,
                                  HNY_GLOSSARY_MAX_FILE);
        else
            *error = hny_sprintf ("%s: cannot read the glossary: %s", path, strerror (errno));
        return NULL;
    }
    hny_glossary_t *self = hny_glossary_parse (data, size, path, error);
    free (data);
    return self;
}

void
hny_glossary_destroy (hny_glossary_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_glossary_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free (self->entries[i].source);
        free (self->entries[i].target);
    }
    free (self->entries);
    free (self);
    *self_p = NULL;
}

size_t hny_glossary_size (const hny_glossary_t *self) { return self->count; }

const char *
hny_glossary_source (const hny_glossary_t *self, size_t index)
{
    assert (index < self->count);
    return self->entries[index].source;
}

const char *
hny_glossary_target (const hny_glossary_t *self, size_t index)
{
    assert (index < self->count);
    return self->entries[index].target;
}

char *
hny_glossary_tsv (const hny_glossary_t *self)
{
    /* every entry: two terms of MAX_TERM at most, a tab and a newline */
    hny_buf_t buf = HNY_BUF_INIT (HNY_GLOSSARY_MAX_ENTRIES * (2 * HNY_GLOSSARY_MAX_TERM + 2));
    hny_buf_add (&buf, "", 0);
    for (size_t i = 0; i < self->count; i++) {
        hny_buf_add (&buf, self->entries[i].source, self->entries[i].source_len);
        hny_buf_add (&buf, "\t", 1);
        hny_buf_add (&buf, self->entries[i].target, strlen (self->entries[i].target));
        hny_buf_add (&buf, "\n", 1);
    }
    return buf.data;
}

void
hny_glossary_fingerprint (const hny_glossary_t *self, char out[HNY_GLOSSARY_FINGERPRINT_LEN + 1])
{
    /* FNV-1a: not for security, only to tell versions of one file apart. */
    char *tsv = hny_glossary_tsv (self);
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const unsigned char *c = (const unsigned char *) tsv; *c; c++) {
        hash ^= *c;
        hash *= 0x100000001b3ull;
    }
    free (tsv);
    snprintf (out, HNY_GLOSSARY_FINGERPRINT_LEN + 1, "%016" PRIx64, hash);
}

long
hny_glossary_whole (const hny_glossary_t *self, const char *text, size_t len)
{
    const s_entry_t *e = s_find (self, text, len);
    return e ? (long) (e - self->entries) : -1;
}

/* The entry whose source is the longest match at text[pos], or -1. */
static long
s_match (const hny_glossary_t *self, const char *text, size_t len, size_t pos)
{
    long best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < self->count; i++) {
        const s_entry_t *e = &self->entries[i];
        if (e->source_len > best_len && e->source_len <= len - pos
            && memcmp (text + pos, e->source, e->source_len) == 0) {
            best = (long) i;
            best_len = e->source_len;
        }
    }
    return best;
}

/* Bytes of the UTF-8 character starting at text[pos] (1 for stray bytes). */
static size_t
s_char_len (const char *text, size_t len, size_t pos)
{
    size_t n = 1;
    while (pos + n < len && ((unsigned char) text[pos + n] & 0xC0) == 0x80)
        n++;
    return n;
}

size_t
hny_glossary_mark_used (const hny_glossary_t *self, const char *text, size_t len,
                        unsigned char *used)
{
    size_t marked = 0;
    size_t pos = 0;
    while (pos < len) {
        long m = s_match (self, text, len, pos);
        if (m >= 0) {
            if (!used[m])
                marked++;
            used[m] = 1;
            pos += self->entries[m].source_len;
        }
        else
            pos += s_char_len (text, len, pos);
    }
    return marked;
}

char *
hny_glossary_protect (const hny_glossary_t *self, const char *text, size_t len, size_t **terms,
                      size_t *count)
{
    *terms = NULL;
    *count = 0;
    if (len >= S_MARK_LEN && memmem (text, len, S_OPEN, S_MARK_LEN))
        return NULL;
    /* a byte becomes at most one placeholder: two brackets, 20 digits */
    hny_buf_t buf = HNY_BUF_INIT (len * (2 * S_MARK_LEN + 20) + 1);
    size_t pos = 0, run = 0;        /* run: start of text copied as is */
    while (pos < len) {
        long m = s_match (self, text, len, pos);
        if (m < 0) {
            pos += s_char_len (text, len, pos);
            continue;
        }
        hny_buf_add (&buf, text + run, pos - run);
        *terms = hny_realloc (*terms, (*count + 1) * sizeof **terms);
        (*terms)[(*count)++] = (size_t) m;
        char mark[32];
        int n = snprintf (mark, sizeof mark, S_OPEN "%zu" S_CLOSE, *count);
        hny_buf_add (&buf, mark, (size_t) n);
        pos += self->entries[m].source_len;
        run = pos;
    }
    if (*count == 0) {
        free (buf.data);
        return NULL;
    }
    hny_buf_add (&buf, text + run, len - run);
    return buf.data;
}

/* Length of a placeholder ⟦digits⟧ at text[at] (its number in *n), or 0. */
static size_t
s_placeholder (const char *text, size_t len, size_t at, size_t *n)
{
    size_t q = at + S_MARK_LEN, digits = 0;
    *n = 0;
    while (q < len && text[q] >= '0' && text[q] <= '9' && digits < 6) {
        *n = *n * 10 + (size_t) (text[q] - '0');
        q++, digits++;
    }
    if (digits == 0 || len - q < S_MARK_LEN || memcmp (text + q, S_CLOSE, S_MARK_LEN) != 0)
        return 0;
    return q + S_MARK_LEN - at;
}

char *
hny_glossary_restore (const hny_glossary_t *self, const size_t *terms, size_t count,
                      const char *text, size_t len, char **warning)
{
    *warning = NULL;
    unsigned char *seen = hny_calloc (count ? count : 1, 1);
    size_t stray = 0, repeated = 0;
    /* a placeholder (7 bytes or more) becomes a target of MAX_TERM at most */
    hny_buf_t buf = HNY_BUF_INIT (len + len / (2 * S_MARK_LEN + 1) * HNY_GLOSSARY_MAX_TERM + 1);
    hny_buf_add (&buf, "", 0);
    size_t pos = 0;
    while (pos < len) {
        /* Copy up to the next bracket of either kind. */
        size_t at = pos;
        while (at < len && !(len - at >= S_MARK_LEN
                             && (memcmp (text + at, S_OPEN, S_MARK_LEN) == 0
                                 || memcmp (text + at, S_CLOSE, S_MARK_LEN) == 0)))
            at++;
        hny_buf_add (&buf, text + pos, at - pos);
        if (at == len)
            break;
        size_t n, plen = memcmp (text + at, S_OPEN, S_MARK_LEN) == 0
                             ? s_placeholder (text, len, at, &n) : 0;
        if (plen == 0 || n < 1 || n > count) {
            /* The source had no bracket (hny_glossary_protect refuses
               those): this one is a broken placeholder, not text. */
            stray++;
            pos = at + (plen ? plen : S_MARK_LEN);
            continue;
        }
        repeated += seen[n - 1];
        seen[n - 1] = 1;
        const char *target = self->entries[terms[n - 1]].target;
        hny_buf_add (&buf, target, strlen (target));
        pos = at + plen;
    }
    size_t lost = 0, first_lost = 0;
    for (size_t i = count; i-- > 0;)
        if (!seen[i])
            lost++, first_lost = i;
    if (lost)
        *warning = hny_sprintf ("glossary term lost in the translation: %zu of %zu"
                                " (first: \"%.64s\")", lost, count,
                                self->entries[terms[first_lost]].source);
    else if (stray || repeated)
        *warning = hny_sprintf ("glossary placeholders came back %s; their terms were put back"
                                " where they could be", stray ? "broken" : "repeated");
    free (seen);
    return buf.data;
}
