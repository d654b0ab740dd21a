/*  hny_json.c: JSON on the hot path under the protocol's rules (hny_json.h).

    The parse is one pass of recursive descent that builds cJSON's own
    trees (cJSON_Delete frees them). It checks what RFC 8259 and the
    protocol ask: UTF-8 (as hny_utf8_valid, each string's run checked as
    it is read), numbers and whitespace as RFC 8259 writes them, no raw
    controls or \u0000 in strings, nesting, and member names (once an
    object is read). Strings are found eight bytes at a time and copied
    whole; only one with an escape is decoded. A number whose double does
    not tell its literal keeps the literal (valuestring). cJSON's own
    parser, which this replaces, took a second pass after a lexer's and
    copied strings a byte at a time. */
#include "hny_json.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits an integer literal may have and still be exact as a double
   (10^15 < 2^53): a longer one keeps its literal. */
#define S_EXACT_DIGITS 15

/* Digits a number's literal may have at most: what cJSON read (it
   refused longer ones; these bodies never hold one). */
#define S_NUMBER_MAX 63

typedef struct {
    const char *text;
    size_t size;
    size_t i;                   /* where the parse is */
    int max_depth;
    int unique;                 /* HNY_JSON_UNIQUE */
    int utf8_ok;                /* HNY_JSON_UTF8_OK: the caller checked the UTF-8 */
    hny_buf_t scratch;          /* a string with escapes, decoded */
    char *error;                /* NULL: the caller does not want it */
    int failed;                 /* an error was set */
} s_parse_t;

static void
s_error (s_parse_t *p, const char *what, size_t offset)
{
    if (p->error && !p->failed)
        snprintf (p->error, HNY_JSON_ERROR_MAX, "%s (offset %zu)", what, offset);
    p->failed = 1;
}

/* The error for what stands at i where something else was due: a byte
   JSON never has outside strings is "unexpected", one of JSON's own in
   the wrong place (or the end) makes the text "invalid". */
static void
s_error_at (s_parse_t *p, size_t i)
{
    unsigned char c = i < p->size ? (unsigned char) p->text [i] : 0;
    int json = i >= p->size || (c && strchr ("{}[]\",:-0123456789 \t\n\r", c)) || (c >= 'a' && c <= 'z');
    s_error (p, json ? "invalid JSON" : "unexpected character", i);
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
   ([eE][+-]?[0-9]+)?, followed by none of its characters ("01" and "1."
   are not numbers). Returns 1 when its double is exact (an integer of at
   most S_EXACT_DIGITS digits), 0 when not, -1 when it is no number. */
static int
s_lex_number (const s_parse_t *p, size_t *pos)
{
    const char *s = p->text;
    size_t i = *pos, n = p->size;
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
    *pos = i;
    return exact;
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

static cJSON *s_value (s_parse_t *p, int depth);

/* RFC 8259's whitespace, these four bytes only (cJSON took any byte up
   to 32 for a blank). */
static void
s_space (s_parse_t *p)
{
    const char *s = p->text;
    while (p->i < p->size && (s [p->i] == ' ' || s [p->i] == '\n' || s [p->i] == '\r' || s [p->i] == '\t'))
        p->i++;
}

/* A new node of cJSON's (hny_calloc is calloc that aborts when memory is
   out, as cJSON_New_Item; cJSON_Delete frees nodes and their strings
   with free, no hooks being set). */
static cJSON *
s_node (int type)
{
    cJSON *item = hny_calloc (1, sizeof *item);
    item->type = type;
    return item;
}

/* Four hex digits at s, or -1. */
static long
s_hex4 (const char *s)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        char c = s [k];
        if (!s_is_hex (c))
            return -1;
        v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

int
hny_json_escape (const char *s, size_t n, char out [4], size_t *out_len)
{
    if (n < 2)
        return HNY_JSON_ESC_BAD;
    char one = 0;
    switch (s [1]) {
    case '"': case '\\': case '/': one = s [1]; break;
    case 'b': one = '\b'; break;
    case 'f': one = '\f'; break;
    case 'n': one = '\n'; break;
    case 'r': one = '\r'; break;
    case 't': one = '\t'; break;
    case 'u': break;
    default: return HNY_JSON_ESC_BAD;
    }
    if (one) {
        out [0] = one;
        *out_len = 1;
        return 2;
    }
    long u = n >= 6 ? s_hex4 (s + 2) : -1;
    if (u < 0)
        return HNY_JSON_ESC_HEX;
    if (u == 0)
        return HNY_JSON_ESC_NUL;
    int used = 6;
    if (u >= 0xDC00 && u <= 0xDFFF)
        return HNY_JSON_ESC_BAD;                    /* a low surrogate alone */
    if (u >= 0xD800 && u <= 0xDBFF) {
        /* the low half must follow as \uDC00-\uDFFF */
        int more = n >= 8 && s [6] == '\\' && s [7] == 'u';
        long lo = more && n >= 12 ? s_hex4 (s + 8) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return more && lo < 0 ? HNY_JSON_ESC_HEX : HNY_JSON_ESC_BAD;
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        used = 12;
    }
    *out_len = hny_utf8_put ((unsigned long) u, out);
    return used;
}

/* The string whose opening quote is at p->i, as a new C string (malloc);
   p->i goes past its closing quote. NULL on an error (set). */
static char *
s_string (s_parse_t *p)
{
    const char *s = p->text;
    size_t n = p->size, i = ++p->i;
    int escaped = 0;
    p->scratch.len = 0;
    for (;;) {
        /* a run of text (no control, '"' or '\\'), its UTF-8 checked at
           once unless the caller did; a sequence cut by the run's end is
           invalid, as it is in the whole text */
        size_t start = i;
        i = s_plain_run (s, i, n, 1);
        if (!p->utf8_ok && !hny_utf8_valid (s + start, i - start)) {
            size_t at = start, k;
            while (at < i && ((unsigned char) s [at] < 0x80
                              || (k = s_utf8_seq ((const unsigned char *) s + at, i - at)) != 0))
                at += (unsigned char) s [at] < 0x80 ? 1 : k;
            s_error (p, "not valid UTF-8", at);
            return NULL;
        }
        if (i >= n) {
            s_error (p, "unterminated string", i);
            return NULL;
        }
        if (s [i] == '"' && !escaped) {
            /* the common case: no escape, the bytes are the string */
            char *out = hny_malloc (i - start + 1);
            memcpy (out, s + start, i - start);
            out [i - start] = '\0';
            p->i = i + 1;
            return out;
        }
        if (escaped || s [i] == '\\')
            hny_buf_add (&p->scratch, s + start, i - start);
        if (s [i] == '"')
            break;
        if (s [i] != '\\') {
            s_error (p, "control character in a string", i);
            return NULL;
        }
        escaped = 1;
        char utf8 [4];
        size_t len = 0;
        int used = hny_json_escape (s + i, n - i, utf8, &len);
        if (used < 0) {
            s_error (p, used == HNY_JSON_ESC_HEX ? "invalid \\u escape" : used == HNY_JSON_ESC_NUL
                        ? "\\u0000 is not allowed" : i + 1 >= n ? "unterminated string" : "invalid JSON",
                     i + 1 >= n ? n : i);
            return NULL;
        }
        hny_buf_add (&p->scratch, utf8, len);
        i += (size_t) used;
    }
    p->i = i + 1;
    char *out = hny_malloc (p->scratch.len + 1);
    memcpy (out, p->scratch.data, p->scratch.len);
    out [p->scratch.len] = '\0';
    return out;
}

/* A number at p->i: its double as cJSON gives it (valueint saturated), its
   literal kept when the double does not tell it. */
static cJSON *
s_number (s_parse_t *p)
{
    size_t start = p->i, end = start;
    int exact = s_lex_number (p, &end);
    if (exact < 0) {
        s_error (p, "invalid number", start);
        return NULL;
    }
    if (end - start > S_NUMBER_MAX) {
        s_error (p, "invalid JSON", start);
        return NULL;
    }
    char literal [S_NUMBER_MAX + 1];
    memcpy (literal, p->text + start, end - start);
    literal [end - start] = '\0';
    cJSON *item = s_node (cJSON_Number);
    item->valuedouble = strtod (literal, NULL);
    item->valueint = item->valuedouble >= INT_MAX ? INT_MAX
                   : item->valuedouble <= (double) INT_MIN ? INT_MIN : (int) item->valuedouble;
    if (!exact)
        item->valuestring = hny_strdup (literal);
    p->i = end;
    return item;
}

/* The members of an array or object whose bracket is at p->i. */
static cJSON *
s_container (s_parse_t *p, int depth)
{
    int object = p->text [p->i] == '{';
    if (depth > p->max_depth) {
        s_error (p, "nested too deep", p->i);
        return NULL;
    }
    char close = object ? '}' : ']';
    cJSON *item = s_node (object ? cJSON_Object : cJSON_Array), *tail = NULL;
    p->i++;
    s_space (p);
    if (p->i < p->size && p->text [p->i] == close) {
        p->i++;
        return item;
    }
    for (;;) {
        char *name = NULL;
        if (object) {
            if (p->i >= p->size || p->text [p->i] != '"') {
                s_error_at (p, p->i);
                break;
            }
            if (!(name = s_string (p)))
                break;
            s_space (p);
            if (p->i >= p->size || p->text [p->i] != ':') {
                free (name);
                s_error_at (p, p->i);
                break;
            }
            p->i++;
        }
        cJSON *member = s_value (p, depth + 1);
        if (!member) {
            free (name);
            break;
        }
        member->string = name;
        /* linked as cJSON links: the first member's prev is the last one */
        if (tail) {
            tail->next = member;
            member->prev = tail;
        }
        else
            item->child = member;
        tail = member;
        item->child->prev = tail;
        s_space (p);
        if (p->i < p->size && p->text [p->i] == ',') {
            p->i++;
            s_space (p);
            continue;
        }
        if (p->i < p->size && p->text [p->i] == close) {
            p->i++;
            if (object && s_members (p, item, p->unique) < 0) {
                p->failed = 1;
                break;
            }
            return item;
        }
        s_error_at (p, p->i);
        break;
    }
    cJSON_Delete (item);
    return NULL;
}

/* The value at p->i (after whitespace), at depth (the root is 1). */
static cJSON *
s_value (s_parse_t *p, int depth)
{
    s_space (p);
    if (p->i >= p->size) {
        s_error (p, "invalid JSON", p->i);
        return NULL;
    }
    const char *s = p->text + p->i;
    size_t left = p->size - p->i;
    switch (*s) {
    case '{': case '[':
        return s_container (p, depth);
    case '"': {
        char *text = s_string (p);
        if (!text)
            return NULL;
        cJSON *item = s_node (cJSON_String);
        item->valuestring = text;
        return item;
    }
    case 't':
        if (left >= 4 && memcmp (s, "true", 4) == 0) {
            p->i += 4;
            cJSON *item = s_node (cJSON_True);
            item->valueint = 1;
            return item;
        }
        break;
    case 'f':
        if (left >= 5 && memcmp (s, "false", 5) == 0) {
            p->i += 5;
            return s_node (cJSON_False);
        }
        break;
    case 'n':
        if (left >= 4 && memcmp (s, "null", 4) == 0) {
            p->i += 4;
            return s_node (cJSON_NULL);
        }
        break;
    default:
        if (*s == '-' || s_is_digit (*s))
            return s_number (p);
    }
    s_error_at (p, p->i);
    return NULL;
}

cJSON *
hny_json_parse (const void *text, size_t size, size_t max, int depth, int flags,
                char error [HNY_JSON_ERROR_MAX])
{
    s_parse_t p = { .text = text, .size = size, .max_depth = depth, .error = error,
                    .unique = (flags & HNY_JSON_UNIQUE) != 0,
                    .utf8_ok = (flags & HNY_JSON_UTF8_OK) != 0,
                    .scratch = HNY_BUF_INIT (size) };
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
    cJSON *root = s_value (&p, 1);
    if (root) {
        /* only whitespace may follow the value */
        s_space (&p);
        if (p.i < p.size) {
            unsigned char c = (unsigned char) p.text [p.i];
            int json = (c && strchr ("{}[]\",:-0123456789", c)) || (c >= 'a' && c <= 'z');
            s_error (&p, json ? "end of file expected" : "unexpected character", p.i);
            cJSON_Delete (root);
            root = NULL;
        }
    }
    hny_buf_free (&p.scratch);
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
    /* Digits from the end, as printf's %lld writes them, without printf:
       its 700 instructions a number were a tenth of honyakud's JSON (a
       task's row names three numbers a segment, a TASK one). The
       magnitude is taken as unsigned, so INT64_MIN has its own. */
    char text [24];
    char *end = text + sizeof text, *p = end;
    uint64_t mag = value < 0 ? 0 - (uint64_t) value : (uint64_t) value;
    do {
        *--p = (char) ('0' + mag % 10);
        mag /= 10;
    } while (mag);
    if (value < 0)
        *--p = '-';
    return hny_buf_add (buf, p, (size_t) (end - p));
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

int
hny_json_put_member (hny_buf_t *buf, const char *name, const char *value, int first)
{
    hny_json_put_key (buf, name, first);
    return hny_json_put_str (buf, value, strlen (value));
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
