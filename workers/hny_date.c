/*  hny_date.c: dates as pages write them -> "YYYY-MM-DD" (hny_date.h).
    Each form has a small parser that starts at a given position and
    returns where the date ends, or NULL; the whole-line, find and machine
    entry points combine them. Every parser reads at most a few dozen bytes
    past its start and stops at a NUL, so the find is linear. */
#include "hny_date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define S_BRACKET_MAX 15    /* bytes inside a weekday bracket: "（土曜日）" is 9 */

typedef struct {
    int year, month, day;
} s_ymd_t;

static const char *s_months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"
};

static const char *s_weekdays[] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};

/* The Japanese eras of the modern calendar and their first years. */
static const struct {
    const char *name;
    int first;
} s_eras[] = {
    { "明治", 1868 }, { "大正", 1912 }, { "昭和", 1926 }, { "平成", 1989 }, { "令和", 2019 }
};

/* A real day: 1868 is the first year of Meiji, the oldest era a date of
   the modern calendar names; 2100 keeps typos and ids out. */
static int
s_valid (const s_ymd_t *d)
{
    static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (d->year < 1868 || d->year > 2100 || d->month < 1 || d->month > 12 || d->day < 1)
        return 0;
    if (d->day > days[d->month - 1])
        return 0;
    int leap = (d->year % 4 == 0 && d->year % 100 != 0) || d->year % 400 == 0;
    return !(d->month == 2 && d->day == 29 && !leap);
}

static void
s_iso (const s_ymd_t *d, char iso[HNY_DATE_ISO])
{
    /* s_valid bounds the parts, so this fills exactly 10 bytes */
    snprintf (iso, HNY_DATE_ISO, "%04u-%02u-%02u", (unsigned) d->year % 10000u,
              (unsigned) d->month % 100u, (unsigned) d->day % 100u);
}

/* A decimal digit at p, ASCII or full-width (U+FF10..U+FF19): its value,
   and *width its bytes; -1 when none. */
static int
s_digit (const char *p, size_t *width)
{
    const unsigned char *q = (const unsigned char *) p;
    if (isdigit (q[0])) {
        *width = 1;
        return q[0] - '0';
    }
    if (q[0] == 0xEF && q[1] == 0xBC && q[2] >= 0x90 && q[2] <= 0x99) {
        *width = 3;
        return q[2] - 0x90;
    }
    return -1;
}

/* 1 to max digits at p into *v; returns the end, or NULL when there are
   none or more than max (a longer number is not this part of a date: the
   "12021" of an id must not read as the year 2021). */
static const char *
s_number (const char *p, int max, int *v)
{
    int n = 0, value = 0;
    size_t width = 0;
    int d;
    while ((d = s_digit (p, &width)) >= 0) {
        if (++n > max)
            return NULL;
        value = value * 10 + d;
        p += width;
    }
    if (n == 0)
        return NULL;
    *v = value;
    return p;
}

/* A kanji numeral: 〇 一 .. 九 digit by digit ("二〇二一") or with 十
   ("十六", "二十", "三十一"). Returns the end and sets *v, or NULL. */
static const char *
s_kanji_number (const char *p, int *v)
{
    static const char *digits[] = { "〇", "一", "二", "三", "四", "五", "六", "七", "八", "九" };
    int value = 0, n = 0, tens = -1;
    for (;;) {
        int d = -1;
        for (int i = 0; i < 10 && d < 0; i++)
            if (strncmp (p, digits[i], 3) == 0)
                d = i;
        if (d < 0 && strncmp (p, "十", 3) == 0 && tens < 0) {
            tens = value ? value : 1;   /* "十" alone is ten; "二十" twenty */
            value = 0;
            p += 3;
            n++;
            continue;
        }
        if (d < 0 || n >= 4)
            break;
        value = value * 10 + d;
        p += 3;
        n++;
    }
    if (n == 0)
        return NULL;
    *v = tens >= 0 ? tens * 10 + value : value;
    return p;
}

/* Spaces between the parts of a Japanese date: ASCII, U+3000, U+00A0. */
static const char *
s_spaces (const char *p)
{
    for (;;) {
        if (*p == ' ' || *p == '\t')
            p++;
        else if (strncmp (p, "\xE3\x80\x80", 3) == 0)
            p += 3;
        else if (strncmp (p, "\xC2\xA0", 2) == 0)
            p += 2;
        else
            return p;
    }
}

/* A number as a Japanese date writes it: Arabic (either width) or kanji. */
static const char *
s_ja_number (const char *p, int max, int *v)
{
    const char *q = s_number (p, max, v);
    return q ? q : s_kanji_number (p, v);
}

int
hny_date_era_year (const char *text, int n, size_t *used)
{
    for (size_t i = 0; i < sizeof s_eras / sizeof s_eras[0]; i++) {
        size_t len = strlen (s_eras[i].name);
        if (strncmp (text, s_eras[i].name, len) == 0 && n >= 1) {
            *used = len;
            return s_eras[i].first + n - 1;
        }
    }
    return 0;
}

/* A marker of a Japanese date after its number ("年", "月", "日"), spaces
   allowed before it: returns the end of the marker, or NULL. */
static const char *
s_ja_marker (const char *p, const char *marker)
{
    p = s_spaces (p);
    return strncmp (p, marker, 3) == 0 ? p + 3 : NULL;
}

/* [era] Y 年 M 月 D 日. All three markers are required: "3月6日" alone
   names no year, and guessing one would put articles in the wrong year. */
static const char *
s_japanese (const char *p, s_ymd_t *d)
{
    size_t era_len = 0;
    int first = hny_date_era_year (p, 1, &era_len), n = 0;
    if (first) {
        const char *q = s_spaces (p + era_len);
        if (strncmp (q, "元", 3) == 0)
            n = 1, q += 3;
        else if (!(q = s_ja_number (q, 2, &n)) || n < 1)
            return NULL;
        d->year = first + n - 1;
        p = q;
    }
    else if (!(p = s_ja_number (p, 4, &d->year)) || d->year < 1000)
        return NULL;
    if (!(p = s_ja_marker (p, "年")) || !(p = s_ja_number (s_spaces (p), 2, &d->month))
        || !(p = s_ja_marker (p, "月")) || !(p = s_ja_number (s_spaces (p), 2, &d->day))
        || !(p = s_ja_marker (p, "日")))
        return NULL;
    return s_valid (d) ? p : NULL;
}

/* A separator of a numeric date: / - . and their full-width forms; its
   width into *width, its kind as the return (0: none). */
static int
s_separator (const char *p, size_t *width)
{
    if (*p == '/' || *p == '-' || *p == '.') {
        *width = 1;
        return *p;
    }
    if (strncmp (p, "／", 3) == 0 || strncmp (p, "－", 3) == 0 || strncmp (p, "．", 3) == 0) {
        *width = 3;
        return (unsigned char) p[2];
    }
    return 0;
}

/* YYYY/MM/DD and kin: the same separator twice. Year first only: 03/06/2021
   is March 6 in the US and 3 June in Europe, so it is not read at all. */
static const char *
s_numeric (const char *p, s_ymd_t *d)
{
    size_t w1 = 0, w2 = 0, width = 0;
    const char *q = s_number (p, 4, &d->year);
    if (!q || d->year < 1000)
        return NULL;
    int sep = s_separator (q, &w1);
    if (!sep || !(q = s_number (q + w1, 2, &d->month)))
        return NULL;
    if (s_separator (q, &w2) != sep || !(q = s_number (q + w2, 2, &d->day)))
        return NULL;
    if (s_digit (q, &width) >= 0 || !s_valid (d))
        return NULL;
    return q;
}

/* A month name at p ("April", "Apr", "Apr.", "Sept."), case-insensitive
   and not followed by a letter: returns 1..12 and the end in *end. */
static int
s_month (const char *p, const char **end)
{
    for (int m = 0; m < 12; m++) {
        size_t full = strlen (s_months[m]);
        if (strncasecmp (p, s_months[m], full) == 0 && !isalpha ((unsigned char) p[full])) {
            *end = p + full;
            return m + 1;
        }
    }
    for (int m = 0; m < 12; m++) {
        size_t n = m == 8 && strncasecmp (p, "Sept", 4) == 0 ? 4 : 3;
        if (strncasecmp (p, s_months[m], n) == 0 && !isalpha ((unsigned char) p[n])) {
            *end = p + n + (p[n] == '.');
            return m + 1;
        }
    }
    return 0;
}

/* A day of the month in English: "21", "21st", "2nd", "3rd", "4th". */
static const char *
s_day (const char *p, int *day)
{
    if (!isdigit ((unsigned char) *p) || !(p = s_number (p, 2, day)))
        return NULL;
    if (strncasecmp (p, "st", 2) == 0 || strncasecmp (p, "nd", 2) == 0
        || strncasecmp (p, "rd", 2) == 0 || strncasecmp (p, "th", 2) == 0)
        p += 2;
    return isalnum ((unsigned char) *p) ? NULL : p;
}

/* A four-digit year in English text, not followed by a digit or letter
   (which would make it a time or a number). */
static const char *
s_year (const char *p, int *year)
{
    if (!isdigit ((unsigned char) *p) || !(p = s_number (p, 4, year)) || *year < 1000)
        return NULL;
    return isalnum ((unsigned char) *p) ? NULL : p;
}

/* Month D[,] YYYY  or  D Month[,] YYYY */
static const char *
s_english (const char *p, s_ymd_t *d)
{
    const char *q = NULL;
    if ((d->month = s_month (p, &q)) != 0) {
        if (*q != ' ' || !(q = s_day (q + 1, &d->day)))
            return NULL;
        if (*q == ',')
            q++;
        if (*q != ' ' || !(q = s_year (q + 1, &d->year)))
            return NULL;
        return s_valid (d) ? q : NULL;
    }
    if (!(q = s_day (p, &d->day)) || *q != ' ' || !(d->month = s_month (q + 1, &q)))
        return NULL;
    if (*q == ',')
        q++;
    if (*q != ' ' || !(q = s_year (q + 1, &d->year)))
        return NULL;
    return s_valid (d) ? q : NULL;
}

/* Any form at p: returns the end of the date, or NULL. Japanese first:
   its year is also the start of a numeric date ("2021年" vs "2021/"). */
static const char *
s_any (const char *p, s_ymd_t *d)
{
    const char *end;
    if ((end = s_japanese (p, d)) || (end = s_numeric (p, d)) || (end = s_english (p, d)))
        return end;
    return NULL;
}

/* An optional weekday in brackets after a date: returns the end. The
   bracket is short ("(土)", "(Sat)", "（土曜日）"): a longer one is text. */
static const char *
s_weekday_bracket (const char *p)
{
    const char *q = s_spaces (p);
    const char *close = NULL;
    if (*q == '(')
        close = ")";
    else if (strncmp (q, "（", 3) == 0)
        close = "）";
    if (!close)
        return p;
    const char *start = q + (*q == '(' ? 1 : 3);
    for (const char *c = start; *c && c - start <= S_BRACKET_MAX; c++)
        if (strncmp (c, close, strlen (close)) == 0)
            return c + strlen (close);
    return p;
}

/* An English weekday that may open a date line: "Sunday, ", "Sun. ". */
static const char *
s_weekday_prefix (const char *p)
{
    for (int i = 0; i < 7; i++) {
        size_t full = strlen (s_weekdays[i]);
        size_t n = strncasecmp (p, s_weekdays[i], full) == 0 ? full
                 : strncasecmp (p, s_weekdays[i], 3) == 0 && !isalpha ((unsigned char) p[3]) ? 3 : 0;
        if (n == 0)
            continue;
        const char *q = p + n;
        if (*q == '.' || *q == ',')
            q++;
        if (*q == ' ')
            return q + 1;
    }
    return p;
}

int
hny_date_parse (const char *text, char iso[HNY_DATE_ISO])
{
    s_ymd_t d = { 0 };
    const char *p = s_weekday_prefix (s_spaces (text));
    const char *end = s_any (p, &d);
    if (!end)
        return 0;
    end = s_spaces (s_weekday_bracket (end));
    if (*end != '\0')
        return 0;
    s_iso (&d, iso);
    return 1;
}

/* Whether a date may start at text[i]: not glued to a letter or digit
   before it. Japanese text has no spaces, so a kanji before a date
   ("本日2021年…") does not glue; only ASCII does ("id2021-03-06"). */
static int
s_starts_word (const char *text, size_t i)
{
    if (i == 0)
        return 1;
    unsigned char prev = (unsigned char) text[i - 1];
    return !isalnum (prev);
}

int
hny_date_find (const char *text, size_t len, char iso[HNY_DATE_ISO])
{
    for (size_t i = 0; i < len && text[i]; i++) {
        unsigned char c = (unsigned char) text[i];
        if ((c & 0xC0) == 0x80 || c == ' ' || !s_starts_word (text, i))
            continue;   /* the middle of a character, or glued */
        s_ymd_t d = { 0 };
        if (s_any (text + i, &d)) {
            s_iso (&d, iso);
            return 1;
        }
    }
    return 0;
}

int
hny_date_machine (const char *text, char iso[HNY_DATE_ISO])
{
    const char *p = s_spaces (text);
    s_ymd_t d = { 0 };
    /* ISO 8601 basic form, 20191118, possibly with a time after a T */
    int n = 0;
    while (n < 8 && isdigit ((unsigned char) p[n]))
        n++;
    if (n == 8 && !isdigit ((unsigned char) p[8]) && (p[8] == '\0' || p[8] == 'T')) {
        d.year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
        d.month = (p[4] - '0') * 10 + (p[5] - '0');
        d.day = (p[6] - '0') * 10 + (p[7] - '0');
        if (s_valid (&d)) {
            s_iso (&d, iso);
            return 1;
        }
    }
    /* RFC 822 opens with a weekday; ISO 8601 extended form is numeric. The
       time and zone after the date are ignored: the calendar day the page
       shows its readers is the article's date, not the day in UTC. */
    const char *q = s_weekday_prefix (p);
    return hny_date_find (q, strlen (q), iso);
}
