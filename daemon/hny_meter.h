/*  hny_meter.h: what honyakud counts in memory for its metrics, since it
    started: the translation services' answers per profile (HTTP status
    and latency of every request, as the workers report them in a
    translate RESULT's "calls", PROTOCOL.md 5.3) and how long jobs took
    from acceptance to their record, by final state.

    The store keeps the counters that must survive a restart (segments,
    characters, tokens: hny_store_stats); these are the ones that are
    cheap to lose and costly to write per request. They follow the
    broker's passes: what a pass counts is kept when the pass commits and
    forgotten when it is undone (hny_meter_rollback), because an undone
    pass applies its RESULTs and ends its jobs again later; a STATS reply
    shows what was committed. One thread (the broker's loop). */
#ifndef HNY_METER_H
#define HNY_METER_H

#include "hny_state.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Distinct status labels kept per profile: HTTP statuses, "timeout" and
   "error". Further ones are counted as "other" (a misbehaving service
   must not grow the output without end). */
#define HNY_METER_STATUSES_MAX  32

typedef struct _hny_meter_t hny_meter_t;

/* A meter for profiles 0 .. profiles - 1 (the scheduler's indexes),
   started now. Caller owns the result. */
hny_meter_t *hny_meter_new (size_t profiles);
void hny_meter_destroy (hny_meter_t **self_p);

/* A translate RESULT's "calls" for profile (borrowed; NULL or not an array:
   nothing). Each {"status": "200"|...|"timeout"|"error", "ms": n >= 0}
   counts one request of that status and its latency; an item of another
   shape, or a status that is neither three digits 100..599 nor "timeout"
   or "error", is skipped. */
void hny_meter_calls (hny_meter_t *self, int profile, const json_t *calls);
/* A job ended in state (done or failed) ms after it was accepted. */
void hny_meter_job (hny_meter_t *self, hny_job_state_t state, int64_t ms);

/* The pass committed: keep what it counted. */
void hny_meter_commit (hny_meter_t *self);
/* The pass was undone: forget what it counted. */
void hny_meter_rollback (hny_meter_t *self);

/* Into a STATS reply (PROTOCOL.md 5.2), what was committed: on a profile's
   object, "http" (status -> requests) and "latency" (histogram of request
   durations); on the reply, "job_seconds" (final state -> histogram of
   job durations) and "since" (when the meter started, ms since the epoch).
   A histogram is {"le": [bounds in s], "counts": [cumulative], "count",
   "sum" (s)}. */
void hny_meter_profile_stats (const hny_meter_t *self, int profile, json_t *object);
void hny_meter_stats (const hny_meter_t *self, json_t *reply);

#ifdef __cplusplus
}
#endif
#endif
