/*  ts_libre.c: LibreTranslate as the test server speaks it: POST /translate
    with a JSON body (q a string or an array), the server's batch and
    character limits, api_key in the body, errors as {"error": ".."};
    GET /languages. */
#include "ts_api.h"

#include "honyaku/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_langs[] = {
    "ar", "de", "en", "es", "fr", "hi", "it", "ja", "ko", "nl", "pl", "pt", "ru", "sv", "tr",
    "uk", "zh", NULL
};
static const char *const s_known[] = { "q", "source", "target", "format", "api_key", "alternatives", NULL };

static void
s_reject (const ts_request_t *req, ts_reply_t *reply, int status, const char *message)
{
    ts_state_violation (req->state, "libre %s %s: %d %s", req->method, req->path, status, message);
    ts_reply_error (reply, TS_API_LIBRE, status, message);
}

static void
s_languages (const ts_request_t *req, ts_reply_t *reply)
{
    json_t *targets = json_array ();
    for (size_t i = 0; s_langs[i]; i++)
        json_array_append_new (targets, json_string (s_langs[i]));
    json_t *list = json_array ();
    for (size_t i = 0; s_langs[i]; i++)
        json_array_append_new (list, json_pack ("{sssssO}", "code", s_langs[i], "name", s_langs[i],
                                                "targets", targets));
    json_decref (targets);
    ts_reply_json (reply, 200, list);
}

static void
s_translate (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->method, "POST") != 0) {
        s_reject (req, reply, 405, "Method not allowed");
        return;
    }
    if (!ts_request_is_json (req)) {
        s_reject (req, reply, 400, "Content-Type must be application/json (this server takes no forms)");
        return;
    }
    json_t *root = ts_request_json (req, TS_API_LIBRE, reply);
    if (!root)
        return;
    json_t *q = json_object_get (root, "q");
    json_t *source = json_object_get (root, "source");
    json_t *target = json_object_get (root, "target");
    json_t *format = json_object_get (root, "format");
    json_t *key = json_object_get (root, "api_key");
    json_t *list = NULL;
    json_t *out = NULL;
    json_t *detected = NULL;
    char msg[160];
    const char *name;
    json_t *value;
    size_t i;
    json_object_foreach (root, name, value) {
        if (!ts_lang_in (name, s_known))
            ts_state_violation (req->state, "libre: unknown field '%s'", name);
    }
    if (key && (!json_is_string (key) || strcmp (json_string_value (key), req->key) != 0)) {
        s_reject (req, reply, 403, "Invalid API key");
        goto done;
    }
    if (!key && ts_api_config.libre_require_key) {
        s_reject (req, reply, 403, "Visit https://portal.libretranslate.com to get an API key");
        goto done;
    }
    if (!q) {
        s_reject (req, reply, 400, "Invalid request: missing q parameter");
        goto done;
    }
    if (!source) {
        s_reject (req, reply, 400, "Invalid request: missing source parameter");
        goto done;
    }
    if (!target) {
        s_reject (req, reply, 400, "Invalid request: missing target parameter");
        goto done;
    }
    int batch = json_is_array (q);
    list = batch ? json_incref (q) : json_pack ("[O]", q);
    json_array_foreach (list, i, value)
        if (!json_is_string (value)) {
            s_reject (req, reply, 400, "Invalid request: q must be a string or an array of strings");
            goto done;
        }
    if (batch && ts_api_config.libre_batch_limit > 0
        && json_array_size (list) > (size_t) ts_api_config.libre_batch_limit) {
        snprintf (msg, sizeof msg, "Invalid request: request (%zu) exceeds text limit (%d)",
                  json_array_size (list), ts_api_config.libre_batch_limit);
        s_reject (req, reply, 400, msg);
        goto done;
    }
    uint64_t chars = 0;
    json_array_foreach (list, i, value)
        chars += ts_codepoints (json_string_value (value));
    if (ts_api_config.libre_char_limit > 0 && chars > (uint64_t) ts_api_config.libre_char_limit) {
        snprintf (msg, sizeof msg, "Invalid request: request (%llu) exceeds character limit (%d)",
                  (unsigned long long) chars, ts_api_config.libre_char_limit);
        s_reject (req, reply, 400, msg);
        goto done;
    }
    if (!json_is_string (source)
        || (strcmp (json_string_value (source), "auto") && !ts_lang_in (json_string_value (source), s_langs))) {
        snprintf (msg, sizeof msg, "%.60s is not supported", json_is_string (source) ? json_string_value (source) : "source");
        s_reject (req, reply, 400, msg);
        goto done;
    }
    if (!json_is_string (target) || !ts_lang_in (json_string_value (target), s_langs)) {
        snprintf (msg, sizeof msg, "%.60s is not supported", json_is_string (target) ? json_string_value (target) : "target");
        s_reject (req, reply, 400, msg);
        goto done;
    }
    if (format && (!json_is_string (format) || (strcmp (json_string_value (format), "text")
                                                && strcmp (json_string_value (format), "html")))) {
        s_reject (req, reply, 400, "Invalid request: format must be text or html");
        goto done;
    }

    ts_faults_t faults;
    ts_fault_t fault = ts_state_draw_fault (req->state, TS_API_LIBRE, &faults);
    if (ts_fault_reply (reply, TS_API_LIBRE, fault, &faults))
        goto done;
    ts_state_bill (req->state, TS_API_LIBRE, json_array_size (list), chars, fault);

    int autodetect = strcmp (json_string_value (source), "auto") == 0;
    ts_markup_t markup = (format && strcmp (json_string_value (format), "html") == 0)
                       ? TS_MARKUP_TAGS : TS_MARKUP_NONE;
    out = json_array ();
    detected = json_array ();
    json_array_foreach (list, i, value) {
        const char *text = json_string_value (value);
        char *translated = ts_xlate (text, json_string_value (target), NULL, markup);
        if (fault == TS_FAULT_DIGITS)
            ts_xlate_mistake (translated);
        json_array_append_new (out, json_string (translated));
        json_array_append_new (detected, json_pack ("{sfss}", "confidence", 90.0, "language",
                                                    ts_detect_lang (text)));
        free (translated);
    }
    if (fault == TS_FAULT_WRONG_COUNT) {
        if (json_array_size (out) > 1)
            json_array_remove (out, json_array_size (out) - 1);
        else
            json_array_append_new (out, json_deep_copy (json_array_get (out, 0)));
        batch = 1;   /* a list where one string was due */
    }
    json_t *answer = json_object ();
    json_object_set (answer, "translatedText", batch ? out : json_array_get (out, 0));
    if (autodetect)
        json_object_set (answer, "detectedLanguage", batch ? detected : json_array_get (detected, 0));
    ts_reply_json (reply, 200, answer);
    ts_fault_finish (reply, fault, &faults);
done:
    json_decref (detected);
    json_decref (out);
    json_decref (list);
    json_decref (root);
}

void
ts_libre_handle (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->path, "/translate") == 0)
        s_translate (req, reply);
    else if (strcmp (req->path, "/languages") == 0 && strcmp (req->method, "GET") == 0)
        s_languages (req, reply);
    else
        s_reject (req, reply, 404, "Not found");
}
