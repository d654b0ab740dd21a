/*  hny_qa.c: checks on a translated segment (honyaku/qa.h).

    Both texts are parsed in the inline form (hny_inline.h), and their
    plain text brought to NFKC with ICU, so that full-width digits,
    letters and signs read as ASCII ones; the checks then run in the order
    of hny_qa_check_t and stop at HNY_QA_MAX_FLAGS. Numbers, dates and
    times are hny_qa_facts.c's; the rest is here. */
#include "hny_qa_facts.h"

#include <honyaku/inline.h>
#include <honyaku/qa.h>
#include <honyaku/util.h>

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>

/* Bytes of each text that are read: a segment is a sentence; a longer
   one (a table or a list run together) is checked on its first 64 KiB. */
#define S_TEXT_MAX      65536
#define S_SCRIPTS_MAX   8           /* scripts of a language (ICU gives 1 to 3) */
#define S_TERM_MAX      256         /* bytes of a glossary term (as hny_glossary.h) */
#define S_ELEMENTS_MAX  HNY_INLINE_MAX_ELEMENTS

/* The script check: a text with fewer letters is not judged. */
#define S_SCRIPT_MIN_LETTERS 4

static const char *const s_check_names [HNY_QA_CHECKS] = {
    "tags", "identical", "script", "glossary", "number", "date", "time", "length"
};

/* ------------------------------------------------------------ length norms */

/* The length of a translation given its source's: lt = c * ls on
   average, with a variance s2 * ls (Gale & Church 1993, on characters
   that are not spaces, after NFKC). A target is flagged when
   |lt - c * ls| / sqrt (s2 * max (ls, S_LEN_FLOOR)) passes S_LEN_Z.
   Fitted by tests/qa_fit.py (c = sum lt / sum ls, s2 = sum (lt - c ls)^2
   / sum ls): en-ja and ja-en on the 190 hand-written pairs of
   tests/data/qa/pairs.tsv; en-es and es-en on 2,656 translations by
   Apertium of English news sentences (the 92 pages of the extraction
   benchmark in ../shared/data and the articles of tests/data; sentences
   left untranslated or not English set aside). The fallbacks: between
   scripts of one kind, Gale and Church's (c = 1, s2 = 6.8); from a CJK
   language to another script or back, the en-ja and ja-en figures. */
typedef struct {
    const char *from, *to;      /* language subtags; "" matches any */
    double c, s2;
} s_norm_t;

static const s_norm_t s_norms [] = {
    { "en", "ja", 0.438, 0.49 },
    { "ja", "en", 2.281, 5.83 },
    { "en", "es", 1.095, 0.84 },
    { "es", "en", 0.913, 0.64 },
};
static const s_norm_t s_norm_same = { "", "", 1.0, 6.8 };
static const s_norm_t s_norm_to_cjk = { "", "", 0.438, 0.49 };
static const s_norm_t s_norm_from_cjk = { "", "", 2.281, 5.83 };

#define S_LEN_FLOOR     30          /* characters: short segments vary more than their length says */
#define S_LEN_Z         3.5         /* deviations: our correct pairs lie within -3.3 and 4.8 */

/* ------------------------------------------------------------ the checker */

typedef struct {
    char *src, *tgt;            /* NFKC */
    size_t src_len, tgt_len;
} s_term_t;

struct _hny_qa_t {
    char from [16], to [16];    /* language subtags, lower case */
    const hny_qa_lang_t *src_lang, *tgt_lang;
    hny_facts_reader_t *src_reader, *tgt_reader;    /* of sources, of targets */
    UScriptCode scripts [S_SCRIPTS_MAX];    /* the target language's */
    int script_count;
    int cjk_target;             /* its scripts are Han, kana or Hangul */
    int same_scripts;           /* source and target share a script */
    s_norm_t norm;
    s_term_t *terms;
    size_t term_count;
    size_t *by_byte [256];      /* terms by first byte, then by key (below) */
    uint16_t *by_key [256];     /* the key of each: its second byte, 256 for a one-byte term */
    size_t by_byte_count [256];
    int indexed;                /* by_byte is up to date */
    unsigned mask;
};

/* A text prepared for the checks. */
typedef struct {
    hny_inline_t *parse;
    char *plain;                /* NFKC, NUL-terminated */
    size_t len;
    size_t chars;               /* code points that are not white space */
    size_t letters;             /* alphabetic code points of a real script */
    size_t expected;            /* of them, in the target language's scripts */
    UScriptCode other;          /* the most frequent other script, or USCRIPT_INVALID_CODE */
    size_t other_count;
    int lower_word;             /* holds a word of 2+ letters that starts in lower case */
} s_text_t;

/* The language subtag of tag, lower case, into out (16 bytes). */
static void
s_subtag (const char *tag, char out [16])
{
    size_t n = 0;
    while (tag && tag [n] && tag [n] != '-' && tag [n] != '_' && n < 15) {
        out [n] = (char) tolower ((unsigned char) tag [n]);
        n++;
    }
    out [n] = '\0';
}

static int
s_cjk_script (UScriptCode code)
{
    return code == USCRIPT_HAN || code == USCRIPT_HIRAGANA || code == USCRIPT_KATAKANA
        || code == USCRIPT_HANGUL || code == USCRIPT_BOPOMOFO;
}

/* The scripts ICU gives for a language; 0 when it knows none. */
static int
s_lang_scripts (const char *lang, UScriptCode *codes, int max)
{
    UErrorCode err = U_ZERO_ERROR;
    int n = uscript_getCode (lang, codes, max, &err);
    return U_SUCCESS (err) && n > 0 ? n : 0;
}

hny_qa_t *
hny_qa_new (const char *from, const char *to)
{
    hny_qa_t *self = hny_calloc (1, sizeof *self);
    s_subtag (from, self->from);
    s_subtag (to, self->to);
    self->src_lang = hny_qa_lang (self->from);
    self->tgt_lang = hny_qa_lang (self->to);
    self->src_reader = hny_facts_reader_new (self->src_lang, 0);
    self->tgt_reader = hny_facts_reader_new (self->tgt_lang, 1);
    self->mask = HNY_QA_ALL;
    self->script_count = *self->to ? s_lang_scripts (self->to, self->scripts, S_SCRIPTS_MAX) : 0;
    UScriptCode src_scripts [S_SCRIPTS_MAX];
    int src_count = *self->from ? s_lang_scripts (self->from, src_scripts, S_SCRIPTS_MAX) : 0;
    int src_cjk = 0;
    for (int i = 0; i < src_count; i++)
        src_cjk |= s_cjk_script (src_scripts [i]);
    for (int i = 0; i < self->script_count; i++) {
        self->cjk_target |= s_cjk_script (self->scripts [i]);
        for (int k = 0; k < src_count; k++)
            self->same_scripts |= self->scripts [i] == src_scripts [k];
    }
    /* the pair's norm, else one by the kinds of script */
    self->norm = src_cjk == self->cjk_target ? s_norm_same
               : self->cjk_target ? s_norm_to_cjk : s_norm_from_cjk;
    for (size_t i = 0; i < sizeof s_norms / sizeof s_norms [0]; i++)
        if (strcmp (s_norms [i].from, self->from) == 0 && strcmp (s_norms [i].to, self->to) == 0)
            self->norm = s_norms [i];
    return self;
}

void
hny_qa_destroy (hny_qa_t **self_p)
{
    assert (self_p);
    hny_qa_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->term_count; i++) {
        free (self->terms [i].src);
        free (self->terms [i].tgt);
    }
    free (self->terms);
    hny_facts_reader_destroy (&self->src_reader);
    hny_facts_reader_destroy (&self->tgt_reader);
    for (size_t b = 0; b < 256; b++) {
        free (self->by_byte [b]);
        free (self->by_key [b]);
    }
    free (self);
    *self_p = NULL;
}

void
hny_qa_select (hny_qa_t *self, unsigned mask)
{
    self->mask = mask & HNY_QA_ALL;
}

const char *
hny_qa_check_name (hny_qa_check_t check)
{
    return check < HNY_QA_CHECKS ? s_check_names [check] : "unknown";
}

int
hny_qa_check_parse (const char *name)
{
    for (int i = 0; name && i < HNY_QA_CHECKS; i++)
        if (strcmp (name, s_check_names [i]) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------ text */

/* Full-width ASCII (U+FF01-FF5E) and the ideographic space (U+3000) of
   u made what NFKC makes of them, ASCII: a character of ccc 0 for one of
   ccc 0, so the NFKC of the whole is unchanged, and a text whose only
   compatibility forms are these (Japanese digits, the test server's
   letters) is then normalized already. 1 when any was changed. */
static int
s_narrow (UChar *u, int32_t n)
{
    int any = 0;
    for (int32_t i = 0; i < n; i++) {
        if (u [i] >= 0xFF01 && u [i] <= 0xFF5E)
            u [i] = (UChar) (u [i] - 0xFEE0), any = 1;
        else if (u [i] == 0x3000)
            u [i] = 0x20, any = 1;
    }
    return any;
}

/* [s, s + len) in NFKC, as new UTF-8 (invalid bytes become U+FFFD).
   *utf8_len: the bytes ICU wrote (NULs in the text counted; 0 when it
   failed), or len for a text in NFKC already, whose copy stops at a NUL.
   The UTF-16 form is kept in *u16 (caller owns) for the counts. ICU's
   quick check spares the normalizer a text in NFKC already, which is most. */
static char *
s_nfkc (const char *s, size_t len, UChar **u16, int32_t *u16_len, size_t *utf8_len)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n = 0, subs = 0;
    UChar *in = hny_malloc ((len + 1) * sizeof (UChar));
    u_strFromUTF8WithSub (in, (int32_t) len + 1, &n, s, (int32_t) len, 0xFFFD, &subs, &err);
    if (U_FAILURE (err))
        n = 0, subs = 1;
    const UNormalizer2 *nfkc = (err = U_ZERO_ERROR, unorm2_getNFKCInstance (&err));
    UChar *out = in;            /* no normalizer: the text as decoded */
    int32_t out_len = n;
    if (U_SUCCESS (err)) {
        int narrowed = s_narrow (in, n);
        UErrorCode qerr = U_ZERO_ERROR;
        int32_t span = unorm2_spanQuickCheckYes (nfkc, in, n, &qerr);
        if (U_SUCCESS (qerr) && span == n && !subs && !narrowed) {
            /* valid UTF-8 in NFKC: its own result, byte for byte */
            *u16 = in;
            *u16_len = n;
            *utf8_len = len;
            return hny_strndup (s, len);
        }
        if (U_FAILURE (qerr) || span < n) {
            int32_t cap = n + n / 4 + 16;
            out = hny_malloc ((size_t) cap * sizeof (UChar));
            out_len = unorm2_normalize (nfkc, in, n, out, cap, &err);
            if (err == U_BUFFER_OVERFLOW_ERROR) {
                err = U_ZERO_ERROR;
                cap = out_len + 1;
                out = hny_realloc (out, (size_t) cap * sizeof (UChar));
                out_len = unorm2_normalize (nfkc, in, n, out, cap, &err);
            }
            if (U_FAILURE (err)) {
                free (out);
                out = in;
                out_len = n;
            }
            else
                free (in);
        }
    }
    /* a UTF-16 unit is at most 3 bytes of UTF-8 */
    int32_t bytes = 0;
    char *utf8 = hny_malloc (3 * (size_t) out_len + 1);
    err = U_ZERO_ERROR;
    u_strToUTF8 (utf8, 3 * out_len + 1, &bytes, out, out_len, &err);
    utf8 [U_SUCCESS (err) ? bytes : 0] = '\0';
    *utf8_len = U_SUCCESS (err) ? (size_t) bytes : 0;
    *u16 = out;
    *u16_len = out_len;
    return utf8;
}

/* What s_count gathers of a text as it goes: its other scripts, each with
   its letters, in order of first sight (a text has one or two; ICU's
   codes are below S_SCRIPT_CODES, the rest are not counted). */
#define S_SCRIPT_CODES  256
typedef struct {
    s_text_t *t;
    const hny_qa_t *self;
    size_t word_letters;
    int word_lower;
    UScriptCode seen [S_SCRIPT_CODES];
    size_t seen_count [S_SCRIPT_CODES];
    size_t nseen;
} s_counter_t;

/* Count one code point past ASCII, its properties given by ICU (ASCII
   takes s_count_ascii below). */
static inline void
s_count_char (s_counter_t *k, int space, int alpha, int lower, UScriptCode sc)
{
    s_text_t *t = k->t;
    if (space) {
        k->word_letters = 0;
        return;
    }
    t->chars++;
    if (!alpha) {
        if (k->word_letters >= 2 && k->word_lower)
            t->lower_word = 1;
        k->word_letters = 0;
        return;
    }
    if (k->word_letters++ == 0)
        k->word_lower = lower;
    if (k->word_letters >= 2 && k->word_lower)
        t->lower_word = 1;
    if (sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED || sc < 0)
        return;
    t->letters++;
    int expected = 0;
    for (int i = 0; i < k->self->script_count; i++)
        expected |= k->self->scripts [i] == sc;
    if (expected) {
        t->expected++;
        return;
    }
    if ((size_t) sc >= S_SCRIPT_CODES)
        return;
    size_t i = 0;
    while (i < k->nseen && k->seen [i] != sc)
        i++;
    if (i == k->nseen) {
        k->seen [k->nseen] = sc;
        k->seen_count [k->nseen++] = 0;
    }
    k->seen_count [i]++;
}

/* A counter at the start of t (its arrays are left as they are: only
   the first nseen entries are read). */
static void
s_counter_init (s_counter_t *k, const hny_qa_t *self, s_text_t *t)
{
    k->t = t;
    k->self = self;
    k->word_letters = 0;
    k->word_lower = 0;
    k->nseen = 0;
}

/* One ASCII character into the counts, as s_count_char takes any: white
   space is 9-13 and 32, the letters are A-Z a-z, all of them Latin.
   Returns 1 for a letter, which the caller adds to the Latin script. */
static inline int
s_count_ascii (unsigned char c, size_t *chars, size_t *word_letters, int *word_lower, int *lower_word)
{
    if (c == ' ' || (c >= 9 && c <= 13)) {
        *word_letters = 0;
        return 0;
    }
    (*chars)++;
    if ((unsigned char) ((c | 0x20) - 'a') > 'z' - 'a') {
        *lower_word |= *word_letters >= 2 && *word_lower;
        *word_letters = 0;
        return 0;
    }
    if ((*word_letters)++ == 0)
        *word_lower = c >= 'a';
    *lower_word |= *word_letters >= 2 && *word_lower;
    return 1;
}

/* One character past ASCII into the counts. */
static void
s_count_code (s_counter_t *k, UChar32 c)
{
    /* u_isalpha and u_islower are the general categories L and Ll, one
       lookup; a letter is never white space */
    int8_t type = u_charType (c);
    int alpha = (U_MASK (type) & U_GC_L_MASK) != 0;
    if (!alpha) {
        s_count_char (k, u_isUWhiteSpace (c), 0, 0, USCRIPT_COMMON);
        return;
    }
    UErrorCode err = U_ZERO_ERROR;
    UScriptCode sc = uscript_getScript (c, &err);
    s_count_char (k, 0, 1, type == U_LOWERCASE_LETTER, U_FAILURE (err) ? USCRIPT_INVALID_CODE : sc);
}

/* The most frequent other script (the lowest code of a tie, as a scan
   of all codes would find it). */
static void
s_count_end (s_counter_t *k)
{
    s_text_t *t = k->t;
    t->other = USCRIPT_INVALID_CODE;
    for (size_t i = 0; i < k->nseen; i++)
        if (k->seen_count [i] > t->other_count
        ||  (k->seen_count [i] == t->other_count && t->other_count && k->seen [i] < t->other)) {
            t->other_count = k->seen_count [i];
            t->other = k->seen [i];
        }
}

/* 1 when the pair's target scripts include Latin. */
static int
s_latin_expected (const hny_qa_t *self)
{
    int latin = 0;
    for (int i = 0; i < self->script_count; i++)
        latin |= self->scripts [i] == USCRIPT_LATIN;
    return latin;
}

/* Count what the checks need of a text: characters, letters by script,
   words that start in lower case; from its UTF-16 form. An ASCII unit
   (most of a Latin text, the digits and spaces of any) takes
   s_count_ascii, its Latin letters summed and added to the scripts once
   at the end: the most frequent other script is found by
   count and then by code, so the order in which scripts are first seen
   does not change it. */
static void
s_count (const hny_qa_t *self, s_text_t *t, const UChar *u, int32_t n)
{
    s_counter_t k;
    s_counter_init (&k, self, t);
    size_t latin = 0;
    for (int32_t i = 0; i < n;) {
        if (u [i] < 0x80) {
            latin += (size_t) s_count_ascii ((unsigned char) u [i++], &t->chars, &k.word_letters,
                                             &k.word_lower, &t->lower_word);
            continue;
        }
        UChar32 c;
        U16_NEXT (u, i, n, c);
        s_count_code (&k, c);
    }
    if (latin) {
        t->letters += latin;
        if (s_latin_expected (self))
            t->expected += latin;
        else {
            size_t i = 0;
            while (i < k.nseen && k.seen [i] != USCRIPT_LATIN)
                i++;
            if (i == k.nseen) {
                k.seen [k.nseen] = USCRIPT_LATIN;
                k.seen_count [k.nseen++] = 0;
            }
            k.seen_count [i] += latin;
        }
    }
    s_count_end (&k);
}

/* The same of an ASCII text, from its bytes, in one tight loop: its only
   letters are Latin ones. */
static void
s_count_bytes (const hny_qa_t *self, s_text_t *t, const char *s, size_t n)
{
    size_t chars = 0, letters = 0, word_letters = 0;
    int word_lower = 0, lower_word = 0;
    for (size_t i = 0; i < n; i++)
        letters += (size_t) s_count_ascii ((unsigned char) s [i], &chars, &word_letters, &word_lower,
                                           &lower_word);
    t->chars = chars;
    t->letters = letters;
    t->lower_word = lower_word;
    t->other = USCRIPT_INVALID_CODE;
    if (s_latin_expected (self))
        t->expected = letters;
    else if (letters) {
        t->other = USCRIPT_LATIN;
        t->other_count = letters;
    }
}

/* The longest prefix of [s, s + len) at most max bytes that ends on a
   character boundary. */
static size_t
s_utf8_cut (const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char) s [n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* 1 when [s, s + len) is all ASCII (eight bytes a step). */
static int
s_ascii (const char *s, size_t len)
{
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t v;
        memcpy (&v, s + i, 8);
        any |= v;
    }
    for (; i < len; i++)
        any |= (unsigned char) s [i];
    return !(any & 0x8080808080808080ull);
}

/* Parse a text, bring it to NFKC and count it. Most texts take a short
   way that gives the same: without '<' or '&' the inline form has no tag
   and no escape, so its plain text is the text itself (honyaku/inline.h)
   and there is no parse to keep; an ASCII text is its own NFKC and is
   counted from its bytes; a valid UTF-8 text that ICU's quick check
   finds normalized already is copied as it is. Only the rest is
   normalized (s_nfkc). */
static void
s_text_init (const hny_qa_t *self, s_text_t *t, const char *s, size_t len)
{
    memset (t, 0, sizeof *t);
    len = s_utf8_cut (s, len, S_TEXT_MAX);
    const char *plain = s;
    size_t plain_len = len;
    if (memchr (s, '<', len) || memchr (s, '&', len)) {
        t->parse = hny_inline_parse (s, len);
        plain = hny_inline_text (t->parse, &plain_len);
    }
    if (s_ascii (plain, plain_len)) {
        t->plain = hny_strndup (plain, plain_len);
        s_count_bytes (self, t, plain, plain_len);
    }
    else {
        UChar *u = NULL;
        int32_t n = 0;
        size_t bytes = 0;
        t->plain = s_nfkc (plain, plain_len, &u, &n, &bytes);
        /* A text NFKC made ASCII (full-width forms: a Japanese text's
           digits and Latin letters) is counted from its bytes too, when
           they are its UTF-16 form's characters one for one: as many
           bytes as units, no NUL (the copy of a text already in NFKC
           stops at its first NUL, its UTF-16 form does not), all ASCII. */
        size_t plain_bytes = strlen (t->plain);
        if (plain_bytes == bytes && bytes == (size_t) n && s_ascii (t->plain, bytes))
            s_count_bytes (self, t, t->plain, bytes);
        else
            s_count (self, t, u, n);
        free (u);
    }
    t->len = strlen (t->plain);     /* to a NUL in the text, as the checks read it */
}

static void
s_text_free (s_text_t *t)
{
    hny_inline_destroy (&t->parse);
    free (t->plain);
}

/* ------------------------------------------------------------ flags */

typedef struct {
    hny_qa_flag_t *flags;
    size_t count;
} s_flags_t;

/* Copy at most max bytes of [s, s + len) into out (max + 1 bytes), cut at
   a character boundary, control characters as spaces. */
static void
s_copy (char *out, size_t max, const char *s, size_t len)
{
    size_t n = s_utf8_cut (s, len, max);
    for (size_t i = 0; i < n; i++)
        out [i] = (unsigned char) s [i] < 0x20 || s [i] == 0x7F ? ' ' : s [i];
    out [n] = '\0';
}

/* Raise a flag; 0 when there is no room for it (the checks stop). */
static int
s_flag (s_flags_t *f, hny_qa_check_t check, const char *what, size_t what_len, const char *fmt, ...)
    __attribute__ ((format (printf, 5, 6)));

static int
s_flag (s_flags_t *f, hny_qa_check_t check, const char *what, size_t what_len, const char *fmt, ...)
{
    if (f->count >= HNY_QA_MAX_FLAGS)
        return 0;
    hny_qa_flag_t *flag = &f->flags [f->count++];
    flag->check = check;
    s_copy (flag->what, HNY_QA_WHAT_MAX, what, what_len);
    char detail [HNY_QA_DETAIL_MAX * 2];
    va_list args;
    va_start (args, fmt);
    vsnprintf (detail, sizeof detail, fmt, args);
    va_end (args);
    s_copy (flag->detail, HNY_QA_DETAIL_MAX, detail, strlen (detail));
    return f->count < HNY_QA_MAX_FLAGS;
}

/* ------------------------------------------------------------ tags */

/* An element's key: its kind and, for a link, its href. */
typedef struct {
    hny_inline_tag_t tag;
    const char *href;
    size_t count;
} s_elem_t;

/* The elements of a parse that hold text, counted by key (none without
   a parse: a text without '<'). */
static size_t
s_elements (const hny_inline_t *parse, s_elem_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; parse && i < hny_inline_count (parse); i++) {
        const hny_inline_token_t *t = hny_inline_token (parse, i);
        if (t->kind != HNY_INLINE_OPEN || hny_inline_token (parse, t->mate)->start == t->start)
            continue;
        size_t k = 0;
        while (k < n && !(out [k].tag == t->tag && (t->tag != HNY_INLINE_A
                                                     || strcmp (out [k].href, t->href) == 0)))
            k++;
        if (k == n) {
            if (n == max)
                continue;
            out [n++] = (s_elem_t) { t->tag, t->href ? t->href : "", 0 };
        }
        out [k].count++;
    }
    return n;
}

static void
s_tag_spelling (const s_elem_t *e, char *out, size_t size)
{
    if (e->tag == HNY_INLINE_A)
        snprintf (out, size, "<a href=\"%s\">", e->href);
    else
        snprintf (out, size, "<%s>", e->tag == HNY_INLINE_B ? "b" : "i");
}

/* Tags and placeholders that are text (unpaired) in a plain text: each
   spelling's count, compared between source and target. */
static size_t
s_stray (const char *plain, size_t len, const char *spelling)
{
    size_t n = 0, k = strlen (spelling);
    for (const char *p = plain; (p = memmem (p, len - (size_t) (p - plain), spelling, k)); p += k)
        n++;
    return n;
}

static int
s_check_tags (s_flags_t *f, const s_text_t *src, const s_text_t *tgt)
{
    s_elem_t se [S_ELEMENTS_MAX], te [S_ELEMENTS_MAX];
    size_t ns = s_elements (src->parse, se, S_ELEMENTS_MAX);
    size_t nt = s_elements (tgt->parse, te, S_ELEMENTS_MAX);
    char spelling [HNY_QA_WHAT_MAX + 1];
    for (size_t i = 0; i < ns; i++) {
        size_t in_tgt = 0;
        for (size_t k = 0; k < nt; k++)
            if (te [k].tag == se [i].tag && strcmp (te [k].href, se [i].href) == 0)
                in_tgt = te [k].count;
        if (in_tgt >= se [i].count)
            continue;
        s_tag_spelling (&se [i], spelling, sizeof spelling);
        if (!s_flag (f, HNY_QA_TAGS, spelling, strlen (spelling),
                     "missing: %zu in the source, %zu in the target", se [i].count, in_tgt))
            return 0;
    }
    for (size_t k = 0; k < nt; k++) {
        size_t in_src = 0;
        for (size_t i = 0; i < ns; i++)
            if (te [k].tag == se [i].tag && strcmp (te [k].href, se [i].href) == 0)
                in_src = se [i].count;
        if (te [k].count <= in_src)
            continue;
        s_tag_spelling (&te [k], spelling, sizeof spelling);
        if (!s_flag (f, HNY_QA_TAGS, spelling, strlen (spelling),
                     in_src ? "duplicated: %zu in the source, %zu in the target"
                            : "added: %zu in the source, %zu in the target", in_src, te [k].count))
            return 0;
    }
    /* a tag left without its pair (crossed or cut), a placeholder left;
       a target without '<' has no stray tag */
    static const char *const strays [] = { "<b>", "</b>", "<i>", "</i>", "</a>", "<a href=", NULL };
    int tgt_lt = memchr (tgt->plain, '<', tgt->len) != NULL;
    for (size_t i = 0; strays [i] && tgt_lt; i++) {
        size_t a = s_stray (src->plain, src->len, strays [i]), b = s_stray (tgt->plain, tgt->len, strays [i]);
        if (b > a && !s_flag (f, HNY_QA_TAGS, strays [i], strlen (strays [i]),
                              "unpaired in the target (%zu, %zu in the source)", b, a))
            return 0;
    }
    for (const char *p = tgt->plain; (p = strstr (p, "\xE2\x9F\xA6"));) {       /* ⟦ */
        const char *q = p + 3 + (p [3] == '/');
        const char *d = q;
        while (*d >= '0' && *d <= '9' && d - q < 6)
            d++;
        if (d > q && strncmp (d, "\xE2\x9F\xA7", 3) == 0) {                    /* ⟧ */
            size_t n = (size_t) (d + 3 - p);
            char token [32];
            snprintf (token, sizeof token, "%.*s", (int) n, p);
            if (!strstr (src->plain, token)
            &&  !s_flag (f, HNY_QA_TAGS, token, n, "a placeholder left in the target"))
                return 0;
            p += n;
        }
        else
            p += 3;
    }
    return 1;
}

/* ------------------------------------------------------------ identical, script */

/* 1 when the plain texts are the same but for white space. */
static int
s_same_text (const s_text_t *a, const s_text_t *b)
{
    const char *p = a->plain, *q = b->plain;
    for (;;) {
        while (isspace ((unsigned char) *p))
            p++;
        while (isspace ((unsigned char) *q))
            q++;
        if (!*p || !*q)
            return !*p && !*q;
        if (*p++ != *q++)
            return 0;
    }
}

static int
s_check_identical (hny_qa_t *self, s_flags_t *f, const s_text_t *src, const s_text_t *tgt,
                   int *identical)
{
    *identical = 0;
    if (!*self->from || strcmp (self->from, self->to) == 0 || src->letters < 2 || !s_same_text (src, tgt))
        return 1;
    /* Between languages of one script, a name or a title in capitals
       ("Shii Kazuo") is the same in both: only words in lower case tell. */
    if (self->same_scripts && !src->lower_word)
        return 1;
    *identical = 1;
    return s_flag (f, HNY_QA_IDENTICAL, src->plain, src->len, "the target is the source, untranslated");
}

static int
s_check_script (hny_qa_t *self, s_flags_t *f, const s_text_t *tgt)
{
    if (!self->script_count || tgt->letters < S_SCRIPT_MIN_LETTERS)
        return 1;
    /* A CJK text holds Latin names and acronyms (a quarter of its letters
       is not rare); a text in another script holds hardly any letter of a
       third one: a few are a word left untranslated. */
    double share = (double) tgt->expected / (double) tgt->letters;
    if (self->cjk_target ? share >= 0.25 : share >= 0.9 || tgt->other_count < 3)
        return 1;
    char names [64] = "";
    for (int k = 0; k < self->script_count; k++) {
        size_t len = strlen (names);
        snprintf (names + len, sizeof names - len, "%s%s", k ? "/" : "",
                  uscript_getName (self->scripts [k]));
    }
    const char *other = tgt->other != USCRIPT_INVALID_CODE ? uscript_getName (tgt->other) : "other";
    return s_flag (f, HNY_QA_SCRIPT, other, strlen (other),
                   "%zu of %zu letters are %s, %zu %s: not %s text", tgt->expected, tgt->letters,
                   names, tgt->other_count, other, self->to);
}

/* ------------------------------------------------------------ glossary */

/* s NFKC-normalized, as a new string. */
static char *
s_nfkc_copy (const char *s, size_t len)
{
    UChar *u = NULL;
    int32_t n = 0;
    size_t bytes;
    char *out = s_nfkc (s, len, &u, &n, &bytes);
    free (u);
    return out;
}

/* 1 when [s, s + len) holds no control character (C0 or DEL). */
static int
s_no_controls (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char) s [i] < 0x20 || s [i] == 0x7F)
            return 0;
    return 1;
}

static int
s_term_ok (const char *s)
{
    size_t len = s ? strlen (s) : 0;
    return len > 0 && len <= S_TERM_MAX && hny_utf8_valid (s, len) && s_no_controls (s, len);
}

int
hny_qa_term (hny_qa_t *self, const char *src, const char *tgt)
{
    if (!s_term_ok (src) || !s_term_ok (tgt) || self->term_count >= HNY_QA_MAX_TERMS)
        return -1;
    char *s = s_nfkc_copy (src, strlen (src));
    if (!*s) {
        free (s);
        return -1;
    }
    self->terms = hny_realloc (self->terms, (self->term_count + 1) * sizeof *self->terms);
    s_term_t *t = &self->terms [self->term_count++];
    t->src = s;
    t->src_len = strlen (s);
    t->tgt = s_nfkc_copy (tgt, strlen (tgt));
    t->tgt_len = strlen (t->tgt);
    self->indexed = 0;
    return 0;
}

size_t
hny_qa_terms (const hny_qa_t *self)
{
    return self->term_count;
}

/* qsort_r's comparator: term indexes, the longer source first. */
static int
s_longer_first (const void *a, const void *b, void *arg)
{
    const hny_qa_t *self = arg;
    size_t la = self->terms [*(const size_t *) a].src_len;
    size_t lb = self->terms [*(const size_t *) b].src_len;
    return la < lb ? 1 : la > lb ? -1 : 0;
}

/* A term's key within its first byte's list: its second byte, 256 when
   it has none. */
static unsigned
s_term_key (const s_term_t *t)
{
    return t->src_len > 1 ? (unsigned char) t->src [1] : 256;
}

/* Index the terms by their first byte, longest first; then, keeping that
   order among equals, by their second byte (one-byte terms last), so
   that a position looks only at the terms that agree with its first two
   bytes, in the order a walk of the whole list would try them: a term
   with another second byte never matches, and the one-byte terms are the
   shortest, last in any case. A large glossary shares first bytes
   (thousands of terms may start with 'T'). */
static void
s_index (hny_qa_t *self)
{
    for (size_t b = 0; b < 256; b++) {
        free (self->by_byte [b]);
        free (self->by_key [b]);
        self->by_byte [b] = NULL;
        self->by_key [b] = NULL;
        self->by_byte_count [b] = 0;
    }
    for (size_t i = 0; i < self->term_count; i++) {
        unsigned char b = (unsigned char) self->terms [i].src [0];
        self->by_byte [b] = hny_realloc (self->by_byte [b], (self->by_byte_count [b] + 1) * sizeof (size_t));
        self->by_byte [b][self->by_byte_count [b]++] = i;
    }
    for (size_t b = 0; b < 256; b++) {
        size_t n = self->by_byte_count [b];
        if (!n)
            continue;
        if (n > 1)
            qsort_r (self->by_byte [b], n, sizeof (size_t), s_longer_first, self);
        /* a counting sort by key, stable */
        size_t start [258] = { 0 };
        for (size_t k = 0; k < n; k++)
            start [s_term_key (&self->terms [self->by_byte [b][k]]) + 1]++;
        for (size_t key = 1; key < 258; key++)
            start [key] += start [key - 1];
        size_t *sorted = hny_malloc (n * sizeof (size_t));
        self->by_key [b] = hny_malloc (n * sizeof (uint16_t));
        for (size_t k = 0; k < n; k++) {
            size_t term = self->by_byte [b][k];
            unsigned key = s_term_key (&self->terms [term]);
            self->by_key [b][start [key]] = (uint16_t) key;
            sorted [start [key]++] = term;
        }
        free (self->by_byte [b]);
        self->by_byte [b] = sorted;
    }
    self->indexed = 1;
}

/* The first index of key in the sorted keys [0, n), or n. */
static size_t
s_key_from (const uint16_t *keys, size_t n, unsigned key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys [mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int
s_ascii_alnum (const char *s, size_t at, size_t len)
{
    return at < len && isalnum ((unsigned char) s [at]);
}

/* 1 when needle is in hay, ASCII letters compared without case. */
static int
s_contains_ci (const char *hay, size_t hay_len, const char *needle, size_t len)
{
    for (size_t i = 0; i + len <= hay_len; i++)
        if (strncasecmp (hay + i, needle, len) == 0)
            return 1;
    return 0;
}

static int
s_check_glossary (hny_qa_t *self, s_flags_t *f, const s_text_t *src, const s_text_t *tgt)
{
    if (!self->term_count)
        return 1;
    if (!self->indexed)
        s_index (self);
    /* Terms found once each, flagged once each: a small bitmap of term
       indexes is enough for a sentence. */
    size_t found [HNY_QA_MAX_FLAGS * 4];
    size_t nfound = 0;
    const char *s = src->plain;
    size_t len = src->len;
    for (size_t pos = 0; pos < len;) {
        unsigned char b = (unsigned char) s [pos];
        size_t match = 0, term = 0;
        if (!self->by_byte_count [b]) {
            pos++;              /* most bytes start no term */
            continue;
        }
        int at_boundary = pos == 0 || !isalnum ((unsigned char) s [pos - 1]);
        /* the terms of the next byte's key, then the one-byte terms */
        size_t n = self->by_byte_count [b];
        const uint16_t *keys = self->by_key [b];
        unsigned next = pos + 1 < len ? (unsigned char) s [pos + 1] : 256;
        size_t k = s_key_from (keys, n, next);
        for (; k < n && !match; k++) {
            if (keys [k] != next && keys [k] != 256) {
                k = s_key_from (keys, n, 256) - 1;      /* on to the one-byte terms */
                continue;
            }
            const s_term_t *t = &self->terms [self->by_byte [b][k]];
            if (t->src_len > len - pos || memcmp (s + pos, t->src, t->src_len) != 0)
                continue;
            /* a term of letters or digits is a word, not part of one */
            if ((isalnum ((unsigned char) t->src [0]) && !at_boundary)
            ||  (isalnum ((unsigned char) t->src [t->src_len - 1]) && s_ascii_alnum (s, pos + t->src_len, len)))
                continue;
            match = t->src_len;
            term = self->by_byte [b][k];
        }
        if (!match) {
            pos++;
            continue;
        }
        pos += match;
        int seen = 0;
        for (size_t i = 0; i < nfound; i++)
            seen |= found [i] == term;
        if (seen)
            continue;
        if (nfound < sizeof found / sizeof found [0])
            found [nfound++] = term;
        const s_term_t *t = &self->terms [term];
        if (!s_contains_ci (tgt->plain, tgt->len, t->tgt, t->tgt_len)
        &&  !s_flag (f, HNY_QA_GLOSSARY, t->src, t->src_len, "the target lacks the glossary's \"%s\"", t->tgt))
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ numbers, dates, times */

static int
s_check_facts (hny_qa_t *self, s_flags_t *f, const s_text_t *src, const s_text_t *tgt)
{
    unsigned want = self->mask & ((1u << HNY_QA_NUMBER) | (1u << HNY_QA_DATE) | (1u << HNY_QA_TIME));
    if (!want)
        return 1;
    hny_fact_t sf [HNY_FACTS_MAX], tf [HNY_FACTS_MAX];
    size_t ns = hny_facts_read (self->src_reader, src->plain, src->len, sf, HNY_FACTS_MAX);
    if (!ns)
        return 1;
    size_t nt = hny_facts_read (self->tgt_reader, tgt->plain, tgt->len, tf, HNY_FACTS_MAX);
    /* numbers first, then dates, then times (the order of the checks),
       each in the order of the source */
    for (size_t pass = 0; pass < 3 * ns; pass++) {
        size_t i = pass % ns;
        const hny_fact_t *fact = &sf [i];
        hny_qa_check_t check = fact->kind == HNY_FACT_DATE ? HNY_QA_DATE
                             : fact->kind == HNY_FACT_TIME ? HNY_QA_TIME : HNY_QA_NUMBER;
        if ((int) (pass / ns) != (int) check - HNY_QA_NUMBER || !fact->checked || !(want & (1u << check)))
            continue;
        int repeat = 0;
        for (size_t k = 0; k < i && !repeat; k++)
            repeat = sf [k].checked && hny_fact_same (&sf [k], fact);
        if (repeat || hny_fact_found (fact, tf, nt))
            continue;
        char forms [HNY_FACT_FORMS_MAX];
        hny_fact_forms (fact, self->tgt_lang, forms, sizeof forms);
        if (!s_flag (f, check, src->plain + fact->start, fact->end - fact->start,
                     "not in the target (as %s)", forms))
            return 0;
    }
    return 1;
}

/* ------------------------------------------------------------ length */

static int
s_check_length (hny_qa_t *self, s_flags_t *f, const s_text_t *src, const s_text_t *tgt)
{
    double ls = (double) src->chars, lt = (double) tgt->chars;
    if (ls == 0)
        return 1;
    double z = (lt - self->norm.c * ls) / sqrt (self->norm.s2 * fmax (ls, S_LEN_FLOOR));
    if (fabs (z) <= S_LEN_Z)
        return 1;
    char what [48];
    snprintf (what, sizeof what, "%.0f for %.0f characters", lt, ls);
    return s_flag (f, HNY_QA_LENGTH, what, strlen (what),
                   "far %s than %s-%s translations (%.2f a source character on average)",
                   z < 0 ? "shorter" : "longer", *self->from ? self->from : "?",
                   *self->to ? self->to : "?", self->norm.c);
}

/* ------------------------------------------------------------ run */

size_t
hny_qa_run (hny_qa_t *self, const char *src, size_t src_len, const char *tgt, size_t tgt_len,
            hny_qa_flag_t flags [HNY_QA_MAX_FLAGS])
{
    s_flags_t f = { flags, 0 };
    s_text_t s, t;
    s_text_init (self, &s, src ? src : "", src ? src_len : 0);
    s_text_init (self, &t, tgt ? tgt : "", tgt ? tgt_len : 0);
    unsigned m = self->mask;
    int identical = 0, more = 1;
    if (more && (m & (1u << HNY_QA_TAGS)))
        more = s_check_tags (&f, &s, &t);
    if (t.chars == 0 && s.chars > 0) {
        /* nothing to compare: one flag says it */
        if (more && (m & (1u << HNY_QA_LENGTH)))
            s_flag (&f, HNY_QA_LENGTH, "", 0, "the target is empty");
        more = 0;
    }
    if (more && (m & (1u << HNY_QA_IDENTICAL)))
        more = s_check_identical (self, &f, &s, &t, &identical);
    if (identical)
        more = 0;               /* everything else follows from it */
    if (more && (m & (1u << HNY_QA_SCRIPT)))
        more = s_check_script (self, &f, &t);
    if (more && (m & (1u << HNY_QA_GLOSSARY)))
        more = s_check_glossary (self, &f, &s, &t);
    if (more)
        more = s_check_facts (self, &f, &s, &t);
    if (more && (m & (1u << HNY_QA_LENGTH)))
        s_check_length (self, &f, &s, &t);
    s_text_free (&s);
    s_text_free (&t);
    return f.count;
}

/* ------------------------------------------------------------ JSON */

json_t *
hny_qa_json (const hny_qa_flag_t *flags, size_t count)
{
    json_t *array = json_array ();
    for (size_t i = 0; i < count; i++)
        json_array_append_new (array, json_pack ("{s:s, s:s, s:s}",
                                                 "check", hny_qa_check_name (flags [i].check),
                                                 "what", flags [i].what, "detail", flags [i].detail));
    return array;
}

/* A string member of a flag: at most max bytes, no control characters. */
static int
s_member_ok (const json_t *flag, const char *name, size_t min, size_t max)
{
    const json_t *v = json_object_get (flag, name);
    if (!json_is_string (v))
        return 0;
    const char *s = json_string_value (v);
    size_t len = json_string_length (v);
    return len >= min && len <= max && strlen (s) == len && s_no_controls (s, len);
}

int
hny_qa_json_valid (const json_t *value)
{
    if (!json_is_array (value) || json_array_size (value) < 1 || json_array_size (value) > HNY_QA_MAX_FLAGS)
        return 0;
    for (size_t i = 0; i < json_array_size (value); i++) {
        const json_t *flag = json_array_get (value, i);
        if (!json_is_object (flag) || json_object_size (flag) != 3
        ||  !s_member_ok (flag, "check", 1, HNY_QA_CHECK_MAX) || !s_member_ok (flag, "what", 0, HNY_QA_WHAT_MAX)
        ||  !s_member_ok (flag, "detail", 1, HNY_QA_DETAIL_MAX))
            return 0;
        for (const char *c = json_string_value (json_object_get (flag, "check")); *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || *c == '_'))
                return 0;
    }
    return 1;
}
