/*  hny_lexicon.c: EDICT as an English stem -> Japanese keys index, English
    stemming, and MeCab for Japanese words (hny_lexicon.h).

    The load reads the file, converts it from EUC-JP with one ICU call,
    collects (stem, key, common) triples line by line, sorts them, and
    packs them: an open-addressing table of stems, each pointing at its run
    of keys in one array. The triples are freed after the pack; what stays
    is the table and the keys (a few MB). */
#include "hny_lexicon.h"
#include "hny_anchor.h"

#include <ctype.h>
#include <errno.h>
#include <mecab.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/ucnv.h>
#include <xxhash.h>

#include <honyaku/util.h>

#define S_STEM_MAX 32       /* bytes of an English word worth stemming */
#define S_GLOSS_WORDS 4     /* words of a gloss read as a translation */
#define S_MECAB_TEXT 4096   /* bytes of a sentence given to MeCab */

typedef struct {
    uint32_t stem;          /* hash of the English stem */
    uint32_t key;           /* hny_lexicon_key of the Japanese headword */
    uint32_t rank;          /* 0 common ("(P)"), 1 other; then file order */
} s_triple_t;

typedef struct {
    uint32_t stem;          /* 0: empty slot */
    uint32_t first;         /* index of its first key in keys */
    uint32_t count;         /* keys it has */
} s_slot_t;

struct _hny_lexicon_t {
    s_slot_t *slots;        /* open addressing, a power of two of them */
    size_t nslots;
    uint32_t *keys;         /* every stem's keys, run after run */
    size_t nkeys;
    size_t headwords;       /* dictionary lines read */
    double load_ms;
    mecab_t *mecab;         /* NULL: no Japanese words */
    char describe[256];
};

/* Function words: they say nothing about which sentence a sentence
   translates, and every sentence has them. */
static const char *s_stop[] = {    /* sorted (strcmp): searched by halves */
    "a", "about", "after", "against", "all", "also", "an", "and", "any", "are", "as", "at",
    "be", "been", "before", "being", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "during", "each", "etc", "for", "from", "had", "has", "have", "he", "her",
    "here", "his", "how", "if", "in", "into", "is", "it", "its", "just", "may", "might",
    "more", "most", "mr", "ms", "must", "no", "not", "of", "on", "one", "one's", "only",
    "or", "other", "our", "out", "over", "own", "said", "same", "say", "says", "shall",
    "she", "should", "so", "some", "someone", "something", "such", "than", "that", "the",
    "their", "them", "then", "there", "these", "they", "thing", "this", "those", "through",
    "to", "under", "up", "very", "was", "we", "were", "what", "when", "where", "which",
    "while", "who", "whom", "whose", "why", "will", "with", "would", "you", "your"
};

static int
s_is_stop (const char *w, size_t n)
{
    size_t lo = 0, hi = sizeof s_stop / sizeof s_stop[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp (w, s_stop[mid], n);
        if (c == 0)
            c = s_stop[mid][n] ? -1 : 0;
        if (c == 0)
            return 1;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

/* Light stemming of a lowercase word in place: plurals, -ed, -ing, a
   final e. Crude (it makes "rais" of both "raise" and "raised") but the
   same on both sides, which is all that matching needs. */
static size_t
s_stem (char *w, size_t n)
{
    if (n > 4 && memcmp (w + n - 3, "ies", 3) == 0) {
        w[n - 3] = 'y';
        n -= 2;
    } else if (n > 4 && (memcmp (w + n - 4, "sses", 4) == 0 || memcmp (w + n - 4, "ches", 4) == 0
                         || memcmp (w + n - 4, "shes", 4) == 0 || memcmp (w + n - 3, "xes", 3) == 0))
        n -= 2;
    else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u' && w[n - 2] != 'i')
        n -= 1;
    if (n > 5 && memcmp (w + n - 3, "ing", 3) == 0)
        n -= 3;
    else if (n > 4 && memcmp (w + n - 2, "ed", 2) == 0)
        n -= 2;
    if (n > 3 && w[n - 1] == 'e')
        n -= 1;
    if (n > 3 && w[n - 1] == w[n - 2] && !strchr ("aeiouls", w[n - 1]))
        n -= 1;          /* "cutting" -> "cutt" -> "cut" */
    w[n] = '\0';
    return n;
}

/* The next English word at *p (ASCII letters, lowercased into w, at most
   S_STEM_MAX - 1 kept): its length, 0 at the end of the text. Advances *p. */
static size_t
s_next_word (const char **p, char w[S_STEM_MAX])
{
    const unsigned char *q = (const unsigned char *) *p;
    while (*q && !isalpha (*q))
        q++;
    size_t n = 0;
    while (isalpha (*q) || (*q == '\'' && isalpha (q[1]))) {
        if (n < S_STEM_MAX - 1)
            w[n++] = (char) tolower (*q);
        q++;
    }
    w[n] = '\0';
    *p = (const char *) q;
    if (n > 2 && w[n - 2] == '\'' && w[n - 1] == 's')
        n -= 2;          /* "party's" */
    w[n] = '\0';
    return n;
}

static uint32_t
s_hash (const char *s, size_t n)
{
    uint32_t h = (uint32_t) XXH3_64bits (s, n);
    return h ? h : 1;    /* 0 marks an empty slot */
}

uint32_t
hny_lexicon_key (const char *word, size_t len)
{
    return s_hash (word, len);
}

/* A content word at *p, stemmed, as a stem hash: 1 and *stem set; 0 when
   the word was a function word or too short; -1 at the end. */
static int
s_next_stem (const char **p, uint32_t *stem)
{
    char w[S_STEM_MAX];
    size_t n = s_next_word (p, w);
    if (n == 0)
        return -1;
    if (n < 2 || s_is_stop (w, n))
        return 0;
    n = s_stem (w, n);
    *stem = s_hash (w, n);
    return 1;
}

static int
s_triple_cmp (const void *a, const void *b)
{
    const s_triple_t *x = a, *y = b;
    if (x->stem != y->stem)
        return x->stem < y->stem ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return 0;
}

/* The triples of one EDICT line: "KANJI [KANA] /gloss/gloss/.../".
   Adds to *t (grown by hny_realloc, capped at HNY_LEXICON_MAX_PAIRS). */
static void
s_read_line (const char *line, size_t len, s_triple_t **t, size_t *n, size_t *alloc, uint32_t order)
{
    const char *end = line + len;
    const char *sp = memchr (line, ' ', len);
    const char *slash = memchr (line, '/', len);
    if (!sp || !slash || slash < sp)
        return;
    uint32_t head = s_hash (line, (size_t) (sp - line));
    uint32_t reading = 0;
    const char *lb = memchr (sp, '[', (size_t) (slash - sp));
    const char *rb = lb ? memchr (lb, ']', (size_t) (slash - lb)) : NULL;
    if (lb && rb)
        reading = s_hash (lb + 1, (size_t) (rb - lb - 1));
    int common = 0, kana = 0;
    for (const char *q = slash; q + 4 <= end; q++) {
        if (memcmp (q, "(P)", 3) == 0)
            common = 1;
        if (memcmp (q, "(uk)", 4) == 0)
            kana = 1;
    }
    const char *g = slash + 1;
    while (g < end) {
        const char *ge = memchr (g, '/', (size_t) (end - g));
        if (!ge)
            break;
        /* the gloss without its "(n)", "(1)", "{comp}" tags */
        char clean[256];
        size_t cn = 0;
        int depth = 0;
        for (const char *q = g; q < ge && cn < sizeof clean - 1; q++) {
            if (*q == '(' || *q == '{')
                depth++;
            else if ((*q == ')' || *q == '}') && depth > 0)
                depth--;
            else if (!depth)
                clean[cn++] = *q;
        }
        clean[cn] = '\0';
        const char *p = clean;
        while (*p == ' ')
            p++;
        if (strncmp (p, "to ", 3) == 0)
            p += 3;
        int words = 0;
        for (const char *q = p; *q; q++)
            if (*q == ' ' && q[1] && q[1] != ' ')
                words++;
        if (*p && words < S_GLOSS_WORDS) {
            uint32_t stem;
            int r;
            while ((r = s_next_stem (&p, &stem)) >= 0) {
                if (r == 0)
                    continue;
                for (int k = 0; k < 1 + (kana && reading); k++) {
                    if (*n >= HNY_LEXICON_MAX_PAIRS)
                        return;
                    if (*n == *alloc) {
                        *alloc = *alloc ? *alloc * 2 : 65536;
                        *t = hny_realloc (*t, *alloc * sizeof **t);
                    }
                    /* rank: common entries first, then the file's order
                       (EDICT lists the usual sense of a word early) */
                    (*t)[(*n)++] = (s_triple_t) { stem, k ? reading : head,
                                                  (common ? 0 : 1u << 31) | order };
                }
            }
        }
        g = ge + 1;
    }
}

/* Pack the sorted triples into the table and the keys array. */
static void
s_pack (hny_lexicon_t *self, s_triple_t *t, size_t n)
{
    size_t stems = 0;
    for (size_t i = 0; i < n; i++)
        stems += i == 0 || t[i].stem != t[i - 1].stem;
    self->nslots = 16;
    while (self->nslots < stems * 2)
        self->nslots *= 2;
    self->slots = hny_calloc (self->nslots, sizeof *self->slots);
    self->keys = hny_malloc ((n ? n : 1) * sizeof *self->keys);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        uint32_t first = (uint32_t) self->nkeys;
        while (j < n && t[j].stem == t[i].stem) {
            /* once per key, and at most HNY_LEXICON_MAX_SENSES keys */
            int seen = 0;
            for (size_t k = first; k < self->nkeys && !seen; k++)
                seen = self->keys[k] == t[j].key;
            if (!seen && self->nkeys - first < HNY_LEXICON_MAX_SENSES)
                self->keys[self->nkeys++] = t[j].key;
            j++;
        }
        size_t s = t[i].stem & (self->nslots - 1);
        while (self->slots[s].stem)
            s = (s + 1) & (self->nslots - 1);
        self->slots[s] = (s_slot_t) { t[i].stem, first, (uint32_t) (self->nkeys - first) };
        i = j;
    }
}

static const s_slot_t *
s_lookup (const hny_lexicon_t *self, uint32_t stem)
{
    if (!self->slots)
        return NULL;
    size_t s = stem & (self->nslots - 1);
    while (self->slots[s].stem) {
        if (self->slots[s].stem == stem)
            return &self->slots[s];
        s = (s + 1) & (self->nslots - 1);
    }
    return NULL;
}

/* Read and index EDICT at path. Returns 0, or -1 with *error. */
static int
s_load_edict (hny_lexicon_t *self, const char *path, char **error)
{
    char *raw = NULL;
    size_t size = 0;
    if (hny_file_read (path, HNY_LEXICON_MAX_FILE, &raw, &size) != 0) {
        *error = hny_sprintf ("%s: %s", path, errno == EFBIG ? "larger than 64 MiB" : strerror (errno));
        return -1;
    }
    /* EUC-JP -> UTF-8: 2-byte characters become 3 bytes, nothing grows more */
    size_t cap = size + size / 2 + 16;
    char *text = hny_malloc (cap);
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = ucnv_convert ("UTF-8", "EUC-JP", text, (int32_t) cap, raw, (int32_t) size, &err);
    free (raw);
    if (U_FAILURE (err)) {
        free (text);
        *error = hny_sprintf ("%s: not EUC-JP (%s)", path, u_errorName (err));
        return -1;
    }
    s_triple_t *t = NULL;
    size_t n = 0, alloc = 0;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr (p, '\n', (size_t) (end - p));
        const char *le = nl ? nl : end;
        /* the first line is the file's header, not an entry */
        if (self->headwords > 0)
            s_read_line (p, (size_t) (le - p), &t, &n, &alloc, (uint32_t) self->headwords);
        self->headwords++;
        p = le + 1;
    }
    free (text);
    qsort (t, n, sizeof *t, s_triple_cmp);
    s_pack (self, t, n);
    free (t);
    if (self->nkeys == 0) {
        *error = hny_sprintf ("%s: no entries (not an EDICT file?)", path);
        return -1;
    }
    return 0;
}

hny_lexicon_t *
hny_lexicon_new (const hny_lexicon_opts_t *opts, char **error)
{
    hny_lexicon_t *self = hny_calloc (1, sizeof *self);
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    const char *edict = opts && opts->edict ? opts->edict : HNY_LEXICON_EDICT;
    const char *dicdir = opts && opts->dicdir ? opts->dicdir : HNY_LEXICON_IPADIC;
    int required_edict = opts && opts->edict, required_mecab = opts && opts->dicdir;
    char *why = NULL;
    if (*edict && s_load_edict (self, edict, &why) != 0) {
        if (required_edict)
            goto fail;
        hny_free (&why);
    }
    if (*dicdir) {
        char *arg = hny_sprintf ("-d %s", dicdir);
        self->mecab = mecab_new2 (arg);
        free (arg);
        if (!self->mecab && required_mecab) {
            why = hny_sprintf ("MeCab: cannot open the dictionary %s", dicdir);
            goto fail;
        }
    }
    clock_gettime (CLOCK_MONOTONIC, &t1);
    self->load_ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
    size_t pairs, bytes;
    hny_lexicon_stats (self, &pairs, &bytes, NULL);
    if (self->nkeys)
        snprintf (self->describe, sizeof self->describe,
                  "edict: %zu lines, %zu pairs, %.1f MB, %.0f ms; mecab: %s",
                  self->headwords, pairs, (double) bytes / 1e6, self->load_ms,
                  self->mecab ? dicdir : "none");
    else
        snprintf (self->describe, sizeof self->describe, "no dictionary; mecab: %s",
                  self->mecab ? dicdir : "none");
    return self;
fail:
    *error = why;
    hny_lexicon_destroy (&self);
    return NULL;
}

void
hny_lexicon_destroy (hny_lexicon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_lexicon_t *self = *self_p;
    free (self->slots);
    free (self->keys);
    if (self->mecab)
        mecab_destroy (self->mecab);
    free (self);
    *self_p = NULL;
}

const char *
hny_lexicon_describe (const hny_lexicon_t *self)
{
    return self->describe;
}

int
hny_lexicon_complete (const hny_lexicon_t *self)
{
    return self->nkeys > 0 && self->mecab != NULL;
}

void
hny_lexicon_stats (const hny_lexicon_t *self, size_t *pairs, size_t *bytes, double *load_ms)
{
    if (pairs)
        *pairs = self->nkeys;
    if (bytes)
        *bytes = self->nslots * sizeof (s_slot_t) + self->nkeys * sizeof (uint32_t);
    if (load_ms)
        *load_ms = self->load_ms;
}

size_t
hny_lexicon_english (const hny_lexicon_t *self, const char *text,
                     hny_lexicon_word_t *words, size_t max)
{
    if (max > HNY_LEXICON_MAX_WORDS)
        max = HNY_LEXICON_MAX_WORDS;
    size_t n = 0;
    uint32_t seen[HNY_LEXICON_MAX_WORDS];
    const char *p = text;
    uint32_t stem;
    int r;
    while (n < max && (r = s_next_stem (&p, &stem)) >= 0) {
        if (r == 0)
            continue;
        const s_slot_t *slot = s_lookup (self, stem);
        if (!slot)
            continue;
        int dup = 0;
        for (size_t i = 0; i < n && !dup; i++)
            dup = seen[i] == stem;
        if (dup)
            continue;
        seen[n] = stem;
        words[n++] = (hny_lexicon_word_t) { self->keys + slot->first, slot->count };
    }
    return n;
}

/* Field f (from 0) of MeCab's comma-separated feature: start and length. */
static int
s_field (const char *feature, int f, const char **start, size_t *len)
{
    const char *p = feature;
    for (int i = 0; i < f; i++) {
        p = strchr (p, ',');
        if (!p)
            return 0;
        p++;
    }
    const char *e = strchr (p, ',');
    *start = p;
    *len = e ? (size_t) (e - p) : strlen (p);
    return 1;
}

static int
s_field_is (const char *feature, int f, const char *value)
{
    const char *s;
    size_t n;
    return s_field (feature, f, &s, &n) && n == strlen (value) && memcmp (s, value, n) == 0;
}

static int
s_key_cmp (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

size_t
hny_lexicon_japanese (hny_lexicon_t *self, const char *text,
                      uint32_t *words, size_t max,
                      uint32_t *names, size_t max_names, size_t *n_names)
{
    *n_names = 0;
    if (!self->mecab)
        return 0;
    /* verbs every sentence has, like the English function words */
    static const char *light[] = { "する", "ある", "いる", "なる", "れる", "られる", "できる",
                                   "おる", "いう", "ない", "せる", "させる", "よる" };
    size_t len = strnlen (text, S_MECAB_TEXT);
    while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
        len--;           /* cut at a character's start */
    const mecab_node_t *node = mecab_sparse_tonode2 (self->mecab, text, len);
    size_t n = 0;
    for (; node && n < max; node = node->next) {
        if (node->stat == MECAB_BOS_NODE || node->stat == MECAB_EOS_NODE)
            continue;
        const char *f = node->feature;
        int noun = s_field_is (f, 0, "名詞"), verb = s_field_is (f, 0, "動詞"),
            adj = s_field_is (f, 0, "形容詞");
        if (!noun && !verb && !adj)
            continue;
        if (noun && (s_field_is (f, 1, "非自立") || s_field_is (f, 1, "代名詞")
                     || s_field_is (f, 1, "数") || s_field_is (f, 1, "接尾")
                     || s_field_is (f, 1, "特殊")))
            continue;
        if ((verb || adj) && !s_field_is (f, 1, "自立"))
            continue;
        const char *base;
        size_t blen;
        if (!s_field (f, 6, &base, &blen) || (blen == 1 && *base == '*')) {
            base = node->surface;
            blen = node->length;
        }
        int skip = 0;
        for (size_t i = 0; i < sizeof light / sizeof light[0] && !skip; i++)
            skip = strlen (light[i]) == blen && memcmp (light[i], base, blen) == 0;
        if (skip)
            continue;
        words[n++] = s_hash (base, blen);
        const char *reading;
        size_t rlen;
        if (noun && s_field_is (f, 1, "固有名詞") && *n_names < max_names
            && s_field (f, 7, &reading, &rlen)) {
            uint32_t k = hny_anchor_romaji (reading, rlen);
            if (k)
                names[(*n_names)++] = k;
        }
    }
    qsort (words, n, sizeof *words, s_key_cmp);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || words[i] != words[u - 1])
            words[u++] = words[i];
    return u;
}
