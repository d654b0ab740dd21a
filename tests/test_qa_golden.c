/*  test_qa_golden.c: the flags of honyaku/qa.h over a large fixed set of
    segment pairs, against a golden file written by an earlier build: a
    change that makes the checks faster must leave every flag as it was.

        test_qa_golden GOLDEN [--write | --show GROUP] FILE...

    FILEs give the base pairs, in the order given (the first S_FILE_BASES
    of each):
      *.tsv    rows of tab-separated columns: id, English, Japanese
               (tests/data/qa/pairs.tsv), or id, from, to, check, source,
               target (planted.tsv); '#' lines are comments
      *.en, *.ja  one sentence a line (the aligner's test texts); line i of
               X.en is paired with line i of X.ja when both are given
      *.jsonl  objects with "lang" and "text" (the golden rules of
               segmentation): each text, and each line of it
      *.json   an object of objects with "articleBody" (the article
               extraction benchmark): each line of each body
    Each base pair is run in every direction and language pair of
    s_dirs, without a glossary, with the test set's and with a big one of
    terms that share their first bytes (s_glossary), as it is and altered
    in the ways of s_mutate (digits changed, month names swapped, tags
    dropped and added, the source as its own target, cut in half, pieces
    the readers look for or noise (controls, NUL, invalid UTF-8, what NFKC
    changes) inserted at random places, with a fixed seed).

    The flags of each group (file, direction, alteration) are summed up
    in one line: pairs, pairs flagged, flags, and an FNV-1a digest of
    every flag's check, what and detail in order. --write writes GOLDEN;
    otherwise GOLDEN is compared and every group that differs is named.
    --show GROUP prints that group's pairs and flags, to compare two
    builds by hand. A FILE that cannot be read ends the run with 77,
    CTest's skip (the shared data may be absent). */
#include "fuzz_rand.h"

#include <honyaku/qa.h>
#include <honyaku/util.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TEXT_MAX  4096        /* bytes of a base text kept */
#define S_LINE_MAX  65536
#define S_FILE_BASES 800        /* base pairs read of a file */

/* ------------------------------------------------------------ base pairs */

typedef struct {
    char *a, *b;                /* texts */
    char la [8], lb [8];        /* their languages */
} s_base_t;

static s_base_t *s_bases;
static size_t s_base_count, s_base_cap;

static void
s_add_base (const char *la, const char *a, size_t alen, const char *lb, const char *b, size_t blen)
{
    if (alen > S_TEXT_MAX)
        alen = S_TEXT_MAX;
    if (blen > S_TEXT_MAX)
        blen = S_TEXT_MAX;
    if (s_base_count == s_base_cap) {
        s_base_cap = s_base_cap ? 2 * s_base_cap : 256;
        s_bases = hny_realloc (s_bases, s_base_cap * sizeof *s_bases);
    }
    s_base_t *p = &s_bases [s_base_count++];
    p->a = hny_strndup (a, alen);
    p->b = hny_strndup (b, blen);
    snprintf (p->la, sizeof p->la, "%s", la);
    snprintf (p->lb, sizeof p->lb, "%s", lb);
}

/* A text alone: paired with a copy of itself (the alterations make the
   targets differ). */
static void
s_add_text (const char *lang, const char *s, size_t len)
{
    while (len && (s [len - 1] == ' ' || s [len - 1] == '\r'))
        len--;
    if (len)
        s_add_base (lang, s, len, lang, s, len);
}

static void
s_add_lines (const char *lang, const char *text)
{
    for (const char *p = text; *p;) {
        size_t n = strcspn (p, "\n");
        s_add_text (lang, p, n);
        p += n + (p [n] == '\n');
    }
}

static char *
s_slurp (const char *path)
{
    FILE *f = fopen (path, "rb");
    if (!f) {
        perror (path);
        exit (77);              /* CTest's skip: the data is absent */
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = hny_malloc (cap);
    size_t n;
    while ((n = fread (buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            buf = hny_realloc (buf, cap *= 2);
    }
    fclose (f);
    buf [len] = '\0';
    return buf;
}

static int
s_ends (const char *s, const char *suffix)
{
    size_t n = strlen (s), k = strlen (suffix);
    return n >= k && strcmp (s + n - k, suffix) == 0;
}

static void
s_load_tsv (const char *path)
{
    char *text = s_slurp (path);
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        if (*line == '#')
            continue;
        char *col [8];
        size_t n = 0;
        for (char *c = line; n < 8;) {
            col [n++] = c;
            char *tab = strchr (c, '\t');
            if (!tab)
                break;
            *tab = '\0';
            c = tab + 1;
        }
        if (n == 3)
            s_add_base ("en", col [1], strlen (col [1]), "ja", col [2], strlen (col [2]));
        else if (n == 6)
            s_add_base (col [1], col [4], strlen (col [4]), col [2], col [5], strlen (col [5]));
    }
    free (text);
}

/* X.en with X.ja beside it: pairs line by line; either alone: texts. */
static void
s_load_sentences (const char *path)
{
    const char *lang = s_ends (path, ".en") ? "en" : "ja";
    if (strcmp (lang, "ja") == 0) {
        char *en = hny_strdup (path);
        strcpy (en + strlen (en) - 3, ".en");
        FILE *f = fopen (en, "r");
        free (en);
        if (f) {
            fclose (f);
            return;             /* read with its .en */
        }
    }
    char *text = s_slurp (path);
    char *other = NULL;
    if (strcmp (lang, "en") == 0) {
        char *ja = hny_strdup (path);
        strcpy (ja + strlen (ja) - 3, ".ja");
        FILE *f = fopen (ja, "r");
        if (f) {
            fclose (f);
            other = s_slurp (ja);
        }
        free (ja);
    }
    if (!other) {
        s_add_lines (lang, text);
        free (text);
        return;
    }
    const char *p = text, *q = other;
    while (*p || *q) {
        size_t n = strcspn (p, "\n"), m = strcspn (q, "\n");
        if (n || m)
            s_add_base ("en", p, n, "ja", q, m);
        p += n + (p [n] == '\n');
        q += m + (q [m] == '\n');
    }
    free (text);
    free (other);
}

static void
s_load_json (const char *path)
{
    json_error_t err;
    if (s_ends (path, ".jsonl")) {
        FILE *f = fopen (path, "r");
        if (!f) {
            perror (path);
            exit (77);
        }
        static char line [S_LINE_MAX];
        while (fgets (line, sizeof line, f)) {
            json_t *o = json_loads (line, 0, &err);
            const char *lang = json_string_value (json_object_get (o, "lang"));
            const char *t = json_string_value (json_object_get (o, "text"));
            if (lang && t) {
                s_add_text (lang, t, strlen (t));
                s_add_lines (lang, t);
            }
            json_decref (o);
        }
        fclose (f);
        return;
    }
    json_t *root = json_load_file (path, 0, &err);
    if (!root) {
        fprintf (stderr, "%s: %s\n", path, err.text);
        exit (77);
    }
    const char *key;
    json_t *v;
    json_object_foreach (root, key, v) {
        const char *body = json_string_value (json_object_get (v, "articleBody"));
        if (body)
            s_add_lines ("en", body);
    }
    json_decref (root);
}

/* ------------------------------------------------------------ alterations */

/* Pieces the readers look for (digits and separators, units, month names,
   clock words, placeholders, tags), inserted at random places. */
static const char *const s_pieces [] = {
    "0", "3", "7", "12", "24", "1,500", "2.3", "1.500", "1 500", "2,5", "18:30", "6 p.m.", "7 a.m.",
    " million", " billion", "万", "億", "兆", "千", "百", "十", "〇", "一", "二", "年", "年度", "月",
    "日", "日間", "時", "時間", "分", "半", "割", "分の", "午前", "午後", "正午", "令和", "元", "May ",
    " March", "Dec. ", "mayo", " de ", "12 May", "noon", "midnight", "mediodía", "XIV", "third",
    "twenty-", "two-thirds", "a ", "FY", "No.", "G7", "COVID-", "⟦1⟧", "⟦/1⟧", "<b>", "</b>",
    "<i>", "</i>", "<a href=\"x\">", "</a>", "JCP", "国会", "９", "％", "in April ", "12日",
    "2024年", "5月", "3割", "1兆2000億", "Ｍａｙ", "января", "é",
};
#define S_PIECES (sizeof s_pieces / sizeof s_pieces [0])

/* Bytes that take the other ways through the preparation of a text:
   controls, NUL, invalid UTF-8 (a lone surrogate among them), what NFKC
   changes (full-width forms, ligatures, circled digits, ㍻, a combining
   accent), white space beyond ASCII and letters of other scripts. Each
   is a string; the empty last one stands for a NUL byte. */
static const char *const s_noise [] = {
    "\t", "\n", "\x01", "\x7f", "\xff", "\xc3", "\xe3\x81", "\xed\xa0\x80", "\xc0\xaf", "ｆｕｌｌ",
    "１２", "Ａ", "e\xcc\x81", "ﬁ", "①", "㍻", "㈱", "\xc2\xa0", "\xe3\x80\x80", "Привет", "한국", "ΑΒΓ",
    "\xef\xbb\xbf", "\xe2\x80\xa8", "ǅ", "ª", "",
};
#define S_NOISE (sizeof s_noise / sizeof s_noise [0])

typedef enum {
    S_AS_IS, S_DIGITS, S_MONTHS, S_TAGS, S_UNTAGGED, S_SELF, S_HALF, S_PIECES_IN, S_NOISE_IN,
    S_MUTATIONS
} s_mutation_t;

static const char *const s_mutation_names [S_MUTATIONS] = {
    "as-is", "digits", "months", "tags", "untagged", "self", "half", "pieces", "noise"
};

typedef struct {
    char *s;
    size_t len, cap;
} s_buf_t;

static void
s_put (s_buf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = hny_realloc (b->s, b->cap);
    }
    memcpy (b->s + b->len, s, n);
    b->len += n;
    b->s [b->len] = '\0';
}

/* Every third digit one more (9 becomes 0). */
static void
s_digits (s_buf_t *out, const char *s)
{
    int k = 0;
    for (; *s; s++) {
        char c = *s;
        if (c >= '0' && c <= '9' && k++ % 3 == 0)
            c = c == '9' ? '0' : (char) (c + 1);
        s_put (out, &c, 1);
    }
}

/* Month names and CJK month and day numerals moved on by one. */
static void
s_months (s_buf_t *out, const char *s)
{
    static const char *const from [] = {
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December", "1月", "5月", "12日", "15日", "午後", "a.m.", NULL
    };
    static const char *const to [] = {
        "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December", "January", "2月", "6月", "13日", "5日", "午前", "p.m.", NULL
    };
    while (*s) {
        size_t i = 0;
        while (from [i] && strncmp (s, from [i], strlen (from [i])) != 0)
            i++;
        if (from [i]) {
            s_put (out, to [i], strlen (to [i]));
            s += strlen (from [i]);
        }
        else
            s_put (out, s++, 1);
    }
}

/* The character boundary at or before n bytes of s. */
static size_t
s_boundary (const char *s, size_t n)
{
    while (n > 0 && ((unsigned char) s [n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* Text wrapped in tags: its second word (or second third, without
   spaces) in <b>, a link around the rest; drop: the </b> left out. */
static void
s_tags (s_buf_t *out, const char *s, int drop)
{
    static const char link [] = "<a href=\"https://example.org/x\">";
    size_t len = strlen (s), a, b;
    const char *sp = strchr (s, ' ');
    const char *sp2 = sp ? strchr (sp + 1, ' ') : NULL;
    if (sp && sp2)
        a = (size_t) (sp + 1 - s), b = (size_t) (sp2 - s);
    else
        a = s_boundary (s, len / 3), b = s_boundary (s, 2 * len / 3);
    s_put (out, s, a);
    s_put (out, "<b>", 3);
    s_put (out, s + a, b - a);
    if (!drop)
        s_put (out, "</b>", 4);
    s_put (out, link, strlen (link));
    s_put (out, s + b, len - b);
    s_put (out, "</a>", 4);
}

/* Pieces at random character boundaries of s: the readers' pieces, or
   noise (the last entry of s_noise stands for a NUL byte). */
static void
s_pieces_in (s_buf_t *out, const char *s, int noise)
{
    size_t len = strlen (s), at = 0;
    size_t n = 1 + s_below (6);
    for (size_t k = 0; k < n; k++) {
        size_t to = at + s_below (len - at + 1);
        while (to < len && ((unsigned char) s [to] & 0xC0) == 0x80)
            to++;
        s_put (out, s + at, to - at);
        size_t i = s_below (noise ? S_NOISE : S_PIECES);
        const char *p = noise ? s_noise [i] : s_pieces [i];
        s_put (out, p, noise && i == S_NOISE - 1 ? 1 : strlen (p));
        at = to;
    }
    s_put (out, s + at, len - at);
}

/* The altered source (*src) and target of a pair. */
static void
s_mutate (s_mutation_t m, const char *src, const char *tgt, s_buf_t *s, s_buf_t *t)
{
    s->len = t->len = 0;
    s_put (s, "", 0);
    s_put (t, "", 0);
    s_put (s, src, strlen (src));
    switch (m) {
    case S_AS_IS:
        s_put (t, tgt, strlen (tgt));
        break;
    case S_DIGITS:
        s_digits (t, tgt);
        break;
    case S_MONTHS:
        s_months (t, tgt);
        break;
    case S_TAGS:
    case S_UNTAGGED:
        s->len = 0;
        s_tags (s, src, 0);
        s_tags (t, tgt, m == S_UNTAGGED);
        break;
    case S_SELF:
        s_put (t, src, strlen (src));
        break;
    case S_HALF:
        s_put (t, tgt, s_boundary (tgt, strlen (tgt) / 2));
        break;
    case S_PIECES_IN:
    case S_NOISE_IN:
        s->len = 0;
        s_pieces_in (s, src, m == S_NOISE_IN);
        s_pieces_in (t, tgt, m == S_NOISE_IN);
        break;
    case S_MUTATIONS:
        break;
    }
}

/* ------------------------------------------------------------ the groups */

/* Directions a base pair of languages (a, b) is read in: a pair en-ja
   both ways and, to reach every reader's table, as other languages. */
static const char *const s_dirs [][2] = {
    { "a", "b" }, { "b", "a" }, { "en", "es" }, { "es", "en" }, { "en", "de" }, { "fr", "en" },
    { "en", "zh" }, { "zh", "en" }, { "ja", "ja" }, { "", "" }
};
#define S_DIRS (sizeof s_dirs / sizeof s_dirs [0])

/* The test set's glossary, as the worker gets it from a profile. */
static const char *const s_terms [][2] = {
    { "JCP", "日本共産党" }, { "Diet", "国会" }, { "LDP", "自民党" }, { "minimum wage", "最低賃金" },
    { "consumption tax", "消費税" }, { "Henoko", "辺野古" }, { "1,500", "千五百" }, { "a", "b" },
};

/* The start of text t as a term: to its first space, at most 3
   characters (a Japanese text has no spaces). */
static char *
s_term_of (const char *t)
{
    size_t n = 0;
    for (int chars = 0; t [n] && t [n] != ' ' && chars < 3; chars++)
        do
            n++;
        while (((unsigned char) t [n] & 0xC0) == 0x80);
    return hny_strndup (t, n);
}

/* The test set's glossary; big: and a term made of the start of each of
   the bases [from, to) (at most S_BIG_TERMS), whose target is the start
   of the other text: terms that share their first bytes, and the same
   source term with several targets, as a large profile has them. */
#define S_BIG_TERMS 600
static void
s_glossary (hny_qa_t *qa, int reverse, int big, size_t from, size_t to)
{
    for (size_t i = 0; i < sizeof s_terms / sizeof s_terms [0]; i++)
        hny_qa_term (qa, s_terms [i][reverse], s_terms [i][!reverse]);
    for (size_t i = from; big && i < to && i - from < S_BIG_TERMS; i++) {
        char *src = s_term_of (reverse ? s_bases [i].b : s_bases [i].a);
        char *tgt = s_term_of (reverse ? s_bases [i].a : s_bases [i].b);
        hny_qa_term (qa, src, tgt);
        free (src);
        free (tgt);
    }
}

typedef struct {
    char name [160];
    size_t pairs, flagged, flags;
    uint64_t digest;
} s_group_t;

static void
s_fnv (uint64_t *h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        *h ^= (unsigned char) s [i];
        *h *= 0x100000001B3ULL;
    }
}

/* Run the bases [from, to) of file in one direction, altered one way,
   without a glossary, with the test set's (1) or with a big one (2): the
   group's line. show: print each pair. */
static void
s_run_group (s_group_t *g, size_t from, size_t to, size_t dir, s_mutation_t m, int glossary, int show)
{
    g->digest = 0xCBF29CE484222325ULL;
    /* each group draws its own random numbers: --show sees the same */
    s_state = 0x9E3779B97F4A7C15ULL;
    s_fnv (&s_state, g->name, strlen (g->name));
    s_buf_t s = { 0 }, t = { 0 };
    hny_qa_t *cache [2] = { NULL, NULL };
    char cache_key [2][32] = { "", "" };
    for (size_t i = from; i < to; i++) {
        const s_base_t *b = &s_bases [i];
        int swap = strcmp (s_dirs [dir][0], "b") == 0;
        const char *lf = dir < 2 ? (swap ? b->lb : b->la) : s_dirs [dir][0];
        const char *lt = dir < 2 ? (swap ? b->la : b->lb) : s_dirs [dir][1];
        const char *src = swap ? b->b : b->a, *tgt = swap ? b->a : b->b;
        /* a checker a language pair, as the worker keeps one a job */
        char key [32];
        snprintf (key, sizeof key, "%s>%s", lf, lt);
        int slot = strcmp (cache_key [0], key) == 0 ? 0 : strcmp (cache_key [1], key) == 0 ? 1 : -1;
        if (slot < 0) {
            slot = cache [0] && cache [1] ? 1 : cache [0] ? 1 : 0;
            hny_qa_destroy (&cache [slot]);
            cache [slot] = hny_qa_new (lf, lt);
            if (glossary)
                s_glossary (cache [slot], strcmp (lf, "ja") == 0, glossary == 2, from, to);
            snprintf (cache_key [slot], sizeof cache_key [slot], "%s", key);
        }
        s_mutate (m, src, tgt, &s, &t);
        hny_qa_flag_t flags [HNY_QA_MAX_FLAGS];
        size_t n = hny_qa_run (cache [slot], s.s, s.len, t.s, t.len, flags);
        g->pairs++;
        g->flagged += n > 0;
        g->flags += n;
        if (show)
            printf ("%zu %s\n  src: %s\n  tgt: %s\n", i - from, key, s.s, t.s);
        for (size_t k = 0; k < n; k++) {
            const char *name = hny_qa_check_name (flags [k].check);
            s_fnv (&g->digest, name, strlen (name) + 1);
            s_fnv (&g->digest, flags [k].what, strlen (flags [k].what) + 1);
            s_fnv (&g->digest, flags [k].detail, strlen (flags [k].detail) + 1);
            if (show)
                printf ("  %s [%s] %s\n", name, flags [k].what, flags [k].detail);
        }
        s_fnv (&g->digest, "\n", 1);
    }
    hny_qa_destroy (&cache [0]);
    hny_qa_destroy (&cache [1]);
    free (s.s);
    free (t.s);
}

static const char *
s_basename (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash ? slash + 1 : path;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: test_qa_golden GOLDEN [--write | --show GROUP] FILE...\n");
        return 2;
    }
    const char *golden = argv [1];
    int write = 0, first = 2;
    const char *show = NULL;
    if (strcmp (argv [2], "--write") == 0)
        write = 1, first = 3;
    else if (strcmp (argv [2], "--show") == 0 && argc > 3)
        show = argv [3], first = 4;
    /* each file's groups: all its bases, every direction, every alteration */
    size_t cap = 0, count = 0;
    s_group_t *groups = NULL;
    for (int a = first; a < argc; a++) {
        size_t from = s_base_count;
        const char *path = argv [a];
        if (s_ends (path, ".tsv"))
            s_load_tsv (path);
        else if (s_ends (path, ".en") || s_ends (path, ".ja"))
            s_load_sentences (path);
        else if (s_ends (path, ".json") || s_ends (path, ".jsonl"))
            s_load_json (path);
        else {
            fprintf (stderr, "test_qa_golden: %s: unknown kind of file\n", path);
            return 2;
        }
        /* a file's first S_FILE_BASES only: the test stays a few seconds */
        while (s_base_count - from > S_FILE_BASES) {
            s_base_count--;
            free (s_bases [s_base_count].a);
            free (s_bases [s_base_count].b);
        }
        if (s_base_count == from)
            continue;
        for (size_t dir = 0; dir < S_DIRS; dir++)
            for (int m = 0; m < S_MUTATIONS; m++)
                for (int glossary = 0; glossary < 3; glossary++) {
                    /* the glossary only where it is the pair's own */
                    if (glossary && dir >= 2)
                        continue;
                    if (count == cap)
                        groups = hny_realloc (groups, (cap = cap ? 2 * cap : 64) * sizeof *groups);
                    s_group_t *g = &groups [count];
                    memset (g, 0, sizeof *g);
                    snprintf (g->name, sizeof g->name, "%s:%s>%s:%s%s", s_basename (path),
                              s_dirs [dir][0], s_dirs [dir][1], s_mutation_names [m],
                              glossary == 2 ? ":big-glossary" : glossary ? ":glossary" : "");
                    int this = show && strcmp (show, g->name) == 0;
                    if (show && !this)
                        continue;
                    s_run_group (g, from, s_base_count, dir, (s_mutation_t) m, glossary, this);
                    count++;
                }
    }
    for (size_t i = 0; i < s_base_count; i++) {
        free (s_bases [i].a);
        free (s_bases [i].b);
    }
    free (s_bases);
    if (show) {
        free (groups);
        return count ? 0 : 1;
    }
    if (write) {
        FILE *f = fopen (golden, "w");
        if (!f) {
            perror (golden);
            return 2;
        }
        fprintf (f, "# test_qa_golden: group, pairs, pairs flagged, flags, FNV-1a of the flags\n");
        for (size_t i = 0; i < count; i++)
            fprintf (f, "%s\t%zu\t%zu\t%zu\t%016llx\n", groups [i].name, groups [i].pairs,
                     groups [i].flagged, groups [i].flags, (unsigned long long) groups [i].digest);
        fclose (f);
        printf ("test_qa_golden: %zu groups written to %s\n", count, golden);
        free (groups);
        return 0;
    }
    /* compare, line by line */
    char *text = s_slurp (golden);
    size_t line_no = 0, differ = 0, pairs = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        if (*line == '#')
            continue;
        char want [512];
        if (line_no >= count) {
            fprintf (stderr, "test_qa_golden: the golden file has more groups than were run: %s\n", line);
            differ++;
            break;
        }
        const s_group_t *g = &groups [line_no++];
        pairs += g->pairs;
        snprintf (want, sizeof want, "%s\t%zu\t%zu\t%zu\t%016llx", g->name, g->pairs, g->flagged,
                  g->flags, (unsigned long long) g->digest);
        if (strcmp (want, line) != 0) {
            fprintf (stderr, "test_qa_golden: differs:\n  golden %s\n  now    %s\n", line, want);
            differ++;
        }
    }
    if (line_no < count) {
        fprintf (stderr, "test_qa_golden: %zu groups run that the golden file lacks\n", count - line_no);
        differ++;
    }
    free (text);
    free (groups);
    printf ("test_qa_golden: %zu groups, %zu pairs: %zu differ\n", line_no, pairs, differ);
    return differ ? 1 : 0;
}
