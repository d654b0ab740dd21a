/*  bench_load.c: the two load drivers of bench/perf.py, written in C so
    that neither side of a comparison is held back by its driver.

      bench_load http URL BODIES --connections N [--header H]... [--out FILE]
          POSTs every line of BODIES (one request body a line) to URL, at
          most N in flight over N kept-alive connections (libcurl multi):
          the "direct client" that honyaku is compared with.

      bench_load honyaku ENDPOINT ARTICLES --from L --to L [--backend NAME]
                 [--format F] [--window N] [--jobs-out FILE]
          SUBMITs every article of ARTICLES through libhonyaku, pipelined
          on one connection, sends a WAIT for each job as it is ACCEPTED and
          returns when every job is finished: honyaku end to end. At most
          `window` jobs are out (submitted, not finished) at once; a 303
          (busy) is submitted again after a short backoff.

      bench_load waits ENDPOINT JOBS [--repeat N]
          For every finished job of JOBS (one id a line), N WAITs one after
          the other (default 2), every job pipelined: the broker's floor for
          a no-op re-run's SUBMIT + WAIT per article.

    ARTICLES holds records "KEY<TAB>LENGTH\n" + LENGTH bytes + "\n", read as
    they are submitted (memory does not grow with the file).

    Each mode prints one JSON object on stdout: counts, the wall time of the
    load (first request to last answer) and the driver's own CPU time
    (user, system), so that perf.py can show that the driver was not the
    bottleneck. Exit status: 0 when every request or job succeeded, 1 when
    some did not (the object says how many), 2 on bad usage or I/O. Not a
    test and not run by CTest: perf.py runs it. */
#include <honyaku/client.h>
#include <honyaku/util.h>

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define S_LINE_MAX      (4 << 20)   /* longest request body (a line of BODIES) */
#define S_ARTICLE_MAX   (64 << 20)  /* the protocol's body cap */
#define S_KEY_MAX       200         /* bytes of an article key */
#define S_WAIT_MS       3600000     /* a WAIT's own timeout: the protocol's largest */
#define S_SILENCE_MS    120000      /* no answer at all for this long: give up */
#define S_BURST         64          /* requests sent between two looks at the answers */
#define S_UNANSWERED_MAX 256        /* SUBMITs out without an answer, at most */

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* The process's CPU seconds so far, user and system. */
static void
s_cpu (double *user, double *sys)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    *user = (double) ru.ru_utime.tv_sec + (double) ru.ru_utime.tv_usec / 1e6;
    *sys = (double) ru.ru_stime.tv_sec + (double) ru.ru_stime.tv_usec / 1e6;
}

static int
s_usage (void)
{
    fprintf (stderr,
             "usage: bench_load http URL BODIES --connections N [--header H]... [--out FILE]\n"
             "       bench_load honyaku ENDPOINT ARTICLES --from L --to L [--backend NAME]\n"
             "                  [--format F] [--window N] [--jobs-out FILE]\n"
             "       bench_load waits ENDPOINT JOBS [--repeat N]\n");
    return 2;
}

/* ------------------------------------------------------------- http */

/* One connection slot: an easy handle reused request after request, so
   that its connection is kept alive. */
typedef struct {
    CURL *easy;
    size_t index;               /* the body it carries */
    char *response;             /* grown as it comes (caller frees) */
    size_t size;
} s_slot_t;

static size_t
s_on_write (char *data, size_t size, size_t count, void *arg)
{
    s_slot_t *slot = arg;
    size_t n = size * count;
    if (slot->size + n > S_LINE_MAX)
        return 0;               /* past the cap: curl fails the transfer */
    slot->response = hny_realloc (slot->response, slot->size + n + 1);
    memcpy (slot->response + slot->size, data, n);
    slot->size += n;
    slot->response [slot->size] = '\0';
    return n;
}

/* Read BODIES: one body a line, empty lines skipped. */
static char **
s_read_lines (const char *path, size_t *count)
{
    char *text = NULL;
    size_t size = 0;
    if (hny_file_read (path, (size_t) 1 << 31, &text, &size) != 0)
        return NULL;
    char **lines = NULL;
    size_t n = 0, alloc = 0;
    char *save = NULL;
    for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        if (n == alloc) {
            alloc = alloc ? 2 * alloc : 1024;
            lines = hny_realloc (lines, alloc * sizeof *lines);
        }
        lines [n++] = hny_strdup (line);
    }
    free (text);
    *count = n;
    return lines ? lines : hny_calloc (1, sizeof *lines);
}

/* The http mode's state. */
typedef struct {
    const char *url;
    struct curl_slist *headers;
    CURLM *multi;
    char **lines;               /* the bodies */
    size_t count, next;         /* bodies, and the next one to send */
    int in_flight;
    size_t bytes_out;
} s_http_t;

/* Give a slot the next body: its easy handle is made once and reused, so
   its connection stays open from one request to the next. */
static void
s_http_start (s_http_t *h, s_slot_t *slot)
{
    if (!slot->easy) {
        slot->easy = curl_easy_init ();
        curl_easy_setopt (slot->easy, CURLOPT_URL, h->url);
        curl_easy_setopt (slot->easy, CURLOPT_HTTPHEADER, h->headers);
        curl_easy_setopt (slot->easy, CURLOPT_WRITEFUNCTION, s_on_write);
        curl_easy_setopt (slot->easy, CURLOPT_WRITEDATA, slot);
        curl_easy_setopt (slot->easy, CURLOPT_PRIVATE, slot);
        curl_easy_setopt (slot->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt (slot->easy, CURLOPT_TIMEOUT_MS, 120000L);
    }
    const char *body = h->lines [h->next];
    slot->index = h->next++;
    slot->size = 0;
    curl_easy_setopt (slot->easy, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
    curl_easy_setopt (slot->easy, CURLOPT_POSTFIELDS, body);
    h->bytes_out += strlen (body);
    curl_multi_add_handle (h->multi, slot->easy);
    h->in_flight++;
}

static int
s_http (int argc, char **argv)
{
    if (argc < 4)
        return s_usage ();
    s_http_t h = { .url = argv [2] };
    const char *bodies = argv [3], *out_path = NULL;
    long connections = 16;
    for (int i = 4; i < argc; i++) {
        if (strcmp (argv [i], "--connections") == 0 && i + 1 < argc)
            connections = strtol (argv [++i], NULL, 10);
        else if (strcmp (argv [i], "--header") == 0 && i + 1 < argc)
            h.headers = curl_slist_append (h.headers, argv [++i]);
        else if (strcmp (argv [i], "--out") == 0 && i + 1 < argc)
            out_path = argv [++i];
        else
            return s_usage ();
    }
    if (connections < 1 || connections > 4096)
        return s_usage ();
    h.lines = s_read_lines (bodies, &h.count);
    if (!h.lines) {
        fprintf (stderr, "bench_load: cannot read %s\n", bodies);
        return 2;
    }
    FILE *out = out_path ? fopen (out_path, "w") : NULL;
    if (out_path && !out) {
        fprintf (stderr, "bench_load: %s: %s\n", out_path, strerror (errno));
        return 2;
    }
    curl_global_init (CURL_GLOBAL_DEFAULT);
    h.multi = curl_multi_init ();
    curl_multi_setopt (h.multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
    h.headers = curl_slist_append (h.headers, "Expect:");     /* no 100-continue round trip */
    s_slot_t *slots = hny_calloc ((size_t) connections, sizeof *slots);
    size_t ok = 0, failed = 0, bytes_in = 0;
    double user0, sys0;
    s_cpu (&user0, &sys0);
    double t0 = s_now ();
    for (long s = 0; s < connections && h.next < h.count; s++)
        s_http_start (&h, &slots [s]);
    while (h.in_flight > 0) {
        int running = 0;
        curl_multi_perform (h.multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read (h.multi, &left))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURLcode result = msg->data.result;
            s_slot_t *slot = NULL;
            long status = 0;
            curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &slot);
            curl_easy_getinfo (msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            curl_multi_remove_handle (h.multi, msg->easy_handle);
            h.in_flight--;
            bytes_in += slot->size;
            if (result == CURLE_OK && status == 200)
                ok++;
            else if (++failed <= 3)
                fprintf (stderr, "bench_load: request %zu: %s, status %ld: %.200s\n", slot->index,
                         curl_easy_strerror (result), status, slot->response ? slot->response : "");
            if (out) {
                /* One answer a line: perf.py checks the translations. */
                for (size_t k = 0; k < slot->size; k++)
                    if (slot->response [k] == '\n')
                        slot->response [k] = ' ';
                fprintf (out, "%zu\t%ld\t%.*s\n", slot->index, status, (int) slot->size,
                         slot->response ? slot->response : "");
            }
            if (h.next < h.count)
                s_http_start (&h, slot);
        }
        if (h.in_flight > 0)
            curl_multi_poll (h.multi, NULL, 0, 100, NULL);
    }
    double wall = s_now () - t0;
    double user1, sys1;
    s_cpu (&user1, &sys1);
    printf ("{\"requests\": %zu, \"ok\": %zu, \"failed\": %zu, \"connections\": %ld, \"wall_s\": %.6f,"
            " \"user_s\": %.6f, \"sys_s\": %.6f, \"bytes_out\": %zu, \"bytes_in\": %zu}\n",
            h.count, ok, failed, connections, wall, user1 - user0, sys1 - sys0, h.bytes_out, bytes_in);
    for (long s = 0; s < connections; s++) {
        if (slots [s].easy)
            curl_easy_cleanup (slots [s].easy);
        free (slots [s].response);
    }
    free (slots);
    curl_slist_free_all (h.headers);
    curl_multi_cleanup (h.multi);
    curl_global_cleanup ();
    for (size_t i = 0; i < h.count; i++)
        free (h.lines [i]);
    free (h.lines);
    if (out)
        fclose (out);
    return failed ? 1 : 0;
}

/* ------------------------------------------------------------- honyaku */

/* One article of ARTICLES while it is out. */
typedef struct {
    char key [S_KEY_MAX + 1];
    char *body;                 /* kept until ACCEPTED (a 303 sends it again) */
    size_t size;
    char *job;                  /* once ACCEPTED */
    double retry_at;            /* > 0: submit again at this time (303) */
    int tries;
} s_art_t;

typedef struct {
    FILE *in;
    const char *path;
    int eof;
} s_reader_t;

/* The next record of ARTICLES into art: 1, 0 at the end, -1 malformed. */
static int
s_read_article (s_reader_t *r, s_art_t *art)
{
    if (r->eof)
        return 0;
    char line [S_KEY_MAX + 64];
    if (!fgets (line, sizeof line, r->in)) {
        r->eof = 1;
        return 0;
    }
    char *tab = strchr (line, '\t');
    if (!tab || (size_t) (tab - line) > S_KEY_MAX)
        return -1;
    *tab = '\0';
    char *end = NULL;
    unsigned long long len = strtoull (tab + 1, &end, 10);
    if (!end || *end != '\n' || len == 0 || len > S_ARTICLE_MAX)
        return -1;
    memset (art, 0, sizeof *art);
    strcpy (art->key, line);
    art->body = hny_malloc ((size_t) len);
    art->size = (size_t) len;
    if (fread (art->body, 1, art->size, r->in) != art->size || fgetc (r->in) != '\n') {
        free (art->body);
        art->body = NULL;
        return -1;
    }
    return 1;
}

static int
s_honyaku (int argc, char **argv)
{
    if (argc < 4)
        return s_usage ();
    const char *endpoint = argv [2], *path = argv [3], *jobs_path = NULL;
    hny_submit_t opts = { .format = "text" };
    long window = 1000;
    for (int i = 4; i < argc; i++) {
        if (i + 1 >= argc)
            return s_usage ();
        if (strcmp (argv [i], "--from") == 0)
            opts.from = argv [++i];
        else if (strcmp (argv [i], "--to") == 0)
            opts.to = argv [++i];
        else if (strcmp (argv [i], "--backend") == 0)
            opts.backend = argv [++i];
        else if (strcmp (argv [i], "--format") == 0)
            opts.format = argv [++i];
        else if (strcmp (argv [i], "--window") == 0)
            window = strtol (argv [++i], NULL, 10);
        else if (strcmp (argv [i], "--jobs-out") == 0)
            jobs_path = argv [++i];
        else
            return s_usage ();
    }
    if (!opts.from || !opts.to || window < 1 || window > 1000000)
        return s_usage ();
    s_reader_t reader = { fopen (path, "rb"), path, 0 };
    if (!reader.in) {
        fprintf (stderr, "bench_load: %s: %s\n", path, strerror (errno));
        return 2;
    }
    FILE *jobs_out = jobs_path ? fopen (jobs_path, "w") : NULL;
    if (jobs_path && !jobs_out) {
        fprintf (stderr, "bench_load: %s: %s\n", jobs_path, strerror (errno));
        return 2;
    }
    hny_client_t *client = hny_client_new (endpoint);
    hny_client_set_timeout (client, 30000);
    /* The articles out, in a table indexed by the req id's number; a slot
       is free again once its job is finished. */
    s_art_t *arts = hny_calloc ((size_t) window, sizeof *arts);
    long *free_slots = hny_calloc ((size_t) window, sizeof *free_slots);
    long free_count = window;
    for (long i = 0; i < window; i++)
        free_slots [i] = window - 1 - i;
    size_t submitted = 0, accepted = 0, existing = 0, finished = 0, done = 0, failed = 0;
    size_t busy = 0, rejected = 0;
    long unanswered = 0;            /* SUBMITs sent and not answered yet */
    int rc = 0;
    double *done_times = NULL;      /* when each job finished, in order */
    size_t done_times_alloc = 0;
    double user0, sys0;
    s_cpu (&user0, &sys0);
    double t0 = s_now (), last_answer = t0, first_done = 0;
    char req [32];
    for (;;) {
        /* Fill the window from the file, a burst at a time: sends block
           when the pipe is full, and the answers must keep flowing. */
        int burst = 0;
        while (free_count > 0 && burst++ < S_BURST && unanswered < S_UNANSWERED_MAX) {
            long s = free_slots [free_count - 1];
            int got = s_read_article (&reader, &arts [s]);
            if (got < 0) {
                fprintf (stderr, "bench_load: %s: malformed record after %zu articles\n", path, submitted);
                rc = 2;
                goto end;
            }
            if (got == 0)
                break;
            free_count--;
            opts.key = arts [s].key;
            snprintf (req, sizeof req, "s%ld", s);
            if (hny_client_send_submit (client, req, &opts, arts [s].body, arts [s].size) != 0) {
                fprintf (stderr, "bench_load: submit: %s\n", hny_client_error (client));
                rc = 2;
                goto end;
            }
            submitted++;
            unanswered++;
        }
        if (free_count == window && reader.eof)
            break;              /* every job finished */
        /* 303s due again. */
        double now = s_now ();
        for (long s = 0; s < window; s++)
            if (arts [s].retry_at > 0 && arts [s].retry_at <= now) {
                arts [s].retry_at = 0;
                opts.key = arts [s].key;
                snprintf (req, sizeof req, "s%ld", s);
                hny_client_send_submit (client, req, &opts, arts [s].body, arts [s].size);
                unanswered++;
            }
        /* Every answer waiting; wait for one only when nothing is left
           to send (a client that does not read loses answers: the
           broker's ROUTER drops them past its high-water mark). */
        int can_send = free_count > 0 && !reader.eof && unanswered < S_UNANSWERED_MAX;
        for (int first = 1;; first = 0) {
            hny_reply_t *reply = NULL;
            int got = hny_client_recv_reply (client, first && !can_send ? 50 : 0, &reply);
            if (got == HNY_RECV_TIMEOUT) {
                if (s_now () - last_answer > S_SILENCE_MS / 1000.0) {
                    fprintf (stderr, "bench_load: no answer from %s for %d s\n", endpoint, S_SILENCE_MS / 1000);
                    rc = 2;
                    goto end;
                }
                break;
            }
            if (got != HNY_RECV_OK) {
                fprintf (stderr, "bench_load: %s\n", got == HNY_RECV_LOST ? "connection lost"
                         : hny_client_error (client));
                rc = 2;
                goto end;
            }
            last_answer = s_now ();
            const char *cmd = hny_reply_command (reply);
            const char *id = hny_reply_req (reply);
            long s = id && (id [0] == 's' || id [0] == 'w') ? strtol (id + 1, NULL, 10) : -1;
            if (s < 0 || s >= window) {
                hny_reply_destroy (&reply);
                continue;
            }
            s_art_t *art = &arts [s];
            if (id [0] == 's')
                unanswered--;
            if (id [0] == 's' && strcmp (cmd, "ACCEPTED") == 0) {
                const char *job = hny_reply_get_str (reply, "job");
                json_t *ex = json_object_get (hny_reply_header (reply), "existing");
                existing += json_is_true (ex) || (json_is_integer (ex) && json_integer_value (ex));
                accepted++;
                free (art->body);
                art->body = NULL;
                art->job = hny_strdup (job ? job : "");
                snprintf (req, sizeof req, "w%ld", s);
                hny_client_send_wait (client, req, art->job, S_WAIT_MS);
            }
            else if (id [0] == 's' && hny_reply_status (reply) == 303) {
                busy++;
                art->retry_at = s_now () + (double) hny_client_backoff_ms (art->tries++, 20, 1000) / 1000.0;
            }
            else if (id [0] == 'w' && strcmp (cmd, "DONE") == 0 && hny_reply_status (reply) == 300) {
                hny_client_send_wait (client, id, art->job, S_WAIT_MS);     /* still running */
            }
            else {
                /* Finished (DONE 200), or refused for good. */
                const char *state = strcmp (cmd, "DONE") == 0 ? hny_reply_get_str (reply, "state") : NULL;
                if (!state) {
                    rejected++;
                    if (rejected <= 3)
                        fprintf (stderr, "bench_load: %s %s: %s %d %s\n", art->key, id, cmd,
                                 hny_reply_status (reply), hny_reply_get_str (reply, "reason")
                                 ? hny_reply_get_str (reply, "reason") : "");
                }
                finished++;
                if (state && strcmp (state, "done") == 0)
                    done++;
                else
                    failed++;
                if (!first_done)
                    first_done = s_now () - t0;
                if (jobs_out)
                    fprintf (jobs_out, "%s\t%s\t%s\n", art->key, art->job ? art->job : "", state ? state : cmd);
                free (art->body);
                free (art->job);
                memset (art, 0, sizeof *art);
                free_slots [free_count++] = s;
                if (finished > done_times_alloc) {
                    done_times_alloc = done_times_alloc ? 2 * done_times_alloc : 4096;
                    done_times = hny_realloc (done_times, done_times_alloc * sizeof *done_times);
                }
                done_times [finished - 1] = s_now () - t0;
            }
            hny_reply_destroy (&reply);
        }
    }
end:;
    double wall = s_now () - t0;
    double user1, sys1;
    s_cpu (&user1, &sys1);
    /* When a quarter, a half, three quarters and all of the jobs were
       finished: the rate must not fall as the store grows. */
    double quarter [4] = { 0 };
    for (int q = 0; q < 4 && finished; q++)
        quarter [q] = done_times [(finished * (size_t) (q + 1) + 3) / 4 - 1];
    printf ("{\"articles\": %zu, \"accepted\": %zu, \"existing\": %zu, \"finished\": %zu, \"done\": %zu,"
            " \"failed\": %zu, \"rejected\": %zu, \"busy_303\": %zu, \"window\": %ld, \"wall_s\": %.6f,"
            " \"first_done_s\": %.6f, \"quarters_s\": [%.6f, %.6f, %.6f, %.6f], \"user_s\": %.6f,"
            " \"sys_s\": %.6f}\n",
            submitted, accepted, existing, finished, done, failed, rejected, busy, window, wall,
            first_done, quarter [0], quarter [1], quarter [2], quarter [3], user1 - user0, sys1 - sys0);
    free (done_times);
    for (long s = 0; s < window; s++) {
        free (arts [s].body);
        free (arts [s].job);
    }
    free (arts);
    free (free_slots);
    hny_client_destroy (&client);
    fclose (reader.in);
    if (jobs_out)
        fclose (jobs_out);
    if (rc)
        return rc;
    return failed || finished != submitted ? 1 : 0;
}

/* ------------------------------------------------------------- waits */

/* The broker's floor for a no-op re-run: for every job of JOBS (one id a
   line, finished jobs), `repeat` WAITs one after the other, all jobs
   pipelined, as the re-run pipelines a SUBMIT and a WAIT per article. */
static int
s_waits (int argc, char **argv)
{
    if (argc < 4)
        return s_usage ();
    const char *endpoint = argv [2];
    long repeat = 2;
    for (int i = 4; i < argc; i++) {
        if (strcmp (argv [i], "--repeat") == 0 && i + 1 < argc)
            repeat = strtol (argv [++i], NULL, 10);
        else
            return s_usage ();
    }
    size_t count = 0;
    char **jobs = s_read_lines (argv [3], &count);
    if (!jobs || repeat < 1) {
        fprintf (stderr, "bench_load: cannot read %s\n", argv [3]);
        return 2;
    }
    hny_client_t *client = hny_client_new (endpoint);
    hny_client_set_timeout (client, 30000);
    long *left = hny_calloc (count ? count : 1, sizeof *left);
    size_t next = 0, answers = 0, wrong = 0, want = count * (size_t) repeat;
    long out = 0;                   /* WAITs sent and not answered yet */
    char req [32];
    int rc = 0;
    double user0, sys0;
    s_cpu (&user0, &sys0);
    double t0 = s_now ();
    while (answers < want) {
        for (int burst = 0; next < count && burst < S_BURST && out < S_UNANSWERED_MAX; burst++, next++) {
            left [next] = repeat - 1;
            snprintf (req, sizeof req, "w%zu", next);
            hny_client_send_wait (client, req, jobs [next], 0);
            out++;
        }
        int can_send = next < count && out < S_UNANSWERED_MAX;
        /* Every answer waiting (as in s_honyaku); block only when all
           the WAITs are out. */
        for (int first = 1; answers < want; first = 0) {
            hny_reply_t *reply = NULL;
            int got = hny_client_recv_reply (client, first && !can_send ? S_SILENCE_MS : 0, &reply);
            if (got == HNY_RECV_TIMEOUT && (can_send || !first))
                break;
            if (got != HNY_RECV_OK) {
                fprintf (stderr, "bench_load: waits: %s\n", got == HNY_RECV_TIMEOUT ? "no answer"
                         : got == HNY_RECV_LOST ? "connection lost" : hny_client_error (client));
                rc = 2;
                goto end;
            }
            const char *id = hny_reply_req (reply);
            size_t i = id && id [0] == 'w' ? strtoul (id + 1, NULL, 10) : count;
            if (i < count) {
                answers++;
                out--;
                const char *state = hny_reply_get_str (reply, "state");
                wrong += strcmp (hny_reply_command (reply), "DONE") != 0 || !state
                         || strcmp (state, "done") != 0;
                if (left [i]-- > 0) {
                    hny_client_send_wait (client, id, jobs [i], 0);
                    out++;
                }
            }
            hny_reply_destroy (&reply);
        }
    }
end:;
    double wall = s_now () - t0;
    double user1, sys1;
    s_cpu (&user1, &sys1);
    printf ("{\"jobs\": %zu, \"waits\": %zu, \"answers\": %zu, \"not_done\": %zu, \"wall_s\": %.6f,"
            " \"user_s\": %.6f, \"sys_s\": %.6f}\n", count, want, answers, wrong, wall, user1 - user0,
            sys1 - sys0);
    for (size_t i = 0; i < count; i++)
        free (jobs [i]);
    free (jobs);
    free (left);
    hny_client_destroy (&client);
    return rc ? rc : wrong ? 1 : 0;
}

int
main (int argc, char **argv)
{
    if (argc >= 2 && strcmp (argv [1], "http") == 0)
        return s_http (argc, argv);
    if (argc >= 2 && strcmp (argv [1], "honyaku") == 0)
        return s_honyaku (argc, argv);
    if (argc >= 2 && strcmp (argv [1], "waits") == 0)
        return s_waits (argc, argv);
    return s_usage ();
}
