/*  hny_qa_facts.c: numbers, dates and times of a text (hny_qa_facts.h).

    One pass, left to right: at each position the readers of the text's
    language try their forms (CJK units and 年月日 first, then month
    names, then digits with what follows them, then words), and whatever
    none of them takes is skipped a word (ASCII letters) or a character at
    a time. Every reader looks at most a few dozen bytes past where it
    starts and never past the end, so the pass is linear.

    Values are doubles: amounts of news (a budget of 1兆2000億円) have at
    most 15 significant digits, and readings are compared with a relative
    tolerance, so 2.3 * 10^6 and 230 * 10^4 meet. */
#include "hny_qa_lang.h"

#include <honyaku/util.h>

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RUNS_MAX      8           /* digit groups of one numeral: 1,000,000,000,000,000 */
#define S_RUN_DIGITS    18          /* digits of one group: more is an id, not an amount */
#define S_WORD_MAX      24          /* bytes of a word the readers compare */
#define S_EPSILON       1e-9        /* relative tolerance of equal readings */

/* English number words, read in targets only (a source's spelled-out
   numbers are not asked for). Ordinals and fractions have their own
   tables below. */
static const hny_qa_word_t s_en_cardinals [] = {
    { "zero", 0 }, { "one", 1 }, { "two", 2 }, { "three", 3 }, { "four", 4 }, { "five", 5 },
    { "six", 6 }, { "seven", 7 }, { "eight", 8 }, { "nine", 9 }, { "ten", 10 },
    { "eleven", 11 }, { "twelve", 12 }, { "thirteen", 13 }, { "fourteen", 14 },
    { "fifteen", 15 }, { "sixteen", 16 }, { "seventeen", 17 }, { "eighteen", 18 },
    { "nineteen", 19 }, { "twenty", 20 }, { "thirty", 30 }, { "forty", 40 }, { "fifty", 50 },
    { "sixty", 60 }, { "seventy", 70 }, { "eighty", 80 }, { "ninety", 90 },
    { "hundred", 100 }, { "dozen", 12 }, { "once", 1 }, { "twice", 2 }, { "double", 2 },
    { "triple", 3 }, { "doubled", 2 }, { "tripled", 3 }, { "twofold", 2 }, { "threefold", 3 },
    { "both", 2 }, { "single", 1 }, { "a", 1 }, { "an", 1 }, { NULL, 0 }
};
static const hny_qa_word_t s_en_ordinals [] = {
    { "first", 1 }, { "second", 2 }, { "third", 3 }, { "fourth", 4 }, { "fifth", 5 },
    { "sixth", 6 }, { "seventh", 7 }, { "eighth", 8 }, { "ninth", 9 }, { "tenth", 10 },
    { "eleventh", 11 }, { "twelfth", 12 }, { "thirteenth", 13 }, { "fourteenth", 14 },
    { "fifteenth", 15 }, { "sixteenth", 16 }, { "seventeenth", 17 }, { "eighteenth", 18 },
    { "nineteenth", 19 }, { "twentieth", 20 }, { "thirtieth", 30 }, { "fortieth", 40 },
    { "fiftieth", 50 }, { "hundredth", 100 }, { NULL, 0 }
};
/* Denominators: "a third", "two-thirds", "half". */
static const hny_qa_word_t s_en_fractions [] = {
    { "half", 2 }, { "halves", 2 }, { "third", 3 }, { "thirds", 3 }, { "quarter", 4 },
    { "quarters", 4 }, { "fourth", 4 }, { "fourths", 4 }, { "fifth", 5 }, { "fifths", 5 },
    { "tenth", 10 }, { "tenths", 10 }, { NULL, 0 }
};
/* Words before a month's name that make "May" and "March" dates. */
static const char *const s_en_month_cues [] = {
    "in", "on", "of", "since", "until", "till", "from", "to", "by", "last", "next", "this",
    "early", "mid", "late", "through", "between", "and", "or", "during", "before", "after",
    "end", "beginning", NULL
};

/* ------------------------------------------------------------ text helpers */

/* Which readers of words could take a word, by its first letter (bits
   of s_letter_bit): a word whose first letter is not in a mask is in
   none of that reader's tables, and the pass does not ask it. */
typedef struct {
    uint32_t months, clock, en;
} s_masks_t;

struct _hny_facts_reader_t {
    const hny_qa_lang_t *lang;
    int target;
    s_masks_t masks;
    /* The month names a word may be, by its first letter (a-z, 26 for any
       other first byte): bits of the entries of the language's table [0]
       and of the English one [1] (month_index 1); month_index -1 when a
       table has 64 entries or more: every entry is tried. */
    int month_index;
    uint64_t month_at [2][27];
    /* ... and by their length in bytes: a name matches a word only when
       it has the word's bytes (s_word_is), so a word is compared with
       the entries of its first letter and its length alone */
    uint64_t month_len [2][S_WORD_MAX + 1];
};

typedef struct {
    const char *text, *end;
    const hny_facts_reader_t *reader;
    const hny_qa_lang_t *lang;  /* the reader's */
    int target;                 /* the reader's */
    hny_fact_t *facts;
    size_t count, max;
} s_scan_t;

/* The bytes of lit when [p, end) starts with it, else 0. The readers
   try dozens of literals at every position: the first two bytes turn
   almost all of them away (a kanji's lead byte is shared by thousands)
   before the length of lit is taken. */
static inline size_t
s_at (const char *p, const char *end, const char *lit)
{
    if (p >= end || *p != *lit || (lit [0] && lit [1] && (p + 1 >= end || p [1] != lit [1])))
        return 0;
    size_t n = strlen (lit);
    return (size_t) (end - p) >= n && memcmp (p, lit, n) == 0 ? n : 0;
}

static int
s_digit (const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

/* isalpha of the C locale (the programs never leave it), without the
   call for the locale's table: asked at every byte of the pass. */
static inline int
s_ascii_letter (unsigned char c)
{
    return (unsigned char) ((c | 0x20) - 'a') <= 'z' - 'a';
}

static int
s_alpha (const char *p, const char *end)
{
    return p < end && s_ascii_letter ((unsigned char) *p);
}

/* A letter of a Latin alphabet: ASCII, or a lead byte of U+00C0..U+024F. */
static int
s_latin (const char *p, const char *end)
{
    if (p >= end)
        return 0;
    unsigned char c = (unsigned char) *p;
    return s_ascii_letter (c) || (c >= 0xC3 && c <= 0xC9);
}

/* The end of the Latin word at p (letters, ASCII or accented). */
static const char *
s_word_end (const char *p, const char *end)
{
    while (s_latin (p, end))
        p += (unsigned char) *p < 0x80 ? 1 : 2;
    return p < end ? p : end;
}

/* c in lower case when it is an ASCII capital (strncasecmp's folding in
   the C locale, which the programs never leave). */
static inline unsigned char
s_fold (char c)
{
    unsigned char u = (unsigned char) c;
    return u >= 'A' && u <= 'Z' ? (unsigned char) (u + 32) : u;
}

/* 1 when the word [p, q) is name, ASCII letters compared without case.
   Called for every word against every table: the first letter and the
   length decide almost every call. */
static int
s_word_is (const char *p, const char *q, const char *name)
{
    if (q <= p || s_fold (*p) != s_fold (*name))
        return q == p && !*name;
    size_t n = (size_t) (q - p);
    for (size_t i = 1; i < n; i++)
        if (!name [i] || s_fold (p [i]) != s_fold (name [i]))
            return 0;
    return !name [n];
}

/* The value of the word [p, q) in a table, or -1. */
static double
s_word_value (const hny_qa_word_t *table, const char *p, const char *q)
{
    unsigned char first = q > p ? s_fold (*p) : 0;
    for (size_t i = 0; table && table [i].word; i++)
        if (s_fold (table [i].word [0]) == first && s_word_is (p, q, table [i].word))
            return table [i].value;
    return -1;
}

/* Spaces at p (ASCII; NFKC made the others ASCII). */
static const char *
s_spaces (const char *p, const char *end)
{
    while (p < end && *p == ' ')
        p++;
    return p;
}

/* The fact slot for the next fact, or NULL when the text has too many. */
static hny_fact_t *
s_add (s_scan_t *sc, hny_fact_kind_t kind, const char *start, const char *end)
{
    if (sc->count >= sc->max)
        return NULL;
    hny_fact_t *f = &sc->facts [sc->count++];
    memset (f, 0, sizeof *f);
    f->kind = kind;
    f->start = (size_t) (start - sc->text);
    f->end = (size_t) (end - sc->text);
    f->checked = 1;
    return f;
}

static hny_fact_t *
s_add_number (s_scan_t *sc, const char *start, const char *end, const double *values, int n,
              int round_ok, int checked)
{
    hny_fact_t *f = s_add (sc, HNY_FACT_NUMBER, start, end);
    if (!f)
        return NULL;
    for (int i = 0; i < n && i < HNY_FACT_READINGS; i++)
        f->value [f->readings++] = values [i];
    f->round_ok = round_ok;
    /* A plain 1 is "a", "one", "per", "single" or nothing at all in the
       other language (1人, 1ドル, "a day"): asking for it raises more
       false alarms than it finds errors. */
    f->checked = checked && !(values [0] == 1 && !round_ok);
    return f;
}

static void
s_add_date (s_scan_t *sc, const char *start, const char *end, int month, int day, int checked)
{
    hny_fact_t *f = s_add (sc, HNY_FACT_DATE, start, end);
    if (f) {
        f->month = month;
        f->day = day;
        f->checked = checked;
    }
}

static void
s_add_time (s_scan_t *sc, const char *start, const char *end, int minutes, int half_known,
            int checked)
{
    hny_fact_t *f = s_add (sc, HNY_FACT_TIME, start, end);
    if (f) {
        f->minutes = minutes % 1440;
        f->half_known = half_known;
        f->checked = checked;
    }
}

/* ------------------------------------------------------------ numerals */

/* A numeral of digits and separators at p, read in every way it can be:
   with '.' as the decimal mark and ',' between groups of three, or the
   other way round (and spaces between groups where the language has them). */
typedef struct {
    double value [2];
    int readings;
    int decimals;               /* a decimal mark was read */
    const char *end;
} s_lit_t;

/* Digit runs of a numeral and the separator before each. */
typedef struct {
    const char *at [S_RUNS_MAX];
    size_t len [S_RUNS_MAX];
    char sep [S_RUNS_MAX];
    size_t count;
} s_runs_t;

/* The value of runs [0, n) read with decimal mark dec and group marks
   groups, or -1 when they cannot be read that way. */
static double
s_runs_value (const s_runs_t *r, size_t n, char dec, const char *groups, int *decimals)
{
    double v = 0;
    *decimals = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && r->sep [i] == dec) {
            if (i != n - 1)
                return -1;
            double frac = 0, scale = 1;
            for (size_t k = 0; k < r->len [i]; k++) {
                frac = frac * 10 + (r->at [i][k] - '0');
                scale *= 10;
            }
            *decimals = 1;
            return v + frac / scale;
        }
        if (i > 0 && (!strchr (groups, r->sep [i]) || r->len [i] != 3 || r->len [0] > 3))
            return -1;
        for (size_t k = 0; k < r->len [i]; k++)
            v = v * 10 + (r->at [i][k] - '0');
    }
    return v;
}

/* Read the numeral at p (a digit). Always reads at least the first run. */
static void
s_literal (const s_scan_t *sc, const char *p, s_lit_t *lit)
{
    const char *end = sc->end;
    s_runs_t r = { .count = 0 };
    const char *q = p;
    while (r.count < S_RUNS_MAX) {
        const char *d = q;
        while (s_digit (d, end))
            d++;
        if (d == q || d - q > S_RUN_DIGITS)
            break;
        r.at [r.count] = q;
        r.len [r.count] = (size_t) (d - q);
        r.count++;
        q = d;
        char sep = q < end ? *q : 0;
        if ((sep != ',' && sep != '.' && sep != ' ') || !s_digit (q + 1, end))
            break;
        if (sep == ' ' && (!sc->lang->space_groups || r.len [0] > 3))
            break;
        r.sep [r.count] = sep;
        q++;
    }
    memset (lit, 0, sizeof *lit);
    if (r.count == 0) {
        /* a run too long to be an amount: skip it whole */
        const char *d = p;
        while (s_digit (d, end))
            d++;
        lit->end = d;
        return;
    }
    /* The language's reading first; a source keeps only that one when it
       reads, a target keeps both (machine output mixes conventions). */
    int dec_a, dec_b;
    double dot = s_runs_value (&r, r.count, '.', ",", &dec_a);
    double comma = s_runs_value (&r, r.count, ',', ". ", &dec_b);
    double first = sc->lang->comma_decimal ? comma : dot;
    double second = sc->lang->comma_decimal ? dot : comma;
    int first_dec = sc->lang->comma_decimal ? dec_b : dec_a;
    int second_dec = sc->lang->comma_decimal ? dec_a : dec_b;
    if (first >= 0) {
        lit->value [lit->readings++] = first;
        lit->decimals = first_dec;
    }
    if (second >= 0 && (sc->target || first < 0) && (first < 0 || fabs (second - first) > 0)) {
        lit->value [lit->readings++] = second;
        lit->decimals |= second_dec;
    }
    if (lit->readings) {
        lit->end = r.at [r.count - 1] + r.len [r.count - 1];
        return;
    }
    /* Neither way: the first run alone ("1,2,3" is a list). */
    double v = 0;
    for (size_t k = 0; k < r.len [0]; k++)
        v = v * 10 + (r.at [0][k] - '0');
    lit->value [lit->readings++] = v;
    lit->end = r.at [0] + r.len [0];
}

/* 1 when the digits at p belong to a code: glued to a Latin letter
   before them (G7, MV22), or to a capital and a hyphen or dot (COVID-19,
   F-35, CV-22); "mid-2030s" and "pre-2020" are numbers. */
static int
s_code_digits (const s_scan_t *sc, const char *p)
{
    if (p - 2 >= sc->text && strncasecmp (p - 2, "FY", 2) == 0
    &&  (p - 2 == sc->text || !s_alpha (p - 3, sc->end)))
        return 0;                   /* FY2024, the fiscal year */
    if (p > sc->text && s_alpha (p - 1, sc->end))
        return 1;
    if (p - 3 >= sc->text && (strncasecmp (p - 3, "no.", 3) == 0)
    &&  (p - 3 == sc->text || !s_alpha (p - 4, sc->end)))
        return 0;                   /* No.5 */
    return p - 1 > sc->text && (p [-1] == '-' || p [-1] == '.') && isupper ((unsigned char) p [-2]);
}

/* Skip a code's digits and what is glued to them. */
static const char *
s_skip_code (const s_scan_t *sc, const char *p)
{
    while (p < sc->end && (isalnum ((unsigned char) *p) || ((*p == '.' || *p == '-')
                                                             && s_digit (p + 1, sc->end))))
        p++;
    return p;
}

/* Significant digits of v as a person writes it (1500: 2, 1534: 4, 2.35: 3). */
static int
s_sig (double v)
{
    char buf [40];
    snprintf (buf, sizeof buf, "%.15g", fabs (v));
    if (strchr (buf, 'e'))
        return 15;
    int sig = 0, trailing = 0, seen = 0, decimal = strchr (buf, '.') != NULL;
    for (const char *c = buf; *c; c++) {
        if (!isdigit ((unsigned char) *c))
            continue;
        if (*c == '0' && !seen)
            continue;
        seen = 1;
        sig++;
        trailing = *c == '0' ? trailing + 1 : 0;
    }
    return decimal ? sig : sig - trailing;
}

/* v rounded (or cut, when cut) to k significant digits. */
static double
s_to_sig (double v, int k, int cut)
{
    if (v == 0)
        return 0;
    double f = pow (10, floor (log10 (fabs (v))) - k + 1);
    return (cut ? floor (v / f) : round (v / f)) * f;
}

static int
s_equal (double a, double b)
{
    double m = fmax (fmax (fabs (a), fabs (b)), 1);
    return fabs (a - b) <= S_EPSILON * m;
}

/* ------------------------------------------------------------ English */

/* a.m. or p.m. at p (after optional spaces): 1 a.m., 2 p.m., 0 none;
   *after is set past it. */
static int
s_ampm (const char *p, const char *end, const char **after)
{
    static const struct { const char *s; int half; } forms [] = {
        { "a.m.", 1 }, { "p.m.", 2 }, { "A.M.", 1 }, { "P.M.", 2 }, { "a. m.", 1 },
        { "p. m.", 2 }, { "am", 1 }, { "pm", 2 }, { "AM", 1 }, { "PM", 2 }, { "a.m", 1 },
        { "p.m", 2 }
    };
    const char *q = s_spaces (p, end);
    for (size_t i = 0; i < sizeof forms / sizeof forms [0]; i++) {
        size_t n = s_at (q, end, forms [i].s);
        if (n && !s_alpha (q + n, end)) {
            *after = q + n;
            return forms [i].half;
        }
    }
    return 0;
}

/* The hour h (1-12) of a 12-hour clock in half (1 a.m., 2 p.m.) as a
   24-hour one. */
static int
s_half_hour (int h, int half)
{
    return half == 2 ? (h % 12) + 12 : h % 12;
}

/* A first letter's row in s_scan_t's month_at: a-z without case, 26
   for any other byte. */
static unsigned
s_letter_row (char c)
{
    unsigned char f = s_fold (c);
    return f >= 'a' && f <= 'z' ? (unsigned) (f - 'a') : 26;
}

/* The month tables a reader of lang reads: its own and, in a target of
   another Latin-script language, the English one (a translation may keep
   "April"). */
static void
s_month_tables (const hny_qa_lang_t *lang, int target, const hny_qa_month_t *tables [2])
{
    tables [0] = lang->months;
    tables [1] = target && !lang->english ? hny_qa_months_en : NULL;
}

/* Fill reader->month_at from its month tables. */
static void
s_month_index (hny_facts_reader_t *reader)
{
    const hny_qa_month_t *tables [2];
    s_month_tables (reader->lang, reader->target, tables);
    memset (reader->month_at, 0, sizeof reader->month_at);
    memset (reader->month_len, 0, sizeof reader->month_len);
    reader->month_index = 1;
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; tables [t] && tables [t][i].name; i++) {
            if (i >= 64) {
                reader->month_index = -1;
                return;
            }
            reader->month_at [t][s_letter_row (tables [t][i].name [0])] |= (uint64_t) 1 << i;
            size_t len = strlen (tables [t][i].name);
            if (len <= S_WORD_MAX)      /* a longer name never matches (s_month_in) */
                reader->month_len [t][len] |= (uint64_t) 1 << i;
        }
}

/* The month of the Latin word [p, q) (in the language's table), or 0;
   *after past it, and *abbr when it is an abbreviation. */
static int
s_month_in (const s_scan_t *sc, const char *p, const char *q, const char **after, int *abbr)
{
    if (q == p || q - p > S_WORD_MAX)
        return 0;
    const hny_qa_month_t *tables [2];
    s_month_tables (sc->lang, sc->target, tables);
    const hny_facts_reader_t *reader = sc->reader;
    unsigned row = s_letter_row (*p);
    for (int t = 0; t < 2; t++) {
        if (!tables [t])
            continue;
        /* the entries of the word's first letter and length, in the table's order
           (all of them, without an index) */
        uint64_t bits = reader->month_index > 0
                      ? reader->month_at [t][row] & reader->month_len [t][q - p] : 0;
        for (size_t i = 0; reader->month_index > 0 ? bits != 0 : tables [t][i].name != NULL; i++) {
            if (reader->month_index > 0) {
                i = (size_t) __builtin_ctzll (bits);
                bits &= bits - 1;
            }
            const hny_qa_month_t *m = &tables [t][i];
            if (!s_word_is (p, q, m->name))
                continue;
            if ((t == 1 || sc->lang->month_capital) && !isupper ((unsigned char) *p))
                return 0;
            *after = q;
            *abbr = m->abbreviation;
            return m->month;
        }
    }
    return 0;
}

/* The month of the Latin word at p, as s_month_in. */
static int
s_month_word (const s_scan_t *sc, const char *p, const char **after, int *abbr)
{
    return s_month_in (sc, p, s_word_end (p, sc->end), after, abbr);
}

/* The word before p (skipping spaces and one hyphen), lower case, in out. */
static void
s_word_before (const s_scan_t *sc, const char *p, char out [S_WORD_MAX + 1])
{
    const char *q = p;
    while (q > sc->text && (q [-1] == ' ' || q [-1] == '-'))
        q--;
    const char *w = q;
    while (w > sc->text && isalpha ((unsigned char) w [-1]) && q - w < S_WORD_MAX)
        w--;
    size_t n = (size_t) (q - w);
    for (size_t i = 0; i < n; i++)
        out [i] = (char) tolower ((unsigned char) w [i]);
    out [n] = '\0';
}

/* A year after a date (", 2024", " 2024", " de 2024"): its value and end. */
static const char *
s_year_after (const s_scan_t *sc, const char *p, int *year)
{
    const char *q = p;
    if (q < sc->end && *q == ',')
        q++;
    q = s_spaces (q, sc->end);
    size_t de = s_at (q, sc->end, "de ");
    if (de)
        q += de;
    if (q == p || !s_digit (q, sc->end))
        return NULL;
    int y = 0, n = 0;
    while (s_digit (q, sc->end) && n < 5)
        y = y * 10 + (*q++ - '0'), n++;
    if (n != 4 || s_digit (q, sc->end) || y < 1000 || y > 2999)
        return NULL;
    *year = y;
    return q;
}

static const char *
s_ordinal_suffix (const char *p, const char *end)
{
    static const char *const forms [] = { "st", "nd", "rd", "th", "s" };
    for (size_t i = 0; i < 5; i++) {
        size_t n = s_at (p, end, forms [i]);
        if (n && !s_alpha (p + n, end))
            return p + n;
    }
    return p;
}

/* A year after a date, as a number of its own: the end of what was read. */
static const char *
s_year_fact (s_scan_t *sc, const char *p)
{
    int year;
    const char *y = s_year_after (sc, p, &year);
    if (!y)
        return p;
    double v = year;
    hny_fact_t *f = s_add_number (sc, y - 4, y, &v, 1, 0, 1);
    if (f)
        f->year = 1;
    return y;
}

/* A month's name and what goes with it: "May 12", "May 12, 2024", "Dec.
   12", "May 2024", "mayo de 2024", "in May", at the word [p, word_end).
   NULL when the word is no month here. */
static const char *
s_month_first (s_scan_t *sc, const char *p, const char *word_end)
{
    const char *end = sc->end;
    const char *q;
    int abbr = 0;
    int month = s_month_in (sc, p, word_end, &q, &abbr);
    if (!month)
        return NULL;
    const char *r = q;
    if (abbr && r < end && *r == '.')
        r++;
    r = s_spaces (r, end);
    if (sc->lang->english && s_digit (r, end)) {
        /* English writes the day after the month */
        int day = 0;
        const char *d = r;
        while (s_digit (d, end) && d - r < 3)
            day = day * 10 + (*d++ - '0');
        if (d - r <= 2 && !s_digit (d, end) && day >= 1 && day <= 31) {
            const char *e = s_ordinal_suffix (d, end);
            s_add_date (sc, p, e, month, day, 1);
            return s_year_fact (sc, e);
        }
    }
    if (abbr)
        return NULL;                /* "Mar" alone is a word */
    int year;
    if (s_year_after (sc, q, &year)) {
        s_add_date (sc, p, q, month, 0, 1);
        return s_year_fact (sc, q);
    }
    /* A month alone: English "May" and "March" only after a word that
       makes them dates ("in May", "early March"). */
    if (sc->lang->english && (month == 5 || month == 3)) {
        char before [S_WORD_MAX + 1];
        s_word_before (sc, p, before);
        int cue = 0;
        for (size_t i = 0; s_en_month_cues [i] && !cue; i++)
            cue = strcmp (before, s_en_month_cues [i]) == 0;
        if (!cue)
            return NULL;
    }
    s_add_date (sc, p, q, month, 0, 1);
    return q;
}

/* Noon or midnight in the language's words: the word [p, q); NULL when
   it is none. */
static const char *
s_clock_word (s_scan_t *sc, const char *p, const char *q)
{
    double minutes = s_word_value (sc->lang->clock, p, q);
    if (minutes < 0)
        return NULL;
    s_add_time (sc, p, q, (int) minutes, 1, 1);
    return q;
}

/* A Roman numeral of two letters or more in capitals (siglo XIV, XXIe
   siècle), in a target of a language that numbers centuries so; NULL
   when the word is none. */
static const char *
s_roman (s_scan_t *sc, const char *p)
{
    static const char letters [] = "IVXLCDM";
    static const int values [] = { 1, 5, 10, 50, 100, 500, 1000 };
    const char *q = p;
    int total = 0, last = 0;
    while (q < sc->end && *q && strchr (letters, *q)) {
        int v = values [strchr (letters, *q) - letters];
        /* read right to left in effect: a smaller one before a larger subtracts */
        total += v > last && last ? v - 2 * last : v;
        last = v;
        q++;
    }
    if (q - p < 2 || q - p > 8 || s_latin (q, sc->end) || total <= 0)
        return NULL;
    double v = total;
    s_add_number (sc, p, q, &v, 1, 0, 0);
    return q;
}

/* English number words (targets): "three", "twenty-five", "two hundred",
   "a third", "two-thirds", "second", from the word [p, q). NULL when the
   word is none. */
static const char *
s_en_words (s_scan_t *sc, const char *p, const char *q)
{
    const char *end = sc->end;
    if (!sc->target)
        return NULL;
    double v = s_word_value (s_en_ordinals, p, q);
    if (v >= 0) {
        double readings [2] = { v, 0 };
        int n = 1;
        double den = s_word_value (s_en_fractions, p, q);
        if (den > 0)
            readings [n++] = 1 / den;
        s_add_number (sc, p, q, readings, n, 0, 0);
        return q;
    }
    double den = s_word_value (s_en_fractions, p, q);
    if (den > 0) {
        double frac = 1 / den;
        s_add_number (sc, p, q, &frac, 1, 0, 0);
        return q;
    }
    v = s_word_value (s_en_cardinals, p, q);
    if (v < 0)
        return NULL;
    const char *r = q;
    /* twenty-five */
    if (v >= 20 && v <= 90 && r < end && *r == '-') {
        const char *w = s_word_end (r + 1, end);
        double unit = s_word_value (s_en_cardinals, r + 1, w);
        if (unit >= 1 && unit <= 9)
            v += unit, r = w;
    }
    /* two hundred, a million, two-thirds, a third (or "a third term") */
    double ordinal = -1;
    for (int round = 0; round < 3; round++) {
        const char *s = r < end && (*r == ' ' || *r == '-') ? r + 1 : NULL;
        if (!s)
            break;
        const char *w = s_word_end (s, end);
        double scale = s_word_value (hny_qa_scales_en, s, w);
        if (scale < 0 && s_word_is (s, w, "hundred"))
            scale = 100;
        double d = s_word_value (s_en_fractions, s, w);
        if (scale > 0)
            v *= scale, r = w;
        else if (d > 0) {
            ordinal = s_word_value (s_en_ordinals, s, w);
            v /= d, r = w;
            break;
        }
        else
            break;
    }
    if (r == q && (s_word_is (p, q, "a") || s_word_is (p, q, "an")))
        return q;                   /* the article alone is no number */
    double readings [2] = { v, ordinal };
    s_add_number (sc, p, r, readings, ordinal > 0 ? 2 : 1, 0, 0);
    return r;
}

/* ------------------------------------------------------------ Latin scripts */

/* Scale words of table after a number ("2.3 million", "2,3 mil
   millones"): *mult gets their product (1 when none); returns the end. */
static const char *
s_scales_in (const s_scan_t *sc, const hny_qa_word_t *table, const char *p, double *mult)
{
    *mult = 1;
    const char *q = p;
    for (int i = 0; i < 2; i++) {
        const char *s = s_spaces (q, sc->end);
        if (s == q && i == 0 && !s_alpha (s, sc->end))
            break;
        if (i > 0 && s_at (s, sc->end, "de "))
            s += 3;                             /* miles de millones */
        const char *w = s_word_end (s, sc->end);
        double scale = s_word_value (table, s, w);
        if (scale <= 0)
            break;
        *mult *= scale;
        q = w < sc->end && *w == '.' && w - s <= 3 ? w + 1 : w;   /* Mio., Mrd. */
    }
    return q;
}

/* The language's scale words after a number; a target also reads the
   English ones, which machine output may keep ("7.9 trillion"). */
static const char *
s_scales (const s_scan_t *sc, const char *p, double *mult)
{
    const char *q = s_scales_in (sc, sc->lang->scales, p, mult);
    if (q == p && sc->target && sc->lang->scales != hny_qa_scales_en)
        q = s_scales_in (sc, hny_qa_scales_en, p, mult);
    return q;
}

/* A day before a month's name: "12 May", "12 de mayo", "12. Mai". */
static const char *
s_day_month (s_scan_t *sc, const char *start, const char *p, int day)
{
    const char *q = p;
    if (q < sc->end && *q == '.')
        q++;
    q = s_spaces (q, sc->end);
    size_t de = s_at (q, sc->end, "de ");
    if (!de)
        de = s_at (q, sc->end, "of ");
    const char *m = q + de;
    const char *after;
    int abbr = 0;
    int month = q > p ? s_month_word (sc, m, &after, &abbr) : 0;
    if (!month)
        return NULL;
    if (abbr && after < sc->end && *after == '.')
        after++;
    s_add_date (sc, start, after, month, day, 1);
    return s_year_fact (sc, after);
}

/* A number at a digit in a text of a Latin (or any non-CJK) script, and
   what follows it: a time (18:00, 6 p.m.), a date (12 May), a scale
   word, a percent sign or an ordinal ending. */
static const char *
s_latin_number (s_scan_t *sc, const char *p)
{
    const char *end = sc->end;
    /* a source's codes are not asked for; a target's digits all count
       (machine output glues words: "de16 pulgadas") */
    if (!sc->target && s_code_digits (sc, p))
        return s_skip_code (sc, p);
    s_lit_t lit;
    s_literal (sc, p, &lit);
    const char *q = lit.end;
    double v = lit.value [0];
    int whole = !lit.decimals && v == floor (v) && lit.readings == 1;
    /* 18:00, 6:30 p.m. */
    if (whole && v <= 24 && q + 2 < end && *q == ':' && s_digit (q + 1, end) && s_digit (q + 2, end)
    &&  !s_digit (q + 3, end)) {
        int minutes = (q [1] - '0') * 10 + (q [2] - '0');
        const char *r = q + 3, *after;
        int half = sc->lang->english ? s_ampm (r, end, &after) : 0;
        int h = (int) v;
        if (minutes < 60) {
            if (half && h >= 1 && h <= 12)
                s_add_time (sc, p, after, s_half_hour (h, half) * 60 + minutes, 1, 1);
            else
                s_add_time (sc, p, r, h * 60 + minutes, h > 12 || h == 0, 1);
            return half ? after : r;
        }
    }
    if (sc->lang->english && whole && v >= 1 && v <= 12) {
        const char *after;
        int half = s_ampm (q, end, &after);
        if (half) {
            s_add_time (sc, p, after, s_half_hour ((int) v, half) * 60, 1, 1);
            return after;
        }
        size_t oc = s_at (s_spaces (q, end), end, "o'clock");
        if (oc) {
            after = s_spaces (q, end) + oc;
            s_add_time (sc, p, after, (int) v * 60, 0, 1);
            return after;
        }
    }
    if (whole && v >= 1 && v <= 31 && sc->lang->months) {
        const char *r = s_day_month (sc, p, s_ordinal_suffix (q, end), (int) v);
        if (r)
            return r;
    }
    double mult;
    const char *r = s_scales (sc, q, &mult);
    double readings [2];
    for (int i = 0; i < lit.readings; i++)
        readings [i] = lit.value [i] * mult;
    /* what follows for the record: 30%, 21st, 1990s */
    if (r < end && *r == '%')
        r++;
    else if (r == q)
        r = s_ordinal_suffix (q, end);
    hny_fact_t *f = s_add_number (sc, p, r, readings, lit.readings, mult > 1 || lit.decimals || v >= 10000, 1);
    if (f && mult == 1 && lit.end - p == 4 && v >= 1000 && v <= 2999)
        f->year = 1;                            /* 2024 alone: a year, exactly */
    /* "400 737" in a target may be 400737 or two numbers: both */
    for (const char *d = p; sc->target && memchr (p, ' ', (size_t) (lit.end - p)) && d < lit.end;) {
        const char *e = d;
        double part = 0;
        while (e < lit.end && s_digit (e, end))
            part = part * 10 + (*e++ - '0');
        if (e > d)
            s_add_number (sc, d, e, &part, 1, 0, 0);
        d = e + 1;
    }
    return r;
}

/* ------------------------------------------------------------ CJK */

/* Kanji numerals: digits, and the multipliers within a section. */
static const struct { const char *s; int value; } s_kanji_digits [] = {
    { "〇", 0 }, { "零", 0 }, { "一", 1 }, { "二", 2 }, { "两", 2 }, { "三", 3 }, { "四", 4 },
    { "五", 5 }, { "六", 6 }, { "七", 7 }, { "八", 8 }, { "九", 9 }
};
static const struct { const char *s; int value; } s_kanji_small [] = {
    { "十", 10 }, { "百", 100 }, { "千", 1000 }
};
static const struct { const char *s; double value; } s_kanji_big [] = {
    { "万", 1e4 }, { "萬", 1e4 }, { "億", 1e8 }, { "亿", 1e8 }, { "兆", 1e12 }
};
static const struct { const char *s; int first; } s_eras [] = {
    { "明治", 1868 }, { "大正", 1912 }, { "昭和", 1926 }, { "平成", 1989 }, { "令和", 2019 }
};

static int
s_kanji_digit (const char *p, const char *end, size_t *len)
{
    for (size_t i = 0; i < sizeof s_kanji_digits / sizeof s_kanji_digits [0]; i++)
        if ((*len = s_at (p, end, s_kanji_digits [i].s)))
            return s_kanji_digits [i].value;
    return -1;
}

static int
s_kanji_small_at (const char *p, const char *end, size_t *len)
{
    for (size_t i = 0; i < 3; i++)
        if ((*len = s_at (p, end, s_kanji_small [i].s)))
            return s_kanji_small [i].value;
    return 0;
}

/* One section below 万 (1500, 千五百, 3千, 二〇二四) at p: its value, and
   whether Arabic digits were in it; NULL when p starts none. */
static const char *
s_cjk_section (const s_scan_t *sc, const char *p, double *value, int *arabic, int *decimals)
{
    double acc = 0, cur = 0;
    int have = 0, any = 0;
    const char *q = p;
    size_t n;
    for (;;) {
        int d;
        if (s_digit (q, sc->end)) {
            if (have || (!sc->target && s_code_digits (sc, q)))
                break;
            s_lit_t lit;
            s_literal (sc, q, &lit);
            cur = lit.value [0];
            *decimals |= lit.decimals;
            have = any = *arabic = 1;
            q = lit.end;
        }
        else if ((d = s_kanji_digit (q, sc->end, &n)) >= 0) {
            cur = have ? cur * 10 + d : d;      /* 二〇二四 is positional */
            have = any = 1;
            q += n;
        }
        else if ((d = s_kanji_small_at (q, sc->end, &n)) > 0) {
            acc += (have ? cur : 1) * d;
            cur = 0;
            have = 0;
            any = 1;
            q += n;
        }
        else
            break;
    }
    if (!any)
        return NULL;
    *value = acc + cur;
    return q;
}

/* A number in the CJK way at p: sections joined by 万, 億, 兆 in
   decreasing order (1兆2000億, 1万5000, 230万). */
static const char *
s_cjk_number (const s_scan_t *sc, const char *p, double *value, int *arabic, int *scaled,
              int *decimals)
{
    double total = 0, last = INFINITY;
    const char *q = p;
    int any = 0;
    for (;;) {
        double sec = 0;
        const char *r = s_cjk_section (sc, q, &sec, arabic, decimals);
        if (!r)
            break;
        any = 1;
        q = r;
        double unit = 0;
        size_t n = 0;
        for (size_t i = 0; i < sizeof s_kanji_big / sizeof s_kanji_big [0] && !n; i++)
            if ((n = s_at (r, sc->end, s_kanji_big [i].s)))
                unit = s_kanji_big [i].value;
        if (!n || unit >= last) {
            total += sec;
            break;
        }
        total += sec * unit;
        last = unit;
        *scaled = 1;
        q = r + n;
    }
    *value = total;
    return any ? q : NULL;
}

/* 1 when [p, end) starts with one of the NULL-terminated words. */
static size_t
s_at_any (const char *p, const char *end, const char *const *words)
{
    for (size_t i = 0; words [i]; i++) {
        size_t n = s_at (p, end, words [i]);
        if (n)
            return n;
    }
    return 0;
}

static int s_cjk_start (const char *p, const char *end);

/* A CJK number, date or time at p: 2024年5月12日, 12日, 午後6時半, 18時,
   230万円, 3割, 3分の1, 令和6年. NULL when p starts none. */
static const char *
s_cjk (s_scan_t *sc, const char *p)
{
    static const char *const after_year [] = { "間", "前", "ぶり", "後", "余", "以上", "近く", NULL };
    static const char *const per_day [] = { "あたり", "当たり", "平均", "に", NULL };
    const char *end = sc->end;
    const char *start = p;
    size_t n;
    int half = 0;                               /* 1 午前, 2 午後 */
    int era = 0;
    if ((n = s_at (p, end, "正午"))) {
        s_add_time (sc, p, p + n, 720, 1, 1);
        return p + n;
    }
    if ((n = s_at (p, end, "午前")) || (n = s_at (p, end, "午後"))) {
        half = s_at (p, end, "午後") ? 2 : 1;
        p += n;
    }
    for (size_t i = 0; i < sizeof s_eras / sizeof s_eras [0] && !era; i++)
        if ((n = s_at (p, end, s_eras [i].s))) {
            era = s_eras [i].first;
            p += n;
        }
    if (!half && !era && s_digit (p, end)) {
        /* 18:30 is read as elsewhere */
        const char *d = p;
        while (s_digit (d, end))
            d++;
        if (d + 2 < end && *d == ':' && s_digit (d + 1, end) && s_digit (d + 2, end))
            return s_latin_number (sc, p);
    }
    double v = 0;
    int arabic = 0, scaled = 0, decimals = 0;
    const char *q;
    if (era && (n = s_at (p, end, "元")))
        v = 1, q = p + n, arabic = 1;
    else
        q = s_cjk_number (sc, p, &v, &arabic, &scaled, &decimals);
    if (!q)
        return half || era ? p : NULL;
    int whole = !decimals && v == floor (v);
    /* 午後6時半, 18時30分, 6時 (but 6時間 is a duration) */
    if ((n = s_at (q, end, "時")) && whole && v <= 24 && !s_at (q + n, end, "間")) {
        int minutes = (int) v * 60;
        const char *r = q + n, *m;
        double mv;
        int a = 0, sc2 = 0, dc = 0;
        size_t k;
        if ((k = s_at (r, end, "半")))
            minutes += 30, r += k;
        else if ((m = s_cjk_number (sc, r, &mv, &a, &sc2, &dc)) && (k = s_at (m, end, "分"))
             &&  mv < 60 && mv == floor (mv))
            minutes += (int) mv, r = m + k;
        if (half && v <= 12)
            minutes = s_half_hour ((int) v, half) * 60 + minutes % 60;
        s_add_time (sc, start, r, minutes, half || v > 12 || v == 0, arabic || half);
        return r;
    }
    if (half)
        return q;                               /* 午前中: no time */
    /* years: 2024年, 24年度 (2024), 令和6年; 3年間 is a duration */
    if ((n = s_at (q, end, "年")) && whole && !s_at_any (q + n, end, after_year)) {
        double readings [3] = { v, 0, 0 };
        int count = 1;
        if (era)
            readings [0] = era + v - 1, readings [count++] = v;
        else if (v < 100)
            readings [count++] = 2000 + v, readings [count++] = 1900 + v;
        const char *r = q + n;
        if ((n = s_at (r, end, "度")))
            r += n;
        hny_fact_t *f = s_add_number (sc, start, r, readings, count, 0, arabic || era);
        if (f)
            f->year = 1;
        return r;                               /* the month is read next */
    }
    if (era)
        return p;
    /* 5月12日, 5月, 12日 (12日間 is a duration; 5カ月 never reaches here) */
    if ((n = s_at (q, end, "月")) && whole && v >= 1 && v <= 12) {
        const char *r = q + n, *d;
        double dv;
        int da = 0, ds = 0, dd = 0;
        size_t k;
        if ((d = s_cjk_number (sc, r, &dv, &da, &ds, &dd)) && (k = s_at (d, end, "日"))
        &&  !s_at (d + k, end, "間") && dv >= 1 && dv <= 31 && dv == floor (dv)) {
            s_add_date (sc, start, d + k, (int) v, (int) dv, 1);   /* 五月十二日 too */
            return d + k;
        }
        s_add_date (sc, start, r, (int) v, 0, arabic);
        return r;
    }
    if ((n = s_at (q, end, "日")) && whole && v == 1
    &&  (s_cjk_start (q + n, end) || s_at_any (q + n, end, per_day))) {
        /* 1日7時間, 1日あたり: "a day", a rate and no date */
        s_add_number (sc, start, q + n, &v, 1, 0, 0);
        return q + n;
    }
    if ((n = s_at (q, end, "日")) && whole && v >= 1 && v <= 31 && !s_at (q + n, end, "間")) {
        s_add_date (sc, start, q + n, 0, (int) v, arabic);
        return q + n;
    }
    /* 3割 (30%), 3割5分 (35%) */
    if ((n = s_at (q, end, "割")) && v <= 10) {
        double pct = v * 10;
        const char *r = q + n, *m;
        double mv;
        int a = 0, s2 = 0, d2 = 0;
        size_t k;
        if ((m = s_cjk_number (sc, r, &mv, &a, &s2, &d2)) && (k = s_at (m, end, "分")) && mv < 10)
            pct += mv, r = m + k;
        s_add_number (sc, start, r, &pct, 1, 0, arabic);
        return r;
    }
    /* 3分の1: a fraction, or its percentage */
    if ((n = s_at (q, end, "分の")) && v > 0) {
        double num;
        int a = 0, s2 = 0, d2 = 0;
        const char *m = s_cjk_number (sc, q + n, &num, &a, &s2, &d2);
        if (m) {
            double readings [2] = { num / v, 100 * num / v };
            s_add_number (sc, start, m, readings, 2, 1, arabic || a);
            return m;
        }
    }
    const char *r = q;
    double mult = 1;
    if (sc->target && arabic && !scaled)
        r = s_scales_in (sc, hny_qa_scales_en, r, &mult);       /* "7.9 trillion" left in a translation */
    v *= mult;
    if ((n = s_at (r, end, "%")) || (n = s_at (r, end, "円")))
        r += n;
    s_add_number (sc, start, r, &v, 1, scaled || decimals || v >= 10000, arabic);
    return r;
}

/* The words of a time of day s_cjk reads before its number. */
static const char *s_cjk_times [] = { "正午", "午前", "午後" };

/* The first characters of every literal s_cjk_start looks for (the
   tables s_kanji_digits, s_kanji_small, s_eras and s_cjk_times), as bits
   over U+3000..U+9FFF, where all of them are; made once from those
   tables, so that a literal added to one of them is found with no other
   change. */
#define S_CJK_FIRST_LO  0x3000
#define S_CJK_FIRST_HI  0xA000
static uint8_t s_cjk_firsts [(S_CJK_FIRST_HI - S_CJK_FIRST_LO) / 8];
static pthread_once_t s_cjk_firsts_once = PTHREAD_ONCE_INIT;

/* The code point of a 3-byte UTF-8 sequence at p, or 0. */
static unsigned
s_cp3 (const char *p, const char *end)
{
    unsigned char lead = p < end ? (unsigned char) *p : 0;
    if (lead < 0xE0 || lead > 0xEF || end - p < 3)
        return 0;
    return ((unsigned) (lead & 0x0F) << 12) | ((unsigned) (p [1] & 0x3F) << 6)
         | (unsigned) (p [2] & 0x3F);
}

static void
s_cjk_first_add (const char *word)
{
    unsigned cp = s_cp3 (word, word + strlen (word));
    assert (cp >= S_CJK_FIRST_LO && cp < S_CJK_FIRST_HI);
    s_cjk_firsts [(cp - S_CJK_FIRST_LO) / 8] |= (uint8_t) (1u << (cp % 8));
}

static void
s_cjk_firsts_make (void)
{
    for (size_t i = 0; i < sizeof s_kanji_digits / sizeof s_kanji_digits [0]; i++)
        s_cjk_first_add (s_kanji_digits [i].s);
    for (size_t i = 0; i < sizeof s_kanji_small / sizeof s_kanji_small [0]; i++)
        s_cjk_first_add (s_kanji_small [i].s);
    for (size_t i = 0; i < sizeof s_eras / sizeof s_eras [0]; i++)
        s_cjk_first_add (s_eras [i].s);
    for (size_t i = 0; i < sizeof s_cjk_times / sizeof s_cjk_times [0]; i++)
        s_cjk_first_add (s_cjk_times [i]);
}

/* 1 when the character at p could start a literal of s_cjk_start. Asked
   at every character of a CJK text, it turns away kana, punctuation,
   Latin letters and almost every kanji at once. */
static int
s_cjk_first (const char *p, const char *end)
{
    unsigned cp = s_cp3 (p, end);
    if (cp < S_CJK_FIRST_LO || cp >= S_CJK_FIRST_HI)
        return 0;
    pthread_once (&s_cjk_firsts_once, s_cjk_firsts_make);
    return (s_cjk_firsts [(cp - S_CJK_FIRST_LO) / 8] >> (cp % 8)) & 1;
}

/* 1 when p starts something s_cjk reads. */
static int
s_cjk_start (const char *p, const char *end)
{
    size_t n;
    if (s_digit (p, end))
        return 1;
    if (!s_cjk_first (p, end))
        return 0;
    if (s_kanji_digit (p, end, &n) >= 0 || s_kanji_small_at (p, end, &n))
        return 1;
    for (size_t i = 0; i < sizeof s_cjk_times / sizeof s_cjk_times [0]; i++)
        if (s_at (p, end, s_cjk_times [i]))
            return 1;
    for (size_t i = 0; i < sizeof s_eras / sizeof s_eras [0]; i++)
        if (s_at (p, end, s_eras [i].s))
            return 1;
    return 0;
}

/* ------------------------------------------------------------ the pass */

/* The first letters of a table's words, as bits: a-z without case, and
   bit 31 for any other first byte. A word whose first letter is not in
   the mask is in none of the tables, and the pass does not look. */
static uint32_t
s_letter_bit (char c)
{
    unsigned row = s_letter_row (c);
    return row < 26 ? 1u << row : 1u << 31;
}

static uint32_t
s_words_mask (const hny_qa_word_t *table)
{
    uint32_t mask = 0;
    for (size_t i = 0; table && table [i].word; i++)
        mask |= s_letter_bit (table [i].word [0]);
    return mask;
}

static uint32_t
s_months_mask (const hny_qa_month_t *table)
{
    uint32_t mask = 0;
    for (size_t i = 0; table && table [i].name; i++)
        mask |= s_letter_bit (table [i].name [0]);
    return mask;
}

hny_facts_reader_t *
hny_facts_reader_new (const hny_qa_lang_t *lang, int target)
{
    hny_facts_reader_t *self = hny_calloc (1, sizeof *self);
    self->lang = lang;
    self->target = target;
    const hny_qa_month_t *tables [2];
    s_month_tables (lang, target, tables);
    self->masks.months = s_months_mask (tables [0]) | s_months_mask (tables [1]);
    self->masks.clock = s_words_mask (lang->clock);
    /* the number words, read in English targets only */
    self->masks.en = lang->english && target
                   ? s_words_mask (s_en_ordinals) | s_words_mask (s_en_fractions)
                     | s_words_mask (s_en_cardinals) : 0;
    s_month_index (self);
    return self;
}

void
hny_facts_reader_destroy (hny_facts_reader_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

/* A placeholder of the worker (⟦3⟧, ⟦/3⟧): its end, or NULL. */
static const char *
s_placeholder (const char *p, const char *end)
{
    size_t n = s_at (p, end, "⟦");
    if (!n)
        return NULL;
    const char *q = p + n;
    if (q < end && *q == '/')
        q++;
    const char *d = q;
    while (s_digit (d, end) && d - q < 6)
        d++;
    size_t c = d > q ? s_at (d, end, "⟧") : 0;
    return c ? d + c : NULL;
}

/* The next character after p. */
static const char *
s_next_char (const char *p, const char *end)
{
    p++;
    while (p < end && ((unsigned char) *p & 0xC0) == 0x80)
        p++;
    return p;
}

size_t
hny_facts_read (const hny_facts_reader_t *reader, const char *text, size_t len,
                hny_fact_t *facts, size_t max)
{
    const hny_qa_lang_t *lang = reader->lang;
    int target = reader->target;
    s_scan_t sc = { text, text + len, reader, lang, target, facts, 0, max };
    const s_masks_t *masks = &reader->masks;
    const char *p = text;
    while (p < sc.end && sc.count < sc.max) {
        const char *next = s_placeholder (p, sc.end);
        if (!next && lang->cjk && s_cjk_start (p, sc.end))
            next = s_cjk (&sc, p);
        int word_start = s_alpha (p, sc.end) && (p == text || !s_latin (p - 1, sc.end));
        /* the word's end, found once for the readers of words, which
           are asked only when a word of their tables starts so */
        const char *word_end = word_start ? s_word_end (p, sc.end) : NULL;
        uint32_t letter = word_start ? s_letter_bit (*p) : 0;
        if (!next && word_start && lang->months && (masks->months & letter))
            next = s_month_first (&sc, p, word_end);
        if (!next && word_start && lang->clock && (masks->clock & letter))
            next = s_clock_word (&sc, p, word_end);
        if (!next && word_start && target && lang->months && !lang->english)
            next = s_roman (&sc, p);
        if (!next && word_start && lang->english && target && (masks->en & letter))
            next = s_en_words (&sc, p, word_end);
        if (!next && s_digit (p, sc.end))
            next = s_latin_number (&sc, p);
        if (!next && word_start) {
            /* a word; digits glued to it are a code (s_code_digits) */
            next = word_end;
        }
        p = next && next > p ? next : s_next_char (p, sc.end);
    }
    return sc.count;
}

/* ------------------------------------------------------------ comparing */

/* 1 when a source reading a is the target reading b, or b is a rounded
   down to fewer significant digits (1兆2345億 as 1.23 trillion). */
static int
s_reading_match (double a, double b, int round_ok)
{
    if (s_equal (a, b))
        return 1;
    if (!round_ok)
        return 0;
    int sa = s_sig (a), sb = s_sig (b);
    return sb >= 2 && sa >= 3 && sb < sa
        && (s_equal (s_to_sig (a, sb, 0), b) || s_equal (s_to_sig (a, sb, 1), b));
}

/* The hour of a time as a person could write it alone (6 for 18:00). */
static int
s_hour_match (int minutes, double v)
{
    int h = minutes / 60;
    return s_equal (v, h) || s_equal (v, h % 12) || (h % 12 == 0 && s_equal (v, 12));
}

int
hny_fact_found (const hny_fact_t *f, const hny_fact_t *in, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const hny_fact_t *t = &in [i];
        switch (f->kind) {
        case HNY_FACT_NUMBER:
            for (int a = 0; a < f->readings; a++) {
                double v = f->value [a];
                int small = v == floor (v) && v >= 1 && v <= 31;
                for (int b = 0; t->kind == HNY_FACT_NUMBER && b < t->readings; b++)
                    if (s_reading_match (v, t->value [b], f->round_ok))
                        return 1;
                /* 12 said as a day (12日, May 12), 5 as a month, 6 as 6時 */
                if (small && t->kind == HNY_FACT_DATE && (t->day == (int) v || t->month == (int) v))
                    return 1;
                if (small && t->kind == HNY_FACT_TIME && s_hour_match (t->minutes, v))
                    return 1;
            }
            break;
        case HNY_FACT_DATE:
            if (t->kind == HNY_FACT_DATE) {
                if (f->day && t->day == f->day && (!t->month || !f->month || t->month == f->month))
                    return 1;
                if (!f->day && t->month == f->month)
                    return 1;
            }
            /* the day alone: "on the 12th", or a language whose dates the reader does not know */
            for (int b = 0; t->kind == HNY_FACT_NUMBER && b < t->readings; b++)
                if (s_equal (t->value [b], f->day ? f->day : f->month))
                    return 1;
            break;
        case HNY_FACT_TIME:
            if (t->kind == HNY_FACT_TIME
            &&  (f->half_known && t->half_known ? t->minutes == f->minutes
                                                 : t->minutes % 720 == f->minutes % 720))
                return 1;
            for (int b = 0; t->kind == HNY_FACT_NUMBER && b < t->readings; b++)
                if (f->minutes % 60 == 0 && s_hour_match (f->minutes, t->value [b]))
                    return 1;
            break;
        }
    }
    return 0;
}

int
hny_fact_same (const hny_fact_t *a, const hny_fact_t *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case HNY_FACT_NUMBER:
        return a->readings && b->readings && s_equal (a->value [0], b->value [0]);
    case HNY_FACT_DATE:
        return a->month == b->month && a->day == b->day;
    case HNY_FACT_TIME:
        return a->minutes == b->minutes;
    }
    return 0;
}
