/*  test_json.c: proto/hny_json (cJSON under the protocol's rules): what
    cJSON alone would accept and the protocol refuses, the integers past
    2^53, and the writers against jansson's json_dumps byte for byte. */
#include "hny_check.h"
#include "hny_json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX (1 << 20)

static cJSON *
s_parse (const char *text, int flags, char *error)
{
    return hny_json_parse (text, strlen (text), S_MAX, 16, flags, error);
}

/* text must be refused, with a reason that holds want. */
static void
s_refused (const char *text, int flags, const char *want)
{
    char error [HNY_JSON_ERROR_MAX];
    cJSON *root = s_parse (text, flags, error);
    s_checks++;
    if (root || !strstr (error, want)) {
        fprintf (stderr, "refused? [%s]: root %p, error [%s], want [%s]\n", text, (void *) root, error, want);
        s_failures++;
    }
    cJSON_Delete (root);
}

/* The integer of member "id" of text, as hny_json_int reads it. */
static int
s_id (const char *text, int64_t *value)
{
    cJSON *root = s_parse (text, HNY_JSON_UNIQUE, NULL);
    CHECK (root != NULL);
    int rc = hny_json_int (hny_json_get (root, "id"), value);
    cJSON_Delete (root);
    return rc;
}

static void
test_parse (void)
{
    char error [HNY_JSON_ERROR_MAX];
    const char *text = " {\"segments\":[{\"id\":0,\"tgt\":\"ｈａｒｂｏｕｒ \\\"q\\\" \\u00e9\\n\"},"
                       "{\"id\":1,\"error\":{\"class\":\"transient\",\"code\":503}}],"
                       "\"requests\":1,\"ok\":true,\"none\":null} \r\n";
    cJSON *root = s_parse (text, HNY_JSON_UNIQUE, error);
    CHECK (root != NULL);
    cJSON *segs = hny_json_get (root, "segments");
    CHECK (cJSON_IsArray (segs) && cJSON_GetArraySize (segs) == 2);
    size_t len = 0;
    const char *tgt = hny_json_str (hny_json_get (cJSON_GetArrayItem (segs, 0), "tgt"), &len);
    CHECK_STR (tgt, "ｈａｒｂｏｕｒ \"q\" é\n");
    CHECK (len == strlen ("ｈａｒｂｏｕｒ \"q\" é\n"));
    CHECK (hny_json_int_or (hny_json_get (root, "requests"), -1) == 1);
    CHECK (hny_json_int_or (hny_json_get (root, "ok"), -1) == -1);
    CHECK (hny_json_str (hny_json_get (root, "none"), NULL) == NULL);
    /* names are compared byte for byte (cJSON_GetObjectItem ignores case) */
    CHECK (hny_json_get (root, "Segments") == NULL);
    CHECK (hny_json_get (segs, "segments") == NULL);
    cJSON_Delete (root);
    /* an escaped backslash before u0000 is text, not NUL */
    root = s_parse ("{\"s\":\"\\\\u0000\"}", HNY_JSON_UNIQUE, error);
    CHECK_STR (hny_json_str (hny_json_get (root, "s"), NULL), "\\u0000");
    cJSON_Delete (root);
}

/* What cJSON alone lets through and the protocol (or RFC 8259) does not. */
static void
test_refused (void)
{
    s_refused ("{\"s\":\"caf\xc3\"}", 0, "UTF-8");                 /* cut sequence */
    s_refused ("{\"s\":\"\xed\xa0\x80\"}", 0, "UTF-8");             /* a surrogate */
    s_refused ("{\"s\":\"\xc0\xaf\"}", 0, "UTF-8");                 /* overlong */
    s_refused ("{\"a\":1,\"a\":2}", HNY_JSON_UNIQUE, "duplicate object key \"a\"");
    s_refused ("{\"s\":\"a\\u0000b\"}", 0, "\\u0000");
    s_refused ("{\"s\":\"a\\u00e b\"}", 0, "invalid \\u escape");      /* cJSON: U+0000 */
    s_refused ("{\"s\":\"a\\u12\"}", 0, "invalid \\u escape");
    s_refused ("{\"s\":\"a\tb\"}", 0, "control character");
    s_refused ("{\"s\":\"a\x01\"}", 0, "control character");
    s_refused ("{\"n\":01}", 0, "invalid number");
    s_refused ("{\"n\":1.}", 0, "invalid number");
    s_refused ("{\"n\":-}", 0, "invalid number");
    s_refused ("{\"n\":1e}", 0, "invalid number");
    s_refused ("{\"n\":1-2}", 0, "invalid number");
    s_refused ("{\"n\":1}#", 0, "unexpected character");
    s_refused ("{\"n\":1}x", 0, "end of file expected");
    s_refused ("{\"n\":1} {}", 0, "end of file expected");
    s_refused ("\xef\xbb\xbf{}", 0, "unexpected character");        /* a BOM */
    s_refused ("{\"n\":\v1}", 0, "unexpected character");         /* cJSON: any byte <= 32 is a space */
    s_refused ("{\"n\":\"x\"", 0, "invalid JSON");
    s_refused ("{\"n\":\"x", 0, "unterminated string");
    s_refused ("{\"n\":tru}", 0, "invalid JSON");
    s_refused ("", 0, "empty");
    s_refused ("[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", 0, "nested too deep");   /* 17 deep */
    char error [HNY_JSON_ERROR_MAX];
    cJSON *root = s_parse ("[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]", 0, error);  /* 16 deep */
    CHECK (root != NULL);
    cJSON_Delete (root);
    CHECK (hny_json_parse ("{\"a\":1}", 7, 6, 16, 0, error) == NULL && strstr (error, "cap"));
    /* embedded NUL bytes are not JSON */
    CHECK (hny_json_parse ("{\"a\":1}\0", 8, S_MAX, 16, 0, error) == NULL);
    CHECK (hny_json_parse ("{\"a\":\"\0\"}", 9, S_MAX, 16, 0, error) == NULL);
    CHECK (hny_json_parse (NULL, 0, S_MAX, 16, 0, NULL) == NULL);
}

/* The parser's own edges: escapes between runs, surrogate pairs, the
   tree linked as cJSON links it, numbers' literals. */
static void
test_parser_edges (void)
{
    char error [HNY_JSON_ERROR_MAX];
    cJSON *root = s_parse ("{\"k\\u00e9y\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u3042\\ud83d\\ude00z\","
                           "\"plain\":\"\xe6\x97\xa5\xe6\x9c\xac\",\"n\":[1,-0,2.5,1e2,12345678901234567890]}",
                           HNY_JSON_UNIQUE, error);
    CHECK (root != NULL);
    CHECK_STR (hny_json_str (hny_json_get (root, "k\xc3\xa9y"), NULL),
               "a\"b\\c/d\b\f\n\r\t\xe3\x81\x82\xf0\x9f\x98\x80z");
    CHECK_STR (hny_json_str (hny_json_get (root, "plain"), NULL), "\xe6\x97\xa5\xe6\x9c\xac");
    /* cJSON's links: the first child's prev is the last, the last's next NULL */
    cJSON *n = hny_json_get (root, "n");
    CHECK (cJSON_GetArraySize (n) == 5);
    CHECK (n->child->prev == cJSON_GetArrayItem (n, 4) && cJSON_GetArrayItem (n, 4)->next == NULL);
    CHECK (root->child->prev == n);
    int64_t v = 0;
    CHECK (hny_json_int (cJSON_GetArrayItem (n, 0), &v) && v == 1);
    CHECK (!hny_json_int (cJSON_GetArrayItem (n, 2), &v) && cJSON_GetArrayItem (n, 2)->valuedouble == 2.5);
    CHECK (!hny_json_int (cJSON_GetArrayItem (n, 3), &v) && cJSON_GetArrayItem (n, 3)->valuedouble == 100);
    CHECK_STR (cJSON_GetArrayItem (n, 4)->valuestring, "12345678901234567890");
    /* cJSON_AddItemToArray relies on the links: it must append after the last */
    cJSON_AddItemToArray (n, cJSON_CreateNumber (7));
    CHECK (cJSON_GetArraySize (n) == 6 && hny_json_int_or (cJSON_GetArrayItem (n, 5), -1) == 7);
    cJSON_Delete (root);
    s_refused ("{\"s\":\"\\ud83d\"}", 0, "invalid JSON");             /* a high surrogate alone */
    s_refused ("{\"s\":\"\\ud83dx\"}", 0, "invalid JSON");
    s_refused ("{\"s\":\"\\ude00\"}", 0, "invalid JSON");             /* a low one alone */
    s_refused ("{\"s\":\"\\ud83d\\u0041\"}", 0, "invalid JSON");
    s_refused ("{\"s\":\"\\ud83d\\u00\"}", 0, "invalid \\u escape");
    s_refused ("{\"s\":\"\\x\"}", 0, "invalid JSON");
    s_refused ("{\"s\":\"ab\\", 0, "unterminated string");
    s_refused ("{\"n\":1234567890123456789012345678901234567890123456789012345678901234}", 0,
               "invalid JSON");                                         /* 64 digits */
    s_refused ("{\"a\" 1}", 0, "invalid JSON");
    s_refused ("{1:2}", 0, "invalid JSON");
    s_refused ("[1 2]", 0, "invalid JSON");
    s_refused ("[1,]", 0, "invalid JSON");
    s_refused ("   ", 0, "invalid JSON");
    /* an escape-free string after one with escapes: the scratch is reset */
    root = s_parse ("[\"\\u0041\\u0042\",\"cd\",\"\\n\"]", 0, error);
    CHECK_STR (hny_json_str (cJSON_GetArrayItem (root, 0), NULL), "AB");
    CHECK_STR (hny_json_str (cJSON_GetArrayItem (root, 1), NULL), "cd");
    CHECK_STR (hny_json_str (cJSON_GetArrayItem (root, 2), NULL), "\n");
    cJSON_Delete (root);
}

/* The one decoder of escapes, on its own: each kind, what it refuses. */
static void
test_escape (void)
{
    static const struct {
        const char *in;
        int used;
        const char *out;
    } cases [] = {
        { "\\n", 2, "\n" }, { "\\\"", 2, "\"" }, { "\\\\", 2, "\\" }, { "\\/", 2, "/" },
        { "\\b", 2, "\b" }, { "\\f", 2, "\f" }, { "\\r", 2, "\r" }, { "\\t", 2, "\t" },
        { "\\u0041", 6, "A" }, { "\\u00e9", 6, "\xc3\xa9" }, { "\\u3042x", 6, "\xe3\x81\x82" },
        { "\\uD83D\\uDE00", 12, "\xf0\x9f\x98\x80" }, { "\\u00E9", 6, "\xc3\xa9" },
        { "\\x", HNY_JSON_ESC_BAD, NULL }, { "\\", HNY_JSON_ESC_BAD, NULL },
        { "\\u12", HNY_JSON_ESC_HEX, NULL }, { "\\u12g4", HNY_JSON_ESC_HEX, NULL },
        { "\\u0000", HNY_JSON_ESC_NUL, NULL }, { "\\ude00", HNY_JSON_ESC_BAD, NULL },
        { "\\ud83d", HNY_JSON_ESC_BAD, NULL }, { "\\ud83dx", HNY_JSON_ESC_BAD, NULL },
        { "\\ud83d\\u0041", HNY_JSON_ESC_BAD, NULL }, { "\\ud83d\\u00", HNY_JSON_ESC_HEX, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char out [4];
        size_t len = 0;
        int used = hny_json_escape (cases [i].in, strlen (cases [i].in), out, &len);
        CHECK (used == cases [i].used);
        if (used > 0)
            CHECK (len == strlen (cases [i].out) && memcmp (out, cases [i].out, len) == 0);
        if (used != cases [i].used)
            fprintf (stderr, "escape [%s]: %d, want %d\n", cases [i].in, used, cases [i].used);
    }
    /* n bounds the read: a \u cut by the string's end is refused */
    char out [4];
    size_t len = 0;
    CHECK (hny_json_escape ("\\u0041", 5, out, &len) == HNY_JSON_ESC_HEX);
    CHECK (hny_json_escape ("\\uD83D\\uDE00", 11, out, &len) == HNY_JSON_ESC_HEX);
}

static void
test_duplicates (void)
{
    /* without HNY_JSON_UNIQUE the last one wins, as in jansson */
    cJSON *root = s_parse ("{\"a\":1,\"b\":{\"c\":2,\"c\":[3,4]},\"a\":5}", 0, NULL);
    CHECK (hny_json_int_or (hny_json_get (root, "a"), -1) == 5);
    CHECK (cJSON_GetArraySize (root) == 2);
    CHECK (cJSON_IsArray (hny_json_get (hny_json_get (root, "b"), "c")));
    cJSON_Delete (root);
    /* a large object is sorted: every name, one duplicate at the far end */
    char text [4096] = "{";
    for (int i = 0; i < 100; i++)
        snprintf (text + strlen (text), sizeof text - strlen (text), "\"k%d\":%d,", i, i);
    strcat (text, "\"k7\":\"x\"}");
    s_refused (text, HNY_JSON_UNIQUE, "duplicate object key \"k7\"");
    root = s_parse (text, 0, NULL);
    CHECK (cJSON_GetArraySize (root) == 100);
    CHECK_STR (hny_json_str (hny_json_get (root, "k7"), NULL), "x");
    CHECK (hny_json_int_or (hny_json_get (root, "k99"), -1) == 99);
    cJSON_Delete (root);
}

/* PROTOCOL.md 4: integers are numbers without fraction or exponent,
   within int64; cJSON's double is exact only to 2^53. */
static void
test_integers (void)
{
    int64_t v = -1;
    CHECK (s_id ("{\"id\":0}", &v) && v == 0);
    CHECK (s_id ("{\"id\":-0}", &v) && v == 0);
    CHECK (s_id ("{\"id\":999999999999999}", &v) && v == 999999999999999);
    CHECK (s_id ("{\"id\":9007199254740993}", &v) && v == INT64_C (9007199254740993));   /* 2^53 + 1 */
    CHECK (s_id ("{\"id\":9223372036854775807}", &v) && v == INT64_MAX);
    CHECK (s_id ("{\"id\":-9223372036854775808}", &v) && v == INT64_MIN);
    v = 42;
    CHECK (!s_id ("{\"id\":9223372036854775808}", &v) && v == 42);                 /* 2^63 */
    CHECK (!s_id ("{\"id\":-9223372036854775809}", &v));
    CHECK (!s_id ("{\"id\":1e3}", &v));
    CHECK (!s_id ("{\"id\":1E3}", &v));
    CHECK (!s_id ("{\"id\":1.0}", &v));
    CHECK (!s_id ("{\"id\":0.5}", &v));
    CHECK (!s_id ("{\"id\":\"1\"}", &v));
    CHECK (!s_id ("{\"id\":true}", &v));
    CHECK (!s_id ("{\"other\":1}", &v) && v == 42);
    /* the literal goes to the right number, in document order, also when
       a duplicate was dropped before it */
    cJSON *root = s_parse ("{\"a\":[1e2,{\"x\":12345678901234567,\"x\":2.5}],\"b\":12345678901234568,\"c\":7}",
                           0, NULL);
    cJSON *a = hny_json_get (root, "a");
    CHECK (!hny_json_int (cJSON_GetArrayItem (a, 0), &v));
    CHECK (!hny_json_int (hny_json_get (cJSON_GetArrayItem (a, 1), "x"), &v));
    CHECK (cJSON_GetArrayItem (a, 1)->child->valuedouble == 2.5);
    CHECK (hny_json_int (hny_json_get (root, "b"), &v) && v == INT64_C (12345678901234568));
    CHECK (hny_json_int (hny_json_get (root, "c"), &v) && v == 7);
    json_t *j = hny_json_to_jansson (root);
    char *dump = json_dumps (j, JSON_COMPACT);
    CHECK_STR (dump, "{\"a\":[100.0,{\"x\":2.5}],\"b\":12345678901234568,\"c\":7}");
    free (dump);
    json_decref (j);
    cJSON_Delete (root);
}

/* The lexer's UTF-8 check agrees with hny_utf8_valid: random bytes
   (mostly lead and continuation bytes, to hit every edge) in a string. */
static void
test_utf8 (void)
{
    uint32_t seed = 12345;
    const unsigned char picks [] = { 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                                     0xED, 0xEE, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 'a', ' ' };
    int mismatches = 0;
    for (int round = 0; round < 20000; round++) {
        unsigned char text [16] = "[\"";
        size_t len = 1 + round % 6;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            text [2 + i] = picks [(seed >> 16) % sizeof picks];
        }
        text [2 + len] = '"';
        text [3 + len] = ']';
        cJSON *root = hny_json_parse (text, len + 4, S_MAX, 16, 0, NULL);
        int valid = hny_utf8_valid ((const char *) text + 2, len);
        mismatches += (root != NULL) != valid;
        if (root && valid)
            mismatches += strlen (cJSON_GetArrayItem (root, 0)->valuestring) != len;
        cJSON_Delete (root);
    }
    CHECK (mismatches == 0);
}

/* hny_json_load gives the value json_loadb gives, written back the same. */
static void
test_load (void)
{
    const char *text = "{\"schema\":\"honyaku.prepared/1\",\"replaced\":0,\"metadata\":{\"title\":\"T\\u00e9\",\"related\":"
                       "[{\"title\":\"a\\\"b\",\"date\":\"2019-04-17\"}]},\"title\":{\"src\":\"ｔｉｔｌｅ\"},"
                       "\"paragraphs\":[{\"segments\":[{\"src\":\"One.\"},{\"src\":\"Two\\n\"}]},{\"segments\":[]}],"
                       "\"stats\":{\"ms\":1.5,\"big\":12345678901234567,\"neg\":-3,\"t\":true,\"f\":false,\"n\":null}}";
    json_t *want = json_loadb (text, strlen (text), JSON_REJECT_DUPLICATES, NULL);
    json_t *got = hny_json_load (text, strlen (text), S_MAX, HNY_JSON_UNIQUE, NULL);
    CHECK (want && got && json_equal (want, got));
    char *a = json_dumps (want, JSON_COMPACT), *b = json_dumps (got, JSON_COMPACT);
    CHECK (a && b && strcmp (a, b) == 0);
    free (a);
    free (b);
    json_decref (want);
    json_decref (got);
    char error [HNY_JSON_ERROR_MAX];
    CHECK (hny_json_load ("{\"a\":1,\"a\":2}", 13, S_MAX, HNY_JSON_UNIQUE, error) == NULL
           && strstr (error, "duplicate"));
}

/* text read by jansson (with jflags) and by hny_json_load: counts a
   mismatch (said for the first three) unless both accept it with equal
   values or both refuse it; jansson's refusals of integers past int64
   and of reals that overflow are not mismatches (hny_json keeps them),
   nor, with lenient_big, any answer on a text holding such an integer. */
static void
s_compare (const char *what, const char *text, size_t len, int jflags, int lenient_big,
           int *mismatches, int *accepted)
{
    json_error_t jerr;
    json_t *want = json_loadb (text, len, jflags, &jerr);
    json_t *got = hny_json_load (text, len, S_MAX, HNY_JSON_UNIQUE, NULL);
    int known = lenient_big || (!want && (strstr (jerr.text, "too big") || strstr (jerr.text, "overflow")));
    if ((!want != !got && !known) || (want && got && !lenient_big && !json_equal (want, got))) {
        if ((*mismatches)++ < 3)
            fprintf (stderr, "%s: [%.*s]: jansson %s (%s), hny_json %s\n", what, (int) len, text,
                     want ? "reads it" : "refuses it", want ? "" : jerr.text, got ? "reads it" : "refuses it");
    }
    *accepted += got != NULL;
    json_decref (want);
    json_decref (got);
}

/* Differential: mutated bodies read by hny_json and by jansson (with
   JSON_REJECT_DUPLICATES, what the protocol's bodies had) are accepted and
   refused alike, and read to equal values. The known differences: an
   integer past int64 or a real past the double range, which jansson
   refuses as a whole and hny_json reads (hny_json_int then refuses it). */
static void
test_differential (void)
{
    static const char *const seeds [] = {
        "{\"segments\":[{\"id\":0,\"tgt\":\"ｈａ \\\"q\\\" \\u00e9\"},{\"id\":1,\"error\":{\"class\":\"transient\","
        "\"code\":503,\"reason\":\"x\",\"retry_after_ms\":1000}}],\"requests\":1,\"chars_billed\":-12.5e1}",
        "{\"segments\":[{\"id\":0,\"src\":\"a\\n\\t\\/\\ud83d\\ude00\",\"context\":null}],\"probe\":true,\"x\":[false,[]]}",
        "{\"translations\":[{\"detected_source_language\":\"EN\",\"text\":\"日本\",\"billed_characters\":12}]}",
    };
    static const char picks [] = "{}[]\",:\\u0123456789-+.eEtrufalsn \t\n\x01\x7f\xc3\xa9\xe3\x81\x82\xff";
    uint32_t seed = 4242;
    int mismatches = 0, accepted = 0;
    for (int round = 0; round < 30000; round++) {
        const char *base = seeds [round % 3];
        char text [512];
        size_t len = strlen (base);
        memcpy (text, base, len);
        for (int m = 0; m < 1 + round % 3; m++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            char c = picks [(seed >> 20) % (sizeof picks - 1)];
            switch ((seed >> 4) % 3) {
            case 0: text [at] = c; break;                                       /* replace */
            case 1: memmove (text + at, text + at + 1, len - at - 1); len--; break;   /* delete */
            default:
                if (len < sizeof text - 1) {                                    /* insert */
                    memmove (text + at + 1, text + at, len - at);
                    text [at] = c;
                    len++;
                }
            }
        }
        s_compare ("differential", text, len, JSON_REJECT_DUPLICATES, 0, &mismatches, &accepted);
    }
    CHECK (mismatches == 0);
    CHECK (accepted > 1000);            /* the mutations leave many bodies valid */
}

/* Token soup: texts made of JSON's pieces in any order (nesting, escapes,
   surrogates cut anywhere, numbers at the edges), read by hny_json_load
   and by jansson: the same accepted and refused, equal values. Unlike
   the mutations above, most of these are not near any valid body. */
static void
test_token_soup (void)
{
    static const char *const tokens [] = {
        "{", "}", "[", "]", ",", ":", "\"", "\"k\"", "\"v\"", "\"\\u00e9\"", "\"\\ud83d\\ude00\"",
        "\"\\ud83d\"", "\"\\n\\t\\\"\"", "\"\\u0000\"", "\"\\x\"", "0", "-1", "12.5e-3", "1e999",
        "123456789012345678901", "true", "false", "null", "tru", " ", "\n", "\"\xe6\x97\xa5\"",
        "\"\xff\"", "01", "1.", "\"a", "\\",
    };
    size_t kinds = sizeof tokens / sizeof tokens [0];
    uint32_t seed = 77;
    int mismatches = 0, accepted = 0;
    for (int round = 0; round < 20000; round++) {
        char text [512];
        size_t len = 0;
        /* half the rounds open with an object and close every bracket,
           so that whole values come up often */
        int count = 1 + (int) ((seed = seed * 1103515245u + 12345u) >> 16) % 12;
        int framed = round % 2;
        if (framed)
            text [len++] = '[';
        for (int k = 0; k < count; k++) {
            const char *t = tokens [((seed = seed * 1103515245u + 12345u) >> 16) % kinds];
            if (framed && k)
                text [len++] = ',';
            memcpy (text + len, t, strlen (t));
            len += strlen (t);
        }
        if (framed)
            text [len++] = ']';
        /* jansson keeps integers past int64 out, hny_json keeps them as reals */
        int big = memmem (text, len, "123456789012345678901", 21) != NULL;
        s_compare ("token soup", text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, big, &mismatches,
                   &accepted);
    }
    CHECK (mismatches == 0);
    CHECK (accepted > 1000);
}

/* A random jansson value: every type, strings of any code point (controls,
   quotes, U+2028, 4-byte ones), integers at the edges, nesting. */
static json_t *
s_random_value (uint32_t *seed, int depth)
{
    *seed = *seed * 1103515245u + 12345u;
    unsigned pick = (*seed >> 16) % (depth > 4 ? 6 : 8);
    static const uint32_t cps [] = { 0x01, 0x08, 0x09, 0x0A, 0x1F, '"', '\\', '/', 'a', 0x7F, 0xE9,
                                     0x2028, 0x3042, 0xFF21, 0x1F600 };
    static const json_int_t ints [] = { 0, -1, 1, 42, INT64_MAX, INT64_MIN, 9007199254740993LL };
    switch (pick) {
    case 0: return json_true ();
    case 1: return json_null ();
    case 2: return json_integer (ints [(*seed >> 8) % 7]);
    case 3: return json_real ((double) (*seed % 100000) / 7.0);
    case 4: case 5: {
        char text [64];
        size_t len = 0;
        for (unsigned i = 0; i < (*seed >> 4) % 10; i++) {
            *seed = *seed * 1103515245u + 12345u;
            uint32_t cp = cps [(*seed >> 16) % (sizeof cps / sizeof cps [0])];
            if (cp < 0x80)
                text [len++] = (char) cp;
            else if (cp < 0x800) {
                text [len++] = (char) (0xC0 | (cp >> 6));
                text [len++] = (char) (0x80 | (cp & 0x3F));
            }
            else if (cp < 0x10000) {
                text [len++] = (char) (0xE0 | (cp >> 12));
                text [len++] = (char) (0x80 | ((cp >> 6) & 0x3F));
                text [len++] = (char) (0x80 | (cp & 0x3F));
            }
            else {
                text [len++] = (char) (0xF0 | (cp >> 18));
                text [len++] = (char) (0x80 | ((cp >> 12) & 0x3F));
                text [len++] = (char) (0x80 | ((cp >> 6) & 0x3F));
                text [len++] = (char) (0x80 | (cp & 0x3F));
            }
        }
        return json_stringn (text, len);
    }
    case 6: {
        json_t *array = json_array ();
        for (unsigned i = 0; i < (*seed >> 8) % 4; i++)
            json_array_append_new (array, s_random_value (seed, depth + 1));
        return array;
    }
    default: {
        json_t *object = json_object ();
        for (unsigned i = 0; i < (*seed >> 8) % 4; i++) {
            json_t *key = s_random_value (seed, 9);     /* a string or a scalar */
            char name [80];
            snprintf (name, sizeof name, "k%u%s", i, json_is_string (key) ? json_string_value (key) : "");
            json_decref (key);
            json_object_set_new (object, name, s_random_value (seed, depth + 1));
        }
        return object;
    }
    }
}

/* hny_json_dump writes what json_dumps writes, on random values. */
static void
test_dump (void)
{
    uint32_t seed = 777;
    int mismatches = 0;
    for (int round = 0; round < 3000; round++) {
        json_t *value = s_random_value (&seed, 0);
        char *want = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t size = 0;
        char *got = hny_json_dump (value, S_MAX, &size);
        if (!want || !got || strcmp (want, got) != 0 || size != strlen (want)) {
            if (mismatches++ < 3)
                fprintf (stderr, "dump: want [%s]\n       got [%s]\n", want ? want : "(null)", got ? got : "(null)");
        }
        free (want);
        free (got);
        json_decref (value);
    }
    CHECK (mismatches == 0);
    json_t *big = json_string ("0123456789");
    CHECK (hny_json_dump (big, 8, NULL) == NULL);
    json_decref (big);
}

/* The writers write what json_dumps writes, byte for byte. */
static void
test_writers (void)
{
    hny_buf_t buf = HNY_BUF_INIT (1 << 16);
    char all [128];
    for (int i = 1; i < 128; i++)
        all [i - 1] = (char) i;
    all [127] = '\0';
    const char *cases [] = { "", "plain", "ｆｕｌｌ　ｗｉｄｔｈ", "q\"b\\s/", "\x7f\xc3\xa9\xe2\x80\xa8", all };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        hny_buf_reset (&buf);
        CHECK (hny_json_put_str (&buf, cases [i], strlen (cases [i])) == 0);
        json_t *s = json_string (cases [i]);
        char *want = json_dumps (s, JSON_COMPACT | JSON_ENCODE_ANY);
        CHECK_STR (hny_buf_str (&buf), want);
        free (want);
        json_decref (s);
    }
    /* Runs are skipped eight bytes at a time: a byte to escape at every
       place of a string of up to 24, amid ASCII or multi-byte text, and
       bytes next to the ones that matter (0x1F/0x20, '!', '#', '[', ']',
       0x7F, 0x80, 0xFF as a word's bytes), written as jansson does. */
    const char specials [] = { '"', '\\', '\n', 0x01, 0x1f, 0x7f };
    const char *fills [] = { "a", "\xe6\x97\xa5", " !#[]" };
    for (size_t f = 0; f < 3; f++)
        for (size_t units = 1; units <= 24; units++)
            for (size_t at = 0; at <= units; at++)
                for (size_t k = 0; k < sizeof specials; k++) {
                    /* units characters (or runs) of the fill, the one at
                       `at` (if any) a special byte */
                    char text [256] = "";
                    for (size_t u = 0; u < units; u++) {
                        if (u == at) {
                            size_t end = strlen (text);
                            text [end] = specials [k];
                            text [end + 1] = '\0';
                        }
                        else
                            strcat (text, fills [f]);
                    }
                    size_t len = strlen (text);
                    json_t *js = json_stringn (text, len);
                    char *want = js ? json_dumps (js, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
                    CHECK (want != NULL);
                    hny_buf_reset (&buf);
                    CHECK (hny_json_put_str (&buf, text, len) == 0);
                    if (want)
                        CHECK_STR (hny_buf_str (&buf), want);
                    free (want);
                    json_decref (js);
                }
    hny_buf_reset (&buf);
    hny_buf_add (&buf, "{", 1);
    hny_json_put_key (&buf, "id", 1);
    hny_json_put_int (&buf, INT64_MIN);
    hny_json_put_key (&buf, "n", 0);
    hny_json_put_int (&buf, 0);
    CHECK (hny_json_put_member (&buf, "s", "a\"\\\n\xc3\xa9", 0) == 0);
    hny_buf_add (&buf, "}", 1);
    CHECK_STR (hny_buf_str (&buf), "{\"id\":-9223372036854775808,\"n\":0,\"s\":\"a\\\"\\\\\\n\xc3\xa9\"}");
    hny_buf_reset (&buf);
    CHECK (hny_json_put_member (&buf, "k", "", 1) == 0);
    CHECK_STR (hny_buf_str (&buf), "\"k\":\"\"");
    /* every power of ten and its neighbours, both signs, as printf writes them */
    int64_t p10 = 1;
    for (int k = 0; k < 19; k++, p10 = k < 19 ? p10 * 10 : p10)
        for (int64_t d = -1; d <= 1; d++)
            for (int sign = -1; sign <= 1; sign += 2) {
                int64_t v = sign * (p10 + d);
                char want [32];
                snprintf (want, sizeof want, "%" PRId64, v);
                hny_buf_reset (&buf);
                CHECK (hny_json_put_int (&buf, v) == 0);
                CHECK_STR (hny_buf_str (&buf), want);
            }
    hny_buf_reset (&buf);
    hny_json_put_int (&buf, INT64_MAX);
    CHECK_STR (hny_buf_str (&buf), "9223372036854775807");
    hny_buf_free (&buf);
    /* past the cap: refused, sticky */
    hny_buf_t small = HNY_BUF_INIT (4);
    CHECK (hny_json_put_str (&small, "abcdef", 6) == -1 && small.toobig);
    hny_buf_free (&small);
}

int
main (void)
{
    test_parse ();
    test_refused ();
    test_parser_edges ();
    test_escape ();
    test_duplicates ();
    test_integers ();
    test_load ();
    test_utf8 ();
    test_dump ();
    test_differential ();
    test_token_soup ();
    test_writers ();
    return s_check_done ("test_json");
}
