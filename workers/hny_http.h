/*  hny_http.h: a small HTTP engine over one curl multi handle, for the
    translation backends of honyaku-worker.

    Many requests are in flight at once; each belongs to a named group (a
    backend profile) with its own concurrency limit, and requests past the
    limit wait in that group's queue in FIFO order. The engine never blocks
    on its own: the owner's event loop calls hny_http_wait() (which also
    watches a few extra file descriptors, e.g. a ZeroMQ socket's ZMQ_FD) and
    then hny_http_run(), which advances transfers and calls the completion
    callbacks.

    Responses are capped: a body past the request's max_response bytes
    aborts the transfer with HNY_HTTP_E_TOOBIG. The engine never logs
    request bodies, headers or URLs with query strings, so that API keys do
    not reach the logs. */
#ifndef HNY_HTTP_H
#define HNY_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Transport outcome of a request. Never renumber. */
typedef enum {
    HNY_HTTP_OK = 0,            /* a response arrived (any HTTP status) */
    HNY_HTTP_E_TIMEOUT = 1,     /* the request's timeout elapsed */
    HNY_HTTP_E_CONNECT = 2,     /* connection refused or host unreachable */
    HNY_HTTP_E_RESOLVE = 3,     /* host name did not resolve */
    HNY_HTTP_E_RESET = 4,       /* connection reset or closed mid-response */
    HNY_HTTP_E_TOOBIG = 5,      /* response body past max_response */
    HNY_HTTP_E_TLS = 6,         /* TLS handshake or certificate failure */
    HNY_HTTP_E_OTHER = 7        /* anything else curl reports */
} hny_http_err_t;

/* What a completed request hands its callback. Everything is borrowed and
   valid only during the callback. */
typedef struct {
    hny_http_err_t error;       /* HNY_HTTP_OK when a response arrived */
    const char *error_text;     /* one line on the transport error; "" when OK */
    long status;                /* HTTP status; 0 when no response arrived */
    const char *body;           /* response body, NUL-terminated; "" when none */
    size_t body_size;           /* bytes in body (without the NUL) */
    const char *retry_after;    /* value of a Retry-After header, or NULL */
    int64_t elapsed_ms;         /* from start of transfer to completion */
} hny_http_response_t;

typedef void (hny_http_done_fn) (const hny_http_response_t *response, void *arg);

/* A request to add. All fields are copied by hny_http_add. */
typedef struct {
    const char *method;             /* "GET", "POST" or another, e.g. "DELETE" (sent like a
                                       POST, by that name); NULL: POST when body set, else GET */
    const char *url;
    const char *const *headers;     /* NULL-terminated "Name: value" lines; may be NULL */
    const void *body;               /* may be NULL */
    size_t body_size;
    int timeout_ms;                 /* whole transfer; <= 0: 30000 */
    size_t max_response;            /* cap on the response body; 0: 1 MiB */
    void (*cancelled) (void *arg);  /* called instead of done when the request is
                                       cancelled (to free arg); may be NULL */
} hny_http_request_t;

typedef struct _hny_http_t hny_http_t;

/* A new engine with its own curl multi handle. Caller owns the result;
   NULL when curl cannot be initialized. */
hny_http_t *hny_http_new (void);

/* Cancel every request (see hny_http_cancel_all) and free the engine. */
void hny_http_destroy (hny_http_t **self_p);

/* Set the concurrency limit of a group (>= 1); creates the group. Groups
   that were never set have a limit of 4. */
void hny_http_set_limit (hny_http_t *self, const char *group, int limit);

/* Queue a request in a group. It starts at once when the group is under its
   limit, else when an earlier request of the group completes. done(arg) is
   called exactly once, from hny_http_run (never from inside hny_http_add),
   unless the request is cancelled. Returns 0, or -1 when the request is
   unusable (no URL); then done is never called. */
int hny_http_add (hny_http_t *self, const char *group, const hny_http_request_t *request,
                  hny_http_done_fn *done, void *arg);

/* Cancel every request, in flight or queued: done is not called, the
   request's cancelled(arg) is, when set. Used when the worker drops its
   work after losing the broker. */
void hny_http_cancel_all (hny_http_t *self);

/* Wait for network activity, for one of the extra file descriptors to
   become readable (e.g. a ZeroMQ socket's ZMQ_FD, a signal pipe; at most
   HNY_HTTP_WAIT_FDS, fds may be NULL when count is 0), or for timeout_ms,
   whichever comes first; curl's own timers shorten the wait. Sets
   ready[i] (ready may be NULL) to 1 when fds[i] polled readable, else 0.
   An interrupting signal ends the wait early. Returns 0 or -1. */
#define HNY_HTTP_WAIT_FDS 4
int hny_http_wait (hny_http_t *self, const int *fds, size_t count, int timeout_ms, int *ready);

/* Advance transfers, call callbacks of completed requests and start queued
   ones. The slots the completed requests free go to queued requests, and
   those are sent, before any callback runs; callbacks run after, in the
   order curl finished the transfers. Callbacks may add new requests. A
   callback that cancels everything (hny_http_cancel_all) cancels the
   completed requests not yet reported too. Returns 0 or -1. */
int hny_http_run (hny_http_t *self);

/* Requests in flight and queued now, and the most ever in flight at once
   (for tests and stats). */
size_t hny_http_in_flight (const hny_http_t *self);
size_t hny_http_queued (const hny_http_t *self);
size_t hny_http_max_in_flight (const hny_http_t *self);

/* A short English name of a transport error; never NULL. */
const char *hny_http_strerror (hny_http_err_t error);

#endif
