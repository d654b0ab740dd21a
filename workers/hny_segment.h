/*  hny_segment.h: sentence segmentation: ICU's sentence BreakIterator plus
    the project's own rules for what it gets wrong (abbreviations, initials,
    lists, ellipses, Japanese brackets and quotations). */
#ifndef HNY_SEGMENT_H
#define HNY_SEGMENT_H

#include <stddef.h>

/* One sentence: a byte range of the input, with surrounding whitespace trimmed. */
typedef struct {
    size_t offset;
    size_t length;
} hny_span_t;

typedef struct _hny_segmenter_t hny_segmenter_t;

/* A segmenter for one language ("en", "ja", ...; unknown languages get
   ICU's rules for that locale plus the language-neutral rules). Caller owns
   the result; NULL when ICU cannot open a break iterator. */
hny_segmenter_t *hny_segmenter_new (const char *lang);
void hny_segmenter_destroy (hny_segmenter_t **self_p);

/* Split one paragraph of valid UTF-8 into sentences. Returns the number of
   spans and sets *spans_p to a new array (caller frees); empty and
   whitespace-only sentences are dropped. Returns 0 with *spans_p NULL for
   empty text, and (size_t) -1 on an ICU failure or a paragraph over 16 MiB.
   A line break in the text always ends a sentence (except inside a matched
   bracket pair in Japanese); text from hny_normalize has none left, so a
   caller that wants headlines or list items kept apart passes them as
   separate paragraphs or joined with "\n". Invalid UTF-8 is read as U+FFFD;
   spans stay within [0, len). */
size_t hny_segment (hny_segmenter_t *self, const char *text, size_t len, hny_span_t **spans_p);

#endif
