/*  ts_state.h: everything the test server remembers between requests:
    counters per API, the list of contract violations, the fault plan and its
    deterministic dice, the DeepL quota and glossaries, and the in-flight
    gauge. All functions are thread-safe (one mutex); the server answers each
    connection on its own thread. */
#ifndef TS_STATE_H
#define TS_STATE_H

#include "ts_xlate.h"

#include <stddef.h>
#include <stdint.h>

/* The APIs the server speaks. */
typedef enum { TS_API_DEEPL = 0, TS_API_GOOGLE, TS_API_LIBRE, TS_API_OPENAI, TS_API_COUNT } ts_api_t;

/* Static lowercase name: "deepl", "google", "libre", "openai". */
const char *ts_api_name (ts_api_t api);

/* Fault kinds, named as in the control API. Never renumber: README order. */
typedef enum {
    TS_FAULT_NONE = 0,
    TS_FAULT_429, TS_FAULT_456, TS_FAULT_500, TS_FAULT_503,
    TS_FAULT_RESET, TS_FAULT_HANG, TS_FAULT_TRUNCATED, TS_FAULT_MALFORMED,
    TS_FAULT_HTML, TS_FAULT_CHATTER, TS_FAULT_LENGTH, TS_FAULT_EMPTY,
    TS_FAULT_WRONG_COUNT, TS_FAULT_HUGE, TS_FAULT_DIGITS,
    TS_FAULT_COUNT
} ts_fault_t;

/* Static name of a fault ("429", "reset", ...); "none" for TS_FAULT_NONE. */
const char *ts_fault_name (ts_fault_t fault);
/* The fault named name, or -1 when unknown. */
int ts_fault_parse (const char *name);

/* Most fault kinds one plan may list (repeats allowed, they weigh more). */
#define TS_FAULT_MAX_KINDS 32

/* A fault plan, as set by flags or POST /_faults. */
typedef struct {
    int latency_ms;                   /* delay before every API answer */
    double rate;                      /* probability of a fault per request */
    uint64_t seed;                    /* seed of the dice */
    int kinds[TS_FAULT_MAX_KINDS];    /* ts_fault_t values to draw from */
    size_t nkinds;
    int retry_after;                  /* seconds, for 429 (and 503) */
    uint64_t huge_bytes;              /* size of the "huge" body */
    int max_inflight;                 /* >0: more in flight is a violation */
} ts_faults_t;

/* The plan with no faults: latency 0, rate 0, seed 1, retry_after 1,
   huge_bytes 500 MB, max_inflight 0. */
void ts_faults_default (ts_faults_t *faults);

/* Update faults from a JSON object (fields as in README.md; fields left out
   take their default). Returns 0, or -1 with a message in err. */
int ts_faults_from_json (ts_faults_t *faults, const char *json, size_t len, char *err, size_t errlen);

/* Parse a comma-separated kind list ("429,reset") into faults. 0 / -1. */
int ts_faults_parse_kinds (ts_faults_t *faults, const char *list);

typedef struct ts_state_t ts_state_t;

/* A new state with the given plan and DeepL character quota. Caller owns it. */
ts_state_t *ts_state_new (const ts_faults_t *faults, uint64_t quota);
/* Free the state and set *self_p to NULL; accepts NULL. */
void ts_state_destroy (ts_state_t **self_p);

/* Replace the fault plan; the dice restart at request 0. */
void ts_state_set_faults (ts_state_t *self, const ts_faults_t *faults);
/* Copy the current plan into *faults. */
void ts_state_get_faults (ts_state_t *self, ts_faults_t *faults);
/* Clear counters, violations, quota use, glossaries and faults. */
void ts_state_reset (ts_state_t *self);

/* Record a contract violation (also logged as a warning). */
void ts_state_violation (ts_state_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* An API request started / ended. enter returns the number now in flight
   and records a violation past the plan's max_inflight. */
int ts_state_enter (ts_state_t *self);
void ts_state_leave (ts_state_t *self);

/* Count one request to api, and its answer's HTTP status. */
void ts_state_count_request (ts_state_t *self, ts_api_t api);
void ts_state_count_status (ts_state_t *self, ts_api_t api, int status);

/* Draw the fault for the next translation request to api (the dice use the
   seed and the count of draws since the plan was set). Kinds that api cannot
   show (chatter and length outside OpenAI) give TS_FAULT_NONE. *faults gets a
   copy of the plan. */
ts_fault_t ts_state_draw_fault (ts_state_t *self, ts_api_t api, ts_faults_t *faults);

/* Bill ntexts texts of chars code points to api. For DeepL the quota is
   checked first: returns -1 (nothing billed) when it would be exceeded.
   fault is the request's fault: when it spoils the whole answer body
   (truncated, malformed, empty, huge) the texts also count as "spoiled"
   (billed, but the client cannot read them). */
int ts_state_bill (ts_state_t *self, ts_api_t api, size_t ntexts, uint64_t chars, ts_fault_t fault);

/* DeepL usage: characters billed and the quota. */
void ts_state_deepl_usage (ts_state_t *self, uint64_t *count, uint64_t *limit);
/* Set them (POST /_quota): the quota reached or lifted mid-test. */
void ts_state_deepl_set_usage (ts_state_t *self, uint64_t count, uint64_t limit);

/* Store a glossary (taken over, *glossary_p set to NULL) and give it an id.
   Returns a copy of the id (caller owns), or NULL when the store is full. */
char *ts_state_glossary_add (ts_state_t *self, ts_glossary_t **glossary_p);
/* A copy of the glossary with that id (caller owns), or NULL. */
ts_glossary_t *ts_state_glossary_get (ts_state_t *self, const char *id);
/* Copies of every glossary, in creation order (caller owns the array and
   each glossary); *count gets their number. */
ts_glossary_t **ts_state_glossary_list (ts_state_t *self, size_t *count);
/* 1 when this server gave out that id (it may have been deleted since). */
int ts_state_glossary_issued (ts_state_t *self, const char *id);
/* Delete the glossary with that id. Returns 0, or -1 when there is none. */
int ts_state_glossary_remove (ts_state_t *self, const char *id);

/* The statistics as a JSON document (README.md). Caller owns the result. */
char *ts_state_stats_json (ts_state_t *self);

#endif
