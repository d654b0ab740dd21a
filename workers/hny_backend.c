/*  hny_backend.c: translate batches, backend instances and the dispatch
    common to every backend type: a batch is split into requests of up to
    max_texts segments, each request goes to the HTTP engine in the
    profile's group, and its response is read by the type's parse; transport
    failures and missing answers become classified per-segment errors here,
    so that types only deal with their API's shapes. */
#include "hny_backend.h"
#include "hny_json.h"
#include "hny_markup.h"

#include <honyaku/proto.h>
#include <honyaku/util.h>

#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_SETUP_MAX         64          /* language pairs set up per backend */
#define S_RETRY_AFTER_MAX   3600        /* seconds of Retry-After we believe */
#define S_BODY_RESERVE      1024        /* body bytes kept for the fixed fields */
#define S_TEXT_OVERHEAD     16          /* body bytes per text besides its own */

typedef struct {
    int64_t id;
    char *src;
    size_t src_len;
    char *context;              /* NULL when none */
    hny_seg_class_t cls;
    int code;                   /* error code when failed */
    char *text;                 /* tgt when OK, reason when failed */
    int64_t retry_after_ms;     /* transient failures: the service's Retry-After */
    /* --- inline markup (owner: markup; see hny_markup.h) --- */
    hny_markup_t *markup;       /* the src as received: plain text and elements */
    int with_markup;            /* 1: src holds ⟦n⟧ placeholders for the elements */
    char *warning;              /* set when the tgt lost its markup, else NULL */
    char *qa;                   /* the checks' "qa" array as JSON text, or NULL */
} s_seg_t;

struct _hny_batch_t {
    char *from, *to, *job;
    s_seg_t *segs;
    size_t count;
    size_t done;                /* segments with an outcome */
    int64_t requests;           /* HTTP requests sent */
    int64_t billed;             /* characters billed */
    int probe;                  /* the body said "probe": true */
    int has_usage;              /* usage_count/limit set */
    int64_t usage_count, usage_limit;
    int has_tokens;             /* tokens_* reported */
    int64_t tokens_prompt, tokens_completion;
    json_t *calls;              /* each request's status and ms, or NULL before the first */
    /* dispatch state */
    hny_backend_t *backend;
    size_t pending;             /* requests not completed */
    int finished;               /* done callback called */
    hny_batch_done_fn *done_fn;
    void *done_arg;
};

/* A language pair's setup (see the type's setup): batches wait for it. */
typedef enum { S_SETUP_NEW = 0, S_SETUP_RUNNING, S_SETUP_DONE } s_setup_state_t;

typedef struct {
    char *from, *to;
    s_setup_state_t state;
    hny_batch_t **waiting;      /* borrowed batches waiting for the setup */
    size_t waiting_count;
} s_setup_t;

struct _hny_backend_t {
    const hny_backend_type_t *type;
    const hny_backend_traits_t *traits;     /* the type's row of the backend table */
    hny_profile_t profile;      /* private copy, strings owned */
    hny_http_t *http;           /* borrowed */
    char *key;                  /* "" when none; wiped on destroy */
    int max_texts;
    size_t max_bytes;           /* request body cap */
    int timeout_ms;
    void *state;                /* the type's, freed by its fini */
    s_setup_t setups[S_SETUP_MAX];
    size_t setup_count;
};

/* The setup request of pair setups[index]. */
typedef struct {
    hny_backend_t *backend;
    size_t index;
} s_setup_call_t;

/* One HTTP request in flight: segments [first, first + count) of a batch. */
typedef struct {
    hny_backend_t *backend;
    hny_batch_t *batch;
    size_t first, count;
} s_call_t;

const char *
hny_seg_class_name (hny_seg_class_t cls)
{
    switch (cls) {
    case HNY_SEG_PENDING:   return "pending";
    case HNY_SEG_OK:        return "ok";
    case HNY_SEG_TRANSIENT: return "transient";
    case HNY_SEG_PERMANENT: return "permanent";
    case HNY_SEG_PAUSED:    return "paused";
    }
    return "permanent";
}

/* ------------------------------------------------------------------ batch */

/* Was id seen among the first count segments? ids below the batch's size
   (the broker's are 0..n-1) are looked up in seen[]; others by a scan. */
static int
s_id_seen (const s_seg_t *segs, size_t count, int64_t id, uint8_t *seen, size_t size)
{
    if (id >= 0 && (uint64_t) id < size) {
        if (seen[id])
            return 1;
        seen[id] = 1;
        return 0;
    }
    for (size_t i = 0; i < count; i++)
        if (segs[i].id == id)
            return 1;
    return 0;
}

hny_batch_t *
hny_batch_new (const void *body, size_t size, const char *from, const char *to,
               const char *job, char **reason)
{
    assert (reason);
    *reason = NULL;
    if (!body || size == 0) {
        *reason = hny_strdup ("translate task without a body");
        return NULL;
    }
    char jerr [HNY_JSON_ERROR_MAX];
    cJSON *root = hny_json_parse (body, size, HNY_PROTO_BODY_MAX, HNY_JSON_DEPTH_MAX, HNY_JSON_UNIQUE,
                                  jerr);
    if (!root) {
        *reason = hny_sprintf ("translate body is not JSON: %s", jerr);
        return NULL;
    }
    hny_batch_t *self = NULL;
    cJSON *segments = hny_json_get (root, "segments");
    if (!cJSON_IsArray (segments)) {
        *reason = hny_strdup ("translate body needs a \"segments\" array");
        goto done;
    }
    size_t count = (size_t) cJSON_GetArraySize (segments);
    if (count > HNY_BATCH_MAX_SEGMENTS) {
        *reason = hny_sprintf ("translate body has %zu segments; at most %d", count,
                               HNY_BATCH_MAX_SEGMENTS);
        goto done;
    }
    self = hny_calloc (1, sizeof *self);
    self->from = hny_strdup (from ? from : "");
    self->to = hny_strdup (to ? to : "");
    self->job = hny_strdup (job ? job : "");
    self->segs = hny_calloc (count ? count : 1, sizeof *self->segs);
    uint8_t *seen = hny_calloc (count ? count : 1, 1);
    /* A task's one context may come once, for every segment without its own. */
    cJSON *shared = hny_json_get (root, "context");
    if (shared && !cJSON_IsString (shared) && !cJSON_IsNull (shared))
        *reason = hny_strdup ("\"context\" must be a string");
    cJSON *seg = segments->child;
    for (size_t i = 0; i < count && !*reason; i++, seg = seg->next) {
        cJSON *src = hny_json_get (seg, "src");
        cJSON *context = hny_json_get (seg, "context");
        int64_t id;
        if (!cJSON_IsObject (seg) || !hny_json_int (hny_json_get (seg, "id"), &id) || id < 0) {
            *reason = hny_sprintf ("segment %zu needs a non-negative integer \"id\"", i);
            break;
        }
        size_t src_len;
        const char *src_text = hny_json_str (src, &src_len);
        if (!src_text) {
            *reason = hny_sprintf ("segment %zu needs a string \"src\"", i);
            break;
        }
        if (context && !cJSON_IsString (context) && !cJSON_IsNull (context)) {
            *reason = hny_sprintf ("segment %zu: \"context\" must be a string", i);
            break;
        }
        if (src_len > HNY_BATCH_MAX_SRC) {
            *reason = hny_sprintf ("segment %zu: src of %zu bytes; at most %d", i, src_len,
                                   HNY_BATCH_MAX_SRC);
            break;
        }
        if (s_id_seen (self->segs, i, id, seen, count)) {
            *reason = hny_sprintf ("segment %zu: duplicate id %" PRId64, i, id);
            break;
        }
        s_seg_t *s = &self->segs[i];
        s->id = id;
        /* --- markup: backends see plain text with placeholders, never
           the inline form; hny_batch_set_tgt turns them back --- */
        s->markup = hny_markup_parse (src_text, src_len);
        s->src = hny_markup_protect (s->markup, &s->src_len);
        s->with_markup = s->src != NULL && hny_markup_count (s->markup) > 0;
        if (!s->src) {
            const char *plain = hny_markup_text (s->markup, &s->src_len);
            s->src = hny_strndup (plain, s->src_len);
        }
        /* --- end markup --- */
        if (!context)
            context = shared;
        if (cJSON_IsString (context))
            s->context = hny_strdup (context->valuestring);
        self->count = i + 1;
    }
    free (seen);
    if (*reason)
        hny_batch_destroy (&self);
    else
        self->probe = cJSON_IsTrue (hny_json_get (root, "probe"));
done:
    cJSON_Delete (root);
    return self;
}

void
hny_batch_destroy (hny_batch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_batch_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++) {
        free (self->segs[i].src);
        free (self->segs[i].context);
        free (self->segs[i].text);
        free (self->segs[i].warning);
        free (self->segs[i].qa);
        hny_markup_destroy (&self->segs[i].markup);
    }
    free (self->segs);
    free (self->from);
    free (self->to);
    free (self->job);
    json_decref (self->calls);
    free (self);
    *self_p = NULL;
}

size_t hny_batch_size (const hny_batch_t *self) { return self->count; }
const char *hny_batch_from (const hny_batch_t *self) { return self->from; }
const char *hny_batch_to (const hny_batch_t *self) { return self->to; }
const char *hny_batch_job (const hny_batch_t *self) { return self->job; }

int64_t
hny_batch_id (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].id;
}

const char *
hny_batch_src (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].src;
}

size_t
hny_batch_src_len (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].src_len;
}

const char *
hny_batch_context (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].context;
}

int hny_batch_probe (const hny_batch_t *self) { return self->probe; }

const hny_markup_t *
hny_batch_markup (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].with_markup ? self->segs[index].markup : NULL;
}

char *
hny_batch_src_inline (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    size_t len;
    hny_markup_text (self->segs[index].markup, &len);
    return hny_markup_render (self->segs[index].markup, 0, len, NULL);
}

void
hny_batch_set_error (hny_batch_t *self, size_t index, hny_seg_class_t cls, int code,
                     const char *reason)
{
    assert (index < self->count);
    assert (cls == HNY_SEG_TRANSIENT || cls == HNY_SEG_PERMANENT || cls == HNY_SEG_PAUSED);
    s_seg_t *s = &self->segs[index];
    if (s->cls != HNY_SEG_PENDING)
        return;
    s->cls = cls;
    s->code = code;
    /* Reasons may come from a service: keep them one short line of valid UTF-8. */
    const char *text = reason ? reason : "";
    size_t len = strnlen (text, 300);
    if (!hny_utf8_valid (text, len))
        text = "(reason not valid UTF-8)", len = strlen (text);
    s->text = hny_strndup (text, len);
    for (char *p = s->text; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    self->done++;
}

void
hny_batch_set_tgt_warning (hny_batch_t *self, size_t index, const char *tgt, size_t len,
                           const char *warning)
{
    assert (index < self->count);
    if (self->segs[index].cls != HNY_SEG_PENDING)
        return;
    hny_batch_set_tgt (self, index, tgt, len);
    s_seg_t *s = &self->segs[index];
    if (s->cls != HNY_SEG_OK || !warning)
        return;
    /* One warning member: the markup's (if any), then the type's. */
    char *both = s->warning ? hny_sprintf ("%s; %.300s", s->warning, warning)
                            : hny_sprintf ("%.300s", warning);
    free (s->warning);
    s->warning = both;
    hny_warn ("job %s: segment %" PRId64 ": %s", self->job[0] ? self->job : "-", s->id, warning);
}

void
hny_batch_set_tgt (hny_batch_t *self, size_t index, const char *tgt, size_t len)
{
    assert (index < self->count);
    if (self->segs[index].cls != HNY_SEG_PENDING)
        return;
    if (!hny_utf8_valid (tgt, len) || memchr (tgt, '\0', len)) {
        hny_batch_set_error (self, index, HNY_SEG_PERMANENT, 502,
                             "translation is not valid UTF-8 text");
        return;
    }
    s_seg_t *s = &self->segs[index];
    s->cls = HNY_SEG_OK;
    /* --- markup: placeholders back to tags, quotes like the source's;
       a broken arrangement yields the text without markup and a warning */
    s->text = hny_markup_restore (s->markup, s->with_markup, tgt, len, &s->warning);
    if (s->warning)
        hny_warn ("job %s: segment %" PRId64 ": %s", self->job[0] ? self->job : "-", s->id,
                  s->warning);
    /* --- end markup --- */
    self->done++;
}

hny_seg_class_t
hny_batch_class (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].cls;
}

const char *
hny_batch_tgt (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].cls == HNY_SEG_OK ? self->segs[index].text : NULL;
}

size_t
hny_batch_done_count (const hny_batch_t *self)
{
    return self->done;
}

void
hny_batch_add_billed (hny_batch_t *self, int64_t chars)
{
    self->billed += chars;
}

int64_t
hny_batch_retry_after_ms (const hny_batch_t *self, size_t index)
{
    assert (index < self->count);
    return self->segs[index].retry_after_ms;
}

int64_t hny_batch_billed (const hny_batch_t *self) { return self->billed; }
int64_t hny_batch_requests (const hny_batch_t *self) { return self->requests; }

void
hny_batch_set_usage (hny_batch_t *self, int64_t count, int64_t limit)
{
    self->has_usage = 1;
    self->usage_count = count < 0 ? 0 : count;
    self->usage_limit = limit < 0 ? 0 : limit;
}

void
hny_batch_add_tokens (hny_batch_t *self, int64_t prompt, int64_t completion)
{
    /* Numbers from the network: only non-negative ones, sums saturate. */
    self->has_tokens = 1;
    if (prompt > 0)
        self->tokens_prompt = prompt > INT64_MAX - self->tokens_prompt
                                  ? INT64_MAX : self->tokens_prompt + prompt;
    if (completion > 0)
        self->tokens_completion = completion > INT64_MAX - self->tokens_completion
                                      ? INT64_MAX : self->tokens_completion + completion;
}

void
hny_batch_set_qa (hny_batch_t *self, size_t index, char *qa)
{
    assert (index < self->count);
    free (self->segs[index].qa);
    self->segs[index].qa = qa;
}

/* Two integer members {"a":x,"b":y} after a member name. */
static void
s_put_pair (hny_buf_t *buf, const char *name, const char *a, int64_t x, const char *b, int64_t y)
{
    hny_json_put_key (buf, name, 0);
    hny_buf_add (buf, "{", 1);
    hny_json_put_key (buf, a, 1);
    hny_json_put_int (buf, x);
    hny_json_put_key (buf, b, 0);
    hny_json_put_int (buf, y);
    hny_buf_add (buf, "}", 1);
}

char *
hny_batch_result_text (const hny_batch_t *self, size_t *size)
{
    /* written as json_pack and json_dumps (JSON_COMPACT) wrote it, members
       in the same order; no larger than a body may be */
    hny_buf_t buf = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    hny_buf_add (&buf, "{\"segments\":[", 13);
    for (size_t i = 0; i < self->count; i++) {
        const s_seg_t *s = &self->segs[i];
        hny_buf_add (&buf, i ? ",{" : "{", i ? 2 : 1);
        hny_json_put_key (&buf, "id", 1);
        hny_json_put_int (&buf, s->id);
        if (s->cls == HNY_SEG_OK) {
            hny_json_put_member (&buf, "tgt", s->text, 0);
            /* a warning cut inside a character is left out, as json_string
               refused it */
            if (s->warning && hny_utf8_valid (s->warning, strlen (s->warning)))
                hny_json_put_member (&buf, "warning", s->warning, 0);
            if (s->qa) {
                hny_json_put_key (&buf, "qa", 0);
                hny_buf_adds (&buf, s->qa);
            }
        }
        else {
            int pending = s->cls == HNY_SEG_PENDING;
            const char *reason = pending ? "no outcome (internal error)" : s->text;
            hny_json_put_key (&buf, "error", 0);
            hny_buf_add (&buf, "{", 1);
            hny_json_put_member (&buf, "class", pending ? "transient" : hny_seg_class_name (s->cls), 1);
            hny_json_put_key (&buf, "code", 0);
            hny_json_put_int (&buf, pending ? 500 : s->code);
            hny_json_put_member (&buf, "reason", reason, 0);
            if (s->cls == HNY_SEG_TRANSIENT && s->retry_after_ms > 0) {
                hny_json_put_key (&buf, "retry_after_ms", 0);
                hny_json_put_int (&buf, s->retry_after_ms);
            }
            hny_buf_add (&buf, "}", 1);
        }
        hny_buf_add (&buf, "}", 1);
    }
    hny_buf_add (&buf, "]", 1);
    hny_json_put_key (&buf, "requests", 0);
    hny_json_put_int (&buf, self->requests);
    hny_json_put_key (&buf, "chars_billed", 0);
    hny_json_put_int (&buf, self->billed);
    if (self->has_usage)
        s_put_pair (&buf, "usage", "character_count", self->usage_count, "character_limit",
                    self->usage_limit);
    if (self->has_tokens)
        s_put_pair (&buf, "tokens", "prompt", self->tokens_prompt, "completion", self->tokens_completion);
    if (hny_buf_add (&buf, "}", 1) < 0) {
        hny_buf_free (&buf);
        return NULL;
    }
    return hny_buf_take (&buf, size);
}

json_t *
hny_batch_result (const hny_batch_t *self)
{
    size_t size;
    char *text = hny_batch_result_text (self, &size);
    json_t *result = text ? json_loadb (text, size, 0, NULL) : NULL;
    free (text);
    return result;
}

const json_t *
hny_batch_calls (const hny_batch_t *self)
{
    return self->calls;
}

/* Note a translation request that ended: its status as the metrics label
   it becomes (the HTTP status; "timeout" or "error" when no answer came)
   and the engine's time from the start of its transfer to its end (a
   wait for one of the profile's connection slots is not counted). */
static void
s_batch_add_call (hny_batch_t *self, const hny_http_response_t *response)
{
    if (!self->calls)
        self->calls = json_array ();
    if (json_array_size (self->calls) >= HNY_PROTO_CALLS_MAX)
        return;
    char status [16];
    if (response->error == HNY_HTTP_E_TIMEOUT)
        snprintf (status, sizeof status, "timeout");
    else if (response->error != HNY_HTTP_OK || response->status < 100 || response->status > 599)
        snprintf (status, sizeof status, "error");
    else
        snprintf (status, sizeof status, "%ld", response->status);
    int64_t ms = response->elapsed_ms > 0 ? response->elapsed_ms : 0;
    json_array_append_new (self->calls, json_pack ("{s:s, s:I}", "status", status, "ms",
                                                   (json_int_t) ms));
}

/* ---------------------------------------------------------------- backend */

/* Every type of the backend table's list, in its order. */
#define S_REGISTER(id) &hny_backend_##id,
static const hny_backend_type_t *const s_types[] = { HNY_BACKEND_TYPES (S_REGISTER) };
#undef S_REGISTER
#define S_TYPE_COUNT (sizeof s_types / sizeof s_types[0])

const hny_backend_type_t *
hny_backend_type_find (const char *name)
{
    for (size_t i = 0; name && i < S_TYPE_COUNT; i++)
        if (strcmp (s_types[i]->name, name) == 0)
            return s_types[i];
    return NULL;
}

const hny_backend_type_t *
hny_backend_type_at (size_t index)
{
    return index < S_TYPE_COUNT ? s_types[index] : NULL;
}

static char *
s_dup (const char *s)
{
    return s ? hny_strdup (s) : NULL;
}

hny_backend_t *
hny_backend_new (const hny_profile_t *profile, hny_http_t *http, char **error)
{
    assert (profile);
    assert (error);
    *error = NULL;
    const char *type_name = profile->type ? profile->type : profile->name;
    const hny_backend_type_t *type = hny_backend_type_find (type_name);
    const hny_backend_traits_t *traits = hny_backends_find (type_name);
    if (!type || !traits) {
        *error = hny_sprintf ("profile %s: backend type \"%s\" is not implemented by this worker",
                              profile->name ? profile->name : "?", type_name ? type_name : "");
        return NULL;
    }
    if (!type->translate_local && !http) {
        *error = hny_sprintf ("profile %s: no HTTP engine", profile->name);
        return NULL;
    }
    char *key = NULL;
    if (profile->key_file || profile->key_env) {
        char *key_error = NULL;
        key = hny_profile_key (profile, &key_error);
        if (!key) {
            *error = hny_sprintf ("profile %s: %s", profile->name,
                                  key_error ? key_error : "cannot read the key");
            free (key_error);
            return NULL;
        }
    }
    const char *url = profile->url && *profile->url ? profile->url : NULL;
    if (!type->translate_local && type->resolve_url)
        url = type->resolve_url (url, key ? key : "");
    if (!type->translate_local && !url) {
        *error = hny_sprintf ("profile %s: type %s needs a url", profile->name, type->name);
        hny_secret_free (&key);
        return NULL;
    }
    hny_backend_t *self = hny_calloc (1, sizeof *self);
    self->type = type;
    self->traits = traits;
    self->http = http;
    self->key = key ? key : hny_strdup ("");
    self->profile = *profile;
    self->profile.name = s_dup (profile->name);
    self->profile.type = hny_strdup (type->name);
    self->profile.url = s_dup (url);
    /* Trailing slashes would double in "{url}/translate". */
    if (self->profile.url) {
        size_t len = strlen (self->profile.url);
        while (len > 0 && self->profile.url[len - 1] == '/')
            self->profile.url[--len] = '\0';
    }
    self->profile.key_file = s_dup (profile->key_file);
    self->profile.key_env = s_dup (profile->key_env);
    self->profile.model = s_dup (profile->model);
    self->profile.glossary = s_dup (profile->glossary);
    self->profile.fallback = s_dup (profile->fallback);
    self->profile.formality = s_dup (profile->formality);
    self->profile.model_type = s_dup (profile->model_type);
    /* A profile's own values, else the table's defaults; the config
       refuses values over the type's limits, and a profile made by hand
       is held under them here too. */
    self->max_texts = profile->max_texts > 0 ? profile->max_texts : traits->max_texts;
    if (self->max_texts > traits->max_texts_limit)
        self->max_texts = traits->max_texts_limit;
    int64_t max_bytes = profile->max_bytes > 0 ? profile->max_bytes : traits->max_bytes;
    self->max_bytes = (size_t) (max_bytes < traits->max_bytes_limit ? max_bytes
                                                                    : traits->max_bytes_limit);
    self->timeout_ms = profile->timeout_ms > 0 ? profile->timeout_ms : traits->timeout_ms;
    if (type->init && type->init (self, error) != 0) {
        if (!*error)
            *error = hny_sprintf ("profile %s: cannot set up the backend", profile->name);
        hny_backend_destroy (&self);
        return NULL;
    }
    if (http)
        hny_http_set_limit (http, self->profile.name,
                            profile->concurrency > 0 ? profile->concurrency
                                                     : traits->concurrency);
    return self;
}

void
hny_backend_destroy (hny_backend_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_backend_t *self = *self_p;
    if (self->type->fini)
        self->type->fini (self);
    for (size_t i = 0; i < self->setup_count; i++) {
        free (self->setups[i].from);
        free (self->setups[i].to);
        free (self->setups[i].waiting);
    }
    hny_secret_free (&self->key);
    free (self->profile.name);
    free (self->profile.type);
    free (self->profile.url);
    free (self->profile.key_file);
    free (self->profile.key_env);
    free (self->profile.model);
    free (self->profile.glossary);
    free (self->profile.fallback);
    free (self->profile.formality);
    free (self->profile.model_type);
    free (self);
    *self_p = NULL;
}

const char *hny_backend_name (const hny_backend_t *self) { return self->profile.name; }
const hny_backend_type_t *hny_backend_type (const hny_backend_t *self) { return self->type; }
const hny_backend_traits_t *hny_backend_traits (const hny_backend_t *self) { return self->traits; }
const hny_profile_t *hny_backend_profile (const hny_backend_t *self) { return &self->profile; }
const char *hny_backend_key (const hny_backend_t *self) { return self->key; }
const char *hny_backend_url (const hny_backend_t *self) { return self->profile.url; }
int hny_backend_max_texts (const hny_backend_t *self) { return self->max_texts; }
size_t hny_backend_max_bytes (const hny_backend_t *self) { return self->max_bytes; }
void *hny_backend_state (const hny_backend_t *self) { return self->state; }
void hny_backend_set_state (hny_backend_t *self, void *state) { self->state = state; }


/* Calls the batch's done callback once every request has completed. */
static void
s_maybe_finish (hny_batch_t *batch)
{
    if (batch->pending > 0 || batch->finished)
        return;
    for (size_t i = 0; i < batch->count; i++)
        if (batch->segs[i].cls == HNY_SEG_PENDING)
            hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 500, "segment was never sent");
    batch->finished = 1;
    if (batch->done_fn)
        batch->done_fn (batch, batch->done_arg);
}

int64_t
hny_backend_retry_after_ms (const char *value)
{
    if (!value)
        return 0;
    while (*value == ' ')
        value++;
    int64_t seconds = 0;
    const char *p = value;
    for (; *p >= '0' && *p <= '9'; p++) {
        seconds = seconds * 10 + (*p - '0');
        if (seconds > S_RETRY_AFTER_MAX)
            seconds = S_RETRY_AFTER_MAX;
    }
    if (p > value && (!*p || *p == ' ' || *p == '\r'))
        return seconds * 1000;
    if (p > value)
        return 0;
    /* An HTTP date (RFC 9110 10.2.3: IMF-fixdate, RFC 850 or asctime, all
       three read by curl), counted from now. */
    time_t when = curl_getdate (value, NULL);
    if (when == (time_t) -1)
        return 0;
    double delta = difftime (when, time (NULL));
    if (delta <= 0)
        return 0;
    return (int64_t) (delta > S_RETRY_AFTER_MAX ? S_RETRY_AFTER_MAX : delta) * 1000;
}

static void s_send (hny_backend_t *self, hny_batch_t *batch, size_t first, size_t count);

/* Send [first, first + count) again as two requests. */
static void
s_send_halves (hny_backend_t *self, hny_batch_t *batch, size_t first, size_t count)
{
    assert (count > 1);
    size_t half = count / 2;
    s_send (self, batch, first, half);
    s_send (self, batch, first + half, count - half);
}

/* 1 when the dispatch counts the characters it sent as billed: the type
   bills characters and its answers do not say how many (DeepL's do). */
static int
s_counts_billing (const hny_backend_t *self)
{
    return self->traits->billing == HNY_BILLING_CHARACTERS && !self->traits->billing_reported;
}

static void
s_on_response (const hny_http_response_t *response, void *arg)
{
    s_call_t *call = arg;
    hny_backend_t *self = call->backend;
    hny_batch_t *batch = call->batch;
    size_t end = call->first + call->count;
    const char *job = batch->job[0] ? batch->job : "-";
    s_batch_add_call (batch, response);

    if (response->error != HNY_HTTP_OK) {
        hny_seg_class_t cls = HNY_SEG_TRANSIENT;
        int code = response->error == HNY_HTTP_E_TIMEOUT ? 504 : 502;
        if (response->error == HNY_HTTP_E_TOOBIG || response->error == HNY_HTTP_E_TLS)
            cls = HNY_SEG_PERMANENT;
        char *reason = hny_sprintf ("%s: %s: %s", self->profile.name,
                                    hny_http_strerror (response->error), response->error_text);
        for (size_t i = call->first; i < end; i++)
            hny_batch_set_error (batch, i, cls, code, reason);
        hny_warn ("job %s: %s (%zu segments)", job, reason, call->count);
        free (reason);
    }
    else if (call->count > 1
             && (response->status == 413
                 || (self->type->too_large && self->type->too_large (response)))) {
        /* The service found the request too large although it was packed
           under the limits we know: its limits are lower. Halve until a
           single segment is refused on its own. */
        hny_info ("job %s: %s: request of %zu segments too large (HTTP %ld), sending halves",
                  job, self->profile.name, call->count, response->status);
        s_send_halves (self, batch, call->first, call->count);
    }
    else {
        self->type->parse (self, batch, call->first, call->count, response);
        for (size_t i = call->first; i < end; i++) {
            if (batch->segs[i].cls == HNY_SEG_PENDING)
                hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 502,
                                     "no translation in the response");
            else if (batch->segs[i].cls == HNY_SEG_OK && s_counts_billing (self))
                batch->billed += hny_utf8_length (batch->segs[i].src, batch->segs[i].src_len);
        }
        if (response->status >= 300)
            hny_debug ("job %s: %s: HTTP %ld", job, self->profile.name, response->status);
    }
    int64_t retry_ms = response->error == HNY_HTTP_OK
                           ? hny_backend_retry_after_ms (response->retry_after) : 0;
    if (retry_ms > 0)
        for (size_t i = call->first; i < end; i++)
            if (batch->segs[i].cls == HNY_SEG_TRANSIENT && batch->segs[i].retry_after_ms == 0)
                batch->segs[i].retry_after_ms = retry_ms;
    free (call);
    assert (batch->pending > 0);
    batch->pending--;
    s_maybe_finish (batch);
}

void
hny_backend_req_clear (hny_backend_req_t *req)
{
    free (req->url);
    if (req->body) {
        /* bodies may carry keys (LibreTranslate's api_key) */
        memset (req->body, 0, req->body_size);
        free (req->body);
    }
    for (size_t i = 0; i < sizeof req->headers / sizeof req->headers[0]; i++) {
        if (req->headers[i]) {
            memset (req->headers[i], 0, strlen (req->headers[i]));
            free (req->headers[i]);
        }
    }
    memset (req, 0, sizeof *req);
}

/* Queue a built request on the engine in the profile's group, with the
   profile's timeout and the type's response cap: the one place every
   request (translation, setup, preflight) goes through. Returns 0, or -1
   when the engine refused it (done and cancelled are then never called).
   req is cleared either way. */
static int
s_queue (hny_backend_t *self, hny_backend_req_t *req, hny_http_done_fn *done,
         void (*cancelled) (void *), void *arg)
{
    hny_http_request_t request = {
        .method = req->method ? req->method : "POST",
        .url = req->url,
        .headers = (const char *const *) req->headers,
        .body = req->body,
        .body_size = req->body_size,
        .timeout_ms = self->timeout_ms,
        .max_response = self->traits->max_response,
        .cancelled = cancelled
    };
    int rc = hny_http_add (self->http, self->profile.name, &request, done, arg);
    hny_backend_req_clear (req);
    return rc;
}

/* Send segments [first, first + count) in one request. */
static void
s_send (hny_backend_t *self, hny_batch_t *batch, size_t first, size_t count)
{
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    char *reason = NULL;
    if (self->type->build (self, batch, first, count, &req, &reason) != 0) {
        for (size_t i = first; i < first + count; i++)
            hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 400,
                                 reason ? reason : "request could not be built");
        free (reason);
        hny_backend_req_clear (&req);
        return;
    }
    if (self->max_bytes > 0 && req.body_size > self->max_bytes) {
        /* Packing estimates; the built body is the truth. */
        size_t size = req.body_size;
        hny_backend_req_clear (&req);
        if (count > 1)
            s_send_halves (self, batch, first, count);
        else {
            char *why = hny_sprintf ("%s: segment makes a request body of %zu bytes; the API takes"
                                     " at most %zu", self->profile.name, size, self->max_bytes);
            hny_batch_set_error (batch, first, HNY_SEG_PERMANENT, 413, why);
            free (why);
        }
        return;
    }
    s_call_t *call = hny_calloc (1, sizeof *call);
    call->backend = self;
    call->batch = batch;
    call->first = first;
    call->count = count;
    /* cancelled frees the call only: its batch belongs to the caller */
    if (s_queue (self, &req, s_on_response, free, call) != 0) {
        for (size_t i = first; i < first + count; i++)
            hny_batch_set_error (batch, i, HNY_SEG_TRANSIENT, 502, "request could not be queued");
        free (call);
    }
    else {
        batch->pending++;
        batch->requests++;
    }
}

static int
s_same_context (const hny_batch_t *batch, size_t a, size_t b)
{
    const char *x = batch->segs[a].context, *y = batch->segs[b].context;
    return (!x && !y) || (x && y && strcmp (x, y) == 0);
}

/* Split the batch into requests: at most max_texts segments, bodies under
   max_bytes by a estimate of the JSON (the built body is checked again in
   s_send), and one context per request when the type shares it. Segments
   that already have an outcome (a preflight's, a failed setup's) or that
   need no request (empty, the type's local) break the runs. */
static void
s_dispatch (hny_backend_t *self, hny_batch_t *batch)
{
    for (size_t i = 0; i < batch->count; i++) {
        if (batch->segs[i].cls != HNY_SEG_PENDING)
            continue;
        if (batch->segs[i].src_len == 0)
            hny_batch_set_tgt (batch, i, "", 0);        /* nothing to pay for */
        else if (self->type->local)
            self->type->local (self, batch, i);
    }
    size_t budget = 0;
    if (self->max_bytes > 0)
        budget = self->max_bytes > 2 * S_BODY_RESERVE ? self->max_bytes - S_BODY_RESERVE
                                                       : self->max_bytes / 2;
    size_t i = 0;
    while (i < batch->count) {
        if (batch->segs[i].cls != HNY_SEG_PENDING) {
            i++;
            continue;
        }
        size_t first = i;
        size_t bytes = batch->segs[i].src_len + S_TEXT_OVERHEAD;
        if (self->traits->takes_context && batch->segs[i].context)
            bytes += strlen (batch->segs[i].context);
        i++;
        while (i < batch->count && i - first < (size_t) self->max_texts
               && batch->segs[i].cls == HNY_SEG_PENDING
               && (!self->traits->takes_context || s_same_context (batch, first, i))
               && (budget == 0 || bytes + batch->segs[i].src_len + S_TEXT_OVERHEAD <= budget)) {
            bytes += batch->segs[i].src_len + S_TEXT_OVERHEAD;
            i++;
        }
        s_send (self, batch, first, i - first);
    }
}

/* ------------------------------------------------------------ pair setup */

/* Fail the pending segments of a batch alike, with a Retry-After. */
static void
s_fail_pending (hny_batch_t *batch, hny_seg_class_t cls, int code, const char *reason,
                int64_t retry_ms)
{
    for (size_t i = 0; i < batch->count; i++) {
        if (batch->segs[i].cls != HNY_SEG_PENDING)
            continue;
        hny_batch_set_error (batch, i, cls, code, reason);
        if (cls == HNY_SEG_TRANSIENT)
            batch->segs[i].retry_after_ms = retry_ms;
    }
}

/* Release the batches waiting for setups[index]: dispatch them, or when
   fail is not NULL fail their pending segments that way. */
static void
s_setup_release (hny_backend_t *self, size_t index, const hny_backend_fail_t *fail,
                 int64_t retry_ms)
{
    s_setup_t *setup = &self->setups[index];
    hny_batch_t **waiting = setup->waiting;
    size_t count = setup->waiting_count;
    setup->waiting = NULL;
    setup->waiting_count = 0;
    for (size_t i = 0; i < count; i++) {
        hny_batch_t *batch = waiting[i];
        batch->pending--;       /* the hold taken in s_setup_wait */
        if (fail)
            s_fail_pending (batch, fail->cls, fail->code,
                            fail->reason ? fail->reason : "setting up the language pair failed",
                            retry_ms);
        else
            s_dispatch (self, batch);
        s_maybe_finish (batch);
    }
    free (waiting);
}

static void s_on_setup (const hny_http_response_t *response, void *arg);
static void s_setup_cancelled (void *arg);

/* Send the next request of setups[index]'s sequence, or release its
   batches when the type says the pair is ready. */
static void
s_setup_next (hny_backend_t *self, size_t index)
{
    s_setup_t *setup = &self->setups[index];
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    if (self->type->setup (self, setup->from, setup->to, &req) != 1) {
        hny_backend_req_clear (&req);
        setup->state = S_SETUP_DONE;
        s_setup_release (self, index, NULL, 0);
        return;
    }
    s_setup_call_t *call = hny_calloc (1, sizeof *call);
    call->backend = self;
    call->index = index;
    setup->state = S_SETUP_RUNNING;
    if (s_queue (self, &req, s_on_setup, s_setup_cancelled, call) != 0) {
        free (call);
        hny_backend_fail_t fail = { HNY_SEG_TRANSIENT, 502, NULL };
        fail.reason = hny_sprintf ("%s: the setup request could not be queued", self->profile.name);
        setup->state = S_SETUP_NEW;
        s_setup_release (self, index, &fail, 0);
        free (fail.reason);
    }
}

static void
s_on_setup (const hny_http_response_t *response, void *arg)
{
    s_setup_call_t *call = arg;
    hny_backend_t *self = call->backend;
    size_t index = call->index;
    free (call);
    s_setup_t *setup = &self->setups[index];
    hny_backend_fail_t fail = { HNY_SEG_TRANSIENT, 502, NULL };
    if (self->type->setup_done (self, setup->from, setup->to, response, &fail) == 0) {
        s_setup_next (self, index);
        return;
    }
    /* Failed: these batches fail as the type says (the broker retries the
       transient ones), and the next batch of the pair starts over. */
    setup->state = S_SETUP_NEW;
    int64_t retry_ms = response->error == HNY_HTTP_OK
                           ? hny_backend_retry_after_ms (response->retry_after) : 0;
    hny_warn ("%s: setting up %s -> %s failed: %s", self->profile.name, setup->from, setup->to,
              fail.reason ? fail.reason : "(no reason)");
    s_setup_release (self, index, &fail, retry_ms);
    free (fail.reason);
}

/* Cancelled with every other request: the waiting batches are being
   dropped by their owner; the pair is set up again next time. */
static void
s_setup_cancelled (void *arg)
{
    s_setup_call_t *call = arg;
    hny_backend_t *self = call->backend;
    s_setup_t *setup = &self->setups[call->index];
    free (call);
    hny_backend_fail_t fail = { HNY_SEG_TRANSIENT, 502, NULL };
    self->type->setup_done (self, setup->from, setup->to, NULL, &fail);
    free (fail.reason);
    setup->state = S_SETUP_NEW;
    free (setup->waiting);
    setup->waiting = NULL;
    setup->waiting_count = 0;
}

/* Returns 1 when the batch waits for its pair's setup (it is then held
   with a pending count and dispatched later), 0 when it can go now. */
static int
s_setup_wait (hny_backend_t *self, hny_batch_t *batch)
{
    size_t index = 0;
    while (index < self->setup_count
           && (strcmp (self->setups[index].from, batch->from) != 0
               || strcmp (self->setups[index].to, batch->to) != 0))
        index++;
    if (index == self->setup_count) {
        if (self->setup_count == S_SETUP_MAX) {
            hny_warn ("%s: more than %d language pairs; %s -> %s goes without setup",
                      self->profile.name, S_SETUP_MAX, batch->from, batch->to);
            return 0;
        }
        self->setups[index].from = hny_strdup (batch->from);
        self->setups[index].to = hny_strdup (batch->to);
        self->setups[index].state = S_SETUP_NEW;
        self->setup_count++;
    }
    s_setup_t *setup = &self->setups[index];
    if (setup->state == S_SETUP_DONE)
        return 0;
    /* Held first: the setup may end before s_setup_next returns. */
    setup->waiting = hny_realloc (setup->waiting,
                                  (setup->waiting_count + 1) * sizeof *setup->waiting);
    setup->waiting[setup->waiting_count++] = batch;
    batch->pending++;           /* held: done cannot be called meanwhile */
    if (setup->state == S_SETUP_NEW)
        s_setup_next (self, index);
    return 1;
}

void
hny_backend_setup_reset (hny_backend_t *self, const char *from, const char *to)
{
    for (size_t i = 0; i < self->setup_count; i++)
        if (self->setups[i].state == S_SETUP_DONE && strcmp (self->setups[i].from, from) == 0
            && strcmp (self->setups[i].to, to) == 0)
            self->setups[i].state = S_SETUP_NEW;
}

/* ------------------------------------------------------------- preflight */

/* After the pair check and the preflight: setup, then the requests. */
static void
s_go (hny_backend_t *self, hny_batch_t *batch)
{
    if (self->type->setup && batch->count > 0 && s_setup_wait (self, batch))
        return;
    s_dispatch (self, batch);
    s_maybe_finish (batch);
}

typedef struct {
    hny_backend_t *backend;
    hny_batch_t *batch;
} s_preflight_call_t;

static void
s_on_preflight (const hny_http_response_t *response, void *arg)
{
    s_preflight_call_t *call = arg;
    hny_backend_t *self = call->backend;
    hny_batch_t *batch = call->batch;
    free (call);
    self->type->preflight_done (self, batch, response);
    batch->pending--;           /* the hold taken before sending */
    s_go (self, batch);
}

int
hny_backend_translate (hny_backend_t *self, hny_batch_t *batch, hny_batch_done_fn *done,
                       void *arg)
{
    assert (self);
    assert (batch);
    if (batch->backend || batch->finished)
        return -1;              /* a batch is translated once */
    batch->backend = self;
    batch->done_fn = done;
    batch->done_arg = arg;

    if (self->type->translate_local) {
        if (self->type->translate_local (self, batch) != 0)
            for (size_t i = 0; i < batch->count; i++)
                hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 500, "local backend failed");
        s_maybe_finish (batch);
        return 0;
    }
    char *reason = NULL;
    if (self->type->check_pair
        && self->type->check_pair (self, batch->from, batch->to, &reason) != 0) {
        for (size_t i = 0; i < batch->count; i++)
            hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 400,
                                 reason ? reason : "language pair not supported");
        free (reason);
        s_maybe_finish (batch);
        return 0;
    }
    hny_backend_req_t req;
    memset (&req, 0, sizeof req);
    if (self->type->preflight && batch->count > 0
        && self->type->preflight (self, batch, &req) == 1) {
        s_preflight_call_t *call = hny_calloc (1, sizeof *call);
        call->backend = self;
        call->batch = batch;
        batch->pending++;       /* held until the preflight's answer */
        if (s_queue (self, &req, s_on_preflight, free, call) == 0)
            return 0;
        batch->pending--;       /* not sent: go without it */
        free (call);
    }
    hny_backend_req_clear (&req);
    s_go (self, batch);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

char *
hny_backend_form_append (char *form, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t have = form ? strlen (form) : 0;
    size_t need = have + 1 + strlen (name) + 1 + 3 * strlen (value) + 1;
    form = hny_realloc (form, need);
    char *p = form + have;
    if (have)
        *p++ = '&';
    for (const char *n = name; *n; n++)
        *p++ = *n;
    *p++ = '=';
    for (const unsigned char *v = (const unsigned char *) value; *v; v++) {
        if ((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9')
            || *v == '-' || *v == '.' || *v == '_' || *v == '~')
            *p++ = (char) *v;
        else if (*v == ' ')
            *p++ = '+';
        else {
            *p++ = '%';
            *p++ = hex[*v >> 4];
            *p++ = hex[*v & 15];
        }
    }
    *p = '\0';
    return form;
}

hny_seg_class_t
hny_backend_classify_default (long status)
{
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return HNY_SEG_TRANSIENT;
    if (status == 401 || status == 403 || status == 456)
        return HNY_SEG_PAUSED;
    return HNY_SEG_PERMANENT;
}

void
hny_backend_fail (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                  hny_seg_class_t cls, int code, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char what[400];
    vsnprintf (what, sizeof what, fmt, args);
    va_end (args);
    char *reason = hny_sprintf ("%s: %s", backend->profile.name, what);
    for (size_t i = first; i < first + count; i++)
        hny_batch_set_error (batch, i, cls, code, reason);
    free (reason);
}

void
hny_backend_req_header (hny_backend_req_t *req, const char *fmt, ...)
{
    size_t slots = sizeof req->headers / sizeof req->headers[0];
    size_t i = 0;
    while (i < slots - 1 && req->headers[i])
        i++;
    assert (i < slots - 1);     /* the last slot stays NULL */
    /* Sized to the line: a key is as long as its service makes it (a
       Google OAuth token takes up to 2048 bytes). Formatted straight into
       the slot, so that no other copy of a key is left to wipe. */
    va_list args, again;
    va_start (args, fmt);
    va_copy (again, args);
    int n = vsnprintf (NULL, 0, fmt, args);
    va_end (args);
    assert (n >= 0);
    req->headers[i] = hny_malloc ((size_t) n + 1);
    vsnprintf (req->headers[i], (size_t) n + 1, fmt, again);
    va_end (again);
}

void
hny_backend_req_json (hny_backend_req_t *req, const json_t *body)
{
    /* json_dumps' bytes, written faster (hny_json.h): one per request */
    req->body = hny_json_dump (body, HNY_PROTO_BODY_MAX, &req->body_size);
    assert (req->body);
    hny_backend_req_header (req, "Content-Type: application/json");
}

void
hny_backend_req_json_text (hny_backend_req_t *req, hny_buf_t *body)
{
    assert (!body->toobig);
    req->body = hny_buf_take (body, &req->body_size);
    hny_backend_req_header (req, "Content-Type: application/json");
}
