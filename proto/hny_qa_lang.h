/*  hny_qa_lang.h: what the readers of hny_qa_facts.c know of each
    language (month names, scale words, decimal marks, how a date is
    written), and the writer of a fact in a language's forms (private to
    hny_qa.c and hny_qa_facts.c). The tables live in hny_qa_lang.c. */
#ifndef HNY_QA_LANG_H
#define HNY_QA_LANG_H

#include "hny_qa_facts.h"

typedef struct {
    const char *word;           /* lower case (compared without ASCII case) */
    double value;
} hny_qa_word_t;

typedef struct {
    const char *name;           /* as written; compared without ASCII case */
    int month;                  /* 1-12 */
    int abbreviation;           /* 1: a month only before a day ("Dec. 12") */
} hny_qa_month_t;

/* How a date is written with a month's name, for hny_fact_forms. */
typedef enum {
    HNY_QA_DATE_NONE = 0,       /* no month names known */
    HNY_QA_DATE_MONTH_DAY,      /* May 12 */
    HNY_QA_DATE_DAY_DE_MONTH,   /* 12 de mayo */
    HNY_QA_DATE_DAY_MONTH,      /* 12 mai */
    HNY_QA_DATE_DAY_DOT_MONTH   /* 12. Mai */
} hny_qa_date_style_t;

struct _hny_qa_lang_t {
    const char *code;           /* language subtag; "" for the generic entry */
    int cjk;                    /* Japanese, Chinese: units, 年月日, kanji numerals */
    int comma_decimal;          /* 2,3 is 2.3 and 1.500 is 1500 */
    int space_groups;           /* 1 500 is 1500 */
    int english;                /* a.m./p.m., noon, number words, ordinals */
    const hny_qa_month_t *months;   /* NULL-terminated; NULL when none known */
    int month_capital;          /* a month's name starts with a capital (English "may") */
    const hny_qa_word_t *scales;    /* after a number: 2.3 million; NULL-terminated */
    hny_qa_date_style_t date_style;
    const hny_qa_word_t *clock;     /* noon and midnight: minutes since midnight */
};

/* The English tables, which the readers also use on a target of another
   language (machine output keeps "April", "7.9 trillion"). */
extern const hny_qa_month_t hny_qa_months_en [];
extern const hny_qa_word_t hny_qa_scales_en [];

#endif
