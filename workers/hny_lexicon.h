/*  hny_lexicon.h: the bilingual English-Japanese dictionary of the sentence
    aligner (hny_align.h), and the word finders of both languages.

    The dictionary is Debian's `edict` (EDICT, EUC-JP, about 180,000
    entries), read once per worker and converted with ICU. It is kept as
    one index: an English word's stem -> the keys of its Japanese
    headwords. Only glosses of up to four words are read (longer ones are
    explanations, not translations), and each stem keeps at most
    HNY_LEXICON_MAX_SENSES headwords, the common ones ("(P)") first.

    English words are lowercased ASCII, function words dropped, lightly
    stemmed ("wages" = "wage", "raised" = "raise"), the same way on the
    dictionary's glosses and on the text. Japanese words are MeCab's
    (Debian `mecab` with `mecab-ipadic-utf8`, through its C API): the base
    forms of nouns, verbs and adjectives; MeCab also gives the readings of
    proper nouns, which become name anchors (hny_anchor_romaji).

    Keys are 32-bit hashes of a Japanese word; two words that hash alike
    would meet, which with ~200,000 distinct words happens about once in
    20,000 pairs of them: noise well below the dictionary's own.

    A lexicon is used by one thread at a time (MeCab's tagger keeps state). */
#ifndef HNY_LEXICON_H
#define HNY_LEXICON_H

#include <stddef.h>
#include <stdint.h>

/* Where Debian puts them. */
#define HNY_LEXICON_EDICT   "/usr/share/edict/edict"
#define HNY_LEXICON_IPADIC  "/var/lib/mecab/dic/ipadic-utf8"

#define HNY_LEXICON_MAX_FILE   (64u * 1024 * 1024) /* bytes of edict (19 MB in Debian 12) */
#define HNY_LEXICON_MAX_PAIRS  4000000  /* stem -> headword pairs read (about 600,000 in Debian 12) */
#define HNY_LEXICON_MAX_SENSES 32       /* headwords kept per English stem */

/* Content words kept per sentence: 64, the width of the aligner's match
   masks; a sentence of more than 64 content words is a list, and its
   first 64 words tell enough. */
#define HNY_LEXICON_MAX_WORDS 64

typedef struct _hny_lexicon_t hny_lexicon_t;

typedef struct {
    const char *edict;      /* EDICT file; NULL: HNY_LEXICON_EDICT; "": no dictionary */
    const char *dicdir;     /* MeCab dictionary; NULL: HNY_LEXICON_IPADIC; "": no MeCab */
} hny_lexicon_opts_t;

/* Load the dictionary and start MeCab. A part that is asked for by name
   and cannot be had is an error: NULL with *error (caller owns). With
   opts NULL (or NULL members) the Debian paths are tried and a part that
   is missing is left out: hny_lexicon_describe says what is there.
   Caller owns the result. */
hny_lexicon_t *hny_lexicon_new (const hny_lexicon_opts_t *opts, char **error);
void hny_lexicon_destroy (hny_lexicon_t **self_p);

/* One line on what was loaded: "edict: 183,000 headwords, 560,000 pairs,
   9.1 MB, 210 ms; mecab: ipadic-utf8" or "... no dictionary". Borrowed. */
const char *hny_lexicon_describe (const hny_lexicon_t *self);

/* 1 when both the dictionary and MeCab are there: the dictionary's
   evidence needs both sides' words. */
int hny_lexicon_complete (const hny_lexicon_t *self);

/* Figures of the load, for benchmarks: index pairs, bytes held, load time. */
void hny_lexicon_stats (const hny_lexicon_t *self, size_t *pairs, size_t *bytes, double *load_ms);

/* An English word of a sentence, and the Japanese keys it translates to
   (borrowed from the lexicon). */
typedef struct {
    const uint32_t *keys;
    uint32_t count;
} hny_lexicon_word_t;

/* The content words of English text that the dictionary knows, up to max
   (<= HNY_LEXICON_MAX_WORDS), each once. Returns how many. */
size_t hny_lexicon_english (const hny_lexicon_t *self, const char *text,
                            hny_lexicon_word_t *words, size_t max);

/* The content words of Japanese text (valid UTF-8, NUL-terminated) as
   keys, sorted and each once, up to max; and the name keys of its proper
   nouns (hny_anchor_romaji) into names, up to max_names, *n_names set.
   Returns the number of words; 0 without MeCab. */
size_t hny_lexicon_japanese (hny_lexicon_t *self, const char *text,
                             uint32_t *words, size_t max,
                             uint32_t *names, size_t max_names, size_t *n_names);

/* The key of a Japanese word (what hny_lexicon_japanese gives for it). */
uint32_t hny_lexicon_key (const char *word, size_t len);

#endif
