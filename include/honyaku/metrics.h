/*  honyaku/metrics.h: honyakud's numbers in the Prometheus text exposition
    format (version 0.0.4), and the address of its /metrics endpoint.

    There is one renderer, and one source: a STATS reply (PROTOCOL.md
    section 5.2). `honyaku stats --format prometheus` renders the reply it
    gets; honyakud's HTTP endpoint ([daemon] metrics) renders the reply it
    would send. So the two always print the same families, names, labels
    and values, and a change to either shows in both.

    Every family starts with "honyaku_" and has its # HELP and # TYPE
    lines; counters end in _total, durations are in seconds, histograms
    come as _bucket{le=...} (cumulative, "+Inf" last), _sum and _count.
    Label values are escaped (\\, \", \n). The list of families, what each
    counts and whether it survives a restart of honyakud (kept in the
    store) or counts since honyakud started (kept in memory) is in
    README.md ("Metrics") and in each family's HELP text. */
#ifndef HNY_METRICS_H
#define HNY_METRICS_H

#include "honyaku/util.h"

#include <jansson.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most bytes of exposition text rendered: a configuration with
   hundreds of profiles fits many times over; past it the rendering
   fails rather than send a page cut short. */
#define HNY_METRICS_TEXT_MAX    (8 << 20)
/* The most bytes of a label value taken from a reason (a paused profile's
   "reason" label): longer ones are cut at a character boundary, because
   every distinct value is a new series for the monitoring system. */
#define HNY_METRICS_REASON_MAX  200

/* Render the STATS reply header `stats` (borrowed; members it does not
   find, or of the wrong type, are left out of the output) as exposition
   text, appended to out. Returns 0, or -1 when out's cap was reached
   (out->toobig; use a buffer of at least HNY_METRICS_TEXT_MAX). */
int hny_metrics_render (const json_t *stats, hny_buf_t *out);

/* Parse the value of [daemon] metrics / honyakud --metrics: "PORT",
   "HOST:PORT" or "[IPV6]:PORT", where HOST is a numeric IPv4 address or
   "localhost" and PORT is 1 to 65535. "PORT" alone means the loopback
   address 127.0.0.1, so the endpoint is never open to the network unless
   an address says so. Fills host (the numeric address to bind, at most
   host_size bytes with its NUL; "localhost" becomes 127.0.0.1) and *port.
   Returns 0, or -1 with *error (caller owns) saying what is wrong. */
int hny_metrics_addr_parse (const char *text, char *host, size_t host_size, int *port,
                            char **error);

#ifdef __cplusplus
}
#endif
#endif
