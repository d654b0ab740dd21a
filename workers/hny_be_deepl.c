/*  hny_be_deepl.c: the `deepl` backend type, DeepL API v2 as its OpenAPI
    spec says (`POST {url}/v2/translate`; shared/backends.md). JSON bodies
    of at most 50 texts and 128 KiB packed by UTF-8 bytes, the key in an
    `Authorization: DeepL-Auth-Key` header only, billed characters as DeepL
    reports them, `split_sentences: "0"` (segments are sentences already),
    the profile's `formality` and `model_type`. A request shares one
    `context`, so the dispatch groups only segments with the same context
    (takes_context in the backend table).

    Markup (tags = xml in the backend table): a request holding a segment
    with inline markup goes with `tag_handling: "xml"`, its texts as XML
    where the markup is <b id="n">, <i id="n">, <a id="n">
    (hny_be_xml_out); the answer is read back into placeholders
    (hny_be_xml_in) and the markup restored as for any type.

    Glossary: one server-side glossary per profile, language pair and file
    content, named "honyaku:PROFILE:SRC-TGT:FINGERPRINT", shared by every
    worker and kept across restarts. The pair's setup lists the account's
    glossaries (GET /v2/glossaries), takes the one of that name (the
    oldest, if racing workers made two), else creates it and lists again;
    then deletes the other versions of the same profile and pair (other
    content, or duplicates). Codes are the spec's lower-case glossary
    languages; a pair outside them, or a glossary the service refuses,
    falls back on placeholders (hny_glossary.h). 429, 5xx and transport
    errors fail the waiting batches transient (the broker retries them, and
    the setup starts over), a refused key pauses. A translate answer saying
    the glossary is gone sets the pair up again.

    Quota: after a 456 (or on the broker's probe task) a batch first asks
    GET /v2/usage, which is free: while the limit leaves no room for the
    batch's smallest segment it is answered `paused` without sending a
    text; the usage goes into the RESULT ("usage"). */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_LANG_MAX      16              /* bytes of a language code */
#define S_PAIRS_MAX     64              /* language pairs per backend */
#define S_STALE_MAX     64              /* glossaries deleted per setup */
#define S_ID_MAX        100             /* bytes of a glossary_id we accept */
#define S_NAME_MAX      (64 + 48)       /* bytes of a glossary name */

#define S_URL_PRO  "https://api.deepl.com"
#define S_URL_FREE "https://api-free.deepl.com"

/* The languages of the spec's GlossarySourceLanguage/GlossaryTargetLanguage
   enums (openapi.yaml 3.11), lower case as the spec requires them. */
static const char *const s_glossary_langs[] = {
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "he", "hu", "id", "it", "ja",
    "ko", "lt", "lv", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "th", "tr", "uk", "vi",
    "zh", NULL
};
static const char *const s_formalities[] = {
    "default", "more", "less", "prefer_more", "prefer_less", NULL
};
static const char *const s_model_types[] = {
    "quality_optimized", "prefer_quality_optimized", "latency_optimized", NULL
};

/* Where a pair's glossary setup stands: the next request to send. */
typedef enum {
    S_STEP_LIST = 0,            /* GET /v2/glossaries */
    S_STEP_CREATE,              /* POST /v2/glossaries */
    S_STEP_VERIFY,              /* GET /v2/glossaries again, after creating */
    S_STEP_DELETE,              /* DELETE /v2/glossaries/{stale[last]} */
    S_STEP_READY                /* nothing more: id, or placeholders */
} s_step_t;

typedef struct {
    char from[S_LANG_MAX + 1], to[S_LANG_MAX + 1];  /* as the task names them */
    char name[S_NAME_MAX + 1];  /* the glossary's name; "" when none can exist */
    s_step_t step;
    char *id;                   /* glossary_id in use; NULL: placeholders */
    char *created;              /* the glossary this worker created, until verified */
    char *stale[S_STALE_MAX];   /* other versions to delete */
    size_t stale_count;
} s_pair_t;

typedef struct {
    hny_glossary_t *glossary;   /* NULL when the profile has none */
    char fingerprint[HNY_GLOSSARY_FINGERPRINT_LEN + 1];
    s_pair_t pairs[S_PAIRS_MAX];
    size_t pair_count;
    int quota_gone;             /* a 456 came and no translation since */
} s_state_t;

static int
s_in (const char *value, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp (value, list[i]) == 0)
            return 1;
    return 0;
}

/* The target languages DeepL names with a variant (openapi.yaml's
   TargetLanguage); a target with none of them goes as its language alone. */
static const char *const s_variants[] = {
    "EN-GB", "EN-US", "ES-419", "PT-BR", "PT-PT", "ZH-HANS", "ZH-HANT", NULL
};

/* DeepL's spelling of a language for /v2/translate, from a BCP 47 tag
   (honyakud sends them canonical: "pt-BR", "zh-Hant-TW"): upper case;
   sources are the language alone ("en-GB" -> "EN"); a target keeps the
   variant DeepL has for its script or region ("pt-BR" -> "PT-BR",
   "zh-Hant-TW" and "zh-TW" -> "ZH-HANT", "zh-CN" -> "ZH-HANS"), else it is
   the language alone, with EN -> EN-US and PT -> PT-PT (the bare codes are
   deprecated as targets). Returns 0, or -1 for an unusable code. */
static int
s_lang (const char *code, int target, char *out)
{
    size_t len = code ? strlen (code) : 0;
    char up[S_LANG_MAX];
    if (len < 2 || len >= sizeof up)
        return -1;
    for (size_t i = 0; i <= len; i++) {
        char c = code[i] == '_' ? '-' : code[i];
        if (c && !isalnum ((unsigned char) c) && c != '-')
            return -1;
        up[i] = (char) toupper ((unsigned char) c);
    }
    size_t base = strcspn (up, "-");
    if (base < 2 || base > 3)
        return -1;
    snprintf (out, S_LANG_MAX, "%.*s", (int) base, up);
    if (!target)
        return 0;
    /* Each subtag after the language, joined to it: LANG-SCRIPT, LANG-REGION. */
    for (const char *sub = up + base; *sub == '-'; sub += 1 + strcspn (sub + 1, "-")) {
        char candidate[S_LANG_MAX];
        snprintf (candidate, sizeof candidate, "%.*s-%.*s", (int) base, up,
                  (int) strcspn (sub + 1, "-"), sub + 1);
        if (s_in (candidate, s_variants)) {
            strcpy (out, candidate);
            return 0;
        }
        /* Chinese by region, when no script says which. */
        if (strcmp (out, "ZH") == 0 && strcspn (sub + 1, "-") == 2) {
            int trad = strncmp (sub + 1, "TW", 2) == 0 || strncmp (sub + 1, "HK", 2) == 0
                       || strncmp (sub + 1, "MO", 2) == 0;
            strcpy (out, trad ? "ZH-HANT" : "ZH-HANS");
            return 0;
        }
    }
    if (strcmp (out, "EN") == 0)
        strcpy (out, "EN-US");
    else if (strcmp (out, "PT") == 0)
        strcpy (out, "PT-PT");
    return 0;
}

/* The glossary language of a code ("EN-US" -> "en"), or -1 when the spec's
   enum has none for it. */
static int
s_glossary_lang (const char *code, char out[4])
{
    size_t n = strcspn (code, "-_");
    if (n < 2 || n > 3)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char) tolower ((unsigned char) code[i]);
    out[n] = '\0';
    return s_in (out, s_glossary_langs) ? 0 : -1;
}

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
    const hny_profile_t *profile = hny_backend_profile (backend);
    /* Refused here rather than by every request (a 400 on each). */
    if (profile->formality && !s_in (profile->formality, s_formalities)) {
        *error = hny_sprintf ("profile %s: formality \"%.32s\" is not default, more, less,"
                              " prefer_more or prefer_less", profile->name, profile->formality);
        return -1;
    }
    if (profile->model_type && !s_in (profile->model_type, s_model_types)) {
        *error = hny_sprintf ("profile %s: model_type \"%.32s\" is not quality_optimized,"
                              " prefer_quality_optimized or latency_optimized", profile->name,
                              profile->model_type);
        return -1;
    }
    s_state_t *state = hny_calloc (1, sizeof *state);
    hny_backend_set_state (backend, state);
    if (hny_be_glossary_load (backend, &state->glossary, error) != 0)
        return -1;
    if (state->glossary)
        hny_glossary_fingerprint (state->glossary, state->fingerprint);
    return 0;
}

/* Forget the versions a glossary list named for deletion. */
static void
s_stale_clear (s_pair_t *pair)
{
    for (size_t i = 0; i < pair->stale_count; i++)
        free (pair->stale[i]);
    pair->stale_count = 0;
}

/* Forget what the setup of a pair had found, so that it starts over. */
static void
s_pair_restart (s_pair_t *pair)
{
    s_stale_clear (pair);
    free (pair->created);
    pair->created = NULL;
    if (pair->step != S_STEP_READY || pair->name[0])
        pair->step = S_STEP_LIST;
}

static void
s_fini (hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    if (!state)
        return;
    hny_glossary_destroy (&state->glossary);
    for (size_t i = 0; i < state->pair_count; i++) {
        s_pair_restart (&state->pairs[i]);
        free (state->pairs[i].id);
    }
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

/* The pair's state, made on first use; NULL when there is no room (the
   pair then goes with placeholders). */
static s_pair_t *
s_pair_get (hny_backend_t *backend, s_state_t *state, const char *from, const char *to)
{
    s_pair_t *pair = s_pair (state, from, to);
    if (pair || state->pair_count == S_PAIRS_MAX || strlen (from) > S_LANG_MAX
        || strlen (to) > S_LANG_MAX)
        return pair;
    pair = &state->pairs[state->pair_count++];
    memset (pair, 0, sizeof *pair);
    strcpy (pair->from, from);
    strcpy (pair->to, to);
    char a[4], b[4];
    if (s_glossary_lang (from, a) != 0 || s_glossary_lang (to, b) != 0 || strcmp (a, b) == 0) {
        hny_info ("%s: DeepL has no glossaries for %s -> %s; protecting terms with placeholders",
                  hny_backend_name (backend), from, to);
        pair->step = S_STEP_READY;
        return pair;
    }
    snprintf (pair->name, sizeof pair->name, "honyaku:%.64s:%s-%s:%s", hny_backend_name (backend),
              a, b, state->fingerprint);
    return pair;
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

/* Fill req: method (NULL: POST) to {url}{path} with the key's header and,
   when body is not NULL, a JSON body. */
static void
s_request (hny_backend_t *backend, hny_backend_req_t *req, const char *method, const char *path,
           const json_t *body)
{
    req->method = method;
    req->url = hny_sprintf ("%s%s", hny_backend_url (backend), path);
    if (body)
        hny_backend_req_json (req, body);
    hny_backend_req_header (req, "Authorization: DeepL-Auth-Key %s", hny_backend_key (backend));
}

/* ------------------------------------------------------------- glossary */

static int
s_setup (hny_backend_t *backend, const char *from, const char *to, hny_backend_req_t *req)
{
    s_state_t *state = hny_backend_state (backend);
    if (!state->glossary)
        return 0;
    s_pair_t *pair = s_pair_get (backend, state, from, to);
    if (!pair)
        return 0;
    switch (pair->step) {
    case S_STEP_LIST:
    case S_STEP_VERIFY:
        s_request (backend, req, "GET", "/v2/glossaries", NULL);
        return 1;
    case S_STEP_CREATE: {
        char a[4], b[4];
        s_glossary_lang (from, a);
        s_glossary_lang (to, b);
        char *tsv = hny_glossary_tsv (state->glossary);
        json_t *body = json_pack ("{ss ss ss ss ss}", "name", pair->name, "source_lang", a,
                                  "target_lang", b, "entries", tsv, "entries_format", "tsv");
        free (tsv);
        s_request (backend, req, NULL, "/v2/glossaries", body);
        json_decref (body);
        return 1;
    }
    case S_STEP_DELETE: {
        char *path = hny_sprintf ("/v2/glossaries/%s", pair->stale[pair->stale_count - 1]);
        s_request (backend, req, "DELETE", path, NULL);
        free (path);
        return 1;
    }
    case S_STEP_READY:
        break;
    }
    return 0;
}

/* A glossary_id we put in a URL path: 1 to S_ID_MAX of [A-Za-z0-9_-]. */
static const char *
s_id_ok (const json_t *id)
{
    const char *s = json_string_value (id);
    size_t len = s ? strlen (s) : 0;
    if (len == 0 || len > S_ID_MAX)
        return NULL;
    for (size_t i = 0; i < len; i++)
        if (!isalnum ((unsigned char) s[i]) && s[i] != '-' && s[i] != '_')
            return NULL;
    return s;
}

static void
s_stale_add (s_pair_t *pair, const char *id)
{
    if (pair->stale_count < S_STALE_MAX)
        pair->stale[pair->stale_count++] = hny_strdup (id);
}

/* Read a glossary list into the pair: the glossary named pair->name to use
   (the oldest, ties by id, so that every worker picks the same one) and
   the versions to delete (same profile and pair, another name; the other
   copies of ours). Returns 1 when one of ours is listed and ready, 0 when
   none is, -1 when it exists but is not ready yet. */
static int
s_read_list (s_pair_t *pair, const json_t *root)
{
    size_t prefix = strlen (pair->name) - HNY_GLOSSARY_FINGERPRINT_LEN;
    const json_t *best = NULL;
    size_t i;
    json_t *g;
    json_array_foreach (json_object_get (root, "glossaries"), i, g) {
        const char *name = json_string_value (json_object_get (g, "name"));
        const char *id = s_id_ok (json_object_get (g, "glossary_id"));
        if (!name || !id || strncmp (name, pair->name, prefix) != 0)
            continue;           /* not this profile's and pair's: never touched */
        if (strcmp (name, pair->name) != 0) {
            s_stale_add (pair, id);
            continue;
        }
        const char *t = json_string_value (json_object_get (g, "creation_time"));
        const char *bt = json_string_value (json_object_get (best, "creation_time"));
        int older = !best || strcmp (t ? t : "", bt ? bt : "") < 0
                    || (strcmp (t ? t : "", bt ? bt : "") == 0
                        && strcmp (id, s_id_ok (json_object_get (best, "glossary_id"))) < 0);
        if (older) {
            if (best)
                s_stale_add (pair, s_id_ok (json_object_get (best, "glossary_id")));
            best = g;
        }
        else
            s_stale_add (pair, id);
    }
    if (!best)
        return 0;
    free (pair->id);
    pair->id = hny_strdup (s_id_ok (json_object_get (best, "glossary_id")));
    return json_is_false (json_object_get (best, "ready")) ? -1 : 1;
}

/* The message of a DeepL error body, "" when none. */
static const char *
s_message (const json_t *root)
{
    const json_t *m = json_object_get (root, "message");
    return json_is_string (m) ? json_string_value (m) : "";
}

static int
s_setup_done (hny_backend_t *backend, const char *from, const char *to,
              const hny_http_response_t *response, hny_backend_fail_t *fail)
{
    s_state_t *state = hny_backend_state (backend);
    s_pair_t *pair = s_pair (state, from, to);
    if (!pair)
        return 0;
    if (!response) {            /* cancelled: start over with the next batch */
        s_pair_restart (pair);
        return 0;
    }
    const char *name = hny_backend_name (backend);
    long status = response->status;
    if (response->error != HNY_HTTP_OK && pair->step != S_STEP_DELETE) {
        fail->cls = HNY_SEG_TRANSIENT;
        fail->code = response->error == HNY_HTTP_E_TIMEOUT ? 504 : 502;
        fail->reason = hny_sprintf ("%s: glossary setup: %s: %s", name,
                                    hny_http_strerror (response->error), response->error_text);
        s_pair_restart (pair);
        return -1;
    }
    json_t *root = json_loadb (response->body, response->body_size, 0, NULL);
    int ok = response->error == HNY_HTTP_OK && status >= 200 && status < 300;
    hny_seg_class_t cls = ok ? HNY_SEG_OK : hny_backend_classify_default (status);
    int rc = 0;
    if (pair->step == S_STEP_DELETE) {
        /* Best effort: a version left behind is deleted by a later setup. */
        if (!ok && status != 404)
            hny_warn ("%s: deleting glossary %s: %s %ld", name,
                      pair->stale[pair->stale_count - 1],
                      response->error == HNY_HTTP_OK ? "HTTP" : "transport error", status);
        else
            hny_info ("%s: deleted glossary %s, an unused version for %s -> %s", name,
                      pair->stale[pair->stale_count - 1], from, to);
        free (pair->stale[--pair->stale_count]);
        pair->step = pair->stale_count > 0 ? S_STEP_DELETE : S_STEP_READY;
    }
    else if ((cls == HNY_SEG_TRANSIENT || cls == HNY_SEG_PAUSED) && status != 456) {
        /* Like any request: 429/5xx are retried by the broker, a refused
           key pauses. (456 on glossaries is their own limit: below.) */
        fail->cls = cls;
        fail->code = (int) status;
        fail->reason = hny_sprintf ("%s: glossary setup: DeepL HTTP %ld: %.160s", name, status,
                                    s_message (root));
        s_pair_restart (pair);
        rc = -1;
    }
    else if (!ok) {
        /* Refused for good (pair, entries, too many glossaries): the terms
           still hold, as placeholders. */
        hny_warn ("%s: DeepL refused the glossary for %s -> %s (HTTP %ld: %.160s);"
                  " protecting terms with placeholders", name, from, to, status,
                  s_message (root));
        free (pair->id);
        pair->id = NULL;
        pair->step = pair->stale_count > 0 ? S_STEP_DELETE : S_STEP_READY;
    }
    else if (pair->step != S_STEP_CREATE && !json_is_array (json_object_get (root, "glossaries"))) {
        fail->cls = HNY_SEG_TRANSIENT;          /* a 2xx we cannot read: a glitch */
        fail->code = HNY_BE_UNUSABLE;
        fail->reason = hny_sprintf ("%s: glossary setup: DeepL answered HTTP %ld without a"
                                    " glossary list", name, status);
        s_pair_restart (pair);
        rc = -1;
    }
    else if (pair->step == S_STEP_CREATE) {
        const char *id = s_id_ok (json_object_get (root, "glossary_id"));
        if (!id) {
            fail->cls = HNY_SEG_TRANSIENT;
            fail->code = HNY_BE_UNUSABLE;
            fail->reason = hny_sprintf ("%s: glossary setup: DeepL created a glossary without"
                                        " a usable glossary_id", name);
            s_pair_restart (pair);
            rc = -1;
        }
        else {
            pair->created = hny_strdup (id);
            hny_info ("%s: created glossary %s (%s) for %s -> %s", name, id, pair->name, from, to);
            /* Listed again: a worker racing us may have made one too. */
            s_stale_clear (pair);
            pair->step = S_STEP_VERIFY;
        }
    }
    else {
        s_stale_clear (pair);
        free (pair->id);                /* what the list says, nothing older */
        pair->id = NULL;
        int found = s_read_list (pair, root);
        if (found == 0 && pair->step == S_STEP_VERIFY && pair->created) {
            free (pair->id);            /* not listed yet: ours is the one */
            pair->id = hny_strdup (pair->created);
            found = 1;
        }
        if (found < 0) {
            fail->cls = HNY_SEG_TRANSIENT;
            fail->code = 503;
            fail->reason = hny_sprintf ("%s: glossary %s is not ready yet", name, pair->id);
            s_pair_restart (pair);
            rc = -1;
        }
        else if (found == 0)
            pair->step = S_STEP_CREATE;
        else {
            hny_info ("%s: glossary %s for %s -> %s", name, pair->id, from, to);
            free (pair->created);
            pair->created = NULL;
            pair->step = pair->stale_count > 0 ? S_STEP_DELETE : S_STEP_READY;
        }
    }
    json_decref (root);
    return rc;
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

/* Whole-segment terms: with glossary_id DeepL's glossary translates them;
   with placeholders, the glossary does it here without a request. */
static int
s_local (hny_backend_t *backend, hny_batch_t *batch, size_t index)
{
    return hny_be_whole_term (s_placeholders (backend, batch), batch, index);
}

/* --------------------------------------------------------------- quota */

static int
s_preflight (hny_backend_t *backend, const hny_batch_t *batch, hny_backend_req_t *req)
{
    s_state_t *state = hny_backend_state (backend);
    if (!state->quota_gone && !hny_batch_probe (batch))
        return 0;
    s_request (backend, req, "GET", "/v2/usage", NULL);
    return 1;
}

static void
s_preflight_done (hny_backend_t *backend, hny_batch_t *batch, const hny_http_response_t *response)
{
    s_state_t *state = hny_backend_state (backend);
    /* Any failure: the texts go, and their answers say what is what. */
    if (response->error != HNY_HTTP_OK || response->status < 200 || response->status >= 300)
        return;
    json_t *root = json_loadb (response->body, response->body_size, 0, NULL);
    json_t *count = json_object_get (root, "character_count");
    json_t *limit = json_object_get (root, "character_limit");
    if (!json_is_integer (count) || !json_is_integer (limit)) {
        state->quota_gone = 0;          /* no character limit on this account */
        json_decref (root);
        return;
    }
    json_int_t used = json_integer_value (count), most = json_integer_value (limit);
    hny_batch_set_usage (batch, used, most);
    /* The least this batch needs: its smallest segment still to send. */
    int64_t need = -1;
    for (size_t i = 0; i < hny_batch_size (batch); i++) {
        if (hny_batch_class (batch, i) != HNY_SEG_PENDING || hny_batch_src_len (batch, i) == 0)
            continue;
        int64_t n = (int64_t) hny_utf8_length (hny_batch_src (batch, i),
                                               hny_batch_src_len (batch, i));
        if (need < 0 || n < need)
            need = n;
    }
    if (most > 0 && need > 0 && used + need > most) {
        char *why = hny_sprintf ("DeepL quota exceeded: %" JSON_INTEGER_FORMAT " of %"
                                 JSON_INTEGER_FORMAT " characters used (GET /v2/usage);"
                                 " nothing sent", used, most);
        for (size_t i = 0; i < hny_batch_size (batch); i++)
            if (hny_batch_class (batch, i) == HNY_SEG_PENDING)
                hny_backend_fail (backend, batch, i, 1, HNY_SEG_PAUSED, 456, "%s", why);
        free (why);
    }
    else
        state->quota_gone = 0;
    json_decref (root);
}

/* ----------------------------------------------------------- translate */

/* 1 when a segment of [first, first + count) has inline markup and the
   table says the type sends markup as XML: the request then goes with
   tag_handling=xml, all its texts as XML; else markup stays placeholders. */
static int
s_xml (const hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count)
{
    if (hny_backend_traits (backend)->tags != HNY_TAGS_XML)
        return 0;
    for (size_t i = first; i < first + count; i++)
        if (hny_batch_markup (batch, i))
            return 1;
    return 0;
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
    int xml = s_xml (backend, batch, first, count);
    const hny_profile_t *profile = hny_backend_profile (backend);
    /* Written as it goes (a request a few dozen texts): a jansson tree
       checked every text's UTF-8 again to be dumped at once. */
    hny_buf_t body = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    hny_buf_adds (&body, "{");
    hny_json_put_key (&body, "text", 1);
    hny_be_put_texts (&body, s_placeholders (backend, batch), batch, first, count, xml);
    hny_json_put_member (&body, "source_lang", a, 0);
    hny_json_put_member (&body, "target_lang", b, 0);
    hny_buf_adds (&body, ",\"show_billed_characters\":true");
    hny_json_put_member (&body, "split_sentences", "0", 0);
    if (xml)
        hny_json_put_member (&body, "tag_handling", "xml", 0);
    if (profile->formality)
        hny_json_put_member (&body, "formality", profile->formality, 0);
    if (profile->model_type)
        hny_json_put_member (&body, "model_type", profile->model_type, 0);
    /* Every segment of the request has this context (takes_context). */
    const char *context = hny_batch_context (batch, first);
    if (context && *context)
        hny_json_put_member (&body, "context", context, 0);
    const char *glossary_id = s_glossary_id (backend, batch);
    if (glossary_id)
        hny_json_put_member (&body, "glossary_id", glossary_id, 0);
    hny_buf_adds (&body, "}");
    hny_backend_req_json_text (req, &body);
    s_request (backend, req, NULL, "/v2/translate", NULL);
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
    s_state_t *state = hny_backend_state (backend);
    long status = response->status;
    cJSON *root = hny_be_parse_cjson (backend, batch, first, count, response);
    if (!root) {
        if (status == 456)
            state->quota_gone = 1;
        return;
    }
    if (status < 200 || status >= 300) {
        const char *what = hny_json_str (hny_json_get (root, "message"), NULL);
        what = what ? what : "";
        const char *glossary_id = s_glossary_id (backend, batch);
        if (status == 456) {
            state->quota_gone = 1;
            hny_backend_fail (backend, batch, first, count, HNY_SEG_PAUSED, 456,
                              "DeepL quota exceeded (456): %.160s", what);
        }
        else if (status == 403 || status == 401)
            hny_backend_fail (backend, batch, first, count, HNY_SEG_PAUSED, (int) status,
                              "DeepL refused the key (%ld): %.160s", status, what);
        else if (glossary_id
                 && (status == 404 || (status == 400 && strcasestr (what, "not found")))) {
            /* The glossary was deleted under us (another worker's newer
               file, a user): look it up again; these segments are retried. */
            s_pair_t *pair = s_pair (state, hny_batch_from (batch), hny_batch_to (batch));
            hny_backend_fail (backend, batch, first, count, HNY_SEG_TRANSIENT, (int) status,
                              "DeepL does not know glossary %.64s (HTTP %ld: %.120s); it is set"
                              " up again", glossary_id, status, what);
            if (pair) {
                s_pair_restart (pair);
                pair->step = S_STEP_LIST;
            }
            hny_backend_setup_reset (backend, hny_batch_from (batch), hny_batch_to (batch));
        }
        else
            hny_backend_fail (backend, batch, first, count, s_classify (status), (int) status,
                              "DeepL HTTP %ld: %.160s", status, what);
        cJSON_Delete (root);
        return;
    }
    cJSON *items = hny_json_get (root, "translations");
    if (hny_be_check_citems (backend, batch, first, count, items, "DeepL") != 0) {
        cJSON_Delete (root);
        return;
    }
    state->quota_gone = 0;
    const hny_glossary_t *glossary = s_placeholders (backend, batch);
    int xml = s_xml (backend, batch, first, count);
    cJSON *item = items->child;
    for (size_t k = 0; k < count; k++, item = item->next) {
        size_t i = first + k;
        if (hny_be_take_ctext (backend, glossary, batch, i, k, hny_json_get (item, "text"),
                               "DeepL", xml) != 0)
            continue;
        /* DeepL's count when it gives one, else the code points sent */
        int64_t billed;
        if (hny_json_int (hny_json_get (item, "billed_characters"), &billed) && billed >= 0)
            hny_batch_add_billed (batch, billed);
        else
            hny_batch_add_billed (batch, (int64_t) hny_utf8_length (hny_batch_src (batch, i),
                                                                    hny_batch_src_len (batch, i)));
    }
    cJSON_Delete (root);
}

const hny_backend_type_t hny_backend_deepl = {
    .name = "deepl",
    .check_pair = s_check_pair,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .resolve_url = s_resolve_url,
    .init = s_init,
    .fini = s_fini,
    .setup = s_setup,
    .setup_done = s_setup_done,
    .local = s_local,
    .preflight = s_preflight,
    .preflight_done = s_preflight_done,
};
