/*  hny_be_common.c: the pieces the HTTP backend types share (glossary
    state, language checks, reading JSON answers and their translations);
    see hny_be_common.h for the classification of unusable answers. */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define S_LANG_MAX 16 /* bytes of a language code */

/* The state of a type whose only state is the glossary. */
typedef struct {
    hny_glossary_t *glossary; /* NULL when the profile has none */
} s_state_t;

int
hny_be_glossary_load (hny_backend_t *backend, hny_glossary_t **glossary, char **error)
{
    *glossary = NULL;
    const char *path = hny_backend_profile (backend)->glossary;
    if (!path || !*path)
        return 0;
    char *why = NULL;
    *glossary = hny_glossary_load (path, &why);
    if (!*glossary) {
        *error = hny_sprintf ("profile %s: %s", hny_backend_name (backend), why);
        free (why);
        return -1;
    }
    return 0;
}

int
hny_be_glossary_init (hny_backend_t *backend, char **error)
{
    s_state_t *state = hny_calloc (1, sizeof *state);
    hny_backend_set_state (backend, state);
    return hny_be_glossary_load (backend, &state->glossary, error);
}

void
hny_be_glossary_fini (hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    if (state)
        hny_glossary_destroy (&state->glossary);
    free (state);
    hny_backend_set_state (backend, NULL);
}

hny_glossary_t *
hny_be_glossary (const hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    return state ? state->glossary : NULL;
}

/* 2 to S_LANG_MAX letters, '-' and the characters of extra. */
static int
s_lang_ok (const char *code, const char *extra)
{
    size_t len = code ? strlen (code) : 0;
    if (len < 2 || len > S_LANG_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalpha ((unsigned char)code[i]) && code[i] != '-' && !strchr (extra, code[i]))
            return 0;
    return 1;
}

static int
s_check_pair (hny_backend_t *backend, const char *from, const char *to, const char *extra,
              char **reason)
{
    if (!s_lang_ok (from, extra) || !s_lang_ok (to, extra)) {
        *reason = hny_sprintf ("%s: unusable language pair \"%.16s\" -> \"%.16s\"",
                               hny_backend_name (backend), from ? from : "", to ? to : "");
        return -1;
    }
    return 0;
}

int
hny_be_check_pair_bcp47 (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    return s_check_pair (backend, from, to, "", reason);
}

int
hny_be_check_pair_loose (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    return s_check_pair (backend, from, to, "_", reason);
}

json_t *
hny_be_parse_json (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                   const hny_http_response_t *response)
{
    long status = response->status;
    int ok = status >= 200 && status < 300;
    hny_seg_class_t cls = ok ? HNY_SEG_TRANSIENT : hny_backend_type (backend)->classify (status);
    int code = ok ? HNY_BE_UNUSABLE : (int)status;
    const char *body = response->body ? response->body : "";
    size_t size = response->body ? response->body_size : 0;
    size_t lead = 0;
    while (lead < size && isspace ((unsigned char)body[lead]))
        lead++;
    const char *what = NULL;
    json_error_t jerr;
    json_t *root = NULL;
    if (lead == size)
        what = "an empty body";
    else if (body[lead] == '<')
        what = "an HTML page instead of JSON (a proxy or gateway?)";
    else if (!hny_utf8_valid (body, size))
        what = "a body that is not valid UTF-8";
    else {
        root = json_loadb (body, size, 0, &jerr);
        if (json_is_object (root))
            return root;
    }
    if (what)
        hny_backend_fail (backend, batch, first, count, cls, code, "HTTP %ld with %s", status,
                          what);
    else
        hny_backend_fail (backend, batch, first, count, cls, code,
                          "HTTP %ld with a body that is not a JSON object: %s", status,
                          root ? "another JSON value" : jerr.text);
    json_decref (root);
    return NULL;
}

int
hny_be_check_items (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                    const json_t *items, const char *service)
{
    if (json_is_array (items) && json_array_size (items) == count)
        return 0;
    size_t got = json_is_array (items) ? json_array_size (items) : json_is_string (items) ? 1 : 0;
    hny_backend_fail (backend, batch, first, count, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                      "%s answered %zu translations for %zu texts", service, got, count);
    return -1;
}

/* The segment's src with placeholders for the glossary's terms, or NULL
   when no term occurs; *terms and *nterms as hny_glossary_protect. */
static char *
s_protect (const hny_glossary_t *glossary, const hny_batch_t *batch, size_t index, size_t **terms,
           size_t *nterms)
{
    *terms = NULL;
    *nterms = 0;
    if (!glossary)
        return NULL;
    return hny_glossary_protect (glossary, hny_batch_src (batch, index),
                                 hny_batch_src_len (batch, index), terms, nterms);
}

json_t *
hny_be_texts (const hny_glossary_t *glossary, const hny_batch_t *batch, size_t first, size_t count)
{
    json_t *texts = json_array ();
    for (size_t i = first; i < first + count; i++) {
        size_t *terms, nterms;
        char *protected = s_protect (glossary, batch, i, &terms, &nterms);
        json_array_append_new (texts, protected ? json_string (protected)
                                                : json_stringn (hny_batch_src (batch, i),
                                                                hny_batch_src_len (batch, i)));
        free (protected);
        free (terms);
    }
    return texts;
}

int
hny_be_take_text (hny_backend_t *backend, const hny_glossary_t *glossary, hny_batch_t *batch,
                  size_t index, size_t k, const json_t *text, const char *service)
{
    if (!json_is_string (text)) {
        hny_backend_fail (backend, batch, index, 1, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "%s translation %zu has no text", service, k);
        return -1;
    }
    size_t *terms, nterms;
    char *protected = s_protect (glossary, batch, index, &terms, &nterms);
    if (!protected)
        hny_batch_set_tgt (batch, index, json_string_value (text), json_string_length (text));
    else {
        char *why = NULL;
        char *restored = hny_glossary_restore (glossary, terms, nterms, json_string_value (text),
                                               json_string_length (text), &why);
        if (restored)
            hny_batch_set_tgt (batch, index, restored, strlen (restored));
        else
            hny_backend_fail (backend, batch, index, 1, HNY_SEG_PERMANENT, 502, "%s", why);
        free (restored);
        free (why);
        free (protected);
        free (terms);
    }
    return hny_batch_class (batch, index) == HNY_SEG_OK ? 0 : -1;
}
