/*  ts_google.c: Google Cloud Translation v2 as the test server speaks it:
    POST /language/translate/v2 with a JSON body, the key in ?key=,
    X-Goog-Api-Key or a Bearer token, at most 128 strings and 100 KB, errors
    in Google's {"error":{code,message,errors,status}} shape. */
#include "ts_api.h"

#include "honyaku/util.h"

#include <stdlib.h>
#include <string.h>

#define S_MAX_STRINGS 128
#define S_MAX_BODY (100 * 1024)

static const char *const s_langs[] = {
    "af", "ar", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr",
    "he", "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "nl", "no", "pl", "pt",
    "ro", "ru", "sk", "sl", "sr", "sv", "th", "tl", "tr", "uk", "vi", "zh", "zh-CN", "zh-TW", NULL
};
static const char *const s_known[] = { "q", "source", "target", "format", "model", "cid", NULL };

static void
s_reject (const ts_request_t *req, ts_reply_t *reply, int status, const char *message)
{
    ts_state_violation (req->state, "google %s %s: %d %s", req->method, req->path, status, message);
    ts_reply_error (reply, TS_API_GOOGLE, status, message);
}

/* The key may come as ?key=, X-Goog-Api-Key or Authorization: Bearer. */
static int
s_check_auth (const ts_request_t *req, ts_reply_t *reply)
{
    const char *key = ts_request_query (req, "key");
    if (!key)
        key = ts_request_header (req, "X-Goog-Api-Key");
    const char *auth = ts_request_header (req, "Authorization");
    if (key) {
        if (strcmp (key, req->key) != 0) {
            s_reject (req, reply, 400, "API key not valid. Please pass a valid API key.");
            return -1;
        }
        return 0;
    }
    if (auth && strncmp (auth, "Bearer ", 7) == 0) {
        if (strcmp (auth + 7, req->key) != 0) {
            s_reject (req, reply, 401, "Request had invalid authentication credentials.");
            return -1;
        }
        return 0;
    }
    s_reject (req, reply, 403, "The request is missing a valid API key.");
    return -1;
}

void
ts_google_handle (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->path, "/language/translate/v2") != 0) {
        s_reject (req, reply, 404, "Not found");
        return;
    }
    if (s_check_auth (req, reply) < 0)
        return;
    if (strcmp (req->method, "POST") != 0) {
        s_reject (req, reply, 405, "Method not allowed (this server takes POST with JSON)");
        return;
    }
    if (req->body_len > S_MAX_BODY) {
        s_reject (req, reply, 400, "Request payload size exceeds the limit: 102400 bytes.");
        return;
    }
    if (!ts_request_is_json (req)) {
        s_reject (req, reply, 400, "Content-Type must be application/json");
        return;
    }
    json_t *root = ts_request_json (req, TS_API_GOOGLE, reply);
    if (!root)
        return;
    json_t *q = json_object_get (root, "q");
    json_t *source = json_object_get (root, "source");
    json_t *target = json_object_get (root, "target");
    json_t *format = json_object_get (root, "format");
    json_t *list = NULL;
    json_t *out = NULL;
    const char *key;
    json_t *value;
    size_t i;
    json_object_foreach (root, key, value) {
        if (!ts_lang_in (key, s_known))
            ts_state_violation (req->state, "google: unknown field '%s'", key);
    }

    if (!q) {
        s_reject (req, reply, 400, "Required Text");
        goto done;
    }
    list = json_is_string (q) ? json_pack ("[O]", q) : json_incref (q);
    if (!json_is_array (list) || json_array_size (list) == 0) {
        s_reject (req, reply, 400, "Invalid Value: q must be a string or a non-empty array of strings");
        goto done;
    }
    json_array_foreach (list, i, value)
        if (!json_is_string (value)) {
            s_reject (req, reply, 400, "Invalid Value: q must hold strings");
            goto done;
        }
    if (json_array_size (list) > S_MAX_STRINGS) {
        s_reject (req, reply, 400, "Too many text segments");
        goto done;
    }
    if (!target || !json_is_string (target)) {
        s_reject (req, reply, 400, "Required Target language");
        goto done;
    }
    if (!ts_lang_in (json_string_value (target), s_langs)
        || (source && (!json_is_string (source) || !ts_lang_in (json_string_value (source), s_langs)))) {
        s_reject (req, reply, 400, "Invalid Value");
        goto done;
    }
    if (format && (!json_is_string (format) || (strcmp (json_string_value (format), "text")
                                                && strcmp (json_string_value (format), "html")))) {
        s_reject (req, reply, 400, "Invalid Value: format");
        goto done;
    }
    /* Not an API error, but a client bug: Google then treats plain text as
       HTML and answers &#39; for apostrophes. */
    if (!format)
        ts_state_violation (req->state, "google: 'format' missing (defaults to html; plain text must say \"text\")");

    ts_faults_t faults;
    ts_fault_t fault = ts_state_draw_fault (req->state, TS_API_GOOGLE, &faults);
    if (ts_fault_reply (reply, TS_API_GOOGLE, fault, &faults))
        goto done;

    uint64_t chars = 0;
    json_array_foreach (list, i, value)
        chars += ts_codepoints (json_string_value (value));
    ts_state_bill (req->state, TS_API_GOOGLE, json_array_size (list), chars, fault);

    ts_markup_t markup = (format && strcmp (json_string_value (format), "text") == 0)
                       ? TS_MARKUP_NONE : TS_MARKUP_HTML_ESCAPE;
    out = json_array ();
    json_array_foreach (list, i, value) {
        const char *text = json_string_value (value);
        char *translated = ts_xlate (text, json_string_value (target), NULL, markup);
        if (fault == TS_FAULT_DIGITS)
            ts_xlate_mistake (translated);
        json_t *item = json_pack ("{ss}", "translatedText", translated);
        /* Google reports the detected language only when it detected it. */
        if (!source)
            json_object_set_new (item, "detectedSourceLanguage", json_string (ts_detect_lang (text)));
        json_array_append_new (out, item);
        free (translated);
    }
    if (fault == TS_FAULT_WRONG_COUNT) {
        if (json_array_size (out) > 1)
            json_array_remove (out, json_array_size (out) - 1);
        else
            json_array_append_new (out, json_deep_copy (json_array_get (out, 0)));
    }
    ts_reply_json (reply, 200, json_pack ("{s{so}}", "data", "translations", out));
    out = NULL;
    ts_fault_finish (reply, fault, &faults);
done:
    json_decref (out);
    json_decref (list);
    json_decref (root);
}
