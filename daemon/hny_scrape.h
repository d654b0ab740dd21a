/*  hny_scrape.h: honyakud's HTTP endpoint for Prometheus, GET /metrics
    ([daemon] metrics), served by libmicrohttpd inside the broker's loop.

    Why in the loop and not in a thread of its own: the numbers live in
    the broker's single-threaded state (scheduler, pipeline, meter, the
    store's connection). A server thread would need them copied under a
    lock every few hundred milliseconds whether anyone scrapes or not, and
    would serve copies up to that old. Here libmicrohttpd runs without a
    thread of its own, in epoll mode: its one epoll descriptor sits in the
    broker's zmq_poll beside the ZeroMQ sockets (hny_scrape_fd), the loop
    calls hny_scrape_run when it is readable or when libmicrohttpd's own
    timer is due (hny_scrape_timeout), and a scrape renders the state as it
    is, between two passes. libmicrohttpd never blocks in this mode, so a
    slow or silent HTTP client cannot stall the broker; it is bounded by
    the limits below and dropped after its idle timeout.

    GET and HEAD of /metrics answer 200 with the exposition text (the
    render callback's); another path is 404, another method on /metrics is
    405 with "Allow: GET, HEAD", a request announcing a body 400 (before
    it is read), headers past HNY_SCRAPE_MEMORY_MAX 431 (libmicrohttpd's);
    a render that fails is 500. */
#ifndef HNY_SCRAPE_H
#define HNY_SCRAPE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_SCRAPE_CONNECTIONS_MAX  16          /* HTTP connections at once */
#define HNY_SCRAPE_IDLE_S           10          /* an idle connection is closed after this */
#define HNY_SCRAPE_MEMORY_MAX       (32 << 10)  /* bytes a connection may use for its request */

typedef struct _hny_scrape_t hny_scrape_t;

/* The exposition text to answer with, a new string the caller (the
   endpoint) owns and frees, of *size bytes; NULL: the numbers could not
   be read (500). */
typedef char *(hny_scrape_render_fn) (void *arg, size_t *size);

/* Listen on address (honyaku/metrics.h: "PORT", "HOST:PORT",
   "[IPV6]:PORT"; "PORT" is loopback). render and arg are borrowed and
   called from hny_scrape_run. Returns NULL and sets *error (caller owns)
   naming the address when it is malformed or cannot be bound (a port
   already taken: "address already in use"). Caller owns the result. */
hny_scrape_t *hny_scrape_new (const char *address, hny_scrape_render_fn *render, void *arg,
                              char **error);
/* Closes the listening socket and every connection. */
void hny_scrape_destroy (hny_scrape_t **self_p);

/* The descriptor to poll for input (libmicrohttpd's epoll set). */
int hny_scrape_fd (hny_scrape_t *self);
/* ms until hny_scrape_run must run even without input (connections in
   progress, idle timeouts), or -1 when only input matters. */
long hny_scrape_timeout (hny_scrape_t *self);
/* Accept, read, answer and close what is ready; never blocks. */
void hny_scrape_run (hny_scrape_t *self);
/* The address as bound: "HOST:PORT" (borrowed). */
const char *hny_scrape_address (const hny_scrape_t *self);

#ifdef __cplusplus
}
#endif
#endif
