/*  hny_meter.c: honyakud's in-memory metrics (see hny_meter.h).

    Two copies of every count: "live" takes the pass's events, "kept" is
    what the last commit saw. Commit copies live to kept, rollback kept to
    live, each only when the pass counted something (most passes do not);
    the copies are a few kilobytes (fixed arrays per profile). */
#include "hny_meter.h"

#include <honyaku/util.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATUS_LEN    8           /* "timeout" and its NUL: the longest label */
#define S_BOUNDS_MAX    16          /* bounds of a histogram */

/* Upper bounds of the buckets, in ms. Requests: from a local server's few
   ms to the longest timeout a type has by default (openai, 120 s). Jobs:
   from a short article on a local server to a day of a paused profile. */
static const int64_t s_request_bounds [] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000
};
static const int64_t s_job_bounds [] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 600000, 1800000,
    3600000, 21600000, 86400000
};
#define S_COUNT(a) (sizeof (a) / sizeof (a) [0])
_Static_assert (S_COUNT (s_request_bounds) <= S_BOUNDS_MAX, "request buckets");
_Static_assert (S_COUNT (s_job_bounds) <= S_BOUNDS_MAX, "job buckets");

/* A histogram: counts per bucket (not cumulative), the last one past every
   bound; the sum of the observations. */
typedef struct {
    int64_t counts [S_BOUNDS_MAX + 1];
    int64_t sum_ms;
} s_hist_t;

typedef struct {
    char status [HNY_METER_STATUSES_MAX][S_STATUS_LEN];
    int64_t requests [HNY_METER_STATUSES_MAX];
    size_t statuses;            /* slots in use */
    s_hist_t latency;
} s_profile_t;

/* Everything counted, in one block that copies with memcpy. */
typedef struct {
    s_hist_t jobs [2];          /* 0: done, 1: failed */
    s_profile_t profiles [];    /* profile_count of them */
} s_counts_t;

struct _hny_meter_t {
    size_t profile_count;
    size_t size;                /* bytes of one s_counts_t */
    s_counts_t *live, *kept;
    int dirty;                  /* live differs from kept */
    int64_t since;              /* wall ms */
};

hny_meter_t *
hny_meter_new (size_t profiles)
{
    hny_meter_t *self = hny_calloc (1, sizeof *self);
    self->profile_count = profiles;
    self->size = sizeof (s_counts_t) + profiles * sizeof (s_profile_t);
    self->live = hny_calloc (1, self->size);
    self->kept = hny_calloc (1, self->size);
    self->since = hny_clock_wall_ms ();
    return self;
}

void
hny_meter_destroy (hny_meter_t **self_p)
{
    assert (self_p);
    hny_meter_t *self = *self_p;
    if (!self)
        return;
    free (self->live);
    free (self->kept);
    free (self);
    *self_p = NULL;
}

static void
s_observe (s_hist_t *h, const int64_t *bounds, size_t count, int64_t ms)
{
    size_t i = 0;
    while (i < count && ms > bounds [i])
        i++;
    h->counts [i]++;
    h->sum_ms += ms;
}

/* 1 when status is a label we take: "timeout", "error" or 100..599. */
static int
s_status_valid (const char *status)
{
    if (strcmp (status, "timeout") == 0 || strcmp (status, "error") == 0)
        return 1;
    return strlen (status) == 3 && status [0] >= '1' && status [0] <= '5'
        && status [1] >= '0' && status [1] <= '9' && status [2] >= '0' && status [2] <= '9';
}

/* The slot counting status, taken when new; "other" once all are taken
   (that slot is kept free for it). */
static size_t
s_status_slot (s_profile_t *p, const char *status)
{
    for (size_t i = 0; i < p->statuses; i++)
        if (strcmp (p->status [i], status) == 0)
            return i;
    if (p->statuses >= HNY_METER_STATUSES_MAX - 1) {
        status = "other";
        for (size_t i = 0; i < p->statuses; i++)
            if (strcmp (p->status [i], status) == 0)
                return i;
    }
    assert (p->statuses < HNY_METER_STATUSES_MAX);
    snprintf (p->status [p->statuses], S_STATUS_LEN, "%s", status);
    return p->statuses++;
}

void
hny_meter_calls (hny_meter_t *self, int profile, const json_t *calls)
{
    if (profile < 0 || (size_t) profile >= self->profile_count || !json_is_array (calls))
        return;
    s_profile_t *p = &self->live->profiles [profile];
    size_t i;
    const json_t *call;
    json_array_foreach ((json_t *) calls, i, call) {
        const char *status = json_string_value (json_object_get (call, "status"));
        const json_t *ms = json_object_get (call, "ms");
        if (!status || !s_status_valid (status) || !json_is_integer (ms)
        ||  json_integer_value (ms) < 0)
            continue;
        p->requests [s_status_slot (p, status)]++;
        s_observe (&p->latency, s_request_bounds, S_COUNT (s_request_bounds),
                   (int64_t) json_integer_value (ms));
        self->dirty = 1;
    }
}

void
hny_meter_job (hny_meter_t *self, hny_job_state_t state, int64_t ms)
{
    if (!hny_job_state_final (state))
        return;
    s_observe (&self->live->jobs [state == HNY_JOB_DONE ? 0 : 1], s_job_bounds,
               S_COUNT (s_job_bounds), ms > 0 ? ms : 0);
    self->dirty = 1;
}

void
hny_meter_commit (hny_meter_t *self)
{
    if (self->dirty)
        memcpy (self->kept, self->live, self->size);
    self->dirty = 0;
}

void
hny_meter_rollback (hny_meter_t *self)
{
    if (self->dirty)
        memcpy (self->live, self->kept, self->size);
    self->dirty = 0;
}

/* The histogram as a STATS reply carries it (hny_meter.h). */
static json_t *
s_hist_json (const s_hist_t *h, const int64_t *bounds, size_t count)
{
    json_t *le = json_array (), *counts = json_array ();
    int64_t below = 0;
    for (size_t i = 0; i < count; i++) {
        below += h->counts [i];
        json_array_append_new (le, json_real ((double) bounds [i] / 1000.0));
        json_array_append_new (counts, json_integer (below));
    }
    below += h->counts [count];
    return json_pack ("{s:o, s:o, s:I, s:f}", "le", le, "counts", counts, "count",
                      (json_int_t) below, "sum", (double) h->sum_ms / 1000.0);
}

void
hny_meter_profile_stats (const hny_meter_t *self, int profile, json_t *object)
{
    if (profile < 0 || (size_t) profile >= self->profile_count)
        return;
    const s_profile_t *p = &self->kept->profiles [profile];
    json_t *http = json_object ();
    for (size_t i = 0; i < p->statuses; i++)
        json_object_set_new (http, p->status [i], json_integer (p->requests [i]));
    json_object_set_new (object, "http", http);
    json_object_set_new (object, "latency",
                         s_hist_json (&p->latency, s_request_bounds, S_COUNT (s_request_bounds)));
}

void
hny_meter_stats (const hny_meter_t *self, json_t *reply)
{
    json_object_set_new (reply, "job_seconds", json_pack (
        "{s:o, s:o}",
        "done", s_hist_json (&self->kept->jobs [0], s_job_bounds, S_COUNT (s_job_bounds)),
        "failed", s_hist_json (&self->kept->jobs [1], s_job_bounds, S_COUNT (s_job_bounds))));
    json_object_set_new (reply, "since", json_integer (self->since));
}
