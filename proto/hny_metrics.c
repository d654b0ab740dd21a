/*  hny_metrics.c: a STATS reply as Prometheus text exposition (see
    honyaku/metrics.h), and the address of the /metrics endpoint.

    The renderer only reads the reply: whatever it lacks (an older
    honyakud, a profile that is no longer configured) is left out, never
    guessed. Families are printed in a fixed order, each once, with all
    its samples together, and its # HELP / # TYPE lines before the first
    sample; a family without samples is not printed at all. */
#include "honyaku/metrics.h"

#include <arpa/inet.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LABELS_MAX    4           /* labels of one sample, le included */
#define S_BUCKETS_MAX   64          /* buckets of a histogram we print */
#define S_PORT_MAX      65535

/* Where a family stands in the output: its header goes before its first
   sample, once. */
typedef struct {
    const char *name;
    const char *type;           /* counter, gauge or histogram */
    const char *help;
    int started;
} s_family_t;

typedef struct {
    const char *name;
    const char *value;
    size_t max;                 /* bytes of value taken; 0: all (see s_escape) */
} s_label_t;

/* ------------------------------------------------------------- text */

/* A label value as the format wants it: \ " and newline escaped. With max
   > 0 at most max bytes of s are taken, cut before a UTF-8 continuation
   byte so that the value stays valid UTF-8. */
static void
s_escape (hny_buf_t *out, const char *s, size_t max)
{
    size_t len = strlen (s);
    if (max && len > max) {
        len = max;
        while (len > 0 && ((unsigned char) s [len] & 0xC0) == 0x80)
            len--;
    }
    size_t run = 0;             /* bytes copied as they are, in one add */
    for (size_t i = 0; i < len; i++) {
        const char *esc = s [i] == '\\' ? "\\\\"
                        : s [i] == '"'  ? "\\\""
                        : s [i] == '\n' ? "\\n" : NULL;
        if (!esc)
            continue;
        hny_buf_add (out, s + run, i - run);
        hny_buf_adds (out, esc);
        run = i + 1;
    }
    hny_buf_add (out, s + run, len - run);
}

static void
s_header (hny_buf_t *out, s_family_t *fam)
{
    if (fam->started)
        return;
    fam->started = 1;
    /* HELP texts are ours, one line without backslashes: nothing to escape. */
    assert (!strpbrk (fam->help, "\\\n"));
    char *text = hny_sprintf ("# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name,
                              fam->type);
    hny_buf_adds (out, text);
    free (text);
}

/* One sample line: NAME{labels} value. suffix (may be "") follows the
   family's name: "_bucket", "_sum", "_count" for histograms. */
static void
s_line (hny_buf_t *out, s_family_t *fam, const char *suffix, const s_label_t *labels,
        size_t count, const char *value)
{
    s_header (out, fam);
    hny_buf_adds (out, fam->name);
    hny_buf_adds (out, suffix);
    for (size_t i = 0; i < count; i++) {
        hny_buf_adds (out, i == 0 ? "{" : ",");
        hny_buf_adds (out, labels [i].name);
        hny_buf_adds (out, "=\"");
        s_escape (out, labels [i].value, labels [i].max);
        hny_buf_adds (out, "\"");
    }
    hny_buf_adds (out, count ? "} " : " ");
    hny_buf_adds (out, value);
    hny_buf_adds (out, "\n");
}

static void
s_int (hny_buf_t *out, s_family_t *fam, const s_label_t *labels, size_t count, json_int_t n)
{
    char value [32];
    snprintf (value, sizeof value, "%" JSON_INTEGER_FORMAT, n);
    s_line (out, fam, "", labels, count, value);
}

/* A sample from a JSON integer; nothing when value is not one. */
static void
s_json_int (hny_buf_t *out, s_family_t *fam, const s_label_t *labels, size_t count,
            const json_t *value)
{
    if (json_is_integer (value))
        s_int (out, fam, labels, count, json_integer_value (value));
}

/* ------------------------------------------------------------- histograms */

/* A histogram object of the STATS reply: {"le": [upper bounds, seconds,
   increasing], "counts": [cumulative counts, one per bound], "count": n
   (the +Inf bucket), "sum": seconds}. NULL when it is not well-formed, so
   that nothing half-right is printed. */
static const json_t *
s_hist_valid (const json_t *h)
{
    const json_t *le = json_object_get (h, "le");
    const json_t *counts = json_object_get (h, "counts");
    const json_t *count = json_object_get (h, "count");
    if (!json_is_array (le) || !json_is_array (counts) || !json_is_integer (count)
    ||  !json_is_number (json_object_get (h, "sum"))
    ||  json_array_size (le) != json_array_size (counts) || json_array_size (le) > S_BUCKETS_MAX)
        return NULL;
    double bound = -INFINITY;
    json_int_t below = 0;
    for (size_t i = 0; i < json_array_size (le); i++) {
        const json_t *b = json_array_get (le, i), *c = json_array_get (counts, i);
        if (!json_is_number (b) || !isfinite (json_number_value (b))
        ||  json_number_value (b) <= bound
        ||  !json_is_integer (c) || json_integer_value (c) < below)
            return NULL;
        bound = json_number_value (b);
        below = json_integer_value (c);
    }
    return below <= json_integer_value (count) ? h : NULL;
}

/* The samples of one histogram h (validated) with these labels; a slot is
   left at labels [count] for le. */
static void
s_hist (hny_buf_t *out, s_family_t *fam, s_label_t *labels, size_t count, const json_t *h)
{
    assert (count < S_LABELS_MAX);
    const json_t *le = json_object_get (h, "le"), *counts = json_object_get (h, "counts");
    char bound [32], value [32];
    labels [count] = (s_label_t) { "le", bound, 0 };
    for (size_t i = 0; i < json_array_size (le); i++) {
        snprintf (bound, sizeof bound, "%g", json_number_value (json_array_get (le, i)));
        snprintf (value, sizeof value, "%" JSON_INTEGER_FORMAT,
                  json_integer_value (json_array_get (counts, i)));
        s_line (out, fam, "_bucket", labels, count + 1, value);
    }
    snprintf (bound, sizeof bound, "+Inf");
    snprintf (value, sizeof value, "%" JSON_INTEGER_FORMAT,
              json_integer_value (json_object_get (h, "count")));
    s_line (out, fam, "_bucket", labels, count + 1, value);
    char sum [48];
    snprintf (sum, sizeof sum, "%.3f", json_number_value (json_object_get (h, "sum")));
    s_line (out, fam, "_sum", labels, count, sum);
    s_line (out, fam, "_count", labels, count, value);
}

/* ------------------------------------------------------------- families */

/* The families, in the order they are printed. */
enum { F_START, F_JOBS, F_JOB_SECONDS, F_WORKERS, F_QUEUED, F_LEASED, F_PROFILE_WORKERS,
       F_PAUSED, F_SEGMENTS, F_TM, F_TM_ORIGIN, F_BILLED, F_TOKENS, F_REQUESTS, F_LATENCY, F_SERVICE,
       F_COUNT };

static const s_family_t s_families [F_COUNT] = {
    [F_START] = { "honyaku_start_time_seconds", "gauge",
      "When honyakud started, in seconds since the epoch: the counters kept in memory count from"
      " then.", 0 },
    [F_JOBS] = { "honyaku_jobs", "gauge", "Jobs in the store, by state.", 0 },
    [F_JOB_SECONDS] = { "honyaku_job_duration_seconds", "histogram",
      "Time from a job's acceptance to its record, by final state; jobs that ended since honyakud"
      " started (in memory).", 0 },
    [F_WORKERS] = { "honyaku_workers", "gauge", "Workers registered and alive.", 0 },
    [F_QUEUED] = { "honyaku_tasks_queued", "gauge",
      "Tasks waiting for a worker (retries in backoff included): prepare, or translate by"
      " profile.", 0 },
    [F_LEASED] = { "honyaku_tasks_leased", "gauge",
      "Tasks in flight: leased to a worker and not answered yet; prepare, or translate by"
      " profile.", 0 },
    [F_PROFILE_WORKERS] = { "honyaku_profile_workers", "gauge",
      "Live workers that serve the profile.", 0 },
    [F_PAUSED] = { "honyaku_profile_paused", "gauge",
      "1 while the profile is paused (quota exhausted, key refused), with the reason; else 0.",
      0 },
    [F_SEGMENTS] = { "honyaku_segments_translated_total", "counter",
      "Segments translated, by source: tm (a segment filled from the translation memory) or"
      " backend (a text the service translated; a sentence several jobs have in flight at once"
      " is sent and counted once). Kept in the store across restarts.", 0 },
    [F_TM] = { "honyaku_tm_lookups_total", "counter",
      "Translation memory lookups of prepared segments, by result (hit or miss). Kept in the"
      " store across restarts.", 0 },
    [F_TM_ORIGIN] = { "honyaku_tm_hits_total", "counter",
      "Translation memory hits, by the origin of the entry: human (imported by honyaku tm import;"
      " it wins over machine output) or machine. Kept in the store across restarts.", 0 },
    [F_BILLED] = { "honyaku_billed_characters_total", "counter",
      "Characters the service billed (as it reports them, else the characters sent). Kept in"
      " the store across restarts.", 0 },
    [F_TOKENS] = { "honyaku_tokens_total", "counter",
      "Tokens an LLM service counted, by kind (prompt or completion). Kept in the store across"
      " restarts.", 0 },
    [F_REQUESTS] = { "honyaku_backend_requests_total", "counter",
      "HTTP requests to the translation service, by the status it answered (timeout: no answer"
      " in time; error: no HTTP answer at all), as the workers report them; since honyakud"
      " started (in memory).", 0 },
    [F_LATENCY] = { "honyaku_backend_request_duration_seconds", "histogram",
      "Time from sending a request to the translation service to its answer (or failure), as"
      " the workers measure it; since honyakud started (in memory).", 0 },
    [F_SERVICE] = { "honyaku_service_characters", "gauge",
      "The service's own account of its characters, by kind (used or limit, 0 for none), as it"
      " last told (DeepL /v2/usage).", 0 },
};

int
hny_metrics_render (const json_t *stats, hny_buf_t *out)
{
    /* A fresh copy of the table: every header is printed once per
       rendering, and nothing is kept between calls. */
    s_family_t fam [F_COUNT];
    memcpy (fam, s_families, sizeof fam);
    s_label_t labels [S_LABELS_MAX];
    const char *key;
    const json_t *value;

    const json_t *since = json_object_get (stats, "since");
    if (json_is_integer (since)) {
        char text [48];
        snprintf (text, sizeof text, "%.3f", (double) json_integer_value (since) / 1000.0);
        s_line (out, &fam [F_START], "", NULL, 0, text);
    }
    json_object_foreach ((json_t *) json_object_get (stats, "jobs"), key, value) {
        labels [0] = (s_label_t) { "state", key, 0 };
        s_json_int (out, &fam [F_JOBS], labels, 1, value);
    }
    json_object_foreach ((json_t *) json_object_get (stats, "job_seconds"), key, value) {
        labels [0] = (s_label_t) { "state", key, 0 };
        if (s_hist_valid (value))
            s_hist (out, &fam [F_JOB_SECONDS], labels, 1, value);
    }
    s_json_int (out, &fam [F_WORKERS], NULL, 0, json_object_get (stats, "workers"));

    /* Tasks: prepare (no profile), then translate by profile. */
    const json_t *profiles = json_object_get (stats, "profiles");
    static const char *const members [] = { "queued", "leased" };
    static const char *const totals [] = { "queue", "leased" };
    for (size_t m = 0; m < 2; m++) {
        s_family_t *f = &fam [m == 0 ? F_QUEUED : F_LEASED];
        labels [0] = (s_label_t) { "kind", "prepare", 0 };
        s_json_int (out, f, labels, 1,
                    json_object_get (json_object_get (stats, totals [m]), "prepare"));
        json_object_foreach ((json_t *) profiles, key, value) {
            labels [0] = (s_label_t) { "kind", "translate", 0 };
            labels [1] = (s_label_t) { "profile", key, 0 };
            s_json_int (out, f, labels, 2, json_object_get (value, members [m]));
        }
    }
    json_object_foreach ((json_t *) profiles, key, value) {
        labels [0] = (s_label_t) { "profile", key, 0 };
        s_json_int (out, &fam [F_PROFILE_WORKERS], labels, 1, json_object_get (value, "workers"));
    }
    /* Paused: only profiles honyakud runs (they carry "workers"). */
    json_object_foreach ((json_t *) profiles, key, value) {
        if (!json_is_integer (json_object_get (value, "workers")))
            continue;
        const char *reason = json_string_value (json_object_get (value, "paused"));
        labels [0] = (s_label_t) { "profile", key, 0 };
        labels [1] = (s_label_t) { "reason", reason ? reason : "", HNY_METRICS_REASON_MAX };
        s_int (out, &fam [F_PAUSED], labels, 2, reason ? 1 : 0);
    }

    /* The counters kept in the store (honyakud's stats table), a row of
       this table at a time; rows of one family follow each other. */
    static const struct {
        int family;
        const char *member, *label, *value;
    } stored [] = {
        { F_SEGMENTS, "tm_hits", "source", "tm" },
        { F_SEGMENTS, "segments", "source", "backend" },
        { F_TM, "tm_hits", "result", "hit" },
        { F_TM, "tm_misses", "result", "miss" },
        { F_BILLED, "chars_billed", NULL, NULL },
        { F_TOKENS, "prompt_tokens", "kind", "prompt" },
        { F_TOKENS, "completion_tokens", "kind", "completion" },
    };
    for (size_t r = 0; r < sizeof stored / sizeof stored [0]; r++)
        json_object_foreach ((json_t *) profiles, key, value) {
            labels [0] = (s_label_t) { "profile", key, 0 };
            labels [1] = (s_label_t) { stored [r].label, stored [r].value, 0 };
            s_json_int (out, &fam [stored [r].family], labels, stored [r].label ? 2 : 1,
                        json_object_get (value, stored [r].member));
        }

    /* Hits by the entry's origin: the human ones are counted apart,
       the machine ones are the rest. */
    json_object_foreach ((json_t *) profiles, key, value) {
        const json_t *hits = json_object_get (value, "tm_hits");
        if (!json_is_integer (hits))
            continue;
        json_int_t human = json_integer_value (json_object_get (value, "tm_human_hits"));
        labels [0] = (s_label_t) { "profile", key, 0 };
        labels [1] = (s_label_t) { "origin", "human", 0 };
        s_int (out, &fam [F_TM_ORIGIN], labels, 2, human);
        labels [1] = (s_label_t) { "origin", "machine", 0 };
        s_int (out, &fam [F_TM_ORIGIN], labels, 2, json_integer_value (hits) - human);
    }

    /* Requests by status and their latency, from the workers' reports. */
    json_object_foreach ((json_t *) profiles, key, value) {
        const char *status;
        const json_t *n;
        json_object_foreach ((json_t *) json_object_get (value, "http"), status, n) {
            labels [0] = (s_label_t) { "profile", key, 0 };
            labels [1] = (s_label_t) { "status", status, 0 };
            s_json_int (out, &fam [F_REQUESTS], labels, 2, n);
        }
    }
    json_object_foreach ((json_t *) profiles, key, value) {
        const json_t *h = s_hist_valid (json_object_get (value, "latency"));
        labels [0] = (s_label_t) { "profile", key, 0 };
        if (h)
            s_hist (out, &fam [F_LATENCY], labels, 1, h);
    }
    json_object_foreach ((json_t *) profiles, key, value) {
        const json_t *usage = json_object_get (value, "usage");
        labels [0] = (s_label_t) { "profile", key, 0 };
        labels [1] = (s_label_t) { "kind", "used", 0 };
        s_json_int (out, &fam [F_SERVICE], labels, 2, json_object_get (usage, "character_count"));
        labels [1] = (s_label_t) { "kind", "limit", 0 };
        s_json_int (out, &fam [F_SERVICE], labels, 2, json_object_get (usage, "character_limit"));
    }
    return out->toobig ? -1 : 0;
}

/* ------------------------------------------------------------- address */

int
hny_metrics_addr_parse (const char *text, char *host, size_t host_size, int *port, char **error)
{
    assert (text && host && port && error);
    *error = NULL;
    const char *colon = strrchr (text, ':');
    const char *digits = colon ? colon + 1 : text;
    char *end = NULL;
    long n = *digits >= '0' && *digits <= '9' ? strtol (digits, &end, 10) : -1;
    if (!end || *end || n < 1 || n > S_PORT_MAX) {
        *error = hny_sprintf ("\"%.64s\": expected PORT, HOST:PORT or [IPV6]:PORT with a port of"
                              " 1 to %d", text, S_PORT_MAX);
        return -1;
    }
    /* The host: none (loopback), [v6], localhost, or a numeric IPv4. */
    char name [64] = "127.0.0.1";
    size_t len = colon ? (size_t) (colon - text) : 0;
    if (colon && len >= sizeof name) {
        *error = hny_sprintf ("\"%.64s\": the host is too long", text);
        return -1;
    }
    if (colon) {
        memcpy (name, text, len);
        name [len] = 0;
    }
    int v6 = len >= 2 && name [0] == '[' && name [len - 1] == ']';
    if (v6) {
        memmove (name, name + 1, len - 2);
        name [len - 2] = 0;
    }
    else if (strcmp (name, "localhost") == 0)
        strcpy (name, "127.0.0.1");
    unsigned char addr [16];
    if (inet_pton (v6 ? AF_INET6 : AF_INET, name, addr) != 1) {
        *error = hny_sprintf ("\"%.64s\": the host must be a numeric IPv4 address, [IPv6] or"
                              " localhost", text);
        return -1;
    }
    if (strlen (name) + 1 > host_size) {
        *error = hny_sprintf ("\"%.64s\": the host is too long", text);
        return -1;
    }
    strcpy (host, name);
    *port = (int) n;
    return 0;
}
