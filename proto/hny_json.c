/*  hny_json.c: cJSON with the protocol's rules (hny_json.h).

    A parse is three steps: a lexer pass over the text checks what cJSON
    does not (UTF-8, as hny_utf8_valid: the lexer sees each string anyway,
    so it checks them on the way; RFC 8259's numbers and whitespace, raw controls and
    \u0000 in strings, nesting) and notes the numbers whose double is not
    exact or not an integer; cJSON builds the tree; a walk in document
    order hands those numbers their literal and checks member names. */
#include "hny_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits an integer literal may have and still be exact as a double
   (10^15 < 2^53): a longer one keeps its literal. */
#define S_EXACT_DIGITS 15

/* A number the lexer saw that cJSON's double does not tell exactly: its
   ordinal among the text's numbers and its literal. */
typedef struct {
    size_t ordinal;
    size_t offset, len;
} s_num_t;

typedef struct {
    const char *text;
    size_t size;
    s_num_t *nums;              /* in text order */
    size_t num_count, num_alloc;
    int utf8_ok;                /* HNY_JSON_UTF8_OK: the caller checked the UTF-8 */
    size_t next_num;            /* walk: the next nums[] to hand out */
    size_t ordinal;             /* walk: numbers met so far */
    char *error;                /* NULL: the caller does not want it */
} s_parse_t;

static void
s_error (s_parse_t *p, const char *what, size_t offset)
{
    if (p->error)
        snprintf (p->error, HNY_JSON_ERROR_MAX, "%s (offset %zu)", what, offset);
}

/* The end of the run at s [i] (< n) of bytes a JSON string holds as they
   are: none below 0x20, '"' or '\\', nor (unless high) 0x80 and up. Eight
   bytes a step: a word whose bytes are all plain goes whole. */
static size_t
s_plain_run (const char *s, size_t i, size_t n, int high)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    while (i + 8 <= n) {
        uint64_t v;
        memcpy (&v, s + i, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        /* a byte below 0x20, a zero byte of q (a '"') or of b (a '\\'):
           each test is exact for "some byte of the word" */
        uint64_t hit = (((v - ones * 0x20) & ~v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
        if (!high)
            hit |= v & highs;
        if (hit)
            break;
        i += 8;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char) s [i];
        if (c < 0x20 || c == '"' || c == '\\' || (c >= 0x80 && !high))
            break;
    }
    return i;
}

static int s_is_digit (char c) { return c >= '0' && c <= '9'; }
static int s_is_hex (char c) { return s_is_digit (c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* A number at *pos as RFC 8259 writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?
   ([eE][+-]?[0-9]+)?, followed by none of its characters (cJSON would
   read "01" or "1." as numbers). Notes it when its double is not exact. */
static int
s_lex_number (s_parse_t *p, size_t *pos, size_t ordinal)
{
    const char *s = p->text;
    size_t i = *pos, n = p->size, start = *pos;
    int exact = 1;
    if (s [i] == '-')
        i++;
    if (i < n && s [i] == '0')
        i++;
    else if (i < n && s [i] >= '1' && s [i] <= '9') {
        size_t digits = i;
        while (i < n && s_is_digit (s [i]))
            i++;
        exact = i - digits <= S_EXACT_DIGITS;
    }
    else
        return -1;
    if (i < n && s [i] == '.') {
        if (++i >= n || !s_is_digit (s [i]))
            return -1;
        while (i < n && s_is_digit (s [i]))
            i++;
        exact = 0;
    }
    if (i < n && (s [i] == 'e' || s [i] == 'E')) {
        i++;
        if (i < n && (s [i] == '+' || s [i] == '-'))
            i++;
        if (i >= n || !s_is_digit (s [i]))
            return -1;
        while (i < n && s_is_digit (s [i]))
            i++;
        exact = 0;
    }
    if (i < n && (s_is_digit (s [i]) || strchr ("+-.eE", s [i])))
        return -1;
    if (!exact) {
        if (p->num_count == p->num_alloc) {
            p->num_alloc = p->num_alloc ? 2 * p->num_alloc : 8;
            p->nums = hny_realloc (p->nums, p->num_alloc * sizeof *p->nums);
        }
        p->nums [p->num_count++] = (s_num_t) { ordinal, start, i - start };
    }
    *pos = i;
    return 0;
}

/* The length of the UTF-8 sequence at s (at most avail bytes), or 0 when
   it is not valid: an overlong form, a surrogate, past U+10FFFF, cut
   (RFC 3629; what hny_utf8_valid accepts). */
static size_t
s_utf8_seq (const unsigned char *s, size_t avail)
{
    unsigned c = s [0];
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && (s [1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return avail >= 3 && s [1] >= lo && s [1] <= hi && (s [2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return avail >= 4 && s [1] >= lo && s [1] <= hi && (s [2] & 0xC0) == 0x80
            && (s [3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0;
}

/* The lexer pass: everything cJSON lets through that RFC 8259 or the
   protocol does not (the grammar of structure is cJSON's to check). The
   text is valid UTF-8 when it passes: outside strings only ASCII is
   JSON, inside them each sequence is checked here (one pass, not two). */
static int
s_lex (s_parse_t *p, int max_depth)
{
    const char *s = p->text;
    size_t n = p->size, i = 0, ordinal = 0;
    int depth = 0;
    while (i < n) {
        unsigned char c = (unsigned char) s [i];
        if (c == '"') {
            i++;
            for (;;) {
                /* the common case: a run of text (no control, '"' or
                   '\\'), its UTF-8 checked at once unless the caller did;
                   a sequence cut by the run's end is invalid, as it is
                   in the whole text */
                size_t start = i;
                i = s_plain_run (s, i, n, 1);
                if (!p->utf8_ok && !hny_utf8_valid (s + start, i - start)) {
                    size_t at = start, k;
                    while (at < i && ((unsigned char) s [at] < 0x80
                                      || (k = s_utf8_seq ((const unsigned char *) s + at, i - at)) != 0))
                        at += (unsigned char) s [at] < 0x80 ? 1 : k;
                    s_error (p, "not valid UTF-8", at);
                    return -1;
                }
                if (i >= n) {
                    s_error (p, "unterminated string", i);
                    return -1;
                }
                if (s [i] == '"')
                    break;
                if (s [i] != '\\') {
                    s_error (p, "control character in a string", i);
                    return -1;
                }
                /* an escape: cJSON checks its letter, not \u's four hex
                   digits (it reads "\u00e " as U+0000); \u0000 would cut
                   the C string */
                if (i + 1 < n && s [i + 1] == 'u') {
                    if (i + 5 >= n || !s_is_hex (s [i + 2]) || !s_is_hex (s [i + 3]) || !s_is_hex (s [i + 4])
                    ||  !s_is_hex (s [i + 5])) {
                        s_error (p, "invalid \\u escape", i);
                        return -1;
                    }
                    if (memcmp (s + i + 2, "0000", 4) == 0) {
                        s_error (p, "\\u0000 is not allowed", i);
                        return -1;
                    }
                    i += 6;
                }
                else
                    i += 2;
            }
            i++;
        }
        else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                s_error (p, "nested too deep", i);
                return -1;
            }
            i++;
        }
        else if (c == '}' || c == ']') {
            depth--;
            i++;
        }
        else if (c == '-' || s_is_digit ((char) c)) {
            if (s_lex_number (p, &i, ordinal++) < 0) {
                s_error (p, "invalid number", i);
                return -1;
            }
        }
        else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == ':'
             ||  (c >= 'a' && c <= 'z'))
            i++;                /* literals: cJSON reads true, false, null exactly */
        else {
            s_error (p, "unexpected character", i);
            return -1;
        }
    }
    return 0;
}

/* A member and its place in its object, to sort by name. */
typedef struct {
    cJSON *member;
    size_t index;
} s_named_t;

static int
s_name_cmp (const void *a, const void *b)
{
    const s_named_t *x = a, *y = b;
    int rc = strcmp (x->member->string, y->member->string);
    /* equal names stay in document order (qsort is not stable) */
    return rc ? rc : (x->index < y->index ? -1 : x->index > y->index);
}

/* Duplicate member names of object: refused (unique), else every member
   but the last of a name is dropped (jansson's way). Small objects are
   compared pairwise, larger ones sorted (an object of 100,000 members
   must not cost 10^10 comparisons). */
static int
s_members (s_parse_t *p, cJSON *object, int unique)
{
    size_t count = 0;
    for (cJSON *m = object->child; m; m = m->next)
        count++;
    if (count < 2)
        return 0;
    cJSON *few [16];
    cJSON **dups = count <= 16 ? few : hny_calloc (count, sizeof *dups);   /* members to drop */
    size_t ndups = 0;
    if (count <= 16) {
        for (cJSON *a = object->child; a; a = a->next)
            for (cJSON *b = a->next; b; b = b->next)
                if (strcmp (a->string, b->string) == 0) {
                    dups [ndups++] = a;
                    break;
                }
    }
    else {
        s_named_t *sorted = hny_malloc (count * sizeof *sorted);
        size_t i = 0;
        for (cJSON *m = object->child; m; m = m->next, i++)
            sorted [i] = (s_named_t) { m, i };
        qsort (sorted, count, sizeof *sorted, s_name_cmp);
        for (i = 0; i + 1 < count; i++)
            if (strcmp (sorted [i].member->string, sorted [i + 1].member->string) == 0)
                dups [ndups++] = sorted [i].member;
        free (sorted);
    }
    if (ndups && unique) {
        if (p->error)
            snprintf (p->error, HNY_JSON_ERROR_MAX, "duplicate object key \"%.40s\"", dups [0]->string);
    }
    else
        for (size_t i = 0; i < ndups; i++)
            cJSON_Delete (cJSON_DetachItemViaPointer (object, dups [i]));
    if (dups != few)
        free (dups);
    return ndups && unique ? -1 : 0;
}

/* The walk, in document order (the lexer's order of numbers): numbers get
   their literal when their double does not tell it, objects' names are
   checked once their members were walked. */
static int
s_walk (s_parse_t *p, cJSON *item, int unique)
{
    for (; item; item = item->next) {
        if (cJSON_IsNumber (item)) {
            if (p->next_num < p->num_count && p->nums [p->next_num].ordinal == p->ordinal) {
                /* A number node has no valuestring: cJSON_Delete frees
                   it with cJSON's allocator, malloc (no hooks are set). */
                const s_num_t *num = &p->nums [p->next_num++];
                item->valuestring = strndup (p->text + num->offset, num->len);
                if (!item->valuestring)
                    abort ();
            }
            p->ordinal++;
        }
        else if (cJSON_IsArray (item) || cJSON_IsObject (item)) {
            if (s_walk (p, item->child, unique) < 0)
                return -1;
            if (cJSON_IsObject (item) && s_members (p, item, unique) < 0)
                return -1;
        }
    }
    return 0;
}

cJSON *
hny_json_parse (const void *text, size_t size, size_t max, int depth, int flags,
                char error [HNY_JSON_ERROR_MAX])
{
    s_parse_t p = { .text = text, .size = size, .error = error, .utf8_ok = (flags & HNY_JSON_UTF8_OK) != 0 };
    if (error)
        error [0] = '\0';
    if (!text || size == 0) {
        s_error (&p, "empty", 0);
        return NULL;
    }
    if (size > max) {
        if (error)
            snprintf (error, HNY_JSON_ERROR_MAX, "larger than its cap of %zu bytes", max);
        return NULL;
    }
    if (s_lex (&p, depth) < 0) {
        free (p.nums);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts (text, size, &end, 0);
    if (root && end) {
        /* cJSON stops after the value: only whitespace may follow */
        while (end < p.text + size && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
            end++;
        if (end != p.text + size) {
            s_error (&p, "end of file expected", (size_t) (end - p.text));
            cJSON_Delete (root);
            root = NULL;
        }
    }
    else if (!root) {
        const char *at = cJSON_GetErrorPtr ();
        size_t offset = at && at >= p.text && at <= p.text + size ? (size_t) (at - p.text) : 0;
        s_error (&p, "invalid JSON", offset);
    }
    if (root && s_walk (&p, root, flags & HNY_JSON_UNIQUE) < 0) {
        cJSON_Delete (root);
        root = NULL;
    }
    free (p.nums);
    return root;
}

cJSON *
hny_json_get (const cJSON *object, const char *name)
{
    if (!cJSON_IsObject (object))
        return NULL;
    for (cJSON *m = object->child; m; m = m->next)
        if (strcmp (m->string, name) == 0)
            return m;
    return NULL;
}

int
hny_json_int (const cJSON *item, int64_t *value)
{
    if (!cJSON_IsNumber (item))
        return 0;
    if (!item->valuestring) {
        /* at most S_EXACT_DIGITS digits, no fraction, no exponent */
        *value = (int64_t) item->valuedouble;
        return 1;
    }
    const char *s = item->valuestring;
    if (strpbrk (s, ".eE"))
        return 0;
    errno = 0;
    char *end;
    long long v = strtoll (s, &end, 10);
    if (errno == ERANGE || *end)
        return 0;
    *value = (int64_t) v;
    return 1;
}

int64_t
hny_json_int_or (const cJSON *item, int64_t fallback)
{
    int64_t v;
    return hny_json_int (item, &v) ? v : fallback;
}

const char *
hny_json_str (const cJSON *item, size_t *len)
{
    if (!cJSON_IsString (item) || !item->valuestring)
        return NULL;
    if (len)
        *len = strlen (item->valuestring);
    return item->valuestring;
}

json_t *
hny_json_to_jansson (const cJSON *item)
{
    if (!item)
        return NULL;
    int64_t v;
    switch (item->type & 0xFF) {
    case cJSON_False:  return json_false ();
    case cJSON_True:   return json_true ();
    case cJSON_NULL:   return json_null ();
    case cJSON_Number:
        return hny_json_int (item, &v) ? json_integer ((json_int_t) v) : json_real (item->valuedouble);
    case cJSON_String:
        /* checked by the parse (UTF-8, no NUL): jansson need not check again */
        return json_stringn_nocheck (item->valuestring, strlen (item->valuestring));
    case cJSON_Array: {
        json_t *array = json_array ();
        for (const cJSON *m = item->child; m; m = m->next)
            json_array_append_new (array, hny_json_to_jansson (m));
        return array;
    }
    case cJSON_Object: {
        json_t *object = json_object ();
        for (const cJSON *m = item->child; m; m = m->next)
            json_object_set_new_nocheck (object, m->string, hny_json_to_jansson (m));
        return object;
    }
    }
    return json_null ();
}

json_t *
hny_json_load (const void *text, size_t size, size_t max, int flags, char error [HNY_JSON_ERROR_MAX])
{
    cJSON *root = hny_json_parse (text, size, max, HNY_JSON_DEPTH_MAX, flags, error);
    json_t *value = hny_json_to_jansson (root);
    cJSON_Delete (root);
    return value;
}

/* ------------------------------------------------------------- writers */

int
hny_json_put_str (hny_buf_t *buf, const char *s, size_t len)
{
    hny_buf_add (buf, "\"", 1);
    const char *run = s, *end = s + len;
    for (const char *p = s; p < end; p++) {
        p = s + s_plain_run (s, (size_t) (p - s), len, 1);
        if (p == end)
            break;
        unsigned char c = (unsigned char) *p;
        hny_buf_add (buf, run, (size_t) (p - run));
        char esc [8];
        switch (c) {
        case '"':  hny_buf_add (buf, "\\\"", 2); break;
        case '\\': hny_buf_add (buf, "\\\\", 2); break;
        case '\b': hny_buf_add (buf, "\\b", 2); break;
        case '\f': hny_buf_add (buf, "\\f", 2); break;
        case '\n': hny_buf_add (buf, "\\n", 2); break;
        case '\r': hny_buf_add (buf, "\\r", 2); break;
        case '\t': hny_buf_add (buf, "\\t", 2); break;
        default:
            /* jansson's form: \u and four upper-case hex digits */
            snprintf (esc, sizeof esc, "\\u%04X", c);
            hny_buf_add (buf, esc, 6);
            break;
        }
        run = p + 1;
    }
    hny_buf_add (buf, run, (size_t) (end - run));
    return hny_buf_add (buf, "\"", 1);
}

int
hny_json_put_int (hny_buf_t *buf, int64_t value)
{
    char text [24];
    int n = snprintf (text, sizeof text, "%" PRId64, value);
    return hny_buf_add (buf, text, (size_t) n);
}

int
hny_json_put_key (hny_buf_t *buf, const char *name, int first)
{
    if (!first)
        hny_buf_add (buf, ",", 1);
    hny_buf_add (buf, "\"", 1);
    hny_buf_adds (buf, name);
    return hny_buf_add (buf, "\":", 2);
}

/* value's JSON text into buf, as json_dumps writes it (JSON_COMPACT). */
static void
s_dump (hny_buf_t *buf, const json_t *value)
{
    switch (json_typeof (value)) {
    case JSON_OBJECT: {
        /* jansson iterates an object in insertion order, as json_dumps writes it */
        hny_buf_add (buf, "{", 1);
        const char *name;
        json_t *member;
        int first = 1;
        json_object_foreach ((json_t *) value, name, member) {
            if (!first)
                hny_buf_add (buf, ",", 1);
            hny_json_put_str (buf, name, strlen (name));
            hny_buf_add (buf, ":", 1);
            s_dump (buf, member);
            first = 0;
        }
        hny_buf_add (buf, "}", 1);
        break;
    }
    case JSON_ARRAY:
        hny_buf_add (buf, "[", 1);
        for (size_t i = 0; i < json_array_size (value); i++) {
            if (i)
                hny_buf_add (buf, ",", 1);
            s_dump (buf, json_array_get (value, i));
        }
        hny_buf_add (buf, "]", 1);
        break;
    case JSON_STRING:
        hny_json_put_str (buf, json_string_value (value), json_string_length (value));
        break;
    case JSON_INTEGER:
        hny_json_put_int (buf, (int64_t) json_integer_value (value));
        break;
    case JSON_REAL: {
        /* rare here: jansson's own text of a double (precision, ".0") */
        char *text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text)
            hny_buf_adds (buf, text);
        free (text);
        break;
    }
    case JSON_TRUE:  hny_buf_add (buf, "true", 4); break;
    case JSON_FALSE: hny_buf_add (buf, "false", 5); break;
    case JSON_NULL:  hny_buf_add (buf, "null", 4); break;
    }
}

char *
hny_json_dump (const json_t *value, size_t max, size_t *size)
{
    if (!value)
        return NULL;
    hny_buf_t buf = HNY_BUF_INIT (max);
    s_dump (&buf, value);
    if (buf.toobig || !buf.data) {
        hny_buf_free (&buf);
        return NULL;
    }
    return hny_buf_take (&buf, size);
}
