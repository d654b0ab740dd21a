/*  hny_waiters.h: the clients waiting for jobs to end (WAIT, PROTOCOL.md
    5.1), for honyakud's front. Each waiter is a client's routing id, its
    request's "req", the job and a deadline. They are found by job when
    the job ends and by deadline when their wait runs out, each in
    O(log n): a bulk client keeps a WAIT out for every job in its window,
    and a list scanned at every job's end and every pass cost O(n) each
    (quadratic in the window). At most max are kept: WAIT is input from
    outside, and each waiter holds memory until its deadline.

    The module keeps no sockets: the caller answers each waiter the take
    functions hand it, then the waiter is freed. */
#ifndef HNY_WAITERS_H
#define HNY_WAITERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_WAITER_RID_MAX  256     /* bytes of a ZeroMQ routing id */

/* A waiter as the take functions hand it: read-only, valid during the
   call. */
typedef struct {
    const uint8_t *rid;         /* the client's routing id */
    size_t rid_size;
    const json_t *req;          /* the request's "req", or NULL */
    int64_t job;
    int64_t deadline;           /* monotonic ms */
} hny_waiter_t;

/* fn answers a waiter; it must not add waiters. */
typedef void (hny_waiter_fn) (const hny_waiter_t *waiter, void *arg);

typedef struct _hny_waiters_t hny_waiters_t;

/* At most max waiters (0: 1). Caller owns the result. */
hny_waiters_t *hny_waiters_new (size_t max);
/* Frees every waiter left without a word to anyone. */
void hny_waiters_destroy (hny_waiters_t **self_p);

/* Keep a waiter: rid is copied (rid_size at most HNY_WAITER_RID_MAX),
   req (may be NULL) gets a reference of its own. 0, or -1 when max are
   kept already or rid is too long: nothing is kept. */
int hny_waiters_add (hny_waiters_t *self, const uint8_t *rid, size_t rid_size, json_t *req, int64_t job,
                     int64_t deadline);
/* Hand every waiter of job to fn (in the order they came), then drop
   them. Returns how many. */
size_t hny_waiters_take_job (hny_waiters_t *self, int64_t job, hny_waiter_fn *fn, void *arg);
/* The same for every waiter whose deadline is <= now, earliest first. */
size_t hny_waiters_take_expired (hny_waiters_t *self, int64_t now, hny_waiter_fn *fn, void *arg);
/* The same for every waiter (honyakud leaves). */
size_t hny_waiters_take_all (hny_waiters_t *self, hny_waiter_fn *fn, void *arg);
/* The earliest deadline, or INT64_MAX when none waits. */
int64_t hny_waiters_deadline (const hny_waiters_t *self);
size_t hny_waiters_count (const hny_waiters_t *self);

#ifdef __cplusplus
}
#endif
#endif
