/*  hny_broker_int.h: the broker's in-memory state, shared by the event loop
    (hny_broker.c: sockets, clients, workers, dispatch) and the job pipeline
    (hny_pipeline.c: prepare results, translation memory, batches, records).
    Private to daemon/.

    Memory holds what the loop needs at every pass (active jobs, queued and
    leased tasks, distinct sources in flight, workers, waiters); the store
    holds everything durable and is the truth after a restart. */
#ifndef HNY_BROKER_INT_H
#define HNY_BROKER_INT_H

#include "hny_broker.h"
#include "hny_map.h"
#include "hny_store.h"

#include <honyaku/config.h>
#include <honyaku/proto.h>

#include <stdint.h>

#define HNY_TASK_ATTEMPTS_MAX   6       /* a task leased this often fails (re-queued > 5 times) */
#define HNY_ROUTING_MAX         256
#define HNY_CONTEXT_MAX         1024    /* bytes of context sent with a segment */

typedef struct _hny_bworker_t hny_bworker_t;
typedef struct _hny_btask_t hny_btask_t;
typedef struct _hny_pend_t hny_pend_t;
typedef struct _hny_bjob_t hny_bjob_t;

/* A backend profile: its pause state and the budgets the broker enforces
   across all workers (hny_broker.c, "budgets"):
   - concurrency: at most conf->concurrency translate tasks leased at once;
     a task holds one request's worth of segments (max_texts, max_bytes,
     one context), so this bounds the requests in flight;
   - rate: a token bucket of conf->rate requests per second, holding one
     second's worth (at least 1);
   - chars_per_minute: a token bucket of code points, holding one minute's
     worth; a task never holds more than that. */
typedef struct _hny_bprofile_t hny_bprofile_t;
struct _hny_bprofile_t {
    const hny_profile_t *conf;  /* borrowed from the config */
    hny_bprofile_t *fallback;   /* conf->fallback resolved, or NULL */
    char *paused;               /* why it is paused, or NULL */
    int64_t probe_at;           /* monotonic ms: when one task may probe it again */
    int64_t backoff_ms;         /* next pause length */
    int inflight;               /* translate tasks leased now */
    double req_tokens;          /* rate bucket */
    double char_tokens;         /* chars_per_minute bucket */
    int64_t refilled;           /* monotonic ms of the last refill */
};

/* A worker on the back socket. */
struct _hny_bworker_t {
    hny_bworker_t *next;
    uint8_t rid [HNY_ROUTING_MAX];  /* routing id */
    size_t rid_size;
    char *ident;                /* name#pid for logs and the store */
    int credit;                 /* from READY */
    int outstanding;            /* TASKs sent - RESULTs received */
    char **backends;            /* profiles it serves */
    size_t backend_count;
    int64_t last_heard, last_sent;  /* monotonic ms */
    int dead;                   /* a send failed: forget it next pass */
};

enum { HNY_TASK_PREPARE = 1, HNY_TASK_TRANSLATE = 2 };
enum { HNY_TASK_QUEUED = 1, HNY_TASK_LEASED = 2 };

/* A task, queued or leased. */
struct _hny_btask_t {
    hny_btask_t *prev, *next;   /* in the queue or the leased list */
    int64_t id;
    int kind;
    int state;
    int64_t job;                /* prepare: the job; translate: a job it serves (logs) */
    int attempts;               /* times leased */
    hny_bworker_t *worker;      /* while leased */
    int64_t lease_deadline;     /* monotonic ms, while leased */
    int64_t not_before;         /* monotonic ms: backoff before the next lease */
    hny_bprofile_t *profile;    /* translate */
    char *from, *to;            /* translate */
    hny_pend_t **entries;       /* translate: the distinct sources, id = index */
    size_t entry_count;
    char *last_reason;          /* why it was last re-queued */
    int64_t chars;              /* translate: code points of its sources */
};

/* A segment waiting for a translation. */
typedef struct {
    int64_t job;
    int para, idx;
} hny_waiter_seg_t;

/* One distinct source text in flight for (profile, from, to): identical
   misses across jobs wait on the same entry and are translated once. */
struct _hny_pend_t {
    char *key;                  /* map key: profile \x1f from \x1f to \x1f src */
    char *src;
    char *context;              /* the paragraph before, or NULL (PROTOCOL.md 5.4) */
    hny_bprofile_t *profile;
    char *from, *to;
    hny_btask_t *task;          /* the task carrying it; NULL while unassigned */
    hny_pend_t *next_free;      /* in the unassigned list */
    int tries;                  /* transient failures so far */
    int64_t retry_after;        /* ms the last transient error asked for */
    int64_t not_before;         /* monotonic ms */
    hny_waiter_seg_t *segs;
    size_t seg_count, seg_alloc;
};

/* A job that is not final yet. */
struct _hny_bjob_t {
    int64_t id;
    char *state;                /* queued, preparing, translating */
    hny_bprofile_t *profile;
    char *from, *to;
    int total, done, failed;    /* segments */
    int pending;                /* segments neither done nor failed */
    int64_t created;            /* ms since the epoch */
    char *error;                /* the first segment failure, or NULL */
    int error_code;
    int has_task;               /* resume: a prepare task was found for it */
};

/* A client waiting for a job to end. */
typedef struct _hny_waiter_t hny_waiter_t;
struct _hny_waiter_t {
    hny_waiter_t *next;
    uint8_t rid [HNY_ROUTING_MAX];
    size_t rid_size;
    json_t *req;                /* the request's "req", or NULL */
    int64_t job;
    int64_t deadline;           /* monotonic ms */
};

/* A message to send after the pass commits. */
typedef struct {
    hny_msg_t *msg;
    int back;                   /* 1: back socket, 0: front */
} hny_outmsg_t;

struct _hny_broker_t {
    hny_config_t *config;
    hny_daemon_conf_t *conf;
    hny_store_t *store;
    hny_supervisor_t *supervisor;
    void *ctx;
    void *front, *back;
    hny_bprofile_t *profiles;
    size_t profile_count;
    hny_bprofile_t *default_profile;

    hny_bworker_t *workers;
    hny_btask_t *queue_head, *queue_tail;   /* queued tasks, FIFO */
    hny_btask_t *leased;                    /* leased tasks */
    size_t queued_prepare, queued_translate;
    hny_map_t *pending;         /* key -> hny_pend_t */
    hny_pend_t *unassigned;     /* entries waiting to be packed into tasks */
    hny_map_t *jobs;            /* decimal id -> hny_bjob_t, active jobs */
    int active_jobs;            /* jobs preparing or translating */
    hny_waiter_t *waiters;

    hny_outmsg_t *outbox;
    size_t out_count, out_alloc;

    int draining;
    int64_t drain_deadline;
    int ready_sent;             /* READY=1 went to systemd */
    int64_t started;
    int64_t next_status;        /* monotonic ms of the next STATUS= line */
    int64_t next_watchdog;
    int fatal;                  /* a store error: leave */

    /* Security and SIGHUP (hny_broker.c) */
    struct _hny_auth_t *auth;   /* ZAP handler; NULL when no endpoint uses CURVE */
    int curve_front, curve_back;    /* the endpoint uses CURVE */
    volatile sig_atomic_t *reload;  /* set by SIGHUP; NULL: no reload */
    int keep_log_level;         /* --log-level was given: a reload keeps it */
    hny_config_t **reloaded;    /* configurations loaded by SIGHUP (owned) */
    size_t reloaded_count;
};

/* --- hny_broker.c, for the pipeline */
/* Queue a message for after the commit; takes it over. */
void hny_broker_post (hny_broker_t *self, hny_msg_t **msg_p, int back);
hny_bprofile_t *hny_broker_profile (hny_broker_t *self, const char *name);
void hny_broker_task_enqueue (hny_broker_t *self, hny_btask_t *task);
void hny_broker_task_unlink (hny_broker_t *self, hny_btask_t *task);
void hny_broker_task_free (hny_btask_t **task_p);
/* A job ended: answer its waiters. */
void hny_broker_wake_waiters (hny_broker_t *self, int64_t job, const char *state);
/* Note a store failure: the loop leaves after this pass. */
void hny_broker_store_failed (hny_broker_t *self);

/* Task in / out of the leased list; keeps the profile's count in flight. */
void hny_broker_task_leased (hny_broker_t *self, hny_btask_t *task);

/* --- hny_pipeline.c */
/* Context-taking profile types (DeepL, OpenAI): segments carry context. */
int hny_pipeline_takes_context (const hny_bprofile_t *profile);
/* Queued tasks of a paused profile that has a usable fallback go back to
   the unassigned list, to be packed for the fallback. */
void hny_pipeline_divert (hny_broker_t *self);
hny_bjob_t *hny_pipeline_job (hny_broker_t *self, int64_t id);
/* A new job was inserted in the store: track it and queue its prepare task. */
int hny_pipeline_job_new (hny_broker_t *self, int64_t id, const char *from, const char *to,
                          hny_bprofile_t *profile, int64_t created);
/* A prepare task is about to be leased: the job becomes `preparing`. */
void hny_pipeline_job_preparing (hny_broker_t *self, hny_bjob_t *job);
/* Final outcome (2xx or 4xx) of a task the caller unlinked: returns 0 when
   consumed (the task is freed), or -1 with *why set (static text) when the
   result is unusable and the task should be re-queued (not freed). */
int hny_pipeline_prepare_result (hny_broker_t *self, hny_btask_t *task, int status,
                                 const char *reason, const uint8_t *body, size_t size,
                                 const char **why);
int hny_pipeline_translate_result (hny_broker_t *self, hny_btask_t *task, int status,
                                   const char *reason, const uint8_t *body, size_t size,
                                   const char **why);
/* A task failed too often: fail what it carries (frees it). */
void hny_pipeline_task_failed (hny_broker_t *self, hny_btask_t *task, const char *reason);
/* The TASK body for a translate task; caller owns. */
char *hny_pipeline_translate_body (hny_btask_t *task);
/* Pack unassigned sources into translate tasks. */
void hny_pipeline_pack (hny_broker_t *self);
/* Load the store's unfinished work on start. */
int hny_pipeline_resume (hny_broker_t *self);
/* Free the in-memory pipeline state. */
void hny_pipeline_free (hny_broker_t *self);

#endif
