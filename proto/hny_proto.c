/*  hny_proto.c: the HNY/1 wire codec (include/honyaku/proto.h,
    proto/PROTOCOL.md).

    Encoding writes the frames signature, command, compact JSON header and
    the optional body. Decoding never trusts the peer: it checks the frame
    count, every frame against its cap, the signature, the command, the
    header's encoding, size, nesting depth and duplicate keys, then each
    header field named in one table (s_fields) against its JSON type and
    limits, and last the presence of a body. Whatever fails becomes an
    HNY_MSG_INVALID message that keeps the routing id (and the header when
    it parsed) so that the caller can answer REJECTED on the same route.

    Members a message does not define are never judged (PROTOCOL.md
    section 4): the header is parsed with U+0000 allowed, and when jansson
    still refuses valid JSON (U+0000 in an object key, a number past its
    range) it is loaded member by member so that only a member the
    message defines can fail it (s_load_members). */

#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_FRAMES    4       /* after the routing id */
#define S_COMMAND_MAX   16      /* bytes of the command frame */
#define S_ROUTING_MAX   256     /* ZeroMQ routing ids are at most 255 bytes */

struct _hny_msg_t {
    hny_msg_id_t id;
    json_t *header;             /* always an object; owned */
    uint8_t *body;              /* owned; NULL when absent (or empty and absent) */
    size_t body_size;
    bool has_body;
    uint8_t routing [S_ROUTING_MAX];
    size_t routing_size;
    int error_status;           /* HNY_MSG_INVALID only */
    char *error_reason;         /* HNY_MSG_INVALID only; owned */
};

/* Command names, indexed by hny_msg_id_t. */
static const char *const s_names [] = {
    NULL, "SUBMIT", "ACCEPTED", "REJECTED", "STATUS", "WAIT", "DONE", "FETCH",
    "RECORD", "LIST", "LISTING", "STATS", "READY", "TASK", "RESULT",
    "HEARTBEAT", "DISCONNECT", "TMIMPORT", "TMEXPORT", "TM"
};
#define S_NAME_COUNT (sizeof s_names / sizeof s_names [0])

/* Which commands carry a body. */
typedef enum { S_BODY_NEVER, S_BODY_REQUIRED, S_BODY_OPTIONAL } s_body_rule_t;

static s_body_rule_t
s_body_rule (hny_msg_id_t id)
{
    switch (id) {
        case HNY_MSG_SUBMIT:
        case HNY_MSG_RECORD:
        case HNY_MSG_TASK:
        case HNY_MSG_TMIMPORT:
            return S_BODY_REQUIRED;
        case HNY_MSG_RESULT:
        case HNY_MSG_TM:
            return S_BODY_OPTIONAL;
        default:
            return S_BODY_NEVER;
    }
}

/* Header field types. */
typedef enum {
    S_STR,          /* JSON string, at most max bytes (0: the header cap), no U+0000 */
    S_INT,          /* JSON integer within [min, max] */
    S_BOOL,
    S_OBJECT,       /* JSON object; no U+0000 in any string inside */
    S_ARRAY,        /* JSON array of at most items items (0: no cap); no U+0000 in any
                       string inside */
    S_STR_ARRAY,    /* array of at most items strings (0: no cap), each at most max bytes */
    S_STR_OR_INT,   /* "req": string of at most max bytes, or any integer */
    S_METADATA      /* S_OBJECT whose members named in PROTOCOL.md section 11.2
                       have the record's types (s_check_metadata) */
} s_type_t;

/* When a field is required. STATUS and STATS are both requests and
   replies under one name: a message carrying "status" is the reply, and
   the reply's fields are not the request's (a request that carries them
   carries members it does not define, which are ignored). A STATUS reply
   that names a job is a job's status, with its own required fields. */
typedef enum {
    S_OPTIONAL,                 /* checked when present */
    S_REQUIRED,
    S_REQUIRED_IN_REPLY,        /* required in a reply, ignored in a request */
    S_OPTIONAL_IN_REPLY,        /* checked when present in a reply, ignored in a request */
    S_REQUIRED_IN_JOB_REPLY     /* required in a reply with "job", checked in any reply */
} s_need_t;

typedef struct {
    hny_msg_id_t id;            /* HNY_MSG_INVALID: every command */
    const char *field;
    s_type_t type;
    s_need_t need;
    int64_t min, max;           /* S_INT range; S_STR* max bytes (0 = no own cap) */
    size_t items;               /* S_ARRAY, S_STR_ARRAY: most items (0 = no own cap) */
} s_field_t;

#define S_ANY HNY_MSG_INVALID
#define S_IMIN INT64_MIN
#define S_IMAX INT64_MAX
#define S_ID_MAX     64         /* job ids, task ids, profile names, languages, req */
#define S_KEY_MAX    256
#define S_STATE_MAX  16         /* job states, task kinds, formats */
#define S_SOURCE_MAX 4096

/* The one table of header fields: PROTOCOL.md section 5 mirrors it, row
   by row (types, requiredness and the limits marked with a dagger). */
static const s_field_t s_fields [] = {
    { S_ANY,             "req",        S_STR_OR_INT, S_OPTIONAL, 0, S_ID_MAX, 0 },
    /* 5.1 client to broker */
    { HNY_MSG_SUBMIT,    "from",       S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_SUBMIT,    "to",         S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_SUBMIT,    "backend",    S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_SUBMIT,    "key",        S_STR,   S_OPTIONAL, 0, S_KEY_MAX, 0 },
    { HNY_MSG_SUBMIT,    "format",     S_STR,   S_OPTIONAL, 0, S_STATE_MAX, 0 },
    { HNY_MSG_SUBMIT,    "lenient",    S_BOOL,  S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_SUBMIT,    "source",     S_STR,   S_OPTIONAL, 0, S_SOURCE_MAX, 0 },
    { HNY_MSG_SUBMIT,    "metadata",   S_METADATA, S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_SUBMIT,    "kind",       S_STR,   S_OPTIONAL, 0, S_STATE_MAX, 0 },
    { HNY_MSG_SUBMIT,    "src_bytes",  S_INT,   S_OPTIONAL, 0, HNY_PROTO_BODY_MAX, 0 },
    { HNY_MSG_SUBMIT,    "target_source", S_STR, S_OPTIONAL, 0, S_SOURCE_MAX, 0 },
    { HNY_MSG_STATUS,    "job",        S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_WAIT,      "job",        S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_WAIT,      "timeout_ms", S_INT,   S_OPTIONAL, 0, 3600000, 0 },
    { HNY_MSG_FETCH,     "job",        S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_LIST,      "after",      S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_LIST,      "limit",      S_INT,   S_OPTIONAL, 1, 1000, 0 },
    { HNY_MSG_LIST,      "state",      S_STR,   S_OPTIONAL, 0, S_STATE_MAX, 0 },
    { HNY_MSG_TMIMPORT,  "from",       S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_TMIMPORT,  "to",         S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_TMIMPORT,  "origin",     S_STR,   S_REQUIRED, 0, S_SOURCE_MAX, 0 },
    { HNY_MSG_TMEXPORT,  "from",       S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TMEXPORT,  "to",         S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TMEXPORT,  "origin",     S_STR,   S_OPTIONAL, 0, S_STATE_MAX, 0 },
    { HNY_MSG_TMEXPORT,  "after",      S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TMEXPORT,  "limit",      S_INT,   S_OPTIONAL, 1, 10000, 0 },
    /* 5.2 broker to client */
    { HNY_MSG_ACCEPTED,  "job",        S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_ACCEPTED,  "key",        S_STR,   S_REQUIRED, 0, S_KEY_MAX, 0 },
    { HNY_MSG_ACCEPTED,  "existing",   S_BOOL,  S_REQUIRED, 0, 0, 0 },
    { HNY_MSG_ACCEPTED,  "state",      S_STR,   S_REQUIRED, 0, S_STATE_MAX, 0 },
    { HNY_MSG_REJECTED,  "status",     S_INT,   S_REQUIRED, 100, 599, 0 },
    { HNY_MSG_REJECTED,  "reason",     S_STR,   S_REQUIRED, 0, 0, 0 },
    { HNY_MSG_REJECTED,  "job",        S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_STATUS,    "status",     S_INT,   S_OPTIONAL, 100, 599, 0 },
    { HNY_MSG_STATUS,    "state",      S_STR,   S_REQUIRED_IN_JOB_REPLY, 0, S_STATE_MAX, 0 },
    { HNY_MSG_STATUS,    "key",        S_STR,   S_REQUIRED_IN_JOB_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "segments",   S_INT,   S_REQUIRED_IN_JOB_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_STATUS,    "done",       S_INT,   S_REQUIRED_IN_JOB_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_STATUS,    "failed",     S_INT,   S_REQUIRED_IN_JOB_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_STATUS,    "error",      S_STR,   S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "paused",     S_STR,   S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "waiting",    S_STR,   S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "created",    S_INT,   S_REQUIRED_IN_JOB_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_STATUS,    "backend",    S_STR,   S_REQUIRED_IN_JOB_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "jobs",       S_OBJECT, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "workers",    S_INT,   S_OPTIONAL_IN_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_STATUS,    "queue",      S_OBJECT, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "profiles",   S_ARRAY, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "store",      S_STR,   S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "draining",   S_BOOL,  S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATUS,    "version",    S_STR,   S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_DONE,      "status",     S_INT,   S_REQUIRED, 100, 599, 0 },
    { HNY_MSG_DONE,      "job",        S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_DONE,      "state",      S_STR,   S_REQUIRED, 0, S_STATE_MAX, 0 },
    { HNY_MSG_RECORD,    "status",     S_INT,   S_REQUIRED, 100, 599, 0 },
    { HNY_MSG_RECORD,    "job",        S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_LISTING,   "status",     S_INT,   S_REQUIRED, 100, 599, 0 },
    { HNY_MSG_LISTING,   "jobs",       S_ARRAY, S_REQUIRED, 0, 0, 0 },
    { HNY_MSG_LISTING,   "next",       S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_STATS,     "status",     S_INT,   S_OPTIONAL, 100, 599, 0 },
    { HNY_MSG_STATS,     "profiles",   S_OBJECT, S_REQUIRED_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATS,     "jobs",       S_OBJECT, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATS,     "workers",    S_INT,   S_OPTIONAL_IN_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_STATS,     "queue",      S_OBJECT, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATS,     "leased",     S_OBJECT, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATS,     "job_seconds", S_OBJECT, S_OPTIONAL_IN_REPLY, 0, 0, 0 },
    { HNY_MSG_STATS,     "since",      S_INT,   S_OPTIONAL_IN_REPLY, S_IMIN, S_IMAX, 0 },
    { HNY_MSG_TM,        "status",     S_INT,   S_REQUIRED, 100, 599, 0 },
    { HNY_MSG_TM,        "human",      S_INT,   S_REQUIRED, 0, S_IMAX, 0 },
    { HNY_MSG_TM,        "machine",    S_INT,   S_REQUIRED, 0, S_IMAX, 0 },
    { HNY_MSG_TM,        "imported",   S_INT,   S_OPTIONAL, 0, S_IMAX, 0 },
    { HNY_MSG_TM,        "entries",    S_INT,   S_OPTIONAL, 0, S_IMAX, 0 },
    { HNY_MSG_TM,        "next",       S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    /* 5.3 worker to broker */
    { HNY_MSG_READY,     "credit",     S_INT,   S_REQUIRED, 1, 1000000, 0 },
    { HNY_MSG_READY,     "backends",   S_STR_ARRAY, S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_READY,     "name",       S_STR,   S_OPTIONAL, 0, 256, 0 },
    { HNY_MSG_READY,     "pid",        S_INT,   S_OPTIONAL, 0, S_IMAX, 0 },
    { HNY_MSG_READY,     "tasks",      S_STR_ARRAY, S_OPTIONAL, 0, S_ID_MAX, 1000 },
    { HNY_MSG_READY,     "draining",   S_BOOL,  S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_READY,     "spares",     S_BOOL,  S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_RESULT,    "task",       S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_RESULT,    "status",     S_INT,   S_REQUIRED, 100, 599, 0 },
    { HNY_MSG_RESULT,    "reason",     S_STR,   S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_RESULT,    "calls",      S_ARRAY, S_OPTIONAL, 0, 0, HNY_PROTO_CALLS_MAX },
    { HNY_MSG_RESULT,    "profile",    S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    /* 5.4 broker to worker */
    { HNY_MSG_TASK,      "task",       S_STR,   S_REQUIRED, 0, S_ID_MAX, 0 },
    { HNY_MSG_TASK,      "kind",       S_STR,   S_REQUIRED, 0, S_STATE_MAX, 0 },
    { HNY_MSG_TASK,      "lease_ms",   S_INT,   S_REQUIRED, 1, S_IMAX, 0 },
    { HNY_MSG_TASK,      "job",        S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TASK,      "format",     S_STR,   S_OPTIONAL, 0, S_STATE_MAX, 0 },
    { HNY_MSG_TASK,      "from",       S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TASK,      "to",         S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TASK,      "lenient",    S_BOOL,  S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_TASK,      "source",     S_STR,   S_OPTIONAL, 0, S_SOURCE_MAX, 0 },
    { HNY_MSG_TASK,      "profile",    S_STR,   S_OPTIONAL, 0, S_ID_MAX, 0 },
    { HNY_MSG_TASK,      "spare",      S_BOOL,  S_OPTIONAL, 0, 0, 0 },
    { HNY_MSG_TASK,      "after",      S_INT,   S_OPTIONAL, 0, S_IMAX, 0 },
    /* 5.5 both directions */
    { HNY_MSG_HEARTBEAT, "heartbeat_ms", S_INT, S_OPTIONAL, 1, 600000, 0 },
    { HNY_MSG_HEARTBEAT, "tasks",      S_STR_ARRAY, S_OPTIONAL, 0, S_ID_MAX, 1000 },
    { HNY_MSG_DISCONNECT, "reason",    S_STR,   S_OPTIONAL, 0, 0, 0 },
};
#define S_FIELD_COUNT (sizeof s_fields / sizeof s_fields [0])


hny_msg_t *
hny_msg_new (hny_msg_id_t id)
{
    hny_msg_t *self = hny_calloc (1, sizeof *self);
    self->id = id;
    self->header = json_object ();
    if (!self->header) {
        hny_error ("out of memory in json_object");
        abort ();
    }
    return self;
}

void
hny_msg_destroy (hny_msg_t **self_p)
{
    assert (self_p);
    hny_msg_t *self = *self_p;
    if (!self)
        return;
    json_decref (self->header);
    free (self->body);
    free (self->error_reason);
    free (self);
    *self_p = NULL;
}

hny_msg_id_t
hny_msg_id (const hny_msg_t *self)
{
    assert (self);
    return self->id;
}

const char *
hny_msg_command_name (hny_msg_id_t id)
{
    if ((size_t) id >= S_NAME_COUNT)
        return NULL;
    return s_names [id];
}

json_t *
hny_msg_header (hny_msg_t *self)
{
    assert (self);
    return self->header;
}

const char *
hny_msg_get_str (const hny_msg_t *self, const char *field)
{
    assert (self);
    return json_string_value (json_object_get (self->header, field));
}

int64_t
hny_msg_get_int (const hny_msg_t *self, const char *field, int64_t dflt)
{
    assert (self);
    json_t *value = json_object_get (self->header, field);
    return json_is_integer (value) ? (int64_t) json_integer_value (value) : dflt;
}

void
hny_msg_set_str (hny_msg_t *self, const char *field, const char *value)
{
    assert (self && field);
    if (!value) {
        json_object_del (self->header, field);
        return;
    }
    json_t *string = json_string (value);
    if (!string) {
        /* Not UTF-8 (a file name from disk, say): the header must be, so
           replace each byte that does not decode with U+FFFD. */
        size_t len = strlen (value);
        char *clean = hny_malloc (len * 3 + 1);
        size_t out = 0;
        for (size_t i = 0; i < len; ) {
            size_t n = 1;
            while (n <= 4 && i + n <= len && !hny_utf8_valid (value + i, n))
                n++;
            if (n <= 4 && i + n <= len) {
                memcpy (clean + out, value + i, n);
                out += n;
                i += n;
            }
            else {
                memcpy (clean + out, "\xEF\xBF\xBD", 3);
                out += 3;
                i++;
            }
        }
        clean [out] = 0;
        string = json_string (clean);
        free (clean);
    }
    assert (string);
    json_object_set_new (self->header, field, string);
}

void
hny_msg_set_int (hny_msg_t *self, const char *field, int64_t value)
{
    assert (self && field);
    json_object_set_new (self->header, field, json_integer ((json_int_t) value));
}

void
hny_msg_set_body (hny_msg_t *self, const void *data, size_t size)
{
    assert (self);
    assert (data || size == 0);
    uint8_t *copy = hny_malloc (size ? size : 1);
    if (size)
        memcpy (copy, data, size);
    hny_msg_take_body (self, copy, size);
}

void
hny_msg_take_body (hny_msg_t *self, void *data, size_t size)
{
    assert (self);
    free (self->body);
    self->body = data;
    self->body_size = data ? size : 0;
    self->has_body = true;
}

const uint8_t *
hny_msg_body (const hny_msg_t *self, size_t *size)
{
    assert (self);
    if (size)
        *size = self->has_body ? self->body_size : 0;
    if (!self->has_body)
        return NULL;
    /* An empty body is present but has no bytes: hand out a valid pointer. */
    return self->body ? self->body : (const uint8_t *) "";
}

int
hny_msg_has_body (const hny_msg_t *self)
{
    assert (self);
    return self->has_body;
}

void
hny_msg_set_routing_id (hny_msg_t *self, const void *id, size_t size)
{
    assert (self);
    assert (size <= S_ROUTING_MAX);
    if (size > S_ROUTING_MAX)
        size = S_ROUTING_MAX;
    if (size)
        memcpy (self->routing, id, size);
    self->routing_size = size;
}

const uint8_t *
hny_msg_routing_id (const hny_msg_t *self, size_t *size)
{
    assert (self);
    if (size)
        *size = self->routing_size;
    return self->routing;
}

int
hny_msg_error_status (const hny_msg_t *self)
{
    assert (self);
    return self->error_status;
}

const char *
hny_msg_error_reason (const hny_msg_t *self)
{
    assert (self);
    return self->error_reason;
}

/* Turn self into an HNY_MSG_INVALID message; returns self for chaining. */
static hny_msg_t *
s_invalid (hny_msg_t *self, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static hny_msg_t *
s_invalid (hny_msg_t *self, int status, const char *fmt, ...)
{
    self->id = HNY_MSG_INVALID;
    self->error_status = status;
    free (self->error_reason);
    char buffer [256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (buffer, sizeof buffer, fmt, args);
    va_end (args);
    self->error_reason = hny_strdup (buffer);
    free (self->body);
    self->body = NULL;
    self->body_size = 0;
    self->has_body = false;
    return self;
}

/* Depth of the deepest nesting of [ and { in JSON text, stopping early
   past limit. Runs before jansson so that no deep tree is ever built. */
static int
s_json_depth (const uint8_t *text, size_t size, int limit)
{
    int depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < size; i++) {
        uint8_t c = text [i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        }
        else if (c == '"')
            in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > deepest)
                deepest = depth;
            if (deepest > limit)
                break;
        }
        else if ((c == ']' || c == '}') && depth > 0)
            depth--;
    }
    return deepest;
}

/* True when the string value holds U+0000 (jansson keeps its length). */
static bool
s_has_nul (json_t *string)
{
    return memchr (json_string_value (string), 0, json_string_length (string)) != NULL;
}

/* True when any string inside value (at any depth) holds U+0000. Object
   keys never do: jansson refuses them, and the decoder drops or refuses
   the member that holds one (s_load_members). Depth is bounded by the
   header's nesting cap. */
static bool
s_nul_inside (json_t *value)
{
    if (json_is_string (value))
        return s_has_nul (value);
    if (json_is_array (value)) {
        size_t index;
        json_t *item;
        json_array_foreach (value, index, item)
            if (s_nul_inside (item))
                return true;
    }
    else if (json_is_object (value)) {
        const char *key;
        json_t *item;
        json_object_foreach (value, key, item)
            if (s_nul_inside (item))
                return true;
    }
    return false;
}

/* The string rules shared by S_STR, S_STR_OR_INT and S_STR_ARRAY items:
   at most max bytes (0: no own cap) and no U+0000. */
static bool
s_string_fits (json_t *value, int64_t max)
{
    return json_is_string (value)
        && (max == 0 || json_string_length (value) <= (size_t) max)
        && !s_has_nul (value);
}

/* An ISO 8601 calendar date as records carry it: YYYY, YYYY-MM or
   YYYY-MM-DD (digits only; the ranges are the producer's business). */
static bool
s_iso_date (json_t *value)
{
    if (!json_is_string (value))
        return false;
    const char *text = json_string_value (value);
    size_t len = json_string_length (value);
    if (len != 4 && len != 7 && len != 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? text [i] != '-' : (text [i] < '0' || text [i] > '9'))
            return false;
    }
    return true;
}

/* SUBMIT's metadata is merged into the record's (PROTOCOL.md section
   12), whose members it names have fixed types: a client may give them,
   with those types. Other members are free (no U+0000, checked before).
   Returns the offending member, or NULL when the object is fine. */
static const char *
s_check_metadata (json_t *metadata)
{
    static const char *const strings [] = { "title", "issue", "section", "kicker", "source" };
    for (size_t i = 0; i < sizeof strings / sizeof strings [0]; i++) {
        json_t *value = json_object_get (metadata, strings [i]);
        if (value && !json_is_string (value))
            return strings [i];
    }
    json_t *date = json_object_get (metadata, "date");
    if (date && !s_iso_date (date))
        return "date";
    json_t *related = json_object_get (metadata, "related");
    if (related) {
        if (!json_is_array (related))
            return "related";
        size_t index;
        json_t *item;
        json_array_foreach (related, index, item) {
            json_t *item_date = json_object_get (item, "date");
            size_t known = 1 + (item_date != NULL);
            if (!json_is_object (item) || !json_is_string (json_object_get (item, "title"))
            ||  (item_date && !s_iso_date (item_date)) || json_object_size (item) != known)
                return "related";
        }
    }
    return NULL;
}

/* Check one header field against its rule; 0 or -1 with reason filled.
   Reasons name the field, so that a peer can tell what to fix. */
static int
s_check_field (const s_field_t *rule, json_t *value, char *reason, size_t reason_size)
{
    switch (rule->type) {
        case S_STR:
            if (!json_is_string (value)) {
                snprintf (reason, reason_size, "field '%s' must be a string", rule->field);
                return -1;
            }
            if (rule->max && json_string_length (value) > (size_t) rule->max) {
                snprintf (reason, reason_size, "field '%s' is longer than %lld bytes",
                          rule->field, (long long) rule->max);
                return -1;
            }
            if (s_has_nul (value)) {
                snprintf (reason, reason_size, "field '%s' holds a NUL character", rule->field);
                return -1;
            }
            return 0;
        case S_STR_OR_INT:
            if (json_is_integer (value) || s_string_fits (value, rule->max))
                return 0;
            snprintf (reason, reason_size,
                      json_is_string (value) && s_has_nul (value)
                      ? "field '%s' holds a NUL character"
                      : "field '%s' must be an integer or a string of at most %lld bytes",
                      rule->field, (long long) rule->max);
            return -1;
        case S_INT: {
            if (!json_is_integer (value)) {
                snprintf (reason, reason_size, "field '%s' must be an integer", rule->field);
                return -1;
            }
            int64_t n = (int64_t) json_integer_value (value);
            if (n < rule->min || n > rule->max) {
                snprintf (reason, reason_size, "field '%s' must be between %lld and %lld",
                          rule->field, (long long) rule->min, (long long) rule->max);
                return -1;
            }
            return 0;
        }
        case S_BOOL:
            if (!json_is_boolean (value)) {
                snprintf (reason, reason_size, "field '%s' must be true or false", rule->field);
                return -1;
            }
            return 0;
        case S_OBJECT:
        case S_METADATA:
        case S_ARRAY:
            if (rule->type == S_ARRAY ? !json_is_array (value) : !json_is_object (value)) {
                snprintf (reason, reason_size, "field '%s' must be an %s", rule->field,
                          rule->type == S_ARRAY ? "array" : "object");
                return -1;
            }
            if (rule->type == S_ARRAY && rule->items && json_array_size (value) > rule->items) {
                snprintf (reason, reason_size, "field '%s' has more than %zu items",
                          rule->field, rule->items);
                return -1;
            }
            /* Its strings go on into records and replies that peers
               decode with NUL-refusing parsers: none may hold U+0000. */
            if (s_nul_inside (value)) {
                snprintf (reason, reason_size, "field '%s' holds a NUL character", rule->field);
                return -1;
            }
            if (rule->type == S_METADATA) {
                const char *member = s_check_metadata (value);
                if (member) {
                    snprintf (reason, reason_size, "field '%s': member '%s' must be %s", rule->field,
                              member, strcmp (member, "date") == 0
                              ? "an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)"
                              : strcmp (member, "related") == 0
                              ? "an array of {\"title\": string, \"date\": ISO 8601 date (optional)}"
                              : "a string");
                    return -1;
                }
            }
            return 0;
        case S_STR_ARRAY: {
            if (!json_is_array (value)) {
                snprintf (reason, reason_size, "field '%s' must be an array of strings", rule->field);
                return -1;
            }
            if (rule->items && json_array_size (value) > rule->items) {
                snprintf (reason, reason_size, "field '%s' has more than %zu items",
                          rule->field, rule->items);
                return -1;
            }
            size_t index;
            json_t *item;
            json_array_foreach (value, index, item) {
                if (s_string_fits (item, rule->max))
                    continue;
                if (json_is_string (item) && s_has_nul (item))
                    snprintf (reason, reason_size, "field '%s' holds a NUL character", rule->field);
                else
                    snprintf (reason, reason_size,
                              "field '%s' must be an array of strings of at most %lld bytes",
                              rule->field, (long long) rule->max);
                return -1;
            }
            return 0;
        }
    }
    assert (false);
    return -1;
}

/* True when rule is a field of replies only (STATUS, STATS). */
static bool
s_reply_only (const s_field_t *rule)
{
    return rule->need == S_REQUIRED_IN_REPLY || rule->need == S_OPTIONAL_IN_REPLY
        || rule->need == S_REQUIRED_IN_JOB_REPLY;
}

/* The rule for field of message id, or NULL when the message does not
   define it (req is defined for every message). */
static const s_field_t *
s_rule_of (hny_msg_id_t id, const char *field, bool is_reply)
{
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *rule = &s_fields [i];
        if ((rule->id == S_ANY || rule->id == id) && strcmp (rule->field, field) == 0)
            return s_reply_only (rule) && !is_reply ? NULL : rule;
    }
    return NULL;
}

/* Check the header of a message whose command is known. */
static int
s_check_header (hny_msg_t *self, char *reason, size_t reason_size)
{
    bool is_reply = json_object_get (self->header, "status") != NULL;
    bool names_job = json_object_get (self->header, "job") != NULL;
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *rule = &s_fields [i];
        if (rule->id != S_ANY && rule->id != self->id)
            continue;
        if (!is_reply && s_reply_only (rule))
            continue;           /* not a field of the request */
        json_t *value = json_object_get (self->header, rule->field);
        if (!value) {
            if (rule->need == S_REQUIRED || rule->need == S_REQUIRED_IN_REPLY
            ||  (rule->need == S_REQUIRED_IN_JOB_REPLY && names_job)) {
                snprintf (reason, reason_size, "%s needs field '%s'",
                          s_names [self->id], rule->field);
                return -1;
            }
            continue;
        }
        if (s_check_field (rule, value, reason, reason_size))
            return -1;
    }
    return 0;
}

/* Skip JSON whitespace. */
static size_t
s_skip_ws (const char *text, size_t size, size_t pos)
{
    while (pos < size && (text [pos] == ' ' || text [pos] == '\t'
                          || text [pos] == '\n' || text [pos] == '\r'))
        pos++;
    return pos;
}

/* End of the JSON string that starts at text [pos] (a quote): the index
   past its closing quote, or 0 when it does not close. */
static size_t
s_skip_string (const char *text, size_t size, size_t pos)
{
    for (pos++; pos < size; pos++) {
        if (text [pos] == '\\')
            pos++;
        else if (text [pos] == '"')
            return pos + 1;
    }
    return 0;
}

/* End of the JSON value that starts at text [pos]: the first ',' or '}'
   outside strings and brackets, or 0 when the text ends first. Only
   boundaries are found here; jansson judges each piece. */
static size_t
s_skip_value (const char *text, size_t size, size_t pos)
{
    int depth = 0;
    while (pos < size) {
        char c = text [pos];
        if (c == '"') {
            pos = s_skip_string (text, size, pos);
            if (!pos)
                return 0;
            continue;
        }
        if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || (c == '}' && depth > 0))
            depth--;
        else if (depth == 0 && (c == ',' || c == '}'))
            return pos;
        if (depth < 0)
            return 0;
        pos++;
    }
    return 0;
}

/* jansson refuses two shapes of valid JSON that PROTOCOL.md section 4
   lets a member the message does not define hold: U+0000 in an object
   key, and a number beyond its range (integers past 64 bits, reals past
   the double's). When the header as a whole fails for one of those, load
   it member by member: a member whose value jansson refuses for those
   reasons is dropped when the message does not define it (receivers
   ignore it anyway) and fails the message, naming it, when it does; a
   member whose name holds U+0000 is never defined and is dropped.
   Returns the header object (reason empty, or naming the defined field
   that failed: the message is malformed but its header is kept for the
   REJECTED), or NULL with reason empty when the text is not a JSON
   object (the caller has jansson's own words). */
static json_t *
s_load_members (hny_msg_id_t id, const char *text, size_t size, char *reason, size_t reason_size)
{
    const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES;
    json_t *header = json_object ();
    json_t *seen = json_object ();      /* every name, dropped ones too: duplicates */
    json_t *refused = json_array ();    /* names whose value jansson refused */
    reason [0] = 0;
    size_t pos = s_skip_ws (text, size, 0);
    if (pos >= size || text [pos] != '{')
        goto fail;
    pos = s_skip_ws (text, size, pos + 1);
    if (pos < size && text [pos] == '}')
        pos++;
    else for (;;) {
        if (pos >= size || text [pos] != '"')
            goto fail;
        size_t key_end = s_skip_string (text, size, pos);
        if (!key_end)
            goto fail;
        json_error_t jerr;
        json_t *name = json_loadb (text + pos, key_end - pos, flags, &jerr);
        if (!json_is_string (name)) {
            json_decref (name);
            goto fail;
        }
        const char *key = json_string_value (name);
        size_t key_len = json_string_length (name);
        /* A NUL-free spelling of the name (hex) to find duplicates among
           all names, those dropped included. */
        char *seen_key = hny_malloc (key_len * 2 + 1);
        for (size_t i = 0; i < key_len; i++)
            snprintf (seen_key + 2 * i, 3, "%02x", (unsigned char) key [i]);
        seen_key [2 * key_len] = 0;
        bool duplicate = json_object_get (seen, seen_key) != NULL;
        json_object_set_new (seen, seen_key, json_true ());
        free (seen_key);
        pos = s_skip_ws (text, size, key_end);
        size_t start = pos < size && text [pos] == ':' ? s_skip_ws (text, size, pos + 1) : 0;
        size_t end = start ? s_skip_value (text, size, start) : 0;
        if (duplicate || !end) {
            json_decref (name);
            goto fail;
        }
        bool plain = !memchr (key, 0, key_len);     /* jansson's keys are C strings */
        json_t *value = json_loadb (text + start, end - start, flags, &jerr);
        if (!value) {
            enum json_error_code code = json_error_code (&jerr);
            if (code != json_error_null_byte_in_key && code != json_error_numeric_overflow) {
                json_decref (name);
                goto fail;
            }
            if (plain)
                json_array_append_new (refused, json_pack ("{s:s, s:b}", "name", key, "nul",
                                                           code == json_error_null_byte_in_key));
        }
        else if (plain)
            json_object_set_new (header, key, value);
        else
            json_decref (value);
        json_decref (name);
        pos = s_skip_ws (text, size, end);
        if (pos < size && text [pos] == ',') {
            pos = s_skip_ws (text, size, pos + 1);
            continue;
        }
        if (pos < size && text [pos] == '}') {
            pos++;
            break;
        }
        goto fail;
    }
    if (s_skip_ws (text, size, pos) != size)
        goto fail;
    /* Now that the members are known: is it a reply, and did a field the
       message defines lose its value? */
    bool is_reply = json_object_get (header, "status") != NULL;
    size_t index;
    json_t *item;
    json_array_foreach (refused, index, item)
        if (strcmp (json_string_value (json_object_get (item, "name")), "status") == 0)
            is_reply = true;
    json_array_foreach (refused, index, item) {
        const char *name = json_string_value (json_object_get (item, "name"));
        if (s_rule_of (id, name, is_reply)) {
            snprintf (reason, reason_size, "field '%s' holds %s", name,
                      json_is_true (json_object_get (item, "nul"))
                      ? "a NUL character" : "a number out of range");
            break;
        }
    }
    json_decref (seen);
    json_decref (refused);
    return header;
fail:
    json_decref (header);
    json_decref (seen);
    json_decref (refused);
    return NULL;
}

hny_msg_t *
hny_msg_decode (const uint8_t *const *frames, const size_t *sizes, size_t count)
{
    hny_msg_t *self = hny_msg_new (HNY_MSG_INVALID);
    if (count == 0 || !frames || !sizes)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "empty message");

    /* The signature comes first so that a future version may change
       everything after it and still get a clean 505. */
    size_t sig_len = strlen (HNY_PROTO_SIGNATURE);
    if (sizes [0] != sig_len || memcmp (frames [0], HNY_PROTO_SIGNATURE, sig_len) != 0)
        return s_invalid (self, HNY_STATUS_VERSION, "protocol signature is not %s",
                          HNY_PROTO_SIGNATURE);
    if (count > S_MAX_FRAMES)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%zu frames: at most %d allowed",
                          count, S_MAX_FRAMES);
    if (count < 3)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%zu frames: signature, command "
                          "and header needed", count);

    hny_msg_id_t id = HNY_MSG_INVALID;
    if (sizes [1] <= S_COMMAND_MAX) {
        for (size_t i = 1; i < S_NAME_COUNT; i++) {
            if (strlen (s_names [i]) == sizes [1] && memcmp (s_names [i], frames [1], sizes [1]) == 0) {
                id = (hny_msg_id_t) i;
                break;
            }
        }
    }
    if (id == HNY_MSG_INVALID)
        return s_invalid (self, HNY_STATUS_UNKNOWN_COMMAND, "unknown command");

    if (sizes [2] > HNY_PROTO_HEADER_MAX)
        return s_invalid (self, HNY_STATUS_TOO_LARGE, "%s header of %zu bytes: at most %d allowed",
                          s_names [id], sizes [2], HNY_PROTO_HEADER_MAX);
    if (count == 4 && sizes [3] > HNY_PROTO_BODY_MAX)
        return s_invalid (self, HNY_STATUS_TOO_LARGE, "%s body of %zu bytes: at most %d allowed",
                          s_names [id], sizes [3], HNY_PROTO_BODY_MAX);

    const char *text = (const char *) frames [2];
    if (!hny_utf8_valid (text, sizes [2]))
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s header is not valid UTF-8", s_names [id]);
    if (s_json_depth (frames [2], sizes [2], HNY_PROTO_JSON_DEPTH) > HNY_PROTO_JSON_DEPTH)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s header nests deeper than %d",
                          s_names [id], HNY_PROTO_JSON_DEPTH);
    /* U+0000 is valid JSON: members the message does not define may hold
       it; s_check_header refuses it in the fields it defines. */
    json_error_t jerr;
    json_t *header = json_loadb (text, sizes [2], JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    char reason [200];
    if (!header && (json_error_code (&jerr) == json_error_null_byte_in_key
                    || json_error_code (&jerr) == json_error_numeric_overflow)) {
        header = s_load_members (id, text, sizes [2], reason, sizeof reason);
        if (header && *reason) {
            json_decref (self->header);
            self->header = header;      /* for the REJECTED: job and req */
            return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s", reason);
        }
    }
    if (!header)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s header is not JSON: %s",
                          s_names [id], jerr.text);
    if (!json_is_object (header)) {
        json_decref (header);
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s header is not a JSON object",
                          s_names [id]);
    }
    json_decref (self->header);
    self->header = header;      /* kept even when invalid: REJECTED echoes job and req */
    self->id = id;

    if (s_check_header (self, reason, sizeof reason))
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s", reason);

    s_body_rule_t rule = s_body_rule (id);
    if (count == 4 && rule == S_BODY_NEVER)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s carries no body", s_names [id]);
    if (count == 3 && rule == S_BODY_REQUIRED)
        return s_invalid (self, HNY_STATUS_BAD_REQUEST, "%s needs a body", s_names [id]);
    if (count == 4)
        hny_msg_set_body (self, frames [3], sizes [3]);
    return self;
}

hny_msg_t *
hny_msg_new_reply (const hny_msg_t *request, hny_msg_id_t id, int status)
{
    assert (request);
    hny_msg_t *self = hny_msg_new (id);
    hny_msg_set_routing_id (self, request->routing, request->routing_size);
    if (status)
        hny_msg_set_int (self, "status", status);
    /* Copied only when valid (PROTOCOL.md section 4): the reply must pass
       the requester's own codec. */
    json_t *req = json_object_get (request->header, "req");
    if (json_is_integer (req) || s_string_fits (req, S_ID_MAX))
        json_object_set (self->header, "req", req);
    return self;
}

hny_msg_t *
hny_msg_new_rejected (const hny_msg_t *request, int status, const char *reason)
{
    hny_msg_t *self = hny_msg_new_reply (request, HNY_MSG_REJECTED, status);
    hny_msg_set_str (self, "reason", reason && *reason ? reason : "rejected");
    json_t *job = json_object_get (request->header, "job");
    if (s_string_fits (job, S_ID_MAX))
        json_object_set (self->header, "job", job);
    return self;
}

/* Send one frame; more says whether others follow. */
static int
s_send_frame (void *socket, const void *data, size_t size, bool more)
{
    for (;;) {
        if (zmq_send (socket, data, size, more ? ZMQ_SNDMORE : 0) >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

int
hny_msg_send_keep (const hny_msg_t *self, void *socket)
{
    assert (self && socket);
    if (self->id == HNY_MSG_INVALID || (size_t) self->id >= S_NAME_COUNT) {
        errno = EINVAL;
        return -1;
    }
    char *header = json_dumps (self->header, JSON_COMPACT);
    if (!header) {
        hny_error ("cannot serialize the %s header", s_names [self->id]);
        errno = EINVAL;
        return -1;
    }
    const char *name = s_names [self->id];
    size_t header_len = strlen (header);
    /* A frame over its cap would be refused (413) or make ZeroMQ drop the
       connection: never send one (PROTOCOL.md section 3). */
    if (header_len > HNY_PROTO_HEADER_MAX || self->body_size > HNY_PROTO_BODY_MAX) {
        hny_error ("%s %s of %zu bytes is over its cap", name,
                   header_len > HNY_PROTO_HEADER_MAX ? "header" : "body",
                   header_len > HNY_PROTO_HEADER_MAX ? header_len : self->body_size);
        free (header);
        errno = EMSGSIZE;
        return -1;
    }
    int rc = -1;
    if ((self->routing_size == 0 || s_send_frame (socket, self->routing, self->routing_size, true) == 0)
    &&  s_send_frame (socket, HNY_PROTO_SIGNATURE, strlen (HNY_PROTO_SIGNATURE), true) == 0
    &&  s_send_frame (socket, name, strlen (name), true) == 0
    &&  s_send_frame (socket, header, header_len, self->has_body) == 0
    &&  (!self->has_body || s_send_frame (socket, self->body ? self->body : (const uint8_t *) "",
                                          self->body_size, false) == 0))
        rc = 0;
    int saved = errno;
    free (header);
    errno = saved;
    return rc;
}

int
hny_msg_send (hny_msg_t **self_p, void *socket)
{
    assert (self_p && *self_p && socket);
    int rc = hny_msg_send_keep (*self_p, socket);
    int saved = errno;
    hny_msg_destroy (self_p);
    errno = saved;
    return rc;
}

hny_msg_t *
hny_msg_recv (void *socket)
{
    assert (socket);
    int type = 0;
    size_t type_size = sizeof type;
    if (zmq_getsockopt (socket, ZMQ_TYPE, &type, &type_size))
        return NULL;
    bool routed = type == ZMQ_ROUTER;

    /* Keep the routing id and up to one frame past the limit; drain the
       rest so that the next receive starts at a message boundary. */
    enum { KEEP = S_MAX_FRAMES + 2 };
    zmq_msg_t parts [KEEP];
    size_t kept = 0, total = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        while (zmq_msg_recv (&part, socket, 0) < 0) {
            /* Only the first frame may be missing; later frames of a
               multipart message are already here, so retry on EINTR. */
            if (total == 0 || errno != EINTR) {
                int saved = errno;
                zmq_msg_close (&part);
                for (size_t i = 0; i < kept; i++)
                    zmq_msg_close (&parts [i]);
                errno = saved;
                return NULL;
            }
        }
        more = zmq_msg_more (&part);
        total++;
        if (kept < KEEP)
            parts [kept++] = part;
        else
            zmq_msg_close (&part);
    }

    size_t first = 0;
    const uint8_t *routing = NULL;
    size_t routing_size = 0;
    if (routed) {
        routing = zmq_msg_data (&parts [0]);
        routing_size = zmq_msg_size (&parts [0]);
        if (routing_size > S_ROUTING_MAX)
            routing_size = S_ROUTING_MAX;
        first = 1;
    }
    size_t count = total - first;
    const uint8_t *frames [KEEP];
    size_t sizes [KEEP];
    for (size_t i = first; i < kept; i++) {
        frames [i - first] = zmq_msg_data (&parts [i]);
        sizes [i - first] = zmq_msg_size (&parts [i]);
    }
    hny_msg_t *self;
    if (count > kept - first) {
        /* More frames than we kept: decode what we have to learn the
           signature, then report the frame count. */
        self = hny_msg_decode (frames, sizes, kept - first);
        if (self->id != HNY_MSG_INVALID || self->error_status != HNY_STATUS_VERSION)
            s_invalid (self, HNY_STATUS_BAD_REQUEST, "%zu frames: at most %d allowed",
                       count, S_MAX_FRAMES);
    }
    else
        self = hny_msg_decode (frames, sizes, count);
    if (routing)
        hny_msg_set_routing_id (self, routing, routing_size);
    for (size_t i = 0; i < kept; i++)
        zmq_msg_close (&parts [i]);
    return self;
}
