/*  ts_deepl.c: DeepL API v2 as the test server speaks it: /v2/translate
    (JSON only, key in the DeepL-Auth-Key header, at most 50 texts and
    128 KiB), /v2/usage and /v2/glossaries (create with TSV entries and
    the spec's lower-case glossary languages, list, delete), with the
    quota answered by 456. */
#include "ts_api.h"

#include "honyaku/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MAX_TEXTS 50
#define S_MAX_BODY (128 * 1024)

static const char *const s_source_langs[] = {
    "AR", "BG", "CS", "DA", "DE", "EL", "EN", "ES", "ET", "FI", "FR", "HU", "ID", "IT", "JA",
    "KO", "LT", "LV", "NB", "NL", "PL", "PT", "RO", "RU", "SK", "SL", "SV", "TR", "UK", "ZH", NULL
};
static const char *const s_target_langs[] = {
    "AR", "BG", "CS", "DA", "DE", "EL", "EN", "EN-GB", "EN-US", "ES", "ET", "FI", "FR", "HU", "ID",
    "IT", "JA", "KO", "LT", "LV", "NB", "NL", "PL", "PT", "PT-BR", "PT-PT", "RO", "RU", "SK", "SL",
    "SV", "TR", "UK", "ZH", "ZH-HANS", "ZH-HANT", NULL
};
/* GlossarySourceLanguage / GlossaryTargetLanguage of DeepL's OpenAPI spec:
   lower case only (the spec's enum; its request validator refuses "EN"). */
static const char *const s_glossary_langs[] = {
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hu", "id", "it", "ja",
    "ko", "lt", "lv", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "th", "tr", "uk", "vi",
    "zh", NULL
};

static int
s_glossary_lang_ok (const char *lang)
{
    for (size_t i = 0; s_glossary_langs[i]; i++)
        if (strcmp (lang, s_glossary_langs[i]) == 0)
            return 1;
    return 0;
}

/* Parameters of /v2/translate; anything else is recorded as a violation
   (DeepL ignores unknown parameters, a client that sends them has a bug). */
static const char *const s_known[] = {
    "text", "target_lang", "source_lang", "context", "split_sentences", "preserve_formatting",
    "formality", "glossary_id", "tag_handling", "ignore_tags", "non_splitting_tags",
    "splitting_tags", "outline_detection", "show_billed_characters", "model_type", NULL
};

/* Shortcut: record a violation and answer status with message. */
static void
s_reject (const ts_request_t *req, ts_reply_t *reply, int status, const char *message)
{
    ts_state_violation (req->state, "deepl %s %s: %d %s", req->method, req->path, status, message);
    ts_reply_error (reply, TS_API_DEEPL, status, message);
}

/* Key in the header, never in the URL. Returns 0, or -1 with the reply set. */
static int
s_check_auth (const ts_request_t *req, ts_reply_t *reply)
{
    if (ts_request_query (req, "auth_key")) {
        s_reject (req, reply, 403, "Authentication via the auth_key query parameter is not supported");
        return -1;
    }
    const char *auth = ts_request_header (req, "Authorization");
    const char *prefix = "DeepL-Auth-Key ";
    if (!auth || strncmp (auth, prefix, strlen (prefix)) != 0
        || strcmp (auth + strlen (prefix), req->key) != 0) {
        s_reject (req, reply, 403, "Authorization failure, check auth_key");
        return -1;
    }
    return 0;
}

/* Check the common shape of a POST with a JSON body. Returns the parsed body
   (caller owns) or NULL with the reply set. */
static json_t *
s_json_post (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->method, "POST") != 0) {
        s_reject (req, reply, 405, "Method not allowed");
        return NULL;
    }
    if (req->body_len > S_MAX_BODY) {
        s_reject (req, reply, 413, "Request Entity Too Large");
        return NULL;
    }
    if (!ts_request_is_json (req)) {
        s_reject (req, reply, 400, "Content-Type must be application/json (this server takes no forms)");
        return NULL;
    }
    return ts_request_json (req, TS_API_DEEPL, reply);
}

static const char *
s_opt_string (json_t *root, const char *name, int *bad)
{
    json_t *v = json_object_get (root, name);
    if (!v)
        return NULL;
    if (!json_is_string (v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value (v);
}

/* The language part of a DeepL code: "EN-US" -> compares as "EN". */
static int
s_same_base (const char *glossary_lang, const char *lang)
{
    size_t n = strcspn (lang, "-");
    return strlen (glossary_lang) == n && strncasecmp (glossary_lang, lang, n) == 0;
}

static void
s_translate (const ts_request_t *req, ts_reply_t *reply)
{
    json_t *root = s_json_post (req, reply);
    if (!root)
        return;
    ts_glossary_t *glossary = NULL;
    json_t *out = NULL;
    int bad = 0;

    const char *key;
    json_t *value;
    json_object_foreach (root, key, value) {
        if (!ts_lang_in (key, s_known))
            ts_state_violation (req->state, "deepl /v2/translate: unknown parameter '%s'", key);
    }
    json_t *texts = json_object_get (root, "text");
    const char *target = s_opt_string (root, "target_lang", &bad);
    const char *source = s_opt_string (root, "source_lang", &bad);
    const char *context = s_opt_string (root, "context", &bad);
    const char *split = s_opt_string (root, "split_sentences", &bad);
    const char *formality = s_opt_string (root, "formality", &bad);
    const char *tags = s_opt_string (root, "tag_handling", &bad);
    const char *glossary_id = s_opt_string (root, "glossary_id", &bad);
    json_t *show_billed = json_object_get (root, "show_billed_characters");
    json_t *preserve = json_object_get (root, "preserve_formatting");
    json_t *ignore = json_object_get (root, "ignore_tags");
    (void) context;    /* accepted, never translated or billed */

    if (bad) {
        s_reject (req, reply, 400, "Invalid request: a string parameter has another type");
        goto done;
    }
    if (!texts) {
        s_reject (req, reply, 400, "Parameter 'text' not specified.");
        goto done;
    }
    if (!json_is_array (texts) || json_array_size (texts) == 0) {
        s_reject (req, reply, 400, "Parameter 'text' must be a non-empty array of strings.");
        goto done;
    }
    if (json_array_size (texts) > S_MAX_TEXTS) {
        s_reject (req, reply, 413, "Request Entity Too Large: at most 50 texts per request");
        goto done;
    }
    size_t i;
    json_array_foreach (texts, i, value) {
        if (!json_is_string (value)) {
            s_reject (req, reply, 400, "Parameter 'text' must be a non-empty array of strings.");
            goto done;
        }
    }
    if (!target) {
        s_reject (req, reply, 400, "Value for 'target_lang' not supported.");
        goto done;
    }
    if (!ts_lang_in (target, s_target_langs)) {
        s_reject (req, reply, 400, "Value for 'target_lang' not supported.");
        goto done;
    }
    if (ts_streq_ci (target, "EN") || ts_streq_ci (target, "PT"))
        ts_state_violation (req->state, "deepl /v2/translate: target_lang '%s' is deprecated, "
                            "say EN-US/EN-GB or PT-BR/PT-PT", target);
    if (source && !ts_lang_in (source, s_source_langs)) {
        s_reject (req, reply, 400, "Value for 'source_lang' not supported.");
        goto done;
    }
    if (split && strcmp (split, "0") && strcmp (split, "1") && strcmp (split, "nonewlines")) {
        s_reject (req, reply, 400, "Value for 'split_sentences' not supported.");
        goto done;
    }
    if (formality && strcmp (formality, "default") && strcmp (formality, "more")
        && strcmp (formality, "less") && strcmp (formality, "prefer_more")
        && strcmp (formality, "prefer_less")) {
        s_reject (req, reply, 400, "Value for 'formality' not supported.");
        goto done;
    }
    if (tags && strcmp (tags, "xml") && strcmp (tags, "html")) {
        s_reject (req, reply, 400, "Value for 'tag_handling' not supported.");
        goto done;
    }
    if ((show_billed && !json_is_boolean (show_billed)) || (preserve && !json_is_boolean (preserve))) {
        s_reject (req, reply, 400, "Invalid request: expected a boolean");
        goto done;
    }
    if (ignore && !json_is_array (ignore)) {
        s_reject (req, reply, 400, "Invalid request: 'ignore_tags' must be an array of strings");
        goto done;
    }
    if (glossary_id) {
        if (!source) {
            s_reject (req, reply, 400, "Use of a glossary requires the source_lang parameter to be set.");
            goto done;
        }
        glossary = ts_state_glossary_get (req->state, glossary_id);
        if (!glossary && ts_state_glossary_issued (req->state, glossary_id)) {
            /* deleted since (by another client, say): not the client's bug */
            ts_reply_error (reply, TS_API_DEEPL, 404, "Glossary not found");
            goto done;
        }
        if (!glossary) {
            s_reject (req, reply, 404, "Glossary not found");
            goto done;
        }
        if (!s_same_base (glossary->source_lang, source) || !s_same_base (glossary->target_lang, target)) {
            s_reject (req, reply, 400, "Glossary language pair does not match the request");
            goto done;
        }
    }

    ts_faults_t faults;
    ts_fault_t fault = ts_state_draw_fault (req->state, TS_API_DEEPL, &faults);
    if (ts_fault_reply (reply, TS_API_DEEPL, fault, &faults))
        goto done;

    uint64_t chars = 0;
    json_array_foreach (texts, i, value)
        chars += ts_codepoints (json_string_value (value));
    if (ts_state_bill (req->state, TS_API_DEEPL, json_array_size (texts), chars, fault) < 0) {
        ts_reply_error (reply, TS_API_DEEPL, 456, "Quota exceeded. The character limit has been reached.");
        goto done;
    }

    out = json_array ();
    ts_markup_t markup = tags ? TS_MARKUP_TAGS : TS_MARKUP_NONE;
    json_array_foreach (texts, i, value) {
        const char *text = json_string_value (value);
        char *translated = ts_xlate (text, target, glossary, markup);
        if (fault == TS_FAULT_DIGITS)
            ts_xlate_mistake (translated);
        char *detected = hny_strdup (source ? source : ts_detect_lang (text));
        for (char *p = detected; *p; p++)
            *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        json_t *item = json_pack ("{ssss}", "detected_source_language", detected, "text", translated);
        /* Real DeepL reports billed characters only when asked to. */
        if (json_is_true (show_billed))
            json_object_set_new (item, "billed_characters",
                                 json_integer ((json_int_t) ts_codepoints (text)));
        json_array_append_new (out, item);
        free (translated);
        free (detected);
    }
    if (fault == TS_FAULT_WRONG_COUNT) {
        if (json_array_size (out) > 1)
            json_array_remove (out, json_array_size (out) - 1);
        else
            json_array_append_new (out, json_deep_copy (json_array_get (out, 0)));
    }
    ts_reply_json (reply, 200, json_pack ("{so}", "translations", out));
    out = NULL;
    ts_fault_finish (reply, fault, &faults);
done:
    json_decref (out);
    ts_glossary_destroy (&glossary);
    json_decref (root);
}

static void
s_usage (const ts_request_t *req, ts_reply_t *reply)
{
    if (strcmp (req->method, "GET") != 0 && strcmp (req->method, "POST") != 0) {
        s_reject (req, reply, 405, "Method not allowed");
        return;
    }
    uint64_t count, limit;
    ts_state_deepl_usage (req->state, &count, &limit);
    ts_reply_json (reply, 200, json_pack ("{sIsI}", "character_count", (json_int_t) count,
                                          "character_limit", (json_int_t) limit));
}

static void
s_glossary_create (const ts_request_t *req, ts_reply_t *reply)
{
    json_t *root = s_json_post (req, reply);
    if (!root)
        return;
    int bad = 0;
    const char *name = s_opt_string (root, "name", &bad);
    const char *source = s_opt_string (root, "source_lang", &bad);
    const char *target = s_opt_string (root, "target_lang", &bad);
    const char *entries = s_opt_string (root, "entries", &bad);
    const char *format = s_opt_string (root, "entries_format", &bad);
    const char *err = NULL;
    if (bad || !name || !source || !target || !entries || !format)
        s_reject (req, reply, 400, "Missing or invalid argument: name, source_lang, target_lang, "
                  "entries and entries_format are required strings");
    else if (strcmp (format, "tsv") != 0)
        s_reject (req, reply, 400, "Value for 'entries_format' not supported (this server takes tsv)");
    else if (!s_glossary_lang_ok (source) || !s_glossary_lang_ok (target))
        s_reject (req, reply, 400, "source_lang and target_lang must be one of the spec's"
                  " lower-case glossary languages");
    else if (strcmp (source, target) == 0)
        s_reject (req, reply, 400, "Unsupported glossary language pair");
    else {
        ts_glossary_t *glossary = ts_glossary_parse_tsv (entries, &err);
        if (!glossary)
            s_reject (req, reply, 400, err);
        else {
            glossary->name = hny_strdup (name);
            glossary->source_lang = hny_strdup (source);
            glossary->target_lang = hny_strdup (target);
            size_t count = glossary->count;
            char *id = ts_state_glossary_add (req->state, &glossary);
            if (!id)
                ts_reply_error (reply, TS_API_DEEPL, 400, "Too many glossaries");
            else
                ts_reply_json (reply, 201,
                               json_pack ("{sssssbsssssssI}", "glossary_id", id, "name", name,
                                          "ready", 1, "source_lang", source, "target_lang", target,
                                          "creation_time", "2026-01-01T00:00:00.000000Z",
                                          "entry_count", (json_int_t) count));
            free (id);
            ts_glossary_destroy (&glossary);
        }
    }
    json_decref (root);
}

static json_t *
s_glossary_info (const ts_glossary_t *g)
{
    return json_pack ("{sssssbsssssssI}", "glossary_id", g->id, "name", g->name ? g->name : "",
                      "ready", 1, "source_lang", g->source_lang, "target_lang", g->target_lang,
                      "creation_time", "2026-01-01T00:00:00.000000Z",
                      "entry_count", (json_int_t) g->count);
}

/* GET /v2/glossaries: every glossary, no entries. */
static void
s_glossary_list (const ts_request_t *req, ts_reply_t *reply)
{
    size_t count = 0;
    ts_glossary_t **list = ts_state_glossary_list (req->state, &count);
    json_t *out = json_array ();
    for (size_t i = 0; i < count; i++) {
        json_array_append_new (out, s_glossary_info (list[i]));
        ts_glossary_destroy (&list[i]);
    }
    free (list);
    ts_reply_json (reply, 200, json_pack ("{so}", "glossaries", out));
}

/* GET or DELETE /v2/glossaries/{id}. */
static void
s_glossary_one (const ts_request_t *req, ts_reply_t *reply, const char *id)
{
    if (strcmp (req->method, "DELETE") == 0) {
        if (req->body_len > 0)
            ts_state_violation (req->state, "deepl DELETE %s: a body (%zu bytes) on a DELETE",
                                req->path, req->body_len);
        if (ts_state_glossary_remove (req->state, id) != 0)
            ts_reply_error (reply, TS_API_DEEPL, 404, "Glossary not found");
        else {
            ts_reply_clear (reply);
            reply->status = 204;
            reply->content_type = "application/json";
        }
        return;
    }
    if (strcmp (req->method, "GET") != 0) {
        s_reject (req, reply, 405, "Method not allowed");
        return;
    }
    ts_glossary_t *g = ts_state_glossary_get (req->state, id);
    if (!g)
        ts_reply_error (reply, TS_API_DEEPL, 404, "Glossary not found");
    else
        ts_reply_json (reply, 200, s_glossary_info (g));
    ts_glossary_destroy (&g);
}

void
ts_deepl_handle (const ts_request_t *req, ts_reply_t *reply)
{
    if (s_check_auth (req, reply) < 0)
        return;
    if (strcmp (req->path, "/v2/translate") == 0)
        s_translate (req, reply);
    else if (strcmp (req->path, "/v2/usage") == 0)
        s_usage (req, reply);
    else if (strcmp (req->path, "/v2/glossaries") == 0 && strcmp (req->method, "GET") == 0)
        s_glossary_list (req, reply);
    else if (strcmp (req->path, "/v2/glossaries") == 0)
        s_glossary_create (req, reply);
    else if (strncmp (req->path, "/v2/glossaries/", 15) == 0 && req->path[15]
             && !strchr (req->path + 15, '/'))
        s_glossary_one (req, reply, req->path + 15);
    else
        s_reject (req, reply, 404, "Not found");
}
