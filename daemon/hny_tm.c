/*  hny_tm.c: the translation memory, following entries to the segment or
    record that holds their text (see hny_tm.h).

    A record is found again by a small walker over its JSON text: it
    skips strings, numbers and nested values without building them, and
    notes where the title and each paragraph's pairs begin; the pair asked
    for is then read alone (its src and tgt strings decoded, the rest
    skipped), which costs a fraction of parsing the record with jansson.
    The walker does not trust the text: it stops at the end of the buffer,
    at a nesting deeper than a record has, and at anything that is not
    JSON, and a record it cannot walk has no pairs (a miss). */
#include "hny_tm.h"

#include "hny_json.h"

#include <honyaku/util.h>

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define S_CACHE_RECORDS (2 * HNY_TM_AHEAD_MAX)  /* records kept decompressed (an archive repeats the
                                           sentences of a few dozen early articles) */
#define S_CACHE_BYTES   (2 * HNY_TM_AHEAD_BYTES)    /* ... with at most this much text (but the one
                                           last read, up to HNY_PROTO_BODY_MAX) */
#define S_DEPTH_MAX     64              /* nesting the walker follows (metadata is nested) */

/* A record's text and where its pairs are. */
typedef struct {
    int64_t job;
    char *text;
    size_t len;
    long title;                 /* offset of the title pair, -1: none */
    uint32_t *pairs;            /* offsets of the paragraphs' pairs, in order */
    size_t pair_count, pair_alloc;
    uint32_t *first;            /* per paragraph: index of its first pair in pairs */
    size_t para_count, para_alloc;
} s_rec_t;

struct _hny_tm_t {
    hny_store_t *store;
    uint64_t generation;        /* the store's when the cache was filled */
    s_rec_t *cache [S_CACHE_RECORDS];   /* most recently used first */
    size_t cached;
    ZSTD_DCtx *dctx [2];        /* hny_tm_prefetch's, one a thread; made on first use */
};

/* ------------------------------------------------------------- the walker */

static const char *
s_ws (const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p is at a quote: past the closing one, or NULL. A quote closes the
   string unless an odd number of backslashes come before it; memchr
   finds the quotes (records are mostly long strings). */
static const char *
s_skip_string (const char *p, const char *end)
{
    const char *from = p + 1;
    for (const char *q; from < end && (q = memchr (from, '"', (size_t) (end - from))); from = q + 1) {
        size_t slashes = 0;
        while (q - (ptrdiff_t) slashes > p + 1 && q [-1 - (ptrdiff_t) slashes] == '\\')
            slashes++;
        if (slashes % 2 == 0)
            return q + 1;
    }
    return NULL;
}

static const char *s_skip (const char *p, const char *end, int depth);

/* Inside an object or an array (after its opening, or after an item):
   move to the next item. 1: *p is at it; 0: the container ended with
   close (*p past it); -1: not JSON. */
static int
s_next (const char **p, const char *end, int first, char close)
{
    const char *q = s_ws (*p, end);
    if (q < end && *q == close) {
        *p = q + 1;
        return 0;
    }
    if (!first) {
        if (q >= end || *q != ',')
            return -1;
        q = s_ws (q + 1, end);
    }
    *p = q;
    return q < end ? 1 : -1;
}

/* The same in an object, to the next member's value: *key, *klen name it
   (its raw text). */
static int
s_member (const char **p, const char *end, int first, const char **key, size_t *klen)
{
    int rc = s_next (p, end, first, '}');
    if (rc != 1)
        return rc;
    const char *q = *p;
    if (*q != '"')
        return -1;
    *key = q + 1;
    if (!(q = s_skip_string (q, end)))
        return -1;
    *klen = (size_t) (q - 1 - *key);
    q = s_ws (q, end);
    if (q >= end || *q != ':')
        return -1;
    *p = s_ws (q + 1, end);
    return *p < end ? 1 : -1;
}

static int
s_element (const char **p, const char *end, int first)
{
    return s_next (p, end, first, ']');
}

/* Past the value at p, or NULL. */
static const char *
s_skip (const char *p, const char *end, int depth)
{
    p = s_ws (p, end);
    if (p >= end || depth > S_DEPTH_MAX)
        return NULL;
    int rc;
    if (*p == '"')
        return s_skip_string (p, end);
    if (*p == '{') {
        const char *key;
        size_t klen;
        p++;
        for (int first = 1; (rc = s_member (&p, end, first, &key, &klen)) == 1; first = 0)
            if (!(p = s_skip (p, end, depth + 1)))
                return NULL;
        return rc == 0 ? p : NULL;
    }
    if (*p == '[') {
        p++;
        for (int first = 1; (rc = s_element (&p, end, first)) == 1; first = 0)
            if (!(p = s_skip (p, end, depth + 1)))
                return NULL;
        return rc == 0 ? p : NULL;
    }
    /* A number, true, false or null. */
    const char *start = p;
    while (p < end && *p && strchr ("+-.0123456789eEtruefalsn", *p))
        p++;
    return p > start ? p : NULL;
}

static int
s_is (const char *key, size_t klen, const char *name)
{
    return klen == strlen (name) && memcmp (key, name, klen) == 0;
}

static void
s_rec_free (s_rec_t **r_p)
{
    s_rec_t *r = *r_p;
    if (!r)
        return;
    free (r->text);
    free (r->pairs);
    free (r->first);
    free (r);
    *r_p = NULL;
}

static void
s_push (uint32_t **array, size_t *count, size_t *alloc, uint32_t value)
{
    if (*count == *alloc) {
        *alloc = *alloc ? *alloc * 2 : 64;
        *array = hny_realloc (*array, *alloc * sizeof **array);
    }
    (*array) [(*count)++] = value;
}

/* The paragraphs array (p past its bracket): note each paragraph and the
   offsets of its pairs. Past the array, or NULL. */
static const char *
s_index_paragraphs (s_rec_t *r, const char *p, const char *end)
{
    int rc;
    for (int first = 1; (rc = s_element (&p, end, first)) == 1; first = 0) {
        if (*p != '{')
            return NULL;
        s_push (&r->first, &r->para_count, &r->para_alloc, (uint32_t) r->pair_count);
        const char *key;
        size_t klen;
        int mrc;
        p++;
        for (int mfirst = 1; (mrc = s_member (&p, end, mfirst, &key, &klen)) == 1; mfirst = 0) {
            if (!s_is (key, klen, "segments") || *p != '[') {
                if (!(p = s_skip (p, end, 3)))
                    return NULL;
                continue;
            }
            p++;
            int erc;
            for (int efirst = 1; (erc = s_element (&p, end, efirst)) == 1; efirst = 0) {
                s_push (&r->pairs, &r->pair_count, &r->pair_alloc, (uint32_t) (p - r->text));
                if (!(p = s_skip (p, end, 4)))
                    return NULL;
            }
            if (erc < 0)
                return NULL;
        }
        if (mrc < 0)
            return NULL;
    }
    return rc == 0 ? p : NULL;
}

/* Index a record's text (taken over, unless NULL is returned: it is not
   a record). */
static s_rec_t *
s_rec_new (int64_t job, char *text, size_t len)
{
    s_rec_t *r = hny_calloc (1, sizeof *r);
    r->job = job;
    r->text = text;
    r->len = len;
    r->title = -1;
    const char *end = text + len, *p = s_ws (text, end), *key;
    size_t klen;
    int rc = -1;
    if (len < UINT32_MAX && p < end && *p == '{') {
        p++;
        for (int first = 1; (rc = s_member (&p, end, first, &key, &klen)) == 1; first = 0) {
            if (s_is (key, klen, "title") && *p == '{')
                r->title = p - text;
            if (s_is (key, klen, "paragraphs") && *p == '[')
                p = s_index_paragraphs (r, p + 1, end);
            else
                p = s_skip (p, end, 1);
            if (!p) {
                rc = -1;
                break;
            }
        }
    }
    if (rc != 0) {
        r->text = NULL;         /* stays the caller's */
        s_rec_free (&r);
    }
    return r;
}

/* The JSON string at p (at its quote), decoded: a new string, or NULL
   when it is not one (or holds \u0000, which a C string cannot). */
static char *
s_json_string (const char *p, const char *end)
{
    const char *close = s_skip_string (p, end);
    if (!close)
        return NULL;
    char *out = hny_malloc ((size_t) (close - p)), *o = out;
    for (p++; p < close - 1; p++) {
        if (*p != '\\') {
            /* the run up to the next escape (most strings have none) */
            const char *bs = memchr (p, '\\', (size_t) (close - 1 - p));
            const char *stop = bs ? bs : close - 1;
            memcpy (o, p, (size_t) (stop - p));
            o += stop - p;
            p = stop - 1;       /* the loop's p++ lands on the escape, or the end */
            continue;
        }
        /* an escape, decoded as the parser decodes it (hny_json.h) */
        char utf8 [4];
        size_t len = 0;
        int used = hny_json_escape (p, (size_t) (close - 1 - p), utf8, &len);
        if (used < 0) {
            free (out);
            return NULL;
        }
        memcpy (o, utf8, len);
        o += len;
        p += used - 1;          /* the loop's p++ goes past the escape */
    }
    *o = 0;
    return out;
}

/* Where pair (para, idx) of an indexed record begins (at its brace), or
   -1 when it has none. */
static long
s_rec_at (const s_rec_t *r, int para, int idx)
{
    long at = -1;
    if (para == -1 && idx == 0)
        at = r->title;
    else if (para >= 0 && (size_t) para < r->para_count && idx >= 0) {
        size_t from = r->first [para];
        size_t to = (size_t) para + 1 < r->para_count ? r->first [para + 1] : r->pair_count;
        if ((size_t) idx < to - from)
            at = (long) r->pairs [from + (size_t) idx];
    }
    return at >= 0 && r->text [at] == '{' ? at : -1;
}

/* Pair (para, idx) of an indexed record: 1 (*src, *tgt caller owns, *tgt
   NULL when the pair has none), 0 none. */
static int
s_rec_pair (const s_rec_t *r, int para, int idx, char **src, char **tgt)
{
    long at = s_rec_at (r, para, idx);
    if (at < 0)
        return 0;
    /* Its members: src and tgt are decoded, the others skipped. */
    const char *p = r->text + at + 1, *end = r->text + r->len, *key;
    size_t klen;
    char *s = NULL, *t = NULL;
    int rc;
    for (int first = 1; (rc = s_member (&p, end, first, &key, &klen)) == 1; first = 0) {
        char **into = s_is (key, klen, "src") ? &s : s_is (key, klen, "tgt") ? &t : NULL;
        if (into && *p == '"' && !*into)
            *into = s_json_string (p, end);
        if (!(p = s_skip (p, end, 5)))
            rc = -1;
        if (rc < 0)
            break;
    }
    if (rc != 0 || !s) {
        free (s);
        free (t);
        return 0;
    }
    *src = s;
    *tgt = t;
    return 1;
}

int
hny_tm_record_pair (const char *json, size_t len, int para, int idx, char **src, char **tgt)
{
    char *text = hny_malloc (len + 1);
    memcpy (text, json, len);
    text [len] = 0;
    s_rec_t *r = s_rec_new (0, text, len);
    int found = r && s_rec_pair (r, para, idx, src, tgt);
    if (!r)
        free (text);
    s_rec_free (&r);
    return found;
}

/* ------------------------------------------------------------- the cache */

static void
s_cache_clear (hny_tm_t *self)
{
    for (size_t i = 0; i < self->cached; i++)
        s_rec_free (&self->cache [i]);
    self->cached = 0;
}

/* The cache as the store is now: emptied when the store undid a pass
   since it was filled (what was read in that pass may be gone). */
static void
s_cache_check (hny_tm_t *self)
{
    if (self->generation != hny_store_generation (self->store)) {
        s_cache_clear (self);
        self->generation = hny_store_generation (self->store);
    }
}

static void s_cache_add (hny_tm_t *self, s_rec_t *r);

/* The indexed record of a job, from the cache or the store (then cached
   in front; the least recently used go while there are more than
   S_CACHE_RECORDS or their text passes S_CACHE_BYTES, but the newest
   stays whatever its size: a 190,000-segment article translated again is
   one decompression, not one a sentence). 1, 0 no record (or not one),
   -1 error. */
static int
s_record (hny_tm_t *self, int64_t job, s_rec_t **out)
{
    for (size_t i = 0; i < self->cached; i++)
        if (self->cache [i]->job == job) {
            s_rec_t *r = self->cache [i];
            memmove (&self->cache [1], &self->cache [0], i * sizeof *self->cache);
            self->cache [0] = r;
            *out = r;
            return 1;
        }
    char *text = NULL;
    int rc = hny_store_record_get (self->store, job, &text);
    if (rc != 1)
        return rc;
    s_rec_t *r = s_rec_new (job, text, strlen (text));
    if (!r) {
        free (text);
        hny_warn ("job %lld: its record cannot be walked: its TM entries miss", (long long) job);
        return 0;
    }
    s_cache_add (self, r);
    *out = r;
    return 1;
}

/* Put r (taken over) in front of the cache, as the most recently used. */
static void
s_cache_add (hny_tm_t *self, s_rec_t *r)
{
    if (self->cached == S_CACHE_RECORDS)
        s_rec_free (&self->cache [--self->cached]);
    memmove (&self->cache [1], &self->cache [0], self->cached * sizeof *self->cache);
    self->cache [0] = r;
    self->cached++;
    size_t bytes = 0;
    for (size_t i = 0; i < self->cached; i++)
        bytes += self->cache [i]->len;
    while (self->cached > 1 && bytes > S_CACHE_BYTES) {
        bytes -= self->cache [self->cached - 1]->len;
        s_rec_free (&self->cache [--self->cached]);
    }
}

/* Append a pair's source to into as a prepared segment {"src"}: 0, or
   -1 (no such pair, an empty source, or not UTF-8). */
static int
s_rec_source (const s_rec_t *r, int para, int idx, json_t *into)
{
    char *src = NULL, *tgt = NULL;
    int rc = s_rec_pair (r, para, idx, &src, &tgt) == 1 && *src ? 0 : -1;
    json_t *text = rc == 0 ? json_string (src) : NULL;     /* NULL: not UTF-8 */
    if (text) {
        json_t *seg = json_object ();
        json_object_set_new_nocheck (seg, "src", text);
        rc = json_array_append_new (into, seg);
    }
    else
        rc = -1;
    free (src);
    free (tgt);
    return rc;
}

json_t *
hny_tm_article (hny_tm_t *self, int64_t job, size_t max_segments)
{
    s_cache_check (self);
    s_rec_t *r = NULL;
    if (s_record (self, job, &r) != 1
    ||  r->pair_count + (r->title >= 0) > max_segments)
        return NULL;
    json_t *art = json_object (), *paras = json_array ();
    json_object_set_new (art, "paragraphs", paras);
    int rc = 0;
    if (r->title >= 0) {
        json_t *one = json_array ();
        rc = s_rec_source (r, -1, 0, one);
        if (rc == 0)
            json_object_set (art, "title", json_array_get (one, 0));
        json_decref (one);
    }
    for (size_t p = 0; p < r->para_count && rc == 0; p++) {
        size_t to = p + 1 < r->para_count ? r->first [p + 1] : r->pair_count;
        json_t *segs = json_array ();
        json_array_append_new (paras, json_pack ("{s:o}", "segments", segs));
        for (size_t i = r->first [p]; i < to && rc == 0; i++)
            rc = s_rec_source (r, (int) p, (int) (i - r->first [p]), segs);
    }
    if (rc != 0)
        json_decref (art);
    return rc == 0 ? art : NULL;
}

/* One string of a pair, as hny_tm_pair_t gives it: the literal from p
   (at its quote) to close (past the closing one). */
typedef struct {
    const char *lit;
    size_t len, chars;
    hny_buf_t own;              /* the literal written again, when the record's is not
                                   the writer's form */
} s_lit_t;

/* The literal at p (at its quote) into *l, with its characters when
   chars: 0, or -1 (not a string that decodes). A literal without a
   backslash is the writer's form as it is: honyakud's records are
   written from checked UTF-8 (as s_json_string, this trusts them there;
   the frame's checksum guards the bytes), and both writers they ever
   came from (hny_json_put_str, jansson's json_dumps) escape every byte
   that must be, so any escape has a backslash. */
static int
s_lit (const char *p, const char *end, s_lit_t *l, int chars)
{
    const char *close = s_skip_string (p, end);
    if (!close)
        return -1;
    if (!memchr (p + 1, '\\', (size_t) (close - p - 2))) {
        l->lit = p;
        l->len = (size_t) (close - p);
        l->chars = chars ? hny_utf8_length (p + 1, l->len - 2) : 0;
        return 0;
    }
    char *text = s_json_string (p, end);
    if (!text || !hny_utf8_valid (text, strlen (text))) {
        free (text);
        return -1;
    }
    l->own = (hny_buf_t) HNY_BUF_INIT ((size_t) (close - p) * 6 + 2);
    hny_json_put_str (&l->own, text, strlen (text));
    l->lit = l->own.data;
    l->len = l->own.len;
    l->chars = chars ? hny_utf8_length (text, strlen (text)) : 0;
    free (text);
    return 0;
}

/* Pair (para, idx) of an indexed record as literals (*src, *tgt: tgt->lit
   NULL when its target is null or missing) and *fallback (it names a
   "backend"): 1, or 0 (no such pair, or a string that does not decode). */
static int
s_rec_pair_lits (const s_rec_t *r, int para, int idx, s_lit_t *src, s_lit_t *tgt, int *fallback)
{
    long at = s_rec_at (r, para, idx);
    if (at < 0)
        return 0;
    const char *p = r->text + at + 1, *end = r->text + r->len, *key;
    size_t klen;
    int rc;
    for (int first = 1; (rc = s_member (&p, end, first, &key, &klen)) == 1; first = 0) {
        s_lit_t *into = s_is (key, klen, "src") ? src : s_is (key, klen, "tgt") ? tgt : NULL;
        if (into && *p == '"' && !into->lit && s_lit (p, end, into, into == src) != 0)
            rc = -1;
        if (s_is (key, klen, "backend"))
            *fallback = 1;
        if (rc < 0 || !(p = s_skip (p, end, 5))) {
            rc = -1;
            break;
        }
    }
    return rc == 0 && src->lit ? 1 : 0;
}

int
hny_tm_article_pairs (hny_tm_t *self, int64_t job, size_t max_segments, hny_tm_pair_fn *fn, void *arg)
{
    s_cache_check (self);
    s_rec_t *r = NULL;
    int rc = s_record (self, job, &r);
    if (rc != 1)
        return rc;
    size_t count = r->pair_count + (r->title >= 0);
    if (count == 0 || count > max_segments)
        return 0;
    /* All of them found and checked first: fn sees all or nothing. The
       literals point into the record, which stays in the cache meanwhile
       (nothing else reads the TM). */
    struct { int para, idx; s_lit_t src, tgt; } *pairs = hny_calloc (count, sizeof *pairs);
    size_t n = 0;
    int usable = 1, out = -1;
    for (long p = r->title >= 0 ? -1 : 0; usable && p < (long) r->para_count; p++) {
        size_t from = p < 0 ? 0 : r->first [p];
        size_t to = p < 0 ? 1 : (size_t) p + 1 < r->para_count ? r->first [p + 1] : r->pair_count;
        /* Numbered as a load numbers them: a paragraph without pairs
           takes no number (honyakud's records have none). */
        if (p >= 0 && to > from)
            out++;
        for (size_t i = from; usable && i < to; i++) {
            int fallback = 0;
            if (s_rec_pair_lits (r, (int) p, (int) (i - from), &pairs [n].src, &pairs [n].tgt,
                                 &fallback) != 1) {
                usable = 0;
                n++;            /* freed below */
                break;
            }
            pairs [n].para = p < 0 ? -1 : out;
            pairs [n].idx = (int) (i - from);
            /* What the lookups would take: a source and a target of the
               job's own profile. */
            usable = !fallback && pairs [n].tgt.lit && pairs [n].src.chars > 0;
            n++;
        }
    }
    for (size_t i = 0; usable && i < n; i++) {
        hny_tm_pair_t pair = { pairs [i].src.lit, pairs [i].tgt.lit, pairs [i].src.len, pairs [i].tgt.len,
                               pairs [i].src.chars };
        fn (pairs [i].para, pairs [i].idx, &pair, arg);
    }
    for (size_t i = 0; i < n; i++) {
        hny_buf_free (&pairs [i].src.own);
        hny_buf_free (&pairs [i].tgt.own);
    }
    free (pairs);
    return usable ? 1 : 0;
}

/* ------------------------------------------------------------- lookups */

/* The target at an entry's place, when its source is src: a record in
   the cache (the usual case: the other segments of an article met
   before), else the job's segment while it has one, else its record from
   the store. 1, 0, -1. */
static int
s_follow (hny_tm_t *self, const hny_tm_entry_t *entry, const char *src, char **tgt)
{
    char *found_src = NULL, *found_tgt = NULL;
    s_rec_t *r = NULL;
    int rc = 0;
    for (size_t i = 0; i < self->cached && !rc; i++)
        if (self->cache [i]->job == entry->job)
            rc = s_rec_pair (self->cache [i], entry->para, entry->idx, &found_src, &found_tgt);
    if (rc == 0)
        rc = hny_store_segment_pair (self->store, entry->job, entry->para, entry->idx, &found_src,
                                     &found_tgt);
    if (rc == 0 && (rc = s_record (self, entry->job, &r)) == 1)
        rc = s_rec_pair (r, entry->para, entry->idx, &found_src, &found_tgt);
    if (rc == 1 && found_tgt && strcmp (found_src, src) == 0) {
        *tgt = found_tgt;
        found_tgt = NULL;
    }
    else if (rc == 1)
        rc = 0;
    free (found_src);
    free (found_tgt);
    return rc;
}

int
hny_tm_lookup (hny_tm_t *self, const char *from, const char *to, const char *profile,
               const char *src, char **tgt, int *human)
{
    /* What the cache holds may come from a pass that was undone (and a
       job id given again since). */
    s_cache_check (self);
    if (human)
        *human = 0;
    hny_tm_entry_t entry;
    int rc = hny_store_tm_get (self->store, from, to, profile, src, &entry);
    if (rc != 1)
        return rc;
    if (entry.tgt) {
        *tgt = entry.tgt;
        if (human)
            *human = entry.human;
        return 1;
    }
    return s_follow (self, &entry, src, tgt);
}

int
hny_tm_get (hny_tm_t *self, const char *from, const char *to, const char *profile, const char *src,
            char **tgt)
{
    return hny_tm_lookup (self, from, to, profile, src, tgt, NULL);
}

/* ------------------------------------------------------------- export */

#define S_EXPORT_BYTES (16 << 20)     /* text of a TMEXPORT page: well under the body cap
                                         (an entry's sides are a segment each) */

typedef struct {
    hny_tm_t *tm;
    json_t *entries;
    int64_t last_hash, last_key;    /* the last entry taken: the next page starts after it */
    size_t bytes;                   /* text taken so far */
    int full;                       /* S_EXPORT_BYTES reached: the rest is the next page's */
} s_export_t;

/* One stored entry into the export: its text, or the pair at its place
   when that still holds a source of the entry's hash (else it is left
   out: a place whose text went is no entry). */
static int
s_export_row (const hny_tm_row_t *row, void *arg)
{
    s_export_t *x = arg;
    if (x->bytes >= S_EXPORT_BYTES) {
        x->full = 1;
        return 0;
    }
    x->last_hash = row->hash;
    x->last_key = row->tmkey;
    char *src = NULL, *tgt = NULL;
    if (row->src && row->tgt) {
        src = hny_strdup (row->src);
        tgt = hny_strdup (row->tgt);
    }
    else if (row->job > 0) {
        hny_tm_entry_t entry = { .job = row->job, .para = row->para, .idx = row->idx };
        int rc = hny_store_segment_pair (x->tm->store, row->job, row->para, row->idx, &src, &tgt);
        s_rec_t *r = NULL;
        if (rc == 0 && s_record (x->tm, entry.job, &r) == 1)
            rc = s_rec_pair (r, entry.para, entry.idx, &src, &tgt);
        if (rc != 1 || !tgt || hny_store_text_hash (src) != row->hash) {
            free (src);
            free (tgt);
            src = tgt = NULL;
        }
    }
    if (src && tgt)
        x->bytes += strlen (src) + strlen (tgt);
    if (src && tgt)
        json_array_append_new (x->entries, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s*}",
                                                      "from", row->from, "to", row->to,
                                                      "src", src, "tgt", tgt,
                                                      "origin", row->origin ? "human" : "machine",
                                                      "source", row->origin));
    if (src && tgt && !row->origin)
        json_object_set_new (json_array_get (x->entries, json_array_size (x->entries) - 1),
                             "profile", json_string (row->profile));
    free (src);
    free (tgt);
    return 0;
}

json_t *
hny_tm_export (hny_tm_t *self, const char *from, const char *to, int which, const char *after,
               int limit, char **next)
{
    *next = NULL;
    s_cache_check (self);
    s_export_t x = { .tm = self, .entries = json_array (), .last_hash = INT64_MIN,
                     .last_key = INT64_MIN };
    if (after && sscanf (after, "%" SCNd64 ":%" SCNd64, &x.last_hash, &x.last_key) != 2) {
        json_decref (x.entries);
        return NULL;
    }
    int n = hny_store_tm_page (self->store, from, to, which, x.last_hash, x.last_key, limit,
                               s_export_row, &x);
    if (n < 0) {
        json_decref (x.entries);
        return NULL;
    }
    if (n == limit || x.full)
        *next = hny_sprintf ("%" PRId64 ":%" PRId64, x.last_hash, x.last_key);
    return x.entries;
}

int
hny_tm_put (hny_tm_t *self, const char *from, const char *to, const char *profile, const char *src,
            const char *tgt, int64_t job, int para, int idx)
{
    if (job > 0)
        return hny_store_tm_put_ref (self->store, from, to, profile, src, job, para, idx);
    return hny_store_tm_put (self->store, from, to, profile, src, tgt);
}

/* ------------------------------------------------------------- life cycle */

hny_tm_t *
hny_tm_new (hny_store_t *store)
{
    assert (store);
    hny_tm_t *self = hny_calloc (1, sizeof *self);
    self->store = store;
    self->generation = hny_store_generation (store);
    return self;
}

void
hny_tm_destroy (hny_tm_t **self_p)
{
    assert (self_p);
    hny_tm_t *self = *self_p;
    if (!self)
        return;
    s_cache_clear (self);
    ZSTD_freeDCtx (self->dctx [0]);
    ZSTD_freeDCtx (self->dctx [1]);
    free (self);
    *self_p = NULL;
}

/* ------------------------------------------------------------ prefetch */

int
hny_tm_cached (hny_tm_t *self, int64_t job)
{
    s_cache_check (self);
    for (size_t k = 0; k < self->cached; k++)
        if (self->cache [k]->job == job)
            return 1;
    return 0;
}

/* One record read ahead: its row's bytes (read on the loop), then its
   text and index (made on either thread). */
typedef struct {
    int64_t job;
    void *data;
    size_t size;
    int zipped;
    s_rec_t *rec;               /* made: the record indexed; NULL: read it the usual way */
} s_ahead_t;

static void
s_ahead_make (void *item, int thread, void *arg)
{
    s_ahead_t *a = item;
    ZSTD_DCtx **dctx = arg;
    char *text = NULL;
    const char *why = NULL;
    if (!a->zipped) {
        text = a->data;
        a->data = NULL;
    }
    else if (hny_store_record_unzip (dctx [thread], a->data, a->size, &text, &why) != 1)
        return;                 /* read again by s_record, which says what is wrong */
    a->rec = s_rec_new (a->job, text, strlen (text));
    if (!a->rec)
        free (text);
}

void
hny_tm_prefetch (hny_tm_t *self, const int64_t *jobs, size_t n)
{
    s_cache_check (self);
    for (int t = 0; t < 2; t++)
        if (!self->dctx [t] && !(self->dctx [t] = ZSTD_createDCtx ()))
            return;
    /* At most half the cache, in records and in bytes (hny_tm.h); each
       job once, none cached already. */
    s_ahead_t ahead [HNY_TM_AHEAD_MAX];
    void *items [HNY_TM_AHEAD_MAX];
    size_t count = 0;
    unsigned long long bytes = 0;   /* the texts' sizes, as their frames say */
    for (size_t i = 0; i < n && count < HNY_TM_AHEAD_MAX; i++) {
        int known = hny_tm_cached (self, jobs [i]);
        for (size_t k = 0; k < count && !known; k++)
            known = ahead [k].job == jobs [i];
        if (known)
            continue;
        s_ahead_t *a = &ahead [count];
        *a = (s_ahead_t) { .job = jobs [i] };
        if (hny_store_record_raw (self->store, jobs [i], &a->data, &a->size, &a->zipped) != 1)
            continue;           /* none (or an error): s_record will say */
        /* its text's size, from its frame (a damaged one counts as its
           bytes: s_ahead_make leaves it to s_record) */
        unsigned long long text = a->zipped ? ZSTD_getFrameContentSize (a->data, a->size) : a->size;
        if (text == ZSTD_CONTENTSIZE_ERROR || text == ZSTD_CONTENTSIZE_UNKNOWN)
            text = a->size;
        if (count > 0 && bytes + text > HNY_TM_AHEAD_BYTES) {
            free (a->data);
            break;
        }
        bytes += text;
        items [count] = a;
        count++;
    }
    hny_zpool_map (hny_store_records_zpool (self->store), s_ahead_make, items, count, self->dctx);
    /* into the cache in the order asked, the first asked in front */
    for (size_t i = count; i-- > 0;) {
        free (ahead [i].data);
        if (ahead [i].rec)
            s_cache_add (self, ahead [i].rec);
    }
}
