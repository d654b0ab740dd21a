/*  hny_supervisor.h: the local honyaku-worker processes that honyakud starts
    (`--workers N`), restarts when they die (with a growing backoff, so a
    worker that crashes at once does not spin), and stops on exit (SIGTERM,
    then SIGKILL after a deadline).

    Each child runs `honyaku-worker --back EP [--config FILE] [--name NAME]
    [--log-level L]` and dies with its parent (PR_SET_PDEATHSIG). */
#ifndef HNY_SUPERVISOR_H
#define HNY_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_supervisor_t hny_supervisor_t;

/* The worker program: $HONYAKU_WORKER when set, else honyaku-worker beside
   this executable (/proc/self/exe). Caller owns the result; NULL when not found. */
char *hny_supervisor_find_worker (void);

/* program, back, config (may be NULL) and log_level (may be NULL) are
   copied. Caller owns the result. */
hny_supervisor_t *hny_supervisor_new (const char *program, const char *back, const char *config,
                                      const char *log_level);
/* Stops the children first (hny_supervisor_stop with a 5 s deadline). */
void hny_supervisor_destroy (hny_supervisor_t **self_p);

/* Start count workers. Returns 0, or -1 when none could be started. */
int hny_supervisor_start (hny_supervisor_t *self, int count);
/* Workers this supervisor keeps running. */
int hny_supervisor_count (const hny_supervisor_t *self);

/* Reap children that died and restart those whose backoff has passed.
   Returns the milliseconds until the next restart is due, or -1 when none is. */
int64_t hny_supervisor_tick (hny_supervisor_t *self);

/* SIGTERM to every child, wait up to deadline_ms, then SIGKILL. */
void hny_supervisor_stop (hny_supervisor_t *self, int deadline_ms);

#ifdef __cplusplus
}
#endif
#endif
