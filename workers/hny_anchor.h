/*  hny_anchor.h: the lexical anchors of the sentence aligner (hny_align.h):
    things that a translation carries over in a form that can be compared
    without translating, found in a sentence and reduced to 32-bit keys.

    - Numbers, as values: "1,500" and "1500" and "１５００" are one key;
      English scale words ("2.3 million", "1.2 trillion") and Japanese
      multipliers ("230万", "1兆2000億", "3割" = 30) are applied, so
      "2.3 million" and "230万" meet. Spelled-out English numbers up to
      twenty, and Japanese kanji numerals before a counter ("三人"), count.
    - Dates: a month ("May", "5月") and a day ("May 12", "12日") are keys of
      their own, so that "May 12" meets "5月12日" and the "12日" that
      Japanese writes when the month is plain; a full date (hny_date_find)
      adds one more key; an era year ("令和6年") is its Western year.
    - Names: Latin-script words written with a capital or in capitals
      ("JCP", "NATO", "Shii"), lowercased; and names given as a Japanese
      reading (katakana, as MeCab gives it) through hny_anchor_romaji, so
      that 志位 (シイ) meets "Shii". Both go through one normalization
      (long vowels folded: "Tokyo" = トウキョウ).

    Keys of different kinds never meet (the kind is part of the key). The
    functions only read their text (NUL-terminated UTF-8; invalid bytes
    are skipped, never read past the NUL) and write at most max keys. */
#ifndef HNY_ANCHOR_H
#define HNY_ANCHOR_H

#include <stddef.h>
#include <stdint.h>

/* Anchors kept per sentence: a sentence of news rarely holds more than a
   dozen numbers and names; a table row that holds hundreds would swamp
   the rest of the score. */
#define HNY_ANCHOR_MAX 32

/* Kinds, for hny_anchor_key. */
typedef enum {
    HNY_ANCHOR_NUMBER = 1,
    HNY_ANCHOR_MONTH = 2,
    HNY_ANCHOR_DAY = 3,
    HNY_ANCHOR_DATE = 4,    /* a full date, "YYYY-MM-DD" */
    HNY_ANCHOR_NAME = 5
} hny_anchor_kind_t;

/* The key of a kind and a text (len bytes): a 32-bit hash of both. */
uint32_t hny_anchor_key (hny_anchor_kind_t kind, const char *text, size_t len);

/* Numbers, dates and Latin-script names in text. japanese selects the
   forms of Japanese (multipliers, M月D日, eras, counters) or of English
   (scale words, month names, number words). Writes up to max keys into
   keys, sorted; returns how many. */
size_t hny_anchor_find (const char *text, int japanese, uint32_t *keys, size_t max);

/* The name key of a katakana reading (MeCab's reading of a proper noun:
   "シイ", "トウキョウ"): Hepburn romaji, normalized as the Latin names
   are. Returns 0 when the reading is not all katakana or romanizes to
   fewer than 3 letters (too short to tell one name from another). */
uint32_t hny_anchor_romaji (const char *reading, size_t len);

/* Sort keys ascending (a small insertion sort: n <= HNY_ANCHOR_MAX). */
void hny_anchor_sort (uint32_t *keys, size_t n);

/* Keys in common between two sorted multisets (each key counted as often
   as it is in both). */
size_t hny_anchor_common (const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

#endif
