/*  hny_segqa.h: the worker's checks of what a backend translated
    (honyaku/qa.h): each translated segment of a translate RESULT gets an
    optional "qa" array (proto/PROTOCOL.md 5.3), made with the language
    pair of the task and the glossary of its profile, so that the broker
    keeps the flags with the segment and the record carries them (12.2).

    A checker is kept per profile and language pair, with the profile's
    glossary read once (the backends read their own copy: this one does
    not depend on how a type uses it). */
#ifndef HNY_SEGQA_H
#define HNY_SEGQA_H

#include "hny_backend.h"


/* Checkers kept at once: a worker serves a few profiles and pairs. */
#define HNY_SEGQA_CACHE_MAX 32

typedef struct _hny_segqa_t hny_segqa_t;

hny_segqa_t *hny_segqa_new (void);
void hny_segqa_destroy (hny_segqa_t **self_p);

/* Check every translated segment of batch, translated under profile, and
   give the ones a check flags their "qa" (hny_batch_set_qa: the RESULT
   body carries it). Returns the number of segments flagged. */
size_t hny_segqa_annotate (hny_segqa_t *self, const hny_profile_t *profile, hny_batch_t *batch);

#endif
