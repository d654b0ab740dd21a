/*  honyaku/qa.h: checks on one translated segment (source, target and the
    language pair), the same in the worker (each translated segment of a
    translate RESULT carries its flags, proto/PROTOCOL.md 5.3 and 12.2)
    and in the client (`honyaku qa records.jsonl`).

    A check reports what it found as a flag: its name, what it found in a
    few words, and a one-line detail. The checks, in the order they run:

      tags       the inline markup (honyaku/inline.h) of the source is not
                 that of the target: an element missing or duplicated, a
                 tag left unpaired, a placeholder (⟦n⟧) left in the text
      identical  the target is the source, untranslated (languages differ
                 and the source has words)
      script     the target is not written in its language's scripts
                 (ICU uscript: a Japanese target with no kana or kanji, an
                 English one mostly CJK)
      glossary   a glossary term of the source whose target term is not in
                 the target
      number     a number or amount of the source (digits: 1,500, 2.3
                 million, 230万, 30%, 3割) that is not in the target in any
                 of the target language's forms (1500, 1,500, 千五百; 1.500
                 or 1 500 in Spanish)
      date       a date (May 12, 5月12日, 12日, 12 de mayo) not in the target
      time       a time of day (6 p.m., 午後6時, 18時, 18:00) not in it
      length     the target's length is far from what the pair's norm
                 predicts for the source's (Gale-Church, per pair)

    Texts are segments in the inline form; the checks read their plain
    text, NFKC-normalized (full-width digits and letters count as ASCII).
    Numbers, dates and times of the source are those written with digits
    (or a month's name): a number spelled out ("three", 三) is not asked
    for, but is accepted in the target. A flag is raised only for what a
    check can verify: a language whose forms it does not know gets the
    checks that need none. */
#ifndef HNY_QA_H
#define HNY_QA_H

#include <jansson.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Caps of a flag, which travel in every RESULT and record: a segment
   gets at most HNY_QA_MAX_FLAGS (the first found, in the order above);
   the strings are cut at a character boundary to these bytes. */
#define HNY_QA_MAX_FLAGS    8
#define HNY_QA_CHECK_MAX    16          /* bytes of a check's name */
#define HNY_QA_WHAT_MAX     64          /* bytes of what */
#define HNY_QA_DETAIL_MAX   160         /* bytes of detail */
/* Glossary terms a checker keeps (a profile's glossary has at most 5000). */
#define HNY_QA_MAX_TERMS    5000

typedef enum {
    HNY_QA_TAGS = 0,
    HNY_QA_IDENTICAL,
    HNY_QA_SCRIPT,
    HNY_QA_GLOSSARY,
    HNY_QA_NUMBER,
    HNY_QA_DATE,
    HNY_QA_TIME,
    HNY_QA_LENGTH,
    HNY_QA_CHECKS               /* the number of checks */
} hny_qa_check_t;

/* Every check, as a mask for hny_qa_select. */
#define HNY_QA_ALL ((1u << HNY_QA_CHECKS) - 1)

/* One flag. what and detail are NUL-terminated UTF-8. */
typedef struct {
    hny_qa_check_t check;
    char what [HNY_QA_WHAT_MAX + 1];        /* what was found: "1,500", "<b>", "JCP" */
    char detail [HNY_QA_DETAIL_MAX + 1];    /* why it is flagged, one line */
} hny_qa_flag_t;

/* A checker for one language pair. */
typedef struct _hny_qa_t hny_qa_t;

/* A checker from language from to language to (BCP 47 tags, as records
   carry them; only the language subtag is read, and an unknown one gets
   the checks that need no knowledge of it). Caller owns. */
hny_qa_t *hny_qa_new (const char *from, const char *to);
void hny_qa_destroy (hny_qa_t **self_p);

/* Add a glossary term the translation was to respect: where the source
   holds src, the target must hold tgt (ASCII letters compared without
   case, both NFKC). Terms are matched as the worker's glossary matches
   them (the longest at each position), and a term that begins or ends
   with an ASCII letter or digit only where no such character touches it.
   Returns 0, or -1 for an empty or invalid term or past HNY_QA_MAX_TERMS. */
int hny_qa_term (hny_qa_t *self, const char *src, const char *tgt);
size_t hny_qa_terms (const hny_qa_t *self);

/* The checks to run: a mask of (1u << hny_qa_check_t); HNY_QA_ALL at first. */
void hny_qa_select (hny_qa_t *self, unsigned mask);

/* Check a translated segment: src and tgt in the inline form (any bytes;
   invalid UTF-8 is read as U+FFFD). Fills flags (at most
   HNY_QA_MAX_FLAGS) and returns how many. */
size_t hny_qa_run (hny_qa_t *self, const char *src, size_t src_len, const char *tgt,
                   size_t tgt_len, hny_qa_flag_t flags [HNY_QA_MAX_FLAGS]);

/* The flags as the JSON array records carry: [{"check", "what",
   "detail"}, ...]. Caller owns. */
json_t *hny_qa_json (const hny_qa_flag_t *flags, size_t count);

/* 1 when value is a qa array as PROTOCOL.md 12.2 allows (1 to
   HNY_QA_MAX_FLAGS objects of exactly "check" (1 to HNY_QA_CHECK_MAX
   bytes of a-z and _), "what" (at most HNY_QA_WHAT_MAX bytes) and
   "detail" (1 to HNY_QA_DETAIL_MAX bytes), strings without control
   characters), else 0. A check's name may be one this build does not
   know (a newer worker's). */
int hny_qa_json_valid (const json_t *value);

/* A check's name ("number"), and the check of a name (-1 when unknown). */
const char *hny_qa_check_name (hny_qa_check_t check);
int hny_qa_check_parse (const char *name);

#ifdef __cplusplus
}
#endif
#endif
