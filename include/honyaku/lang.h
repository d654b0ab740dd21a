/*  honyaku/lang.h: language tags. Every language honyaku takes from a
    person or a peer (SUBMIT's from and to, `honyaku prepare --from`,
    export's --pair) is a BCP 47 tag (RFC 5646), checked and brought to its
    canonical form by ICU, so that "EN", "en" and "en_US"/"en-us" are one
    language each and the store, the translation memory, the idempotency
    keys and the exported files (TMX, XLIFF) only ever see "en", "en-US".

    A tag is accepted when ICU parses all of it as BCP 47 ('_' is taken for
    '-', case does not matter) and its language subtag is one ICU knows as
    an ISO 639 code (ICU's ISO language list: about 600 codes, every
    two-letter one and the three-letter ones of living written languages).
    Refused: anything else ("english", "xx", "e", "en--US"), non-ASCII,
    more than HNY_LANG_MAX bytes, and the codes that name no one language
    (und, mul, mis, zxx). Canonical: lower-case language, title-case
    script, upper-case region, deprecated codes replaced ("iw" -> "he",
    "in" -> "id"), as ICU's uloc_toLanguageTag writes them. */
#ifndef HNY_LANG_H
#define HNY_LANG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of a language tag, given or canonical. Language, script, region
   and a short variant fit ("yue-Hant-HK", "de-CH-1996"); it is also the
   most every backend mapping and the worker's segmenter take. */
#define HNY_LANG_MAX 15
/* Room for the reason of a refusal, the tag it names included. */
#define HNY_LANG_WHY_MAX 192

/* Check tag and write its canonical form into out (HNY_LANG_MAX + 1
   bytes; may be tag's own buffer). Returns 0, or -1 with out set to ""
   and, when why is not NULL, a one-line reason in why (at most why_size
   bytes, HNY_LANG_WHY_MAX is enough) that quotes the tag with anything
   unprintable as '?': "unknown language 'english' (use a BCP 47 tag such
   as en, ja, pt-BR)". tag may be NULL (refused). Thread-safe. */
int hny_lang_canonical (const char *tag, char *out, char *why, size_t why_size);

/* A language pair as a person writes it on a command line: "SRC:TGT",
   or "SRC-TGT" when exactly one of its hyphens splits it into two valid
   tags ("en-ja", "pt-BR-ja"; "en-US-ja" is ambiguous and refused with a
   hint to use ':'). from and to get the canonical tags (HNY_LANG_MAX + 1
   bytes each). Returns 0, or -1 with the reason in why as above. */
int hny_lang_pair (const char *pair, char *from, char *to, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif
#endif
