/*  test_deepl_api.c: what the `deepl` backend does beyond translating,
    through the real dispatch against hny-testserver (argv[1]), where
    DeepL's own mock (test_deepl_mock.py) cannot show it or cannot show it
    quickly: the glossary's life (found by name by another worker or after a
    restart, a new file's version replacing the old one, a glossary deleted
    under us, other glossaries left alone), setup failures (transient,
    paused, refused), the usage probe after a 456, tag_handling=xml for
    markup and back, the profile's formality and model_type, Retry-After as
    an HTTP date, lost glossary placeholders as warnings, whole-segment
    terms without a request. Every request is checked by the server
    against the contract: no violation may be recorded. */
#include "hny_backend.h"
#include "hny_be_common.h"
#include "hny_glossary.h"
#include "hny_http.h"
#include "ts_harness.h"

#include <honyaku/util.h>

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_KEY "deepl-Key-7777"

static hny_http_t *s_http;

/* ------------------------------------------------------------- the server */

/* A request to the server with the key, as DeepL's API paths (/v2) want it;
   returns the JSON answer (caller owns) or NULL. */
static json_t *
s_call (const char *method, const char *path, const char *body)
{
    return ts_call (method, path, body, "Authorization: DeepL-Auth-Key " S_KEY);
}

static void
s_control (const char *path, const char *body)
{
    json_t *answer = s_call ("POST", path, body);
    CHECK (answer != NULL);
    json_decref (answer);
}

/* A counter of the server's /_stats: per_api.deepl.NAME. */
static int64_t
s_deepl_stat (const char *name)
{
    return ts_api_stat ("deepl", name);
}

#define CHECK_NO_VIOLATIONS() CHECK (ts_no_violations ())

/* The glossaries on the server (caller owns the array). */
static json_t *
s_glossaries (void)
{
    json_t *root = s_call ("GET", "/v2/glossaries", NULL);
    json_t *list = json_incref (json_object_get (root, "glossaries"));
    json_decref (root);
    return list ? list : json_array ();
}

/* ----------------------------------------------------------- the backend */

static hny_profile_t
s_profile (const char *name)
{
    return ts_profile (name, "deepl", "HNY_DEEPL_TEST_KEY");
}

static hny_backend_t *
s_backend (const hny_profile_t *profile)
{
    hny_backend_t *be = ts_backend (profile, s_http);
    if (!be)
        s_failures++;
    return be;
}

/* Translate a batch given as JSON and run the engine until it is done. */
static hny_batch_t *
s_translate (hny_backend_t *be, const char *json, const char *from, const char *to)
{
    hny_batch_t *batch = NULL;
    CHECK (ts_translate (s_http, be, json, from, to, "jd", &batch) == 0);
    return batch;
}

/* Segment index's tgt is want (and prints what it is otherwise). */
static int
s_tgt (const hny_batch_t *batch, size_t index, const char *want)
{
    const char *got = hny_batch_tgt (batch, index);
    int ok = got && strcmp (got, want) == 0;
    if (!ok) {
        json_t *result = hny_batch_result (batch);
        char *text = json_dumps (json_array_get (json_object_get (result, "segments"), index), 0);
        fprintf (stderr, "segment %zu: want \"%s\", got %s\n", index, want, text);
        free (text);
        json_decref (result);
    }
    return ok;
}

/* Member name of segment index's entry in the RESULT (caller owns). */
static json_t *
s_result_member (const hny_batch_t *batch, size_t index, const char *name)
{
    json_t *result = hny_batch_result (batch);
    json_t *value = json_incref (json_object_get (
        json_array_get (json_object_get (result, "segments"), index), name));
    json_decref (result);
    return value;
}

/* Build the request of [first, first + count) without sending it; the
   JSON body (caller owns). */
static json_t *
s_built (hny_backend_t *be, const hny_batch_t *batch, size_t first, size_t count)
{
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    char *reason = NULL;
    CHECK (hny_backend_type (be)->build (be, batch, first, count, &req, &reason) == 0);
    json_t *body = req.body ? json_loadb (req.body, req.body_size, 0, NULL) : NULL;
    free (req.url);
    free (req.body);
    for (size_t h = 0; req.headers[h]; h++)
        free (req.headers[h]);
    free (reason);
    return body;
}

/* ------------------------------------------------------------- glossary */

#define S_ONE "{\"segments\":[{\"id\":1,\"src\":\"I saw Tokyo Tower.\"},{\"id\":2,\"src\":\"Tokyo\"}]}"

/* One glossary per profile, pair and content, found by every worker. */
static void
test_glossary_life (const char *dir)
{
    char path[512];
    snprintf (path, sizeof path, "%s/g.tsv", dir);
    CHECK (ts_write_file (path, "Tokyo Tower\t東京タワー\nTokyo\t東京都\n") == 0);
    /* someone else's glossaries: never touched */
    s_control ("/v2/glossaries", "{\"name\":\"my own\",\"source_lang\":\"en\",\"target_lang\":"
               "\"ja\",\"entries\":\"a\\tb\",\"entries_format\":\"tsv\"}");
    s_control ("/v2/glossaries", "{\"name\":\"honyaku:dgx:en-ja:0000000000000000\","
               "\"source_lang\":\"en\",\"target_lang\":\"ja\",\"entries\":\"a\\tb\","
               "\"entries_format\":\"tsv\"}");
    hny_profile_t profile = s_profile ("dg");
    profile.glossary = path;

    /* first worker: list, create, list again, translate */
    hny_backend_t *a = s_backend (&profile);
    int64_t before = s_deepl_stat ("requests");
    hny_batch_t *batch = s_translate (a, S_ONE, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｉ ｓａｗ 東京タワー."));
    CHECK (s_tgt (batch, 1, "【ja】東京都"));       /* sent: DeepL's glossary does it */
    CHECK (hny_batch_requests (batch) == 1);
    CHECK (s_deepl_stat ("requests") - before == 4);
    hny_batch_destroy (&batch);
    json_t *list = s_glossaries ();
    CHECK (json_array_size (list) == 3);
    const char *name_v1 = NULL;
    size_t i;
    json_t *g;
    json_array_foreach (list, i, g) {
        const char *name = json_string_value (json_object_get (g, "name"));
        if (strncmp (name, "honyaku:dg:en-ja:", 17) == 0) {
            name_v1 = name;
            CHECK (strlen (name) == 17 + 16);
            CHECK (strcmp (json_string_value (json_object_get (g, "source_lang")), "en") == 0);
            CHECK (json_integer_value (json_object_get (g, "entry_count")) == 2);
        }
    }
    CHECK (name_v1 != NULL);
    char *v1 = hny_strdup (name_v1 ? name_v1 : "");
    json_decref (list);

    /* a second worker (or a restart): found by name, nothing created */
    hny_backend_t *b = s_backend (&profile);
    before = s_deepl_stat ("requests");
    batch = s_translate (b, S_ONE, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｉ ｓａｗ 東京タワー."));
    CHECK (s_deepl_stat ("requests") - before == 2);        /* list, translate */
    hny_batch_destroy (&batch);
    list = s_glossaries ();
    CHECK (json_array_size (list) == 3);
    json_decref (list);
    hny_backend_destroy (&b);

    /* the file changes: a new version, the old one deleted, others kept */
    CHECK (ts_write_file (path, "Tokyo Tower\tスカイツリー\nTokyo\t東京都\n") == 0);
    hny_backend_t *c = s_backend (&profile);
    before = s_deepl_stat ("requests");
    batch = s_translate (c, S_ONE, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｉ ｓａｗ スカイツリー."));
    CHECK (s_deepl_stat ("requests") - before == 5);  /* list, create, list, delete, translate */
    hny_batch_destroy (&batch);
    list = s_glossaries ();
    CHECK (json_array_size (list) == 3);
    int mine = 0, old = 0, others = 0;
    json_array_foreach (list, i, g) {
        const char *name = json_string_value (json_object_get (g, "name"));
        mine += strncmp (name, "honyaku:dg:en-ja:", 17) == 0;
        old += strcmp (name, v1) == 0;
        others += strcmp (name, "my own") == 0 || strncmp (name, "honyaku:dgx:", 12) == 0;
    }
    CHECK (mine == 1 && old == 0 && others == 2);
    json_decref (list);
    hny_backend_destroy (&c);

    /* the first worker's glossary is gone: its segments are retried
       (transient), and its next batch sets the pair up again */
    batch = s_translate (a, S_ONE, "en", "ja");
    CHECK (hny_batch_class (batch, 0) == HNY_SEG_TRANSIENT);
    json_t *error = s_result_member (batch, 0, "error");
    CHECK (strstr (json_string_value (json_object_get (error, "reason")), "set up again"));
    json_decref (error);
    hny_batch_destroy (&batch);
    batch = s_translate (a, S_ONE, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｉ ｓａｗ 東京タワー."));      /* its file: v1 */
    hny_batch_destroy (&batch);
    hny_backend_destroy (&a);
    free (v1);
    CHECK_NO_VIOLATIONS ();
    s_control ("/_reset", "{}");
}

/* Setup answers, one by one (the vtable, no server): what fails how. */
static void
test_glossary_setup_answers (const char *dir)
{
    char path[512];
    snprintf (path, sizeof path, "%s/g.tsv", dir);
    CHECK (ts_write_file (path, "Tokyo\t東京都\n") == 0);
    hny_profile_t profile = s_profile ("dgs");
    profile.glossary = path;
    hny_backend_t *be = s_backend (&profile);
    if (!be)
        return;
    const hny_backend_type_t *type = hny_backend_type (be);
    hny_backend_req_t req;
    static const struct {
        long status;
        hny_http_err_t error;
        int rc;                 /* setup_done */
        hny_seg_class_t cls;
        int code;
    } answers[] = {
        { 503, HNY_HTTP_OK, -1, HNY_SEG_TRANSIENT, 503 },
        { 429, HNY_HTTP_OK, -1, HNY_SEG_TRANSIENT, 429 },
        { 0, HNY_HTTP_E_TIMEOUT, -1, HNY_SEG_TRANSIENT, 504 },
        { 0, HNY_HTTP_E_RESET, -1, HNY_SEG_TRANSIENT, 502 },
        { 403, HNY_HTTP_OK, -1, HNY_SEG_PAUSED, 403 },
        { 200, HNY_HTTP_OK, -1, HNY_SEG_TRANSIENT, 502 },       /* {} is no list */
    };
    for (size_t a = 0; a < sizeof answers / sizeof answers[0]; a++) {
        /* each starts over with a list */
        memset (&req, 0, sizeof req);
        CHECK (type->setup (be, "en", "ja", &req) == 1);
        CHECK (req.method && strcmp (req.method, "GET") == 0 && strstr (req.url, "/v2/glossaries"));
        free (req.url);
        for (size_t h = 0; req.headers[h]; h++)
            free (req.headers[h]);
        hny_http_response_t response = { .error = answers[a].error, .status = answers[a].status,
                                         .body = "{}", .body_size = 2, .error_text = "x" };
        hny_backend_fail_t fail = { HNY_SEG_OK, 0, NULL };
        CHECK (type->setup_done (be, "en", "ja", &response, &fail) == answers[a].rc);
        CHECK (fail.cls == answers[a].cls && fail.code == answers[a].code);
        CHECK (fail.reason && strstr (fail.reason, "glossary setup"));
        free (fail.reason);
    }
    /* an empty list: create, in the spec's lower case */
    memset (&req, 0, sizeof req);
    CHECK (type->setup (be, "en-GB", "ja", &req) == 1);
    free (req.url);
    for (size_t h = 0; req.headers[h]; h++)
        free (req.headers[h]);
    hny_http_response_t empty = { .status = 200, .body = "{\"glossaries\":[]}", .body_size = 17,
                                  .error_text = "" };
    hny_backend_fail_t fail = { HNY_SEG_OK, 0, NULL };
    CHECK (type->setup_done (be, "en-GB", "ja", &empty, &fail) == 0);
    memset (&req, 0, sizeof req);
    CHECK (type->setup (be, "en-GB", "ja", &req) == 1 && req.method == NULL);
    json_t *body = json_loadb (req.body, req.body_size, 0, NULL);
    CHECK (strcmp (json_string_value (json_object_get (body, "source_lang")), "en") == 0);
    CHECK (strcmp (json_string_value (json_object_get (body, "target_lang")), "ja") == 0);
    CHECK (strcmp (json_string_value (json_object_get (body, "entries_format")), "tsv") == 0);
    CHECK (strncmp (json_string_value (json_object_get (body, "name")), "honyaku:dgs:en-ja:", 18)
           == 0);
    json_decref (body);
    free (req.url);
    free (req.body);
    for (size_t h = 0; req.headers[h]; h++)
        free (req.headers[h]);
    /* 5xx on creation: transient, and the next try lists first */
    hny_http_response_t busy = { .status = 500, .body = "", .body_size = 0, .error_text = "" };
    CHECK (type->setup_done (be, "en-GB", "ja", &busy, &fail) == -1);
    CHECK (fail.cls == HNY_SEG_TRANSIENT && fail.code == 500);
    free (fail.reason);
    fail.reason = NULL;
    memset (&req, 0, sizeof req);
    CHECK (type->setup (be, "en-GB", "ja", &req) == 1 && req.method && !strcmp (req.method, "GET"));
    free (req.url);
    for (size_t h = 0; req.headers[h]; h++)
        free (req.headers[h]);
    /* a glossary quota (456) or a refusal (400): placeholders, ready */
    CHECK (type->setup_done (be, "en-GB", "ja", &empty, &fail) == 0);
    memset (&req, 0, sizeof req);
    CHECK (type->setup (be, "en-GB", "ja", &req) == 1);
    free (req.url);
    free (req.body);
    for (size_t h = 0; req.headers[h]; h++)
        free (req.headers[h]);
    hny_http_response_t quota = { .status = 456, .body = "{\"message\":\"too many\"}",
                                  .body_size = 22, .error_text = "" };
    CHECK (type->setup_done (be, "en-GB", "ja", &quota, &fail) == 0 && !fail.reason);
    memset (&req, 0, sizeof req);
    CHECK (type->setup (be, "en-GB", "ja", &req) == 0);
    /* a pair outside the spec's glossary languages: no request at all */
    CHECK (type->setup (be, "en", "hi", &req) == 0);
    CHECK (type->setup (be, "en", "en-GB", &req) == 0);
    hny_backend_destroy (&be);

    /* through the dispatch: a setup that cannot reach the server fails
       the waiting batch transient, never permanent */
    profile.url = (char *) "http://127.0.0.1:9";
    be = s_backend (&profile);
    hny_batch_t *batch = s_translate (be, S_ONE, "en", "ja");
    for (size_t i = 0; i < 2; i++) {
        json_t *error = s_result_member (batch, i, "error");
        CHECK (hny_batch_class (batch, i) == HNY_SEG_TRANSIENT);
        CHECK (strstr (json_string_value (json_object_get (error, "reason")), "glossary setup"));
        json_decref (error);
    }
    CHECK (hny_batch_requests (batch) == 0);
    hny_batch_destroy (&batch);
    hny_backend_destroy (&be);
}

/* Placeholders (a pair without a server glossary): a term that is a whole
   segment goes without a request, a lost placeholder is a warning. */
static void
test_placeholders (const char *dir)
{
    char path[512];
    snprintf (path, sizeof path, "%s/g.tsv", dir);
    CHECK (ts_write_file (path, "Tokyo Tower\t東京タワー\nTokyo\t東京都\n") == 0);
    hny_profile_t profile = s_profile ("dp");
    profile.glossary = path;
    hny_backend_t *be = s_backend (&profile);
    if (!be)
        return;
    /* the glossary refused: 400 to the list */
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    CHECK (hny_backend_type (be)->setup (be, "en", "ja", &req) == 1);
    free (req.url);
    for (size_t h = 0; req.headers[h]; h++)
        free (req.headers[h]);
    hny_http_response_t refused = { .status = 400, .body = "{}", .body_size = 2, .error_text = "" };
    hny_backend_fail_t fail = { HNY_SEG_OK, 0, NULL };
    CHECK (hny_backend_type (be)->setup_done (be, "en", "ja", &refused, &fail) == 0);

    int64_t before = s_deepl_stat ("requests");
    hny_batch_t *batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"Tokyo\"},"
                                          "{\"id\":2,\"src\":\"Tokyo Tower\"}]}", "en", "ja");
    CHECK (s_tgt (batch, 0, "東京都") && s_tgt (batch, 1, "東京タワー"));
    CHECK (hny_batch_requests (batch) == 0 && s_deepl_stat ("requests") == before);
    CHECK (hny_batch_billed (batch) == 0);
    hny_batch_destroy (&batch);

    batch = s_translate (be, S_ONE, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｉ ｓａｗ 東京タワー."));
    CHECK (s_tgt (batch, 1, "東京都"));
    CHECK (hny_batch_requests (batch) == 1);
    hny_batch_destroy (&batch);

    /* an answer that lost the placeholder: the translation, with a warning */
    const char *two = "{\"segments\":[{\"id\":1,\"src\":\"I saw Tokyo Tower.\"},"
                      "{\"id\":2,\"src\":\"Near Tokyo.\"}]}";
    char *reason = NULL;
    batch = hny_batch_new (two, strlen (two), "en", "ja", "jd", &reason);
    json_t *body = s_built (be, batch, 0, 2);
    CHECK (strcmp (json_string_value (json_array_get (json_object_get (body, "text"), 0)),
                   "I saw ⟦1⟧.") == 0);
    CHECK (!json_object_get (body, "glossary_id"));
    json_decref (body);
    const char *answer = "{\"translations\":[{\"text\":\"見た。\"},{\"text\":\"⟦1⟧の近く。\"}]}";
    hny_http_response_t response = { .status = 200, .body = answer, .body_size = strlen (answer),
                                     .error_text = "" };
    hny_backend_type (be)->parse (be, batch, 0, 2, &response);
    CHECK (s_tgt (batch, 0, "見た。") && s_tgt (batch, 1, "東京都の近く。"));
    json_t *warning = s_result_member (batch, 0, "warning");
    CHECK (json_is_string (warning) && strstr (json_string_value (warning), "glossary term lost"));
    json_decref (warning);
    warning = s_result_member (batch, 1, "warning");
    CHECK (warning == NULL);
    hny_batch_destroy (&batch);
    hny_backend_destroy (&be);
    CHECK_NO_VIOLATIONS ();
}

/* ---------------------------------------------------------------- quota */

static void
test_quota (void)
{
    hny_profile_t profile = s_profile ("dq");
    hny_backend_t *be = s_backend (&profile);
    if (!be)
        return;
    const char *one = "{\"segments\":[{\"id\":1,\"src\":\"Twelve chars\"},{\"id\":2,\"src\":\"abc\"}]}";
    /* no 456 yet: no usage request */
    int64_t before = s_deepl_stat ("requests");
    hny_batch_t *batch = s_translate (be, one, "en", "ja");
    CHECK (hny_batch_class (batch, 0) == HNY_SEG_OK && s_deepl_stat ("requests") - before == 1);
    json_t *result = hny_batch_result (batch);
    CHECK (!json_object_get (result, "usage"));
    json_decref (result);
    hny_batch_destroy (&batch);

    /* the quota is reached: 456 pauses */
    s_control ("/_quota", "{\"character_count\":1000,\"character_limit\":1000}");
    batch = s_translate (be, one, "en", "ja");
    CHECK (hny_batch_class (batch, 0) == HNY_SEG_PAUSED);
    hny_batch_destroy (&batch);

    /* the next task asks /v2/usage first and sends nothing while it is full */
    before = s_deepl_stat ("requests");
    int64_t billed = s_deepl_stat ("billed_characters");
    batch = s_translate (be, one, "en", "ja");
    for (size_t i = 0; i < 2; i++) {
        json_t *error = s_result_member (batch, i, "error");
        CHECK (hny_batch_class (batch, i) == HNY_SEG_PAUSED);
        CHECK (json_integer_value (json_object_get (error, "code")) == 456);
        const char *why = json_string_value (json_object_get (error, "reason"));
        CHECK (why && strstr (why, "dq: DeepL quota exceeded: 1000 of 1000") && strstr (why, "nothing sent"));
        json_decref (error);
    }
    CHECK (s_deepl_stat ("requests") - before == 1 && s_deepl_stat ("billed_characters") == billed);
    CHECK (hny_batch_requests (batch) == 0);
    result = hny_batch_result (batch);
    json_t *usage = json_object_get (result, "usage");
    CHECK (json_integer_value (json_object_get (usage, "character_count")) == 1000);
    CHECK (json_integer_value (json_object_get (usage, "character_limit")) == 1000);
    json_decref (result);
    hny_batch_destroy (&batch);

    /* room for the smallest segment only: the texts go (the larger one
       gets its 456 from the service) */
    s_control ("/_quota", "{\"character_count\":997,\"character_limit\":1000}");
    batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"Twelve chars\"}]}", "en", "ja");
    CHECK (hny_batch_class (batch, 0) == HNY_SEG_PAUSED);
    hny_batch_destroy (&batch);
    before = s_deepl_stat ("requests");
    batch = s_translate (be, "{\"segments\":[{\"id\":2,\"src\":\"abc\"}]}", "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】ａｂｃ"));
    CHECK (s_deepl_stat ("requests") - before == 2);        /* usage, translate */
    hny_batch_destroy (&batch);

    /* lifted: the next batch goes at once (no 456 since) */
    s_control ("/_quota", "{\"character_count\":0,\"character_limit\":100000}");
    before = s_deepl_stat ("requests");
    batch = s_translate (be, one, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｔｗｅｌｖｅ ｃｈａｒｓ"));
    CHECK (s_deepl_stat ("requests") - before == 1);
    hny_batch_destroy (&batch);

    /* the broker's probe ("probe": true) asks first even without a 456 here */
    before = s_deepl_stat ("requests");
    batch = s_translate (be, "{\"probe\":true,\"segments\":[{\"id\":1,\"src\":\"abc\"}]}", "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】ａｂｃ") && hny_batch_probe (batch));
    CHECK (s_deepl_stat ("requests") - before == 2);
    result = hny_batch_result (batch);
    CHECK (json_integer_value (json_object_get (json_object_get (result, "usage"),
                                                "character_limit")) == 100000);
    json_decref (result);
    hny_batch_destroy (&batch);
    hny_backend_destroy (&be);
    CHECK_NO_VIOLATIONS ();
    s_control ("/_reset", "{}");
}

/* --------------------------------------------------------------- markup */

static void
test_markup (void)
{
    hny_profile_t profile = s_profile ("dm");
    profile.formality = (char *) "prefer_less";
    profile.model_type = (char *) "latency_optimized";
    hny_backend_t *be = s_backend (&profile);
    if (!be)
        return;
    const char *json =
        "{\"segments\":[{\"id\":1,\"src\":\"Read <b>this</b> and <a href=\\\"https://x.org/?a&amp;b\\\">"
        "<i>that</i></a>.\",\"context\":\"C\"},"
        "{\"id\":2,\"src\":\"R&D < x & y > z\",\"context\":\"C\"}]}";
    char *reason = NULL;
    hny_batch_t *batch = hny_batch_new (json, strlen (json), "en", "ja", "jd", &reason);
    json_t *body = s_built (be, batch, 0, 2);
    json_t *texts = json_object_get (body, "text");
    CHECK (strcmp (json_string_value (json_array_get (texts, 0)),
                   "Read <b id=\"1\">this</b> and <a id=\"2\"><i id=\"3\">that</i></a>.") == 0);
    CHECK (strcmp (json_string_value (json_array_get (texts, 1)), "R&amp;D &lt; x &amp; y &gt; z")
           == 0);
    CHECK (strcmp (json_string_value (json_object_get (body, "tag_handling")), "xml") == 0);
    CHECK (strcmp (json_string_value (json_object_get (body, "split_sentences")), "0") == 0);
    CHECK (strcmp (json_string_value (json_object_get (body, "formality")), "prefer_less") == 0);
    CHECK (strcmp (json_string_value (json_object_get (body, "model_type")), "latency_optimized")
           == 0);
    json_decref (body);
    /* without markup in the request: plain texts, no tag_handling */
    body = s_built (be, batch, 1, 1);
    CHECK (strcmp (json_string_value (json_array_get (json_object_get (body, "text"), 0)),
                   "R&D < x & y > z") == 0);
    CHECK (!json_object_get (body, "tag_handling"));
    json_decref (body);
    hny_batch_destroy (&batch);

    /* through the server, which keeps tags and entities as they are */
    batch = s_translate (be, json, "en", "ja");
    CHECK (s_tgt (batch, 0, "【ja】Ｒｅａｄ <b>ｔｈｉｓ</b> ａｎｄ <a href=\"https://x.org/?a&amp;b\">"
                            "<i>ｔｈａｔ</i></a>."));
    CHECK (s_tgt (batch, 1, "【ja】Ｒ&Ｄ < ｘ & ｙ > ｚ"));
    CHECK (hny_batch_requests (batch) == 1);
    json_t *warning = s_result_member (batch, 0, "warning");
    CHECK (warning == NULL);
    json_decref (warning);
    hny_batch_destroy (&batch);

    /* answers that reorder, cross or lose the tags */
    static const struct {
        const char *xml, *tgt, *warning;
    } answers[] = {
        { "<a id=\"2\"><i id=\"3\">あれ</i></a>と<b id='1'>これ</b>を読む&#x3002;",
          "<a href=\"https://x.org/?a&amp;b\"><i>あれ</i></a>と<b>これ</b>を読む。", NULL },
        { "<b id=\"1\">これ<a id=\"2\"></b><i id=\"3\">あれ</i></a>", "これあれ", "markup dropped" },
        { "これとあれ<br/>", "これとあれ", "markup dropped" },
        { "<b id=\"1\">これ</b><a id=\"2\">あ<i id=\"3\"/></a>&amp;&lt;&bogus;",
          "<b>これ</b><a href=\"https://x.org/?a&amp;b\">あ</a>&<&bogus;", NULL },
    };
    for (size_t a = 0; a < sizeof answers / sizeof answers[0]; a++) {
        batch = hny_batch_new (json, strlen (json), "en", "ja", "jd", &reason);
        json_t *root = json_pack ("{s[{ss}{ss}]}", "translations", "text", answers[a].xml,
                                  "text", "x");
        char *text = json_dumps (root, 0);
        json_decref (root);
        hny_http_response_t response = { .status = 200, .body = text, .body_size = strlen (text),
                                         .error_text = "" };
        hny_backend_type (be)->parse (be, batch, 0, 2, &response);
        free (text);
        CHECK (s_tgt (batch, 0, answers[a].tgt));
        warning = s_result_member (batch, 0, "warning");
        if (answers[a].warning)
            CHECK (json_is_string (warning) && strstr (json_string_value (warning),
                                                       answers[a].warning));
        else
            CHECK (warning == NULL);
        json_decref (warning);
        hny_batch_destroy (&batch);
    }
    hny_backend_destroy (&be);

    /* a value the spec does not have is refused when the profile is made */
    profile.formality = (char *) "polite";
    char *error = NULL;
    be = hny_backend_new (&profile, s_http, &error);
    CHECK (!be && error && strstr (error, "formality \"polite\""));
    free (error);
    profile.formality = NULL;
    profile.model_type = (char *) "fast";
    be = hny_backend_new (&profile, s_http, &error);
    CHECK (!be && error && strstr (error, "model_type \"fast\""));
    free (error);
    CHECK_NO_VIOLATIONS ();
}

/* ---------------------------------------------------------- Retry-After */

static void
test_retry_after (void)
{
    CHECK (hny_backend_retry_after_ms ("120") == 120000);
    CHECK (hny_backend_retry_after_ms (" 7 ") == 7000);
    CHECK (hny_backend_retry_after_ms ("999999") == 3600000);
    CHECK (hny_backend_retry_after_ms ("soon") == 0);
    CHECK (hny_backend_retry_after_ms ("12abc") == 0);
    CHECK (hny_backend_retry_after_ms (NULL) == 0);
    CHECK (hny_backend_retry_after_ms ("Wed, 21 Oct 2015 07:28:00 GMT") == 0);  /* past */
    CHECK (hny_backend_retry_after_ms ("Fri, 31 Dec 2100 23:59:59 GMT") == 3600000);
    /* 30 s from now in each of the three forms HTTP allows */
    for (size_t f = 0; f < 3; f++) {
        time_t when = time (NULL) + 30;
        struct tm tm;
        gmtime_r (&when, &tm);
        char date[64];
        /* literal formats: the compiler checks them */
        if (f == 0)
            strftime (date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);     /* IMF-fixdate */
        else if (f == 1) {                                                   /* RFC 850 */
            char day[32], time_of_day[16];
            strftime (day, sizeof day, "%A, %d-%b-", &tm);
            strftime (time_of_day, sizeof time_of_day, "%H:%M:%S", &tm);
            snprintf (date, sizeof date, "%s%02d %s GMT", day, tm.tm_year % 100, time_of_day);
        }
        else
            strftime (date, sizeof date, "%a %b %e %H:%M:%S %Y", &tm);          /* asctime */
        int64_t ms = hny_backend_retry_after_ms (date);
        if (!(ms >= 28000 && ms <= 30000)) {
            fprintf (stderr, "Retry-After \"%s\": %lld ms\n", date, (long long) ms);
            s_failures++;
        }
    }
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: test_deepl_api HNY-TESTSERVER\n");
        return 2;
    }
    char dir[] = "/tmp/hny-deepl-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    hny_log_init ("test_deepl_api", HNY_LOG_INFO);
    setenv ("HNY_DEEPL_TEST_KEY", S_KEY, 1);
    setenv ("LC_TIME", "C", 1);
    if (ts_server_start (argv[1], S_KEY, NULL) != 0)
        s_failures++;
    else {
        s_http = hny_http_new ();
        test_retry_after ();
        test_glossary_life (dir);
        test_glossary_setup_answers (dir);
        test_placeholders (dir);
        test_quota ();
        test_markup ();
        hny_http_destroy (&s_http);
    }
    ts_server_stop ();
    char path[600];
    snprintf (path, sizeof path, "%s/g.tsv", dir);
    unlink (path);
    rmdir (dir);
    return s_check_done ("test_deepl_api");
}
