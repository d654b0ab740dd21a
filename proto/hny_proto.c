/*  hny_proto.c: the HNY/1 wire codec (include/honyaku/proto.h,
    proto/PROTOCOL.md).

    Encoding writes the frames signature, command, compact JSON header and
    the optional body. Decoding never trusts the peer: it checks the frame
    count, every frame against its cap, the signature, the command, the
    header's encoding, size, nesting depth and duplicate keys, then each
    header field named in one table (s_fields) against its JSON type and
    limits, and last the presence of a body. Whatever fails becomes an
    HNY_MSG_INVALID message that keeps the routing id (and the header when
    it parsed) so that the caller can answer REJECTED on the same route. */

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
    "HEARTBEAT", "DISCONNECT"
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
            return S_BODY_REQUIRED;
        case HNY_MSG_RESULT:
            return S_BODY_OPTIONAL;
        default:
            return S_BODY_NEVER;
    }
}

/* Header field types. */
typedef enum {
    S_STR,          /* JSON string, at most max bytes (0: the header cap) */
    S_INT,          /* JSON integer within [min, max] */
    S_BOOL,
    S_OBJECT,
    S_ARRAY,
    S_STR_ARRAY,    /* array of strings, each at most max bytes */
    S_STR_OR_INT    /* "req": string of at most max bytes, or any integer */
} s_type_t;

/* When a field is required. STATUS and STATS are both requests and
   replies under one name: a message carrying "status" is the reply. */
typedef enum { S_OPTIONAL, S_REQUIRED, S_REQUIRED_IN_REPLY } s_need_t;

typedef struct {
    hny_msg_id_t id;            /* HNY_MSG_INVALID: every command */
    const char *field;
    s_type_t type;
    s_need_t need;
    int64_t min, max;           /* S_INT range; S_STR* max bytes (0 = no own cap) */
} s_field_t;

#define S_ANY HNY_MSG_INVALID
#define S_IMAX INT64_MAX

/* The one table of header fields: PROTOCOL.md section 5 mirrors it. */
static const s_field_t s_fields [] = {
    { S_ANY,             "req",        S_STR_OR_INT, S_OPTIONAL, 0, 64 },
    { HNY_MSG_SUBMIT,    "from",       S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_SUBMIT,    "to",         S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_SUBMIT,    "backend",    S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_SUBMIT,    "key",        S_STR,   S_OPTIONAL, 0, 256 },
    { HNY_MSG_SUBMIT,    "format",     S_STR,   S_OPTIONAL, 0, 16 },
    { HNY_MSG_SUBMIT,    "lenient",    S_BOOL,  S_OPTIONAL, 0, 0 },
    { HNY_MSG_SUBMIT,    "source",     S_STR,   S_OPTIONAL, 0, 4096 },
    { HNY_MSG_SUBMIT,    "metadata",   S_OBJECT, S_OPTIONAL, 0, 0 },
    { HNY_MSG_ACCEPTED,  "job",        S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_ACCEPTED,  "key",        S_STR,   S_REQUIRED, 0, 256 },
    { HNY_MSG_ACCEPTED,  "existing",   S_BOOL,  S_REQUIRED, 0, 0 },
    { HNY_MSG_ACCEPTED,  "state",      S_STR,   S_REQUIRED, 0, 16 },
    { HNY_MSG_REJECTED,  "status",     S_INT,   S_REQUIRED, 100, 599 },
    { HNY_MSG_REJECTED,  "reason",     S_STR,   S_REQUIRED, 0, 0 },
    { HNY_MSG_REJECTED,  "job",        S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_STATUS,    "status",     S_INT,   S_OPTIONAL, 100, 599 },
    { HNY_MSG_STATUS,    "job",        S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_STATUS,    "state",      S_STR,   S_OPTIONAL, 0, 16 },
    { HNY_MSG_WAIT,      "job",        S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_WAIT,      "timeout_ms", S_INT,   S_OPTIONAL, 0, 3600000 },
    { HNY_MSG_DONE,      "status",     S_INT,   S_REQUIRED, 100, 599 },
    { HNY_MSG_DONE,      "job",        S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_DONE,      "state",      S_STR,   S_REQUIRED, 0, 16 },
    { HNY_MSG_FETCH,     "job",        S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_RECORD,    "status",     S_INT,   S_REQUIRED, 100, 599 },
    { HNY_MSG_RECORD,    "job",        S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_LIST,      "after",      S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_LIST,      "limit",      S_INT,   S_OPTIONAL, 1, 1000 },
    { HNY_MSG_LIST,      "state",      S_STR,   S_OPTIONAL, 0, 16 },
    { HNY_MSG_LISTING,   "status",     S_INT,   S_REQUIRED, 100, 599 },
    { HNY_MSG_LISTING,   "jobs",       S_ARRAY, S_REQUIRED, 0, 0 },
    { HNY_MSG_LISTING,   "next",       S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_STATS,     "status",     S_INT,   S_OPTIONAL, 100, 599 },
    { HNY_MSG_STATS,     "profiles",   S_OBJECT, S_REQUIRED_IN_REPLY, 0, 0 },
    { HNY_MSG_READY,     "credit",     S_INT,   S_REQUIRED, 1, 1000000 },
    { HNY_MSG_READY,     "backends",   S_STR_ARRAY, S_REQUIRED, 0, 64 },
    { HNY_MSG_READY,     "name",       S_STR,   S_OPTIONAL, 0, 256 },
    { HNY_MSG_READY,     "pid",        S_INT,   S_OPTIONAL, 0, S_IMAX },
    { HNY_MSG_TASK,      "task",       S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_TASK,      "kind",       S_STR,   S_REQUIRED, 0, 16 },
    { HNY_MSG_TASK,      "lease_ms",   S_INT,   S_REQUIRED, 1, S_IMAX },
    { HNY_MSG_TASK,      "job",        S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_TASK,      "format",     S_STR,   S_OPTIONAL, 0, 16 },
    { HNY_MSG_TASK,      "from",       S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_TASK,      "to",         S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_TASK,      "lenient",    S_BOOL,  S_OPTIONAL, 0, 0 },
    { HNY_MSG_TASK,      "source",     S_STR,   S_OPTIONAL, 0, 4096 },
    { HNY_MSG_TASK,      "profile",    S_STR,   S_OPTIONAL, 0, 64 },
    { HNY_MSG_RESULT,    "task",       S_STR,   S_REQUIRED, 0, 64 },
    { HNY_MSG_RESULT,    "status",     S_INT,   S_REQUIRED, 100, 599 },
    { HNY_MSG_RESULT,    "reason",     S_STR,   S_OPTIONAL, 0, 0 },
    { HNY_MSG_DISCONNECT, "reason",    S_STR,   S_OPTIONAL, 0, 0 },
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

/* Check one header field against its rule; 0 or -1 with reason filled. */
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
            if (memchr (json_string_value (value), 0, json_string_length (value))) {
                snprintf (reason, reason_size, "field '%s' holds a NUL character", rule->field);
                return -1;
            }
            return 0;
        case S_STR_OR_INT:
            if (json_is_integer (value))
                return 0;
            if (!json_is_string (value) || json_string_length (value) > (size_t) rule->max
            ||  memchr (json_string_value (value), 0, json_string_length (value))) {
                snprintf (reason, reason_size,
                          "field '%s' must be an integer or a string of at most %lld bytes",
                          rule->field, (long long) rule->max);
                return -1;
            }
            return 0;
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
            if (!json_is_object (value)) {
                snprintf (reason, reason_size, "field '%s' must be an object", rule->field);
                return -1;
            }
            return 0;
        case S_ARRAY:
            if (!json_is_array (value)) {
                snprintf (reason, reason_size, "field '%s' must be an array", rule->field);
                return -1;
            }
            return 0;
        case S_STR_ARRAY: {
            if (!json_is_array (value)) {
                snprintf (reason, reason_size, "field '%s' must be an array of strings", rule->field);
                return -1;
            }
            size_t index;
            json_t *item;
            json_array_foreach (value, index, item) {
                if (!json_is_string (item)
                ||  (rule->max && json_string_length (item) > (size_t) rule->max)
                ||  memchr (json_string_value (item), 0, json_string_length (item))) {
                    snprintf (reason, reason_size,
                              "field '%s' must be an array of strings of at most %lld bytes",
                              rule->field, (long long) rule->max);
                    return -1;
                }
            }
            return 0;
        }
    }
    assert (false);
    return -1;
}

/* Check the header of a message whose command is known. */
static int
s_check_header (hny_msg_t *self, char *reason, size_t reason_size)
{
    bool is_reply = json_object_get (self->header, "status") != NULL;
    for (size_t i = 0; i < S_FIELD_COUNT; i++) {
        const s_field_t *rule = &s_fields [i];
        if (rule->id != S_ANY && rule->id != self->id)
            continue;
        json_t *value = json_object_get (self->header, rule->field);
        if (!value) {
            if (rule->need == S_REQUIRED || (rule->need == S_REQUIRED_IN_REPLY && is_reply)) {
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
    json_error_t jerr;
    json_t *header = json_loadb (text, sizes [2], JSON_REJECT_DUPLICATES, &jerr);
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

    char reason [200];
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
hny_msg_new_rejected (const hny_msg_t *request, int status, const char *reason)
{
    assert (request);
    hny_msg_t *self = hny_msg_new (HNY_MSG_REJECTED);
    hny_msg_set_routing_id (self, request->routing, request->routing_size);
    hny_msg_set_int (self, "status", status);
    hny_msg_set_str (self, "reason", reason && *reason ? reason : "rejected");
    json_t *job = json_object_get (request->header, "job");
    if (json_is_string (job) && json_string_length (job) <= 64)
        json_object_set (self->header, "job", job);
    json_t *req = json_object_get (request->header, "req");
    if (json_is_integer (req) || (json_is_string (req) && json_string_length (req) <= 64))
        json_object_set (self->header, "req", req);
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
hny_msg_send (hny_msg_t **self_p, void *socket)
{
    assert (self_p && *self_p && socket);
    hny_msg_t *self = *self_p;
    int rc = -1;
    if (self->id == HNY_MSG_INVALID || (size_t) self->id >= S_NAME_COUNT) {
        errno = EINVAL;
        goto done;
    }
    char *header = json_dumps (self->header, JSON_COMPACT);
    if (!header) {
        hny_error ("cannot serialize the %s header", s_names [self->id]);
        errno = EINVAL;
        goto done;
    }
    const char *name = s_names [self->id];
    if ((self->routing_size == 0 || s_send_frame (socket, self->routing, self->routing_size, true) == 0)
    &&  s_send_frame (socket, HNY_PROTO_SIGNATURE, strlen (HNY_PROTO_SIGNATURE), true) == 0
    &&  s_send_frame (socket, name, strlen (name), true) == 0
    &&  s_send_frame (socket, header, strlen (header), self->has_body) == 0
    &&  (!self->has_body || s_send_frame (socket, self->body ? self->body : (const uint8_t *) "",
                                          self->body_size, false) == 0))
        rc = 0;
    free (header);
done:
    {
        int saved = errno;
        hny_msg_destroy (self_p);
        errno = saved;
    }
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
