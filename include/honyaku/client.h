/*  honyaku/client.h: libhonyaku, the C client of honyakud.

    One hny_client_t is one DEALER connection to the broker's front endpoint
    (proto/PROTOCOL.md). Every call has a deadline: a daemon that does not
    answer within the client's timeout (default 10 s) makes the call fail
    with "no answer from ENDPOINT within 10 s: is honyakud running?" instead
    of hanging. On failure a call returns -1 and hny_client_error() tells
    why; hny_client_status_code() gives the protocol status of a REJECTED
    answer (0 when the failure was local or a timeout; 413 for an article
    over the protocol's 64 MiB cap, refused before anything is sent).

    An ipc:// endpoint that cannot work is said at once, not after the
    timeout: before the first request on a connection the library checks
    the socket file (no socket there, not a socket, permission denied,
    nobody listening: a stale file left by a honyakud that died). No socket
    and a stale one are checked again for up to half a second first, the
    time a honyakud started a moment ago gets to bind its socket. The
    abstract namespace (ipc://@name) and tcp:// are not checked.

    Synchronous calls ride out a busy or restarting daemon within their
    deadline: a REJECTED 303 (busy) is asked again after a backoff, and a
    connection that drops (honyakud restarted) is opened again and the
    request sent again (every request is idempotent; a SUBMIT sent again
    may come back with existing = 1).

    Two styles of use, on the same connection:
    - synchronous calls (submit, submit_align, status, wait, fetch, list,
      stats): one request, one answer;
    - pipelined calls for batches: hny_client_send_submit(),
      hny_client_send_wait() and hny_client_send_fetch() tag each request
      with a caller-chosen "req" id; hny_client_recv_reply() returns the
      answers as they arrive. Answers to pipelined requests that arrive
      during a synchronous call are kept and handed out by the next
      hny_client_recv_reply().

    Pipelined requests are the caller's to send again: when the connection
    drops, hny_client_recv_reply() returns HNY_RECV_LOST once the answers
    that had arrived are handed out; the caller then calls
    hny_client_reconnect() and sends its unanswered requests again.

    A client is not thread-safe: use one per thread. */
#ifndef HNY_CLIENT_H
#define HNY_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_CLIENT_TIMEOUT_MS 10000     /* default answer deadline */

typedef struct _hny_client_t hny_client_t;
typedef struct _hny_reply_t hny_reply_t;

/* Options of one SUBMIT. Everything is borrowed for the duration of the
   call. Languages are BCP 47 tags, sent in their canonical form
   (honyaku/lang.h: "EN" and "en" are one language). */
typedef struct {
    const char *from;           /* source language, required ("en", "pt-BR") */
    const char *to;             /* target language, required ("es") */
    const char *backend;        /* profile name; NULL: the daemon's default */
    const char *key;            /* idempotency key; NULL: the daemon derives one */
    const char *format;         /* "auto" (NULL too), "text", "plain", "html", "jpw" */
    const char *source;         /* path or URL for metadata.source; may be NULL */
    int lenient;                /* 1: undecodable bytes are replaced, not an error */
    json_t *metadata;           /* object merged into the record's metadata; may be NULL */
} hny_submit_t;

/* Options of an align SUBMIT (PROTOCOL.md 5.1, kind "align"): two
   articles that translate each other (a Japan Press Weekly article and
   the Akahata article it renders), aligned sentence to sentence by a
   worker into a record of the backend "aligned" (12.6). Everything is
   borrowed for the duration of the call. */
typedef struct {
    const char *from;           /* the source side's language, required ("en") */
    const char *to;             /* the target side's language, required ("ja"); another
                                   language than from (else the daemon answers 422) */
    const char *key;            /* idempotency key; NULL: the daemon derives one from both
                                   sides, where they split and the options */
    const char *format;         /* as hny_submit_t's, for both sides */
    const char *source;         /* the source side's path or URL (metadata.source); may be NULL */
    const char *target_source;  /* the target side's (alignment.target_metadata.source); may be NULL */
    int lenient;                /* as hny_submit_t's */
    json_t *metadata;           /* merged into the record's metadata; may be NULL */
    const char *backend;        /* a profile that machine-translates the source side to
                                   guide the alignment (12.6), billed as translation;
                                   NULL: none (lengths, anchors and the dictionary only) */
} hny_align_submit_t;

/* What hny_client_recv_reply returns. Never renumbered. */
enum {
    HNY_RECV_ERROR = -1,        /* socket error: hny_client_error() */
    HNY_RECV_OK = 0,            /* *reply is an answer */
    HNY_RECV_TIMEOUT = 1,       /* nothing came in time */
    HNY_RECV_LOST = 2           /* the connection dropped: unanswered requests get no answer */
};

/* Connect to a broker's front endpoint ("ipc://...", "tcp://..."). Always
   returns a client (caller owns, hny_client_destroy); when the endpoint is
   malformed every call on it fails with that reason. Connecting is lazy:
   the first request checks an ipc:// socket (see above) and fails at once
   when it cannot work; a daemon that is there but silent shows as a
   timeout. */
hny_client_t *hny_client_new (const char *endpoint);
/* Close the connection (pending messages are dropped: ZMQ_LINGER 0).
   Accepts NULL and a NULL *self_p; sets *self_p to NULL. */
void hny_client_destroy (hny_client_t **self_p);

/* Use CURVE (encryption and authentication) towards a tcp:// endpoint:
   the daemon's public key and the client's own key pair, each 40 Z85
   characters (honyaku keygen; hny_curve_pair_load in honyaku/config.h
   reads the files). Reconnects at once; call it before any request.
   Strings are copied (the client keeps them for reconnects and wipes its
   copy of the secret when destroyed); wipe yours afterwards. A daemon that
   does not admit the key never answers: calls then fail with the usual
   "no answer" timeout. Returns 0, or -1 (the client is then broken and
   every call fails with the reason). */
int hny_client_set_curve (hny_client_t *self, const char *server_key, const char *public_key,
                          const char *secret_key);

/* Drop the connection and open a new one to the same endpoint (with the
   same CURVE keys): every request not answered yet is forgotten, its
   answer will not come. Checks an ipc:// socket as the first request does,
   once, without the half second of grace (callers that wait for honyakud
   to come back call again with their own backoff): returns 0 when usable,
   -1 with the reason (e.g. "nobody listens on ...") when not; the client
   stays usable either way. */
int hny_client_reconnect (hny_client_t *self);

/* True (1) when the connection dropped since it was opened (honyakud died
   or restarted): requests sent before will get no answer. */
int hny_client_lost (hny_client_t *self);

/* The answer deadline in milliseconds for every request (> 0). */
void hny_client_set_timeout (hny_client_t *self, int timeout_ms);
int hny_client_timeout (const hny_client_t *self);
const char *hny_client_endpoint (const hny_client_t *self);

/* The last error, one line of English (borrowed; "" when none). */
const char *hny_client_error (const hny_client_t *self);
/* The protocol status of the last REJECTED answer, 0 for local errors and
   timeouts (so that callers can tell "retry later" 3xx from 4xx/5xx). */
int hny_client_status_code (const hny_client_t *self);

/* Submit one article. On success returns 0, sets *job_out (caller owns;
   may be NULL to ignore) and *existing (1 when the key had a job already;
   may be NULL). Returns -1 when rejected or on no answer; a body over
   HNY_PROTO_BODY_MAX (64 MiB) is refused without sending, status 413, and
   so is a language that is no BCP 47 tag (hny_lang_canonical), status 400
   ("unknown language 'english' (use a BCP 47 tag such as en, ja, pt-BR)"). */
int hny_client_submit (hny_client_t *self, const hny_submit_t *opts,
                       const void *data, size_t size, char **job_out, int *existing);

/* Submit an align job: the source side's src_size bytes and the target
   side's tgt_size bytes (either may be empty, not both: a side without
   text is aligned as an empty article, with a warning). Returns and sets
   as hny_client_submit; both sides travel in one body, so together they
   must be within HNY_PROTO_BODY_MAX (413 without sending), and each
   within the daemon's max_article_bytes (413 from the daemon). */
int hny_client_submit_align (hny_client_t *self, const hny_align_submit_t *opts,
                             const void *src, size_t src_size, const void *tgt, size_t tgt_size,
                             char **job_out, int *existing);

/* STATUS of one job (job != NULL) or of the daemon (job == NULL). On
   success *out is the answer's header object (caller owns, json_decref). */
int hny_client_status (hny_client_t *self, const char *job, json_t **out);

/* Wait until a job is finished or timeout_ms passes (< 0: no limit; the
   daemon is asked in slices; 303 answers are asked again while the wait
   lasts). Returns 0 when finished, 1 when the time ran out first, -1 on
   error. *state_out (caller owns; may be NULL to ignore)
   is the final state ("done" or "failed") or, on timeout, the current one. */
int hny_client_wait (hny_client_t *self, const char *job, int timeout_ms, char **state_out);

/* Fetch a finished job's record. On success *record_json is the record as
   NUL-terminated JSON text (caller owns) of *len bytes (len may be NULL).
   Fails with status 300 when the job is not finished, 404 when unknown. */
int hny_client_fetch (hny_client_t *self, const char *job, char **record_json, size_t *len);

/* One page of the job list: jobs after the job id `after` (NULL: from the
   start), at most `limit` (1..1000; 0: the daemon's default), in state
   `state` (NULL: all). On success *jobs is the array of {job, key, state}
   (caller owns) and *next the id to pass as `after` for the next page, or
   NULL at the end (caller owns; next may be NULL to ignore). */
int hny_client_list (hny_client_t *self, const char *after, int limit, const char *state,
                     json_t **jobs, char **next);

/* STATS: on success *out is the answer's header object, whose "profiles"
   maps each profile name to its counters, with the daemon's jobs, queues
   and in-memory histograms beside it (PROTOCOL.md 5.2; caller owns).
   hny_metrics_render (honyaku/metrics.h) prints it as Prometheus text. */
int hny_client_stats (hny_client_t *self, json_t **out);

/* TMIMPORT (PROTOCOL.md 5.1): human translations of from -> to (BCP 47
   tags) into the daemon's translation memory, pairs being the JSON text
   of an array of [src, tgt] arrays (size bytes, at most
   HNY_PROTO_BODY_MAX and HNY_TM_IMPORT_MAX entries), origin saying where
   they came from (a file name). All of them are kept or none. On success
   *out is the TM reply's header ("imported", and the pair's "human" and
   "machine" entries now; caller owns). */
int hny_client_tm_import (hny_client_t *self, const char *from, const char *to, const char *origin,
                          const char *pairs, size_t size, json_t **out);

/* TMEXPORT: one page of the translation memory, of one pair (from and to,
   or both NULL for all), origin "human", "machine" or "all" (NULL), after
   a cursor a page gave as "next" (NULL: the start), at most limit entries
   (1..10000; 0: 1000). On success *entries (caller owns) is the array of
   {"from","to","src","tgt","origin","source"?,"profile"?} and *out (may
   be NULL) the reply's header, with "next" unless this was the last page. */
int hny_client_tm_export (hny_client_t *self, const char *from, const char *to, const char *origin,
                          const char *after, int limit, json_t **entries, json_t **out);

/* Pipelined requests. `req` is the caller's id for the request (<= 64
   bytes; the answer echoes it). Returns 0 when queued for sending, -1 on
   error (a SUBMIT body over 64 MiB: status 413, a bad language: 400;
   nothing sent). Ids
   starting with "~" are reserved for the library. */
int hny_client_send_submit (hny_client_t *self, const char *req, const hny_submit_t *opts,
                            const void *data, size_t size);
/* The pipelined align SUBMIT: as hny_client_send_submit, with
   hny_client_submit_align's arguments; the answer is ACCEPTED or REJECTED. */
int hny_client_send_submit_align (hny_client_t *self, const char *req,
                                  const hny_align_submit_t *opts, const void *src,
                                  size_t src_size, const void *tgt, size_t tgt_size);

/* WAIT for one job for at most timeout_ms (0..3600000) on the daemon's side:
   the answer is DONE with status 200 (finished) or 300 (still running). */
int hny_client_send_wait (hny_client_t *self, const char *req, const char *job, int timeout_ms);

/* FETCH one finished job's record: the answer is RECORD (its body is the
   record: hny_reply_take_body) or REJECTED (300 not finished, 404 unknown). */
int hny_client_send_fetch (hny_client_t *self, const char *req, const char *job);

/* The next answer to a pipelined request, waiting at most timeout_ms.
   Returns HNY_RECV_OK (0) and sets *reply (caller owns, hny_reply_destroy),
   HNY_RECV_TIMEOUT (1) when nothing came in time, HNY_RECV_LOST (2) when
   the connection dropped (after the answers already in; it keeps saying
   so until hny_client_reconnect), HNY_RECV_ERROR (-1) on error. */
int hny_client_recv_reply (hny_client_t *self, int timeout_ms, hny_reply_t **reply);

/* An answer: its command ("ACCEPTED", "REJECTED", "DONE", ...), the echoed
   req id (NULL when absent), the status (200 for ACCEPTED, else the header's
   "status", 0 when absent), and its header (borrowed, lives with the reply). */
void hny_reply_destroy (hny_reply_t **self_p);
const char *hny_reply_command (const hny_reply_t *self);
const char *hny_reply_req (const hny_reply_t *self);
int hny_reply_status (const hny_reply_t *self);
json_t *hny_reply_header (const hny_reply_t *self);
/* A string field of the header, borrowed; NULL when absent or not a string. */
const char *hny_reply_get_str (const hny_reply_t *self, const char *field);
/* Take the answer's body over: NUL-terminated (caller owns, free), its
   length in *size (may be NULL); NULL when the answer has none (or it was
   taken already). */
char *hny_reply_take_body (hny_reply_t *self, size_t *size);

/* A retry pause for "try again later": about base_ms * 2^tries, at most
   max_ms, +-25 % jitter so that many clients do not come back in step.
   What libhonyaku waits between its own retries; for callers that retry
   whole conversations themselves (honyaku batch). */
int64_t hny_client_backoff_ms (int tries, int64_t base_ms, int64_t max_ms);

#ifdef __cplusplus
}
#endif
#endif
