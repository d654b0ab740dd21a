/*  hny_backend.c: translate batches, backend instances and the dispatch
    common to every backend type: a batch is split into requests of up to
    max_texts segments, each request goes to the HTTP engine in the
    profile's group, and its response is read by the type's parse; transport
    failures and missing answers become classified per-segment errors here,
    so that types only deal with their API's shapes. */
#include "hny_backend.h"

#include <honyaku/util.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t id;
    char *src;
    size_t src_len;
    char *context;              /* NULL when none */
    hny_seg_class_t cls;
    int code;                   /* error code when failed */
    char *text;                 /* tgt when OK, reason when failed */
} s_seg_t;

struct _hny_batch_t {
    char *from, *to, *job;
    s_seg_t *segs;
    size_t count;
    size_t done;                /* segments with an outcome */
    int64_t requests;           /* HTTP requests sent */
    int64_t billed;             /* characters billed */
    /* dispatch state */
    hny_backend_t *backend;
    size_t pending;             /* requests not completed */
    int finished;               /* done callback called */
    hny_batch_done_fn *done_fn;
    void *done_arg;
};

struct _hny_backend_t {
    const hny_backend_type_t *type;
    hny_profile_t profile;      /* private copy, strings owned */
    hny_http_t *http;           /* borrowed */
    char *key;                  /* "" when none; wiped on destroy */
    int max_texts;
    int timeout_ms;
};

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

static int
s_id_seen (const s_seg_t *segs, size_t count, int64_t id)
{
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
    json_error_t jerr;
    json_t *root = json_loadb (body, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        *reason = hny_sprintf ("translate body is not JSON: %s (offset %d)", jerr.text,
                               jerr.position);
        return NULL;
    }
    hny_batch_t *self = NULL;
    json_t *segments = json_object_get (root, "segments");
    if (!json_is_object (root) || !json_is_array (segments)) {
        *reason = hny_strdup ("translate body needs a \"segments\" array");
        goto done;
    }
    size_t count = json_array_size (segments);
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
    for (size_t i = 0; i < count; i++) {
        json_t *seg = json_array_get (segments, i);
        json_t *id = json_object_get (seg, "id");
        json_t *src = json_object_get (seg, "src");
        json_t *context = json_object_get (seg, "context");
        if (!json_is_object (seg) || !json_is_integer (id) || json_integer_value (id) < 0) {
            *reason = hny_sprintf ("segment %zu needs a non-negative integer \"id\"", i);
            break;
        }
        if (!json_is_string (src)) {
            *reason = hny_sprintf ("segment %zu needs a string \"src\"", i);
            break;
        }
        if (context && !json_is_string (context) && !json_is_null (context)) {
            *reason = hny_sprintf ("segment %zu: \"context\" must be a string", i);
            break;
        }
        if (json_string_length (src) > HNY_BATCH_MAX_SRC) {
            *reason = hny_sprintf ("segment %zu: src of %zu bytes; at most %d", i,
                                   json_string_length (src), HNY_BATCH_MAX_SRC);
            break;
        }
        if (s_id_seen (self->segs, i, json_integer_value (id))) {
            *reason = hny_sprintf ("segment %zu: duplicate id %" JSON_INTEGER_FORMAT, i,
                                   json_integer_value (id));
            break;
        }
        s_seg_t *s = &self->segs[i];
        s->id = json_integer_value (id);
        s->src_len = json_string_length (src);
        s->src = hny_strndup (json_string_value (src), s->src_len);
        if (json_is_string (context))
            s->context = hny_strdup (json_string_value (context));
        self->count = i + 1;
    }
    if (*reason)
        hny_batch_destroy (&self);
done:
    json_decref (root);
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
    }
    free (self->segs);
    free (self->from);
    free (self->to);
    free (self->job);
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
    s->text = hny_strndup (tgt, len);
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

json_t *
hny_batch_result (const hny_batch_t *self)
{
    json_t *segments = json_array ();
    for (size_t i = 0; i < self->count; i++) {
        const s_seg_t *s = &self->segs[i];
        json_t *seg = json_pack ("{sI}", "id", (json_int_t) s->id);
        if (s->cls == HNY_SEG_OK)
            json_object_set_new (seg, "tgt", json_string (s->text));
        else {
            int pending = s->cls == HNY_SEG_PENDING;
            json_object_set_new (seg, "error", json_pack (
                "{sssiss}", "class", pending ? "transient" : hny_seg_class_name (s->cls),
                "code", pending ? 500 : s->code,
                "reason", pending ? "no outcome (internal error)" : s->text));
        }
        json_array_append_new (segments, seg);
    }
    return json_pack ("{sosIsI}", "segments", segments, "requests", (json_int_t) self->requests,
                      "chars_billed", (json_int_t) self->billed);
}

/* ---------------------------------------------------------------- backend */

const hny_backend_type_t *
hny_backend_type_find (const char *name)
{
    static const hny_backend_type_t *const types[] = {
        &hny_backend_apertium, &hny_backend_pseudo
    };
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp (types[i]->name, name) == 0)
            return types[i];
    return NULL;
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
    if (!type) {
        *error = hny_sprintf ("profile %s: backend type \"%s\" is not implemented by this worker",
                              profile->name ? profile->name : "?", type_name ? type_name : "");
        return NULL;
    }
    if (!type->translate_local && !http) {
        *error = hny_sprintf ("profile %s: no HTTP engine", profile->name);
        return NULL;
    }
    if (!type->translate_local && (!profile->url || !*profile->url)) {
        *error = hny_sprintf ("profile %s: type %s needs a url", profile->name, type->name);
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
    hny_backend_t *self = hny_calloc (1, sizeof *self);
    self->type = type;
    self->http = http;
    self->key = key ? key : hny_strdup ("");
    self->profile = *profile;
    self->profile.name = s_dup (profile->name);
    self->profile.type = hny_strdup (type->name);
    self->profile.url = s_dup (profile->url);
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
    /* The type's default is also the most its API takes in one request. */
    self->max_texts = type->default_max_texts;
    if (profile->max_texts > 0 && profile->max_texts < self->max_texts)
        self->max_texts = profile->max_texts;
    if (self->max_texts < 1)
        self->max_texts = 1;
    self->timeout_ms = profile->timeout_ms > 0 ? profile->timeout_ms : type->default_timeout_ms;
    if (http)
        hny_http_set_limit (http, self->profile.name,
                            profile->concurrency > 0 ? profile->concurrency
                                                     : type->default_concurrency);
    return self;
}

void
hny_backend_destroy (hny_backend_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_backend_t *self = *self_p;
    hny_secret_free (&self->key);
    free (self->profile.name);
    free (self->profile.type);
    free (self->profile.url);
    free (self->profile.key_file);
    free (self->profile.key_env);
    free (self->profile.model);
    free (self->profile.glossary);
    free (self->profile.fallback);
    free (self);
    *self_p = NULL;
}

const char *hny_backend_name (const hny_backend_t *self) { return self->profile.name; }
const hny_backend_type_t *hny_backend_type (const hny_backend_t *self) { return self->type; }
const hny_profile_t *hny_backend_profile (const hny_backend_t *self) { return &self->profile; }
const char *hny_backend_key (const hny_backend_t *self) { return self->key; }

static int64_t
s_code_points (const char *s, size_t len)
{
    int64_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char) s[i] & 0xC0) != 0x80)
            n++;
    return n;
}

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

static void
s_on_response (const hny_http_response_t *response, void *arg)
{
    s_call_t *call = arg;
    hny_backend_t *self = call->backend;
    hny_batch_t *batch = call->batch;
    size_t end = call->first + call->count;

    if (response->error != HNY_HTTP_OK) {
        hny_seg_class_t cls = HNY_SEG_TRANSIENT;
        int code = response->error == HNY_HTTP_E_TIMEOUT ? 504 : 502;
        if (response->error == HNY_HTTP_E_TOOBIG || response->error == HNY_HTTP_E_TLS)
            cls = HNY_SEG_PERMANENT;
        char *reason = hny_sprintf ("%s: %s: %s", self->profile.name,
                                    hny_http_strerror (response->error), response->error_text);
        for (size_t i = call->first; i < end; i++)
            hny_batch_set_error (batch, i, cls, code, reason);
        hny_warn ("job %s: %s (%zu segments)", batch->job[0] ? batch->job : "-", reason,
                  call->count);
        free (reason);
    }
    else {
        self->type->parse (self, batch, call->first, call->count, response);
        for (size_t i = call->first; i < end; i++) {
            if (batch->segs[i].cls == HNY_SEG_PENDING)
                hny_batch_set_error (batch, i, HNY_SEG_PERMANENT, 502,
                                     "no translation in the response");
            else if (batch->segs[i].cls == HNY_SEG_OK && self->type->bills)
                batch->billed += s_code_points (batch->segs[i].src, batch->segs[i].src_len);
        }
        if (response->status >= 300)
            hny_debug ("job %s: %s: HTTP %ld", batch->job[0] ? batch->job : "-",
                       self->profile.name, response->status);
    }
    free (call);
    assert (batch->pending > 0);
    batch->pending--;
    s_maybe_finish (batch);
}

static void
s_req_clear (hny_backend_req_t *req)
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
        s_req_clear (&req);
        return;
    }
    s_call_t *call = hny_calloc (1, sizeof *call);
    call->backend = self;
    call->batch = batch;
    call->first = first;
    call->count = count;
    hny_http_request_t request = {
        .method = "POST",
        .url = req.url,
        .headers = (const char *const *) req.headers,
        .body = req.body,
        .body_size = req.body_size,
        .timeout_ms = self->timeout_ms,
        .max_response = self->type->max_response,
        .cancelled = free         /* the call; its batch belongs to the caller */
    };
    if (hny_http_add (self->http, self->profile.name, &request, s_on_response, call) != 0) {
        for (size_t i = first; i < first + count; i++)
            hny_batch_set_error (batch, i, HNY_SEG_TRANSIENT, 502, "request could not be queued");
        free (call);
    }
    else {
        batch->pending++;
        batch->requests++;
    }
    s_req_clear (&req);
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
    int64_t max_bytes = self->profile.max_bytes;
    size_t i = 0;
    while (i < batch->count) {
        if (batch->segs[i].src_len == 0) {
            hny_batch_set_tgt (batch, i, "", 0);        /* nothing to pay for */
            i++;
            continue;
        }
        size_t first = i;
        int64_t bytes = (int64_t) batch->segs[i].src_len;
        i++;
        while (i < batch->count && i - first < (size_t) self->max_texts
               && batch->segs[i].src_len > 0
               && (max_bytes <= 0 || bytes + (int64_t) batch->segs[i].src_len <= max_bytes)) {
            bytes += (int64_t) batch->segs[i].src_len;
            i++;
        }
        s_send (self, batch, first, i - first);
    }
    s_maybe_finish (batch);
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
