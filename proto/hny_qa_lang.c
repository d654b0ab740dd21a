/*  hny_qa_lang.c: the languages the readers of numbers, dates and times
    know (hny_qa_lang.h), and how a fact is written in one of them, for
    the detail of a flag ("not in the target (as 1500, 1,500 or 千五百)"). */
#include "hny_qa_lang.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define S_EPSILON       1e-9        /* as hny_qa_facts.c: a reading that is whole */

/* ------------------------------------------------------------ languages */

const hny_qa_month_t hny_qa_months_en [] = {
    { "January", 1, 0 }, { "February", 2, 0 }, { "March", 3, 0 }, { "April", 4, 0 },
    { "May", 5, 0 }, { "June", 6, 0 }, { "July", 7, 0 }, { "August", 8, 0 },
    { "September", 9, 0 }, { "October", 10, 0 }, { "November", 11, 0 }, { "December", 12, 0 },
    { "Jan", 1, 1 }, { "Feb", 2, 1 }, { "Mar", 3, 1 }, { "Apr", 4, 1 }, { "Jun", 6, 1 },
    { "Jul", 7, 1 }, { "Aug", 8, 1 }, { "Sept", 9, 1 }, { "Sep", 9, 1 }, { "Oct", 10, 1 },
    { "Nov", 11, 1 }, { "Dec", 12, 1 }, { NULL, 0, 0 }
};
static const hny_qa_month_t s_months_es [] = {
    { "enero", 1, 0 }, { "febrero", 2, 0 }, { "marzo", 3, 0 }, { "abril", 4, 0 },
    { "mayo", 5, 0 }, { "junio", 6, 0 }, { "julio", 7, 0 }, { "agosto", 8, 0 },
    { "septiembre", 9, 0 }, { "setiembre", 9, 0 }, { "octubre", 10, 0 },
    { "noviembre", 11, 0 }, { "diciembre", 12, 0 }, { NULL, 0, 0 }
};
static const hny_qa_month_t s_months_fr [] = {
    { "janvier", 1, 0 }, { "février", 2, 0 }, { "mars", 3, 0 }, { "avril", 4, 0 },
    { "mai", 5, 0 }, { "juin", 6, 0 }, { "juillet", 7, 0 }, { "août", 8, 0 },
    { "septembre", 9, 0 }, { "octobre", 10, 0 }, { "novembre", 11, 0 },
    { "décembre", 12, 0 }, { NULL, 0, 0 }
};
static const hny_qa_month_t s_months_de [] = {
    { "Januar", 1, 0 }, { "Jänner", 1, 0 }, { "Februar", 2, 0 }, { "März", 3, 0 },
    { "April", 4, 0 }, { "Mai", 5, 0 }, { "Juni", 6, 0 }, { "Juli", 7, 0 },
    { "August", 8, 0 }, { "September", 9, 0 }, { "Oktober", 10, 0 },
    { "November", 11, 0 }, { "Dezember", 12, 0 }, { NULL, 0, 0 }
};
static const hny_qa_month_t s_months_pt [] = {
    { "janeiro", 1, 0 }, { "fevereiro", 2, 0 }, { "março", 3, 0 }, { "abril", 4, 0 },
    { "maio", 5, 0 }, { "junho", 6, 0 }, { "julho", 7, 0 }, { "agosto", 8, 0 },
    { "setembro", 9, 0 }, { "outubro", 10, 0 }, { "novembro", 11, 0 },
    { "dezembro", 12, 0 }, { NULL, 0, 0 }
};
static const hny_qa_month_t s_months_it [] = {
    { "gennaio", 1, 0 }, { "febbraio", 2, 0 }, { "marzo", 3, 0 }, { "aprile", 4, 0 },
    { "maggio", 5, 0 }, { "giugno", 6, 0 }, { "luglio", 7, 0 }, { "agosto", 8, 0 },
    { "settembre", 9, 0 }, { "ottobre", 10, 0 }, { "novembre", 11, 0 },
    { "dicembre", 12, 0 }, { NULL, 0, 0 }
};

/* Scale words. Long-scale languages: billón, billion (fr), Billion (de) are 10^12. */
const hny_qa_word_t hny_qa_scales_en [] = {
    { "thousand", 1e3 }, { "million", 1e6 }, { "millions", 1e6 }, { "billion", 1e9 },
    { "billions", 1e9 }, { "trillion", 1e12 }, { "bn", 1e9 }, { NULL, 0 }
};
static const hny_qa_word_t s_scales_es [] = {
    { "mil", 1e3 }, { "miles", 1e3 }, { "millón", 1e6 }, { "millon", 1e6 }, { "millones", 1e6 },
    { "billón", 1e12 }, { "billones", 1e12 }, { NULL, 0 }
};
static const hny_qa_word_t s_scales_fr [] = {
    { "mille", 1e3 }, { "million", 1e6 }, { "millions", 1e6 }, { "milliard", 1e9 },
    { "milliards", 1e9 }, { "billion", 1e12 }, { "billions", 1e12 }, { NULL, 0 }
};
static const hny_qa_word_t s_scales_de [] = {
    { "tausend", 1e3 }, { "million", 1e6 }, { "millionen", 1e6 }, { "mio", 1e6 },
    { "milliarde", 1e9 }, { "milliarden", 1e9 }, { "mrd", 1e9 }, { "billion", 1e12 },
    { "billionen", 1e12 }, { NULL, 0 }
};
static const hny_qa_word_t s_scales_pt [] = {
    { "mil", 1e3 }, { "milhão", 1e6 }, { "milhões", 1e6 }, { "bilhão", 1e9 },
    { "bilhões", 1e9 }, { "trilhão", 1e12 }, { "trilhões", 1e12 }, { NULL, 0 }
};
static const hny_qa_word_t s_scales_it [] = {
    { "mila", 1e3 }, { "mille", 1e3 }, { "milione", 1e6 }, { "milioni", 1e6 },
    { "miliardo", 1e9 }, { "miliardi", 1e9 }, { NULL, 0 }
};

/* Noon and midnight. */
static const hny_qa_word_t s_clock_en [] = { { "noon", 720 }, { "midnight", 0 }, { NULL, 0 } };
static const hny_qa_word_t s_clock_es [] = { { "mediodía", 720 }, { "medianoche", 0 }, { NULL, 0 } };
static const hny_qa_word_t s_clock_fr [] = { { "midi", 720 }, { "minuit", 0 }, { NULL, 0 } };
static const hny_qa_word_t s_clock_de [] = { { "mittag", 720 }, { "mitternacht", 0 }, { NULL, 0 } };
static const hny_qa_word_t s_clock_it [] = { { "mezzogiorno", 720 }, { "mezzanotte", 0 }, { NULL, 0 } };

static const hny_qa_lang_t s_langs [] = {
    { "en", 0, 0, 0, 1, hny_qa_months_en, 1, hny_qa_scales_en, HNY_QA_DATE_MONTH_DAY, s_clock_en },
    { "ja", 1, 0, 0, 0, NULL, 0, NULL, HNY_QA_DATE_NONE, NULL },
    { "zh", 1, 0, 0, 0, NULL, 0, NULL, HNY_QA_DATE_NONE, NULL },
    { "es", 0, 1, 1, 0, s_months_es, 0, s_scales_es, HNY_QA_DATE_DAY_DE_MONTH, s_clock_es },
    { "fr", 0, 1, 1, 0, s_months_fr, 0, s_scales_fr, HNY_QA_DATE_DAY_MONTH, s_clock_fr },
    { "de", 0, 1, 1, 0, s_months_de, 0, s_scales_de, HNY_QA_DATE_DAY_DOT_MONTH, s_clock_de },
    { "pt", 0, 1, 1, 0, s_months_pt, 0, s_scales_pt, HNY_QA_DATE_DAY_DE_MONTH, NULL },
    { "it", 0, 1, 1, 0, s_months_it, 0, s_scales_it, HNY_QA_DATE_DAY_MONTH, s_clock_it },
};
/* Any other language: digits read either way, no words. */
static const hny_qa_lang_t s_generic = { "", 0, 0, 1, 0, NULL, 0, NULL, HNY_QA_DATE_NONE, NULL };

const hny_qa_lang_t *
hny_qa_lang (const char *tag)
{
    size_t len = tag ? strcspn (tag, "-_") : 0;
    for (size_t i = 0; i < sizeof s_langs / sizeof s_langs [0]; i++)
        if (strlen (s_langs [i].code) == len && strncasecmp (tag, s_langs [i].code, len) == 0)
            return &s_langs [i];
    return &s_generic;
}

int hny_qa_lang_cjk (const hny_qa_lang_t *lang) { return lang->cjk; }
int hny_qa_lang_dates (const hny_qa_lang_t *lang) { return lang->cjk || lang->months != NULL; }

/* ------------------------------------------------------------ forms */

/* Append s to out (size bytes with the NUL), cutting it when full. */
static void
s_cat (char *out, size_t size, const char *s)
{
    size_t len = strlen (out);
    if (len + 1 < size)
        snprintf (out + len, size - len, "%s", s);
}

/* v with groups of three joined by sep (1,500; 1.500; 1 500). */
static void
s_grouped (double v, char sep, char *out, size_t size)
{
    char digits [32];
    snprintf (digits, sizeof digits, "%.0f", v);
    size_t n = strlen (digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < size; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            out [o++] = sep;
        out [o++] = digits [i];
    }
    out [o] = '\0';
}

/* A value below 10000 in kanji numerals (千五百, 二十). */
static void
s_kanji (int v, char *out, size_t size)
{
    static const char *const digit [] = { "", "一", "二", "三", "四", "五", "六", "七", "八", "九" };
    static const char *const unit [] = { "千", "百", "十", "" };
    static const int place [] = { 1000, 100, 10, 1 };
    out [0] = '\0';
    for (int i = 0; i < 4; i++) {
        int d = v / place [i] % 10;
        if (!d)
            continue;
        if (d > 1 || i == 3)
            s_cat (out, size, digit [d]);
        s_cat (out, size, unit [i]);
    }
}

/* A value in 兆, 億 and 万 (1兆2000億, 230万, 1万5000). */
static void
s_man (double v, char *out, size_t size)
{
    static const struct { double unit; const char *s; } units [] = {
        { 1e12, "兆" }, { 1e8, "億" }, { 1e4, "万" }
    };
    out [0] = '\0';
    double rest = v;
    for (size_t i = 0; i < 3; i++) {
        double q = floor (rest / units [i].unit + S_EPSILON);
        if (q >= 1) {
            char part [32];
            snprintf (part, sizeof part, "%.0f%s", q, units [i].s);
            s_cat (out, size, part);
            rest -= q * units [i].unit;
        }
    }
    if (rest >= 1) {
        char part [32];
        snprintf (part, sizeof part, "%.0f", rest);
        s_cat (out, size, part);
    }
}

/* Join up to three forms as "a, b or c". */
static void
s_join (char forms [][40], int n, char *out, size_t size)
{
    out [0] = '\0';
    for (int i = 0; i < n; i++) {
        if (i > 0)
            s_cat (out, size, i == n - 1 ? " or " : ", ");
        s_cat (out, size, forms [i]);
    }
}

static void
s_number_forms (const hny_fact_t *f, const hny_qa_lang_t *lang, char *out, size_t size)
{
    char forms [3][40];
    int n = 0;
    double v = f->readings ? f->value [0] : 0;
    int whole = v == floor (v) && v < 1e15;
    if (f->year && whole) {
        /* a year: 2024, 2024年 */
        snprintf (forms [n++], sizeof forms [0], "%.0f", v);
        if (lang->cjk)
            snprintf (forms [n++], sizeof forms [0], "%.0f年", v);
    }
    else if (!whole) {
        snprintf (forms [n], sizeof forms [n], "%.6g", v);
        if (lang->comma_decimal)
            for (char *c = forms [n]; *c; c++)
                if (*c == '.')
                    *c = ',';
        n++;
    }
    else if (lang->cjk) {
        if (v >= 1e4)
            s_man (v, forms [n++], sizeof forms [0]);
        else
            snprintf (forms [n++], sizeof forms [0], "%.0f", v);
        if (v >= 1000)
            s_grouped (v, ',', forms [n++], sizeof forms [0]);
        if (v >= 1 && v < 1e4)
            s_kanji ((int) v, forms [n++], sizeof forms [0]);
    }
    else if (lang->comma_decimal) {
        s_grouped (v, '.', forms [n++], sizeof forms [0]);
        if (v >= 1000) {
            s_grouped (v, ' ', forms [n++], sizeof forms [0]);
            snprintf (forms [n++], sizeof forms [0], "%.0f", v);
        }
    }
    else {
        s_grouped (v, ',', forms [n++], sizeof forms [0]);
        static const struct { double unit; const char *s; } scales [] = {
            { 1e12, "trillion" }, { 1e9, "billion" }, { 1e6, "million" }
        };
        for (size_t i = 0; lang->english && i < 3; i++)
            if (v >= scales [i].unit) {
                snprintf (forms [n++], sizeof forms [0], "%.4g %s", v / scales [i].unit, scales [i].s);
                break;
            }
        if (!lang->english && v >= 1000)
            snprintf (forms [n++], sizeof forms [0], "%.0f", v);
    }
    s_join (forms, n, out, size);
}

/* The first full name of a month in lang. */
static const char *
s_month_name (const hny_qa_lang_t *lang, int month)
{
    for (const hny_qa_month_t *m = lang->months; m && m->name; m++)
        if (m->month == month && !m->abbreviation)
            return m->name;
    return NULL;
}

static void
s_date_forms (const hny_fact_t *f, const hny_qa_lang_t *lang, char *out, size_t size)
{
    char forms [3][40];
    int n = 0;
    const char *name = f->month ? s_month_name (lang, f->month) : NULL;
    if (lang->cjk) {
        if (f->month && f->day)
            snprintf (forms [n++], sizeof forms [0], "%d月%d日", f->month, f->day);
        if (f->day)
            snprintf (forms [n++], sizeof forms [0], "%d日", f->day);
        else
            snprintf (forms [n++], sizeof forms [0], "%d月", f->month);
    }
    else if (name && f->day) {
        switch (lang->date_style) {
        case HNY_QA_DATE_MONTH_DAY:
            snprintf (forms [n++], sizeof forms [0], "%s %d", name, f->day);
            break;
        case HNY_QA_DATE_DAY_DE_MONTH:
            snprintf (forms [n++], sizeof forms [0], "%d de %s", f->day, name);
            break;
        case HNY_QA_DATE_DAY_DOT_MONTH:
            snprintf (forms [n++], sizeof forms [0], "%d. %s", f->day, name);
            break;
        default:
            snprintf (forms [n++], sizeof forms [0], "%d %s", f->day, name);
            break;
        }
    }
    else if (name)
        snprintf (forms [n++], sizeof forms [0], "%s", name);
    else
        snprintf (forms [n++], sizeof forms [0], "%d", f->day ? f->day : f->month);
    s_join (forms, n, out, size);
}

static void
s_time_forms (const hny_fact_t *f, const hny_qa_lang_t *lang, char *out, size_t size)
{
    char forms [3][40];
    int n = 0;
    int h = f->minutes / 60, m = f->minutes % 60;
    int h12 = h % 12 ? h % 12 : 12;
    if (lang->cjk) {
        char mins [16] = "";
        if (m == 30)
            snprintf (mins, sizeof mins, "半");
        else if (m)
            snprintf (mins, sizeof mins, "%d分", m);
        if (f->half_known)
            snprintf (forms [n++], sizeof forms [0], "%s%d時%s", h < 12 ? "午前" : "午後", h % 12, mins);
        snprintf (forms [n++], sizeof forms [0], "%d時%s", f->half_known ? h : h12, mins);
    }
    else if (lang->english && f->half_known) {
        if (m)
            snprintf (forms [n++], sizeof forms [0], "%d:%02d %s", h12, m, h < 12 ? "a.m." : "p.m.");
        else
            snprintf (forms [n++], sizeof forms [0], "%d %s", h12, h < 12 ? "a.m." : "p.m.");
        snprintf (forms [n++], sizeof forms [0], "%d:%02d", h, m);
    }
    else
        snprintf (forms [n++], sizeof forms [0], "%d:%02d", f->half_known ? h : h12, m);
    s_join (forms, n, out, size);
}

void
hny_fact_forms (const hny_fact_t *fact, const hny_qa_lang_t *lang, char *out, size_t size)
{
    if (!size)
        return;
    out [0] = '\0';
    switch (fact->kind) {
    case HNY_FACT_NUMBER:
        s_number_forms (fact, lang, out, size);
        break;
    case HNY_FACT_DATE:
        s_date_forms (fact, lang, out, size);
        break;
    case HNY_FACT_TIME:
        s_time_forms (fact, lang, out, size);
        break;
    }
}
