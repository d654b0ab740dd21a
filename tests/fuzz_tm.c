/*  fuzz_tm.c: fuzz target for the translation memory's record walker
    (hny_tm_record_pair, daemon/hny_tm.c), which finds a pair in a record's
    JSON text without parsing it whole. A record holds what clients and
    workers sent (metadata, sentences), so its text is treated as hostile.

    Input format: byte 0 and 1 pick the pair (paragraph - 1, index), the
    rest is the text. Checks: the walker never reads past the text (ASan),
    answers 0 or 1, and a pair it gives has a source; on a text jansson
    reads too, the pair it gives is jansson's (the same src and tgt); and
    every pair of a valid record is found.
    Built with -DHNY_FUZZ=ON (clang, libFuzzer) it is a plain fuzz target;
    otherwise main() runs N deterministic cases (argv[1], default 50000):
    random bytes and a valid record mutated byte-wise. */

#include "hny_tm.h"

#include <honyaku/util.h>

#include "fuzz_rand.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"

static long s_found;            /* pairs given: main checks that valid input finds some */

/* The pair jansson finds at (para, idx) of a text it parses, or NULL. */
static json_t *
s_jansson_pair (json_t *doc, int para, int idx)
{
    if (para == -1)
        return idx == 0 ? json_object_get (doc, "title") : NULL;
    json_t *p = json_array_get (json_object_get (doc, "paragraphs"), (size_t) para);
    return json_array_get (json_object_get (p, "segments"), (size_t) idx);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int para = (int) data [0] % 5 - 1, idx = (int) data [1] % 4;
    /* A copy of exactly the text: ASan sees any read past its end. */
    size_t len = size - 2;
    char *text = malloc (len ? len : 1);
    S_REQUIRE (text);
    memcpy (text, data + 2, len);
    char *src = NULL, *tgt = NULL;
    int rc = hny_tm_record_pair (text, len, para, idx, &src, &tgt);
    S_REQUIRE (rc == 0 || rc == 1);
    if (rc == 1)
        S_REQUIRE (src != NULL);
    /* Where jansson reads the text too, a pair found is jansson's pair. */
    json_error_t err;
    json_t *doc = rc == 1 ? json_loadb (text, len, JSON_REJECT_DUPLICATES, &err) : NULL;
    if (doc) {
        json_t *pair = s_jansson_pair (doc, para, idx);
        const char *jsrc = json_string_value (json_object_get (pair, "src"));
        const char *jtgt = json_string_value (json_object_get (pair, "tgt"));
        S_REQUIRE (jsrc && strcmp (src, jsrc) == 0);
        S_REQUIRE ((tgt == NULL) == (jtgt == NULL));
        S_REQUIRE (!tgt || strcmp (tgt, jtgt) == 0);
    }
    s_found += rc == 1;
    json_decref (doc);
    free (src);
    free (tgt);
    free (text);
    return 0;
}

#ifndef HNY_FUZZING
static const char *s_record =
    "{\"schema\":\"honyaku.record/1\",\"job\":\"7\",\"key\":\"k\",\"metadata\":{\"title\":"
    "{\"src\":\"decoy\",\"tgt\":\"X\"},\"n\":[1,2.5e3,true,false,null]},\"title\":{\"src\":"
    "\"T \\\"q\\\" \\\\ \\u00e9\\ud83d\\ude00\",\"tgt\":\"t\",\"tm\":false},\"paragraphs\":[{\"segments\":"
    "[{\"src\":\"A.\",\"tgt\":\"a.\",\"tm\":true},{\"src\":\"B\\n\",\"tgt\":null,\"tm\":false}]},"
    "{\"segments\":[]},{\"segments\":[{\"src\":\"C/\",\"tgt\":\"c\",\"tm\":false,\"backend\":\"b\"}]}],"
    "\"errors\":[],\"stats\":{\"segments\":4}}";

int
main (int argc, char **argv)
{
    long cases = argc > 1 ? strtol (argv [1], NULL, 10) : 50000;
    static uint8_t input [4096];
    size_t base = strlen (s_record);
    /* Every pair of the valid record, before any mutation. */
    for (int p = 0; p < 5; p++)
        for (int i = 0; i < 4; i++) {
            input [0] = (uint8_t) p;
            input [1] = (uint8_t) i;
            memcpy (input + 2, s_record, base);
            LLVMFuzzerTestOneInput (input, base + 2);
        }
    S_REQUIRE (s_found == 4);   /* title, 0.0, 0.1, 2.0 */
    for (long c = 0; c < cases; c++) {
        size_t len = 2;
        input [0] = (uint8_t) s_rand ();
        input [1] = (uint8_t) s_rand ();
        if (s_below (8) == 0) {
            size_t n = s_below (300);
            for (size_t i = 0; i < n; i++)
                input [len++] = (uint8_t) "{}[]\",:\\ 0tnu"[s_below (14)];
        }
        else {
            memcpy (input + 2, s_record, base);
            len += base;
            /* A few byte-wise mutations: change, delete, insert, cut. */
            for (size_t m = 1 + s_below (4); m > 0; m--) {
                size_t at = 2 + s_below (len - 2);
                switch (s_below (4)) {
                case 0:
                    input [at] = (uint8_t) "{}[]\",:\\ 0u"[s_below (12)];
                    break;
                case 1:
                    memmove (input + at, input + at + 1, len - at - 1);
                    len--;
                    break;
                case 2:
                    if (len < sizeof input) {
                        memmove (input + at + 1, input + at, len - at);
                        input [at] = (uint8_t) s_rand ();
                        len++;
                    }
                    break;
                default:
                    len = at;
                    break;
                }
                if (len <= 2)
                    break;
            }
        }
        LLVMFuzzerTestOneInput (input, len);
    }
    printf ("fuzz_tm: %ld cases, %ld pairs found\n", cases, s_found);
    return 0;
}
#endif
