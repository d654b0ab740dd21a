/*  honyaku/prepare.h: turn an article's raw bytes into a prepared article:
    charset detection and conversion -> extraction (plain text, HTML, the
    Japan Press Weekly layouts) -> normalization -> sentence segmentation.
    Used by honyaku-worker for `prepare` tasks and in-process by
    `honyaku prepare` (the dry run). The output shape is "honyaku.prepared/1"
    (proto/PROTOCOL.md). */
#ifndef HNY_PREPARE_H
#define HNY_PREPARE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Progress hook: hny_prepare calls it between its stages (decoding,
   extraction, ...), before each paragraph and every
   HNY_PREPARE_PROGRESS_SEGMENTS segments, so that a caller can stop a long
   article (honyaku-worker, which prepares on a thread, when it shuts down)
   or keep an event loop going. It is called often: keep it cheap (check a
   flag or a clock). Return 0 to go on, non-zero to stop: hny_prepare then
   fails with 503 "prepare cancelled". One stage can still take a while on
   its own, and the hook cannot run inside it: one ICU call on an 8 MiB
   paragraph takes about 0.35 s, libxml2 on 8 MiB of HTML about 0.2 s. */
typedef int (hny_prepare_progress_fn) (void *arg);
#define HNY_PREPARE_PROGRESS_SEGMENTS 1024

typedef struct {
    const char *format;     /* "auto" (NULL too), "text", "plain", "html", "jpw" */
    const char *lang;       /* source language ("en", "ja", ...); NULL: "en" */
    const char *source;     /* path or URL for metadata.source; may be NULL */
    int lenient;            /* 1: undecodable bytes become U+FFFD (counted) */
    size_t max_bytes;       /* cap on input size; 0: 8 MiB */
    size_t max_segments;    /* cap on segments, title included; 0 (and anything
                               larger): HNY_SEGMENTS_MAX (honyaku/record.h) */
    hny_prepare_progress_fn *progress;  /* may be NULL */
    void *progress_arg;     /* passed to progress (borrowed) */
} hny_prepare_opts_t;

typedef struct _hny_preparer_t hny_preparer_t;

/* A preparer caches ICU objects (break iterators, normalizers, converters)
   across articles; one per thread. Caller owns the result. */
hny_preparer_t *hny_preparer_new (void);
void hny_preparer_destroy (hny_preparer_t **self_p);

/* Prepare one article. Returns the prepared-article JSON object (caller owns,
   json_decref) or NULL with *status set to a protocol status code (413 too
   large: over max_bytes, or more than max_segments segments; 415 not text /
   undecodable, 422 no article found, 500 internal, 503 cancelled by the
   progress hook) and *reason to a one-line message (caller owns). An
   article that decodes but holds no text is an error 422, not an empty
   result. The segment cap is checked as each paragraph is segmented,
   before its segments are built, so an article far over it costs about
   what one at the cap costs (memory and time), not more. */
json_t *hny_prepare (hny_preparer_t *self, const uint8_t *data, size_t size,
                     const hny_prepare_opts_t *opts, int *status, char **reason);

#ifdef __cplusplus
}
#endif
#endif
