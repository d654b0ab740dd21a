/*  hny_scrape.c: GET /metrics over libmicrohttpd, polled by the broker's
    loop (see hny_scrape.h for why there is no thread).

    We bind the listening socket ourselves and hand it to libmicrohttpd
    (MHD_OPTION_LISTEN_SOCKET): a port that is taken is then an error we
    can name precisely at start, and the socket is close-on-exec, so that
    the workers honyakud starts never hold the port after it is gone (a
    restarted honyakud could not bind it). libmicrohttpd closes it in
    MHD_stop_daemon. */
#include "hny_scrape.h"

#include <honyaku/metrics.h>
#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S_BACKLOG       16          /* connections waiting to be accepted */
#define S_HOST_MAX      64          /* bytes of a numeric address */
#define S_PATH          "/metrics"
#define S_TYPE_METRICS  "text/plain; version=0.0.4; charset=utf-8"
#define S_TYPE_TEXT     "text/plain; charset=utf-8"

struct _hny_scrape_t {
    struct MHD_Daemon *mhd;
    int epoll_fd;               /* libmicrohttpd's, for zmq_poll */
    hny_scrape_render_fn *render;
    void *arg;
    char address [S_HOST_MAX + 16];     /* HOST:PORT or [HOST]:PORT, as bound */
};

/* libmicrohttpd's own messages (a request it refused as too large, a
   socket error): one info line each, as they are mostly about a client
   (start-up failures are reported by hny_scrape_new itself). */
static void
s_log (void *cls, const char *fmt, va_list args)
{
    hny_scrape_t *self = cls;
    char text [512];
    vsnprintf (text, sizeof text, fmt, args);
    text [strcspn (text, "\n")] = 0;
    hny_info ("metrics %s: %s", self->address, text);
}

/* A fixed text answer (error pages). */
static enum MHD_Result
s_answer_text (struct MHD_Connection *conn, unsigned status, const char *text, const char *allow)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        strlen (text), (void *) text, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, S_TYPE_TEXT);
    if (allow)
        MHD_add_response_header (response, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response (conn, status, response);
    MHD_destroy_response (response);
    return rc;
}

/* libmicrohttpd calls this once the headers are in, then again for any
   body, then once more. An error is answered at the first call, before a
   body is read (libmicrohttpd then closes the connection rather than
   read it); a scrape at the second, which keeps the connection open for
   the next scrape. Nothing here takes a body: a request that announces
   one is a 400. */
static enum MHD_Result
s_on_request (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
              const char *version, const char *upload_data, size_t *upload_data_size,
              void **con_cls)
{
    static int s_seen;          /* its address marks a request past its first call */
    hny_scrape_t *self = cls;
    (void) version;
    (void) upload_data;
    (void) upload_data_size;
    if (strcmp (url, S_PATH) != 0)
        return s_answer_text (conn, MHD_HTTP_NOT_FOUND, "not found: honyakud serves " S_PATH "\n",
                              NULL);
    if (strcmp (method, MHD_HTTP_METHOD_GET) != 0 && strcmp (method, MHD_HTTP_METHOD_HEAD) != 0)
        return s_answer_text (conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                              "method not allowed: " S_PATH " takes GET or HEAD\n", "GET, HEAD");
    if (!*con_cls) {
        /* A body would come in the calls between: refused before it is
           read, so that a scrape never reads or waits for one. */
        const char *length = MHD_lookup_connection_value (conn, MHD_HEADER_KIND,
                                                          MHD_HTTP_HEADER_CONTENT_LENGTH);
        if ((length && strcmp (length, "0") != 0)
        ||  MHD_lookup_connection_value (conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
            return s_answer_text (conn, MHD_HTTP_BAD_REQUEST, S_PATH " takes no body\n", NULL);
        *con_cls = &s_seen;
        return MHD_YES;
    }
    int64_t started = hny_clock_mono_ms ();
    size_t size = 0;
    char *text = self->render (self->arg, &size);
    if (!text)
        return s_answer_text (conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                              "the metrics could not be read: see honyakud's log\n", NULL);
    /* MHD_RESPMEM_MUST_FREE: libmicrohttpd frees text with free(). */
    struct MHD_Response *response = MHD_create_response_from_buffer (size, text,
                                                                     MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (text);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, S_TYPE_METRICS);
    enum MHD_Result rc = MHD_queue_response (conn, MHD_HTTP_OK, response);
    MHD_destroy_response (response);
    hny_debug ("metrics: %s %s: %zu bytes in %lld ms", method, url, size,
               (long long) (hny_clock_mono_ms () - started));
    return rc;
}

/* A listening TCP socket on host:port (numeric), close-on-exec. Returns
   it, or -1 with *error set. */
static int
s_listen (hny_scrape_t *self, const char *host, int port, char **error)
{
    char service [8];
    snprintf (service, sizeof service, "%d", port);
    struct addrinfo hints, *found = NULL;
    memset (&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo (host, service, &hints, &found);
    if (rc != 0 || !found) {
        *error = hny_sprintf ("metrics %s: %s", self->address, gai_strerror (rc));
        return -1;
    }
    int fd = socket (found->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    /* SO_REUSEADDR lets a restarted honyakud bind while old connections
       linger in TIME_WAIT; it never lets two listeners share the port. */
    if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
    ||  (found->ai_family == AF_INET6
         && setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
    ||  bind (fd, found->ai_addr, found->ai_addrlen) != 0 || listen (fd, S_BACKLOG) != 0) {
        *error = hny_sprintf ("cannot serve metrics on %s: %s", self->address, strerror (errno));
        if (fd >= 0)
            close (fd);
        fd = -1;
    }
    freeaddrinfo (found);
    return fd;
}

hny_scrape_t *
hny_scrape_new (const char *address, hny_scrape_render_fn *render, void *arg, char **error)
{
    assert (address && render && error);
    *error = NULL;
    char host [S_HOST_MAX], *why = NULL;
    int port = 0;
    if (hny_metrics_addr_parse (address, host, sizeof host, &port, &why) != 0) {
        *error = hny_sprintf ("metrics: %s", why);
        free (why);
        return NULL;
    }
    hny_scrape_t *self = hny_calloc (1, sizeof *self);
    self->render = render;
    self->arg = arg;
    snprintf (self->address, sizeof self->address, strchr (host, ':') ? "[%s]:%d" : "%s:%d",
              host, port);
    int fd = s_listen (self, host, port, error);
    if (fd < 0) {
        free (self);
        return NULL;
    }
    /* No MHD_USE_INTERNAL_POLLING_THREAD: libmicrohttpd runs only inside
       hny_scrape_run, on the broker's thread. */
    self->mhd = MHD_start_daemon (
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, s_on_request, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_log, self,        /* first, to catch every message */
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket) fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) HNY_SCRAPE_CONNECTIONS_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) HNY_SCRAPE_IDLE_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HNY_SCRAPE_MEMORY_MAX,
        MHD_OPTION_END);
    const union MHD_DaemonInfo *info = self->mhd
        ? MHD_get_daemon_info (self->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    if (!info || info->epoll_fd < 0) {
        *error = hny_sprintf ("cannot serve metrics on %s: libmicrohttpd did not start (epoll)",
                              self->address);
        if (self->mhd)
            MHD_stop_daemon (self->mhd);
        else
            close (fd);
        free (self);
        return NULL;
    }
    self->epoll_fd = info->epoll_fd;
    hny_info ("serving metrics on http://%s" S_PATH, self->address);
    return self;
}

void
hny_scrape_destroy (hny_scrape_t **self_p)
{
    assert (self_p);
    hny_scrape_t *self = *self_p;
    if (!self)
        return;
    MHD_stop_daemon (self->mhd);
    free (self);
    *self_p = NULL;
}

int
hny_scrape_fd (hny_scrape_t *self)
{
    return self->epoll_fd;
}

long
hny_scrape_timeout (hny_scrape_t *self)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout (self->mhd, &ms) != MHD_YES)
        return -1;
    return ms > LONG_MAX ? LONG_MAX : (long) ms;
}

void
hny_scrape_run (hny_scrape_t *self)
{
    MHD_run (self->mhd);
}

const char *
hny_scrape_address (const hny_scrape_t *self)
{
    return self->address;
}
