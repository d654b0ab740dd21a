/*  hny_client.c: libhonyaku, the client side of the HNY/1 front protocol
    over one ZeroMQ DEALER socket.

    Every request carries a "req" id. Synchronous calls use ids of their
    own ("~N") and wait for the answer that echoes it; answers to pipelined
    requests (the caller's ids) that arrive meanwhile are queued for
    hny_client_recv_reply(), and stale answers to synchronous calls that
    timed out earlier are dropped. All waiting is zmq_poll against a
    deadline, so no call can hang on a daemon that is gone. */
#include "honyaku/client.h"
#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_PENDING_MAX   65536       /* answers queued for recv_reply */
#define S_WAIT_SLICE_MS 60000       /* longest single WAIT of hny_client_wait */
#define S_REQ_MAX       64          /* bytes of a req id (PROTOCOL.md) */

struct _hny_reply_t {
    char *command;          /* "ACCEPTED", ... */
    char *req;              /* echoed req id as a string; NULL when absent */
    int status;             /* 200 for ACCEPTED, else header "status" or 0 */
    json_t *header;         /* owned */
    uint8_t *body;          /* owned; NULL when the answer has none */
    size_t body_size;
};

struct _hny_client_t {
    void *ctx;                      /* ZeroMQ context, owned */
    void *sock;                     /* DEALER, NULL when the endpoint was bad */
    char *endpoint;
    int timeout_ms;                 /* answer deadline */
    uint64_t seq;                   /* next synchronous req id */
    char error [1024];              /* last error message */
    int status_code;                /* status of the last REJECTED, else 0 */
    char broken [1024];             /* why there is no socket, when there is none */
    hny_reply_t **pending;          /* ring of queued pipelined answers */
    size_t pending_head, pending_count, pending_cap;
};

static void s_set_error (hny_client_t *self, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static void
s_set_error (hny_client_t *self, int status, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, args);
    va_end (args);
    self->status_code = status;
}

static void
s_no_answer (hny_client_t *self, int64_t waited_ms)
{
    s_set_error (self, 0, "no answer from %s within %g s: is honyakud running?",
                 self->endpoint, waited_ms / 1000.0);
}

/* Create the DEALER and connect it, with CURVE when keys are given (Z85,
   40 characters each). 0, or -1 with self->error and self->broken set. */
static int
s_open (hny_client_t *self, const char *server_key, const char *public_key, const char *secret_key)
{
    self->sock = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!self->sock) {
        s_set_error (self, 0, "cannot create a socket: %s", zmq_strerror (errno));
        snprintf (self->broken, sizeof self->broken, "%s", self->error);
        return -1;
    }
    int linger = 0;
    int64_t maxmsg = (int64_t) HNY_PROTO_BODY_MAX + 1024;
    zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt (self->sock, ZMQ_SNDTIMEO, &self->timeout_ms, sizeof self->timeout_ms);
    if (server_key
    &&  (zmq_setsockopt (self->sock, ZMQ_CURVE_SERVERKEY, server_key, strlen (server_key))
      || zmq_setsockopt (self->sock, ZMQ_CURVE_PUBLICKEY, public_key, strlen (public_key))
      || zmq_setsockopt (self->sock, ZMQ_CURVE_SECRETKEY, secret_key, strlen (secret_key)))) {
        s_set_error (self, 0, "cannot use the CURVE keys: %s (expected 40-character Z85 keys)",
                     zmq_strerror (errno));
        zmq_close (self->sock);
        self->sock = NULL;
    }
    else if (zmq_connect (self->sock, self->endpoint)) {
        s_set_error (self, 0, "bad endpoint '%s' (%s): expected ipc://PATH or tcp://HOST:PORT",
                     self->endpoint, zmq_strerror (errno));
        zmq_close (self->sock);
        self->sock = NULL;
    }
    if (!self->sock) {
        snprintf (self->broken, sizeof self->broken, "%s", self->error);
        return -1;
    }
    self->broken [0] = 0;
    return 0;
}

hny_client_t *
hny_client_new (const char *endpoint)
{
    assert (endpoint);
    hny_client_t *self = hny_calloc (1, sizeof *self);
    self->endpoint = hny_strdup (endpoint);
    self->timeout_ms = HNY_CLIENT_TIMEOUT_MS;
    self->error [0] = '\0';
    self->ctx = zmq_ctx_new ();
    if (!self->ctx) {
        s_set_error (self, 0, "cannot create a ZeroMQ context: %s", zmq_strerror (errno));
        snprintf (self->broken, sizeof self->broken, "%s", self->error);
        return self;
    }
    s_open (self, NULL, NULL, NULL);
    return self;
}

int
hny_client_set_curve (hny_client_t *self, const char *server_key, const char *public_key,
                      const char *secret_key)
{
    assert (self && server_key && public_key && secret_key);
    if (!self->ctx)
        return -1;
    if (!zmq_has ("curve")) {
        s_set_error (self, 0, "this libzmq has no CURVE support");
        snprintf (self->broken, sizeof self->broken, "%s", self->error);
        return -1;
    }
    if (self->sock)
        zmq_close (self->sock);
    self->sock = NULL;
    return s_open (self, server_key, public_key, secret_key);
}

void
hny_client_destroy (hny_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_client_t *self = *self_p;
    while (self->pending_count) {
        hny_reply_destroy (&self->pending [self->pending_head]);
        self->pending_head = (self->pending_head + 1) % self->pending_cap;
        self->pending_count--;
    }
    free (self->pending);
    if (self->sock)
        zmq_close (self->sock);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void
hny_client_set_timeout (hny_client_t *self, int timeout_ms)
{
    assert (self);
    assert (timeout_ms > 0);
    self->timeout_ms = timeout_ms;
    if (self->sock)
        zmq_setsockopt (self->sock, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
}

int
hny_client_timeout (const hny_client_t *self)
{
    return self->timeout_ms;
}

const char *
hny_client_endpoint (const hny_client_t *self)
{
    return self->endpoint;
}

const char *
hny_client_error (const hny_client_t *self)
{
    return self->error;
}

int
hny_client_status_code (const hny_client_t *self)
{
    return self->status_code;
}

/* ---- replies ---------------------------------------------------------- */

void
hny_reply_destroy (hny_reply_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_reply_t *self = *self_p;
    free (self->command);
    free (self->req);
    json_decref (self->header);
    free (self->body);
    free (self);
    *self_p = NULL;
}

const char *
hny_reply_command (const hny_reply_t *self)
{
    return self->command;
}

const char *
hny_reply_req (const hny_reply_t *self)
{
    return self->req;
}

int
hny_reply_status (const hny_reply_t *self)
{
    return self->status;
}

json_t *
hny_reply_header (const hny_reply_t *self)
{
    return self->header;
}

const char *
hny_reply_get_str (const hny_reply_t *self, const char *field)
{
    return json_string_value (json_object_get (self->header, field));
}

char *
hny_reply_take_body (hny_reply_t *self, size_t *size)
{
    char *body = (char *) self->body;          /* NUL-terminated by s_reply_from_msg */
    if (size)
        *size = body ? self->body_size : 0;
    self->body = NULL;
    self->body_size = 0;
    return body;
}

/* Turn a decoded message into a reply; takes the message over. */
static hny_reply_t *
s_reply_from_msg (hny_msg_t **msg_p)
{
    hny_msg_t *msg = *msg_p;
    hny_reply_t *self = hny_calloc (1, sizeof *self);
    self->command = hny_strdup (hny_msg_command_name (hny_msg_id (msg)));
    self->header = json_incref (hny_msg_header (msg));
    json_t *req = json_object_get (self->header, "req");
    if (json_is_string (req))
        self->req = hny_strdup (json_string_value (req));
    else if (json_is_integer (req))
        self->req = hny_sprintf ("%" PRId64, (int64_t) json_integer_value (req));
    if (hny_msg_id (msg) == HNY_MSG_ACCEPTED)
        self->status = HNY_STATUS_OK;
    else
        self->status = (int) hny_msg_get_int (msg, "status", 0);
    size_t size = 0;
    const uint8_t *body = hny_msg_body (msg, &size);
    if (body) {
        self->body = hny_malloc (size + 1);
        memcpy (self->body, body, size);
        self->body [size] = '\0';
        self->body_size = size;
    }
    hny_msg_destroy (msg_p);
    return self;
}

static void
s_pending_push (hny_client_t *self, hny_reply_t **reply_p)
{
    if (self->pending_count == S_PENDING_MAX) {
        hny_warn ("client: more than %d unclaimed answers; dropping one", S_PENDING_MAX);
        hny_reply_destroy (reply_p);
        return;
    }
    if (self->pending_count == self->pending_cap) {
        size_t cap = self->pending_cap ? self->pending_cap * 2 : 64;
        hny_reply_t **ring = hny_calloc (cap, sizeof *ring);
        for (size_t i = 0; i < self->pending_count; i++)
            ring [i] = self->pending [(self->pending_head + i) % self->pending_cap];
        free (self->pending);
        self->pending = ring;
        self->pending_cap = cap;
        self->pending_head = 0;
    }
    self->pending [(self->pending_head + self->pending_count) % self->pending_cap] = *reply_p;
    self->pending_count++;
    *reply_p = NULL;
}

static hny_reply_t *
s_pending_pop (hny_client_t *self)
{
    if (!self->pending_count)
        return NULL;
    hny_reply_t *reply = self->pending [self->pending_head];
    self->pending [self->pending_head] = NULL;
    self->pending_head = (self->pending_head + 1) % self->pending_cap;
    self->pending_count--;
    return reply;
}

/* Receive one well-formed answer before the deadline (monotonic ms).
   Returns 0 with *reply, 1 when the deadline passed, -1 on socket error. */
static int
s_recv_one (hny_client_t *self, int64_t deadline, hny_reply_t **reply)
{
    for (;;) {
        int64_t left = deadline - hny_clock_mono_ms ();
        if (left < 0)
            left = 0;
        zmq_pollitem_t item = { self->sock, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            s_set_error (self, 0, "cannot read from %s: %s", self->endpoint, zmq_strerror (errno));
            return -1;
        }
        if (rc == 0)
            return 1;
        hny_msg_t *msg = hny_msg_recv (self->sock);
        if (!msg) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            s_set_error (self, 0, "cannot read from %s: %s", self->endpoint, zmq_strerror (errno));
            return -1;
        }
        if (hny_msg_id (msg) == HNY_MSG_INVALID) {
            /* Nothing to answer on a DEALER; note it and keep waiting. */
            hny_warn ("client: ignoring a malformed message from %s: %s",
                      self->endpoint, hny_msg_error_reason (msg));
            hny_msg_destroy (&msg);
            continue;
        }
        *reply = s_reply_from_msg (&msg);
        return 0;
    }
}

static int
s_check_ready (hny_client_t *self)
{
    if (self->sock)
        return 0;
    s_set_error (self, 0, "%s", self->broken);
    return -1;
}

/* Send a request with the given req id; takes the message over. */
static int
s_send (hny_client_t *self, hny_msg_t **msg_p, const char *req)
{
    if (s_check_ready (self)) {
        hny_msg_destroy (msg_p);
        return -1;
    }
    hny_msg_set_str (*msg_p, "req", req);
    if (hny_msg_send (msg_p, self->sock)) {
        if (errno == EAGAIN)
            s_no_answer (self, self->timeout_ms);
        else
            s_set_error (self, 0, "cannot send to %s: %s", self->endpoint, zmq_strerror (errno));
        return -1;
    }
    return 0;
}

/* One synchronous round trip: send, then wait for the answer that echoes
   our req id for at most extra_ms + the client timeout. Answers to the
   caller's pipelined requests are queued; stale synchronous ones dropped.
   A REJECTED answer becomes an error. Returns 0 with *reply or -1. */
static int
s_call (hny_client_t *self, hny_msg_t **msg_p, int64_t extra_ms, hny_reply_t **reply)
{
    char req [32];
    snprintf (req, sizeof req, "~%" PRIu64, ++self->seq);
    self->status_code = 0;
    self->error [0] = '\0';
    if (s_send (self, msg_p, req))
        return -1;
    int64_t deadline = hny_clock_mono_ms () + extra_ms + self->timeout_ms;
    for (;;) {
        hny_reply_t *got = NULL;
        int rc = s_recv_one (self, deadline, &got);
        if (rc == 1)
            s_no_answer (self, extra_ms + self->timeout_ms);
        if (rc)
            return -1;
        if (got->req && strcmp (got->req, req) == 0) {
            if (strcmp (got->command, "REJECTED") == 0) {
                const char *reason = hny_reply_get_str (got, "reason");
                s_set_error (self, got->status, "%s (status %d)",
                             reason ? reason : "rejected", got->status);
                hny_reply_destroy (&got);
                return -1;
            }
            *reply = got;
            return 0;
        }
        if (got->req && got->req [0] == '~')
            hny_reply_destroy (&got);          /* late answer to an earlier call */
        else
            s_pending_push (self, &got);
    }
}

/* An answer of an unexpected kind. */
static int
s_unexpected (hny_client_t *self, hny_reply_t **reply_p, const char *wanted)
{
    s_set_error (self, 0, "unexpected answer %s from %s (expected %s)",
                 (*reply_p)->command, self->endpoint, wanted);
    hny_reply_destroy (reply_p);
    return -1;
}

/* ---- requests --------------------------------------------------------- */

static hny_msg_t *
s_submit_msg (const hny_submit_t *opts, const void *data, size_t size)
{
    assert (opts && opts->from && opts->to);
    assert (data || size == 0);
    hny_msg_t *msg = hny_msg_new (HNY_MSG_SUBMIT);
    hny_msg_set_str (msg, "from", opts->from);
    hny_msg_set_str (msg, "to", opts->to);
    if (opts->backend)
        hny_msg_set_str (msg, "backend", opts->backend);
    if (opts->key)
        hny_msg_set_str (msg, "key", opts->key);
    if (opts->format)
        hny_msg_set_str (msg, "format", opts->format);
    if (opts->source)
        hny_msg_set_str (msg, "source", opts->source);
    if (opts->lenient)
        json_object_set_new (hny_msg_header (msg), "lenient", json_true ());
    if (opts->metadata)
        json_object_set (hny_msg_header (msg), "metadata", opts->metadata);
    hny_msg_set_body (msg, data ? data : "", size);
    return msg;
}

int
hny_client_submit (hny_client_t *self, const hny_submit_t *opts,
                   const void *data, size_t size, char **job_out, int *existing)
{
    assert (self);
    hny_msg_t *msg = s_submit_msg (opts, data, size);
    hny_reply_t *reply = NULL;
    if (s_call (self, &msg, 0, &reply))
        return -1;
    if (strcmp (reply->command, "ACCEPTED"))
        return s_unexpected (self, &reply, "ACCEPTED");
    const char *job = hny_reply_get_str (reply, "job");
    if (job_out)
        *job_out = hny_strdup (job ? job : "");
    if (existing)
        *existing = json_is_true (json_object_get (reply->header, "existing"));
    hny_reply_destroy (&reply);
    return 0;
}

int
hny_client_status (hny_client_t *self, const char *job, json_t **out)
{
    assert (self && out);
    hny_msg_t *msg = hny_msg_new (HNY_MSG_STATUS);
    if (job)
        hny_msg_set_str (msg, "job", job);
    hny_reply_t *reply = NULL;
    if (s_call (self, &msg, 0, &reply))
        return -1;
    if (strcmp (reply->command, "STATUS"))
        return s_unexpected (self, &reply, "STATUS");
    *out = json_incref (reply->header);
    json_object_del (*out, "req");
    hny_reply_destroy (&reply);
    return 0;
}

int
hny_client_wait (hny_client_t *self, const char *job, int timeout_ms, char **state_out)
{
    assert (self && job);
    int64_t until = timeout_ms < 0 ? INT64_MAX : hny_clock_mono_ms () + timeout_ms;
    for (;;) {
        /* WAITs are held by the daemon for one client timeout at most, so
           that a daemon that died is noticed within two timeouts. */
        int64_t slice = self->timeout_ms < S_WAIT_SLICE_MS ? self->timeout_ms : S_WAIT_SLICE_MS;
        if (until != INT64_MAX) {
            int64_t left = until - hny_clock_mono_ms ();
            slice = left < 0 ? 0 : left < slice ? left : slice;
        }
        hny_msg_t *msg = hny_msg_new (HNY_MSG_WAIT);
        hny_msg_set_str (msg, "job", job);
        hny_msg_set_int (msg, "timeout_ms", slice);
        hny_reply_t *reply = NULL;
        if (s_call (self, &msg, slice, &reply))
            return -1;
        if (strcmp (reply->command, "DONE"))
            return s_unexpected (self, &reply, "DONE");
        const char *state = hny_reply_get_str (reply, "state");
        int finished = reply->status == HNY_STATUS_OK;
        int out_of_time = until != INT64_MAX && hny_clock_mono_ms () >= until;
        if (finished || out_of_time) {
            if (state_out)
                *state_out = hny_strdup (state ? state : "unknown");
            hny_reply_destroy (&reply);
            return finished ? 0 : 1;
        }
        hny_reply_destroy (&reply);
    }
}

int
hny_client_fetch (hny_client_t *self, const char *job, char **record_json, size_t *len)
{
    assert (self && job && record_json);
    hny_msg_t *msg = hny_msg_new (HNY_MSG_FETCH);
    hny_msg_set_str (msg, "job", job);
    hny_reply_t *reply = NULL;
    if (s_call (self, &msg, 0, &reply))
        return -1;
    if (strcmp (reply->command, "RECORD"))
        return s_unexpected (self, &reply, "RECORD");
    if (!reply->body) {
        s_set_error (self, 0, "job %s: the daemon sent a record without a body", job);
        hny_reply_destroy (&reply);
        return -1;
    }
    *record_json = (char *) reply->body;       /* NUL-terminated by s_reply_from_msg */
    if (len)
        *len = reply->body_size;
    reply->body = NULL;
    hny_reply_destroy (&reply);
    return 0;
}

int
hny_client_list (hny_client_t *self, const char *after, int limit, const char *state,
                 json_t **jobs, char **next)
{
    assert (self && jobs);
    hny_msg_t *msg = hny_msg_new (HNY_MSG_LIST);
    if (after)
        hny_msg_set_str (msg, "after", after);
    if (limit > 0)
        hny_msg_set_int (msg, "limit", limit);
    if (state)
        hny_msg_set_str (msg, "state", state);
    hny_reply_t *reply = NULL;
    if (s_call (self, &msg, 0, &reply))
        return -1;
    if (strcmp (reply->command, "LISTING"))
        return s_unexpected (self, &reply, "LISTING");
    json_t *array = json_object_get (reply->header, "jobs");
    *jobs = json_is_array (array) ? json_incref (array) : json_array ();
    if (next) {
        const char *n = hny_reply_get_str (reply, "next");
        *next = n ? hny_strdup (n) : NULL;
    }
    hny_reply_destroy (&reply);
    return 0;
}

int
hny_client_stats (hny_client_t *self, json_t **out)
{
    assert (self && out);
    hny_msg_t *msg = hny_msg_new (HNY_MSG_STATS);
    hny_reply_t *reply = NULL;
    if (s_call (self, &msg, 0, &reply))
        return -1;
    if (strcmp (reply->command, "STATS"))
        return s_unexpected (self, &reply, "STATS");
    *out = json_incref (reply->header);
    json_object_del (*out, "req");
    hny_reply_destroy (&reply);
    return 0;
}

/* ---- pipelining ------------------------------------------------------- */

static int
s_check_req (hny_client_t *self, const char *req)
{
    if (!req || !*req || req [0] == '~' || strlen (req) > S_REQ_MAX) {
        s_set_error (self, 0, "bad request id '%s': 1 to %d bytes, not starting with '~'",
                     req ? req : "(null)", S_REQ_MAX);
        return -1;
    }
    return 0;
}

int
hny_client_send_submit (hny_client_t *self, const char *req, const hny_submit_t *opts,
                        const void *data, size_t size)
{
    assert (self);
    if (s_check_req (self, req))
        return -1;
    hny_msg_t *msg = s_submit_msg (opts, data, size);
    return s_send (self, &msg, req);
}

int
hny_client_send_wait (hny_client_t *self, const char *req, const char *job, int timeout_ms)
{
    assert (self && job);
    if (s_check_req (self, req))
        return -1;
    if (timeout_ms < 0 || timeout_ms > 3600000) {
        s_set_error (self, 0, "WAIT timeout %d ms is out of range (0..3600000)", timeout_ms);
        return -1;
    }
    hny_msg_t *msg = hny_msg_new (HNY_MSG_WAIT);
    hny_msg_set_str (msg, "job", job);
    hny_msg_set_int (msg, "timeout_ms", timeout_ms);
    return s_send (self, &msg, req);
}

int
hny_client_send_fetch (hny_client_t *self, const char *req, const char *job)
{
    assert (self && job);
    if (s_check_req (self, req))
        return -1;
    hny_msg_t *msg = hny_msg_new (HNY_MSG_FETCH);
    hny_msg_set_str (msg, "job", job);
    return s_send (self, &msg, req);
}

int
hny_client_recv_reply (hny_client_t *self, int timeout_ms, hny_reply_t **reply)
{
    assert (self && reply);
    *reply = s_pending_pop (self);
    if (*reply)
        return 0;
    if (s_check_ready (self))
        return -1;
    int64_t deadline = hny_clock_mono_ms () + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        hny_reply_t *got = NULL;
        int rc = s_recv_one (self, deadline, &got);
        if (rc)
            return rc;
        if (got->req && got->req [0] == '~') {
            hny_reply_destroy (&got);           /* late answer to a synchronous call */
            continue;
        }
        *reply = got;
        return 0;
    }
}
