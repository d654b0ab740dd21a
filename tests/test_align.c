/*  test_align: the sentence aligner (workers/hny_align.h) on synthetic
    texts whose alignment is known by construction, its anchors
    (hny_anchor.h) and its lexicon (hny_lexicon.h, on Debian's edict and
    MeCab's ipadic-utf8).

    The synthetic sentences: an English one is "Item N" and filler words up
    to a length, its Japanese counterpart "項目N" and kana up to the length
    the English-Japanese model predicts (0.43 characters a character); the
    numbers are the anchors that tell sentences apart, the lengths what
    tells a 2-1 from a 1-1. The searches here run without the lexicon (no
    dictionary), except the last, so they test the dynamic program, the
    band and the bad-input paths alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <honyaku/util.h>

#include "hny_align.h"
#include "hny_anchor.h"
#include "fuzz_rand.h"
#include "hny_check.h"
#include "hny_lexicon.h"

#define S_MAX 4000

/* A side under construction: sentences (owned) and paragraph numbers. */
typedef struct {
    char *s[S_MAX];
    size_t para[S_MAX];
    size_t n;
} s_side_t;

static void
s_add (s_side_t *side, char *text, size_t para)
{
    side->s[side->n] = text;
    side->para[side->n++] = para;
}

/* "Item N" and words up to len characters. */
static char *
s_en (int n, size_t len)
{
    hny_buf_t b = HNY_BUF_INIT (4096);
    char head[32];
    snprintf (head, sizeof head, "Item %d", n);
    hny_buf_adds (&b, head);
    while (b.len < len)
        hny_buf_adds (&b, " some word");
    hny_buf_adds (&b, ".");
    return hny_buf_take (&b, NULL);
}

/* "項目N" and kana up to the characters that len English ones predict. */
static char *
s_ja (int n, size_t len)
{
    hny_buf_t b = HNY_BUF_INIT (4096);
    char head[32];
    snprintf (head, sizeof head, "項目%d", n);
    hny_buf_adds (&b, head);
    size_t want = (size_t) ((double) len * 0.43), have = 2 + (n > 9 ? 2 : 1);
    while (have++ < want)
        hny_buf_adds (&b, "あ");
    hny_buf_adds (&b, "。");
    return hny_buf_take (&b, NULL);
}

static void
s_free (s_side_t *side)
{
    for (size_t k = 0; k < side->n; k++)
        free (side->s[k]);
    side->n = 0;
}

static hny_align_side_t
s_view (const s_side_t *side, const char *lang)
{
    return (hny_align_side_t) { lang, (const char *const *) side->s, side->para, side->n, NULL };
}

/* The link's text "S,S-T" ("-" for none on a side, "" for none). */
static void
s_link_str (const hny_align_link_t *l, char *out, size_t size)
{
    size_t n = 0;
    for (size_t k = 0; k < l->nsrc; k++)
        n += (size_t) snprintf (out + n, size - n, "%s%zu", k ? "," : "", l->src + k);
    n += (size_t) snprintf (out + n, size - n, "%s", l->nsrc ? "-" : "x-");
    for (size_t k = 0; k < l->ntgt; k++)
        n += (size_t) snprintf (out + n, size - n, "%s%zu", k ? "," : "", l->tgt + k);
    if (!l->ntgt)
        snprintf (out + n, size - n, "x");
}

/* The whole chain as "0-0 1,2-1 x-2 ...". Caller owns. */
static char *
s_chain (const hny_alignment_t *al)
{
    hny_buf_t b = HNY_BUF_INIT (1 << 20);
    for (size_t k = 0; k < hny_alignment_count (al); k++) {
        char one[64];
        s_link_str (hny_alignment_link (al, k), one, sizeof one);
        if (k)
            hny_buf_adds (&b, " ");
        hny_buf_adds (&b, one);
    }
    return hny_buf_take (&b, NULL);
}

static hny_alignment_t *
s_run (hny_aligner_t *al, s_side_t *en, s_side_t *ja, const char *from, const char *to,
       int *status, char **reason)
{
    hny_align_side_t a = s_view (en, from), b = s_view (ja, to);
    *status = 0;
    *reason = NULL;
    return hny_align (al, &a, &b, status, reason);
}

/* Align en with ja and compare the chain with want. */
static void
s_expect (hny_aligner_t *al, s_side_t *en, s_side_t *ja, const char *want)
{
    int status;
    char *reason;
    hny_alignment_t *r = s_run (al, en, ja, "en", "ja", &status, &reason);
    CHECK (r != NULL);
    if (r) {
        char *got = s_chain (r);
        CHECK_STR (got, want);
        free (got);
    } else
        fprintf (stderr, "  %d %s\n", status, reason);
    free (reason);
    hny_alignment_destroy (&r);
}

static void
test_anchors (void)
{
    uint32_t a[HNY_ANCHOR_MAX], b[HNY_ANCHOR_MAX];
    struct {
        const char *en, *ja;
        size_t common;
    } cases[] = {
        { "It rose to 2.3 million.", "230万に増えた。", 1 },
        { "a fee of 1,500 yen", "１５００円の手数料", 1 },
        { "1.2 trillion yen", "1兆2000億円", 1 },
        { "30% of voters", "有権者の3割", 1 },
        { "On May 12, they met.", "5月12日に会った。", 2 },
        { "on May 12", "12日に", 1 },
        { "in 2024", "令和6年に", 1 },
        { "JCP and NHK", "ＪＣＰとNHK", 2 },
        { "down for the tenth month", "10カ月連続で減少", 1 },
        { "three people", "三人が", 1 },
        { "a 1,500-yen wage", "1万5000円", 0 },
        { "15,000 yen", "1万5000円", 1 },
        { "may rise", "5月に", 0 },        /* the verb is no month */
        { "the G7 summit", "G7サミット", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t na = hny_anchor_find (cases[i].en, 0, a, HNY_ANCHOR_MAX);
        size_t nb = hny_anchor_find (cases[i].ja, 1, b, HNY_ANCHOR_MAX);
        size_t common = hny_anchor_common (a, na, b, nb);
        if (common != cases[i].common) {
            fprintf (stderr, "anchors [%s] [%s]: %zu in common, want %zu\n", cases[i].en,
                     cases[i].ja, common, cases[i].common);
            s_failures++;
        }
    }
    /* names: a reading meets its Hepburn spelling */
    struct {
        const char *reading, *latin;
    } names[] = {
        { "シイ", "Shii" }, { "トウキョウ", "Tokyo" }, { "キシダ", "Kishida" },
        { "オキナワ", "Okinawa" }, { "シンゾウ", "Shinzo" }, { "ヘノコ", "Henoko" },
        { "キョウト", "Kyoto" }, { "ジュンイチロウ", "Junichiro" }, { "ハットリ", "Hattori" },
        { "ホッカイドウ", "Hokkaido" }, { "ジェームズ", "Jemuzu" }
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint32_t k = hny_anchor_romaji (names[i].reading, strlen (names[i].reading));
        size_t na = hny_anchor_find (names[i].latin, 0, a, HNY_ANCHOR_MAX);
        if (!k || hny_anchor_common (a, na, &k, 1) != 1) {
            fprintf (stderr, "romaji: %s does not meet %s\n", names[i].reading, names[i].latin);
            s_failures++;
        }
    }
    CHECK (hny_anchor_romaji ("abc", 3) == 0);             /* not katakana */
    CHECK (hny_anchor_romaji ("イ", strlen ("イ")) == 0);   /* too short to tell */
    CHECK (hny_anchor_romaji ("アベ", strlen ("アベ")) != 0);
    /* hostile text: a cut sequence, a lone continuation byte, a long run */
    CHECK (hny_anchor_find ("\xE3\x81 12\x80 \xEF\xBC", 1, a, HNY_ANCHOR_MAX) >= 1);
    char *big = hny_malloc (100000);
    memset (big, '9', 99999);
    big[99999] = '\0';
    CHECK (hny_anchor_find (big, 0, a, HNY_ANCHOR_MAX) == 1);
    CHECK (hny_anchor_find (big, 1, a, HNY_ANCHOR_MAX) == 1);
    free (big);
}

/* The dynamic program without a dictionary. */
static void
test_search (void)
{
    hny_aligner_t *al = hny_aligner_new (NULL);
    static s_side_t en, ja;
    size_t len[] = { 120, 90, 150, 60, 110, 130 };

    /* 1-1 throughout */
    for (int i = 0; i < 6; i++) {
        s_add (&en, s_en (i + 1, len[i]), 0);
        s_add (&ja, s_ja (i + 1, len[i]), 0);
    }
    s_expect (al, &en, &ja, "0-0 1-1 2-2 3-3 4-4 5-5");
    s_free (&en);
    s_free (&ja);

    /* the translation drops a sentence (0-1) and adds one (1-0) */
    for (int i = 0; i < 6; i++) {
        if (i != 2)
            s_add (&en, s_en (i + 1, len[i]), 0);
        s_add (&ja, s_ja (i + 1, len[i]), 0);
    }
    s_add (&en, s_en (77, 100), 0);
    s_expect (al, &en, &ja, "0-0 1-1 x-2 2-3 3-4 4-5 5-x");
    s_free (&en);
    s_free (&ja);

    /* one Japanese sentence made of two English (2-1), and the other way (1-2) */
    s_add (&en, s_en (1, 120), 0);
    s_add (&en, s_en (2, 70), 0);
    s_add (&en, s_en (3, 70), 0);
    s_add (&en, s_en (4, 200), 0);
    s_add (&en, s_en (6, 100), 0);
    s_add (&ja, s_ja (1, 120), 0);
    s_add (&ja, s_ja (23, 140), 0);     /* the two numbers as one: 23 */
    s_add (&ja, s_ja (4, 100), 0);
    s_add (&ja, s_ja (45, 100), 0);
    s_add (&ja, s_ja (6, 100), 0);
    /* give the merged sentences both numbers */
    free (ja.s[1]);
    ja.s[1] = hny_strdup ("項目2と項目3あああああああああああああああああああああああああああああああああああああああああああああああああああああああ。");
    free (ja.s[3]);
    ja.s[3] = hny_strdup ("ああああああああああああああああああああああああああああああああああああああああああ。");
    s_expect (al, &en, &ja, "0-0 1,2-1 3-2,3 4-4");
    s_free (&en);
    s_free (&ja);

    /* ja -> en: the same links turned round */
    for (int i = 0; i < 4; i++) {
        s_add (&en, s_en (i + 1, len[i]), 0);
        s_add (&ja, s_ja (i + 1, len[i]), 0);
    }
    s_add (&ja, s_ja (9, 80), 0);
    {
        int status;
        char *reason;
        hny_alignment_t *r = s_run (al, &ja, &en, "ja", "en", &status, &reason);
        CHECK (r != NULL);
        char *got = r ? s_chain (r) : NULL;
        CHECK_STR (got, "0-0 1-1 2-2 3-3 4-x");
        free (got);
        free (reason);
        hny_alignment_destroy (&r);
    }
    s_free (&en);
    s_free (&ja);

    /* past HNY_ALIGN_FULL_CELLS: the band, with 60 Japanese sentences in a
       row that the English lacks; lengths alone (cycling) and numbers */
    for (int i = 0; i < 1500; i++) {
        size_t l = 60 + (size_t) ((i * 37) % 140);
        if (i < 700 || i >= 760)
            s_add (&en, s_en (i + 1, l), 0);
        s_add (&ja, s_ja (i + 1, l), 0);
    }
    {
        int status;
        char *reason;
        hny_alignment_t *r = s_run (al, &en, &ja, "en", "ja", &status, &reason);
        CHECK (r != NULL);
        size_t right = 0;
        for (size_t k = 0; r && k < hny_alignment_count (r); k++) {
            const hny_align_link_t *l = hny_alignment_link (r, k);
            size_t want_tgt = l->src < 700 ? l->src : l->src + 60;
            if (l->nsrc == 1 && l->ntgt == 1 && l->tgt == want_tgt)
                right++;
            else if (l->nsrc == 0 && l->ntgt == 1 && l->tgt >= 700 && l->tgt < 760)
                right++;
        }
        CHECK (r && right == 1500 && hny_alignment_count (r) == 1500);
        if (r && right != 1500)
            fprintf (stderr, "  banded: %zu of 1500 links right\n", right);
        free (reason);
        hny_alignment_destroy (&r);
    }
    s_free (&en);
    s_free (&ja);
    hny_aligner_destroy (&al);
}

/* What a caller must be told, and what must not crash. */
static void
test_bad_input (void)
{
    hny_aligner_t *al = hny_aligner_new (NULL);
    static s_side_t en, ja;
    int status;
    char *reason;
    for (int i = 0; i < 5; i++) {
        s_add (&en, s_en (i + 1, 100), 0);
        s_add (&ja, s_ja (i + 1, 100), 0);
    }
    /* the same language twice */
    hny_alignment_t *r = s_run (al, &en, &en, "en", "en", &status, &reason);
    CHECK (!r && status == 422 && reason && strstr (reason, "both in en"));
    free (reason);
    /* English text given as Japanese, Japanese as English, swapped */
    r = s_run (al, &en, &en, "en", "ja", &status, &reason);
    CHECK (!r && status == 422 && reason && strstr (reason, "Latin script"));
    free (reason);
    r = s_run (al, &ja, &ja, "en", "ja", &status, &reason);
    CHECK (!r && status == 422 && reason && strstr (reason, "Japanese script"));
    free (reason);
    r = s_run (al, &ja, &en, "en", "ja", &status, &reason);
    CHECK (!r && status == 422 && reason && strstr (reason, "swapped"));
    free (reason);

    /* an empty side: every sentence alone, score 0, a warning */
    static s_side_t none;
    r = s_run (al, &en, &none, "en", "ja", &status, &reason);
    CHECK (r && hny_alignment_count (r) == 5 && hny_alignment_score (r) == 0);
    CHECK (r && hny_alignment_warning (r) && strstr (hny_alignment_warning (r), "ja side is empty"));
    for (size_t k = 0; r && k < hny_alignment_count (r); k++)
        CHECK (hny_alignment_link (r, k)->ntgt == 0);
    hny_alignment_destroy (&r);
    r = s_run (al, &none, &none, "en", "ja", &status, &reason);
    CHECK (r && hny_alignment_count (r) == 0 && hny_alignment_warning (r));
    hny_alignment_destroy (&r);

    /* one side ten times longer: aligned, scored low, warned */
    static s_side_t longer;
    for (int i = 0; i < 50; i++)
        s_add (&longer, s_ja (i + 1, 100), 0);
    static s_side_t shorter;
    for (int i = 0; i < 5; i++)
        s_add (&shorter, s_en (i + 1, 100), 0);
    r = s_run (al, &shorter, &longer, "en", "ja", &status, &reason);
    CHECK (r && hny_alignment_score (r) < 0.3);
    CHECK (r && hny_alignment_warning (r) && strstr (hny_alignment_warning (r), "times as long"));
    hny_alignment_destroy (&r);
    s_free (&longer);
    s_free (&shorter);

    /* invalid UTF-8: read as U+FFFD, valid JSON out */
    free (en.s[1]);
    en.s[1] = hny_strdup ("Item 2 \xff\xfe some \xE3\x81 word.");
    free (ja.s[1]);
    ja.s[1] = hny_strdup ("項目2\x80あああああああ\xF0\x9F。");
    hny_align_side_t a = s_view (&en, "en"), b = s_view (&ja, "ja");
    r = hny_align (al, &a, &b, &status, &reason);
    CHECK (r != NULL);
    json_t *j = r ? hny_alignment_json (r, &a, &b) : NULL;
    CHECK (j != NULL);
    char *dump = j ? json_dumps (j, 0) : NULL;
    CHECK (dump && strstr (dump, "Item 2 \xEF\xBF\xBD\xEF\xBF\xBD some \xEF\xBF\xBD word."));
    free (dump);
    json_decref (j);
    hny_alignment_destroy (&r);

    /* more sentences than the cap: 413 before anything is built */
    static const char *many[HNY_ALIGN_MAX_SENTENCES + 1];
    for (size_t k = 0; k <= HNY_ALIGN_MAX_SENTENCES; k++)
        many[k] = "x.";
    hny_align_side_t big = { "en", many, NULL, HNY_ALIGN_MAX_SENTENCES + 1, NULL };
    r = hny_align (al, &big, &b, &status, &reason);
    CHECK (!r && status == 413);
    free (reason);
    s_free (&en);
    s_free (&ja);
    hny_aligner_destroy (&al);
}

/* The record's form: joined sentences, nulls, paragraphs, the title. */
static void
test_json (void)
{
    hny_aligner_t *al = hny_aligner_new (NULL);
    static s_side_t en, ja;
    s_add (&en, s_en (1, 100), 0);
    s_add (&en, s_en (2, 60), 1);
    s_add (&en, s_en (3, 60), 1);
    s_add (&ja, s_ja (1, 100), 0);
    s_add (&ja, hny_strdup ("項目2と項目3ああああああああああああああああああああああああああああああああああああああ。"), 0);
    s_add (&ja, s_ja (9, 100), 0);
    hny_align_side_t a = s_view (&en, "en"), b = s_view (&ja, "ja");
    int status;
    char *reason = NULL;
    hny_alignment_t *r = hny_align (al, &a, &b, &status, &reason);
    CHECK (r != NULL);
    json_t *j = r ? hny_alignment_json (r, &a, &b) : NULL;
    json_t *paras = json_object_get (j, "paragraphs");
    CHECK (json_array_size (paras) == 2);
    json_t *p1 = json_object_get (json_array_get (paras, 1), "segments");
    CHECK (json_array_size (p1) == 2);
    char *want = hny_sprintf ("%s %s", en.s[1], en.s[2]);
    CHECK_STR (json_string_value (json_object_get (json_array_get (p1, 0), "src")), want);
    CHECK_STR (json_string_value (json_object_get (json_array_get (p1, 0), "tgt")), ja.s[1]);
    CHECK (json_is_null (json_object_get (json_array_get (p1, 1), "src")));
    CHECK (json_is_real (json_object_get (json_array_get (p1, 1), "score")));
    CHECK (json_integer_value (json_object_get (json_object_get (json_object_get (j, "stats"), "kinds"), "2-1")) == 1);
    free (want);
    json_decref (j);
    hny_alignment_destroy (&r);

    /* ja -> en joins Japanese with nothing */
    r = hny_align (al, &b, &a, &status, &reason);
    j = r ? hny_alignment_json (r, &b, &a) : NULL;
    char *dump = j ? json_dumps (j, 0) : NULL;
    want = hny_sprintf ("\"tgt\": \"%s %s\"", en.s[1], en.s[2]);
    CHECK (dump && strstr (dump, want));
    free (want);
    free (dump);
    json_decref (j);
    hny_alignment_destroy (&r);

    /* prepared articles: the title as its own link; a body that is not one: 400 */
    json_t *src = json_pack ("{s:{s:s}, s:[{s:[{s:s},{s:s}]}]}", "title", "src", "Item 7 title words here",
                             "paragraphs", "segments", "src", en.s[0], "src", en.s[1]);
    json_t *tgt = json_pack ("{s:{s:s}, s:[{s:[{s:s},{s:s}]}]}", "title", "src", "項目7ああああああ",
                             "paragraphs", "segments", "src", ja.s[0], "src", ja.s[2]);
    j = hny_align_prepared (al, src, "en", tgt, "ja", &status, &reason);
    CHECK (j && json_is_object (json_object_get (j, "title")));
    CHECK_STR (json_string_value (json_object_get (json_object_get (j, "title"), "tgt")), "項目7ああああああ");
    json_decref (j);
    json_t *junk = json_pack ("{s:s}", "paragraphs", "no");
    j = hny_align_prepared (al, junk, "en", tgt, "ja", &status, &reason);
    CHECK (!j && status == 400);
    free (reason);
    json_decref (junk);
    json_decref (src);
    json_decref (tgt);
    s_free (&en);
    s_free (&ja);
    hny_aligner_destroy (&al);
}

/* The real dictionary and MeCab, when Debian's packages are there. */
static void
test_lexicon (void)
{
    char *error = NULL;
    hny_lexicon_opts_t opts = { HNY_LEXICON_EDICT, HNY_LEXICON_IPADIC };
    hny_lexicon_t *lex = hny_lexicon_new (&opts, &error);
    CHECK (lex != NULL);
    if (!lex) {
        fprintf (stderr, "  %s\n", error);
        free (error);
        return;
    }
    CHECK (hny_lexicon_complete (lex));
    hny_lexicon_word_t w[HNY_LEXICON_MAX_WORDS];
    size_t n = hny_lexicon_english (lex, "The wages of the workers", w, HNY_LEXICON_MAX_WORDS);
    CHECK (n == 2);     /* "wage", "worker"; the function words are out */
    uint32_t wage = hny_lexicon_key ("賃金", strlen ("賃金")), found = 0;
    for (size_t k = 0; k < n; k++)
        for (uint32_t t = 0; t < w[k].count; t++)
            found |= w[k].keys[t] == wage;
    CHECK (found);
    uint32_t jw[HNY_LEXICON_MAX_WORDS], names[8];
    size_t nn = 0;
    size_t nj = hny_lexicon_japanese (lex, "志位委員長は最低賃金の引き上げを求めた。", jw,
                                      HNY_LEXICON_MAX_WORDS, names, 8, &nn);
    int has_wage = 0;
    for (size_t k = 0; k < nj; k++)
        has_wage |= jw[k] == wage;
    CHECK (has_wage);
    uint32_t shii[HNY_ANCHOR_MAX];
    size_t ns = hny_anchor_find ("Shii said", 0, shii, HNY_ANCHOR_MAX);
    hny_anchor_sort (names, nn);
    CHECK (hny_anchor_common (shii, ns, names, nn) == 1);
    /* hostile Japanese: no crash, nothing read past the cap */
    char *big = hny_malloc (10000);
    for (size_t k = 0; k + 3 < 10000; k += 3)
        memcpy (big + k, "賃", 3);
    big[9999] = '\0';
    big[9998] = (char) 0xE8;
    nj = hny_lexicon_japanese (lex, big, jw, HNY_LEXICON_MAX_WORDS, names, 8, &nn);
    CHECK (nj <= HNY_LEXICON_MAX_WORDS);
    free (big);

    /* the dictionary's evidence at work: one Japanese sentence, two
       English ones of about its length and no anchor; which one it
       translates only the words tell */
    hny_aligner_t *al = hny_aligner_new (lex);
    const char *e1[] = { "Workers demand much higher wages.", "Peace movement opposes the new base." };
    const char *e2[] = { "Peace movement opposes the new base.", "Workers demand much higher wages." };
    const char *j[] = { "労働者が大幅な賃金の引き上げを要求。" };
    const char *want[] = { "0-0 1-x", "0-x 1-0" };
    for (int k = 0; k < 2; k++) {
        hny_align_side_t a = { "en", k ? e2 : e1, NULL, 2, NULL }, b = { "ja", j, NULL, 1, NULL };
        int status;
        char *reason = NULL;
        hny_alignment_t *r = hny_align (al, &a, &b, &status, &reason);
        char *got = r ? s_chain (r) : NULL;
        CHECK_STR (got, want[k]);
        free (got);
        free (reason);
        hny_alignment_destroy (&r);
    }
    hny_aligner_destroy (&al);
    /* a part asked for by name and missing is an error */
    hny_lexicon_opts_t bad = { "/nonexistent/edict", "" };
    hny_lexicon_t *none = hny_lexicon_new (&bad, &error);
    CHECK (!none && error && strstr (error, "/nonexistent/edict"));
    free (error);
    hny_lexicon_destroy (&lex);
}

/* Random sentences built from pieces that the anchors, the lexicon and
   the UTF-8 reader have to take apart (digits, scale words, era names,
   kanji numerals, katakana, cut and stray bytes): the search and the
   anchors must never read out of bounds (run under ASan) and every
   sentence must be in exactly one link. 300 deterministic cases. */
static void
test_random (hny_lexicon_t *lex)
{
    static const char *pieces[] = {
        "1,500", "２．３", "million", "230万", "1兆2000億", "3割", "May 12", "5月12日", "令和",
        "元年", "二十三人", "十", "JCP", "Shii", "シイ", "ー", "ッ", "ャ", "。", ".", " ", "あ",
        "\xff", "\xe3\x81", "\x80", "\xf0\x9f\x98", "年", "日間", ",", "12th", "tenth",
        "<b>", "</b>", "&amp;", "wages", "賃金", "日本共産党", "Workers", "0", "9999999999999999999999"
    };
    hny_aligner_t *al = hny_aligner_new (lex);
    for (int c = 0; c < 300; c++) {
        static char *sents[2][40];
        size_t n[2] = { s_below (40), s_below (40) };
        for (int side = 0; side < 2; side++)
            for (size_t k = 0; k < n[side]; k++) {
                hny_buf_t b = HNY_BUF_INIT (2000);
                size_t parts = 1 + s_below (30);
                for (size_t x = 0; x < parts; x++) {
                    const char *p = pieces[s_below (sizeof pieces / sizeof pieces[0])];
                    hny_buf_adds (&b, p);
                }
                sents[side][k] = hny_buf_take (&b, NULL);
                uint32_t keys[HNY_ANCHOR_MAX];
                CHECK (hny_anchor_find (sents[side][k], side, keys, HNY_ANCHOR_MAX) <= HNY_ANCHOR_MAX);
            }
        hny_align_side_t a = { "en", (const char *const *) sents[0], NULL, n[0], NULL };
        hny_align_side_t b = { "ja", (const char *const *) sents[1], NULL, n[1], NULL };
        int status;
        char *reason = NULL;
        hny_alignment_t *r = hny_align (al, &a, &b, &status, &reason);
        if (r) {
            size_t covered[2] = { 0, 0 }, next[2] = { 0, 0 };
            int ordered = 1;
            for (size_t k = 0; k < hny_alignment_count (r); k++) {
                const hny_align_link_t *l = hny_alignment_link (r, k);
                ordered &= (l->nsrc == 0 || l->src == next[0]) && (l->ntgt == 0 || l->tgt == next[1]);
                ordered &= l->nsrc + l->ntgt > 0 && l->score >= 0 && l->score <= 1;
                covered[0] += l->nsrc;
                covered[1] += l->ntgt;
                next[0] += l->nsrc;
                next[1] += l->ntgt;
            }
            CHECK (ordered && covered[0] == n[0] && covered[1] == n[1]);
            json_t *j = hny_alignment_json (r, &a, &b);
            CHECK (j != NULL);
            json_decref (j);
        } else
            CHECK (status == 422 && reason);     /* random text may look like one language */
        free (reason);
        hny_alignment_destroy (&r);
        for (int side = 0; side < 2; side++)
            for (size_t k = 0; k < n[side]; k++)
                free (sents[side][k]);
    }
    hny_aligner_destroy (&al);
}

int
main (void)
{
    hny_log_init ("test_align", HNY_LOG_WARN);
    test_anchors ();
    test_search ();
    test_bad_input ();
    test_json ();
    test_lexicon ();
    test_random (NULL);
    hny_lexicon_opts_t opts = { HNY_LEXICON_EDICT, HNY_LEXICON_IPADIC };
    char *error = NULL;
    hny_lexicon_t *lex = hny_lexicon_new (&opts, &error);
    if (lex)
        test_random (lex);
    free (error);
    hny_lexicon_destroy (&lex);
    return s_check_done ("test_align");
}
