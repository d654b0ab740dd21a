/*  hny_client.c: libhonyaku, the client side of the HNY/1 front protocol
    over one ZeroMQ DEALER socket.

    Every request carries a "req" id. Synchronous calls use ids of their
    own ("~N") and wait for the answer that echoes it; answers to pipelined
    requests (the caller's ids) that arrive meanwhile are queued for
    hny_client_recv_reply(), and stale answers to synchronous calls that
    timed out earlier are dropped. All waiting is zmq_poll against a
    deadline, so no call can hang on a daemon that is gone.

    Knowing the daemon is gone sooner than a timeout: before the first
    request on an ipc:// socket a plain AF_UNIX connect() checks that
    someone listens there (s_probe), and a ZeroMQ socket monitor reports
    when the connection drops (honyakud died or restarted), so that the
    requests it took along can be sent again at once. */
#include "honyaku/client.h"
#include "honyaku/lang.h"
#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#define S_PENDING_MAX   65536       /* answers queued for recv_reply */
#define S_WAIT_SLICE_MS 60000       /* longest single WAIT of hny_client_wait */
#define S_REQ_MAX       64          /* bytes of a req id (PROTOCOL.md) */
#define S_KEY_LEN       41          /* a Z85 CURVE key and its NUL */
#define S_RETRY_MS      100         /* first pause before asking a busy daemon again */
#define S_RETRY_MAX_MS  2000        /* longest such pause */
#define S_PROBE_GRACE_MS 500        /* how long a missing or stale ipc socket may take to appear */
#define S_PROBE_EVERY_MS 20

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
    void *monitor;                  /* PAIR with the DEALER's connection events; may be NULL */
    unsigned generation;            /* DEALERs opened so far (names the monitor) */
    char *endpoint;
    int timeout_ms;                 /* answer deadline */
    uint64_t seq;                   /* next synchronous req id */
    char error [1024];              /* last error message */
    int status_code;                /* status of the last REJECTED, else 0 */
    char broken [1024];             /* why there is no socket, when there is none */
    int probed;                     /* the ipc socket file was checked for this DEALER */
    int up;                         /* a handshake succeeded on the current connection */
    int lost;                       /* the connection dropped: unanswered requests are gone */
    int orphaned;                   /* a synchronous call reconnected under pipelined requests */
    size_t unanswered;              /* pipelined requests sent on this DEALER, not answered */
    int curve;                      /* the keys below are in use */
    char server_key [S_KEY_LEN], public_key [S_KEY_LEN], secret_key [S_KEY_LEN];
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

int64_t
hny_client_backoff_ms (int tries, int64_t base_ms, int64_t max_ms)
{
    /* One seed per thread: clients may live in several threads (one each),
       and each thread's own address keeps their jitter apart. */
    static _Thread_local unsigned seed = 0;
    if (!seed)
        seed = (unsigned) hny_clock_mono_ms () ^ ((unsigned) getpid () << 16)
             ^ (unsigned) (uintptr_t) &seed;
    int64_t ms = base_ms > 0 ? base_ms : 1;
    for (int i = 0; i < tries && ms < max_ms; i++)
        ms *= 2;
    if (ms > max_ms)
        ms = max_ms;
    return ms * 3 / 4 + rand_r (&seed) % (ms / 2 + 1);
}

static int64_t
s_backoff_ms (int tries)
{
    return hny_client_backoff_ms (tries, S_RETRY_MS, S_RETRY_MAX_MS);
}

/* "user NAME" or "uid N" for messages about permissions. */
static void
s_owner (uid_t uid, char *out, size_t size)
{
    struct passwd *pw = getpwuid (uid);
    if (pw && pw->pw_name)
        snprintf (out, size, "user %s", pw->pw_name);
    else
        snprintf (out, size, "uid %u", (unsigned) uid);
}

/* What to do about a permission denied on a socket file or on the
   directory it is in (st: its stat): a file open to its group (honyakud's
   socket_group) is for that group's members, so join it, or log in again
   when /etc/group lists us already (a session keeps the groups it started
   with); else it is honyakud's user's alone. */
static void
s_access_hint (const struct stat *st, char *out, size_t size)
{
    struct group *gr = (st->st_mode & 0070) && st->st_gid != 0 ? getgrgid (st->st_gid) : NULL;
    if (!gr || !gr->gr_name) {
        snprintf (out, size, "run honyaku as honyakud's user (or set socket_group in its "
                  "config and join that group)");
        return;
    }
    struct passwd *pw = getpwuid (getuid ());
    const char *user = pw && pw->pw_name ? pw->pw_name : "USER";
    int listed = pw && pw->pw_gid == gr->gr_gid;
    for (char **m = gr->gr_mem; m && *m && !listed; m++)
        listed = strcmp (*m, user) == 0;
    if (listed)
        snprintf (out, size, "you were added to group %s after this session began: log in "
                  "again (or run 'newgrp %s')", gr->gr_name, gr->gr_name);
    else
        snprintf (out, size, "join group %s to use it (sudo adduser %s %s), then log in again",
                  gr->gr_name, user, gr->gr_name);
}

/* Check an ipc:// endpoint before ZeroMQ is left to retry it silently:
   is there a socket file, may we connect, does anyone listen? A plain
   AF_UNIX connect(), closed at once (the broker's ZeroMQ drops a peer that
   says nothing). Other transports and the abstract namespace (ipc://@name)
   pass unchecked. 0 when usable, else -1 with the reason in self->error
   and *transient set when starting honyakud would change the answer (no
   socket or folder yet; a stale socket it is about to replace). */
static int
s_probe_once (hny_client_t *self, int *transient)
{
    *transient = 0;
    if (strncmp (self->endpoint, "ipc://", 6) != 0 || self->endpoint [6] == '@') {
        self->probed = 1;
        return 0;
    }
    const char *path = self->endpoint + 6;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    if (strlen (path) >= sizeof addr.sun_path) {
        self->probed = 1;               /* zmq_connect has refused it already */
        return 0;
    }
    memcpy (addr.sun_path, path, strlen (path) + 1);
    char dir [sizeof addr.sun_path];
    const char *slash = strrchr (path, '/');
    snprintf (dir, sizeof dir, "%.*s", slash ? (int) (slash == path ? 1 : slash - path) : 1,
              slash ? path : ".");
    char who [96], hint [256];
    struct stat st, dst;
    if (stat (path, &st) != 0) {
        int err = errno;
        *transient = err == ENOENT;
        if (err == ENOENT && stat (dir, &dst) != 0 && errno == ENOENT)
            s_set_error (self, 0, "no socket at %s: is honyakud running? (%s does not exist)",
                         path, dir);
        else if (err == ENOENT)
            s_set_error (self, 0, "no socket at %s: is honyakud running? (its state directory "
                         "is %s)", path, dir);
        else if (err == EACCES && stat (dir, &dst) == 0) {
            s_owner (dst.st_uid, who, sizeof who);
            s_access_hint (&dst, hint, sizeof hint);
            s_set_error (self, 0, "permission denied: %s (%s, mode %04o) is closed to this "
                         "user, so %s cannot be reached: %s", dir, who,
                         (unsigned) (dst.st_mode & 07777), path, hint);
        }
        else if (err == EACCES)
            s_set_error (self, 0, "permission denied: a folder on the way to %s is closed to "
                         "this user: run honyaku as honyakud's user", path);
        else
            s_set_error (self, 0, "cannot reach %s: %s", path, strerror (err));
        return -1;
    }
    if (!S_ISSOCK (st.st_mode)) {
        s_set_error (self, 0, "%s is not a socket (it is %s): is the endpoint right?", path,
                     S_ISDIR (st.st_mode) ? "a folder" : S_ISREG (st.st_mode) ? "a regular file"
                                                                              : "not a socket");
        return -1;
    }
    /* Non-blocking, so that a listener with a full backlog cannot hold us. */
    int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;                       /* no file descriptor to spare: let ZeroMQ try */
    int rc = connect (fd, (struct sockaddr *) &addr, sizeof addr);
    int err = errno;
    close (fd);
    if (rc == 0 || err == EAGAIN || err == EINPROGRESS || err == EINTR) {
        self->probed = 1;
        return 0;
    }
    *transient = err == ECONNREFUSED;
    if (err == ECONNREFUSED)
        s_set_error (self, 0, "nobody listens on %s (honyakud is not running; the socket file "
                     "is stale)", path);
    else if (err == EACCES || err == EPERM) {
        s_owner (st.st_uid, who, sizeof who);
        s_access_hint (&st, hint, sizeof hint);
        s_set_error (self, 0, "permission denied: %s belongs to %s (mode %04o): %s", path, who,
                     (unsigned) (st.st_mode & 07777), hint);
    }
    else
        s_set_error (self, 0, "cannot connect to %s: %s", path, strerror (err));
    return -1;
}

/* s_probe_once, asked again for up to grace_ms while the answer may be
   about to change: a honyakud started a moment ago binds its socket within
   some tens of milliseconds, and a script that starts it and then calls
   honyaku should not fail for that. */
static int
s_probe (hny_client_t *self, int grace_ms)
{
    int64_t until = hny_clock_mono_ms () + grace_ms;
    for (;;) {
        int transient = 0;
        if (s_probe_once (self, &transient) == 0)
            return 0;
        if (!transient || hny_clock_mono_ms () >= until)
            return -1;
        hny_sleep_ms (S_PROBE_EVERY_MS);
    }
}

/* Close the DEALER and its monitor; unsent and unanswered requests are dropped. */
static void
s_close (hny_client_t *self)
{
    if (self->monitor) {
        zmq_socket_monitor (self->sock, NULL, 0);
        zmq_close (self->monitor);
        self->monitor = NULL;
    }
    if (self->sock)
        zmq_close (self->sock);
    self->sock = NULL;
}

/* Watch the DEALER's connection: a PAIR socket receives its handshake and
   disconnect events. Without it (no inproc, no memory) a dead daemon is
   still noticed by the answer deadline, later. */
static void
s_monitor (hny_client_t *self)
{
    char addr [64];
    snprintf (addr, sizeof addr, "inproc://hny-client-monitor-%u", self->generation);
    if (zmq_socket_monitor (self->sock, addr,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED) != 0)
        return;
    self->monitor = zmq_socket (self->ctx, ZMQ_PAIR);
    int linger = 0;
    if (self->monitor)
        zmq_setsockopt (self->monitor, ZMQ_LINGER, &linger, sizeof linger);
    if (!self->monitor || zmq_connect (self->monitor, addr) != 0) {
        hny_debug ("client: no connection monitor: %s", zmq_strerror (errno));
        if (self->monitor)
            zmq_close (self->monitor);
        self->monitor = NULL;
        zmq_socket_monitor (self->sock, NULL, 0);
    }
}

/* Read the monitor's pending events; sets self->lost when a connection
   that was up dropped. One that never finished its handshake (a CURVE key
   the daemon refuses) carried no request: ZeroMQ keeps them queued and
   retries, and the call ends with its usual "no answer". */
static void
s_monitor_read (hny_client_t *self)
{
    while (self->monitor) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, self->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&frame);
            return;
        }
        /* An event is two frames: 16-bit event id and 32-bit value, then
           the endpoint. */
        uint16_t event = 0;
        if (zmq_msg_size (&frame) >= sizeof event)
            memcpy (&event, zmq_msg_data (&frame), sizeof event);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            self->up = 1;
        else if (event == ZMQ_EVENT_DISCONNECTED && self->up) {
            self->lost = 1;
            self->up = 0;
        }
        while (zmq_msg_more (&frame)) {
            zmq_msg_close (&frame);
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, self->monitor, ZMQ_DONTWAIT) < 0)
                break;
        }
        zmq_msg_close (&frame);
    }
}

/* Create the DEALER and connect it, with CURVE when self->curve is set.
   0, or -1 with self->error and self->broken set. */
static int
s_open (hny_client_t *self)
{
    self->sock = zmq_socket (self->ctx, ZMQ_DEALER);
    if (!self->sock) {
        s_set_error (self, 0, "cannot create a socket: %s", zmq_strerror (errno));
        snprintf (self->broken, sizeof self->broken, "%s", self->error);
        return -1;
    }
    self->generation++;
    self->probed = 0;
    self->up = 0;
    self->lost = 0;
    self->unanswered = 0;
    int linger = 0;
    /* Answers may be as large as the caps of PROTOCOL.md section 3 allow. */
    int64_t maxmsg = (int64_t) HNY_PROTO_BODY_MAX + HNY_PROTO_HEADER_MAX + 4096;
    zmq_setsockopt (self->sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (self->sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt (self->sock, ZMQ_SNDTIMEO, &self->timeout_ms, sizeof self->timeout_ms);
    if (self->curve
    &&  (zmq_setsockopt (self->sock, ZMQ_CURVE_SERVERKEY, self->server_key, strlen (self->server_key))
      || zmq_setsockopt (self->sock, ZMQ_CURVE_PUBLICKEY, self->public_key, strlen (self->public_key))
      || zmq_setsockopt (self->sock, ZMQ_CURVE_SECRETKEY, self->secret_key, strlen (self->secret_key)))) {
        s_set_error (self, 0, "cannot use the CURVE keys: %s (expected 40-character Z85 keys)",
                     zmq_strerror (errno));
        zmq_close (self->sock);
        self->sock = NULL;
    }
    else {
        /* The monitor first: a connection that is up before it watches
           (ipc:// to a running daemon can finish its handshake at once)
           would never be seen up, so its drop would go unnoticed until
           the answer deadline (a batch once stalled 20 s that way after
           a daemon's restart). */
        s_monitor (self);
        if (zmq_connect (self->sock, self->endpoint)) {
            s_set_error (self, 0, "bad endpoint '%s' (%s): expected ipc://PATH or tcp://HOST:PORT",
                         self->endpoint, zmq_strerror (errno));
            s_close (self);
        }
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
    s_open (self);
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
    /* Kept (and wiped on destroy) so that a reconnect uses them again. A
       key longer than a Z85 key is kept as "": cut to fit it could pass
       for another key, and "" is refused by s_open, here and on every
       reconnect, as ZeroMQ refuses any key that is not one. */
    int fit = strlen (server_key) < S_KEY_LEN && strlen (public_key) < S_KEY_LEN
           && strlen (secret_key) < S_KEY_LEN;
    snprintf (self->server_key, sizeof self->server_key, "%s", fit ? server_key : "");
    snprintf (self->public_key, sizeof self->public_key, "%s", fit ? public_key : "");
    snprintf (self->secret_key, sizeof self->secret_key, "%s", fit ? secret_key : "");
    self->curve = 1;
    s_close (self);
    return s_open (self);
}

int
hny_client_reconnect (hny_client_t *self)
{
    assert (self);
    self->status_code = 0;
    self->error [0] = '\0';
    if (!self->ctx)
        return -1;
    s_close (self);
    self->orphaned = 0;
    if (s_open (self))
        return -1;
    return s_probe (self, 0);
}

int
hny_client_lost (hny_client_t *self)
{
    assert (self);
    s_monitor_read (self);
    return self->lost;
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
    s_close (self);
    if (self->ctx)
        zmq_ctx_term (self->ctx);
    explicit_bzero (self->secret_key, sizeof self->secret_key);
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
   Returns what hny_client_recv_reply does: HNY_RECV_OK with *reply,
   HNY_RECV_TIMEOUT when the deadline passed, HNY_RECV_LOST when the
   connection dropped (answers that were in already are returned first),
   HNY_RECV_ERROR on socket error. */
static int
s_recv_one (hny_client_t *self, int64_t deadline, hny_reply_t **reply)
{
    for (;;) {
        int64_t left = deadline - hny_clock_mono_ms ();
        if (left < 0 || self->lost)
            left = 0;
        zmq_pollitem_t items [2] = { { self->sock, 0, ZMQ_POLLIN, 0 },
                                     { self->monitor, 0, ZMQ_POLLIN, 0 } };
        int rc = zmq_poll (items, self->monitor ? 2 : 1, (long) left);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            s_set_error (self, 0, "cannot read from %s: %s", self->endpoint, zmq_strerror (errno));
            return HNY_RECV_ERROR;
        }
        if (items [0].revents & ZMQ_POLLIN) {
            hny_msg_t *msg = hny_msg_recv (self->sock);
            if (!msg) {
                if (errno == EINTR || errno == EAGAIN)
                    continue;
                s_set_error (self, 0, "cannot read from %s: %s", self->endpoint,
                             zmq_strerror (errno));
                return HNY_RECV_ERROR;
            }
            if (hny_msg_id (msg) == HNY_MSG_INVALID) {
                /* Nothing to answer on a DEALER; note it and keep waiting. */
                hny_warn ("client: ignoring a malformed message from %s: %s",
                          self->endpoint, hny_msg_error_reason (msg));
                hny_msg_destroy (&msg);
                continue;
            }
            *reply = s_reply_from_msg (&msg);
            if (!((*reply)->req && (*reply)->req [0] == '~') && self->unanswered)
                self->unanswered--;
            return HNY_RECV_OK;
        }
        if (self->monitor && (items [1].revents & ZMQ_POLLIN)) {
            s_monitor_read (self);
            continue;
        }
        if (self->lost) {
            s_set_error (self, 0, "lost the connection to %s (honyakud stopped or restarted)",
                         self->endpoint);
            return HNY_RECV_LOST;
        }
        if (rc == 0)
            return HNY_RECV_TIMEOUT;
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

/* Send a request with the given req id; the message stays the caller's
   (a synchronous call sends it again after a reconnect). The first
   request on a DEALER checks an ipc:// socket first (s_probe). */
static int
s_send (hny_client_t *self, hny_msg_t *msg, const char *req)
{
    int grace = self->timeout_ms < S_PROBE_GRACE_MS ? self->timeout_ms : S_PROBE_GRACE_MS;
    if (s_check_ready (self) || (!self->probed && s_probe (self, grace)))
        return -1;
    hny_msg_set_str (msg, "req", req);
    if (hny_msg_send_keep (msg, self->sock)) {
        if (errno == EAGAIN)
            s_no_answer (self, self->timeout_ms);
        else
            s_set_error (self, 0, "cannot send to %s: %s", self->endpoint, zmq_strerror (errno));
        return -1;
    }
    if (req [0] != '~')
        self->unanswered++;
    return 0;
}

/* After the connection dropped during a synchronous call: open a new
   DEALER and wait, with backoff, until the ipc:// socket is usable again
   (honyakud restarting) or the deadline. Pipelined requests that were
   unanswered will get no answer: hny_client_recv_reply says so once.
   0, or -1 with the reason. */
static int
s_recover (hny_client_t *self, int64_t deadline, int *tries)
{
    int orphans = self->orphaned || self->unanswered > 0;
    for (;;) {
        if (*tries) {
            int64_t pause = s_backoff_ms (*tries - 1);
            if (hny_clock_mono_ms () + pause >= deadline)
                return -1;              /* self->error: the last reason */
            hny_sleep_ms (pause);
        }
        (*tries)++;
        int rc = hny_client_reconnect (self);
        self->orphaned = orphans;
        if (rc == 0)
            return 0;
        if (!self->sock)
            return -1;                  /* no socket at all: waiting cannot help */
    }
}

/* Wait for the answer that echoes req until the deadline. Answers to the
   caller's pipelined requests are queued; stale synchronous ones dropped.
   Returns as s_recv_one. */
static int
s_await (hny_client_t *self, const char *req, int64_t deadline, hny_reply_t **reply)
{
    for (;;) {
        hny_reply_t *got = NULL;
        int rc = s_recv_one (self, deadline, &got);
        if (rc != HNY_RECV_OK)
            return rc;
        if (got->req && strcmp (got->req, req) == 0) {
            *reply = got;
            return HNY_RECV_OK;
        }
        if (got->req && got->req [0] == '~')
            hny_reply_destroy (&got);          /* late answer to an earlier call */
        else
            s_pending_push (self, &got);
    }
}

/* One synchronous round trip: send, then wait for the answer that echoes
   our req id for at most extra_ms + the client timeout in all. All requests
   are idempotent (SUBMIT by its key, given or derived), so within that
   time a REJECTED 303 (busy) is asked again after a backoff, and a
   connection that drops (honyakud restarting) is opened again and the
   request sent again. Any other REJECTED answer becomes an error. Takes
   the message over. Returns 0 with *reply or -1. */
static int
s_call (hny_client_t *self, hny_msg_t **msg_p, int64_t extra_ms, hny_reply_t **reply)
{
    char req [32];
    snprintf (req, sizeof req, "~%" PRIu64, ++self->seq);
    self->status_code = 0;
    self->error [0] = '\0';
    int64_t deadline = hny_clock_mono_ms () + extra_ms + self->timeout_ms;
    hny_msg_t *msg = *msg_p;
    *msg_p = NULL;
    int rc = -1, busy = 0, reconnects = 0;
    for (;;) {
        s_monitor_read (self);
        if (self->lost && s_recover (self, deadline, &reconnects))
            break;
        if (s_send (self, msg, req))
            break;
        hny_reply_t *got = NULL;
        int r = s_await (self, req, deadline, &got);
        if (r == HNY_RECV_LOST)
            continue;                   /* lost: reconnect and ask again */
        if (r == HNY_RECV_TIMEOUT) {
            /* Say why when the socket says more than the silence does. */
            self->probed = 0;
            if (s_probe (self, 0) == 0)
                s_no_answer (self, extra_ms + self->timeout_ms);
        }
        if (r != HNY_RECV_OK)
            break;
        if (strcmp (got->command, "REJECTED") == 0) {
            const char *reason = hny_reply_get_str (got, "reason");
            s_set_error (self, got->status, "%s (status %d)", reason ? reason : "rejected",
                         got->status);
            int64_t pause = s_backoff_ms (busy++);
            int again = got->status == HNY_STATUS_BUSY
                     && hny_clock_mono_ms () + pause < deadline;
            hny_reply_destroy (&got);
            if (!again)
                break;
            hny_sleep_ms (pause);
            continue;
        }
        self->status_code = 0;
        self->error [0] = '\0';
        *reply = got;
        rc = 0;
        break;
    }
    hny_msg_destroy (&msg);
    return rc;
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

/* A body over the protocol's cap would make the broker's ZeroMQ drop the
   connection without an answer (PROTOCOL.md section 3): refuse it here,
   with the status the broker gives an article over its own limit. */
static int
s_check_body (hny_client_t *self, size_t size)
{
    self->status_code = 0;
    self->error [0] = '\0';
    if (size <= (size_t) HNY_PROTO_BODY_MAX)
        return 0;
    s_set_error (self, HNY_STATUS_TOO_LARGE, "the article is %zu bytes, over the %d-byte (64 MiB) "
                 "cap of the protocol: not sent (status %d)", size, HNY_PROTO_BODY_MAX,
                 HNY_STATUS_TOO_LARGE);
    return -1;
}

/* The SUBMIT of opts, its languages in their canonical form (so that the
   daemon derives the same key from "EN" and "en"); NULL with status 400
   and the reason when a language is no BCP 47 tag: nothing is sent. */
static hny_msg_t *
s_submit_msg (hny_client_t *self, const hny_submit_t *opts, const void *data, size_t size)
{
    assert (opts && opts->from && opts->to);
    assert (data || size == 0);
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1], why [HNY_LANG_WHY_MAX];
    if (hny_lang_canonical (opts->from, from, why, sizeof why)
    ||  hny_lang_canonical (opts->to, to, why, sizeof why)) {
        s_set_error (self, HNY_STATUS_BAD_REQUEST, "%s", why);
        return NULL;
    }
    hny_msg_t *msg = hny_msg_new (HNY_MSG_SUBMIT);
    hny_msg_set_str (msg, "from", from);
    hny_msg_set_str (msg, "to", to);
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

/* The SUBMIT of an align job: both sides in one body, the source's first,
   src_bytes saying where they split (PROTOCOL.md 5.1); NULL as
   s_submit_msg, or with 413 when the sides together are over the body's
   cap. */
static hny_msg_t *
s_align_msg (hny_client_t *self, const hny_align_submit_t *opts, const void *src, size_t src_size,
             const void *tgt, size_t tgt_size)
{
    assert (opts && (src || src_size == 0) && (tgt || tgt_size == 0));
    if (s_check_body (self, src_size) || s_check_body (self, tgt_size)
    ||  s_check_body (self, src_size + tgt_size))
        return NULL;
    hny_submit_t common = {
        .from = opts->from, .to = opts->to, .key = opts->key, .format = opts->format,
        .source = opts->source, .lenient = opts->lenient, .metadata = opts->metadata,
        .backend = opts->backend,
    };
    hny_msg_t *msg = s_submit_msg (self, &common, NULL, 0);
    if (!msg)
        return NULL;
    uint8_t *body = hny_malloc (src_size + tgt_size + 1);
    if (src_size)
        memcpy (body, src, src_size);
    if (tgt_size)
        memcpy (body + src_size, tgt, tgt_size);
    hny_msg_take_body (msg, body, src_size + tgt_size);
    hny_msg_set_str (msg, "kind", "align");
    hny_msg_set_int (msg, "src_bytes", (int64_t) src_size);
    if (opts->target_source)
        hny_msg_set_str (msg, "target_source", opts->target_source);
    return msg;
}

/* SUBMIT's answer: ACCEPTED's job and existing. */
static int
s_submitted (hny_client_t *self, hny_msg_t *msg, char **job_out, int *existing)
{
    hny_reply_t *reply = NULL;
    if (!msg || s_call (self, &msg, 0, &reply))
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
hny_client_submit (hny_client_t *self, const hny_submit_t *opts,
                   const void *data, size_t size, char **job_out, int *existing)
{
    assert (self);
    if (s_check_body (self, size))
        return -1;
    return s_submitted (self, s_submit_msg (self, opts, data, size), job_out, existing);
}

int
hny_client_submit_align (hny_client_t *self, const hny_align_submit_t *opts, const void *src,
                         size_t src_size, const void *tgt, size_t tgt_size, char **job_out,
                         int *existing)
{
    assert (self);
    return s_submitted (self, s_align_msg (self, opts, src, src_size, tgt, tgt_size), job_out, existing);
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
        if (s_call (self, &msg, slice, &reply)) {
            /* Busy for a whole slice: keep asking while the wait lasts. */
            if (self->status_code == HNY_STATUS_BUSY
            &&  (until == INT64_MAX || hny_clock_mono_ms () < until))
                continue;
            return -1;
        }
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

int
hny_client_tm_import (hny_client_t *self, const char *from, const char *to, const char *origin,
                      const char *pairs, size_t size, json_t **out)
{
    assert (self && from && to && origin && pairs && out);
    self->status_code = 0;
    if (size > HNY_PROTO_BODY_MAX) {
        s_set_error (self, HNY_STATUS_TOO_LARGE, "a TM import of %zu bytes: at most %d in one message",
                     size, HNY_PROTO_BODY_MAX);
        return -1;
    }
    hny_msg_t *msg = hny_msg_new (HNY_MSG_TMIMPORT);
    hny_msg_set_str (msg, "from", from);
    hny_msg_set_str (msg, "to", to);
    hny_msg_set_str (msg, "origin", origin);
    hny_msg_set_body (msg, pairs, size);
    hny_reply_t *reply = NULL;
    /* The broker writes every entry in one pass: about a second a
       100,000 entries, on top of the usual deadline. */
    if (s_call (self, &msg, 10000, &reply))
        return -1;
    if (strcmp (reply->command, "TM"))
        return s_unexpected (self, &reply, "TM");
    *out = json_incref (reply->header);
    json_object_del (*out, "req");
    hny_reply_destroy (&reply);
    return 0;
}

int
hny_client_tm_export (hny_client_t *self, const char *from, const char *to, const char *origin,
                      const char *after, int limit, json_t **entries, json_t **out)
{
    assert (self && entries);
    hny_msg_t *msg = hny_msg_new (HNY_MSG_TMEXPORT);
    if (from)
        hny_msg_set_str (msg, "from", from);
    if (to)
        hny_msg_set_str (msg, "to", to);
    if (origin)
        hny_msg_set_str (msg, "origin", origin);
    if (after)
        hny_msg_set_str (msg, "after", after);
    if (limit > 0)
        hny_msg_set_int (msg, "limit", limit);
    hny_reply_t *reply = NULL;
    if (s_call (self, &msg, 0, &reply))
        return -1;
    if (strcmp (reply->command, "TM"))
        return s_unexpected (self, &reply, "TM");
    json_error_t jerr;
    *entries = reply->body ? json_loadb ((const char *) reply->body, reply->body_size, 0, &jerr) : NULL;
    if (!json_is_array (*entries)) {
        json_decref (*entries);
        *entries = NULL;
        s_set_error (self, 0, "the daemon's TM reply carries no array of entries");
        hny_reply_destroy (&reply);
        return -1;
    }
    if (out) {
        *out = json_incref (reply->header);
        json_object_del (*out, "req");
    }
    hny_reply_destroy (&reply);
    return 0;
}

/* ---- pipelining ------------------------------------------------------- */

static int
s_check_req (hny_client_t *self, const char *req)
{
    self->status_code = 0;
    self->error [0] = '\0';
    if (!req || !*req || req [0] == '~' || strlen (req) > S_REQ_MAX) {
        s_set_error (self, 0, "bad request id '%s': 1 to %d bytes, not starting with '~'",
                     req ? req : "(null)", S_REQ_MAX);
        return -1;
    }
    return 0;
}

/* s_send for a pipelined request, sent once: takes the message over. */
static int
s_send_once (hny_client_t *self, hny_msg_t **msg_p, const char *req)
{
    int rc = s_send (self, *msg_p, req);
    hny_msg_destroy (msg_p);
    return rc;
}

int
hny_client_send_submit (hny_client_t *self, const char *req, const hny_submit_t *opts,
                        const void *data, size_t size)
{
    assert (self);
    if (s_check_body (self, size) || s_check_req (self, req))
        return -1;
    hny_msg_t *msg = s_submit_msg (self, opts, data, size);
    return msg ? s_send_once (self, &msg, req) : -1;
}

int
hny_client_send_submit_align (hny_client_t *self, const char *req, const hny_align_submit_t *opts,
                              const void *src, size_t src_size, const void *tgt, size_t tgt_size)
{
    assert (self);
    if (s_check_req (self, req))
        return -1;
    hny_msg_t *msg = s_align_msg (self, opts, src, src_size, tgt, tgt_size);
    return msg ? s_send_once (self, &msg, req) : -1;
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
    return s_send_once (self, &msg, req);
}

int
hny_client_send_fetch (hny_client_t *self, const char *req, const char *job)
{
    assert (self && job);
    if (s_check_req (self, req))
        return -1;
    hny_msg_t *msg = hny_msg_new (HNY_MSG_FETCH);
    hny_msg_set_str (msg, "job", job);
    return s_send_once (self, &msg, req);
}

int
hny_client_recv_reply (hny_client_t *self, int timeout_ms, hny_reply_t **reply)
{
    assert (self && reply);
    *reply = s_pending_pop (self);
    if (*reply)
        return HNY_RECV_OK;
    if (self->orphaned) {
        /* A synchronous call reconnected: the caller's requests are gone. */
        self->orphaned = 0;
        s_set_error (self, 0, "lost the connection to %s (honyakud stopped or restarted)",
                     self->endpoint);
        return HNY_RECV_LOST;
    }
    if (s_check_ready (self))
        return HNY_RECV_ERROR;
    int64_t deadline = hny_clock_mono_ms () + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        hny_reply_t *got = NULL;
        int rc = s_recv_one (self, deadline, &got);
        if (rc != HNY_RECV_OK)
            return rc;
        if (got->req && got->req [0] == '~') {
            hny_reply_destroy (&got);           /* late answer to a synchronous call */
            continue;
        }
        *reply = got;
        return HNY_RECV_OK;
    }
}
