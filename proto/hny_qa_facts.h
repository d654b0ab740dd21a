/*  hny_qa_facts.h: the numbers, dates and times of a text, as the checks
    of honyaku/qa.h compare them across languages (private to hny_qa.c).

    A text (plain, NFKC-normalized UTF-8) is read once, left to right, in
    the forms of its language (hny_qa_lang): digits with the language's
    separators (1,500 / 1.500 / 1 500), scale words (2.3 million, 2,3
    millones), Japanese and Chinese units (230万, 1兆2000億, 3割, 3分の1),
    dates (May 12, 12 de mayo, 2024年5月12日, 12日), times (6 p.m., 18:00,
    午後6時半) and, on the target side, numbers written out (three, 千五百).
    Each becomes a fact: a number (with its possible readings), a date
    (month and day, either missing; a year is a number of its own) or a
    time of day (minutes, and whether the half of the day is known).

    Codes are not numbers: digits glued to a Latin letter (G7, COVID-19,
    F-35, PM2.5) and placeholders (⟦1⟧) are skipped. */
#ifndef HNY_QA_FACTS_H
#define HNY_QA_FACTS_H

#include <stddef.h>

/* Facts read per text: a sentence of news holds a handful; a table run
   into one segment could hold hundreds, and the first ones are enough to
   tell a translation that kept them from one that did not. */
#define HNY_FACTS_MAX       64
#define HNY_FACT_READINGS   3           /* readings kept per number */
#define HNY_FACT_FORMS_MAX  96          /* bytes of hny_fact_forms' text */

/* What the reader knows of a language (a static table of hny_qa_lang.c;
   never freed). */
typedef struct _hny_qa_lang_t hny_qa_lang_t;

/* The entry of a language subtag ("ja", "es"; "ja-JP" reads as "ja").
   Never NULL: a language without an entry gets the generic one (digits,
   either decimal mark, no words). */
const hny_qa_lang_t *hny_qa_lang (const char *tag);
/* 1 for Japanese and Chinese (年月日, 万/億, no spaces between words). */
int hny_qa_lang_cjk (const hny_qa_lang_t *lang);
/* 1 when the reader knows the language's month names or date forms:
   a date of the source can be looked for in it as a date. */
int hny_qa_lang_dates (const hny_qa_lang_t *lang);

typedef enum {
    HNY_FACT_NUMBER = 1,
    HNY_FACT_DATE,
    HNY_FACT_TIME
} hny_fact_kind_t;

typedef struct {
    hny_fact_kind_t kind;
    double value [HNY_FACT_READINGS];   /* number: its readings (1.500 in Spanish: 1500, 1.5) */
    int readings;
    int round_ok;               /* number: a rounded target matches (large or scaled amounts) */
    int year;                   /* number: written as a year (2024, 2024年, 令和6年) */
    int checked;                /* a source fact that must be in the target: written with
                                   digits or a month's name, not spelled out */
    int month, day;             /* date: 1-12 and 1-31, 0 when not given */
    int minutes;                /* time: since midnight, 0-1439 */
    int half_known;             /* time: a.m./p.m., 午前/午後 or a 24-hour clock said which half */
    size_t start, end;          /* its bytes in the text */
} hny_fact_t;

/* A reader of the texts of one language on one side of a pair: what it
   can know before reading (which first letters could start a month's
   name, noon or midnight, or an English number word, and the month names
   by first letter), made once per checker. target: 1 for the reader of
   translations, whose numbers are read in every way they could mean them
   (both decimal marks); a source is read in its language's way only.
   Caller owns; lang must outlive it (hny_qa_lang's entries always do). */
typedef struct _hny_facts_reader_t hny_facts_reader_t;
hny_facts_reader_t *hny_facts_reader_new (const hny_qa_lang_t *lang, int target);
/* Accepts a NULL *self_p; sets *self_p to NULL. */
void hny_facts_reader_destroy (hny_facts_reader_t **self_p);

/* Read the facts of [text, text + len) (NUL-terminated at len) with
   reader into facts (at most max). Returns how many. The reader is not
   changed: threads may share it. */
size_t hny_facts_read (const hny_facts_reader_t *reader, const char *text, size_t len,
                       hny_fact_t *facts, size_t max);

/* 1 when fact (of a source) is among the count facts (of its target). */
int hny_fact_found (const hny_fact_t *fact, const hny_fact_t *facts, size_t count);

/* 1 when a and b are the same fact (a source that says it twice is
   flagged once). */
int hny_fact_same (const hny_fact_t *a, const hny_fact_t *b);

/* How fact would be written in lang, for a flag's detail (hny_qa_lang.c): up to three
   forms joined by ", " and " or " ("1500, 1,500 or 千五百"; "5月12日 or
   12日"; "6 p.m. or 18:00"). out gets at most size bytes with its NUL. */
void hny_fact_forms (const hny_fact_t *fact, const hny_qa_lang_t *lang, char *out, size_t size);

#endif
