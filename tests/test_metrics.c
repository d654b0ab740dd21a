/*  test_metrics.c: the renderer of STATS as Prometheus text
    (honyaku/metrics.h), the /metrics address parser, and honyakud's
    in-memory meter (daemon/hny_meter.h) with its commit and rollback.

    The renderer is checked line by line on a hand-made STATS reply:
    family order, HELP/TYPE once per family, label escaping (\, ", \n),
    the reason label cut at a character boundary, histograms cumulative
    with +Inf, and what it leaves out (members missing or of the wrong
    type, a malformed histogram). The Python test (test_metrics.py) reads
    the same text from a running honyakud with Prometheus' own parser. */
#include "hny_check.h"
#include "hny_meter.h"

#include <honyaku/metrics.h>
#include <honyaku/util.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The rendering of a STATS reply given as JSON text; caller frees. */
static char *
s_render (const char *json, int *rc)
{
    json_error_t err;
    json_t *doc = json_loads (json, 0, &err);
    if (!doc) {
        fprintf (stderr, "bad test JSON: %s\n", err.text);
        abort ();
    }
    hny_buf_t out = HNY_BUF_INIT (HNY_METRICS_TEXT_MAX);
    *rc = hny_metrics_render (doc, &out);
    json_decref (doc);
    return hny_buf_take (&out, NULL);
}

/* 1 when text holds line as a whole line. */
static int
s_has_line (const char *text, const char *line)
{
    size_t len = strlen (line);
    for (const char *p = text; (p = strstr (p, line)); p++)
        if ((p == text || p [-1] == '\n') && p [len] == '\n')
            return 1;
    return 0;
}

static int
s_count (const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr (p, needle)); p++)
        n++;
    return n;
}

static void
s_test_render (void)
{
    int rc;
    char *text = s_render (
        "{\"status\": 200, \"since\": 1700000000123, \"workers\": 2,"
        " \"jobs\": {\"queued\": 1, \"done\": 7},"
        " \"queue\": {\"prepare\": 3, \"translate\": 4}, \"leased\": {\"prepare\": 1, \"translate\": 2},"
        " \"job_seconds\": {\"done\": {\"le\": [0.5, 2.5], \"counts\": [1, 5], \"count\": 7, \"sum\": 9.25}},"
        " \"profiles\": {"
        "   \"deepl\": {\"workers\": 2, \"queued\": 4, \"leased\": 2,"
        "     \"paused\": \"deepl: quota \\\"456\\\" C:\\\\x\\nline two\","
        "     \"tm_hits\": 5, \"tm_human_hits\": 2, \"tm_misses\": 6, \"segments\": 11, \"chars_billed\": 300,"
        "     \"prompt_tokens\": 0, \"completion_tokens\": 0,"
        "     \"http\": {\"200\": 9, \"429\": 2, \"timeout\": 1},"
        "     \"latency\": {\"le\": [0.1, 1], \"counts\": [4, 11], \"count\": 12, \"sum\": 3.5},"
        "     \"usage\": {\"character_count\": 10, \"character_limit\": 500000, \"at\": 1}},"
        "   \"old\": {\"tm_hits\": 1, \"segments\": \"x\"}}}", &rc);
    CHECK (rc == 0);
    /* Each family's header once, before its samples; families in order. */
    CHECK (s_count (text, "# TYPE honyaku_jobs gauge\n") == 1);
    CHECK (s_has_line (text, "# HELP honyaku_jobs Jobs in the store, by state."));
    CHECK (strstr (text, "# TYPE honyaku_jobs gauge") < strstr (text, "honyaku_jobs{state=\"queued\"} 1"));
    CHECK (strstr (text, "honyaku_start_time_seconds") < strstr (text, "honyaku_jobs{"));
    CHECK (strstr (text, "honyaku_workers 2") < strstr (text, "honyaku_tasks_queued{"));
    CHECK (s_has_line (text, "honyaku_start_time_seconds 1700000000.123"));
    CHECK (s_has_line (text, "honyaku_jobs{state=\"done\"} 7"));
    CHECK (s_has_line (text, "honyaku_tasks_queued{kind=\"prepare\"} 3"));
    CHECK (s_has_line (text, "honyaku_tasks_queued{kind=\"translate\",profile=\"deepl\"} 4"));
    CHECK (s_has_line (text, "honyaku_tasks_leased{kind=\"prepare\"} 1"));
    CHECK (s_has_line (text, "honyaku_tasks_leased{kind=\"translate\",profile=\"deepl\"} 2"));
    CHECK (s_has_line (text, "honyaku_profile_workers{profile=\"deepl\"} 2"));
    /* The reason, escaped as the format says. */
    CHECK (s_has_line (text, "honyaku_profile_paused{profile=\"deepl\","
                             "reason=\"deepl: quota \\\"456\\\" C:\\\\x\\nline two\"} 1"));
    /* Counters: _total, by their label. */
    CHECK (s_has_line (text, "# TYPE honyaku_segments_translated_total counter"));
    CHECK (s_has_line (text, "honyaku_segments_translated_total{profile=\"deepl\",source=\"tm\"} 5"));
    CHECK (s_has_line (text, "honyaku_segments_translated_total{profile=\"deepl\",source=\"backend\"} 11"));
    CHECK (s_has_line (text, "honyaku_tm_lookups_total{profile=\"deepl\",result=\"miss\"} 6"));
    CHECK (s_has_line (text, "honyaku_billed_characters_total{profile=\"deepl\"} 300"));
    /* Hits by origin: the human ones, and the rest; "old" (an older
       honyakud's counters) has no human hits. */
    CHECK (s_has_line (text, "honyaku_tm_hits_total{profile=\"deepl\",origin=\"human\"} 2"));
    CHECK (s_has_line (text, "honyaku_tm_hits_total{profile=\"deepl\",origin=\"machine\"} 3"));
    CHECK (s_has_line (text, "honyaku_tm_hits_total{profile=\"old\",origin=\"human\"} 0"));
    CHECK (s_has_line (text, "honyaku_tm_hits_total{profile=\"old\",origin=\"machine\"} 1"));
    CHECK (s_has_line (text, "honyaku_tokens_total{profile=\"deepl\",kind=\"completion\"} 0"));
    CHECK (s_has_line (text, "honyaku_backend_requests_total{profile=\"deepl\",status=\"429\"} 2"));
    CHECK (s_has_line (text, "honyaku_backend_requests_total{profile=\"deepl\",status=\"timeout\"} 1"));
    /* Histograms: cumulative buckets, +Inf = count, sum with ms precision. */
    CHECK (s_has_line (text, "# TYPE honyaku_backend_request_duration_seconds histogram"));
    CHECK (s_has_line (text, "honyaku_backend_request_duration_seconds_bucket{profile=\"deepl\",le=\"0.1\"} 4"));
    CHECK (s_has_line (text, "honyaku_backend_request_duration_seconds_bucket{profile=\"deepl\",le=\"1\"} 11"));
    CHECK (s_has_line (text, "honyaku_backend_request_duration_seconds_bucket{profile=\"deepl\",le=\"+Inf\"} 12"));
    CHECK (s_has_line (text, "honyaku_backend_request_duration_seconds_sum{profile=\"deepl\"} 3.500"));
    CHECK (s_has_line (text, "honyaku_backend_request_duration_seconds_count{profile=\"deepl\"} 12"));
    CHECK (s_has_line (text, "honyaku_job_duration_seconds_bucket{state=\"done\",le=\"2.5\"} 5"));
    CHECK (s_has_line (text, "honyaku_job_duration_seconds_count{state=\"done\"} 7"));
    CHECK (s_has_line (text, "honyaku_service_characters{profile=\"deepl\",kind=\"limit\"} 500000"));
    /* A profile only the store knows: its stored counters, nothing live;
       a member of the wrong type is left out. */
    CHECK (s_has_line (text, "honyaku_segments_translated_total{profile=\"old\",source=\"tm\"} 1"));
    CHECK (!strstr (text, "profile=\"old\",source=\"backend\""));
    CHECK (!strstr (text, "honyaku_profile_paused{profile=\"old\""));
    CHECK (!strstr (text, "honyaku_profile_workers{profile=\"old\""));
    CHECK (text [strlen (text) - 1] == '\n');
    free (text);

    /* Malformed histograms are left out whole; a family without samples
       prints no header. */
    const char *bad [] = {
        "{\"job_seconds\": {\"done\": {\"le\": [1, 0.5], \"counts\": [1, 2], \"count\": 2, \"sum\": 1}}}",
        "{\"job_seconds\": {\"done\": {\"le\": [1, 2], \"counts\": [3, 2], \"count\": 3, \"sum\": 1}}}",
        "{\"job_seconds\": {\"done\": {\"le\": [1, 2], \"counts\": [1, 2], \"count\": 1, \"sum\": 1}}}",
        "{\"job_seconds\": {\"done\": {\"le\": [1], \"counts\": [1, 2], \"count\": 3, \"sum\": 1}}}",
        "{\"job_seconds\": {\"done\": {\"le\": [1], \"counts\": [1], \"count\": 3}}}",
        "{\"job_seconds\": {\"done\": {\"le\": [\"1\"], \"counts\": [1], \"count\": 3, \"sum\": 1}}}",
        "{\"job_seconds\": {\"done\": [1, 2]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        text = s_render (bad [i], &rc);
        CHECK (rc == 0 && strcmp (text, "") == 0);
        free (text);
    }
    /* Nothing at all: nothing printed. */
    text = s_render ("{\"status\": 200, \"profiles\": {}}", &rc);
    CHECK (rc == 0 && strcmp (text, "") == 0);
    free (text);

    /* A long reason is cut at a character boundary (no half of a "…"). */
    char reason [HNY_METRICS_REASON_MAX * 2];
    memset (reason, 'a', HNY_METRICS_REASON_MAX - 1);
    strcpy (reason + HNY_METRICS_REASON_MAX - 1, "\xe2\x80\xa6 and more");
    json_t *doc = json_pack ("{s:{s:{s:i, s:s}}}", "profiles", "p", "workers", 1, "paused", reason);
    hny_buf_t out = HNY_BUF_INIT (HNY_METRICS_TEXT_MAX);
    CHECK (hny_metrics_render (doc, &out) == 0);
    char want [HNY_METRICS_REASON_MAX * 2 + 64];
    snprintf (want, sizeof want, "honyaku_profile_paused{profile=\"p\",reason=\"%.*s\"} 1",
              HNY_METRICS_REASON_MAX - 1, reason);
    CHECK (s_has_line (hny_buf_str (&out), want));
    hny_buf_free (&out);
    /* Past the buffer's cap: -1, never a text cut short. */
    hny_buf_t small = HNY_BUF_INIT (64);
    CHECK (hny_metrics_render (doc, &small) == -1 && small.toobig);
    hny_buf_free (&small);
    json_decref (doc);
}

static void
s_test_address (void)
{
    char host [64], *error = NULL;
    int port = 0;
    CHECK (hny_metrics_addr_parse ("9469", host, sizeof host, &port, &error) == 0);
    CHECK_STR (host, "127.0.0.1");
    CHECK (port == 9469 && !error);
    CHECK (hny_metrics_addr_parse ("0.0.0.0:80", host, sizeof host, &port, &error) == 0);
    CHECK_STR (host, "0.0.0.0");
    CHECK (hny_metrics_addr_parse ("localhost:65535", host, sizeof host, &port, &error) == 0);
    CHECK_STR (host, "127.0.0.1");
    CHECK (port == 65535);
    CHECK (hny_metrics_addr_parse ("[::1]:9469", host, sizeof host, &port, &error) == 0);
    CHECK_STR (host, "::1");
    const char *bad [] = { "", "0", "65536", "127.0.0.1", "127.0.0.1:", "127.0.0.1:x", ":80x",
                           "example.org:80", "1.2.3:80", "[::1:80", "::1:80", "[zz]:80",
                           "127.0.0.1:-1", "127.0.0.1: 80", "999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        int rc = hny_metrics_addr_parse (bad [i], host, sizeof host, &port, &error);
        CHECK (rc == -1 && error);
        if (rc == 0)
            fprintf (stderr, "  accepted \"%s\"\n", bad [i]);
        free (error);
        error = NULL;
    }
}

/* The meter's STATS members for profile 0, as text. */
static char *
s_meter_json (const hny_meter_t *meter)
{
    json_t *p = json_object (), *reply = json_object ();
    hny_meter_profile_stats (meter, 0, p);
    hny_meter_stats (meter, reply);
    json_object_set_new (reply, "p", p);
    json_object_del (reply, "since");
    char *text = json_dumps (reply, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (reply);
    return text;
}

static void
s_test_meter (void)
{
    hny_meter_t *meter = hny_meter_new (2);
    json_t *calls = json_loads (
        "[{\"status\": \"200\", \"ms\": 7}, {\"status\": \"200\", \"ms\": 70},"
        " {\"status\": \"429\", \"ms\": 5}, {\"status\": \"error\", \"ms\": 0},"
        " {\"status\": \"99\", \"ms\": 1}, {\"status\": \"600\", \"ms\": 1}, {\"status\": \"20x\", \"ms\": 1},"
        " {\"status\": \"200\", \"ms\": -4}, {\"status\": \"200\"}, {\"ms\": 3}, 17, null,"
        " {\"status\": \"timeout\", \"ms\": 200000}]", 0, NULL);
    hny_meter_calls (meter, 0, calls);
    hny_meter_calls (meter, 5, calls);          /* no such profile: nothing */
    hny_meter_calls (meter, 1, NULL);
    hny_meter_job (meter, HNY_JOB_DONE, 1500);
    hny_meter_job (meter, HNY_JOB_TRANSLATING, 1500);   /* not final: nothing */
    /* Nothing committed yet: STATS shows zeros. */
    char *text = s_meter_json (meter);
    CHECK (strstr (text, "\"http\":{}") && strstr (text, "\"count\":0"));
    free (text);
    hny_meter_commit (meter);
    text = s_meter_json (meter);
    CHECK (strstr (text, "\"http\":{\"200\":2,\"429\":1,\"error\":1,\"timeout\":1}"));
    /* Latency: 0, 5, 7 <= 10 ms; 70 <= 100 ms; 200 s past every bound. */
    CHECK (strstr (text, "\"latency\":{\"count\":5,\"counts\":[2,3,3,3,4,4,4,4,4,4,4,4,4,4],"));
    json_t *parsed = json_loads (text, 0, NULL);
    double sum = json_real_value (json_object_get (json_object_get (json_object_get (parsed, "p"),
                                                                   "latency"), "sum"));
    CHECK (sum > 200.0819 && sum < 200.0821);
    json_decref (parsed);
    CHECK (strstr (text, "\"done\":{\"count\":1,\"counts\":[0,0,0,0,1,"));
    CHECK (strstr (text, "\"failed\":{\"count\":0,"));
    /* A pass that is undone leaves nothing behind. */
    hny_meter_calls (meter, 0, calls);
    hny_meter_job (meter, HNY_JOB_FAILED, 10);
    hny_meter_rollback (meter);
    hny_meter_commit (meter);
    char *again = s_meter_json (meter);
    CHECK_STR (again, text);
    free (again);
    free (text);
    json_decref (calls);

    /* Past HNY_METER_STATUSES_MAX distinct statuses: "other". */
    json_t *many = json_array ();
    for (int code = 100; code < 100 + HNY_METER_STATUSES_MAX + 10; code++) {
        char status [8];
        snprintf (status, sizeof status, "%d", code);
        json_array_append_new (many, json_pack ("{s:s, s:i}", "status", status, "ms", 1));
    }
    hny_meter_calls (meter, 1, many);
    hny_meter_commit (meter);
    json_t *p = json_object ();
    hny_meter_profile_stats (meter, 1, p);
    json_t *http = json_object_get (p, "http");
    CHECK (json_object_size (http) == HNY_METER_STATUSES_MAX);
    CHECK (json_integer_value (json_object_get (http, "other")) == 11);
    CHECK (json_integer_value (json_object_get (json_object_get (p, "latency"), "count"))
           == HNY_METER_STATUSES_MAX + 10);
    json_decref (p);
    json_decref (many);
    hny_meter_destroy (&meter);
    CHECK (meter == NULL);
    hny_meter_destroy (&meter);
}

int
main (void)
{
    hny_log_init ("test_metrics", HNY_LOG_WARN);
    s_test_render ();
    s_test_address ();
    s_test_meter ();
    return s_check_done ("test_metrics");
}
