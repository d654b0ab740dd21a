/*  test_prepare_limits.c: the segment cap and the progress hook of
    hny_prepare (include/honyaku/prepare.h), on small articles:

    - the cap counts the title: an HTML article with a title and N
      sentences has N + 1 segments, fine at max_segments N + 1 and 413
      "article has more than N segments" at N;
    - a cap above HNY_SEGMENTS_MAX is HNY_SEGMENTS_MAX;
    - the hook runs between stages and every HNY_PREPARE_PROGRESS_SEGMENTS
      segments of a paragraph; non-zero from it stops the prepare with 503,
      at once or in the middle of a paragraph.

    The big articles (1M sentences: 413 under 200 MiB) run in the worker:
    tests/test_worker_prepare.py. */
#include <honyaku/prepare.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char s_html[] =
    "<html><head><title>Five Sentences</title></head><body><article>"
    "<h1>Five Sentences</h1>"
    "<p>The first one is here. The second one follows.</p>"
    "<p>A third one starts this paragraph. The fourth one is short. The fifth one ends it.</p>"
    "</article></body></html>";

typedef struct {
    int calls;          /* times the hook ran */
    int stop_at;        /* return non-zero on this call (1-based); 0: never */
} s_hook_t;

static int
s_hook (void *arg)
{
    s_hook_t *hook = arg;
    hook->calls++;
    return hook->stop_at && hook->calls >= hook->stop_at;
}

/* Prepare with opts; returns the status, and the segments (title
   included) in *segments on success. reason_out (may be NULL) gets the
   reason (caller frees). */
static int
s_run (hny_preparer_t *preparer, const char *text, size_t len, hny_prepare_opts_t *opts,
       size_t *segments, char **reason_out)
{
    int status = 0;
    char *reason = NULL;
    json_t *out = hny_prepare (preparer, (const uint8_t *) text, len, opts, &status, &reason);
    if (out) {
        json_t *stats = json_object_get (out, "stats");
        *segments = (size_t) json_integer_value (json_object_get (stats, "segments"))
                  + (json_is_object (json_object_get (out, "title")) ? 1 : 0);
        json_decref (out);
    }
    if (reason_out)
        *reason_out = reason;
    else
        free (reason);
    return status;
}

int
main (void)
{
    hny_log_init ("test_prepare_limits", HNY_LOG_WARN);
    hny_preparer_t *preparer = hny_preparer_new ();
    size_t segments = 0;
    char *reason = NULL;

    /* the title is a segment: 1 + 5 */
    hny_prepare_opts_t opts = { .format = "html" };
    CHECK (s_run (preparer, s_html, strlen (s_html), &opts, &segments, NULL) == 200);
    CHECK (segments == 6);
    opts.max_segments = 6;
    CHECK (s_run (preparer, s_html, strlen (s_html), &opts, &segments, NULL) == 200);
    opts.max_segments = 5;
    CHECK (s_run (preparer, s_html, strlen (s_html), &opts, &segments, &reason) == 413);
    CHECK (reason && strcmp (reason, "article has more than 5 segments") == 0);
    hny_free (&reason);
    /* the first paragraph fits (1 + 2), the second does not */
    opts.max_segments = 3;
    CHECK (s_run (preparer, s_html, strlen (s_html), &opts, &segments, NULL) == 413);

    /* a plain article of 3000 sentences in one paragraph */
    static const char sentence[] = "Go on. ";
    size_t n = 3000, len = n * (sizeof sentence - 1);
    char *plain = hny_malloc (len + 1);
    for (size_t i = 0; i < n; i++)
        memcpy (plain + i * (sizeof sentence - 1), sentence, sizeof sentence - 1);
    plain[len] = '\0';
    hny_prepare_opts_t popts = { .format = "plain" };
    size_t plain_segments = 0;
    CHECK (s_run (preparer, plain, len, &popts, &plain_segments, NULL) == 200);
    CHECK (plain_segments > 2 * HNY_PREPARE_PROGRESS_SEGMENTS);
    popts.max_segments = (size_t) HNY_SEGMENTS_MAX + 1000;     /* above the cap: the cap */
    CHECK (s_run (preparer, plain, len, &popts, &segments, NULL) == 200);
    CHECK (segments == plain_segments);

    /* the hook: between stages, per paragraph, every 1024 segments */
    s_hook_t hook = { 0, 0 };
    popts.max_segments = 0;
    popts.progress = s_hook;
    popts.progress_arg = &hook;
    CHECK (s_run (preparer, plain, len, &popts, &segments, NULL) == 200);
    /* after decoding, after extraction, the paragraph, then inside it */
    CHECK (hook.calls == 3 + (int) ((plain_segments - 1) / HNY_PREPARE_PROGRESS_SEGMENTS));
    int calls = hook.calls;
    for (int stop = 1; stop <= calls; stop++) {
        s_hook_t stopper = { 0, stop };
        popts.progress_arg = &stopper;
        CHECK (s_run (preparer, plain, len, &popts, &segments, &reason) == 503);
        CHECK (reason && strcmp (reason, "prepare cancelled") == 0);
        CHECK (stopper.calls == stop);
        hny_free (&reason);
    }
    free (plain);
    hny_preparer_destroy (&preparer);
    if (s_failures) {
        fprintf (stderr, "test_prepare_limits: %d failures\n", s_failures);
        return 1;
    }
    printf ("test_prepare_limits: passed (%zu segments, %d hook calls)\n", plain_segments, calls);
    return 0;
}
