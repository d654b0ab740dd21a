/*  hny_testserver.c: the project's own stand-in for the paid translation
    APIs. It speaks DeepL v2, Google Translation v2, LibreTranslate and the
    OpenAI chat completions API on 127.0.0.1, checks every request against
    the contracts in shared/backends.md (recording violations), translates
    deterministically, and injects failures on demand. Control API: GET
    /_stats, POST /_faults, POST /_reset. See README.md.

    One thread per connection (libmicrohttpd), so that a hanging or slow
    answer never blocks the others. SIGTERM or SIGINT stops it: waits in
    progress (latency, hangs) wake through a pipe and the process exits 0. */
#include "ts_api.h"

#include "honyaku/util.h"

#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* Hard cap on any request body; more is answered 413. */
#define S_MAX_BODY (1024 * 1024)
/* A hang ends at the latest after this long (the client should give up first). */
#define S_MAX_HANG_MS (10 * 60 * 1000)

ts_api_config_t ts_api_config = {
    .libre_batch_limit = 100,
    .libre_char_limit = 20000,
    .libre_require_key = 0,
    .openai_require_key = 1,
    .openai_model = "test-model",
};

static ts_state_t *s_state;
static const char *s_key = "test-key";
static int s_stop_pipe[2] = { -1, -1 };    /* readable once we are stopping */

/* Per-request context, from the first header callback to completion. */
typedef struct {
    char *body;             /* request body, NUL-terminated */
    size_t len;
    size_t cap;
    int too_big;            /* over S_MAX_BODY: body dropped, 413 at the end */
    int entered;            /* counted in the in-flight gauge */
    int answered;           /* a reply was queued already */
} s_conn_t;

int
ts_lang_in (const char *lang, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp (lang, list[i]) == 0)
            return 1;
    return 0;
}

int
ts_api_for_path (const char *path)
{
    if (strncmp (path, "/v2/", 4) == 0)
        return TS_API_DEEPL;
    if (strncmp (path, "/language/", 10) == 0)
        return TS_API_GOOGLE;
    if (strcmp (path, "/translate") == 0 || strcmp (path, "/languages") == 0)
        return TS_API_LIBRE;
    if (strncmp (path, "/v1/", 4) == 0)
        return TS_API_OPENAI;
    return -1;
}

/* Wait up to ms milliseconds, or less if the server stops. */
static void
s_wait (int ms)
{
    int64_t deadline = hny_clock_mono_ms () + ms;
    for (;;) {
        int64_t left = deadline - hny_clock_mono_ms ();
        if (left <= 0)
            return;
        struct pollfd p = { s_stop_pipe[0], POLLIN, 0 };
        int rc = poll (&p, 1, (int) left);
        if (rc > 0 || (rc < 0 && errno != EINTR))
            return;
    }
}

static int
s_connection_fd (struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info (conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/* Never answer: return when the client closes, the server stops, or after
   S_MAX_HANG_MS. */
static void
s_hang (struct MHD_Connection *conn)
{
    int fd = s_connection_fd (conn);
    int64_t deadline = hny_clock_mono_ms () + S_MAX_HANG_MS;
    for (;;) {
        int64_t left = deadline - hny_clock_mono_ms ();
        if (left <= 0 || fd < 0)
            return;
        struct pollfd p[2] = { { fd, POLLRDHUP, 0 }, { s_stop_pipe[0], POLLIN, 0 } };
        int rc = poll (p, 2, (int) left);
        if (rc < 0 && errno != EINTR)
            return;
        if (rc > 0 && (p[1].revents || (p[0].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))))
            return;
    }
}

/* Abort the connection with a TCP reset. SO_LINGER 0 alone is not enough:
   MHD shuts the write side down (FIN) before it closes. connect() to
   AF_UNSPEC disconnects a Linux TCP socket at once, with RST. */
static void
s_reset (struct MHD_Connection *conn)
{
    int fd = s_connection_fd (conn);
    if (fd < 0)
        return;
    struct linger lg = { 1, 0 };
    if (setsockopt (fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
        hny_warn ("setsockopt(SO_LINGER): %s", strerror (errno));
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    if (connect (fd, &unspec, sizeof unspec) < 0)
        hny_debug ("connect(AF_UNSPEC): %s", strerror (errno));
}

/* libmicrohttpd's own messages (e.g. "closing connection" after a fault we
   caused on purpose) go to the debug log. */
static void
s_mhd_log (void *cls, const char *fmt, va_list args)
{
    if (hny_log_enabled (HNY_LOG_DEBUG))
        hny_logv (HNY_LOG_DEBUG, fmt, args);
}

/* The body of a truncated or huge answer, streamed by MHD. */
typedef struct {
    char *body;
    size_t len;
    uint64_t spaces;        /* huge: spaces after the first byte */
} s_stream_t;

static void
s_stream_free (void *cls)
{
    s_stream_t *stream = cls;
    free (stream->body);
    free (stream);
}

/* Truncated: send the body, then fail, so MHD closes short of Content-Length. */
static ssize_t
s_read_truncated (void *cls, uint64_t pos, char *buf, size_t max)
{
    s_stream_t *stream = cls;
    if (pos >= stream->len)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = stream->len - (size_t) pos < max ? stream->len - (size_t) pos : max;
    memcpy (buf, stream->body + pos, n);
    return (ssize_t) n;
}

/* Huge: body[0], then `spaces` spaces (JSON whitespace), then the rest. */
static ssize_t
s_read_huge (void *cls, uint64_t pos, char *buf, size_t max)
{
    s_stream_t *stream = cls;
    uint64_t total = stream->len + stream->spaces;
    size_t n = 0;
    while (n < max && pos < total) {
        if (pos == 0)
            buf[n++] = stream->body[0], pos++;
        else if (pos <= stream->spaces) {
            uint64_t run = stream->spaces + 1 - pos;
            size_t k = run < max - n ? (size_t) run : max - n;
            memset (buf + n, ' ', k);
            n += k;
            pos += k;
        }
        else {
            size_t off = (size_t) (pos - stream->spaces);
            size_t k = stream->len - off < max - n ? stream->len - off : max - n;
            memcpy (buf + n, stream->body + off, k);
            n += k;
            pos += k;
        }
    }
    return n ? (ssize_t) n : MHD_CONTENT_READER_END_OF_STREAM;
}

/* Put the reply on the wire (or not, for reset and hang). */
static enum MHD_Result
s_deliver (struct MHD_Connection *conn, ts_reply_t *reply)
{
    struct MHD_Response *resp = NULL;
    if (reply->send == TS_SEND_RESET) {
        s_reset (conn);
        return MHD_NO;
    }
    if (reply->send == TS_SEND_HANG) {
        s_hang (conn);
        return MHD_NO;
    }
    if ((reply->send == TS_SEND_TRUNCATED || reply->send == TS_SEND_HUGE) && reply->body_len > 0) {
        s_stream_t *stream = hny_calloc (1, sizeof *stream);
        stream->body = reply->body;
        stream->len = reply->body_len;
        reply->body = NULL;
        if (reply->send == TS_SEND_TRUNCATED)
            resp = MHD_create_response_from_callback (stream->len + stream->len / 2 + 16, 16 * 1024,
                                                      s_read_truncated, stream, s_stream_free);
        else {
            stream->spaces = reply->huge_bytes;
            resp = MHD_create_response_from_callback (stream->len + stream->spaces, 64 * 1024,
                                                      s_read_huge, stream, s_stream_free);
        }
    }
    else {
        resp = MHD_create_response_from_buffer (reply->body_len, reply->body ? reply->body : (char *) "",
                                                reply->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
        reply->body = NULL;
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header (resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
    if (reply->retry_after >= 0) {
        char value[24];
        snprintf (value, sizeof value, "%d", reply->retry_after);
        MHD_add_response_header (resp, MHD_HTTP_HEADER_RETRY_AFTER, value);
    }
    enum MHD_Result rc = MHD_queue_response (conn, (unsigned int) reply->status, resp);
    MHD_destroy_response (resp);
    return rc;
}

/* The control API: /_stats, /_faults, /_reset, /_quota. */
static void
s_control (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->path, "/_stats") == 0 && strcmp (req->method, "GET") == 0) {
        reply->status = 200;
        reply->body = ts_state_stats_json (s_state);
        reply->body_len = strlen (reply->body);
    }
    else if (strcmp (req->path, "/_faults") == 0 && strcmp (req->method, "POST") == 0) {
        ts_faults_t faults;
        char err[160];
        if (ts_faults_from_json (&faults, req->body, req->body_len, err, sizeof err) < 0)
            ts_reply_json (reply, 400, json_pack ("{ss}", "error", err));
        else {
            ts_state_set_faults (s_state, &faults);
            ts_reply_json (reply, 200, json_pack ("{sb}", "ok", 1));
        }
    }
    else if (strcmp (req->path, "/_quota") == 0 && strcmp (req->method, "POST") == 0) {
        json_t *root = json_loadb (req->body, req->body_len, 0, NULL);
        json_t *count = json_object_get (root, "character_count");
        json_t *limit = json_object_get (root, "character_limit");
        if (!json_is_integer (count) || !json_is_integer (limit) || json_integer_value (count) < 0
            || json_integer_value (limit) < 0)
            ts_reply_json (reply, 400, json_pack ("{ss}", "error", "want {\"character_count\":"
                                                  " n, \"character_limit\": n}, n >= 0"));
        else {
            ts_state_deepl_set_usage (s_state, (uint64_t) json_integer_value (count),
                                      (uint64_t) json_integer_value (limit));
            ts_reply_json (reply, 200, json_pack ("{sb}", "ok", 1));
        }
        json_decref (root);
    }
    else if (strcmp (req->path, "/_reset") == 0 && strcmp (req->method, "POST") == 0) {
        ts_state_reset (s_state);
        ts_reply_json (reply, 200, json_pack ("{sb}", "ok", 1));
    }
    else
        ts_reply_json (reply, 404, json_pack ("{ss}", "error", "unknown control request"));
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    s_conn_t *ctx = *con_cls;
    int control = strncmp (url, "/_", 2) == 0;
    int api = control ? -1 : ts_api_for_path (url);
    if (!ctx) {
        ctx = hny_calloc (1, sizeof *ctx);
        *con_cls = ctx;
        if (!control) {
            ts_state_enter (s_state);
            ctx->entered = 1;
        }
        /* A declared length over the cap is refused before reading it. */
        const char *length = MHD_lookup_connection_value (conn, MHD_HEADER_KIND, "Content-Length");
        if (!(length && strtoull (length, NULL, 10) > S_MAX_BODY))
            return MHD_YES;
        ctx->too_big = 1;
    }
    else if (*upload_data_size) {
        if (!ctx->too_big && ctx->len + *upload_data_size > S_MAX_BODY) {
            ctx->too_big = 1;
            hny_free (&ctx->body);
        }
        if (!ctx->too_big) {
            if (ctx->len + *upload_data_size + 1 > ctx->cap) {
                ctx->cap = (ctx->len + *upload_data_size + 1) * 2;
                ctx->body = hny_realloc (ctx->body, ctx->cap);
            }
            memcpy (ctx->body + ctx->len, upload_data, *upload_data_size);
            ctx->len += *upload_data_size;
            ctx->body[ctx->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->answered)
        return MHD_YES;
    ctx->answered = 1;

    ts_reply_t reply;
    ts_reply_init (&reply);
    ts_request_t req = { conn, method, url, ctx->body ? ctx->body : "", ctx->len, s_state, s_key };
    if (api >= 0)
        ts_state_count_request (s_state, (ts_api_t) api);
    if (ctx->too_big) {
        ts_state_violation (s_state, "%s %s: body over %d bytes", method, url, S_MAX_BODY);
        ts_reply_error (&reply, api >= 0 ? (ts_api_t) api : TS_API_LIBRE, 413, "Request Entity Too Large");
    }
    else if (control)
        s_control (&req, &reply);
    else if (api < 0) {
        ts_state_violation (s_state, "%s %s: no such endpoint", method, url);
        ts_reply_json (&reply, 404, json_pack ("{ss}", "error", "Not Found"));
    }
    else {
        hny_debug ("%s %s (%zu bytes)", method, url, ctx->len);
        switch (api) {
            case TS_API_DEEPL: ts_deepl_handle (&req, &reply); break;
            case TS_API_GOOGLE: ts_google_handle (&req, &reply); break;
            case TS_API_LIBRE: ts_libre_handle (&req, &reply); break;
            default: ts_openai_handle (&req, &reply); break;
        }
    }
    if (api >= 0) {
        ts_faults_t faults;
        ts_state_get_faults (s_state, &faults);
        ts_state_count_status (s_state, (ts_api_t) api,
                               reply.send == TS_SEND_RESET || reply.send == TS_SEND_HANG ? 599 : reply.status);
        if (faults.latency_ms > 0)
            s_wait (faults.latency_ms);
    }
    enum MHD_Result rc = s_deliver (conn, &reply);
    ts_reply_clear (&reply);
    return rc;
}

static void
s_completed (void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    s_conn_t *ctx = *con_cls;
    if (!ctx)
        return;
    if (ctx->entered)
        ts_state_leave (s_state);
    free (ctx->body);
    free (ctx);
    *con_cls = NULL;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
             "usage: hny-testserver [options]\n"
             "  --port N               listen on 127.0.0.1:N (0: any free port; prints PORT=N)\n"
             "  --key KEY              the API key every API accepts (default test-key)\n"
             "  --quota N              DeepL character limit (default 500000)\n"
             "  --latency-ms N         delay every API answer\n"
             "  --fault-rate R         probability of a fault per translation request\n"
             "  --fault-seed N         seed of the fault dice (default 1)\n"
             "  --fault-kinds LIST     e.g. 429,456,500,503,reset,hang,truncated,malformed,html,\n"
             "                         chatter,length,empty,wrong_count,huge,digits\n"
             "  --retry-after N        Retry-After seconds for 429/503 (default 1)\n"
             "  --huge-bytes N         size of the huge answer (default 500000000)\n"
             "  --max-inflight N       record a violation past N requests in flight\n"
             "  --libre-batch-limit N  LibreTranslate texts per request (default 100, 0: none)\n"
             "  --libre-char-limit N   LibreTranslate code points per request (default 20000)\n"
             "  --libre-require-key    LibreTranslate: api_key mandatory\n"
             "  --openai-optional-key  OpenAI: accept requests without Authorization\n"
             "  --model NAME           the OpenAI model served (default test-model)\n"
             "  --log-level LEVEL      error, warn, info or debug (default warn)\n");
}

/* A non-negative integer option, or exit 2. */
static long long
s_number (const char *name, const char *value)
{
    char *end;
    errno = 0;
    long long n = strtoll (value, &end, 10);
    if (errno || *end || n < 0) {
        fprintf (stderr, "hny-testserver: bad value for --%s: %s\n", name, value);
        exit (2);
    }
    return n;
}

int
main (int argc, char **argv)
{
    static const struct option options[] = {
        { "port", required_argument, NULL, 'p' },
        { "key", required_argument, NULL, 'k' },
        { "quota", required_argument, NULL, 'q' },
        { "latency-ms", required_argument, NULL, 'l' },
        { "fault-rate", required_argument, NULL, 'r' },
        { "fault-seed", required_argument, NULL, 's' },
        { "fault-kinds", required_argument, NULL, 'K' },
        { "retry-after", required_argument, NULL, 'a' },
        { "huge-bytes", required_argument, NULL, 'H' },
        { "max-inflight", required_argument, NULL, 'm' },
        { "libre-batch-limit", required_argument, NULL, 'b' },
        { "libre-char-limit", required_argument, NULL, 'c' },
        { "libre-require-key", no_argument, NULL, 'R' },
        { "openai-optional-key", no_argument, NULL, 'O' },
        { "model", required_argument, NULL, 'M' },
        { "log-level", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    hny_log_init ("hny-testserver", HNY_LOG_WARN);
    ts_faults_t faults;
    ts_faults_default (&faults);
    long long port = 0, quota = 500000;
    int opt;
    while ((opt = getopt_long (argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
            case 'p': port = s_number ("port", optarg); break;
            case 'k': s_key = optarg; break;
            case 'q': quota = s_number ("quota", optarg); break;
            case 'l': faults.latency_ms = (int) s_number ("latency-ms", optarg); break;
            case 'r': {
                char *end;
                faults.rate = strtod (optarg, &end);
                if (*end || faults.rate < 0 || faults.rate > 1) {
                    fprintf (stderr, "hny-testserver: --fault-rate wants 0..1\n");
                    return 2;
                }
                break;
            }
            case 's': faults.seed = (uint64_t) s_number ("fault-seed", optarg); break;
            case 'K':
                if (ts_faults_parse_kinds (&faults, optarg) < 0) {
                    fprintf (stderr, "hny-testserver: bad --fault-kinds: %s\n", optarg);
                    return 2;
                }
                break;
            case 'a': faults.retry_after = (int) s_number ("retry-after", optarg); break;
            case 'H': faults.huge_bytes = (uint64_t) s_number ("huge-bytes", optarg); break;
            case 'm': faults.max_inflight = (int) s_number ("max-inflight", optarg); break;
            case 'b': ts_api_config.libre_batch_limit = (int) s_number ("libre-batch-limit", optarg); break;
            case 'c': ts_api_config.libre_char_limit = (int) s_number ("libre-char-limit", optarg); break;
            case 'R': ts_api_config.libre_require_key = 1; break;
            case 'O': ts_api_config.openai_require_key = 0; break;
            case 'M': ts_api_config.openai_model = optarg; break;
            case 'L': {
                int level = hny_log_level_parse (optarg);
                if (level < 0) {
                    fprintf (stderr, "hny-testserver: bad --log-level: %s\n", optarg);
                    return 2;
                }
                hny_log_set_level ((hny_log_level_t) level);
                break;
            }
            case 'h': s_usage (stdout); return 0;
            default: s_usage (stderr); return 2;
        }
    }
    if (optind < argc || port > 65535) {
        s_usage (stderr);
        return 2;
    }

    /* Signals are taken by sigwait in main; every thread inherits the mask. */
    sigset_t stop_signals;
    sigemptyset (&stop_signals);
    sigaddset (&stop_signals, SIGTERM);
    sigaddset (&stop_signals, SIGINT);
    pthread_sigmask (SIG_BLOCK, &stop_signals, NULL);
    signal (SIGPIPE, SIG_IGN);
    if (pipe (s_stop_pipe) < 0) {
        hny_error ("pipe: %s", strerror (errno));
        return 1;
    }

    s_state = ts_state_new (&faults, (uint64_t) quota);
    struct sockaddr_in addr = { 0 };
    addr.sin_family = AF_INET;
    addr.sin_port = htons ((uint16_t) port);
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    struct MHD_Daemon *daemon = MHD_start_daemon (
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        s_access, NULL, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 120,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 512, MHD_OPTION_END);
    if (!daemon) {
        hny_error ("cannot listen on 127.0.0.1:%lld", port);
        ts_state_destroy (&s_state);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf ("PORT=%u\n", info ? (unsigned) info->port : (unsigned) port);
    fflush (stdout);
    hny_info ("listening on 127.0.0.1:%u", info ? (unsigned) info->port : (unsigned) port);

    int sig = 0;
    while (sigwait (&stop_signals, &sig) != 0)
        ;
    hny_info ("signal %d: stopping", sig);
    if (write (s_stop_pipe[1], "x", 1) < 0)
        hny_warn ("write: %s", strerror (errno));
    MHD_stop_daemon (daemon);
    ts_state_destroy (&s_state);
    close (s_stop_pipe[0]);
    close (s_stop_pipe[1]);
    return 0;
}
