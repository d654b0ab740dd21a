/*  fuzz_backends.c: fuzz target for the HTTP backend types' parse, the
    readers of a translation service's answer (untrusted bytes): deepl,
    google, libretranslate, openai and apertium, each with and without a
    profile glossary (placeholders put back into the answer).

    Input format: byte 0 picks the HTTP status (a table of the statuses the
    types tell apart, plus odd ones); byte 1 picks the backend (bits 0-3),
    the task (bits 4-5) and the segment range (bits 6-7); the rest is the
    response body. parse runs directly, as the dispatch would call it, on
    a fresh batch; nothing goes over the network (the HTTP engine is never
    run).

    Invariants: parse touches only segments of its range; after the
    dispatch's fill-in every segment has an outcome (done == size); no
    segment is translated on a non-2xx status; every stored tgt is valid
    UTF-8 with balanced markup; every error has a class and a code; the
    RESULT body serializes with one entry per segment.

    Built with -DHNY_FUZZ=ON (clang, libFuzzer) it is a plain fuzz target;
    otherwise main() runs N deterministic cases (argv[1], default 60000):
    noise, well-formed answers of each API, and those answers mutated. */

#include "hny_backend.h"
#include "hny_http.h"

#include <honyaku/config.h>
#include <honyaku/util.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_require.h"

static const char *const s_types [] = { "deepl", "google", "libretranslate", "openai", "apertium" };
#define S_TYPES 5
#define S_BACKENDS (2 * S_TYPES)        /* each without, then with a glossary */

static const long s_statuses [] = {
    200, 200, 200, 200, 200, 200, 200, 200, 201, 204, 299, 0, 100, 302, 400, 401, 403, 404,
    408, 413, 429, 456, 500, 502, 503, 504, 529, 599, 600, -1, 999999
};
#define S_STATUSES (sizeof s_statuses / sizeof s_statuses [0])

/* Tasks as the broker sends them: plain, with markup, with glossary terms,
   several lines; four segments each. */
static const char *const s_tasks [] = {
    "{\"segments\":[{\"id\":0,\"src\":\"Hello world.\"},{\"id\":1,\"src\":\"Second one.\"},"
    "{\"id\":2,\"src\":\"Third.\"},{\"id\":3,\"src\":\"Fourth \\\"quoted\\\".\"}]}",
    "{\"segments\":[{\"id\":5,\"src\":\"<b>Bold</b> and <i>it</i>.\"},"
    "{\"id\":6,\"src\":\"A <a href=\\\"https://x.org/?a&amp;b\\\">link</a>.\"},"
    "{\"id\":7,\"src\":\"“Curly” ‘quotes’\"},{\"id\":8,\"src\":\"<b><i>x</i></b>\"}]}",
    "{\"segments\":[{\"id\":1,\"src\":\"The Diet met in Tokyo.\",\"context\":\"c\"},"
    "{\"id\":2,\"src\":\"Tokyo and the Diet.\",\"context\":\"c\"},"
    "{\"id\":3,\"src\":\"No terms.\",\"context\":\"c\"},{\"id\":4,\"src\":\"Diet Diet Diet\",\"context\":\"c\"}]}",
    "{\"segments\":[{\"id\":0,\"src\":\"Line one\\nline two\"},{\"id\":1,\"src\":\"Sure: a source\"},"
    "{\"id\":2,\"src\":\"首相は１０日、会見した。\"},{\"id\":3,\"src\":\"\"}]}",
};
#define S_TASKS 4
#define S_TASK_SEGMENTS 4

static hny_http_t *s_http;
static hny_backend_t *s_backends [S_BACKENDS];
static long s_outcomes [2];     /* [0] failed, [1] translated: main checks both happen */

/* Create the engine (never run) and the backends, once. */
static void
s_setup (void)
{
    if (s_http)
        return;
    hny_log_init ("fuzz_backends", HNY_LOG_ERROR);
    setenv ("HNY_FUZZ_KEY", "fuzz-key-1234:fx", 1);
    char dir [] = "/tmp/hny-fuzz-XXXXXX";
    S_REQUIRE (mkdtemp (dir));
    char *path = hny_sprintf ("%s/glossary.tsv", dir);
    FILE *f = fopen (path, "w");
    S_REQUIRE (f);
    fputs ("Diet\tDieta\nTokyo\tTokio\nthe Diet\tla Dieta\n", f);
    S_REQUIRE (fclose (f) == 0);
    s_http = hny_http_new ();
    S_REQUIRE (s_http);
    for (size_t i = 0; i < S_BACKENDS; i++) {
        hny_profile_t profile;
        memset (&profile, 0, sizeof profile);
        char *name = hny_sprintf ("%s%s", s_types [i % S_TYPES], i >= S_TYPES ? "-g" : "");
        profile.name = name;
        profile.type = (char *) s_types [i % S_TYPES];
        profile.url = (char *) "http://127.0.0.1:9";
        profile.key_env = (char *) "HNY_FUZZ_KEY";
        profile.model = (char *) "fuzz-model";
        profile.glossary = i >= S_TYPES && strcmp (s_types [i % S_TYPES], "apertium") != 0
                         ? path : NULL;
        char *error = NULL;
        s_backends [i] = hny_backend_new (&profile, s_http, &error);
        if (!s_backends [i]) {
            fprintf (stderr, "fuzz_backends: backend %s: %s\n", name, error);
            abort ();
        }
        free (name);
    }
    /* Loaded: the file is no longer needed. */
    unlink (path);
    rmdir (dir);
    free (path);
}

/* Every tag a reader finds in the text is paired and properly nested. */
static int
s_balanced (const char *text)
{
    int stack [1024];
    size_t depth = 0;
    for (const char *p = text; *p; p++) {
        if (*p != '<')
            continue;
        int tag = 0, closing = 0;
        if (strncmp (p, "<b>", 3) == 0) tag = 1;
        else if (strncmp (p, "</b>", 4) == 0) tag = 1, closing = 1;
        else if (strncmp (p, "<i>", 3) == 0) tag = 2;
        else if (strncmp (p, "</i>", 4) == 0) tag = 2, closing = 1;
        else if (strncmp (p, "</a>", 4) == 0) tag = 3, closing = 1;
        else if (strncmp (p, "<a href=\"", 9) == 0) {
            const char *v = p + 9;
            size_t n = strcspn (v, "\"<\n");
            if (n <= 2048 && strncmp (v + n, "\">", 2) == 0)
                tag = 3;
        }
        if (!tag)
            continue;
        if (!closing) {
            if (depth == sizeof stack / sizeof stack [0])
                return 0;
            stack [depth++] = tag;
        }
        else if (depth == 0 || stack [--depth] != tag)
            return 0;
    }
    return depth == 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_setup ();
    if (size < 2)
        return 0;
    long status = s_statuses [data [0] % S_STATUSES];
    size_t which = (size_t) (data [1] & 0x0F) % S_BACKENDS;
    hny_backend_t *backend = s_backends [which];
    const hny_backend_type_t *type = hny_backend_type (backend);
    const char *task = s_tasks [(data [1] >> 4) & 3];

    char *reason = NULL;
    hny_batch_t *batch = hny_batch_new (task, strlen (task), "en", "es", "fuzz", &reason);
    S_REQUIRE (batch && hny_batch_size (batch) == S_TASK_SEGMENTS);
    /* The range a request covers: one text (apertium, openai's default),
       or a group inside the batch. */
    size_t first = 0, count = 1;
    switch (data [1] >> 6) {
        case 0: first = 0; count = 1; break;
        case 1: first = 2; count = 1; break;
        case 2: first = 0; count = S_TASK_SEGMENTS; break;
        default: first = 1; count = 2; break;
    }
    if (strcmp (type->name, "apertium") == 0)
        count = 1;

    /* The body as the engine hands it: NUL-terminated, exactly sized. */
    size_t body_size = size - 2;
    char *body = hny_malloc (body_size + 1);
    memcpy (body, data + 2, body_size);
    body [body_size] = '\0';
    hny_http_response_t response = {
        .error = HNY_HTTP_OK, .error_text = "", .status = status, .body = body,
        .body_size = body_size, .retry_after = (data [0] & 0x80) ? "7" : NULL, .elapsed_ms = 5,
    };
    type->parse (backend, batch, first, count, &response);

    /* Only the request's segments have outcomes. */
    for (size_t i = 0; i < S_TASK_SEGMENTS; i++)
        if (i < first || i >= first + count)
            S_REQUIRE (hny_batch_class (batch, i) == HNY_SEG_PENDING);
    /* The dispatch's fill-in, then the rest of the batch. */
    for (size_t i = first; i < first + count; i++)
        if (hny_batch_class (batch, i) == HNY_SEG_PENDING)
            hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 502, "no translation in the response");
    S_REQUIRE (hny_batch_done_count (batch) == count);
    for (size_t i = 0; i < S_TASK_SEGMENTS; i++)
        if (i < first || i >= first + count)
            hny_batch_set_error (batch, i, HNY_SEG_TRANSIENT, 503, "not sent");
    S_REQUIRE (hny_batch_done_count (batch) == hny_batch_size (batch));

    int ok_status = status >= 200 && status < 300;
    for (size_t i = first; i < first + count; i++) {
        hny_seg_class_t cls = hny_batch_class (batch, i);
        S_REQUIRE (cls == HNY_SEG_OK || cls == HNY_SEG_TRANSIENT || cls == HNY_SEG_PERMANENT
                   || cls == HNY_SEG_PAUSED);
        const char *tgt = hny_batch_tgt (batch, i);
        S_REQUIRE ((cls == HNY_SEG_OK) == (tgt != NULL));
        s_outcomes [cls == HNY_SEG_OK]++;
        if (tgt) {
            S_REQUIRE (ok_status);
            S_REQUIRE (hny_utf8_valid (tgt, strlen (tgt)));
            S_REQUIRE (s_balanced (tgt));
        }
    }
    S_REQUIRE (hny_batch_billed (batch) >= 0);

    /* The RESULT body: one entry per segment, each a tgt or a full error. */
    json_t *result = hny_batch_result (batch);
    S_REQUIRE (result);
    json_t *segments = json_object_get (result, "segments");
    S_REQUIRE (json_array_size (segments) == S_TASK_SEGMENTS);
    for (size_t i = 0; i < S_TASK_SEGMENTS; i++) {
        json_t *entry = json_array_get (segments, i);
        S_REQUIRE (json_is_integer (json_object_get (entry, "id")));
        json_t *error = json_object_get (entry, "error");
        if (hny_batch_class (batch, i) == HNY_SEG_OK)
            S_REQUIRE (json_is_string (json_object_get (entry, "tgt")) && !error);
        else {
            S_REQUIRE (json_is_string (json_object_get (error, "class")));
            S_REQUIRE (json_is_integer (json_object_get (error, "code")));
            S_REQUIRE (json_is_string (json_object_get (error, "reason")));
        }
    }
    char *text = json_dumps (result, JSON_COMPACT);
    S_REQUIRE (text);
    free (text);
    json_decref (result);

    free (body);
    hny_batch_destroy (&batch);
    return 0;
}

#ifndef HNY_FUZZING

#include "fuzz_rand.h"

/* Translations to put in answers: as expected, with placeholders kept,
   lost or crossed, with a model's chatter, numbered lists, odd bytes. */
static const char *const s_texts [] = {
    "Hola mundo.", "⟦1⟧Negrita⟦/1⟧ y ⟦2⟧it⟦/2⟧.", "⟦1⟧Negrita y ⟦2⟧it⟦/1⟧⟦/2⟧.",
    "Un ⟦1⟧enlace⟦/1⟧.", "⟦1⟧⟦2⟧x⟦/2⟧⟦/1⟧", "⟦1⟧ la ⟦1⟧ Dieta", "La Dieta se reunió en ⟦1⟧.",
    "⟦1⟧ y ⟦2⟧.", "⟦2⟧ y ⟦1⟧.", "⟦9⟧", "Sure! Here is the translation:\\nHola.",
    "```\\nHola\\n```", "\\\"Hola\\\"", "1. Uno\\n2. Dos", "1. Uno\\n2. Dos\\n3. Tres\\n4. Cuatro",
    "2. Dos\\n1. Uno", "Translation: Hola", "Hola\\nNote: literal", "", "   ", "\\u0000x",
    "\\ud800", "<b", "&lt;b>", "<b⟦1⟧⟦/1⟧>x", "línea\\nlínea", "“Rizadas” 'rectas'",
    /* DeepL's tag_handling=xml answers (hny_be_xml_in) */
    "<b id=\\\"1\\\">Negrita</b> y <i id=\\\"2\\\">it</i>.", "<i id='2'>x<b id='1'></i></b>&amp;&#x3002;",
    "<a id=\\\"9\\\"/>&#0;&#xD800;&bogus;<!-- c --></b></b>", "<b id=\\\"1\\\" id=\\\"2\\\">&#1114111;",
};
#define S_TEXT_COUNT (sizeof s_texts / sizeof s_texts [0])

static const char *
s_text (void)
{
    return s_texts [s_below (S_TEXT_COUNT)];
}

/* A well-formed answer of the API of type t with n translations. */
static size_t
s_answer (char *out, size_t cap, const char *t, size_t n)
{
    size_t len = 0;
#define S_ADD(...) do { \
        int w = snprintf (out + len, cap - len, __VA_ARGS__); \
        if (w > 0 && (size_t) w < cap - len) len += (size_t) w; \
    } while (0)
    if (s_below (8) == 0) {         /* an error answer */
        S_ADD ("{\"error\":{\"code\":\"insufficient_quota\",\"message\":\"quota Rate Limit API key not valid\","
               "\"errors\":[{\"reason\":\"rateLimitExceeded\"}]},\"message\":\"m\",\"code\":%d,"
               "\"explanation\":\"e\",\"responseStatus\":%d}", (int) s_below (600), (int) s_below (600));
        return len;
    }
    if (strcmp (t, "deepl") == 0) {
        S_ADD ("{\"translations\":[");
        for (size_t k = 0; k < n; k++)
            S_ADD ("%s{\"detected_source_language\":\"EN\",\"text\":\"%s\",\"billed_characters\":%d}",
                   k ? "," : "", s_text (), (int) s_below (50) - 5);
        S_ADD ("]}");
    }
    else if (strcmp (t, "google") == 0) {
        S_ADD ("{\"data\":{\"translations\":[");
        for (size_t k = 0; k < n; k++)
            S_ADD ("%s{\"translatedText\":\"%s\"}", k ? "," : "", s_text ());
        S_ADD ("]}}");
    }
    else if (strcmp (t, "libretranslate") == 0) {
        S_ADD ("{\"translatedText\":[");
        for (size_t k = 0; k < n; k++)
            S_ADD ("%s\"%s\"", k ? "," : "", s_text ());
        S_ADD ("]}");
    }
    else if (strcmp (t, "openai") == 0) {
        S_ADD ("{\"id\":\"x\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
        if (n == 1)
            S_ADD ("%s", s_text ());
        else
            for (size_t k = 0; k < n; k++)
                S_ADD ("%s%zu. %s", k ? "\\n" : "", k + 1, s_text ());
        S_ADD ("\"},\"finish_reason\":\"%s\"}]}", s_below (6) ? "stop" : s_below (2) ? "length" : "x");
    }
    else
        S_ADD ("{\"responseData\":{\"translatedText\":\"%s\"},\"responseDetails\":null,"
               "\"responseStatus\":%d}", s_text (), s_below (5) ? 200 : 400);
#undef S_ADD
    return len;
}

static const char *const s_noise [] = {
    "{", "}", "[", "]", "\"", ":", ",", "null", "1e999", "-1", "\\u0000", "\\ud800", "\xC3\x28",
    "\xF0\x9F\x98\x80", "<html>", "\n", "⟦", "⟧", "⟦1⟧", "[[[[[[[[", "\"text\":", "\"choices\":",
};

/* Fixed inputs (status byte, shape byte, body) that guard edges. */
static const struct { const char *bytes; size_t len; } s_regressions [] = {
#define S_REG(lit) { lit, sizeof lit - 1 }
    /* an emptied element in a translation must not join "<b" and ">" into a tag */
    S_REG ("\x00\x13" "{\"data\":{\"translations\":[{\"translatedText\":\"<b⟦1⟧⟦/1⟧>x ⟦2⟧y⟦/2⟧\"}]}}"),
    /* a NUL in a translation */
    S_REG ("\x00\x12" "{\"translatedText\":[\"a\\u0000b\"]}"),
    /* an HTML error page with a 2xx status */
    S_REG ("\x00\x10" "<html><body>502 Bad Gateway</body></html>"),
#undef S_REG
};

int
main (int argc, char **argv)
{
    long cases = argc > 1 ? strtol (argv [1], NULL, 10) : 60000;
    enum { CAP = 16384 };
    uint8_t *buf = hny_malloc (CAP);
    for (size_t i = 0; i < sizeof s_regressions / sizeof s_regressions [0]; i++)
        LLVMFuzzerTestOneInput ((const uint8_t *) s_regressions [i].bytes, s_regressions [i].len);
    for (long c = 0; c < cases; c++) {
        size_t len = 0;
        buf [len++] = (uint8_t) s_rand ();
        buf [len++] = (uint8_t) s_rand ();
        /* Mostly 2xx: the answers' contents are what is being read. */
        if (s_below (3))
            buf [0] = (uint8_t) s_below (8);
        int mode = (int) s_below (10);
        if (mode == 0) {
            size_t n = s_below (200);
            for (size_t i = 0; i < n; i++)
                buf [len++] = (uint8_t) s_rand ();
        }
        else {
            size_t which = (size_t) (buf [1] & 0x0F) % S_BACKENDS;
            const char *t = s_types [which % S_TYPES];
            size_t count = (buf [1] >> 6) == 2 ? S_TASK_SEGMENTS : (buf [1] >> 6) == 3 ? 2 : 1;
            if (s_below (6) == 0)
                count = s_below (6);    /* the wrong number of items */
            len += s_answer ((char *) buf + len, CAP - len, t, count);
            if (mode >= 6) {
                /* Byte-wise and token-wise edits. */
                int edits = 1 + (int) s_below (4);
                for (int e = 0; e < edits && len > 2; e++) {
                    size_t at = 2 + s_below (len - 2);
                    switch (s_below (4)) {
                        case 0: buf [at] = (uint8_t) s_rand (); break;
                        case 1: memmove (buf + at, buf + at + 1, len - at - 1); len--; break;
                        case 2: len = at; break;
                        default: {
                            const char *tok = s_noise [s_below (sizeof s_noise / sizeof s_noise [0])];
                            size_t tl = strlen (tok);
                            if (len + tl < CAP) {
                                memmove (buf + at + tl, buf + at, len - at);
                                memcpy (buf + at, tok, tl);
                                len += tl;
                            }
                            break;
                        }
                    }
                }
            }
        }
        uint8_t *input = hny_malloc (len);
        memcpy (input, buf, len);
        LLVMFuzzerTestOneInput (input, len);
        free (input);
    }
    free (buf);
    for (size_t i = 0; i < S_BACKENDS; i++)
        hny_backend_destroy (&s_backends [i]);
    hny_http_destroy (&s_http);
    printf ("fuzz_backends: %ld cases: %ld segments translated, %ld failed, no crash\n",
            cases, s_outcomes [1], s_outcomes [0]);
    if (cases >= 1000 && (s_outcomes [1] < cases / 20 || s_outcomes [0] < cases / 20)) {
        fprintf (stderr, "fuzz_backends: implausible split of outcomes\n");
        return 1;
    }
    return 0;
}
#endif
