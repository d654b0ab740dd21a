/*  hny_align.h: the sentence aligner. Two texts that translate each other
    (a Japan Press Weekly article and the Akahata article it renders), each
    a list of sentences in paragraphs as the prepare step makes them, go in;
    links come out, in reading order, each joining 0 to 3 sentences of one
    side to 0 to 3 of the other: 1-1, 1-2, 2-1, 2-2, 1-3, 3-1, and 1-0 / 0-1
    for a sentence that the translator dropped or added. Every sentence is
    in exactly one link.

    How (Gale and Church 1993, with the lexical evidence of hunalign): a
    dynamic program over the grid of (sentences of one side read, sentences
    of the other side read) finds the chain of links of least total cost,
    where a link costs
      - its kind's prior (-log of how often translators do that),
      - a length model: the characters of one side predict those of the
        other (a ratio c and a variance s2 per character, fitted for
        English-Japanese on hand-aligned pairs: hny_align.c gives the
        figures), as -log P(|delta|) of a normal deviate,
      - minus the lexical evidence: anchors both sides share (numbers,
        dates, names: hny_anchor.h) and the share of words that the
        bilingual dictionary pairs (hny_lexicon.h, English-Japanese only),
      - minus a little when both sides start a paragraph there,
      - when the source comes with machine translations (an align job
        with a backend; bleualign's idea), minus the character bigrams
        the translations of the link's source sentences share with its
        target sentences (Dice overlap) above what chance gives, weighted
        to outweigh the length model; overlap below chance costs
        nothing, so a poor translation changes nothing.
    Past HNY_ALIGN_FULL_CELLS grid cells only a band around the diagonal is
    searched, so a long text costs time and memory in proportion to its
    length, not its square.

    Each link gets a score in [0, 1]: how much better the link is than
    leaving its sentences unlinked (for a link with a null side, how much
    better that is than the best pairing near it). The alignment gets the
    mean of its links' scores (weighted by characters) and a warning when
    it is doubtful: an empty side, one side far longer than the other
    predicts, a low score. */
#ifndef HNY_ALIGN_H
#define HNY_ALIGN_H

#include <honyaku/record.h>

#include <jansson.h>
#include <stddef.h>

#include "hny_lexicon.h"

/* Sentences per side. A news article has tens; the longest texts the
   archive pairs (party congress reports) have a few thousand. 20,000
   bounds one alignment at about 20,000 x 2 x HNY_ALIGN_BAND_MAX cells:
   20 MB of back-pointers and a few seconds, whatever comes in. The
   broker checks the same cap (honyaku/record.h) before it sends an align
   task. */
#define HNY_ALIGN_MAX_SENTENCES HNY_ALIGN_SENTENCES_MAX

/* Grid cells searched in full (every pairing considered): up to
   1,000 x 1,000 sentences, where a banded search would save nothing
   worth its risk. Past it, the band. */
#define HNY_ALIGN_FULL_CELLS 1000000

/* Half-width of the band, in sentences: a twentieth of the longer side,
   but at least 50 (a run of 50 dropped sentences still aligns) and at
   most 400 (memory and time); and always wide enough to join the corners
   when one side has many more sentences than the other. */
#define HNY_ALIGN_BAND_MIN 50
#define HNY_ALIGN_BAND_MAX 400

/* One side of an alignment. */
typedef struct {
    const char *lang;                   /* "en", "ja", ... */
    const char *const *sentences;       /* count of them, UTF-8 in the inline
                                           form (invalid bytes are read as
                                           U+FFFD); borrowed */
    const size_t *paragraph;            /* each sentence's paragraph number,
                                           non-decreasing; NULL: one paragraph */
    size_t count;
    const char *const *mt;              /* NULL, or count machine translations
                                           of the sentences into the other
                                           side's language (bleualign's
                                           evidence); borrowed */
} hny_align_side_t;

/* One link: sentences [src, src + nsrc) of the source and [tgt, tgt + ntgt)
   of the target; nsrc or ntgt is 0 for a sentence without counterpart. */
typedef struct {
    size_t src, nsrc;
    size_t tgt, ntgt;
    double score;                       /* 0..1 */
} hny_align_link_t;

typedef struct _hny_aligner_t hny_aligner_t;
typedef struct _hny_alignment_t hny_alignment_t;

/* An aligner using lexicon (borrowed, may be NULL: lengths and anchors
   only; it must outlive the aligner). One per thread, as the lexicon.
   Caller owns the result. */
hny_aligner_t *hny_aligner_new (hny_lexicon_t *lexicon);
void hny_aligner_destroy (hny_aligner_t **self_p);

/* Change one parameter of the cost model (for tuning and tests): "c",
   "s2" (length model), "p11" "p10" "p21" "p22" "p31" (the kinds' costs;
   p21 serves 1-2 too, p31 1-3), "lex" "lexbase" (dictionary weight and
   the share of words that meet by chance), "anchor" (per shared anchor),
   "para" (both sides start a paragraph), "temp" (scores' scale), "mt"
   "mtbase" (the translations' weight and the overlap met by chance).
   Returns 0, or -1 for an unknown name. */
int hny_aligner_set (hny_aligner_t *self, const char *name, double value);

/* Align src with tgt. Returns the alignment (caller owns) or NULL with
   *status and *reason (caller owns) set:
     413  a side has more than HNY_ALIGN_MAX_SENTENCES sentences,
     422  the two sides are in one language: the same language code, or
          for a pair with Japanese, a side whose script is not its
          language's ("the en side is in Japanese script").
   An empty side is not an error: every sentence of the other is linked to
   nothing, and the alignment carries a warning. */
hny_alignment_t *hny_align (hny_aligner_t *self, const hny_align_side_t *src,
                            const hny_align_side_t *tgt, int *status, char **reason);
void hny_alignment_destroy (hny_alignment_t **self_p);

/* The links, in reading order (borrowed). */
size_t hny_alignment_count (const hny_alignment_t *self);
const hny_align_link_t *hny_alignment_link (const hny_alignment_t *self, size_t index);

/* The alignment's score (0..1) and its warning, or NULL (borrowed). */
double hny_alignment_score (const hny_alignment_t *self);
const char *hny_alignment_warning (const hny_alignment_t *self);

/* The links as the record carries them: {"paragraphs": [{"segments":
   [{"src": "...", "tgt": "...", "score": 0.93}, ...]}, ...], "score",
   "warning" (only when there is one), "stats": {"src_sentences",
   "tgt_sentences", "links", "src_unlinked", "tgt_unlinked", "kinds":
   {"1-1": n, ...}, "time_ms"}}. Sentences in one link are joined as their
   language writes them (a space, nothing in Japanese and Chinese); a side
   without sentences is null. Paragraphs follow the source's. src and tgt
   must be the sides the alignment was made from. Caller owns the result. */
json_t *hny_alignment_json (const hny_alignment_t *self, const hny_align_side_t *src,
                            const hny_align_side_t *tgt);

/* Align two prepared articles ("honyaku.prepared/1", borrowed): their
   paragraphs as above, and their titles as one more link ("title": link
   or null when neither has one). Returns hny_alignment_json's object with
   "title" added (caller owns); a source whose segments (and title) carry
   "mt", a translation into the target's language, is aligned with them
   (hny_align_side_t.mt) and its stats count them ("mt_sentences"). NULL
   with *status (400 for a body that
   is not a prepared article, else as hny_align) and *reason. */
json_t *hny_align_prepared (hny_aligner_t *self, const json_t *src, const char *src_lang,
                            const json_t *tgt, const char *tgt_lang, int *status, char **reason);

#endif
