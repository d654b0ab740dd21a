/*  test_export_filter.c: the record filters of `honyaku export`
    (client/hny_export_filter.h) without a daemon: ISO 8601 times for
    --since (dates, times, zones, local time, impossible dates), --pair
    readings and their refusals, --state, --job (duplicates, caps), and
    the decisions on records and LISTING items, with the count of pairs
    the messages name. */
#include "hny_export_filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int s_failures;

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            s_failures++; \
            fprintf (stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
            fprintf (stderr, __VA_ARGS__); \
            fputc ('\n', stderr); \
        } \
    } while (0)

static void
s_test_time (void)
{
    setenv ("TZ", "UTC", 1);
    tzset ();
    struct { const char *text; int64_t ms; } good [] = {
        { "2024-05-01", 1714521600000LL },
        { "2024-05-01T09:30", 1714555800000LL },
        { "2024-05-01 09:30:15", 1714555815000LL },
        { "2024-05-01T09:30:15.25Z", 1714555815250LL },
        { "2024-05-01T09:30:15,5z", 1714555815500LL },
        { "2024-05-01T09:30+09:00", 1714523400000LL },
        { "2024-05-01T09:30:00-0230", 1714564800000LL },
        { "2024-05-01T09:30:00+09", 1714523400000LL },
        { "2024-02-29", 1709164800000LL },
        { "2000-02-29", 951782400000LL },
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        int64_t ms = -1;
        CHECK (hny_export_parse_time (good [i].text, &ms) == 0 && ms == good [i].ms,
               "%s -> %lld, want %lld", good [i].text, (long long) ms, (long long) good [i].ms);
    }
    const char *bad [] = { "", "yesterday", "2024-5-1", "2024-13-01", "2024-00-10", "2023-02-29",
                           "1900-02-29", "2024-04-31", "2024-05-01T24:00", "2024-05-01T09:60",
                           "2024-05-01T09", "2024-05-01x", "2024-05-01T09:30Zx",
                           "2024-05-01T09:30+25:00", "2024-05-01T09:30:00.", "1969-12-31",
                           "20240501" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        int64_t ms;
        CHECK (hny_export_parse_time (bad [i], &ms) == -1, "'%s' refused", bad [i]);
    }
    /* Without a zone, a date is local midnight. */
    setenv ("TZ", "Asia/Tokyo", 1);
    tzset ();
    int64_t ms = 0;
    CHECK (hny_export_parse_time ("2024-05-01", &ms) == 0 && ms == 1714521600000LL - 9 * 3600000LL,
           "Tokyo midnight %lld", (long long) ms);
    CHECK (hny_export_parse_time ("2024-05-01T00:00Z", &ms) == 0 && ms == 1714521600000LL,
           "Z wins over TZ");
    setenv ("TZ", "UTC", 1);
    tzset ();
}

static json_t *
s_record (const char *job, const char *src, const char *tgt, int failed, json_int_t finished)
{
    json_t *r = json_pack ("{s:s, s:s, s:s, s:s, s:[]}", "schema", "honyaku.record/1", "job", job,
                           "source_lang", src, "target_lang", tgt, "errors");
    if (failed)
        json_array_append_new (json_object_get (r, "errors"),
                               json_pack ("{s:n, s:n, s:i, s:s, s:s}", "paragraph", "segment",
                                          "code", 422, "class", "permanent", "reason", "no"));
    if (finished >= 0)
        json_object_set_new (r, "finished", json_integer (finished));
    return r;
}

/* The decision on a record, freeing it and any reason. */
static int
s_keep (hny_export_filter_t *f, json_t *record, int64_t listed)
{
    char *why = NULL;
    int rc = hny_export_filter_record (f, record, listed, 1, &why);
    CHECK ((rc < 0) == (why != NULL), "a reason exactly when it cannot tell");
    free (why);
    json_decref (record);
    return rc;
}

static void
s_test_setters (void)
{
    hny_export_filter_t *f = hny_export_filter_new ();
    char *why = NULL;
    const char *bad_pairs [] = { "en", "en-", "-ja", "english-ja", "en-japanese", "en_ja", "e-j",
                                 "en-ja-", "" };
    for (size_t i = 0; i < sizeof bad_pairs / sizeof bad_pairs [0]; i++) {
        CHECK (hny_export_filter_set_pair (f, bad_pairs [i], &why) == -1 && why
               && strstr (why, "--pair: ") && strstr (why, "BCP 47"), "--pair '%s' refused", bad_pairs [i]);
        free (why);
        why = NULL;
    }
    CHECK (hny_export_filter_set_state (f, "running", &why) == -1 && strstr (why, "done, failed or all"),
           "--state running");
    free (why);
    why = NULL;
    CHECK (hny_export_filter_set_since (f, "last week", &why) == -1 && strstr (why, "ISO 8601"),
           "--since last week");
    free (why);
    why = NULL;
    char long_id [80];
    memset (long_id, '7', 65);
    long_id [65] = 0;
    CHECK (hny_export_filter_add_job (f, long_id, &why) == -1, "--job of 65 bytes");
    free (why);
    why = NULL;
    CHECK (hny_export_filter_add_job (f, "", &why) == -1, "--job ''");
    free (why);
    why = NULL;
    CHECK (hny_export_filter_add_job (f, "12", &why) == 0 && hny_export_filter_add_job (f, "7", &why) == 0
           && hny_export_filter_add_job (f, "12", &why) == 0, "--job 12 7 12");
    CHECK (hny_export_filter_jobs (f) == 2 && !strcmp (hny_export_filter_job (f, 0), "12")
           && !strcmp (hny_export_filter_job (f, 1), "7"), "jobs in order, once");
    for (int i = 0; i < HNY_FILTER_MAX_JOBS; i++) {
        char id [16];
        snprintf (id, sizeof id, "%d", 1000 + i);
        if (hny_export_filter_add_job (f, id, &why))
            break;
    }
    CHECK (why && strstr (why, "at most"), "the --job cap");
    CHECK (hny_export_filter_jobs (f) == HNY_FILTER_MAX_JOBS, "jobs at the cap %zu",
           hny_export_filter_jobs (f));
    free (why);
    hny_export_filter_destroy (&f);
    CHECK (f == NULL, "destroy clears the pointer");
}

static void
s_test_records (void)
{
    char *why = NULL;
    /* The default: done records of any pair and time. */
    hny_export_filter_t *f = hny_export_filter_new ();
    CHECK (!strcmp (hny_export_filter_list_state (f), "done"), "LIST done by default");
    CHECK (s_keep (f, s_record ("1", "en", "es", 0, 5), -1) == 1, "done kept");
    CHECK (s_keep (f, s_record ("2", "en", "es", 1, 5), -1) == 0, "failed left out");
    hny_export_filter_set_state (f, "failed", &why);
    CHECK (s_keep (f, s_record ("2", "en", "es", 1, 5), -1) == 1, "failed kept");
    CHECK (s_keep (f, s_record ("1", "en", "es", 0, 5), -1) == 0, "done left out");
    hny_export_filter_set_state (f, "all", &why);
    CHECK (hny_export_filter_list_state (f) == NULL, "LIST any state");
    CHECK (s_keep (f, s_record ("3", "en", "es", 1, 5), -1) == 1, "all keeps failed");

    /* --pair: canonical tags; a spec that splits two ways. */
    CHECK (hny_export_filter_set_pair (f, "pt-br-EN", &why) == 0, "--pair pt-br-EN");
    CHECK (s_keep (f, s_record ("4", "pt-BR", "en", 0, 5), -1) == 1, "pt-BR en kept");
    CHECK (s_keep (f, s_record ("5", "PT_br", "EN", 0, 5), -1) == 1, "PT_br EN kept");
    CHECK (s_keep (f, s_record ("6", "pt", "en", 0, 5), -1) == 0, "pt en left out");
    CHECK (s_keep (f, s_record ("7", "en", "pt-BR", 0, 5), -1) == 0, "en pt-BR left out");
    size_t distinct = 0;
    char *pairs = hny_export_filter_pairs_found (f, &distinct);
    CHECK (distinct == 4 && !strcmp (pairs, "en-es (3), pt-BR-en (2), en-pt-BR (1), pt-en (1)"),
           "pairs found %zu '%s'", distinct, pairs);
    free (pairs);
    char *text = hny_export_filter_describe (f);
    CHECK (!strcmp (text, "--state all --pair pt-br-EN"), "describe '%s'", text);
    free (text);
    hny_export_filter_destroy (&f);

    /* --since: the record's finish time, else its LISTING item's. */
    f = hny_export_filter_new ();
    hny_export_filter_set_since (f, "2024-05-01T00:00Z", &why);
    int64_t t = 1714521600000LL;
    CHECK (s_keep (f, s_record ("1", "en", "es", 0, t), -1) == 1, "finished at since: kept");
    CHECK (s_keep (f, s_record ("2", "en", "es", 0, t - 1), -1) == 0, "a ms before: left out");
    CHECK (s_keep (f, s_record ("3", "en", "es", 0, -1), t + 5) == 1, "listed time used");
    CHECK (s_keep (f, s_record ("4", "en", "es", 0, -1), t - 5) == 0, "listed time: before");
    CHECK (s_keep (f, s_record ("5", "en", "es", 0, -1), -1) == -1, "no time at all: cannot tell");
    hny_export_filter_destroy (&f);

    /* --job: others left out, the jobs seen noted. */
    f = hny_export_filter_new ();
    hny_export_filter_add_job (f, "9", &why);
    hny_export_filter_add_job (f, "11", &why);
    hny_export_filter_set_state (f, "all", &why);
    CHECK (s_keep (f, s_record ("10", "en", "es", 0, 5), -1) == 0, "job 10 left out");
    CHECK (!strcmp (hny_export_filter_unseen_job (f), "9"), "9 not seen yet");
    CHECK (s_keep (f, s_record ("9", "en", "es", 1, 5), -1) == 1, "job 9 kept");
    CHECK (!strcmp (hny_export_filter_unseen_job (f), "11"), "11 not seen");
    CHECK (s_keep (f, s_record ("11", "en", "es", 0, 5), -1) == 1, "job 11 kept");
    CHECK (hny_export_filter_unseen_job (f) == NULL, "every job seen");
    hny_export_filter_destroy (&f);
}

static void
s_test_listed (void)
{
    char *why = NULL;
    hny_export_filter_t *f = hny_export_filter_new ();
    hny_export_filter_set_pair (f, "en-ja", &why);
    hny_export_filter_set_since (f, "2024-05-01T00:00Z", &why);
    int64_t t = 1714521600000LL;
    struct { const char *item; int want, tallied; } cases [] = {
        { "{\"job\":\"1\",\"state\":\"translating\",\"from\":\"en\",\"to\":\"ja\"}", 0, 0 },
        { "{\"job\":\"2\",\"state\":\"failed\",\"from\":\"en\",\"to\":\"ja\",\"finished\":1714521600001}", 0, 0 },
        { "{\"job\":\"3\",\"state\":\"done\",\"from\":\"EN\",\"to\":\"JA\",\"finished\":1714521600000}", 1, 1 },
        { "{\"job\":\"4\",\"state\":\"done\",\"from\":\"en\",\"to\":\"es\",\"finished\":1714521600000}", 0, 1 },
        { "{\"job\":\"5\",\"state\":\"done\",\"from\":\"en\",\"to\":\"ja\",\"finished\":1714521599999}", 0, 0 },
        /* an older broker: no pair, no time: fetch and decide on the record */
        { "{\"job\":\"6\",\"state\":\"done\",\"key\":\"k\"}", 1, 0 },
    };
    (void) t;
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        json_t *item = json_loads (cases [i].item, 0, NULL);
        int tallied = -1;
        int got = hny_export_filter_listed (f, item, &tallied);
        CHECK (got == cases [i].want && tallied == cases [i].tallied, "item %zu: %d %d", i, got,
               tallied);
        json_decref (item);
    }
    char *pairs = hny_export_filter_pairs_found (f, NULL);
    CHECK (!strcmp (pairs, "en-es (1), en-ja (1)"), "pairs from items '%s'", pairs);
    free (pairs);
    hny_export_filter_destroy (&f);
}

int
main (void)
{
    s_test_time ();
    s_test_setters ();
    s_test_records ();
    s_test_listed ();
    if (s_failures) {
        fprintf (stderr, "test_export_filter: %d failures\n", s_failures);
        return 1;
    }
    printf ("test_export_filter: ok\n");
    return 0;
}
