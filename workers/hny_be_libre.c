/*  hny_be_libre.c: the `libretranslate` backend type (`POST {url}/translate`;
    shared/backends.md): JSON `{"q":[..],"source","target","format":"text",
    "api_key"?}` answered by `{"translatedText":[..]}`. Self-hosted servers
    set their own batch and character limits (LT_BATCH_LIMIT,
    LT_CHAR_LIMIT); the defaults here are 50 texts and 64 KiB, and a 400
    "exceeds ... limit" halves the request like a 413 (a profile's
    max_texts and max_bytes can fit a server's limits exactly). Errors are `{"error": ".."}`: 400 is
    permanent with the server's message, 403 (key, quota) pauses, 429
    ("Slowdown") is transient. Glossary terms are protected with
    placeholders (hny_glossary.h). */
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
    if (*hny_backend_key (backend))
        json_object_set_new (body, "api_key", json_string (hny_backend_key (backend)));
    req->url = hny_sprintf ("%s/translate", hny_backend_url (backend));
    hny_backend_req_json (req, body);
    json_decref (body);         /* the key's copy in the body is wiped by the dispatch */
    return 0;
}

static hny_seg_class_t
s_classify (long status)
{
    if (status == 403 || status == 401)
        return HNY_SEG_PAUSED;
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return HNY_SEG_TRANSIENT;
    return HNY_SEG_PERMANENT;
}

static void
s_parse (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
         const hny_http_response_t *response)
{
    s_state_t *state = hny_backend_state (backend);
    long status = response->status;
    json_t *root = hny_backend_json (backend, batch, first, count, response);
    if (!root)
        return;
    if (status < 200 || status >= 300) {
        json_t *error = json_object_get (root, "error");
        hny_backend_fail (backend, batch, first, count, s_classify (status), (int) status,
                          "LibreTranslate HTTP %ld: %.200s", status,
                          json_is_string (error) ? json_string_value (error) : "");
        json_decref (root);
        return;
    }
    json_t *items = json_object_get (root, "translatedText");
    if (!json_is_array (items) || json_array_size (items) != count) {
        hny_backend_fail (backend, batch, first, count, HNY_SEG_PERMANENT, 502,
                          "LibreTranslate answered %zu translations for %zu texts",
                          json_is_array (items) ? json_array_size (items)
                          : json_is_string (items) ? 1 : 0, count);
        json_decref (root);
        return;
    }
    for (size_t k = 0; k < count; k++) {
        size_t i = first + k;
        json_t *text = json_array_get (items, k);
        if (!json_is_string (text)) {
            hny_backend_fail (backend, batch, i, 1, HNY_SEG_PERMANENT, 502,
                              "LibreTranslate translation %zu is not a string", k);
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

/* "Invalid request: request (N) exceeds text limit (M)" / "... character limit". */
static int
s_too_large (const hny_http_response_t *response)
{
    return response->status == 400 && response->body && strstr (response->body, "exceeds")
           && strstr (response->body, "limit");
}

const hny_backend_type_t hny_backend_libre = {
    .name = "libretranslate",
    .default_concurrency = 4,
    .default_max_texts = 50,
    .default_timeout_ms = 60000,
    .max_response = 8 * 1024 * 1024,
    .bills = 0,                 /* self-hosted: nothing is billed */
    .check_pair = s_check_pair,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .default_max_bytes = 65536,     /* as the config's table says */
    .init = s_init,
    .fini = s_fini,
    .too_large = s_too_large,
};
