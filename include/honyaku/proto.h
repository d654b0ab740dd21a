/*  honyaku/proto.h: the wire protocol codec shared by honyakud,
    honyaku-worker and the client library. proto/PROTOCOL.md is the spec;
    this codec follows it one to one.

    Every message is a ZeroMQ multipart message (after the ROUTER routing-id
    frame, when read from or written to a ROUTER socket):

        frame 1  signature   "HNY/1"  (protocol name and version, ASCII)
        frame 2  command     e.g. "SUBMIT" (ASCII, upper case, <= 16 bytes)
        frame 3  header      one JSON object, UTF-8, <= HNY_PROTO_HEADER_MAX bytes,
                             nesting depth <= HNY_PROTO_JSON_DEPTH
        frame 4  body        raw bytes; present only for the commands that
                             carry one (see the table below), <= the body cap

    Commands, direction, and header fields (required fields marked *):

    client -> broker
      SUBMIT     *from *to, backend, key, format, lenient, metadata{}, source;
                 body*: the article's raw bytes
      STATUS     job (absent: the daemon's overall status)
      WAIT       *job, timeout_ms
      FETCH      *job
      LIST       after, limit, state
      STATS      (none)
      TMIMPORT   *from *to *origin; body*: JSON array of [src, tgt]
      TMEXPORT   from, to, origin("human"|"machine"|"all"), after, limit
    broker -> client
      ACCEPTED   *job *key *existing(bool) *state
      REJECTED   *status *reason, job
      STATUS     *status; with job: *key *state *segments *done *failed *created
                 *backend, error, paused, waiting; without: jobs{}, workers,
                 queue{}, profiles[], store, draining, version
      DONE       *status *job *state   (status 200: finished; 300: wait timed out)
      RECORD     *status *job; body*: the record, JSON
      LISTING    *status *jobs[] , next
      STATS      *status *profiles{}
      TM         *status *human *machine, imported, entries, next;
                 body (TMEXPORT): JSON array of entries
    worker -> broker
      READY      *credit *backends[], name, pid
      RESULT     *task *status, reason; body: the result JSON
      HEARTBEAT  tasks[] (the tasks it still works on: renews their leases)
      DISCONNECT reason
    broker -> worker
      TASK       *task *kind("prepare"|"translate") *lease_ms, job, ...;
                 body*: prepare: raw article bytes; translate: JSON batch
      HEARTBEAT  heartbeat_ms (the interval the worker must use)
      DISCONNECT reason

    Every request may carry req (string <= 64 bytes, or integer), copied
    into its reply. Members a message does not define are ignored, whatever
    they hold (U+0000, numbers past 64 bits included); the fields it
    defines are checked against proto/hny_proto.c's one table (type,
    limits, no U+0000 in any string of them).

    Status codes: 2xx success, 3xx retry later, 4xx client error, 5xx server
    error (see hny_status_t). */
#ifndef HNY_PROTO_H
#define HNY_PROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_PROTO_SIGNATURE   "HNY/1"
#define HNY_PROTO_HEADER_MAX  (64 * 1024)          /* bytes of the JSON header frame */
#define HNY_PROTO_JSON_DEPTH  16                   /* nesting depth of any JSON we decode */
#define HNY_PROTO_BODY_MAX    (64 * 1024 * 1024)   /* hard cap of a body frame; commands
                                                      have tighter caps (article size) */
#define HNY_PROTO_CALLS_MAX   256                  /* items of a RESULT's "calls" */
#define HNY_TM_IMPORT_MAX     50000                /* entries of one TMIMPORT: one pass of
                                                      the broker writes them all, about 1 s,
                                                      under the 3 heartbeats after which a
                                                      worker counts as gone */
#define HNY_TM_TEXT_MAX       65536                /* bytes of one side of a TM entry */

/* Message ids. Never renumber. */
typedef enum {
    HNY_MSG_INVALID = 0,    /* a message that failed to decode: see status/reason */
    HNY_MSG_SUBMIT = 1,
    HNY_MSG_ACCEPTED = 2,
    HNY_MSG_REJECTED = 3,
    HNY_MSG_STATUS = 4,
    HNY_MSG_WAIT = 5,
    HNY_MSG_DONE = 6,
    HNY_MSG_FETCH = 7,
    HNY_MSG_RECORD = 8,
    HNY_MSG_LIST = 9,
    HNY_MSG_LISTING = 10,
    HNY_MSG_STATS = 11,
    HNY_MSG_READY = 12,
    HNY_MSG_TASK = 13,
    HNY_MSG_RESULT = 14,
    HNY_MSG_HEARTBEAT = 15,
    HNY_MSG_DISCONNECT = 16,
    HNY_MSG_TMIMPORT = 17,
    HNY_MSG_TMEXPORT = 18,
    HNY_MSG_TM = 19
} hny_msg_id_t;

/* Status codes. Never renumber. */
typedef enum {
    HNY_STATUS_OK = 200,
    HNY_STATUS_ACCEPTED = 202,          /* accepted, not finished */
    HNY_STATUS_RETRY = 300,             /* not ready yet: ask again later */
    HNY_STATUS_BUSY = 303,              /* overloaded or paused: retry later */
    HNY_STATUS_BAD_REQUEST = 400,       /* malformed message or header */
    HNY_STATUS_NOT_FOUND = 404,
    HNY_STATUS_CONFLICT = 409,          /* e.g. key reused with other content */
    HNY_STATUS_TOO_LARGE = 413,
    HNY_STATUS_UNSUPPORTED_MEDIA = 415, /* not text, bad encoding */
    HNY_STATUS_UNPROCESSABLE = 422,     /* well-formed but unusable (no article, unknown backend) */
    HNY_STATUS_UNKNOWN_COMMAND = 501,
    HNY_STATUS_INTERNAL = 500,
    HNY_STATUS_UNAVAILABLE = 503,
    HNY_STATUS_VERSION = 505,           /* protocol signature/version not supported */
    HNY_STATUS_INSUFFICIENT_STORAGE = 507 /* the broker's state disk is full */
} hny_status_t;

typedef struct _hny_msg_t hny_msg_t;

/* Create a message with an empty JSON header object. Caller owns the result. */
hny_msg_t *hny_msg_new (hny_msg_id_t id);
void hny_msg_destroy (hny_msg_t **self_p);

hny_msg_id_t hny_msg_id (const hny_msg_t *self);
/* The command name of an id ("SUBMIT"), or NULL for HNY_MSG_INVALID. */
const char *hny_msg_command_name (hny_msg_id_t id);

/* The header object: borrowed, valid while the message lives; mutate freely. */
json_t *hny_msg_header (hny_msg_t *self);
/* Convenience accessors over the header; NULL / default when absent or of another type.
   set_str with NULL removes the field; bytes of value that are not UTF-8
   become U+FFFD. The strings of the fields a decoded message defines hold
   no U+0000; a member it does not define may (get_str then stops at it). */
const char *hny_msg_get_str (const hny_msg_t *self, const char *field);
int64_t hny_msg_get_int (const hny_msg_t *self, const char *field, int64_t dflt);
void hny_msg_set_str (hny_msg_t *self, const char *field, const char *value);
void hny_msg_set_int (hny_msg_t *self, const char *field, int64_t value);

/* Body: set copies the bytes; take adopts a malloc'ed buffer. */
void hny_msg_set_body (hny_msg_t *self, const void *data, size_t size);
void hny_msg_take_body (hny_msg_t *self, void *data, size_t size);
/* Borrowed; NULL when there is no body. */
const uint8_t *hny_msg_body (const hny_msg_t *self, size_t *size);
int hny_msg_has_body (const hny_msg_t *self);

/* ROUTER routing id (copied). Empty for messages read from a DEALER. */
void hny_msg_set_routing_id (hny_msg_t *self, const void *id, size_t size);
const uint8_t *hny_msg_routing_id (const hny_msg_t *self, size_t *size);

/* For HNY_MSG_INVALID messages: why decoding failed. */
int hny_msg_error_status (const hny_msg_t *self);
const char *hny_msg_error_reason (const hny_msg_t *self);

/* Send on a socket (a ROUTER socket needs the routing id set) and destroy
   the message. Returns 0, or -1 with errno from ZeroMQ, EINVAL for an
   INVALID message, or EMSGSIZE when the header or the body is over its cap
   (nothing sent); the message is destroyed anyway. */
int hny_msg_send (hny_msg_t **self_p, void *socket);
/* The same, leaving the message to the caller, who may send it again (a
   request asked again after a reconnect) and destroys it. */
int hny_msg_send_keep (const hny_msg_t *self, void *socket);

/* Receive one whole multipart message. Returns NULL only when nothing could
   be read (errno EAGAIN/EINTR/ETERM...). A message that arrives but fails to
   decode (bad signature, unknown command, bad JSON, missing required
   field, oversized frame) comes back as HNY_MSG_INVALID with its routing id,
   a status code and a reason, so that the caller can answer REJECTED.
   When the header parsed (a missing/ill-typed field, a body where none
   belongs), the INVALID message keeps it: hny_msg_get_str (msg, "task") and
   friends still work on it. Frames past the 4th are drained, not kept. */
hny_msg_t *hny_msg_recv (void *socket);

/* Decode from frames (without routing id) held in memory; used by
   hny_msg_recv and by tests/fuzzers. Never returns NULL. */
hny_msg_t *hny_msg_decode (const uint8_t *const *frames, const size_t *sizes, size_t count);

/* Build a reply of command id to a request: its routing id, its "req"
   when valid (as below) and "status" unless status is 0. Caller owns
   the result. */
hny_msg_t *hny_msg_new_reply (const hny_msg_t *request, hny_msg_id_t id, int status);

/* Build a REJECTED reply to a request (copies its routing id, and its "job"
   and "req" fields when they are valid: a string of at most 64 bytes
   without U+0000, or for req an integer). Works on an INVALID message
   whose header parsed. Caller owns the result. */
hny_msg_t *hny_msg_new_rejected (const hny_msg_t *request, int status, const char *reason);

#ifdef __cplusplus
}
#endif
#endif
