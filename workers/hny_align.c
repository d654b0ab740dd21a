/*  hny_align.c: the sentence aligner (hny_align.h).

    Inside, the two sides are oriented: side A is the one that is not
    Japanese (English, for the pair this was made for), side B the other;
    an alignment asked for ja -> en is computed en -> ja and its links
    turned round at the end. The length model then always predicts B's
    characters from A's, and the dictionary always goes from English stems
    to Japanese words.

    The search: cost[i][j] is the least cost of aligning A's first i
    sentences with B's first j. Rows are computed in order of i, each from
    the three rows before it, so only four rows of costs are kept; a link
    kind per cell is kept for the whole grid (or band), one byte each, to
    read the chain back from (I, J). The dictionary's evidence for a pair
    of sentences (which words of each meet a translation in the other) is
    two 64-bit masks, computed for the A sentences of the last four rows
    only. */
#include "hny_align.h"
#include "hny_anchor.h"

#include <assert.h>
#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unicode/utf8.h>

#include <honyaku/inline.h>
#include <honyaku/util.h>

/* The cost model's parameters (hny_aligner_set names them). */
typedef struct {
    double c;           /* B characters per A character */
    double s2;          /* variance of B characters per A character */
    double p11, p10, p21, p22, p31;     /* -log P(kind) */
    double lex;         /* weight of the dictionary's word share */
    double lexbase;     /* share of words that meet by chance */
    double anchor;      /* per anchor both sides share */
    double para;        /* both sides start a paragraph */
    double temp;        /* scale of the scores' logistic */
    double offset;      /* a pairing's margin that scores 0.5 */
    double mt;          /* weight of the translation's bigram overlap */
    double mtbase;      /* overlap met by chance */
} s_params_t;

/* English -> Japanese. The length model is fitted on the 139 1-1 links
   of the dev pairs of tests/data/align (tests/align_score.py fit):
   c = sum(B) / sum(A) characters, spaces not counted, = 0.431, and
   s2 = sum((B - c A)^2) / sum(A) = 0.789. The kinds' costs and the
   evidence's weights were then tuned on the same dev pairs (coordinate
   search on link F1; the held-out pairs were not looked at): a 1-1 link
   is the norm (0), a dropped or added sentence costs 2.5 (one in five
   links in JPW's abridged translations), a 2-1 or 1-2 4.4. */
static const s_params_t s_en_ja = {
    .c = 0.431, .s2 = 0.789,
    .p11 = 0, .p10 = 2.5, .p21 = 4.4, .p22 = 6.5, .p31 = 5.0,
    .lex = 6.0, .lexbase = 0.12, .anchor = 2.0, .para = 0.8,
    .temp = 0.8, .offset = 5.2, .mt = 20.0, .mtbase = 0.1
};

/* Any other pair: Gale and Church's own figures for European languages
   (c = 1, s2 = 6.8) and the same priors; no dictionary. */
static const s_params_t s_default = {
    .c = 1.0, .s2 = 6.8,
    .p11 = 0, .p10 = 2.5, .p21 = 4.4, .p22 = 6.5, .p31 = 5.0,
    .lex = 0, .lexbase = 0, .anchor = 2.0, .para = 0.8,
    .temp = 0.8, .offset = 5.2, .mt = 20.0, .mtbase = 0.1
};

/* The link kinds: sentences of A and of B. */
static const struct {
    int a, b;
} s_kinds[] = {
    { 1, 1 }, { 1, 0 }, { 0, 1 }, { 2, 1 }, { 1, 2 }, { 2, 2 }, { 3, 1 }, { 1, 3 }
};
#define S_KINDS (sizeof s_kinds / sizeof s_kinds[0])
#define S_NO_KIND 0xFF

/* Mask rows kept: the A sentences of the three rows a link reaches back,
   and the one being made. */
#define S_RING 4

/* The dictionary probe table of one A sentence: HNY_LEXICON_MAX_WORDS
   words x HNY_LEXICON_MAX_SENSES keys, at most half full. */
#define S_PROBE_SLOTS 4096

/* The table of the normal cost: steps a unit, up to this deviate. */
#define S_NORMAL_MAX 6
#define S_NORMAL_STEPS 64

/* One sentence, analysed. */
typedef struct {
    char *text;                 /* the sentence, invalid UTF-8 as U+FFFD; owned */
    size_t chars;               /* code points of the plain text, spaces out */
    int para_start;             /* first sentence of its paragraph */
    uint32_t anchors[HNY_ANCHOR_MAX];   /* sorted */
    size_t nanchors;
    hny_lexicon_word_t *ewords; /* A: dictionary words; owned array */
    size_t newords;
    uint32_t *jwords;           /* B: Japanese word keys, sorted; owned */
    size_t njwords;
    uint32_t *grams;            /* bigram keys of the compared text, sorted,
                                   unique; owned (translations only) */
    size_t ngrams;
} s_sent_t;

/* The masks of one A sentence against a range of B sentences. */
typedef struct {
    size_t j0, n;               /* B sentences [j0, j0 + n) */
    uint64_t *em, *jm;          /* A words met, B words met; n each */
    size_t alloc;
} s_maskrow_t;

struct _hny_aligner_t {
    hny_lexicon_t *lexicon;     /* borrowed; may be NULL */
    s_params_t set;             /* values given by hny_aligner_set */
    unsigned set_mask;          /* which of them (bit = field index) */
    struct {
        uint32_t key;
        uint64_t words;
    } probe[S_PROBE_SLOTS];
    uint32_t probe_used[S_PROBE_SLOTS];    /* slots to clear */
    size_t nprobe;
    double normal[S_NORMAL_MAX * S_NORMAL_STEPS + 2];  /* s_normal_cost's table */
};

struct _hny_alignment_t {
    hny_align_link_t *links;
    size_t count;
    double score;
    char *warning;              /* NULL when none */
    size_t kinds[S_KINDS];      /* links of each kind */
    double time_ms;
};

/* One search's state. */
typedef struct {
    hny_aligner_t *aligner;
    s_params_t p;
    int lex;                    /* the dictionary takes part */
    int mt;                     /* translations take part */
    s_sent_t *A, *B;
    size_t I, J;
    size_t *lo, *hi;            /* each row's band [lo, hi], I + 1 of them */
    size_t *base;               /* each row's first cell in kind[] */
    unsigned char *kind;        /* the best link kind into each cell */
    double *cost[S_RING];       /* rows i % S_RING, J + 1 each */
    s_maskrow_t masks[S_RING];  /* A sentence s in masks[s % S_RING] */
} s_dp_t;

static const struct {
    const char *name;
    size_t offset;
} s_param_names[] = {
    { "c", offsetof (s_params_t, c) }, { "s2", offsetof (s_params_t, s2) },
    { "p11", offsetof (s_params_t, p11) }, { "p10", offsetof (s_params_t, p10) },
    { "p21", offsetof (s_params_t, p21) }, { "p22", offsetof (s_params_t, p22) },
    { "p31", offsetof (s_params_t, p31) }, { "lex", offsetof (s_params_t, lex) },
    { "lexbase", offsetof (s_params_t, lexbase) }, { "anchor", offsetof (s_params_t, anchor) },
    { "para", offsetof (s_params_t, para) }, { "temp", offsetof (s_params_t, temp) },
    { "offset", offsetof (s_params_t, offset) }, { "mt", offsetof (s_params_t, mt) },
    { "mtbase", offsetof (s_params_t, mtbase) }
};
#define S_PARAMS (sizeof s_param_names / sizeof s_param_names[0])

static void s_normal_fill (double *table);

hny_aligner_t *
hny_aligner_new (hny_lexicon_t *lexicon)
{
    hny_aligner_t *self = hny_calloc (1, sizeof *self);
    self->lexicon = lexicon;
    s_normal_fill (self->normal);
    return self;
}

void
hny_aligner_destroy (hny_aligner_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

int
hny_aligner_set (hny_aligner_t *self, const char *name, double value)
{
    for (size_t i = 0; i < S_PARAMS; i++)
        if (strcmp (name, s_param_names[i].name) == 0) {
            *(double *) ((char *) &self->set + s_param_names[i].offset) = value;
            self->set_mask |= 1u << i;
            return 0;
        }
    return -1;
}

/* ---------- sentences ---------- */

/* s as valid UTF-8: a copy with each invalid sequence as U+FFFD. Caller
   owns the result. */
static char *
s_clean_utf8 (const char *s)
{
    size_t len = strlen (s);
    if (hny_utf8_valid (s, len))
        return hny_strndup (s, len);
    char *out = hny_malloc (len * 3 + 1);
    size_t n = 0;
    int32_t i = 0, slen = (int32_t) (len > INT32_MAX ? INT32_MAX : len);
    while (i < slen) {
        int32_t start = i;
        UChar32 c;
        U8_NEXT (s, i, slen, c);
        if (c < 0) {
            memcpy (out + n, "\xEF\xBF\xBD", 3);
            n += 3;
        } else {
            memcpy (out + n, s + start, (size_t) (i - start));
            n += (size_t) (i - start);
        }
    }
    out[n] = '\0';
    return out;
}

/* Letters by script, for telling the languages apart. */
typedef struct {
    size_t latin, japanese;
} s_script_t;

/* Code points of text that are not spaces; counts its letters by script
   into script when it is not NULL. */
static size_t
s_chars (const char *text, size_t len, s_script_t *script)
{
    size_t chars = 0;
    int32_t i = 0, n = (int32_t) (len > INT32_MAX ? INT32_MAX : len);
    while (i < n) {
        UChar32 c;
        U8_NEXT (text, i, n, c);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000)
            continue;
        chars++;
        if (!script)
            continue;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0x24F))
            script->latin++;
        else if ((c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF)
                 || (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xFF66 && c <= 0xFF9F))
            script->japanese++;
    }
    return chars;
}

/* The letters of a side by script, read up to 100,000 of them: enough to
   tell Japanese from Latin-script text, cheap before the analysis. */
static void
s_side_script (const hny_align_side_t *side, s_script_t *script)
{
    for (size_t k = 0; k < side->count && script->latin + script->japanese < 100000; k++) {
        const char *t = side->sentences[k] ? side->sentences[k] : "";
        s_chars (t, strlen (t), script);
    }
}

/* Analyse one side: japanese selects its forms (anchors, and MeCab's
   words and names when there is a lexicon); lex asks the dictionary for
   the English words of a side that is not Japanese. */
static s_sent_t *
s_analyse (hny_lexicon_t *lexicon, const hny_align_side_t *side, int japanese, int lex)
{
    s_sent_t *s = hny_calloc (side->count ? side->count : 1, sizeof *s);
    for (size_t k = 0; k < side->count; k++) {
        s_sent_t *t = &s[k];
        t->text = s_clean_utf8 (side->sentences[k] ? side->sentences[k] : "");
        t->para_start = k == 0 || (side->paragraph && side->paragraph[k] != side->paragraph[k - 1]);
        hny_inline_t *parse = hny_inline_parse (t->text, strlen (t->text));
        size_t plen;
        const char *plain = hny_inline_text (parse, &plen);
        t->chars = s_chars (plain, plen, NULL);
        t->nanchors = hny_anchor_find (plain, japanese, t->anchors, HNY_ANCHOR_MAX);
        if (lex && !japanese) {
            hny_lexicon_word_t w[HNY_LEXICON_MAX_WORDS];
            t->newords = hny_lexicon_english (lexicon, plain, w, HNY_LEXICON_MAX_WORDS);
            t->ewords = hny_malloc ((t->newords ? t->newords : 1) * sizeof *w);
            memcpy (t->ewords, w, t->newords * sizeof *w);
        } else if (lexicon && japanese) {
            uint32_t w[HNY_LEXICON_MAX_WORDS], names[HNY_ANCHOR_MAX];
            size_t nnames = 0;
            t->njwords = hny_lexicon_japanese (lexicon, plain, w, HNY_LEXICON_MAX_WORDS,
                                               names, HNY_ANCHOR_MAX - t->nanchors, &nnames);
            t->jwords = hny_malloc ((t->njwords ? t->njwords : 1) * sizeof *w);
            memcpy (t->jwords, w, t->njwords * sizeof *w);
            /* proper nouns' readings are anchors too: 志位 meets "Shii" */
            memcpy (t->anchors + t->nanchors, names, nnames * sizeof *names);
            t->nanchors += nnames;
            hny_anchor_sort (t->anchors, t->nanchors);
        }
        hny_inline_destroy (&parse);
    }
    return s;
}

static void
s_sents_free (s_sent_t **s_p, size_t n)
{
    s_sent_t *s = *s_p;
    if (!s)
        return;
    for (size_t k = 0; k < n; k++) {
        free (s[k].text);
        free (s[k].ewords);
        free (s[k].jwords);
        free (s[k].grams);
    }
    free (s);
    *s_p = NULL;
}

/* ---------- the dictionary's evidence ---------- */

/* Load the probe table with A sentence a's translations: key -> the
   mask of a's words that translate to it. */
static void
s_probe_load (hny_aligner_t *self, const s_sent_t *a)
{
    for (size_t k = 0; k < self->nprobe; k++)
        self->probe[self->probe_used[k]].key = 0;
    self->nprobe = 0;
    for (size_t w = 0; w < a->newords; w++)
        for (uint32_t t = 0; t < a->ewords[w].count; t++) {
            uint32_t key = a->ewords[w].keys[t];
            size_t s = key & (S_PROBE_SLOTS - 1);
            while (self->probe[s].key && self->probe[s].key != key)
                s = (s + 1) & (S_PROBE_SLOTS - 1);
            if (!self->probe[s].key) {
                self->probe[s].key = key;
                self->probe[s].words = 0;
                self->probe_used[self->nprobe++] = (uint32_t) s;
            }
            self->probe[s].words |= 1ull << w;
        }
}

/* The masks of the loaded A sentence against B sentence b. */
static void
s_probe (const hny_aligner_t *self, const s_sent_t *b, uint64_t *em, uint64_t *jm)
{
    *em = *jm = 0;
    if (!self->nprobe)
        return;
    for (size_t w = 0; w < b->njwords; w++) {
        size_t s = b->jwords[w] & (S_PROBE_SLOTS - 1);
        while (self->probe[s].key) {
            if (self->probe[s].key == b->jwords[w]) {
                *em |= self->probe[s].words;
                *jm |= 1ull << w;
                break;
            }
            s = (s + 1) & (S_PROBE_SLOTS - 1);
        }
    }
}

/* Fill the mask row of A sentence s for B sentences [j0, j1). */
static void
s_maskrow_fill (s_dp_t *dp, size_t s, size_t j0, size_t j1)
{
    s_maskrow_t *r = &dp->masks[s % S_RING];
    r->j0 = j0;
    r->n = j1 > j0 ? j1 - j0 : 0;
    if (r->n > r->alloc) {
        r->alloc = r->n;
        r->em = hny_realloc (r->em, r->alloc * sizeof *r->em);
        r->jm = hny_realloc (r->jm, r->alloc * sizeof *r->jm);
    }
    s_probe_load (dp->aligner, &dp->A[s]);
    for (size_t j = j0; j < j1; j++)
        s_probe (dp->aligner, &dp->B[j], &r->em[j - j0], &r->jm[j - j0]);
}

/* The masks of A sentence s against B sentence j, from its row. */
static void
s_mask (const s_dp_t *dp, size_t s, size_t j, uint64_t *em, uint64_t *jm)
{
    const s_maskrow_t *r = &dp->masks[s % S_RING];
    if (j < r->j0 || j >= r->j0 + r->n) {
        *em = *jm = 0;      /* outside the band: never asked by the search */
        return;
    }
    *em = r->em[j - r->j0];
    *jm = r->jm[j - r->j0];
}

/* ---------- costs ---------- */

/* -log P(|d|) for a standard normal deviate d: -log erfc(|d| / sqrt 2).
   The search asks for it in every cell, so it is read from a table of
   S_NORMAL_STEPS steps a unit up to S_NORMAL_MAX (filled once per
   aligner; linear between steps, within 0.01 of the exact value), and
   past it from the asymptote (within 0.1 %). */
static void
s_normal_fill (double *table)
{
    for (int k = 0; k <= S_NORMAL_MAX * S_NORMAL_STEPS + 1; k++)
        table[k] = -log (erfc ((double) k / S_NORMAL_STEPS / M_SQRT2));
}

static double
s_normal_cost (const double *table, double d)
{
    d = fabs (d);
    if (d >= S_NORMAL_MAX)
        return d * d / 2 + log (d) + 0.2258;
    double x = d * S_NORMAL_STEPS;
    int k = (int) x;
    return table[k] + (table[k + 1] - table[k]) * (x - k);
}

static double
s_prior (const s_params_t *p, int a, int b)
{
    if (a == 0 || b == 0)
        return p->p10;
    if (a == 1 && b == 1)
        return p->p11;
    if (a == 2 && b == 2)
        return p->p22;
    if (a + b == 3)
        return p->p21;
    return p->p31;
}

/* The anchors of sentences [first, first + n), merged and sorted, into
   out (room for 3 * HNY_ANCHOR_MAX). */
static size_t
s_anchors (const s_sent_t *s, size_t first, size_t n, uint32_t *out)
{
    size_t m = 0;
    for (size_t k = first; k < first + n; k++) {
        memcpy (out + m, s[k].anchors, s[k].nanchors * sizeof *out);
        m += s[k].nanchors;
    }
    if (n > 1)
        hny_anchor_sort (out, m);
    return m;
}

static int
s_u32_cmp (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/* Sort and drop repeats; returns the count kept. */
static size_t
s_u32_unique (uint32_t *v, size_t n)
{
    if (n < 2)
        return n;
    qsort (v, n, sizeof *v, s_u32_cmp);
    size_t m = 1;
    for (size_t k = 1; k < n; k++)
        if (v[k] != v[m - 1])
            v[m++] = v[k];
    return m;
}

#define S_GRAMS_MAX 1024        /* bigrams kept of one sentence */

/* The character bigrams of text's letters and digits (ASCII folded to
   lower case, other characters skipped), as sorted unique keys. */
static uint32_t *
s_grams (const char *text, size_t *count)
{
    uint32_t *g = hny_malloc (S_GRAMS_MAX * sizeof *g);
    size_t n = 0;
    int32_t len = (int32_t) strlen (text), at = 0;
    uint32_t prev = 0;
    while (at < len && n < S_GRAMS_MAX) {
        UChar32 u;
        U8_NEXT (text, at, len, u);
        if (u < 0)
            continue;
        uint32_t c = (uint32_t) u;
        if (c < 128 && !isalnum ((int) c))
            continue;
        if (c >= 0x3000 && c <= 0x303F)     /* CJK punctuation */
            continue;
        if (c < 128)
            c = (uint32_t) tolower ((int) c);
        if (prev)
            g[n++] = prev * 2654435761u ^ c;
        prev = c;
    }
    *count = s_u32_unique (g, n);
    return g;
}

/* The Dice overlap of the bigrams of A [i0, i0 + a) and B [j0, j0 + b). */
static double
s_mt_overlap (const s_dp_t *dp, size_t i0, int a, size_t j0, int b)
{
    uint32_t x[3 * S_GRAMS_MAX], y[3 * S_GRAMS_MAX];
    size_t nx = 0, ny = 0;
    for (int k = 0; k < a; k++) {
        memcpy (x + nx, dp->A[i0 + (size_t) k].grams, dp->A[i0 + (size_t) k].ngrams * sizeof *x);
        nx += dp->A[i0 + (size_t) k].ngrams;
    }
    for (int k = 0; k < b; k++) {
        memcpy (y + ny, dp->B[j0 + (size_t) k].grams, dp->B[j0 + (size_t) k].ngrams * sizeof *y);
        ny += dp->B[j0 + (size_t) k].ngrams;
    }
    if (a > 1)
        nx = s_u32_unique (x, nx);
    if (b > 1)
        ny = s_u32_unique (y, ny);
    if (!nx || !ny)
        return -1;
    size_t p = 0, q = 0, common = 0;
    while (p < nx && q < ny) {
        if (x[p] == y[q])
            common++, p++, q++;
        else if (x[p] < y[q])
            p++;
        else
            q++;
    }
    return 2.0 * (double) common / (double) (nx + ny);
}

/* The cost of the link of A [i - a, i) with B [j - b, j). masks: the
   dictionary masks come from the search's rows (1) or are computed here
   (0, for the links of the finished chain). bound: a cost past which the
   caller has no use for the link (the search's best so far); once the
   prior and the length model, less the most the evidence could take off,
   reach it, DBL_MAX comes back without the evidence being weighed. */
static double
s_link_cost (s_dp_t *dp, size_t i, size_t j, int a, int b, int masks, double bound)
{
    const s_params_t *p = &dp->p;
    double cost = s_prior (p, a, b);
    if (a == 0 || b == 0)
        return cost;
    double la = 0, lb = 0;
    size_t na = 0, nb = 0;
    for (size_t k = i - (size_t) a; k < i; k++) {
        la += (double) dp->A[k].chars;
        na += dp->A[k].nanchors;
    }
    for (size_t k = j - (size_t) b; k < j; k++) {
        lb += (double) dp->B[k].chars;
        nb += dp->B[k].nanchors;
    }
    cost += s_normal_cost (dp->aligner->normal, (lb - p->c * la) / sqrt (p->s2 * (la > 1 ? la : 1)));
    double most = p->anchor * (double) (na < nb ? na : nb) + p->para
                  + (dp->lex ? p->lex * (1 - p->lexbase) : 0) + (dp->mt ? p->mt * (1 - p->mtbase) : 0);
    if (cost - most >= bound)
        return DBL_MAX;

    if (na && nb) {
        uint32_t aa[3 * HNY_ANCHOR_MAX], bb[3 * HNY_ANCHOR_MAX];
        s_anchors (dp->A, i - (size_t) a, (size_t) a, aa);
        s_anchors (dp->B, j - (size_t) b, (size_t) b, bb);
        cost -= p->anchor * (double) hny_anchor_common (aa, na, bb, nb);
    }

    if (dp->lex) {
        /* the share of both sides' words that meet a translation */
        uint64_t em[3] = { 0 }, jm[3] = { 0 };
        double words = 0, met = 0;
        for (int x = 0; x < a; x++) {
            size_t s = i - (size_t) a + (size_t) x;
            if (!masks)
                s_probe_load (dp->aligner, &dp->A[s]);
            for (int y = 0; y < b; y++) {
                size_t t = j - (size_t) b + (size_t) y;
                uint64_t e, m;
                if (masks)
                    s_mask (dp, s, t, &e, &m);
                else
                    s_probe (dp->aligner, &dp->B[t], &e, &m);
                em[x] |= e;
                jm[y] |= m;
            }
        }
        for (int x = 0; x < a; x++) {
            words += (double) dp->A[i - (size_t) a + (size_t) x].newords;
            met += __builtin_popcountll (em[x]);
        }
        for (int y = 0; y < b; y++) {
            words += (double) dp->B[j - (size_t) b + (size_t) y].njwords;
            met += __builtin_popcountll (jm[y]);
        }
        if (words > 0)   /* few words: weaker evidence either way */
            cost -= p->lex * (met / words - p->lexbase) * words / (words + 8);
    }
    if (dp->mt) {
        /* only overlap above chance counts: a translation that shares
           nothing (a poor backend, a failed sentence) costs no link */
        double overlap = s_mt_overlap (dp, i - (size_t) a, a, j - (size_t) b, b);
        if (overlap > p->mtbase)
            cost -= p->mt * (overlap - p->mtbase);
    }
    if (dp->A[i - (size_t) a].para_start && dp->B[j - (size_t) b].para_start)
        cost -= p->para;
    return cost;
}

/* ---------- the search ---------- */

static int
s_in_band (const s_dp_t *dp, size_t i, size_t j)
{
    return j >= dp->lo[i] && j <= dp->hi[i];
}

/* The band: all of the grid when it is small, else a strip around the
   line from (0, 0) to (I, J). */
static void
s_band (s_dp_t *dp)
{
    size_t I = dp->I, J = dp->J;
    dp->lo = hny_malloc ((I + 1) * sizeof *dp->lo);
    dp->hi = hny_malloc ((I + 1) * sizeof *dp->hi);
    dp->base = hny_malloc ((I + 2) * sizeof *dp->base);
    double cells = (double) (I + 1) * (double) (J + 1);
    size_t w = J;
    if (cells > HNY_ALIGN_FULL_CELLS) {
        size_t longer = I > J ? I : J;
        w = longer / 20;
        if (w < HNY_ALIGN_BAND_MIN)
            w = HNY_ALIGN_BAND_MIN;
        if (w > HNY_ALIGN_BAND_MAX)
            w = HNY_ALIGN_BAND_MAX;
        /* rows must overlap: a row's band starts at most where the one
           before it ends, or no chain joins the corners */
        size_t step = I ? J / I + 4 : J;
        if (w < step)
            w = step;
    }
    dp->base[0] = 0;
    for (size_t i = 0; i <= I; i++) {
        size_t centre = I ? (size_t) llround ((double) i * (double) J / (double) I) : 0;
        dp->lo[i] = centre > w ? centre - w : 0;
        dp->hi[i] = centre + w < J ? centre + w : J;
        dp->base[i + 1] = dp->base[i] + (dp->hi[i] - dp->lo[i] + 1);
    }
    dp->kind = hny_malloc (dp->base[I + 1]);
}

/* Run the search and read the chain back: links in order, A/B indices. */
static hny_align_link_t *
s_search (s_dp_t *dp, size_t *count)
{
    size_t I = dp->I, J = dp->J;
    s_band (dp);
    for (int r = 0; r < S_RING; r++)
        dp->cost[r] = hny_malloc ((J + 1) * sizeof (double));
    for (size_t i = 0; i <= I; i++) {
        if (i >= 1 && dp->lex) {
            /* A sentence i - 1 serves rows i to i + 2, for B sentences
               from 3 before the first row's band to its last row's end */
            size_t last = i + 2 < I ? i + 2 : I;
            size_t j0 = dp->lo[i] > 3 ? dp->lo[i] - 3 : 0;
            s_maskrow_fill (dp, i - 1, j0, dp->hi[last]);
        }
        double *row = dp->cost[i % S_RING];
        for (size_t j = dp->lo[i]; j <= dp->hi[i]; j++) {
            double best = DBL_MAX;
            unsigned char bk = S_NO_KIND;
            if (i == 0 && j == 0)
                best = 0;
            for (size_t k = 0; k < S_KINDS && !(i == 0 && j == 0); k++) {
                size_t a = (size_t) s_kinds[k].a, b = (size_t) s_kinds[k].b;
                if (i < a || j < b || !s_in_band (dp, i - a, j - b))
                    continue;
                double prev = dp->cost[(i - a) % S_RING][j - b];
                if (prev == DBL_MAX)
                    continue;
                double c = s_link_cost (dp, i, j, (int) a, (int) b, 1, best - prev);
                if (c == DBL_MAX)
                    continue;
                c += prev;
                if (c < best) {
                    best = c;
                    bk = (unsigned char) k;
                }
            }
            row[j] = best;
            dp->kind[dp->base[i] + (j - dp->lo[i])] = bk;
        }
    }
    /* back from (I, J): every cell the chain passes has a kind */
    size_t n = 0, alloc = 16;
    hny_align_link_t *links = hny_malloc (alloc * sizeof *links);
    size_t i = I, j = J;
    while (i > 0 || j > 0) {
        unsigned char k = dp->kind[dp->base[i] + (j - dp->lo[i])];
        assert (k != S_NO_KIND);        /* the band joins the corners */
        size_t a = (size_t) s_kinds[k].a, b = (size_t) s_kinds[k].b;
        if (n == alloc) {
            alloc *= 2;
            links = hny_realloc (links, alloc * sizeof *links);
        }
        links[n++] = (hny_align_link_t) { i - a, a, j - b, b, 0 };
        i -= a;
        j -= b;
    }
    for (size_t x = 0; x < n / 2; x++) {
        hny_align_link_t t = links[x];
        links[x] = links[n - 1 - x];
        links[n - 1 - x] = t;
    }
    *count = n;
    return links;
}

/* ---------- scores ---------- */

static double
s_logistic (const s_params_t *p, double margin)
{
    return 1.0 / (1.0 + exp (-margin / p->temp));
}

/* The cost of the links [first, first + n) of the chain, recomputed. */
static double
s_chain_cost (s_dp_t *dp, const hny_align_link_t *links, size_t first, size_t n)
{
    double c = 0;
    for (size_t k = first; k < first + n; k++)
        c += s_link_cost (dp, links[k].src + links[k].nsrc, links[k].tgt + links[k].ntgt,
                          (int) links[k].nsrc, (int) links[k].ntgt, 0, DBL_MAX);
    return c;
}

/* Each link's score, from a margin: how much more the best local change
   of the chain would cost. A pairing is set against leaving its
   sentences unlinked, less offset: sentences of two unrelated articles
   beat being unlinked too (their lengths fit) but by less, and offset is
   where the two kinds part (calibrated on the dev pairs against pairs of
   unrelated dev articles: the pairings of a true translation have a
   median margin of 7.9 and a 10th percentile of 5.4, those of unrelated
   articles a median of 4.2 and a 90th percentile of 5.1). A sentence left
   unlinked is set against joining it to the pairing before or after it;
   a margin of 0 is a toss-up. */
static void
s_score_links (s_dp_t *dp, hny_align_link_t *links, size_t n)
{
    const s_params_t *p = &dp->p;
    for (size_t k = 0; k < n; k++) {
        hny_align_link_t *l = &links[k];
        double margin;
        if (l->nsrc && l->ntgt)
            margin = (double) (l->nsrc + l->ntgt) * p->p10 - s_chain_cost (dp, links, k, 1)
                     - p->offset;
        else {
            /* the unlinked sentence folded into a neighbour that pairs
               sentences and has room for one more on that side */
            margin = 2 * p->p10;        /* no neighbour to join: as sure as a pairing can be */
            for (int side = -1; side <= 1; side += 2) {
                if ((side < 0 && k == 0) || (side > 0 && k + 1 >= n))
                    continue;
                const hny_align_link_t *m = &links[(size_t) ((long) k + side)];
                if (!m->nsrc || !m->ntgt || (l->nsrc ? m->nsrc : m->ntgt) >= 2
                    || (l->nsrc ? m->ntgt : m->nsrc) >= 2)
                    continue;
                hny_align_link_t j = *m;
                if (side < 0) {
                    j.nsrc += l->nsrc;
                    j.ntgt += l->ntgt;
                } else {
                    j.src = l->nsrc ? l->src : j.src;
                    j.tgt = l->ntgt ? l->tgt : j.tgt;
                    j.nsrc += l->nsrc;
                    j.ntgt += l->ntgt;
                }
                double alt = s_chain_cost (dp, &j, 0, 1);
                double now = p->p10 + s_chain_cost (dp, m, 0, 1);
                if (alt - now < margin)
                    margin = alt - now;
            }
        }
        l->score = s_logistic (p, margin);
    }
}

/* ---------- alignments ---------- */

static int
s_lang_is (const char *lang, const char *code)
{
    return lang && strncmp (lang, code, 2) == 0 && (lang[2] == '\0' || lang[2] == '-' || lang[2] == '_');
}

/* What one search needs, oriented (A is not Japanese), analysed. Returns
   0, or -1 with *status and *reason. */
static int
s_dp_init (s_dp_t *dp, hny_aligner_t *self, const hny_align_side_t *src,
           const hny_align_side_t *tgt, int *swapped, int *status, char **reason)
{
    memset (dp, 0, sizeof *dp);
    const char *sl = src->lang ? src->lang : "en", *tl = tgt->lang ? tgt->lang : "en";
    if (src->count > HNY_ALIGN_MAX_SENTENCES || tgt->count > HNY_ALIGN_MAX_SENTENCES) {
        const hny_align_side_t *big = src->count > tgt->count ? src : tgt;
        *status = 413;
        *reason = hny_sprintf ("the %s side has %zu sentences, more than %d", big == src ? "source" : "target",
                               big->count, HNY_ALIGN_MAX_SENTENCES);
        return -1;
    }
    if (strcmp (sl, tl) == 0) {
        *status = 422;
        *reason = hny_sprintf ("source and target are both in %s: nothing to align", sl);
        return -1;
    }
    *swapped = s_lang_is (sl, "ja") && !s_lang_is (tl, "ja");
    const hny_align_side_t *A = *swapped ? tgt : src, *B = *swapped ? src : tgt;
    int b_ja = s_lang_is (B->lang ? B->lang : "en", "ja");
    dp->aligner = self;
    dp->p = b_ja ? s_en_ja : s_default;
    for (size_t i = 0; i < S_PARAMS; i++)
        if (self->set_mask & (1u << i))
            *(double *) ((char *) &dp->p + s_param_names[i].offset)
                = *(const double *) ((const char *) &self->set + s_param_names[i].offset);
    dp->lex = self->lexicon && b_ja && s_lang_is (A->lang ? A->lang : "en", "en")
              && hny_lexicon_complete (self->lexicon) && dp->p.lex != 0;
    if (b_ja) {
        /* a side whose letters are mostly of the other script is in the
           wrong language: judged on 20 letters or more */
        s_script_t sa = { 0, 0 }, sb = { 0, 0 };
        s_side_script (A, &sa);
        s_side_script (B, &sb);
        int a_wrong = sa.latin + sa.japanese >= 20 && sa.japanese > sa.latin;
        int b_wrong = sb.latin + sb.japanese >= 20 && sb.latin > sb.japanese;
        const char *al = A->lang ? A->lang : "en", *bl = B->lang ? B->lang : "en";
        if (a_wrong || b_wrong) {
            *status = 422;
            if (a_wrong && !b_wrong)
                *reason = hny_sprintf ("both sides are Japanese text: the %s side is in Japanese script", al);
            else if (b_wrong && !a_wrong)
                *reason = hny_sprintf ("both sides are in Latin script: the %s side is not Japanese text", bl);
            else
                *reason = hny_sprintf ("the sides are swapped: the %s side is Japanese text, the %s side is not", al, bl);
            return -1;
        }
    }
    dp->I = A->count;
    dp->J = B->count;
    dp->A = s_analyse (self->lexicon, A, 0, dp->lex);
    dp->B = s_analyse (b_ja ? self->lexicon : NULL, B, b_ja, dp->lex);
    dp->mt = (src->mt != NULL) && dp->p.mt != 0;
    if (dp->mt) {
        const hny_align_side_t *sides[2] = { A, B };
        s_sent_t *sents[2] = { dp->A, dp->B };
        for (int k = 0; k < 2; k++)
            for (size_t n = 0; n < sides[k]->count; n++) {
                const char *text = sides[k] == src ? src->mt[n] : sents[k][n].text;
                sents[k][n].grams = s_grams (text ? text : "", &sents[k][n].ngrams);
            }
    }
    return 0;
}

static void
s_dp_free (s_dp_t *dp)
{
    s_sents_free (&dp->A, dp->I);
    s_sents_free (&dp->B, dp->J);
    free (dp->lo);
    free (dp->hi);
    free (dp->base);
    free (dp->kind);
    for (int r = 0; r < S_RING; r++) {
        free (dp->cost[r]);
        free (dp->masks[r].em);
        free (dp->masks[r].jm);
    }
}

static size_t
s_side_chars (const s_sent_t *s, size_t first, size_t n)
{
    size_t c = 0;
    for (size_t k = first; k < first + n; k++)
        c += s[k].chars;
    return c;
}

/* The overall score and the warning, on the oriented links. The score is
   how much of each side is paired with confidence (its characters in
   links that pair sentences, weighted by their scores), the two shares
   combined as an F-measure: a side mostly left unlinked pulls it down
   whatever the other does (a short text against a long one), and so
   does a chain of doubtful pairings. */
static void
s_judge (s_dp_t *dp, hny_alignment_t *al, const char *a_lang, const char *b_lang)
{
    double ta = (double) s_side_chars (dp->A, 0, dp->I), tb = (double) s_side_chars (dp->B, 0, dp->J);
    double ca = 0, cb = 0;
    for (size_t k = 0; k < al->count; k++) {
        const hny_align_link_t *l = &al->links[k];
        if (!l->nsrc || !l->ntgt)
            continue;
        ca += (double) s_side_chars (dp->A, l->src, l->nsrc) * l->score;
        cb += (double) s_side_chars (dp->B, l->tgt, l->ntgt) * l->score;
    }
    ca = ta > 0 ? ca / ta : 0;
    cb = tb > 0 ? cb / tb : 0;
    al->score = ca + cb > 0 ? 2 * ca * cb / (ca + cb) : 0;
    double ratio = ta > 0 && tb > 0 ? tb / (dp->p.c * ta) : 1;
    if (ratio > 3 || ratio < 1.0 / 3)
        al->warning = hny_sprintf ("the %s side is %.1f times as long as the %s side predicts "
                                   "(alignment score %.2f): the texts may not translate each other",
                                   ratio > 3 ? b_lang : a_lang, ratio > 3 ? ratio : 1 / ratio,
                                   ratio > 3 ? a_lang : b_lang, al->score);
    else if (al->score < 0.5)
        al->warning = hny_sprintf ("low alignment score %.2f: few sentences pair with confidence; "
                                   "the texts may not translate each other", al->score);
}

hny_alignment_t *
hny_align (hny_aligner_t *self, const hny_align_side_t *src, const hny_align_side_t *tgt,
           int *status, char **reason)
{
    struct timespec t0, t1;
    clock_gettime (CLOCK_MONOTONIC, &t0);
    s_dp_t dp;
    int swapped = 0;
    if (s_dp_init (&dp, self, src, tgt, &swapped, status, reason) != 0) {
        s_dp_free (&dp);
        return NULL;
    }
    const char *a_lang = swapped ? tgt->lang : src->lang, *b_lang = swapped ? src->lang : tgt->lang;
    a_lang = a_lang ? a_lang : "en";
    b_lang = b_lang ? b_lang : "en";
    hny_alignment_t *al = hny_calloc (1, sizeof *al);
    if (dp.I == 0 || dp.J == 0) {
        /* an empty side: every sentence of the other stands alone */
        al->count = dp.I + dp.J;
        al->links = hny_calloc (al->count ? al->count : 1, sizeof *al->links);
        for (size_t k = 0; k < al->count; k++)
            al->links[k] = dp.I ? (hny_align_link_t) { k, 1, 0, 0, 0 }
                                : (hny_align_link_t) { 0, 0, k, 1, 0 };
        al->warning = hny_sprintf ("the %s side is empty: no sentence is linked",
                                   dp.I == 0 ? a_lang : b_lang);
    } else {
        al->links = s_search (&dp, &al->count);
        s_score_links (&dp, al->links, al->count);
        s_judge (&dp, al, a_lang, b_lang);
    }
    for (size_t k = 0; k < al->count; k++) {
        hny_align_link_t *l = &al->links[k];
        if (swapped) {
            size_t s = l->src, ns = l->nsrc;
            l->src = l->tgt;
            l->nsrc = l->ntgt;
            l->tgt = s;
            l->ntgt = ns;
        }
        for (size_t x = 0; x < S_KINDS; x++)
            if ((size_t) s_kinds[x].a == l->nsrc && (size_t) s_kinds[x].b == l->ntgt)
                al->kinds[x]++;
    }
    s_dp_free (&dp);
    clock_gettime (CLOCK_MONOTONIC, &t1);
    al->time_ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
    return al;
}

void
hny_alignment_destroy (hny_alignment_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->links);
    free ((*self_p)->warning);
    free (*self_p);
    *self_p = NULL;
}

size_t
hny_alignment_count (const hny_alignment_t *self)
{
    return self->count;
}

const hny_align_link_t *
hny_alignment_link (const hny_alignment_t *self, size_t index)
{
    return index < self->count ? &self->links[index] : NULL;
}

double
hny_alignment_score (const hny_alignment_t *self)
{
    return self->score;
}

const char *
hny_alignment_warning (const hny_alignment_t *self)
{
    return self->warning;
}

/* ---------- JSON ---------- */

/* Sentences [first, first + n) of a side joined as its language writes
   them; NULL (JSON null) when n is 0. */
static json_t *
s_join (const hny_align_side_t *side, size_t first, size_t n)
{
    if (n == 0)
        return json_null ();
    const char *sep = s_lang_is (side->lang, "ja") || s_lang_is (side->lang, "zh") ? "" : " ";
    hny_buf_t b = HNY_BUF_INIT ((size_t) -1 / 2);   /* bounded by the sentences themselves */
    for (size_t k = first; k < first + n; k++) {
        char *clean = s_clean_utf8 (side->sentences[k] ? side->sentences[k] : "");
        if (k > first)
            hny_buf_adds (&b, sep);
        hny_buf_adds (&b, clean);
        free (clean);
    }
    json_t *s = json_string (hny_buf_str (&b));
    hny_buf_free (&b);
    return s;
}

static json_t *
s_link_json (const hny_align_link_t *l, const hny_align_side_t *src, const hny_align_side_t *tgt)
{
    return json_pack ("{s:o, s:o, s:f}", "src", s_join (src, l->src, l->nsrc),
                      "tgt", s_join (tgt, l->tgt, l->ntgt), "score", round (l->score * 1000) / 1000);
}

json_t *
hny_alignment_json (const hny_alignment_t *self, const hny_align_side_t *src,
                    const hny_align_side_t *tgt)
{
    /* each link goes to the paragraph of its first source sentence; one
       with no source sentence stays in the paragraph before it (the
       first link's when it leads); with no source at all, the target's
       paragraphs */
    const hny_align_side_t *by = src->count ? src : tgt;
    int by_src = by == src;
    json_t *paras = json_array (), *segs = NULL;
    size_t cur = 0, unlinked_src = 0, unlinked_tgt = 0;
    for (size_t k = 0; k < self->count; k++) {
        const hny_align_link_t *l = &self->links[k];
        size_t para = cur;
        for (size_t x = k; x < self->count; x++) {
            const hny_align_link_t *m = &self->links[x];
            if (by_src ? m->nsrc : m->ntgt) {
                para = by->paragraph ? by->paragraph[by_src ? m->src : m->tgt] : 0;
                break;
            }
            if (segs)
                break;       /* a link without one stays where it is */
        }
        if (!segs || para != cur) {
            segs = json_array ();
            json_array_append_new (paras, json_pack ("{s:o}", "segments", segs));
            cur = para;
        }
        json_array_append_new (segs, s_link_json (l, src, tgt));
        unlinked_src += l->ntgt == 0 ? l->nsrc : 0;
        unlinked_tgt += l->nsrc == 0 ? l->ntgt : 0;
    }
    json_t *kinds = json_object ();
    for (size_t x = 0; x < S_KINDS; x++)
        if (self->kinds[x]) {
            char name[8];
            snprintf (name, sizeof name, "%d-%d", s_kinds[x].a, s_kinds[x].b);
            json_object_set_new (kinds, name, json_integer ((json_int_t) self->kinds[x]));
        }
    json_t *out = json_pack ("{s:o, s:f, s:{s:I, s:I, s:I, s:I, s:I, s:o, s:f}}",
                             "paragraphs", paras, "score", round (self->score * 1000) / 1000,
                             "stats", "src_sentences", (json_int_t) src->count,
                             "tgt_sentences", (json_int_t) tgt->count,
                             "links", (json_int_t) self->count,
                             "src_unlinked", (json_int_t) unlinked_src,
                             "tgt_unlinked", (json_int_t) unlinked_tgt,
                             "kinds", kinds, "time_ms", round (self->time_ms * 10) / 10);
    if (self->warning)
        json_object_set_new (out, "warning", json_string (self->warning));
    return out;
}

/* ---------- prepared articles ---------- */

/* The sentences of a prepared article, borrowed from it: *sents and
   *paras (caller owns the arrays), its title or NULL. Returns 0, or -1
   with *status (400, 413) and *reason. */
static int
s_side_of (const json_t *doc, const char *lang, const char *which, hny_align_side_t *side,
           const char ***sents, size_t **paras, const char ***mts, const char **title,
           const char **title_mt, int *status, char **reason)
{
    const json_t *ps = json_object_get (doc, "paragraphs");
    *sents = NULL;
    *paras = NULL;
    *mts = NULL;
    if (!json_is_array (ps)) {
        *status = 400;
        *reason = hny_sprintf ("the %s is not a prepared article (no paragraphs)", which);
        return -1;
    }
    size_t total = 0, i, k;
    const json_t *p, *seg;
    json_array_foreach (ps, i, p) {
        const json_t *segs = json_object_get (p, "segments");
        if (!json_is_array (segs)) {
            *status = 400;
            *reason = hny_sprintf ("the %s is not a prepared article (paragraph %zu has no segments)", which, i);
            return -1;
        }
        total += json_array_size (segs);
    }
    if (total > HNY_ALIGN_MAX_SENTENCES) {
        *status = 413;
        *reason = hny_sprintf ("the %s has %zu sentences, more than %d", which, total, HNY_ALIGN_MAX_SENTENCES);
        return -1;
    }
    *sents = hny_calloc (total ? total : 1, sizeof **sents);
    *paras = hny_calloc (total ? total : 1, sizeof **paras);
    size_t n = 0;
    json_array_foreach (ps, i, p) {
        json_array_foreach (json_object_get (p, "segments"), k, seg) {
            const char *s = json_string_value (json_object_get (seg, "src"));
            if (!s) {
                *status = 400;
                *reason = hny_sprintf ("the %s is not a prepared article (segment %zu of paragraph %zu "
                                       "has no src)", which, k, i);
                return -1;
            }
            /* a machine translation of the sentence (an align task of a
               job with a backend): the first one makes the array */
            const char *mt = json_string_value (json_object_get (seg, "mt"));
            if (mt && !*mts)
                *mts = hny_calloc (total, sizeof **mts);
            if (*mts)
                (*mts)[n] = mt ? mt : "";
            (*sents)[n] = s;
            (*paras)[n++] = i;
        }
    }
    if (*mts)
        for (size_t m = 0; m < n; m++)
            if (!(*mts)[m])
                (*mts)[m] = "";
    const json_t *t = json_object_get (doc, "title");
    *title = json_string_value (json_object_get (t, "src"));
    *title_mt = json_string_value (json_object_get (t, "mt"));
    *side = (hny_align_side_t) { lang, *sents, *paras, n, *mts };
    return 0;
}

json_t *
hny_align_prepared (hny_aligner_t *self, const json_t *src, const char *src_lang,
                    const json_t *tgt, const char *tgt_lang, int *status, char **reason)
{
    hny_align_side_t s, t;
    const char **ss = NULL, **ts = NULL, **smt = NULL, **tmt = NULL, *stitle = NULL, *ttitle = NULL;
    const char *stitle_mt = NULL, *ttitle_mt = NULL;
    size_t *sp = NULL, *tp = NULL;
    json_t *out = NULL;
    if (s_side_of (src, src_lang, "source", &s, &ss, &sp, &smt, &stitle, &stitle_mt, status, reason) != 0
        || s_side_of (tgt, tgt_lang, "target", &t, &ts, &tp, &tmt, &ttitle, &ttitle_mt, status, reason) != 0)
        goto done;
    /* Only the source's translations count (the target is the human one). */
    t.mt = NULL;
    hny_alignment_t *al = hny_align (self, &s, &t, status, reason);
    if (!al)
        goto done;
    json_t *body = hny_alignment_json (al, &s, &t);
    hny_alignment_destroy (&al);
    if (s.mt) {
        /* how many source sentences came with a translation */
        size_t with = 0;
        for (size_t m = 0; m < s.count; m++)
            with += s.mt[m][0] != 0;
        json_object_set_new (json_object_get (body, "stats"), "mt_sentences", json_integer ((json_int_t) with));
    }
    out = json_object ();       /* the title first, as in a record */
    json_t *title = json_null ();
    if (stitle || ttitle) {
        /* the titles translate each other when both are there: one link,
           scored as the body's links are */
        const char *const *title_mt = s.mt ? &stitle_mt : NULL;
        if (s.mt && !stitle_mt)
            stitle_mt = "";
        hny_align_side_t s1 = { src_lang, &stitle, NULL, stitle ? 1 : 0, title_mt };
        hny_align_side_t t1 = { tgt_lang, &ttitle, NULL, ttitle ? 1 : 0, NULL };
        hny_align_link_t l = { 0, stitle ? 1 : 0, 0, ttitle ? 1 : 0, 0 };
        s_dp_t dp;
        int swapped = 0, st = 0;
        char *why = NULL;
        if (stitle && ttitle && s_dp_init (&dp, self, &s1, &t1, &swapped, &st, &why) == 0) {
            hny_align_link_t one = { 0, 1, 0, 1, 0 };
            s_score_links (&dp, &one, 1);
            l.score = one.score;
        }
        if (stitle && ttitle)
            s_dp_free (&dp);
        free (why);
        title = s_link_json (&l, &s1, &t1);
    }
    json_object_set_new (out, "title", title);
    json_object_update (out, body);
    json_decref (body);
done:
    free (ss);
    free (ts);
    free (smt);
    free (tmt);
    free (sp);
    free (tp);
    return out;
}
