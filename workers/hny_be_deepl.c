/*  hny_be_deepl.c: the `deepl` backend type, DeepL API v2
    (`POST {url}/v2/translate`; shared/backends.md). JSON bodies of at most
    50 texts and 128 KiB packed by UTF-8 bytes, the key in an
    `Authorization: DeepL-Auth-Key` header only, billed characters as DeepL
    reports them. A request shares one `context`, so the dispatch groups
    only segments with the same context (shared_context): every segment is
    translated with exactly its own context, never a neighbour's; callers
    that want big batches give the segments of an article one context.

    A profile glossary is created on the server once per language pair
    (`POST /v2/glossaries`, TSV) and sent as `glossary_id`; when that fails
    (pair without glossary support, server error) the terms are protected
    with placeholders instead (hny_glossary.h). */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define S_LANG_MAX   16                 /* bytes of a language code */
#define S_PAIRS_MAX  64                 /* glossaries per backend */

typedef struct {
    char from[S_LANG_MAX + 1], to[S_LANG_MAX + 1];  /* as the task names them */
    char *id;                           /* glossary_id; NULL: use placeholders */
} s_pair_t;

typedef struct {
    hny_glossary_t *glossary;           /* NULL when the profile has none */
    s_pair_t pairs[S_PAIRS_MAX];
    size_t pair_count;
} s_state_t;

/* DeepL's spelling of a language: upper case; sources without a variant
   ("en-GB" -> "EN"), targets EN -> EN-US and PT -> PT-PT (the bare codes
   are deprecated as targets). Returns 0, or -1 for an unusable code. */
static int
s_lang (const char *code, int target, char *out)
{
    size_t len = code ? strlen (code) : 0;
    if (len < 2 || len > S_LANG_MAX - 3)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = code[i] == '_' ? '-' : code[i];
        if (!isalpha ((unsigned char) c) && c != '-')
            return -1;
        out[i] = (char) toupper ((unsigned char) c);
    }
    out[len] = '\0';
    if (!target)
        out[strcspn (out, "-")] = '\0';
    else if (strcmp (out, "EN") == 0)
        strcpy (out, "EN-US");
    else if (strcmp (out, "PT") == 0)
        strcpy (out, "PT-PT");
    return 0;
}

#define S_URL_PRO  "https://api.deepl.com"
#define S_URL_FREE "https://api-free.deepl.com"

/* Free-plan keys end in ":fx" and only work on the free API. The config
   fills in the pro URL when the profile sets none, so the pro URL (with
   or without a slash) with a free key also means the free API. */
static const char *
s_resolve_url (const char *url, const char *key)
{
    size_t len = strlen (key);
    int free_key = len >= 3 && strcmp (key + len - 3, ":fx") == 0;
    if (!url || strcmp (url, S_URL_PRO) == 0 || strcmp (url, S_URL_PRO "/") == 0)
        return free_key ? S_URL_FREE : S_URL_PRO;
    return url;
}

static int
s_init (hny_backend_t *backend, char **error)
{
    s_state_t *state = hny_calloc (1, sizeof *state);
    hny_backend_set_state (backend, state);
    return hny_be_glossary_load (backend, &state->glossary, error);
}

static void
s_fini (hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    if (!state)
        return;
    hny_glossary_destroy (&state->glossary);
    for (size_t i = 0; i < state->pair_count; i++)
        free (state->pairs[i].id);
    free (state);
    hny_backend_set_state (backend, NULL);
}

static s_pair_t *
s_pair (s_state_t *state, const char *from, const char *to)
{
    for (size_t i = 0; i < state->pair_count; i++)
        if (strcmp (state->pairs[i].from, from) == 0 && strcmp (state->pairs[i].to, to) == 0)
            return &state->pairs[i];
    return NULL;
}

static int
s_check_pair (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    char a[S_LANG_MAX + 1], b[S_LANG_MAX + 1];
    if (s_lang (from, 0, a) != 0 || s_lang (to, 1, b) != 0) {
        *reason = hny_sprintf ("%s: unusable language pair \"%.16s\" -> \"%.16s\"",
                               hny_backend_name (backend), from ? from : "", to ? to : "");
        return -1;
    }
    return 0;
}

/* Fill req: POST body as JSON to {url}{path} with the key's header. */
static void
s_request (hny_backend_t *backend, hny_backend_req_t *req, const char *path, const json_t *body)
{
    req->url = hny_sprintf ("%s%s", hny_backend_url (backend), path);
    hny_backend_req_json (req, body);
    hny_backend_req_header (req, "Authorization: DeepL-Auth-Key %s", hny_backend_key (backend));
}

static int
s_setup (hny_backend_t *backend, const char *from, const char *to, hny_backend_req_t *req)
{
    s_state_t *state = hny_backend_state (backend);
    char a[S_LANG_MAX + 1], b[S_LANG_MAX + 1];
    if (!state->glossary || state->pair_count == S_PAIRS_MAX || s_pair (state, from, to)
        || s_lang (from, 0, a) != 0
        || s_lang (to, 1, b) != 0 || strlen (from) > S_LANG_MAX || strlen (to) > S_LANG_MAX)
        return 0;
    /* Glossaries name languages without variants. */
    b[strcspn (b, "-")] = '\0';
    char *tsv = hny_glossary_tsv (state->glossary);
    char *name = hny_sprintf ("honyaku %s %s-%s", hny_backend_name (backend), a, b);
    json_t *body = json_pack ("{ss ss ss ss ss}", "name", name, "source_lang", a,
                              "target_lang", b, "entries", tsv, "entries_format", "tsv");
    free (tsv);
    free (name);
    s_request (backend, req, "/v2/glossaries", body);
    json_decref (body);
    return 1;
}

static void
s_setup_done (hny_backend_t *backend, const char *from, const char *to,
              const hny_http_response_t *response)
{
    s_state_t *state = hny_backend_state (backend);
    if (!response || s_pair (state, from, to) || state->pair_count == S_PAIRS_MAX)
        return;                 /* cancelled: tried again with the next batch */
    s_pair_t *pair = &state->pairs[state->pair_count++];
    strcpy (pair->from, from);
    strcpy (pair->to, to);
    json_t *root = NULL;
    if (response->error == HNY_HTTP_OK && response->status >= 200 && response->status < 300)
        root = json_loadb (response->body, response->body_size, 0, NULL);
    json_t *id = json_object_get (root, "glossary_id");
    if (json_is_string (id) && json_string_length (id) > 0 && json_string_length (id) < 128) {
        pair->id = hny_strdup (json_string_value (id));
        hny_info ("%s: glossary %s for %s -> %s", hny_backend_name (backend), pair->id, from, to);
    }
    else
        hny_warn ("%s: creating the glossary for %s -> %s failed (%s %ld); protecting terms"
                  " with placeholders instead", hny_backend_name (backend), from, to,
                  response->error == HNY_HTTP_OK ? "HTTP" : hny_http_strerror (response->error),
                  response->status);
    json_decref (root);
}

/* The glossary id for the batch's pair, or NULL. */
static const char *
s_glossary_id (hny_backend_t *backend, const hny_batch_t *batch)
{
    s_state_t *state = hny_backend_state (backend);
    s_pair_t *pair = s_pair (state, hny_batch_from (batch), hny_batch_to (batch));
    return pair ? pair->id : NULL;
}

/* The glossary whose terms placeholders stand in for: when there is a
   glossary but no glossary_id for the batch's pair; else NULL. */
static const hny_glossary_t *
s_placeholders (hny_backend_t *backend, const hny_batch_t *batch)
{
    s_state_t *state = hny_backend_state (backend);
    return s_glossary_id (backend, batch) ? NULL : state->glossary;
}

static int
s_build (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
         hny_backend_req_t *req, char **reason)
{
    char a[S_LANG_MAX + 1], b[S_LANG_MAX + 1];
    if (s_lang (hny_batch_from (batch), 0, a) != 0 || s_lang (hny_batch_to (batch), 1, b) != 0) {
        *reason = hny_strdup ("deepl: unusable language pair");
        return -1;
    }
    json_t *texts = hny_be_texts (s_placeholders (backend, batch), batch, first, count);
    json_t *body = json_pack ("{so ss ss sb}", "text", texts, "source_lang", a, "target_lang", b,
                              "show_billed_characters", 1);
    /* Every segment of the request has this context (shared_context). */
    const char *context = hny_batch_context (batch, first);
    if (context && *context)
        json_object_set_new (body, "context", json_string (context));
    const char *glossary_id = s_glossary_id (backend, batch);
    if (glossary_id)
        json_object_set_new (body, "glossary_id", json_string (glossary_id));
    s_request (backend, req, "/v2/translate", body);
    json_decref (body);
    return 0;
}

/* DeepL's statuses: 456 (quota), 401/403 (key) pause; 408, 429 and 5xx
   (529: too many requests) are transient; the default classification. */
static hny_seg_class_t
s_classify (long status)
{
    return hny_backend_classify_default (status);
}


static void
s_parse (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
         const hny_http_response_t *response)
{
    long status = response->status;
    json_t *root = hny_be_parse_json (backend, batch, first, count, response);
    if (!root)
        return;
    if (status < 200 || status >= 300) {
        json_t *message = json_object_get (root, "message");
        const char *what = json_is_string (message) ? json_string_value (message) : "";
        if (status == 456)
            hny_backend_fail (backend, batch, first, count, HNY_SEG_PAUSED, 456,
                              "DeepL quota exceeded (456): %.160s", what);
        else if (status == 403 || status == 401)
            hny_backend_fail (backend, batch, first, count, HNY_SEG_PAUSED, (int) status,
                              "DeepL refused the key (%ld): %.160s", status, what);
        else
            hny_backend_fail (backend, batch, first, count, s_classify (status), (int) status,
                              "DeepL HTTP %ld: %.160s", status, what);
        json_decref (root);
        return;
    }
    json_t *items = json_object_get (root, "translations");
    if (hny_be_check_items (backend, batch, first, count, items, "DeepL") != 0) {
        json_decref (root);
        return;
    }
    const hny_glossary_t *glossary = s_placeholders (backend, batch);
    for (size_t k = 0; k < count; k++) {
        size_t i = first + k;
        json_t *item = json_array_get (items, k);
        if (hny_be_take_text (backend, glossary, batch, i, k, json_object_get (item, "text"),
                              "DeepL") != 0)
            continue;
        json_t *billed = json_object_get (item, "billed_characters");
        hny_batch_add_billed (batch, json_is_integer (billed) && json_integer_value (billed) >= 0
                                         ? json_integer_value (billed)
                                         : (json_int_t) hny_utf8_length (hny_batch_src (batch, i),
                                                                         hny_batch_src_len (batch, i)));
    }
    json_decref (root);
}

const hny_backend_type_t hny_backend_deepl = {
    .name = "deepl",
    .default_concurrency = 4,
    .default_max_texts = 50,
    .default_timeout_ms = 30000,
    .max_response = 8 * 1024 * 1024,
    .bills = 0,                 /* billed_characters from the answer */
    .check_pair = s_check_pair,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .default_max_bytes = 128 * 1024,
    .shared_context = 1,
    .resolve_url = s_resolve_url,
    .init = s_init,
    .fini = s_fini,
    .setup = s_setup,
    .setup_done = s_setup_done,
};
