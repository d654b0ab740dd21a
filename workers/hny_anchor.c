/*  hny_anchor.c: numbers, dates and names as keys (hny_anchor.h).

    A sentence is first folded into a scratch copy where the full-width
    forms of ASCII (U+FF01..U+FF5E: "１５００", "ＪＣＰ", "％") and the
    ideographic space become ASCII, so that every parser below reads ASCII
    digits and letters whatever the page wrote. The scanners then walk the
    copy once, left to right. */
#include "hny_anchor.h"
#include "hny_date.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include <honyaku/util.h>

/* Bytes of a sentence that the scanners read: a sentence longer than this
   is not a sentence (a table or a list run together) and its tail adds
   nothing an aligner could use. */
#define S_TEXT_MAX 4096

/* Bytes of one name (romanized or Latin) kept for its key. */
#define S_NAME_MAX 64

uint32_t
hny_anchor_key (hny_anchor_kind_t kind, const char *text, size_t len)
{
    /* the kind seeds the hash: keys of two kinds never meet */
    return (uint32_t) XXH3_64bits_withSeed (text, len, (XXH64_hash_t) kind);
}

void
hny_anchor_sort (uint32_t *keys, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t k = keys[i];
        size_t j = i;
        while (j > 0 && keys[j - 1] > k) {
            keys[j] = keys[j - 1];
            j--;
        }
        keys[j] = k;
    }
}

size_t
hny_anchor_common (const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j])
            i++;
        else if (a[i] > b[j])
            j++;
        else {
            common++;
            i++;
            j++;
        }
    }
    return common;
}

/* The keys found so far in one sentence. */
typedef struct {
    uint32_t *keys;
    size_t n, max;
} s_out_t;

static void
s_emit (s_out_t *out, hny_anchor_kind_t kind, const char *text, size_t len)
{
    if (out->n < out->max)
        out->keys[out->n++] = hny_anchor_key (kind, text, len);
}

/* A number as its key: six significant digits, so that 2.3 * 1e6 and
   230 * 1e4 (which differ in the last bit) are one key. */
static void
s_emit_number (s_out_t *out, hny_anchor_kind_t kind, double v)
{
    char buf[32];
    int len = snprintf (buf, sizeof buf, "%.6g", v);
    s_emit (out, kind, buf, (size_t) len);
}

/* Fold full-width ASCII and the ideographic space into ASCII, up to
   S_TEXT_MAX bytes of src; dst has room for S_TEXT_MAX + 1. */
static void
s_fold (const char *src, char *dst)
{
    const unsigned char *p = (const unsigned char *) src;
    size_t n = 0;
    while (*p && n < S_TEXT_MAX) {
        if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80 && p[2] <= 0xBF) {
            unsigned cp = 0xFF00u + ((unsigned) (p[1] & 0x03) << 6) + (p[2] & 0x3F);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                dst[n++] = (char) (cp - 0xFF01 + 0x21);
                p += 3;
                continue;
            }
        }
        if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
            dst[n++] = ' ';
            p += 3;
            continue;
        }
        /* a whole character or nothing: never end inside a sequence */
        size_t w = p[0] < 0xC0 ? 1 : p[0] < 0xE0 ? 2 : p[0] < 0xF0 ? 3 : 4;
        if (n + w > S_TEXT_MAX)
            break;
        for (size_t k = 0; k < w && *p; k++)
            dst[n++] = (char) *p++;
    }
    dst[n] = '\0';
}

/* A decimal number at p (digits, "," + three digits, "." + digits):
   its value, and the end; NULL when p holds no digit. */
static const char *
s_number (const char *p, double *v)
{
    if (!isdigit ((unsigned char) *p))
        return NULL;
    double x = 0;
    int digits = 0;
    for (;;) {
        while (isdigit ((unsigned char) *p)) {
            if (digits++ < 18)
                x = x * 10 + (*p - '0');
            p++;
        }
        if (*p == ',' && isdigit ((unsigned char) p[1]) && isdigit ((unsigned char) p[2])
            && isdigit ((unsigned char) p[3]) && !isdigit ((unsigned char) p[4])) {
            p++;
            continue;
        }
        break;
    }
    if (*p == '.' && isdigit ((unsigned char) p[1])) {
        double scale = 0.1;
        p++;
        while (isdigit ((unsigned char) *p)) {
            x += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    *v = x;
    return p;
}

/* p starts with the UTF-8 string s: its length, else 0. */
static size_t
s_at (const char *p, const char *s)
{
    size_t n = strlen (s);
    return strncmp (p, s, n) == 0 ? n : 0;
}

/* ---------- Japanese ---------- */

/* The multipliers of Japanese numbers, largest first. */
static const struct {
    const char *unit;
    double scale;
} s_ja_units[] = {
    { "兆", 1e12 }, { "億", 1e8 }, { "万", 1e4 }, { "千", 1e3 }
};

/* A Japanese number at p: "1500", "230万", "1兆2000億", "1万5000"; *v its
   value. Returns the end. p starts with a digit. */
static const char *
s_ja_number (const char *p, double *v)
{
    double total = 0, last_scale = 1e300;
    const char *end = p;
    for (;;) {
        double x;
        const char *q = s_number (end, &x);
        if (!q)
            break;
        size_t i, used = 0;
        for (i = 0; i < sizeof s_ja_units / sizeof s_ja_units[0]; i++)
            if ((used = s_at (q, s_ja_units[i].unit)) != 0)
                break;
        if (used && s_ja_units[i].scale < last_scale) {
            total += x * s_ja_units[i].scale;
            last_scale = s_ja_units[i].scale;
            end = q + used;
            continue;        /* "1兆" may go on with "2000億" */
        }
        if (used)
            break;           /* "1万2万": the second number is not a part of the first */
        if (last_scale < 1e300) {
            total += x;      /* the ones after a multiplier: "1万5000" */
            end = q;
        } else if (last_scale == 1e300) {
            total = x;
            end = q;
        }
        break;
    }
    *v = total;
    return end;
}

/* Kanji numerals ("三", "二十", "十五") at p followed by a counter: the
   value and the end, else NULL. */
static const char *
s_kanji_number (const char *p, double *v)
{
    static const char *digits[] = { "〇", "一", "二", "三", "四", "五", "六", "七", "八", "九" };
    static const char *counters[] = { "人", "つ", "回", "度", "件", "カ国", "か国", "党", "氏" };
    double total = 0, cur = 0;
    int seen = 0;
    for (;;) {
        size_t used = 0;
        int d;
        for (d = 0; d < 10; d++)
            if ((used = s_at (p, digits[d])) != 0)
                break;
        if (used) {
            cur = d;
            p += used;
            seen = 1;
            continue;
        }
        int scale = (used = s_at (p, "十")) != 0 ? 10 : (used = s_at (p, "百")) != 0 ? 100 : 0;
        if (scale) {
            total += (cur ? cur : 1) * scale;
            cur = 0;
            p += used;
            seen = 1;
            continue;
        }
        break;
    }
    if (!seen)
        return NULL;
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if (s_at (p, counters[i])) {
            *v = total + cur;
            return p;
        }
    return NULL;
}

static void
s_find_ja (const char *t, s_out_t *out)
{
    const char *p = t;
    while (*p && out->n < out->max) {
        size_t used = 0;
        int year = 0;
        /* an era year: 令和6年, 平成元年 */
        if ((unsigned char) *p >= 0x80 && hny_date_era_year (p, 1, &used)) {
            const char *q = p + used;
            double n = 0;
            const char *e = s_number (q, &n);
            if (!e && (e = q + s_at (q, "元")) != q)
                n = 1;
            if (e && s_at (e, "年") && n >= 1 && n < 100
                && (year = hny_date_era_year (p, (int) n, &used)) != 0) {
                s_emit_number (out, HNY_ANCHOR_NUMBER, year);
                p = e;
                continue;
            }
        }
        if (isdigit ((unsigned char) *p) && (p == t || !isalnum ((unsigned char) p[-1]))) {
            double v;
            const char *e = s_ja_number (p, &v);
            if ((used = s_at (e, "割")) != 0 && v < 10) {
                s_emit_number (out, HNY_ANCHOR_NUMBER, v * 10);      /* 3割 = 30% */
                p = e + used;
            } else if (s_at (e, "月") && v >= 1 && v <= 12 && e - p <= 2) {
                s_emit_number (out, HNY_ANCHOR_MONTH, v);
                p = e;
            } else if (s_at (e, "日") && !s_at (e + 3, "間") && v >= 1 && v <= 31 && e - p <= 2) {
                s_emit_number (out, HNY_ANCHOR_DAY, v);
                p = e;
            } else {
                s_emit_number (out, HNY_ANCHOR_NUMBER, v);
                p = e;
            }
            continue;
        }
        if ((unsigned char) *p >= 0x80) {
            double v;
            const char *e = s_kanji_number (p, &v);
            if (e) {
                s_emit_number (out, HNY_ANCHOR_NUMBER, v);
                p = e;
                continue;
            }
        }
        p++;
    }
}

/* ---------- English ---------- */

static const char *s_months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"
};

/* A month name at p (in full, or its first three letters, "Sept"),
   written with a capital: its number 1..12 and *len; else 0. */
static int
s_month_at (const char *p, size_t *len)
{
    if (!isupper ((unsigned char) *p))
        return 0;
    size_t n = 0;
    while (isalpha ((unsigned char) p[n]))
        n++;
    for (int m = 0; m < 12; m++) {
        size_t full = strlen (s_months[m]);
        if ((n == full || n == 3 || (m == 8 && n == 4))
            && strncasecmp (p, s_months[m], n) == 0) {
            *len = n + (p[n] == '.' && n < full ? 1 : 0);
            return m + 1;
        }
    }
    return 0;
}

/* Spelled-out numbers of English news (numbers up to ten are spelled out
   by most style guides; "one" and "first" are left out: they are more
   often a pronoun and an adverb). */
static const char *s_words[] = {
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
    "seventeen", "eighteen", "nineteen", "twenty"
};

/* Their ordinals: "down for the tenth month" = "10カ月連続". */
static const char *s_ordinals[] = {
    "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
    "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth", "twentieth"
};

static const struct {
    const char *word;
    double scale;
} s_en_scales[] = {
    { "thousand", 1e3 }, { "million", 1e6 }, { "billion", 1e9 }, { "trillion", 1e12 }
};

/* A word at p (letters only) of n bytes equal to w, any case. */
static int
s_word_is (const char *p, size_t n, const char *w)
{
    return strlen (w) == n && strncasecmp (p, w, n) == 0;
}

/* Normalize a name for its key: lowercase ASCII letters and digits only,
   "m" before b, p or m written "n" (Hepburn's two spellings of ン), long
   vowels folded ("ou", "oo" -> "o"; "uu", "ii", "aa", "ee" -> one). */
static size_t
s_name_norm (const char *src, size_t len, char *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < S_NAME_MAX; i++) {
        char c = (char) tolower ((unsigned char) src[i]);
        if (!isalnum ((unsigned char) c))
            continue;
        if (n > 0) {
            char prev = dst[n - 1];
            if ((prev == 'o' && (c == 'u' || c == 'o'))
                || (prev == c && (c == 'u' || c == 'i' || c == 'a' || c == 'e')))
                continue;
        }
        dst[n++] = c;
    }
    for (size_t i = 0; i + 1 < n; i++)
        if (dst[i] == 'm' && (dst[i + 1] == 'b' || dst[i + 1] == 'p' || dst[i + 1] == 'm'))
            dst[i] = 'n';
    return n;
}

/* A Latin-script word of len bytes that is a name: one with a capital
   anywhere ("Shii", "JCP", "iPS"), or any Latin word in Japanese text. */
static void
s_emit_name (s_out_t *out, const char *w, size_t len, int any_case)
{
    int upper = 0;
    for (size_t i = 0; i < len; i++)
        upper |= isupper ((unsigned char) w[i]) != 0;
    if (!upper && !any_case)
        return;
    if (len > 2 && w[len - 2] == '\'' && (w[len - 1] == 's' || w[len - 1] == 'S'))
        len -= 2;    /* "Abe's" */
    char norm[S_NAME_MAX];
    size_t n = s_name_norm (w, len, norm);
    if (n >= 2)
        s_emit (out, HNY_ANCHOR_NAME, norm, n);
}

static void
s_find_en (const char *t, s_out_t *out)
{
    const char *p = t;
    while (*p && out->n < out->max) {
        unsigned char c = (unsigned char) *p;
        if (isalpha (c) && (p == t || !isalnum ((unsigned char) p[-1]))) {
            size_t len = 0, mlen = 0;
            while (isalnum ((unsigned char) p[len]) || (p[len] == '\'' && isalpha ((unsigned char) p[len + 1]))
                   || (p[len] == '-' && isalpha ((unsigned char) p[len + 1])))
                len++;
            int month = s_month_at (p, &mlen);
            if (month) {
                s_emit_number (out, HNY_ANCHOR_MONTH, month);
                const char *q = p + mlen;
                while (*q == ' ')
                    q++;
                double d;
                const char *e = s_number (q, &d);
                if (e && d >= 1 && d <= 31 && e - q <= 2) {
                    s_emit_number (out, HNY_ANCHOR_DAY, d);
                    p = e;
                    continue;
                }
                p += len;
                continue;
            }
            for (size_t i = 0; i < sizeof s_words / sizeof s_words[0]; i++)
                if (s_word_is (p, len, s_words[i]) || s_word_is (p, len, s_ordinals[i]))
                    s_emit_number (out, HNY_ANCHOR_NUMBER, (double) i + 2);
            s_emit_name (out, p, len, 0);
            p += len;
            continue;
        }
        if (isdigit (c) && (p == t || !isalpha ((unsigned char) p[-1]))) {
            double v;
            const char *e = s_number (p, &v);
            const char *q = e;
            while (*q == ' ')
                q++;
            size_t wl = 0;
            while (isalpha ((unsigned char) q[wl]))
                wl++;
            for (size_t i = 0; i < sizeof s_en_scales / sizeof s_en_scales[0]; i++)
                if (s_word_is (q, wl, s_en_scales[i].word)) {
                    v *= s_en_scales[i].scale;
                    e = q + wl;
                }
            s_emit_number (out, HNY_ANCHOR_NUMBER, v);
            p = e;
            continue;
        }
        p++;
    }
}

/* Latin words in Japanese text: "NHK", "G7", "PFAS". */
static void
s_find_latin (const char *t, s_out_t *out)
{
    for (const char *p = t; *p && out->n < out->max; p++) {
        if (isalpha ((unsigned char) *p) && (p == t || !isalnum ((unsigned char) p[-1]))) {
            size_t len = 0;
            while (isalnum ((unsigned char) p[len]))
                len++;
            s_emit_name (out, p, len, 1);
            p += len - 1;
        }
    }
}

size_t
hny_anchor_find (const char *text, int japanese, uint32_t *keys, size_t max)
{
    char folded[S_TEXT_MAX + 1];
    s_fold (text, folded);
    s_out_t out = { keys, 0, max };
    if (japanese) {
        s_find_ja (folded, &out);
        s_find_latin (folded, &out);
    } else
        s_find_en (folded, &out);
    /* a full date, as hny_date reads it, on top of its parts (the first
       one: a sentence rarely has two, and the parts match the rest) */
    char iso[HNY_DATE_ISO];
    if (hny_date_find (folded, strlen (folded), iso))
        s_emit (&out, HNY_ANCHOR_DATE, iso, 10);
    hny_anchor_sort (keys, out.n);
    return out.n;
}

/* ---------- romaji ---------- */

/* Hepburn romaji of the katakana U+30A1..U+30F6, in order; the small
   vowels and small ya/yu/yo are marked with a leading '-'. */
static const char *s_kana[] = {
    "-a", "a", "-i", "i", "-u", "u", "-e", "e", "-o", "o",
    "ka", "ga", "ki", "gi", "ku", "gu", "ke", "ge", "ko", "go",
    "sa", "za", "shi", "ji", "su", "zu", "se", "ze", "so", "zo",
    "ta", "da", "chi", "ji", "", "tsu", "zu", "te", "de", "to", "do",
    "na", "ni", "nu", "ne", "no",
    "ha", "ba", "pa", "hi", "bi", "pi", "fu", "bu", "pu", "he", "be", "pe", "ho", "bo", "po",
    "ma", "mi", "mu", "me", "mo",
    "-ya", "ya", "-yu", "yu", "-yo", "yo",
    "ra", "ri", "ru", "re", "ro",
    "-wa", "wa", "i", "e", "o", "n", "vu", "ka", "ke"
};

uint32_t
hny_anchor_romaji (const char *reading, size_t len)
{
    char out[S_NAME_MAX + 8];
    size_t n = 0;
    int geminate = 0;
    const unsigned char *p = (const unsigned char *) reading, *end = p + len;
    while (p < end) {
        if (end - p < 3 || p[0] != 0xE3)
            return 0;
        unsigned cp = ((unsigned) (p[0] & 0x0F) << 12) | ((unsigned) (p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        p += 3;
        if (n > S_NAME_MAX)
            return 0;
        if (cp == 0x30FC) {              /* ー: the vowel again (folded below) */
            if (n > 0) {
                out[n] = out[n - 1];
                n++;
            }
            continue;
        }
        if (cp < 0x30A1 || cp > 0x30F6)
            return 0;
        const char *r = s_kana[cp - 0x30A1];
        if (cp == 0x30C3) {              /* ッ: double the next consonant */
            geminate = 1;
            continue;
        }
        if (r[0] == '-') {
            r++;
            if (n > 0 && r[0] == 'y' && out[n - 1] == 'i') {
                /* kya, but sha, cha, ja: Hepburn drops the y after sh, ch, j */
                n--;
                if (n > 0 && (out[n - 1] == 'h' || out[n - 1] == 'j'))
                    r++;
            } else if (n > 0 && strchr ("aiueo", out[n - 1]))
                n--;                     /* fa, ti, we: the small vowel replaces */
        }
        if (geminate && r[0]) {
            out[n++] = r[0] == 'c' ? 't' : r[0];
            geminate = 0;
        }
        size_t rl = strlen (r);
        memcpy (out + n, r, rl);
        n += rl;
    }
    char norm[S_NAME_MAX];
    size_t nn = s_name_norm (out, n, norm);
    return nn >= 3 ? hny_anchor_key (HNY_ANCHOR_NAME, norm, nn) : 0;
}
