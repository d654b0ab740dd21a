/*  hny_glossary.c: glossaries of backend profiles: reading the TSV with
    hard caps, longest-match lookup, placeholders and their restoration
    (see hny_glossary.h). Lookup is a scan of every entry at every position:
    glossaries are small (at most 5000 entries) and segments short. */
#include "hny_glossary.h"

#include <honyaku/util.h>

#include <assert.h>
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
} s_entry_t;

struct _hny_glossary_t {
    s_entry_t *entries;
    size_t count;
};

static int
s_term_ok (const char *term, size_t len)
{
    if (len == 0 || len > HNY_GLOSSARY_MAX_TERM || !hny_utf8_valid (term, len))
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) term[i] < 0x20 || term[i] == 0x7F)
            return 0;
    return 1;
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
        size_t slen = (size_t) (tab - p), tlen = (size_t) (stop - tab - 1);
        if (!s_term_ok (p, slen) || !s_term_ok (tab + 1, tlen)) {
            *error = hny_sprintf ("%s:%zu: terms must be 1 to %d bytes of UTF-8 text without"
                                  " tabs or control characters", name, line_no,
                                  HNY_GLOSSARY_MAX_TERM);
            break;
        }
        if (self->count == HNY_GLOSSARY_MAX_ENTRIES) {
            *error = hny_sprintf ("%s:%zu: more than %d entries", name, line_no,
                                  HNY_GLOSSARY_MAX_ENTRIES);
            break;
        }
        self->entries = hny_realloc (self->entries, (self->count + 1) * sizeof *self->entries);
        s_entry_t *entry = &self->entries[self->count++];
        entry->source = hny_strndup (p, slen);
        entry->source_len = slen;
        entry->target = hny_strndup (tab + 1, tlen);
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
        *error = hny_sprintf ("%s: cannot read the glossary (missing, or over %d bytes)", path,
                              HNY_GLOSSARY_MAX_FILE);
        free (data);
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
    hny_buf_t buf = { NULL, 0, 0 };
    hny_buf_add (&buf, "", 0);
    for (size_t i = 0; i < self->count; i++) {
        hny_buf_add (&buf, self->entries[i].source, self->entries[i].source_len);
        hny_buf_add (&buf, "\t", 1);
        hny_buf_add (&buf, self->entries[i].target, strlen (self->entries[i].target));
        hny_buf_add (&buf, "\n", 1);
    }
    return buf.data;
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
    hny_buf_t buf = { NULL, 0, 0 };
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

char *
hny_glossary_restore (const hny_glossary_t *self, const size_t *terms, size_t count,
                      const char *text, size_t len, char **reason)
{
    *reason = NULL;
    unsigned char *seen = hny_calloc (count ? count : 1, 1);
    hny_buf_t buf = { NULL, 0, 0 };
    hny_buf_add (&buf, "", 0);
    size_t pos = 0, run = 0;
    while (pos < len) {
        const char *open = memmem (text + pos, len - pos, S_OPEN, S_MARK_LEN);
        if (!open)
            break;
        size_t at = (size_t) (open - text);
        size_t q = at + S_MARK_LEN, n = 0, digits = 0;
        while (q < len && text[q] >= '0' && text[q] <= '9' && digits < 6) {
            n = n * 10 + (size_t) (text[q] - '0');
            q++, digits++;
        }
        if (digits == 0 || len - q < S_MARK_LEN || memcmp (text + q, S_CLOSE, S_MARK_LEN) != 0
            || n < 1 || n > count || seen[n - 1]) {
            *reason = hny_strdup ("the translation holds an unknown or repeated glossary"
                                  " placeholder");
            break;
        }
        seen[n - 1] = 1;
        hny_buf_add (&buf, text + run, at - run);
        const char *target = self->entries[terms[n - 1]].target;
        hny_buf_add (&buf, target, strlen (target));
        pos = run = q + S_MARK_LEN;
    }
    for (size_t i = 0; !*reason && i < count; i++)
        if (!seen[i])
            *reason = hny_sprintf ("the translation lost glossary placeholder %zu (term \"%.64s\")",
                                   i + 1, self->entries[terms[i]].source);
    free (seen);
    if (*reason) {
        free (buf.data);
        return NULL;
    }
    hny_buf_add (&buf, text + run, len - run);
    return buf.data;
}
