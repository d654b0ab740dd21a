/*  hny_http.c: the HTTP engine of honyaku-worker: one curl multi handle,
    requests grouped by backend profile with a concurrency limit per group,
    capped response bodies, and a wait that also watches the caller's
    ZeroMQ socket, so that the worker runs zmq and curl in one loop.

    The multi handle is driven by its sockets (curl_multi_socket_action)
    over an epoll set: curl says which sockets to watch and when its next
    timeout is, a wait collects the sockets that are ready, and a run
    hands curl only those. So the cost of a wakeup is that of the
    transfers it concerns, not of every transfer in flight (with
    curl_multi_perform, 128 requests in flight meant 128 readiness checks,
    each a poll(2), on every wakeup). Finished easy handles are kept for
    reuse (curl_easy_reset), up to S_POOL_MAX. */
#include "hny_http.h"

#include <honyaku/util.h>

#include <assert.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#define S_DEFAULT_LIMIT        4
#define S_DEFAULT_TIMEOUT_MS   30000
#define S_DEFAULT_MAX_RESPONSE (1024 * 1024)
#define S_RETRY_AFTER_MAX      64      /* bytes kept of a Retry-After value */
#define S_GROUP_NAME_MAX       256
#define S_EVENTS_MAX           256     /* epoll events taken per wait */
#define S_POOL_MAX             64      /* idle easy handles kept for reuse */

typedef struct _s_group_t s_group_t;
typedef struct _s_req_t s_req_t;

struct _s_req_t {
    s_req_t *next;              /* in the group's queue, or the done list */
    s_req_t *all_prev, *all_next;  /* in the engine's list of live requests */
    s_group_t *group;
    CURL *easy;
    struct curl_slist *headers; /* owned */
    char *body;                 /* owned copy of the request body */
    hny_buf_t response;         /* response body, capped at the request's max_response;
                                   toobig: the write callback stopped past it */
    int started;                /* added to the multi handle */
    CURLcode failure;           /* for requests that failed before starting, and
                                   a finished transfer's result until its callback */
    char retry_after[S_RETRY_AFTER_MAX + 1];
    char errbuf[CURL_ERROR_SIZE];
    int64_t started_ms;
    hny_http_done_fn *done;
    void (*cancelled) (void *arg);
    void *arg;
};

struct _s_group_t {
    s_group_t *next;
    char *name;
    int limit;                  /* requests in flight at most */
    int in_flight;
    s_req_t *queue_head, *queue_tail;
    size_t queued;
};

/* A socket curl asked us to watch, with what the last wait saw on it. */
typedef struct {
    int fd;
    int events;                 /* CURL_CSELECT_IN | CURL_CSELECT_OUT | CURL_CSELECT_ERR */
} s_ready_t;

struct _hny_http_t {
    CURLM *multi;
    s_group_t *groups;
    s_req_t *all;               /* every live request, started or queued */
    s_req_t *failed;            /* failed before starting: reported by the next run */
    size_t in_flight;
    size_t queued;
    size_t max_in_flight;
    int epfd;                   /* the sockets curl watches */
    int64_t timer_at;           /* monotonic ms of curl's next timeout; -1: none */
    s_ready_t ready [S_EVENTS_MAX]; /* curl sockets the last wait found ready */
    size_t ready_count;
    CURL *pool [S_POOL_MAX];    /* idle easy handles */
    size_t pool_count;
    unsigned cancels;           /* hny_http_cancel_all calls so far */
};

static int s_curl_ready = 0;

static s_group_t *
s_group (hny_http_t *self, const char *name)
{
    s_group_t *group;
    for (group = self->groups; group; group = group->next)
        if (strcmp (group->name, name) == 0)
            return group;
    group = hny_calloc (1, sizeof *group);
    group->name = hny_strndup (name, strnlen (name, S_GROUP_NAME_MAX));
    group->limit = S_DEFAULT_LIMIT;
    group->next = self->groups;
    self->groups = group;
    return group;
}

/* Take a request off the engine's list of live requests. */
static void
s_req_unlink (hny_http_t *self, s_req_t *req)
{
    if (req->all_prev)
        req->all_prev->all_next = req->all_next;
    else if (self->all == req)
        self->all = req->all_next;
    if (req->all_next)
        req->all_next->all_prev = req->all_prev;
    req->all_prev = req->all_next = NULL;
}

static void
s_req_free (hny_http_t *self, s_req_t *req)
{
    s_req_unlink (self, req);
    if (req->easy) {
        if (req->started)
            curl_multi_remove_handle (self->multi, req->easy);
        if (self->pool_count < S_POOL_MAX) {
            /* Options go, the handle's buffers stay for the next request. */
            curl_easy_reset (req->easy);
            self->pool [self->pool_count++] = req->easy;
        }
        else
            curl_easy_cleanup (req->easy);
    }
    curl_slist_free_all (req->headers);
    free (req->body);
    hny_buf_free (&req->response);
    free (req);
}

static size_t
s_on_write (char *data, size_t size, size_t nmemb, void *userp)
{
    s_req_t *req = userp;
    size_t n = size * nmemb;
    if (hny_buf_add (&req->response, data, n) != 0)
        return 0;               /* past the cap: curl aborts with CURLE_WRITE_ERROR */
    return n;
}

/* Keeps the Retry-After value of the last response (a 100 Continue or a
   redirect starts a new header block). */
static size_t
s_on_header (char *data, size_t size, size_t nmemb, void *userp)
{
    s_req_t *req = userp;
    size_t n = size * nmemb;
    static const char name[] = "retry-after:";
    if (n >= 5 && memcmp (data, "HTTP/", 5) == 0)
        req->retry_after[0] = '\0';
    else if (n > sizeof name - 1 && strncasecmp (data, name, sizeof name - 1) == 0) {
        const char *value = data + sizeof name - 1;
        const char *end = data + n;
        while (value < end && (*value == ' ' || *value == '\t'))
            value++;
        while (end > value && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        size_t len = (size_t) (end - value);
        if (len > S_RETRY_AFTER_MAX)
            len = S_RETRY_AFTER_MAX;
        memcpy (req->retry_after, value, len);
        req->retry_after[len] = '\0';
    }
    return n;
}

static hny_http_err_t
s_classify (CURLcode code, int toobig)
{
    switch (code) {
    case CURLE_OK:
        return HNY_HTTP_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return HNY_HTTP_E_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        return HNY_HTTP_E_CONNECT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HNY_HTTP_E_RESOLVE;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return HNY_HTTP_E_RESET;
    case CURLE_FILESIZE_EXCEEDED:
        return HNY_HTTP_E_TOOBIG;
    case CURLE_WRITE_ERROR:
        return toobig ? HNY_HTTP_E_TOOBIG : HNY_HTTP_E_OTHER;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        return HNY_HTTP_E_TLS;
    default:
        return HNY_HTTP_E_OTHER;
    }
}

/* curl's socket callback: watch s for what curl waits on, or stop. The
   socket's curl-side pointer says whether it is in the epoll set. */
static int
s_on_socket (CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void) easy;
    hny_http_t *self = userp;
    if (what == CURL_POLL_REMOVE) {
        /* curl may have closed it already: nothing to undo then. */
        epoll_ctl (self->epfd, EPOLL_CTL_DEL, s, NULL);
        for (size_t i = 0; i < self->ready_count; i++)
            if (self->ready [i].fd == s)
                self->ready [i].events = 0;
        curl_multi_assign (self->multi, s, NULL);
        return 0;
    }
    struct epoll_event ev = { 0 };
    ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    ev.data.fd = s;
    int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl (self->epfd, op, s, &ev) != 0) {
        /* A number reused under us: the other operation fits. */
        op = op == EPOLL_CTL_ADD ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
        if (epoll_ctl (self->epfd, op, s, &ev) != 0) {
            hny_error ("http: epoll_ctl on socket %d: %s", (int) s, strerror (errno));
            return -1;
        }
    }
    if (!socketp)
        curl_multi_assign (self->multi, s, self);
    return 0;
}

/* curl's timer callback: when to call it with CURL_SOCKET_TIMEOUT. */
static int
s_on_timer (CURLM *multi, long timeout_ms, void *userp)
{
    (void) multi;
    hny_http_t *self = userp;
    self->timer_at = timeout_ms < 0 ? -1 : hny_clock_mono_ms () + timeout_ms;
    return 0;
}

hny_http_t *
hny_http_new (void)
{
    if (!s_curl_ready) {
        if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        s_curl_ready = 1;
    }
    hny_http_t *self = hny_calloc (1, sizeof *self);
    self->timer_at = -1;
    self->multi = curl_multi_init ();
    self->epfd = epoll_create1 (EPOLL_CLOEXEC);
    if (!self->multi || self->epfd < 0) {
        if (self->multi)
            curl_multi_cleanup (self->multi);
        if (self->epfd >= 0)
            close (self->epfd);
        free (self);
        return NULL;
    }
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETFUNCTION, s_on_socket);
    curl_multi_setopt (self->multi, CURLMOPT_SOCKETDATA, self);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERFUNCTION, s_on_timer);
    curl_multi_setopt (self->multi, CURLMOPT_TIMERDATA, self);
    return self;
}

void
hny_http_destroy (hny_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_http_t *self = *self_p;
    hny_http_cancel_all (self);
    while (self->groups) {
        s_group_t *next = self->groups->next;
        free (self->groups->name);
        free (self->groups);
        self->groups = next;
    }
    while (self->pool_count)
        curl_easy_cleanup (self->pool [--self->pool_count]);
    curl_multi_cleanup (self->multi);
    close (self->epfd);
    free (self);
    *self_p = NULL;
}

void
hny_http_set_limit (hny_http_t *self, const char *group, int limit)
{
    assert (self);
    s_group (self, group ? group : "")->limit = limit >= 1 ? limit : 1;
}

/* Hand a request to curl, or park it on the failed list to be reported by
   the next run. */
static void
s_start (hny_http_t *self, s_req_t *req)
{
    req->started_ms = hny_clock_mono_ms ();
    CURLMcode rc = curl_multi_add_handle (self->multi, req->easy);
    if (rc != CURLM_OK) {
        req->failure = CURLE_FAILED_INIT;
        snprintf (req->errbuf, sizeof req->errbuf, "curl_multi_add_handle: %s",
                  curl_multi_strerror (rc));
        req->next = self->failed;
        self->failed = req;
        return;
    }
    req->started = 1;
    req->group->in_flight++;
    self->in_flight++;
    if (self->in_flight > self->max_in_flight)
        self->max_in_flight = self->in_flight;
}

int
hny_http_add (hny_http_t *self, const char *group_name, const hny_http_request_t *request,
              hny_http_done_fn *done, void *arg)
{
    assert (self);
    assert (request);
    if (!request->url || !*request->url)
        return -1;
    s_req_t *req = hny_calloc (1, sizeof *req);
    req->easy = self->pool_count ? self->pool [--self->pool_count] : curl_easy_init ();
    if (!req->easy) {
        free (req);
        return -1;
    }
    req->group = s_group (self, group_name ? group_name : "");
    req->done = done;
    req->cancelled = request->cancelled;
    req->arg = arg;
    req->response = (hny_buf_t) HNY_BUF_INIT (request->max_response ? request->max_response
                                                                     : S_DEFAULT_MAX_RESPONSE);
    int timeout_ms = request->timeout_ms > 0 ? request->timeout_ms : S_DEFAULT_TIMEOUT_MS;

    CURL *easy = req->easy;
    curl_easy_setopt (easy, CURLOPT_URL, request->url);
    curl_easy_setopt (easy, CURLOPT_PRIVATE, req);
    curl_easy_setopt (easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt (easy, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
    curl_easy_setopt (easy, CURLOPT_CONNECTTIMEOUT_MS, (long) (timeout_ms < 10000 ? timeout_ms : 10000));
    curl_easy_setopt (easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) req->response.max);
    curl_easy_setopt (easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt (easy, CURLOPT_USERAGENT, "honyaku-worker/0.1");
    curl_easy_setopt (easy, CURLOPT_ERRORBUFFER, req->errbuf);
    curl_easy_setopt (easy, CURLOPT_WRITEFUNCTION, s_on_write);
    curl_easy_setopt (easy, CURLOPT_WRITEDATA, req);
    curl_easy_setopt (easy, CURLOPT_HEADERFUNCTION, s_on_header);
    curl_easy_setopt (easy, CURLOPT_HEADERDATA, req);

    /* "Expect:" off: no 100-continue round trip before larger bodies. */
    req->headers = curl_slist_append (NULL, "Expect:");
    if (request->headers)
        for (const char *const *h = request->headers; *h; h++)
            req->headers = curl_slist_append (req->headers, *h);
    curl_easy_setopt (easy, CURLOPT_HTTPHEADER, req->headers);

    const char *method = request->method ? request->method : (request->body ? "POST" : "GET");
    if (strcmp (method, "GET") == 0)
        curl_easy_setopt (easy, CURLOPT_HTTPGET, 1L);
    else {
        req->body = hny_malloc (request->body_size + 1);
        if (request->body_size)
            memcpy (req->body, request->body, request->body_size);
        req->body[request->body_size] = '\0';
        curl_easy_setopt (easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) request->body_size);
        curl_easy_setopt (easy, CURLOPT_POSTFIELDS, req->body);
        if (strcmp (method, "POST") != 0)
            curl_easy_setopt (easy, CURLOPT_CUSTOMREQUEST, method);
    }

    req->all_next = self->all;
    if (self->all)
        self->all->all_prev = req;
    self->all = req;

    s_group_t *group = req->group;
    if (group->in_flight < group->limit && !group->queue_head)
        s_start (self, req);
    else {
        if (group->queue_tail)
            group->queue_tail->next = req;
        else
            group->queue_head = req;
        group->queue_tail = req;
        group->queued++;
        self->queued++;
    }
    return 0;
}

void
hny_http_cancel_all (hny_http_t *self)
{
    assert (self);
    self->cancels++;
    while (self->all) {
        s_req_t *req = self->all;
        void (*cancelled) (void *) = req->cancelled;
        void *arg = req->arg;
        s_req_free (self, req);
        if (cancelled)
            cancelled (arg);
    }
    for (s_group_t *group = self->groups; group; group = group->next) {
        group->in_flight = 0;
        group->queue_head = group->queue_tail = NULL;
        group->queued = 0;
    }
    self->failed = NULL;
    self->in_flight = 0;
    self->queued = 0;
    self->ready_count = 0;
}

int
hny_http_wait (hny_http_t *self, const int *fds, size_t count, int timeout_ms, int *ready)
{
    assert (self);
    assert (count <= HNY_HTTP_WAIT_FDS);
    /* poll(2) over the epoll set and the extra fds: the extra fds change
       (a new ZeroMQ socket) and poll needs no registration to go stale. */
    struct pollfd pfds [1 + HNY_HTTP_WAIT_FDS];
    pfds [0] = (struct pollfd) { .fd = self->epfd, .events = POLLIN };
    for (size_t i = 0; i < count; i++) {
        pfds [1 + i] = (struct pollfd) { .fd = fds [i], .events = POLLIN };
        if (ready)
            ready [i] = 0;
    }
    int64_t now = hny_clock_mono_ms ();
    if (self->failed || self->ready_count)
        timeout_ms = 0;         /* work to report: do not sleep */
    if (self->timer_at >= 0 && self->timer_at - now < timeout_ms)
        timeout_ms = (int) (self->timer_at > now ? self->timer_at - now : 0);
    if (timeout_ms < 0)
        timeout_ms = 0;
    int n = poll (pfds, 1 + count, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;           /* a signal: the caller looks at its flags */
        hny_error ("http: poll: %s", strerror (errno));
        return -1;
    }
    if (ready)
        for (size_t i = 0; i < count; i++)
            ready [i] = (pfds [1 + i].revents & POLLIN) != 0;
    if (!(pfds [0].revents & POLLIN))
        return 0;
    struct epoll_event events [S_EVENTS_MAX];
    int got = epoll_wait (self->epfd, events, S_EVENTS_MAX, 0);
    for (int i = 0; i < got && self->ready_count < S_EVENTS_MAX; i++) {
        uint32_t e = events [i].events;
        self->ready [self->ready_count++] = (s_ready_t) {
            .fd = events [i].data.fd,
            .events = ((e & EPOLLIN) ? CURL_CSELECT_IN : 0) | ((e & EPOLLOUT) ? CURL_CSELECT_OUT : 0)
                    | ((e & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0),
        };
    }
    return 0;
}

/* Build the response of a finished (or failed) request, call its callback
   and free it. */
static void
s_complete (hny_http_t *self, s_req_t *req, CURLcode code)
{
    hny_http_response_t response = { 0 };
    response.error = s_classify (code, req->response.toobig);
    if (response.error == HNY_HTTP_OK) {
        response.error_text = "";
        curl_easy_getinfo (req->easy, CURLINFO_RESPONSE_CODE, &response.status);
    }
    else if (response.error == HNY_HTTP_E_TOOBIG) {
        snprintf (req->errbuf, sizeof req->errbuf, "response larger than %zu bytes",
                  req->response.max);
        response.error_text = req->errbuf;
        curl_easy_getinfo (req->easy, CURLINFO_RESPONSE_CODE, &response.status);
    }
    else
        response.error_text = req->errbuf[0] ? req->errbuf : curl_easy_strerror (code);
    response.body = hny_buf_str (&req->response);
    response.body_size = req->response.len;
    response.retry_after = req->retry_after[0] ? req->retry_after : NULL;
    response.elapsed_ms = hny_clock_mono_ms () - req->started_ms;

    /* Off the live list first: a callback that cancels everything must not
       free the request whose response it is reading. */
    s_req_unlink (self, req);
    if (req->done)
        req->done (&response, req->arg);
    s_req_free (self, req);
}

/* Start queued requests of groups that are under their limit. */
static void
s_start_queued (hny_http_t *self)
{
    for (s_group_t *group = self->groups; group; group = group->next)
        while (group->queue_head && group->in_flight < group->limit) {
            s_req_t *req = group->queue_head;
            group->queue_head = req->next;
            if (!group->queue_head)
                group->queue_tail = NULL;
            req->next = NULL;
            group->queued--;
            self->queued--;
            s_start (self, req);
        }
}

/* Hand curl the sockets the last wait found ready, and its timeout when
   it is due. */
static int
s_actions (hny_http_t *self)
{
    int running = 0;
    /* Taken as a whole first: a callback may remove sockets (their
       events are then cleared, s_on_socket). */
    for (size_t i = 0; i < self->ready_count; i++) {
        if (!self->ready [i].events)
            continue;
        CURLMcode rc = curl_multi_socket_action (self->multi, self->ready [i].fd,
                                                 self->ready [i].events, &running);
        if (rc != CURLM_OK && rc != CURLM_BAD_SOCKET) {
            self->ready_count = 0;
            hny_error ("http: curl_multi_socket_action: %s", curl_multi_strerror (rc));
            return -1;
        }
    }
    self->ready_count = 0;
    if (self->timer_at >= 0 && hny_clock_mono_ms () >= self->timer_at) {
        self->timer_at = -1;
        CURLMcode rc = curl_multi_socket_action (self->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (rc != CURLM_OK) {
            hny_error ("http: curl_multi_socket_action: %s", curl_multi_strerror (rc));
            return -1;
        }
    }
    return 0;
}

int
hny_http_run (hny_http_t *self)
{
    assert (self);
    int rc = s_actions (self);
    /* The finished transfers first leave curl and free their slots, all of
       them, before any callback runs; off the live list too, so that a
       callback's cancel_all cannot free one still to be reported. */
    s_req_t *done = NULL, **tail = &done;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read (self->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        s_req_t *req = NULL;
        curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);
        assert (req);
        req->failure = msg->data.result;    /* msg is curl's until the next read */
        req->group->in_flight--;
        self->in_flight--;
        curl_multi_remove_handle (self->multi, req->easy);
        req->started = 0;
        s_req_unlink (self, req);
        req->next = NULL;
        *tail = req;
        tail = &req->next;
    }
    /* The freed slots take the queued requests at once, and curl sends
       them, before the callbacks: those parse and check each answer and
       report it, and a burst of answers (a round of 128 at once) would
       otherwise leave the server that many requests short for as long. */
    if (done && rc == 0) {
        s_start_queued (self);
        rc = s_actions (self);
    }
    unsigned cancels = self->cancels;
    while (done) {
        s_req_t *req = done;
        done = req->next;
        req->next = NULL;
        if (self->cancels == cancels)
            s_complete (self, req, req->failure);
        else {
            /* a callback cancelled everything: the rest are cancelled too */
            void (*cancelled) (void *) = req->cancelled;
            void *arg = req->arg;
            s_req_free (self, req);
            if (cancelled)
                cancelled (arg);
        }
    }
    while (self->failed) {
        s_req_t *req = self->failed;
        self->failed = req->next;
        s_complete (self, req, req->failure);
    }
    if (rc != 0)
        return rc;
    s_start_queued (self);
    /* Requests added by the callbacks or started just now: curl asked
       for a timeout of 0 to begin them; begin them in this run. */
    return s_actions (self);
}

size_t
hny_http_in_flight (const hny_http_t *self)
{
    return self->in_flight;
}

size_t
hny_http_queued (const hny_http_t *self)
{
    return self->queued;
}

size_t
hny_http_max_in_flight (const hny_http_t *self)
{
    return self->max_in_flight;
}

const char *
hny_http_strerror (hny_http_err_t error)
{
    switch (error) {
    case HNY_HTTP_OK:        return "ok";
    case HNY_HTTP_E_TIMEOUT: return "timeout";
    case HNY_HTTP_E_CONNECT: return "connection failed";
    case HNY_HTTP_E_RESOLVE: return "host not resolved";
    case HNY_HTTP_E_RESET:   return "connection reset";
    case HNY_HTTP_E_TOOBIG:  return "response too large";
    case HNY_HTTP_E_TLS:     return "TLS failure";
    case HNY_HTTP_E_OTHER:   return "transfer failed";
    }
    return "unknown";
}
