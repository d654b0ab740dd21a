/*  test_backends_api.c: the deepl, google, libretranslate and openai
    backends through the real dispatch against hny-testserver (argv[1]),
    which checks every request against the API's contract and injects
    faults on request (POST /_faults). Each happy path is checked for the
    server's deterministic translation and for zero recorded violations.
    Everything the program logs is captured and searched for the API key at
    the end. */
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
#include <unistd.h>

#define S_KEY "sekret-Key-4242"

static hny_http_t *s_http_engine;

/* ------------------------------------------------------------- the server */

/* A control request to the server (POST with a body, else GET); returns
   the JSON answer (caller owns) or NULL. */
static json_t *
s_control (const char *path, const char *body)
{
    return ts_call (body ? "POST" : "GET", path, body, NULL);
}

static void
s_faults (const char *plan)
{
    json_t *answer = s_control ("/_faults", plan);
    CHECK (answer != NULL);
    json_decref (answer);
}

/* Requests the server counted for an api ("deepl", ...) so far. */
static int64_t
s_api_requests (const char *api)
{
    return ts_api_stat (api, "requests");
}

/* No contract violations recorded so far. */
#define CHECK_NO_VIOLATIONS() CHECK (ts_no_violations ())

/* ----------------------------------------------------------- the backends */

static hny_profile_t
s_profile (const char *name, const char *type)
{
    hny_profile_t profile = ts_profile (name, type, "HNY_TEST_KEY");
    profile.model = (char *) "test-model";
    return profile;
}

static hny_backend_t *
s_backend (const hny_profile_t *profile)
{
    return ts_backend (profile, s_http_engine);
}

/* Translate a batch given as JSON and run the engine until it is done. */
static hny_batch_t *
s_translate (hny_backend_t *be, const char *json, const char *from, const char *to)
{
    hny_batch_t *batch = NULL;
    CHECK (ts_translate (s_http_engine, be, json, from, to, "j1", &batch) == 0);
    return batch;
}

/* A batch body of count segments, each src (ids from 1). Caller owns. */
static char *
s_batch_json (size_t count, const char *src, const char *context)
{
    json_t *segments = json_array ();
    for (size_t i = 0; i < count; i++) {
        json_t *seg = json_pack ("{sIss}", "id", (json_int_t) i + 1, "src", src);
        if (context)
            json_object_set_new (seg, "context", json_string (context));
        json_array_append_new (segments, seg);
    }
    json_t *root = json_pack ("{so}", "segments", segments);
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    return text;
}

/* The server's translation: "【target】" + text with ASCII letters widened. Caller owns. */
static char *
s_xlate (const char *text, const char *target)
{
    char *out = hny_malloc (strlen (target) + 3 * strlen (text) + 16);
    char *p = out + sprintf (out, "【%s】", target);
    for (const unsigned char *t = (const unsigned char *) text; *t; t++) {
        if ((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z')) {
            unsigned cp = *t + 0xFEE0;
            *p++ = (char) (0xE0 | (cp >> 12));
            *p++ = (char) (0x80 | ((cp >> 6) & 0x3F));
            *p++ = (char) (0x80 | (cp & 0x3F));
        }
        else
            *p++ = (char) *t;
    }
    *p = '\0';
    return out;
}

static int
s_tgt_is (const hny_batch_t *batch, size_t index, const char *src, const char *target)
{
    char *want = s_xlate (src, target);
    const char *got = hny_batch_tgt (batch, index);
    int ok = got && strcmp (got, want) == 0;
    if (!ok)
        fprintf (stderr, "segment %zu: want \"%.200s\", got \"%.200s\" (%s)\n", index, want,
                 got ? got : "(none)", hny_seg_class_name (hny_batch_class (batch, index)));
    free (want);
    return ok;
}

/* The error object of segment index in the RESULT. Caller owns. */
static json_t *
s_error (const hny_batch_t *batch, size_t index)
{
    json_t *result = hny_batch_result (batch);
    json_t *error = json_object_get (json_array_get (json_object_get (result, "segments"), index),
                                     "error");
    json_incref (error);
    json_decref (result);
    return error;
}

/* Segment index failed with class cls, code (0: any) and a reason containing what. */
static int
s_failed (const hny_batch_t *batch, size_t index, hny_seg_class_t cls, int code, const char *what)
{
    json_t *error = s_error (batch, index);
    const char *reason = json_string_value (json_object_get (error, "reason"));
    int ok = error && hny_batch_class (batch, index) == cls
             && (code == 0 || json_integer_value (json_object_get (error, "code")) == code)
             && reason && strstr (reason, what) && !strstr (reason, S_KEY);
    if (!ok)
        fprintf (stderr, "segment %zu: want %s %d \"%s\", got %s %d \"%s\"\n", index,
                 hny_seg_class_name (cls), code, what,
                 hny_seg_class_name (hny_batch_class (batch, index)),
                 (int) json_integer_value (json_object_get (error, "code")),
                 reason ? reason : "(none)");
    json_decref (error);
    return ok;
}

/* --------------------------------------------------------------- tests */

static void
test_deepl (void)
{
    hny_profile_t profile = s_profile ("deepl", "deepl");
    hny_backend_t *be = s_backend (&profile);
    if (!be)
        return s_failures++, (void) 0;

    hny_batch_t *batch = s_translate (be,
        "{\"segments\":[{\"id\":1,\"src\":\"Hello world.\",\"context\":\"A letter.\"},"
        "{\"id\":2,\"src\":\"Tokyo は晴れ.\",\"context\":\"A letter.\"},"
        "{\"id\":3,\"src\":\"Bye.\"},{\"id\":4,\"src\":\"\"}]}", "en", "ja");
    CHECK (s_tgt_is (batch, 0, "Hello world.", "ja"));
    CHECK (s_tgt_is (batch, 1, "Tokyo は晴れ.", "ja"));
    CHECK (s_tgt_is (batch, 2, "Bye.", "ja"));
    CHECK (hny_batch_tgt (batch, 3) && strcmp (hny_batch_tgt (batch, 3), "") == 0);
    CHECK (hny_batch_requests (batch) == 2);       /* two contexts: two requests */
    CHECK (hny_batch_billed (batch) == 12 + 10 + 4);
    hny_batch_destroy (&batch);

    /* English as a target is EN-US */
    batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"Hola.\"}]}", "es", "en");
    CHECK (s_tgt_is (batch, 0, "Hola.", "en-us"));
    hny_batch_destroy (&batch);
    CHECK_NO_VIOLATIONS ();

    /* 60 texts: 50 + 10 */
    char *json = s_batch_json (60, "One more sentence.", NULL);
    int64_t before = s_api_requests ("deepl");
    batch = s_translate (be, json, "en", "ja");
    free (json);
    CHECK (hny_batch_requests (batch) == 2);
    CHECK (s_api_requests ("deepl") - before == 2);
    CHECK (hny_batch_done_count (batch) == 60);
    for (size_t i = 0; i < 60; i++)
        CHECK (s_tgt_is (batch, i, "One more sentence.", "ja"));
    hny_batch_destroy (&batch);

    /* Japanese over 128 KiB: 45 segments of 1000 characters (3000 bytes) */
    char *ja = hny_malloc (3 * 1000 + 1);
    for (size_t i = 0; i < 1000; i++)
        memcpy (ja + 3 * i, "語", 3);
    ja[3000] = '\0';
    json = s_batch_json (45, ja, NULL);
    batch = s_translate (be, json, "ja", "en");
    free (json);
    CHECK (hny_batch_requests (batch) == 2);
    for (size_t i = 0; i < 45; i++)
        CHECK (s_tgt_is (batch, i, ja, "en-us"));
    CHECK (hny_batch_billed (batch) == 45000);
    hny_batch_destroy (&batch);
    free (ja);
    CHECK_NO_VIOLATIONS ();

    /* one segment that no request can hold: permanent 413, nothing sent */
    char *big = hny_malloc (3 * 50000 + 1);
    for (size_t i = 0; i < 50000; i++)
        memcpy (big + 3 * i, "語", 3);
    big[150000] = '\0';
    json = s_batch_json (1, big, NULL);
    before = s_api_requests ("deepl");
    batch = s_translate (be, json, "ja", "en");
    free (json);
    free (big);
    CHECK (s_failed (batch, 0, HNY_SEG_PERMANENT, 413, "at most"));
    CHECK (s_api_requests ("deepl") == before);
    hny_batch_destroy (&batch);

    /* 429 with Retry-After: transient, carrying the delay */
    s_faults ("{\"rate\":1,\"kinds\":[\"429\"],\"retry_after\":7}");
    batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"a\"},{\"id\":2,\"src\":\"b\"}]}",
                         "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_TRANSIENT, 429, "429"));
    CHECK (hny_batch_retry_after_ms (batch, 1) == 7000);
    json_t *error = s_error (batch, 1);
    CHECK (json_integer_value (json_object_get (error, "retry_after_ms")) == 7000);
    json_decref (error);
    hny_batch_destroy (&batch);

    static const struct {
        const char *kind;
        hny_seg_class_t cls;
        int code;
        const char *what;
    } faults[] = {
        { "456", HNY_SEG_PAUSED, 456, "DeepL quota exceeded" },
        { "503", HNY_SEG_TRANSIENT, 503, "503" },
        { "html", HNY_SEG_TRANSIENT, 502, "HTML" },
        { "malformed", HNY_SEG_TRANSIENT, 502, "not a JSON object" },
        { "empty", HNY_SEG_TRANSIENT, 502, "empty body" },
        { "truncated", HNY_SEG_TRANSIENT, 502, "deepl" },
        { "wrong_count", HNY_SEG_TRANSIENT, 502, "translations for 2 texts" },
        { "huge", HNY_SEG_PERMANENT, 502, "response too large" },
        { "reset", HNY_SEG_TRANSIENT, 502, "deepl" },
    };
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
        char plan[128];
        snprintf (plan, sizeof plan, "{\"rate\":1,\"kinds\":[\"%s\"]}", faults[f].kind);
        s_faults (plan);
        batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"a\"},{\"id\":2,\"src\":\"b\"}]}",
                             "en", "ja");
        for (size_t i = 0; i < 2; i++)
            if (!s_failed (batch, i, faults[f].cls, faults[f].code, faults[f].what)) {
                fprintf (stderr, "  (fault %s)\n", faults[f].kind);
                s_failures++;
            }
        CHECK (hny_batch_billed (batch) == 0);
        hny_batch_destroy (&batch);
    }
    s_faults ("{}");
    hny_backend_destroy (&be);

    /* free-plan keys (":fx") go to the free API, also over the config's pro default */
    static const struct {
        const char *url, *key, *want;
    } urls[] = {
        { NULL, "abc:fx", "https://api-free.deepl.com" },
        { "https://api.deepl.com", "abc:fx", "https://api-free.deepl.com" },
        { NULL, "abc", "https://api.deepl.com" },
        { "http://127.0.0.1:9/", "abc:fx", "http://127.0.0.1:9" },
    };
    for (size_t u = 0; u < sizeof urls / sizeof urls[0]; u++) {
        setenv ("HNY_URL_KEY", urls[u].key, 1);
        hny_profile_t p = s_profile ("deepl-url", "deepl");
        p.url = (char *) urls[u].url;
        p.key_env = (char *) "HNY_URL_KEY";
        hny_backend_t *b = s_backend (&p);
        CHECK (b && strcmp (hny_backend_url (b), urls[u].want) == 0);
        hny_backend_destroy (&b);
    }

    /* a wrong key pauses the profile */
    setenv ("HNY_BAD_KEY", "not-the-key", 1);
    profile.key_env = (char *) "HNY_BAD_KEY";
    be = s_backend (&profile);
    batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_PAUSED, 403, "refused the key"));
    hny_batch_destroy (&batch);
    hny_backend_destroy (&be);
    /* the test server records a wrong key as a violation: start afresh */
    json_decref (s_control ("/_reset", "{}"));
}

/* A hanging server: transient 504 after the profile's timeout. */
static void
test_timeout (void)
{
    hny_profile_t profile = s_profile ("deepl-slow", "deepl");
    profile.timeout_ms = 400;
    hny_backend_t *be = s_backend (&profile);
    s_faults ("{\"rate\":1,\"kinds\":[\"hang\"]}");
    int64_t start = hny_clock_mono_ms ();
    hny_batch_t *batch = s_translate (be, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (hny_clock_mono_ms () - start < 3000);
    CHECK (s_failed (batch, 0, HNY_SEG_TRANSIENT, 504, "timeout"));
    hny_batch_destroy (&batch);
    s_faults ("{}");
    hny_backend_destroy (&be);
}

static void
test_google_libre (void)
{
    hny_profile_t profile = s_profile ("google", "google");
    hny_backend_t *google = s_backend (&profile);
    profile = s_profile ("libre", "libretranslate");
    hny_backend_t *libre = s_backend (&profile);
    if (!google || !libre) {
        s_failures++;
        hny_backend_destroy (&google);
        hny_backend_destroy (&libre);
        return;
    }
    hny_backend_t *both[] = { google, libre };
    for (size_t b = 0; b < 2; b++) {
        hny_batch_t *batch = s_translate (both[b],
            "{\"segments\":[{\"id\":1,\"src\":\"It's \\\"quoted\\\" & <b>.\"},"
            "{\"id\":2,\"src\":\"Second.\"}]}", "en", "ja");
        CHECK (s_tgt_is (batch, 0, "It's \"quoted\" & <b>.", "ja"));
        CHECK (s_tgt_is (batch, 1, "Second.", "ja"));
        CHECK (hny_batch_requests (batch) == 1);
        /* both report the characters sent as billed */
        CHECK (hny_batch_billed (batch) == 20 + 7);
        hny_batch_destroy (&batch);
    }
    CHECK_NO_VIOLATIONS ();

    /* Google: 130 strings -> 128 + 2 */
    char *json = s_batch_json (130, "Many strings.", NULL);
    hny_batch_t *batch = s_translate (google, json, "en", "ja");
    free (json);
    CHECK (hny_batch_requests (batch) == 2);
    CHECK (s_tgt_is (batch, 129, "Many strings.", "ja"));
    CHECK (hny_batch_billed (batch) == 130 * 13);
    hny_batch_destroy (&batch);
    /* Google: 50 x 2500 bytes of Japanese is over 100 KB: split by bytes */
    char *ja = hny_malloc (2500 + 1);
    for (size_t i = 0; i < 2500 / 5; i++)
        memcpy (ja + 5 * i, "東 a", 5);
    ja[2500] = '\0';
    json = s_batch_json (50, ja, NULL);
    batch = s_translate (google, json, "ja", "en");
    free (json);
    CHECK (hny_batch_requests (batch) == 2);
    CHECK (s_tgt_is (batch, 49, ja, "en"));
    hny_batch_destroy (&batch);
    free (ja);
    CHECK_NO_VIOLATIONS ();

    /* LibreTranslate with a server limit of 10 texts: 25 -> 400 "exceeds
       text limit" -> halves (12, 13) -> halves again (6, 6, 6, 7) */
    json = s_batch_json (25, "Libre.", NULL);
    int64_t before = s_api_requests ("libre");
    batch = s_translate (libre, json, "en", "es");
    free (json);
    CHECK (hny_batch_done_count (batch) == 25);
    for (size_t i = 0; i < 25; i++)
        CHECK (s_tgt_is (batch, i, "Libre.", "es"));
    CHECK (hny_batch_requests (batch) == 7);
    CHECK (s_api_requests ("libre") - before == 7);
    hny_batch_destroy (&batch);
    /* those 400s are violations by design of the server: start afresh */
    json_decref (s_control ("/_reset", "{}"));

    /* quota and rate */
    s_faults ("{\"rate\":1,\"kinds\":[\"456\"]}");
    batch = s_translate (google, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_PAUSED, 403, "Daily Limit"));
    hny_batch_destroy (&batch);
    batch = s_translate (libre, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_PAUSED, 403, "Quota"));
    hny_batch_destroy (&batch);
    s_faults ("{\"rate\":1,\"kinds\":[\"429\"],\"retry_after\":3}");
    batch = s_translate (google, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_TRANSIENT, 429, "rateLimitExceeded"));
    CHECK (hny_batch_retry_after_ms (batch, 0) == 3000);
    hny_batch_destroy (&batch);
    batch = s_translate (libre, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_TRANSIENT, 429, "Slowdown"));
    hny_batch_destroy (&batch);
    s_faults ("{\"rate\":1,\"kinds\":[\"html\"]}");
    batch = s_translate (libre, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_TRANSIENT, 502, "HTML"));
    hny_batch_destroy (&batch);
    s_faults ("{\"rate\":1,\"kinds\":[\"wrong_count\"]}");
    batch = s_translate (google, "{\"segments\":[{\"id\":1,\"src\":\"a\"},{\"id\":2,\"src\":\"b\"}]}",
                         "en", "ja");
    CHECK (s_failed (batch, 0, HNY_SEG_TRANSIENT, 502, "1 translations for 2"));
    hny_batch_destroy (&batch);
    s_faults ("{}");
    /* LibreTranslate's 400 carries the server's message; permanent */
    batch = s_translate (libre, "{\"segments\":[{\"id\":1,\"src\":\"a\"}]}", "en", "xx");
    CHECK (s_failed (batch, 0, HNY_SEG_PERMANENT, 400, "not supported"));
    hny_batch_destroy (&batch);
    json_decref (s_control ("/_reset", "{}"));
    hny_backend_destroy (&google);
    hny_backend_destroy (&libre);
}

static void
test_openai (void)
{
    hny_profile_t profile = s_profile ("llm", "openai");
    hny_backend_t *be = s_backend (&profile);
    if (!be)
        return s_failures++, (void) 0;
    const char *two = "{\"segments\":[{\"id\":1,\"src\":\"Hello world.\",\"context\":\"Hi.\"},"
                      "{\"id\":2,\"src\":\"Good night.\",\"context\":\"Hi.\"}]}";
    hny_batch_t *batch = s_translate (be, two, "en", "ja");
    CHECK (s_tgt_is (batch, 0, "Hello world.", "ja"));
    CHECK (s_tgt_is (batch, 1, "Good night.", "ja"));
    CHECK (hny_batch_requests (batch) == 2);        /* one segment per request */
    /* the tokens the server counted, summed over the task's requests */
    json_t *result = hny_batch_result (batch);
    json_t *tokens = json_object_get (result, "tokens");
    CHECK (json_integer_value (json_object_get (tokens, "prompt")) > 8);
    /* completion: one per four code points of 【ja】 and the text, rounded up: 16, 15 */
    CHECK (json_integer_value (json_object_get (tokens, "completion")) == 4 + 4);
    CHECK (!json_object_get (result, "usage"));
    json_decref (result);
    hny_batch_destroy (&batch);
    CHECK_NO_VIOLATIONS ();

    /* chatter is stripped, not stored */
    s_faults ("{\"rate\":1,\"kinds\":[\"chatter\"]}");
    batch = s_translate (be, two, "en", "ja");
    CHECK (s_tgt_is (batch, 0, "Hello world.", "ja"));
    CHECK (s_tgt_is (batch, 1, "Good night.", "ja"));
    hny_batch_destroy (&batch);
    static const struct {
        const char *kind;
        hny_seg_class_t cls;
        const char *what;
    } faults[] = {
        { "length", HNY_SEG_PERMANENT, "finish_reason \"length\"" },
        { "wrong_count", HNY_SEG_TRANSIENT, "2 lines for a source of 1" },
        { "empty", HNY_SEG_TRANSIENT, "answered nothing" },
        { "html", HNY_SEG_TRANSIENT, "HTML" },
        { "malformed", HNY_SEG_TRANSIENT, "not a JSON object" },
        { "456", HNY_SEG_PAUSED, "quota" },
        { "500", HNY_SEG_TRANSIENT, "500" },
    };
    for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
        char plan[128];
        snprintf (plan, sizeof plan, "{\"rate\":1,\"kinds\":[\"%s\"]}", faults[f].kind);
        s_faults (plan);
        batch = s_translate (be, two, "en", "ja");
        for (size_t i = 0; i < 2; i++)
            if (!s_failed (batch, i, faults[f].cls, 0, faults[f].what)) {
                fprintf (stderr, "  (fault %s)\n", faults[f].kind);
                s_failures++;
            }
        hny_batch_destroy (&batch);
    }
    s_faults ("{}");
    hny_backend_destroy (&be);

    /* numbered groups of 3 */
    profile.max_texts = 3;
    be = s_backend (&profile);
    const char *four = "{\"segments\":[{\"id\":1,\"src\":\"One.\"},{\"id\":2,\"src\":\"Two.\"},"
                       "{\"id\":3,\"src\":\"Three\\nlines.\"},{\"id\":4,\"src\":\"Four.\"}]}";
    batch = s_translate (be, four, "en", "fr");
    CHECK (hny_batch_requests (batch) == 2);
    CHECK (s_tgt_is (batch, 0, "One.", "fr"));
    CHECK (s_tgt_is (batch, 2, "Three lines.", "fr"));
    CHECK (s_tgt_is (batch, 3, "Four.", "fr"));
    hny_batch_destroy (&batch);
    CHECK_NO_VIOLATIONS ();
    s_faults ("{\"rate\":1,\"kinds\":[\"wrong_count\"]}");
    batch = s_translate (be, four, "en", "fr");
    for (size_t i = 0; i < 3; i++)
        CHECK (s_failed (batch, i, HNY_SEG_TRANSIENT, 502, "2 numbered items for 3"));
    hny_batch_destroy (&batch);
    s_faults ("{\"rate\":1,\"kinds\":[\"chatter\"]}");
    batch = s_translate (be, four, "en", "fr");
    CHECK (s_tgt_is (batch, 1, "Two.", "fr"));
    CHECK (s_tgt_is (batch, 3, "Four.", "fr"));
    hny_batch_destroy (&batch);
    s_faults ("{}");
    hny_backend_destroy (&be);
    CHECK_NO_VIOLATIONS ();
}

/* The model's answers on their own: the cleaning rules. */
static void
test_openai_answers (void)
{
    hny_profile_t profile = s_profile ("llm2", "openai");
    hny_backend_t *be = s_backend (&profile);
    static const struct {
        const char *src, *content, *tgt;        /* tgt NULL: must fail */
    } cases[] = {
        { "Hello.", "こんにちは。", "こんにちは。" },
        { "Hello.", "Sure! Here is the translation:\n\nこんにちは。", "こんにちは。" },
        { "Hello.", "Here's the Japanese translation:\n「こんにちは。」", "こんにちは。" },
        { "Hello.", "```\nこんにちは。\n```", "こんにちは。" },
        { "Hello.", "Translation: こんにちは。", "こんにちは。" },
        { "\"Hello.\"", "「こんにちは。」", "「こんにちは。」" },
        { "Hello.", "こんにちは。\nNote: this is informal.", NULL },
        { "Hello.", "I'm sorry, I cannot translate this.", NULL },
        { "Hello.", "Sure! Here is the translation:", NULL },
        { "Sure, he said.", "Sure, he said.", "Sure, he said." },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        json_t *seg = json_pack ("{s[{siss}]}", "segments", "id", 1, "src", cases[c].src);
        char *body = json_dumps (seg, JSON_COMPACT);
        json_decref (seg);
        char *reason = NULL;
        hny_batch_t *batch = hny_batch_new (body, strlen (body), "en", "ja", NULL, &reason);
        free (body);
        json_t *answer = json_pack ("{s[{s{ssss}ss}]}", "choices", "message", "role",
                                    "assistant", "content", cases[c].content, "finish_reason",
                                    "stop");
        char *text = json_dumps (answer, 0);
        json_decref (answer);
        hny_http_response_t response = { .status = 200, .body = text, .body_size = strlen (text),
                                         .error_text = "" };
        hny_backend_type (be)->parse (be, batch, 0, 1, &response);
        const char *got = hny_batch_tgt (batch, 0);
        int ok = cases[c].tgt ? got && strcmp (got, cases[c].tgt) == 0
                              : hny_batch_class (batch, 0) != HNY_SEG_OK;
        if (!ok) {
            fprintf (stderr, "answer case %zu: got \"%s\"\n", c, got ? got : "(failed)");
            s_failures++;
        }
        free (text);
        hny_batch_destroy (&batch);
    }
    hny_backend_destroy (&be);
}

/* Glossary terms come out as given with every type; the requests carry
   what they should (context, glossary_id, prompt terms). */
static void
test_glossary (const char *dir)
{
    char path[512];
    snprintf (path, sizeof path, "%s/glossary.tsv", dir);
    CHECK (ts_write_file (path, "# term\tterm\nTokyo Tower\t東京タワー\r\nTokyo\t東京都\n\n") == 0);
    const char *src = "I saw Tokyo Tower from Tokyo.";
    const char *want = "【ja】Ｉ ｓａｗ 東京タワー ｆｒｏｍ 東京都.";
    static const char *const types[] = { "deepl", "google", "libretranslate" };
    for (size_t t = 0; t < 3; t++) {
        hny_profile_t profile = s_profile (types[t], types[t]);
        profile.glossary = path;
        hny_backend_t *be = s_backend (&profile);
        if (!be) {
            s_failures++;
            continue;
        }
        char *json = s_batch_json (3, src, "Some context.");
        hny_batch_t *batch = s_translate (be, json, "en", "ja");
        free (json);
        for (size_t i = 0; i < 3; i++) {
            const char *got = hny_batch_tgt (batch, i);
            if (!got || strcmp (got, want) != 0) {
                fprintf (stderr, "%s glossary: got \"%s\"\n", types[t], got ? got : "(none)");
                s_failures++;
            }
        }
        hny_batch_destroy (&batch);
        if (t == 0) {
            /* DeepL: the request carries glossary_id and the context */
            char *reason = NULL;
            const char *one = "{\"segments\":[{\"id\":1,\"src\":\"Tokyo\",\"context\":\"Ctx.\"}]}";
            batch = hny_batch_new (one, strlen (one), "en", "ja", NULL, &reason);
            hny_backend_req_t req;
            memset (&req, 0, sizeof req);
            CHECK (hny_backend_type (be)->build (be, batch, 0, 1, &req, &reason) == 0);
            json_t *body = json_loadb (req.body, req.body_size, 0, NULL);
            CHECK (json_string_value (json_object_get (body, "glossary_id")) != NULL);
            CHECK (strcmp (json_string_value (json_object_get (body, "context")), "Ctx.") == 0);
            CHECK (strcmp (json_string_value (json_object_get (body, "target_lang")), "JA") == 0);
            CHECK (json_is_true (json_object_get (body, "show_billed_characters")));
            CHECK (!strstr (req.url, S_KEY));
            int auth = 0;
            for (size_t h = 0; req.headers[h]; h++)
                auth += strcmp (req.headers[h], "Authorization: DeepL-Auth-Key " S_KEY) == 0;
            CHECK (auth == 1);
            json_decref (body);
            hny_backend_req_clear (&req);
            hny_batch_destroy (&batch);
        }
        hny_backend_destroy (&be);
        CHECK_NO_VIOLATIONS ();
    }

    /* DeepL when the glossary was refused (a 400): placeholders, same output */
    hny_profile_t dprofile = s_profile ("deepl-fallback", "deepl");
    dprofile.glossary = path;
    hny_backend_t *dbe = s_backend (&dprofile);
    hny_http_response_t failed = { .status = 400, .body = "{\"message\":\"no\"}",
                                   .body_size = 16, .error_text = "" };
    if (dbe) {
        hny_backend_req_t setup_req;
        memset (&setup_req, 0, sizeof setup_req);
        hny_backend_fail_t fail = { HNY_SEG_TRANSIENT, 0, NULL };
        CHECK (hny_backend_type (dbe)->setup (dbe, "en", "ja", &setup_req) == 1);
        CHECK (setup_req.method && strcmp (setup_req.method, "GET") == 0);
        free (setup_req.url);
        for (size_t h = 0; setup_req.headers[h]; h++)
            free (setup_req.headers[h]);
        CHECK (hny_backend_type (dbe)->setup_done (dbe, "en", "ja", &failed, &fail) == 0);
        CHECK (fail.reason == NULL);
        char *json = s_batch_json (2, src, NULL);
        int64_t before = s_api_requests ("deepl");
        hny_batch_t *batch = s_translate (dbe, json, "en", "ja");
        free (json);
        CHECK (s_api_requests ("deepl") - before == 1);    /* no glossary creation */
        for (size_t i = 0; i < 2; i++)
            CHECK (hny_batch_tgt (batch, i) && strcmp (hny_batch_tgt (batch, i), want) == 0);
        hny_backend_req_t req;
        memset (&req, 0, sizeof req);
        char *reason = NULL;
        CHECK (hny_backend_type (dbe)->build (dbe, batch, 0, 1, &req, &reason) == 0);
        CHECK (req.body && strstr (req.body, "⟦1⟧") && !strstr (req.body, "glossary_id"));
        hny_backend_req_clear (&req);
        hny_batch_destroy (&batch);
        hny_backend_destroy (&dbe);
        CHECK_NO_VIOLATIONS ();
    }
    else
        s_failures++;

    /* OpenAI: the terms that occur and the context are in the system prompt */
    hny_profile_t profile = s_profile ("llm-g", "openai");
    profile.glossary = path;
    hny_backend_t *be = s_backend (&profile);
    char *reason = NULL;
    const char *one = "{\"segments\":[{\"id\":1,\"src\":\"Tokyo Tower.\",\"context\":\"Before.\"}]}";
    hny_batch_t *batch = hny_batch_new (one, strlen (one), "en", "ja", NULL, &reason);
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    CHECK (be && hny_backend_type (be)->build (be, batch, 0, 1, &req, &reason) == 0);
    json_t *body = json_loadb (req.body, req.body_size, 0, NULL);
    const char *system = json_string_value (json_object_get (
        json_array_get (json_object_get (body, "messages"), 0), "content"));
    CHECK (system && strstr (system, "into Japanese"));
    CHECK (system && strstr (system, "Tokyo Tower => 東京タワー"));
    CHECK (system && !strstr (system, "Tokyo => 東京都"));         /* not in the text */
    CHECK (system && strstr (system, "Before."));
    CHECK (json_integer_value (json_object_get (body, "max_tokens")) >= 256);
    CHECK (json_is_false (json_object_get (body, "stream")));
    json_decref (body);
    hny_backend_req_clear (&req);
    hny_batch_destroy (&batch);
    hny_backend_destroy (&be);

    /* a bad glossary is an error at start-up */
    CHECK (ts_write_file (path, "no tab here\n") == 0);
    profile = s_profile ("bad-g", "google");
    profile.glossary = path;
    char *error = NULL;
    be = hny_backend_new (&profile, s_http_engine, &error);
    CHECK (be == NULL && error && strstr (error, ":1:"));
    free (error);
    unlink (path);
}

/* The body of the request a backend builds for one segment from -> to
   (NUL-terminated; caller owns), or NULL when it refuses to build it. */
static char *
s_request_body (hny_backend_t *be, const char *from, const char *to)
{
    char *reason = NULL;
    const char *one = "{\"segments\":[{\"id\":1,\"src\":\"Hello.\"}]}";
    hny_batch_t *batch = hny_batch_new (one, strlen (one), from, to, NULL, &reason);
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    char *body = NULL;
    if (batch && hny_backend_type (be)->build (be, batch, 0, 1, &req, &reason) == 0) {
        body = hny_strndup (req.body ? req.body : "", req.body_size);
        hny_backend_req_clear (&req);
    }
    else
        fprintf (stderr, "%s -> %s: %s\n", from, to, reason ? reason : "no batch");
    free (reason);
    hny_batch_destroy (&batch);
    return body;
}

/* The canonical BCP 47 tags honyakud hands the workers (hny_lang: "pt-BR",
   "zh-Hant") as each API spells its languages: DeepL's upper-case codes and
   target variants, Google's Chinese by region, Apertium's ISO 639-3, the
   tags themselves for LibreTranslate and in the LLM prompt. */
static void
test_lang_codes (void)
{
    static const struct {
        const char *type, *from, *to;
        const char *want_from, *want_to;    /* the JSON fields' values, or text in the body */
    } cases[] = {
        { "deepl", "pt-BR", "pt-BR", "PT", "PT-BR" },
        { "deepl", "en", "zh-Hant", "EN", "ZH-HANT" },
        { "deepl", "zh-Hant", "zh-Hans", "ZH", "ZH-HANS" },
        { "deepl", "ja", "zh-Hant-TW", "JA", "ZH-HANT" },
        { "deepl", "ja", "zh-TW", "JA", "ZH-HANT" },
        { "deepl", "ja", "zh-CN", "JA", "ZH-HANS" },
        { "deepl", "en-GB", "en-GB", "EN", "EN-GB" },
        { "deepl", "ja", "en", "JA", "EN-US" },
        { "deepl", "ja", "en-AU", "JA", "EN-US" },
        { "deepl", "en", "pt", "EN", "PT-PT" },
        { "deepl", "en", "es-419", "EN", "ES-419" },
        { "deepl", "en", "de-CH-1996", "EN", "DE" },
        { "google", "zh-Hant", "pt-BR", "zh-TW", "pt-BR" },
        { "google", "en", "zh-Hans", "en", "zh-CN" },
        { "google", "en", "zh-Hant-HK", "en", "zh-TW" },
        { "libretranslate", "en", "zh-Hant", "en", "zh-Hant" },
        { "apertium", "en", "pt-BR", "langpair=eng%7Cpor_BR", "q=Hello." },
        { "openai", "ja", "pt-BR", "into Portuguese (pt-BR)", "from Japanese (ja)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *type = cases[i].type;
        hny_profile_t profile = s_profile (type, type);
        if (strcmp (type, "apertium") == 0)
            profile.url = (char *) ts_server_url ();
        hny_backend_t *be = s_backend (&profile);
        char *body = be ? s_request_body (be, cases[i].from, cases[i].to) : NULL;
        const char *got_from = NULL, *got_to = NULL;
        json_t *json = NULL;
        if (body && (strcmp (type, "apertium") == 0 || strcmp (type, "openai") == 0)) {
            got_from = strstr (body, cases[i].want_from) ? cases[i].want_from : body;
            got_to = strstr (body, cases[i].want_to) ? cases[i].want_to : body;
        }
        else if (body && (json = json_loads (body, 0, NULL))) {
            int deepl = strcmp (type, "deepl") == 0;
            got_from = json_string_value (json_object_get (json, deepl ? "source_lang" : "source"));
            got_to = json_string_value (json_object_get (json, deepl ? "target_lang" : "target"));
        }
        if (!got_from || !got_to || strcmp (got_from, cases[i].want_from)
            || strcmp (got_to, cases[i].want_to)) {
            fprintf (stderr, "%s %s -> %s: got %s -> %s, want %s -> %s\n", type, cases[i].from,
                     cases[i].to, got_from ? got_from : "(none)", got_to ? got_to : "(none)",
                     cases[i].want_from, cases[i].want_to);
            s_failures++;
        }
        json_decref (json);
        free (body);
        hny_backend_destroy (&be);
    }
}

/* Placeholders on their own. */
static void
test_placeholders (void)
{
    char *error = NULL;
    const char *tsv = "ab\tX\nabc\tY\n";
    hny_glossary_t *g = hny_glossary_parse (tsv, strlen (tsv), "t", &error);
    CHECK (g && hny_glossary_size (g) == 2);
    size_t *terms = NULL, count = 0;
    char *p = hny_glossary_protect (g, "abcab ab", 8, &terms, &count);
    CHECK (p && strcmp (p, "⟦1⟧⟦2⟧ ⟦3⟧") == 0 && count == 3);
    char *r = hny_glossary_restore (g, terms, count, "⟦3⟧-⟦1⟧⟦2⟧", strlen ("⟦3⟧-⟦1⟧⟦2⟧"), &error);
    CHECK (r && strcmp (r, "X-YX") == 0);
    free (r);
    CHECK (error == NULL);
    /* lost, repeated, unknown or broken placeholders cost the term, not
       the text: kept with a warning */
    r = hny_glossary_restore (g, terms, count, "⟦1⟧⟦2⟧", strlen ("⟦1⟧⟦2⟧"), &error);
    CHECK (r && strcmp (r, "YX") == 0 && error && strstr (error, "lost") && strstr (error, "1 of 3"));
    free (r);
    free (error);
    r = hny_glossary_restore (g, terms, count, "⟦1⟧⟦2⟧⟦3⟧⟦3⟧", strlen ("⟦1⟧⟦2⟧⟦3⟧⟦3⟧"), &error);
    CHECK (r && strcmp (r, "YXXX") == 0 && error && strstr (error, "repeated"));
    free (r);
    free (error);
    r = hny_glossary_restore (g, terms, count, "⟦1⟧⟦2⟧⟦3⟧ ⟦9⟧ ⟦ ⟧ ⟦4", strlen ("⟦1⟧⟦2⟧⟦3⟧ ⟦9⟧ ⟦ ⟧ ⟦4"),
                              &error);
    CHECK (r && strcmp (r, "YXX    4") == 0 && error && strstr (error, "broken"));
    free (r);
    free (error);
    free (p);
    free (terms);
    CHECK (hny_glossary_protect (g, "⟦1⟧ ab", strlen ("⟦1⟧ ab"), &terms, &count) == NULL);
    CHECK (hny_glossary_protect (g, "zzz", 3, &terms, &count) == NULL && count == 0);
    /* a whole segment that is a term; the fingerprint names the content */
    CHECK (hny_glossary_whole (g, "abc", 3) == 1 && hny_glossary_whole (g, "ab ", 3) == -1);
    char fp1[HNY_GLOSSARY_FINGERPRINT_LEN + 1], fp2[HNY_GLOSSARY_FINGERPRINT_LEN + 1];
    hny_glossary_fingerprint (g, fp1);
    CHECK (strlen (fp1) == 16 && strspn (fp1, "0123456789abcdef") == 16);
    hny_glossary_destroy (&g);

    /* what DeepL's glossary endpoint refuses is refused at load, with the line */
    static const struct {
        const char *tsv, *error;        /* error NULL: loads */
        size_t size;
    } files[] = {
        { "ab\tX\nab\tX\n", NULL, 1 },                  /* same entry twice: kept once */
        { " ab \t X \nabc\tY\n", NULL, 2 },             /* spaces around terms dropped */
        { "ab\tX\nab\tY\n", "t:2: source term \"ab\" is already on line 1", 0 },
        { "ab\tX\n\tY\n", "t:2: empty source term", 0 },
        { "ab\t  \n", "t:1: empty target term", 0 },
        { "a\xC2\x85" "b\tX\n", "t:1: terms must be", 0 },       /* U+0085 */
        { "ab\tX\xE2\x80\xA8\n", "t:1: terms must be", 0 },   /* U+2028 */
        { "# nothing\n\n", "no entries", 0 },
    };
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        g = hny_glossary_parse (files[f].tsv, strlen (files[f].tsv), "t", &error);
        if (files[f].error)
            CHECK (!g && error && strstr (error, files[f].error));
        else
            CHECK (g && !error && hny_glossary_size (g) == files[f].size);
        if (g && f == 1) {
            CHECK (strcmp (hny_glossary_source (g, 0), "ab") == 0);
            CHECK (strcmp (hny_glossary_target (g, 0), "X") == 0);
            hny_glossary_fingerprint (g, fp2);
            CHECK (strcmp (fp1, fp2) == 0);         /* same entries, same name */
        }
        hny_glossary_destroy (&g);
        free (error);
        error = NULL;
    }
}

/* hny_be_put_texts writes what json_dumps wrote of the same strings, the
   texts a request's body held before it was written directly: escapes,
   control bytes, DEL, '/', non-ASCII, an empty text, any slice; and a
   DeepL body written so parses to the members the tree had. */
static void
test_put_texts (void)
{
    static const char *const srcs[] = {
        "plain", "a \"quoted\" word", "back\\slash", "tab\there", "line\nbreak", "\x01\x1f ctl",
        "del\x7f", "a/b", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", "", "\xef\xbc\xa1\r\n",
    };
    size_t n = sizeof srcs / sizeof *srcs;
    json_t *segments = json_array ();
    for (size_t i = 0; i < n; i++)
        json_array_append_new (segments, json_pack ("{sIss}", "id", (json_int_t) i + 1, "src", srcs[i]));
    json_t *root = json_pack ("{so}", "segments", segments);
    char *text = json_dumps (root, JSON_COMPACT);
    json_decref (root);
    char *reason = NULL;
    hny_batch_t *batch = hny_batch_new (text, strlen (text), "en", "de", NULL, &reason);
    free (text);
    CHECK (batch != NULL);
    if (!batch)
        return;
    for (size_t first = 0; first < n; first += 5) {
        size_t count = first + 7 <= n ? 7 : n - first;
        json_t *want = json_array ();
        for (size_t i = first; i < first + count; i++)
            json_array_append_new (want, json_string (srcs[i]));
        char *wanted = json_dumps (want, JSON_COMPACT);
        hny_buf_t got = HNY_BUF_INIT (4096);
        CHECK (hny_be_put_texts (&got, NULL, batch, first, count, 0) == 0);
        if (strcmp (hny_buf_str (&got), wanted) != 0) {
            fprintf (stderr, "put_texts [%zu, +%zu): got %s, want %s\n", first, count,
                     hny_buf_str (&got), wanted);
            s_failures++;
        }
        hny_buf_free (&got);
        free (wanted);
        json_decref (want);
    }
    /* The DeepL body: every member as the tree had them, in its order. */
    hny_profile_t profile = s_profile ("deepl-body", "deepl");
    profile.formality = (char *) "prefer_more";
    hny_backend_t *be = s_backend (&profile);
    if (be) {
        hny_backend_req_t req;
        memset (&req, 0, sizeof req);
        CHECK (hny_backend_type (be)->build (be, batch, 0, n, &req, &reason) == 0);
        json_t *body = json_loadb (req.body, req.body_size, 0, NULL);
        json_t *texts = json_array ();
        for (size_t i = 0; i < n; i++)
            json_array_append_new (texts, json_string (srcs[i]));
        json_t *want = json_pack ("{so ss ss sb ss ss}", "text", texts, "source_lang", "EN",
                                  "target_lang", "DE", "show_billed_characters", 1,
                                  "split_sentences", "0", "formality", "prefer_more");
        CHECK (body && json_equal (body, want));
        char *wanted = json_dumps (want, JSON_COMPACT);
        CHECK (req.body_size == strlen (wanted) && memcmp (req.body, wanted, req.body_size) == 0);
        free (wanted);
        json_decref (want);
        json_decref (body);
        hny_backend_req_clear (&req);
        hny_backend_destroy (&be);
    }
    hny_batch_destroy (&batch);
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: test_backends_api HNY-TESTSERVER\n");
        return 2;
    }
    char dir[] = "/tmp/hny-backends-XXXXXX";
    if (!mkdtemp (dir))
        return 1;
    /* Capture our own log to check that the key never reaches it. */
    char log_path[600];
    snprintf (log_path, sizeof log_path, "%s/log", dir);
    fflush (stderr);
    int saved_stderr = dup (2);
    FILE *log = fopen (log_path, "w+");
    if (!log || saved_stderr < 0)
        return 1;
    dup2 (fileno (log), 2);
    hny_log_init ("test_backends_api", HNY_LOG_DEBUG);
    setenv ("HNY_TEST_KEY", S_KEY, 1);

    static const char *const server_args[] = { "--libre-batch-limit", "10",
                                               "--huge-bytes", "20000000", NULL };
    if (ts_server_start (argv[1], S_KEY, server_args) != 0) {
        s_failures++;
        goto done;
    }
    s_http_engine = hny_http_new ();
    test_placeholders ();
    test_put_texts ();
    test_lang_codes ();
    test_deepl ();
    test_timeout ();
    test_google_libre ();
    test_openai ();
    test_openai_answers ();
    test_glossary (dir);
    hny_http_destroy (&s_http_engine);

done:
    ts_server_stop ();
    fflush (stderr);
    dup2 (saved_stderr, 2);
    /* Show the log, and fail if it holds the key. */
    rewind (log);
    char line[2048];
    int leaked = 0;
    while (fgets (line, sizeof line, log)) {
        fputs (line, stderr);
        if (strstr (line, S_KEY))
            leaked = 1;
    }
    fclose (log);
    unlink (log_path);
    rmdir (dir);
    if (leaked) {
        fprintf (stderr, "the API key appeared in the log\n");
        s_failures++;
    }
    return s_check_done ("test_backends_api");
}
