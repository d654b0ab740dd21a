/*  hny_json.h: JSON on the broker-worker hot path (the translate TASK and
    RESULT bodies, the answers of translation services), in cJSON's trees.

    jansson stays everywhere else (headers, config, records, the client):
    it checks what the protocol asks by itself, but it parses a RESULT of
    full-width text at about 50 MB/s, and these bodies cross a process
    boundary twice per task. cJSON's parser was several times faster but
    lax; this module's own parser (one pass, hny_json.c) is faster again
    and keeps the protocol's rules (PROTOCOL.md sections 4 and 8): a byte
    cap, valid UTF-8, JSON as RFC 8259 writes it (no leading zeros, no
    "1.", whitespace only where RFC 8259 allows, no raw control characters
    in strings), no \u0000 (strings come out as C strings: their length is
    strlen), a nesting cap, optionally no duplicate member names, and
    integers that are integers: a JSON number without fraction or
    exponent, within int64 (a cJSON number keeps a double, exact only up
    to 2^53).

    Trees are cJSON's own (cJSON_Delete frees them); read them with the
    getters here, never with cJSON_GetObjectItem (case-insensitive) or
    valueint (saturated). A number whose double does not tell its literal
    keeps the literal in its valuestring (cJSON_Delete frees it: no
    cJSON_InitHooks anywhere). A number of more than 63 characters (never
    in these bodies) is refused, as cJSON's parser did. The writers append
    JSON text to an hny_buf_t exactly as jansson's json_dumps
    (JSON_COMPACT) writes it, so that bytes on the wire and in records stay
    what they were. */
#ifndef HNY_JSON_H
#define HNY_JSON_H

#include <honyaku/util.h>

#include <cjson/cJSON.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_JSON_UNIQUE     1       /* refuse an object with a duplicate member name */
#define HNY_JSON_UTF8_OK    2       /* the caller checked that the text is valid UTF-8 */
#define HNY_JSON_ERROR_MAX  96      /* bytes of a parse error's text, NUL included */
/* Nesting of the bodies read here (the root is 1): a translate RESULT
   needs 5, a service's answer a few; room for members added later. */
#define HNY_JSON_DEPTH_MAX  32

/* Parse the JSON text [text, text + size). At most max bytes (past it:
   refused unread) and depth nested arrays and objects (the root is depth
   1). With HNY_JSON_UNIQUE an object with two members of one name is
   refused (the protocol's bodies); without it the last one wins, as in
   jansson (a service's answer). HNY_JSON_UTF8_OK skips the UTF-8 check
   the caller already made (a second pass over the text). Returns the root (caller owns:
   cJSON_Delete), or NULL with a one-line reason in error (which may be
   NULL). */
cJSON *hny_json_parse (const void *text, size_t size, size_t max, int depth, int flags,
                       char error [HNY_JSON_ERROR_MAX]);

/* The member name of object (compared byte for byte), or NULL when object
   is NULL, not an object, or has none. Borrowed. */
cJSON *hny_json_get (const cJSON *object, const char *name);

/* 1 and *value when item is an integer (a number written without
   fraction or exponent, within int64), else 0 and *value untouched. */
int hny_json_int (const cJSON *item, int64_t *value);

/* The integer of item, or fallback when it is not one (as
   json_integer_value, which gives 0). */
int64_t hny_json_int_or (const cJSON *item, int64_t fallback);

/* The string of item and its length in bytes (len may be NULL), or NULL
   when item is not a string. Borrowed. */
const char *hny_json_str (const cJSON *item, size_t *len);

/* item as a jansson value (caller owns), for the places that hand a body
   or a piece of it to code written for jansson; NULL when item is NULL.
   Integers come over as integers, other numbers as reals; only trees
   from hny_json_parse (whose strings are checked). */
json_t *hny_json_to_jansson (const cJSON *item);

/* One escape of a JSON string at s (its backslash), n bytes at most (to
   the string's closing quote or the text's end): its character's UTF-8 goes to out
   (1-4 bytes, *out_len) and the escape's length is returned (2, 6, or 12
   for a surrogate pair). Refused: HNY_JSON_ESC_HEX, a \u without four hex
   digits; HNY_JSON_ESC_NUL, \u0000 (strings are C strings); HNY_JSON_ESC_BAD,
   another letter, a surrogate alone or a high one followed by no low one.
   The one decoder of escapes: the parser's, and the TM's reader of
   records' literals. */
#define HNY_JSON_ESC_BAD    (-1)
#define HNY_JSON_ESC_HEX    (-2)
#define HNY_JSON_ESC_NUL    (-3)
int hny_json_escape (const char *s, size_t n, char out [4], size_t *out_len);

/* hny_json_parse (nested at most HNY_JSON_DEPTH_MAX) then
   hny_json_to_jansson: a jansson value for a large body, built 2-3 times
   faster than json_loadb reads it. Caller owns; NULL as hny_json_parse. */
json_t *hny_json_load (const void *text, size_t size, size_t max, int flags,
                       char error [HNY_JSON_ERROR_MAX]);

/* The JSON text of a jansson value, byte for byte what json_dumps
   (JSON_COMPACT | JSON_ENCODE_ANY) writes, 2-3 times faster: jansson
   decodes every character of every string as it writes. Caller owns;
   *size (may be NULL) its length. NULL when value is NULL or the text
   would be longer than max. */
char *hny_json_dump (const json_t *value, size_t max, size_t *size);

/* --- writers: JSON text into a capped buffer, as json_dumps writes it
   (the quote, the backslash and control characters escaped; every other
   byte as it is: s must be UTF-8). Return 0, or -1 once the buffer is
   past its cap (hny_buf_add: the failure is sticky). --- */
int hny_json_put_str (hny_buf_t *buf, const char *s, size_t len);
int hny_json_put_int (hny_buf_t *buf, int64_t value);
/* ,"name": (comma first unless first) then nothing: the caller writes
   the value. name is written as it is (a literal of the caller's). */
int hny_json_put_key (hny_buf_t *buf, const char *name, int first);
/* ,"name":"value" (comma first unless first): a key and a string, value
   NUL-terminated UTF-8. */
int hny_json_put_member (hny_buf_t *buf, const char *name, const char *value, int first);

#ifdef __cplusplus
}
#endif
#endif
