/*  ts_http.h: what an API handler of the test server sees (a complete
    request) and what it gives back (a reply: status, body and how to send
    it, which is where transport faults live), plus the error bodies of each
    API and the fault replies shared by all of them. */
#ifndef TS_HTTP_H
#define TS_HTTP_H

#include "ts_state.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;

/* A request whose body has been read in full (at most the server's cap). */
typedef struct {
    struct MHD_Connection *conn;  /* to look up headers and query arguments */
    const char *method;           /* "GET", "POST", ... */
    const char *path;             /* without the query string */
    const char *body;             /* NUL-terminated, body_len bytes */
    size_t body_len;
    ts_state_t *state;            /* counters, violations, faults */
    const char *key;              /* the API key the server accepts */
} ts_request_t;

/* A header value, or NULL. Names are case-insensitive. */
const char *ts_request_header (const ts_request_t *req, const char *name);
/* A query-string argument, or NULL. */
const char *ts_request_query (const ts_request_t *req, const char *name);
/* Number of query-string arguments. */
int ts_request_query_count (const ts_request_t *req);
/* True when Content-Type is application/json (parameters allowed). */
int ts_request_is_json (const ts_request_t *req);

/* How a reply goes on the wire. */
typedef enum {
    TS_SEND_NORMAL = 0,   /* status, headers, body */
    TS_SEND_RESET,        /* close the connection (RST) without an answer */
    TS_SEND_HANG,         /* never answer; close when the client gives up */
    TS_SEND_TRUNCATED,    /* announce more bytes than the body, then close */
    TS_SEND_HUGE          /* '{', huge_bytes of spaces, then the rest of body */
} ts_send_t;

typedef struct {
    int status;                 /* HTTP status */
    const char *content_type;   /* static string */
    char *body;                 /* owned, malloc'd; may be NULL when body_len is 0 */
    size_t body_len;
    int retry_after;            /* >= 0: send Retry-After */
    ts_send_t send;
    uint64_t huge_bytes;        /* for TS_SEND_HUGE */
} ts_reply_t;

/* A fresh reply: 500, no body, retry_after -1, TS_SEND_NORMAL. */
void ts_reply_init (ts_reply_t *reply);
/* Free the body. */
void ts_reply_clear (ts_reply_t *reply);
/* Set status and a JSON body; takes over the reference to json. */
void ts_reply_json (ts_reply_t *reply, int status, json_t *json);
/* An error answer in api's own error shape (README.md). */
void ts_reply_error (ts_reply_t *reply, ts_api_t api, int status, const char *message);

/* Answer a fault that replaces the whole answer (429, 456, 500, 503, reset,
   hang, html). Returns 1 when it did, 0 for faults that change the answer
   (truncated, malformed, empty, wrong_count, huge, chatter, length). */
int ts_fault_reply (ts_reply_t *reply, ts_api_t api, ts_fault_t fault, const ts_faults_t *faults);
/* Apply the body-level faults (truncated, malformed, empty, huge) to a
   finished JSON answer; other faults are left alone. */
void ts_fault_finish (ts_reply_t *reply, ts_fault_t fault, const ts_faults_t *faults);

/* Parse the body as a JSON object. On failure records a violation, fills
   reply with a 400 in api's shape and returns NULL. Caller owns the result. */
json_t *ts_request_json (const ts_request_t *req, ts_api_t api, ts_reply_t *reply);

#endif
