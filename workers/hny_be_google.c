/*  hny_be_google.c: the `google` backend type, Google Cloud Translation v2
    (`POST {url}/language/translate/v2`; shared/backends.md): JSON
    `{"q":[..],"source","target","format":"text"}`, at most 128 strings and
    100 KB packed by UTF-8 bytes. The key goes in a header, never in the
    URL: an OAuth access token ("ya29." ...) as `Authorization: Bearer`, an
    API key as `X-Goog-Api-Key` (Google's documented header for API keys,
    same meaning as `?key=` but kept out of URLs, logs and proxies).

    Google has no glossaries in v2: the profile's terms are replaced by
    placeholders that machine translation keeps, then by their target
    terms. A 403 is read from its reason: a rate limit is transient, a
    daily limit or a refused key pauses the profile. */
#include "hny_backend.h"
#include "hny_glossary.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define S_LANG_MAX 16

typedef struct {
    hny_glossary_t *glossary;           /* NULL when the profile has none */
} s_state_t;

static const char *
s_resolve_url (const char *url, const char *key)
{
    return url ? url : "https://translation.googleapis.com";
}

static int
s_init (hny_backend_t *backend, char **error)
{
    s_state_t *state = hny_calloc (1, sizeof *state);
    hny_backend_set_state (backend, state);
    const char *path = hny_backend_profile (backend)->glossary;
    if (path && *path) {
        char *why = NULL;
        state->glossary = hny_glossary_load (path, &why);
        if (!state->glossary) {
            *error = hny_sprintf ("profile %s: %s", hny_backend_name (backend), why);
            free (why);
            return -1;
        }
    }
    return 0;
}

static void
s_fini (hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    if (state)
        hny_glossary_destroy (&state->glossary);
    free (state);
    hny_backend_set_state (backend, NULL);
}

/* Google takes BCP-47-ish codes as they are ("en", "zh-CN"). */
static int
s_lang_ok (const char *code)
{
    size_t len = code ? strlen (code) : 0;
    if (len < 2 || len > S_LANG_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalpha ((unsigned char) code[i]) && code[i] != '-')
            return 0;
    return 1;
}

static int
s_check_pair (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    if (!s_lang_ok (from) || !s_lang_ok (to)) {
        *reason = hny_sprintf ("%s: unusable language pair \"%.16s\" -> \"%.16s\"",
                               hny_backend_name (backend), from ? from : "", to ? to : "");
        return -1;
    }
    return 0;
}

/* OAuth 2 access tokens from Google start with "ya29."; API keys ("AIza...") do not. */
static int
s_is_token (const char *key)
{
    return strncmp (key, "ya29.", 5) == 0;
}

static int
s_build (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
         hny_backend_req_t *req, char **reason)
{
    s_state_t *state = hny_backend_state (backend);
    json_t *q = json_array ();
    for (size_t i = first; i < first + count; i++) {
        size_t *terms = NULL, nterms = 0;
        char *protected = state->glossary
            ? hny_glossary_protect (state->glossary, hny_batch_src (batch, i),
                                    hny_batch_src_len (batch, i), &terms, &nterms)
            : NULL;
        json_array_append_new (q, json_stringn (protected ? protected : hny_batch_src (batch, i),
                                                protected ? strlen (protected)
                                                          : hny_batch_src_len (batch, i)));
        free (protected);
        free (terms);
    }
    json_t *body = json_pack ("{so ss ss ss}", "q", q, "source", hny_batch_from (batch),
                              "target", hny_batch_to (batch), "format", "text");
    req->url = hny_sprintf ("%s/language/translate/v2", hny_backend_url (backend));
    hny_backend_req_json (req, body);
    json_decref (body);
    const char *key = hny_backend_key (backend);
    if (*key && s_is_token (key))
        hny_backend_req_header (req, "Authorization: Bearer %s", key);
    else if (*key)
        hny_backend_req_header (req, "X-Goog-Api-Key: %s", key);
    return 0;
}

static hny_seg_class_t
s_classify (long status)
{
    return hny_backend_classify_default (status);
}

/* Google's error: {"error":{"code","message","errors":[{"reason"}],"status"}}. */
static void
s_fail (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count, long status,
        json_t *root)
{
    json_t *error = json_object_get (root, "error");
    json_t *message = json_object_get (error, "message");
    json_t *reason = json_object_get (json_array_get (json_object_get (error, "errors"), 0),
                                      "reason");
    const char *msg = json_is_string (message) ? json_string_value (message) : "";
    const char *why = json_is_string (reason) ? json_string_value (reason) : "";
    hny_seg_class_t cls = s_classify (status);
    if (status == 403) {
        /* rateLimitExceeded, userRateLimitExceeded: slow down and retry;
           dailyLimitExceeded, quota, a refused key: stop the profile. */
        if (strstr (why, "RateLimit") || strstr (why, "rateLimit") || strstr (msg, "Rate Limit")
            || strstr (msg, "rate limit"))
            cls = HNY_SEG_TRANSIENT;
        else
            cls = HNY_SEG_PAUSED;
    }
    else if (status == 400 && (strstr (why, "keyInvalid") || strstr (msg, "API key not valid")
                               || strstr (msg, "API_KEY_INVALID")))
        cls = HNY_SEG_PAUSED;
    hny_backend_fail (backend, batch, first, count, cls, (int) status,
                      "Google HTTP %ld %s: %.160s", status, why, msg);
}

static void
s_parse (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
         const hny_http_response_t *response)
{
    s_state_t *state = hny_backend_state (backend);
    json_t *root = hny_backend_json (backend, batch, first, count, response);
    if (!root)
        return;
    if (response->status < 200 || response->status >= 300) {
        s_fail (backend, batch, first, count, response->status, root);
        json_decref (root);
        return;
    }
    json_t *items = json_object_get (json_object_get (root, "data"), "translations");
    if (!json_is_array (items) || json_array_size (items) != count) {
        hny_backend_fail (backend, batch, first, count, HNY_SEG_PERMANENT, 502,
                          "Google answered %zu translations for %zu texts",
                          json_is_array (items) ? json_array_size (items) : 0, count);
        json_decref (root);
        return;
    }
    for (size_t k = 0; k < count; k++) {
        size_t i = first + k;
        json_t *text = json_object_get (json_array_get (items, k), "translatedText");
        if (!json_is_string (text)) {
            hny_backend_fail (backend, batch, i, 1, HNY_SEG_PERMANENT, 502,
                              "Google translation %zu has no \"translatedText\"", k);
            continue;
        }
        size_t *terms = NULL, nterms = 0;
        char *protected = state->glossary
            ? hny_glossary_protect (state->glossary, hny_batch_src (batch, i),
                                    hny_batch_src_len (batch, i), &terms, &nterms)
            : NULL;
        if (protected) {
            char *why = NULL;
            char *restored = hny_glossary_restore (state->glossary, terms, nterms,
                                                   json_string_value (text),
                                                   json_string_length (text), &why);
            if (restored)
                hny_batch_set_tgt (batch, i, restored, strlen (restored));
            else
                hny_backend_fail (backend, batch, i, 1, HNY_SEG_PERMANENT, 502, "%s", why);
            free (restored);
            free (why);
        }
        else
            hny_batch_set_tgt (batch, i, json_string_value (text), json_string_length (text));
        free (protected);
        free (terms);
    }
    json_decref (root);
}

/* 400 INVALID_ARGUMENT for a payload or a list over Google's limits. */
static int
s_too_large (const hny_http_response_t *response)
{
    return response->status == 400 && response->body
           && (strstr (response->body, "too large") || strstr (response->body, "Too many")
               || strstr (response->body, "exceeds"));
}

const hny_backend_type_t hny_backend_google = {
    .name = "google",
    .default_concurrency = 4,
    .default_max_texts = 128,
    .default_timeout_ms = 30000,
    .max_response = 8 * 1024 * 1024,
    .bills = 1,
    .check_pair = s_check_pair,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .default_max_bytes = 100 * 1000,    /* "100 KB"; the test server allows 102400 */
    .resolve_url = s_resolve_url,
    .init = s_init,
    .fini = s_fini,
    .too_large = s_too_large,
};
