/*  hny_backend.h: translation backends of honyaku-worker and the dispatch
    that runs a `translate` task's batch through one.

    A backend *type* is a vtable, hny_backend_type_t, of behaviour: how to
    build a request, how to read its response into per-segment translations
    or errors, and how to classify an HTTP status. What a type *is* (its
    defaults, limits, whether it takes a context, what it bills, how it
    sends markup) is its row of the backend table (honyaku/backends.h),
    shared with the config and honyakud.
    A backend *profile* ([backend.NAME] in the config) is an instance of a
    type, hny_backend_t, bound to the worker's HTTP engine. The dispatch
    here does everything common: splitting the batch into requests (by
    count, by bytes, by context; halving a request the service finds too
    large), per-pair setup requests, transport errors, Retry-After, counting requests and billed characters, and building
    the RESULT body of proto/PROTOCOL.md:

        {"segments": [{"id": N, "tgt": "..."} |
                      {"id": N, "error": {"class": "transient"|"permanent"|"paused",
                                          "code": int, "reason": "...",
                                          "retry_after_ms": int (optional)}}],
         "requests": n, "chars_billed": n,
         "usage": {"character_count": n, "character_limit": n} (optional),
         "tokens": {"prompt": n, "completion": n} (optional)}

    "usage" is the account's usage as the service last reported it during
    this task (DeepL's GET /v2/usage); "tokens" the tokens an
    OpenAI-compatible service reported for this task's requests.

    Error codes: the HTTP status when the service answered; 504 when the
    request timed out and 502 for other transport failures (refused, reset,
    unresolved), as a gateway would say; 400 for input the backend refuses
    before sending anything. The worker never retries: the broker re-queues
    transient failures. */
#ifndef HNY_BACKEND_H
#define HNY_BACKEND_H

#include "hny_http.h"
#include "hny_markup.h"

#include <honyaku/backends.h>
#include <honyaku/config.h>
#include <honyaku/util.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* How a segment failed. Never renumber. */
typedef enum {
    HNY_SEG_PENDING = 0,        /* no outcome yet */
    HNY_SEG_OK = 1,             /* translated */
    HNY_SEG_TRANSIENT = 2,      /* try again later (5xx, 429, timeouts, resets) */
    HNY_SEG_PERMANENT = 3,      /* will fail again the same way */
    HNY_SEG_PAUSED = 4          /* the profile must stop (quota gone, bad key) */
} hny_seg_class_t;

/* The protocol name of a class: "transient", "permanent", "paused"; "ok"; "pending". */
const char *hny_seg_class_name (hny_seg_class_t cls);

/* ---------------------------------------------------------------- batch */

/* One `translate` task's segments and their outcomes. */
typedef struct _hny_batch_t hny_batch_t;

#define HNY_BATCH_MAX_SEGMENTS  10000          /* segments per task */
#define HNY_BATCH_MAX_SRC       (256 * 1024)   /* bytes of one segment's src */

/* Parse a translate task body {"segments":[{"id","src","context"?}],
   "context"?, "probe"?: true}; the body's "context" (optional) is that of
   every segment without its own; "probe" (optional) says the profile is
   paused and the task is the broker's probe (a type may then ask a free
   endpoint first).
   from/to are the task's languages (copied); job (copied, may be NULL) is
   used on log lines. Returns the batch (caller owns) or NULL with *reason
   set (caller owns) to a one-line explanation of what is malformed. */
hny_batch_t *hny_batch_new (const void *body, size_t size, const char *from, const char *to,
                            const char *job, char **reason);
void hny_batch_destroy (hny_batch_t **self_p);

size_t hny_batch_size (const hny_batch_t *self);
const char *hny_batch_from (const hny_batch_t *self);
const char *hny_batch_to (const hny_batch_t *self);
const char *hny_batch_job (const hny_batch_t *self);         /* "" when none */
int64_t hny_batch_id (const hny_batch_t *self, size_t index);
const char *hny_batch_src (const hny_batch_t *self, size_t index);
size_t hny_batch_src_len (const hny_batch_t *self, size_t index);
const char *hny_batch_context (const hny_batch_t *self, size_t index);  /* NULL when none */
/* 1 when the task body said "probe": true. */
int hny_batch_probe (const hny_batch_t *self);
/* The parsed inline markup of segment index when its src holds ⟦n⟧
   placeholders for it (borrowed), else NULL: for types that send markup
   their own way (DeepL's tag_handling). Element n of the placeholders is
   the n-th opening tag of hny_markup_render over the whole text. */
const hny_markup_t *hny_batch_markup (const hny_batch_t *self, size_t index);
/* The src of segment index in the inline form, as the worker read it
   (elements without text dropped, hny_markup_parse): what its tgt is
   compared with (honyaku/qa.h). Caller owns. */
char *hny_batch_src_inline (const hny_batch_t *self, size_t index);

/* Record outcomes; the first outcome of a segment wins. tgt is copied and
   must be valid UTF-8 (else the segment fails permanently instead).
   Markup (hny_markup.h): hny_batch_new keeps each src's inline markup
   aside and hny_batch_src returns plain text with ⟦n⟧ ... ⟦/n⟧
   placeholders; hny_batch_set_tgt turns them back into tags, makes the
   quotes consistent with the source's, and when the placeholders came back
   lost, duplicated or crossed stores the text without markup and adds a
   "warning" member to the segment's RESULT entry. */
void hny_batch_set_tgt (hny_batch_t *self, size_t index, const char *tgt, size_t len);
/* The same, with a warning of the type's own (e.g. a lost glossary term)
   added to the segment's "warning"; warning may be NULL. */
void hny_batch_set_tgt_warning (hny_batch_t *self, size_t index, const char *tgt, size_t len,
                                const char *warning);
void hny_batch_set_error (hny_batch_t *self, size_t index, hny_seg_class_t cls, int code,
                          const char *reason);
hny_seg_class_t hny_batch_class (const hny_batch_t *self, size_t index);
/* The translation of a translated segment (borrowed), else NULL. */
const char *hny_batch_tgt (const hny_batch_t *self, size_t index);
/* Segments that have an outcome. */
size_t hny_batch_done_count (const hny_batch_t *self);
void hny_batch_add_billed (hny_batch_t *self, int64_t chars);
/* The delay a transient failure asks for (the service's Retry-After), in
   ms; 0 when none. The dispatch sets it; the RESULT carries it as the
   error's optional "retry_after_ms". */
int64_t hny_batch_retry_after_ms (const hny_batch_t *self, size_t index);
int64_t hny_batch_billed (const hny_batch_t *self);
int64_t hny_batch_requests (const hny_batch_t *self);
/* The account's usage as the service reported it during this task (the
   last report wins); the RESULT then carries "usage". limit 0: none. */
void hny_batch_set_usage (hny_batch_t *self, int64_t count, int64_t limit);
/* Add tokens a service reported for one request; the RESULT then carries
   "tokens" with the sums. */
void hny_batch_add_tokens (hny_batch_t *self, int64_t prompt, int64_t completion);

/* The checks' flags of translated segment index (hny_segqa.h): the JSON
   text of its "qa" array (PROTOCOL.md 5.3), taken over (NULL: none). */
void hny_batch_set_qa (hny_batch_t *self, size_t index, char *qa);
/* The RESULT body's JSON text (PROTOCOL.md 5.3; what json_dumps wrote of
   the same members, JSON_COMPACT), written straight into a buffer: the
   caller owns it, *size (may be NULL) is its length. NULL when it would
   be larger than a body may be (HNY_PROTO_BODY_MAX). */
char *hny_batch_result_text (const hny_batch_t *self, size_t *size);
/* The same as a jansson value, for tests and tools. Caller owns. */
json_t *hny_batch_result (const hny_batch_t *self);
/* The RESULT's "calls" (PROTOCOL.md 5.3): one {"status", "ms"} per
   translation request that ended, in the order they ended, at most
   HNY_PROTO_CALLS_MAX (later ones are not listed); NULL when none.
   Borrowed: valid until the batch is destroyed. */
const json_t *hny_batch_calls (const hny_batch_t *self);

/* -------------------------------------------------------------- backend */

typedef struct _hny_backend_t hny_backend_t;

/* What a type's build fills in: one HTTP request. Strings are owned by the
   request (set with hny_strdup/hny_malloc; the dispatch frees them). */
typedef struct {
    char *url;
    char *body;
    size_t body_size;
    char *headers[8];           /* "Name: value" lines, NULL-terminated; may hold keys */
    const char *method;         /* a literal: "GET", "DELETE"; NULL: POST */
} hny_backend_req_t;

/* How a type's setup fails the batches waiting for it (see setup_done).
   reason is set with hny_sprintf (or left NULL); the dispatch frees it. */
typedef struct {
    hny_seg_class_t cls;
    int code;
    char *reason;
} hny_backend_fail_t;

/* A backend type: its behaviour. Every function pointer but
   translate_local is required for network backends; a local backend sets
   translate_local only. Its traits are the table's row of the same name. */
typedef struct {
    const char *name;               /* config "type": the table row's name */

    /* Local backends: fill every outcome of the batch without network.
       Returns 0 or -1. */
    int (*translate_local) (hny_backend_t *backend, hny_batch_t *batch);

    /* Check that the type serves from -> to before anything is sent; on
       refusal return -1 with *reason (caller owns). May be NULL. */
    int (*check_pair) (hny_backend_t *backend, const char *from, const char *to, char **reason);

    /* Build the request for segments [first, first + count) of the batch.
       Returns 0, or -1 with *reason (caller owns): those segments then fail
       permanently with code 400. */
    int (*build) (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
                  hny_backend_req_t *req, char **reason);

    /* Read a response (any HTTP status) into outcomes for segments
       [first, first + count) with hny_batch_set_tgt / hny_batch_set_error.
       Segments left without an outcome fail permanently ("no translation
       in the response"). */
    void (*parse) (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                   const hny_http_response_t *response);

    /* Class of a non-2xx HTTP status. */
    hny_seg_class_t (*classify) (long status);

    /* --- Optional parts (NULL when unused). --- */

    /* The base URL to use, given the profile's url (NULL when unset) and
       the key; NULL when there is none. DeepL: keys ending in ":fx" use
       the free API. Without this hook the profile's url is used as is. */
    const char *(*resolve_url) (const char *url, const char *key);

    /* Per-instance state: init runs at the end of hny_backend_new (e.g. to
       load the glossary) and returns 0, or -1 with *error (caller owns);
       fini frees it at hny_backend_destroy. See hny_backend_state. */
    int (*init) (hny_backend_t *backend, char **error);
    void (*fini) (hny_backend_t *backend);

    /* Requests to send, one after the other, before the first batch of a
       language pair (DeepL: find or create the glossary). setup returns 1
       with req filled for the next request of the sequence, 0 when the
       pair is ready. Batches of the pair wait meanwhile. setup_done gets
       each response (any status or transport error; NULL when the request
       was cancelled: the pair is set up again on its next batch) and
       returns 0 to go on (setup is called again), or -1 with *fail set:
       the waiting batches' pending segments fail that way (transient ones
       with the response's Retry-After) and the pair is set up again on
       its next batch. */
    int (*setup) (hny_backend_t *backend, const char *from, const char *to,
                  hny_backend_req_t *req);
    int (*setup_done) (hny_backend_t *backend, const char *from, const char *to,
                       const hny_http_response_t *response, hny_backend_fail_t *fail);

    /* 1 when a response says the request was too large (besides HTTP 413,
       which always is): the dispatch then splits it in halves and sends
       them again; a single segment fails with the type's parse. */
    int (*too_large) (const hny_http_response_t *response);

    /* Translate segment index without a request when the type can (a
       glossary term that is the whole segment): set its outcome and
       return 1, else 0. Called for every segment before packing. */
    int (*local) (hny_backend_t *backend, hny_batch_t *batch, size_t index);

    /* A request to send before a batch, after its pair check (DeepL: GET
       /v2/usage while the quota is known to be gone, a free probe).
       Returns 1 with req filled, 0 when the batch goes at once.
       preflight_done gets the response (never NULL: a cancelled request
       drops the batch) and may set outcomes of segments (e.g. paused):
       those are not sent; the others go on to the setup and the requests. */
    int (*preflight) (hny_backend_t *backend, const hny_batch_t *batch, hny_backend_req_t *req);
    void (*preflight_done) (hny_backend_t *backend, hny_batch_t *batch,
                            const hny_http_response_t *response);
} hny_backend_type_t;

/* The built-in types, one hny_backend_ID per X (ID) of the backend table's
   HNY_BACKEND_TYPES, and a lookup by config "type"; NULL when unknown. */
#define HNY_BACKEND_DECLARE(id) extern const hny_backend_type_t hny_backend_##id;
HNY_BACKEND_TYPES (HNY_BACKEND_DECLARE)
#undef HNY_BACKEND_DECLARE
const hny_backend_type_t *hny_backend_type_find (const char *name);
/* The registered types in table order: index < hny_backends_count (). */
const hny_backend_type_t *hny_backend_type_at (size_t index);

/* An instance of the profile's type over the engine http (borrowed: it
   must outlive the backend). Reads the profile's key when it names one.
   Returns the backend (caller owns) or NULL with *error (caller owns) when
   the type is unknown or the key cannot be read. */
hny_backend_t *hny_backend_new (const hny_profile_t *profile, hny_http_t *http, char **error);
void hny_backend_destroy (hny_backend_t **self_p);

const char *hny_backend_name (const hny_backend_t *self);       /* the profile name */
const hny_backend_type_t *hny_backend_type (const hny_backend_t *self);
/* The type's row of the backend table (borrowed, static). */
const hny_backend_traits_t *hny_backend_traits (const hny_backend_t *self);
const hny_profile_t *hny_backend_profile (const hny_backend_t *self);  /* a private copy */
/* The API key ("" when none); for the type's build only, never to be logged. */
const char *hny_backend_key (const hny_backend_t *self);
/* The base URL (the type's resolve_url applied), without trailing
   slashes. Never NULL for a network backend. */
const char *hny_backend_url (const hny_backend_t *self);
/* Texts per request and request body cap in effect: the profile's, else
   the type's default, never above the type's limit. */
int hny_backend_max_texts (const hny_backend_t *self);
size_t hny_backend_max_bytes (const hny_backend_t *self);
/* The type's per-instance state (borrowed; the type's fini frees it). */
void *hny_backend_state (const hny_backend_t *self);
void hny_backend_set_state (hny_backend_t *self, void *state);

typedef void (hny_batch_done_fn) (hny_batch_t *batch, void *arg);

/* Translate the batch: queue its requests on the engine; done(batch, arg)
   is called once every segment has an outcome: from a later hny_http_run,
   or before this returns (local backends, pairs refused up front). The
   batch is borrowed and must live until done is called, or until the
   caller cancels the engine's requests (hny_http_cancel_all) and then
   destroys it. Returns 0 or -1 (then done is not called). */
int hny_backend_translate (hny_backend_t *self, hny_batch_t *batch, hny_batch_done_fn *done,
                           void *arg);

/* Set up the pair from -> to again with its next batch (e.g. the service
   no longer knows the glossary the setup made). No-op when not set up. */
void hny_backend_setup_reset (hny_backend_t *self, const char *from, const char *to);

/* Retry-After (delta-seconds or an HTTP date) in ms from now, capped at one
   hour; 0 when value is NULL, unreadable or in the past. */
int64_t hny_backend_retry_after_ms (const char *value);

/* Shared helpers for types. */
/* Serialize body (compact, UTF-8 as is) into req->body and add a
   "Content-Type: application/json" header in req's first free slot. The
   body is borrowed. */
void hny_backend_req_json (hny_backend_req_t *req, const json_t *body);
/* The same with a JSON text written by the type (hny_json.h's writers):
   its content is taken (body is left empty). A body past its cap is a
   programming error, as above: a request's texts come from one TASK,
   itself under HNY_PROTO_BODY_MAX, so a buffer of that cap holds it. */
void hny_backend_req_json_text (hny_backend_req_t *req, hny_buf_t *body);
/* Free what a built request holds (url, body, headers), the body and the
   headers wiped first (they may carry keys), and zero it. */
void hny_backend_req_clear (hny_backend_req_t *req);
/* Add a header line (formatted, of any length) in req's first free slot; printf-like. */
void hny_backend_req_header (hny_backend_req_t *req, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Fail segments [first, first + count) alike; the reason is printf-like
   and prefixed with the profile name. */
void hny_backend_fail (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                       hny_seg_class_t cls, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 7, 8)));
/* Append a percent-encoded copy of s (form encoding) to a growing string. */
char *hny_backend_form_append (char *form, const char *name, const char *value);
/* The default classification: 429, 5xx and 408 transient; 401, 403 and 456
   paused; other statuses permanent. */
hny_seg_class_t hny_backend_classify_default (long status);

#endif
