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
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *
s_resolve_url (const char *url, const char *key)
{
    return url ? url : "https://translation.googleapis.com";
}

/* OAuth 2 access tokens from Google start with "ya29."; API keys ("AIza...") do not. */
static int
s_is_token (const char *key)
{
    return strncmp (key, "ya29.", 5) == 0;
}

/* Google names Chinese by region ("zh-CN" or "zh", "zh-TW"), not by
   script: the canonical "zh-Hant" and "zh-Hans" (and their regional forms)
   are sent as those; every other BCP 47 tag goes as it is. */
static const char *
s_lang (const char *code)
{
    if (strncasecmp (code, "zh-Han", 6) != 0 || !code[6] || (code[7] && code[7] != '-'))
        return code;
    if (code[6] == 't' || code[6] == 'T')
        return "zh-TW";
    return code[6] == 's' || code[6] == 'S' ? "zh-CN" : code;
}

static int
s_build (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
         hny_backend_req_t *req, char **reason)
{
    hny_buf_t body = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    hny_buf_adds (&body, "{");
    hny_json_put_key (&body, "q", 1);
    hny_be_put_texts (&body, hny_be_glossary (backend), batch, first, count, 0);
    hny_json_put_member (&body, "source", s_lang (hny_batch_from (batch)), 0);
    hny_json_put_member (&body, "target", s_lang (hny_batch_to (batch)), 0);
    hny_json_put_member (&body, "format", "text", 0);
    hny_buf_adds (&body, "}");
    req->url = hny_sprintf ("%s/language/translate/v2", hny_backend_url (backend));
    hny_backend_req_json_text (req, &body);
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
    json_t *root = hny_be_parse_json (backend, batch, first, count, response);
    if (!root)
        return;
    if (response->status < 200 || response->status >= 300) {
        s_fail (backend, batch, first, count, response->status, root);
        json_decref (root);
        return;
    }
    json_t *items = json_object_get (json_object_get (root, "data"), "translations");
    if (hny_be_check_items (backend, batch, first, count, items, "Google") == 0)
        for (size_t k = 0; k < count; k++)
            hny_be_take_text (backend, hny_be_glossary (backend), batch, first + k, k,
                              json_object_get (json_array_get (items, k), "translatedText"),
                              "Google", 0);
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
    .check_pair = hny_be_check_pair_bcp47,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .resolve_url = s_resolve_url,
    .init = hny_be_glossary_init,
    .fini = hny_be_glossary_fini,
    .local = hny_be_glossary_local,
    .too_large = s_too_large,
};
