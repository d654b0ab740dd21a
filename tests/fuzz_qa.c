/*  fuzz_qa.c: fuzz target for honyaku/qa.h: the checks read a source and a
    target that come from outside (an article, a service's translation, a
    records file), both through the readers of numbers, dates and times.

    Input format: byte 0 picks the language pair (of a few that exercise
    every reader) and whether the checker has glossary terms; the rest is
    the source, then optionally a NUL byte and the target (without one the
    target is the source).

    Invariants: at most HNY_QA_MAX_FLAGS flags; each names a known check,
    its what and detail are valid UTF-8 within their caps (detail not
    empty) without control characters; the JSON of the flags passes
    hny_qa_json_valid; running the same texts again gives the same flags.

    Built with -DHNY_FUZZ=ON (clang, libFuzzer) it is a plain fuzz target;
    otherwise main() runs N deterministic cases (argv[1], default 20000) of
    texts built from the pieces the readers look for (digits and their
    separators, units, month names, 午後, 令和, placeholders, tags) and of
    random bytes. */
#include "fuzz_rand.h"

#include <honyaku/qa.h>
#include <honyaku/util.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_require.h"

static const char *const s_pairs [][2] = {
    { "en", "ja" }, { "ja", "en" }, { "en", "es" }, { "es", "en" }, { "zh", "de" }, { "fr", "xx" },
    { "ja", "ja" }, { "", "" }
};

static void
s_check_flags (const hny_qa_flag_t *flags, size_t n)
{
    S_REQUIRE (n <= HNY_QA_MAX_FLAGS);
    for (size_t i = 0; i < n; i++) {
        S_REQUIRE (flags [i].check < HNY_QA_CHECKS);
        size_t w = strlen (flags [i].what), d = strlen (flags [i].detail);
        S_REQUIRE (w <= HNY_QA_WHAT_MAX && d >= 1 && d <= HNY_QA_DETAIL_MAX);
        S_REQUIRE (hny_utf8_valid (flags [i].what, w) && hny_utf8_valid (flags [i].detail, d));
    }
    json_t *json = hny_qa_json (flags, n);
    S_REQUIRE (n == 0 || hny_qa_json_valid (json));
    json_decref (json);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *const *pair = s_pairs [data [0] % (sizeof s_pairs / sizeof s_pairs [0])];
    const char *src = (const char *) data + 1;
    size_t rest = size - 1;
    const char *nul = memchr (src, '\0', rest);
    size_t src_len = nul ? (size_t) (nul - src) : rest;
    const char *tgt = nul ? nul + 1 : src;
    size_t tgt_len = nul ? rest - src_len - 1 : src_len;
    hny_qa_t *qa = hny_qa_new (pair [0], pair [1]);
    if (data [0] & 0x80) {
        hny_qa_term (qa, "JCP", "日本共産党");
        hny_qa_term (qa, "1,500", "千五百");
        hny_qa_term (qa, "国会", "Diet");
        hny_qa_term (qa, "a", "b");
    }
    hny_qa_flag_t flags [HNY_QA_MAX_FLAGS], again [HNY_QA_MAX_FLAGS];
    size_t n = hny_qa_run (qa, src, src_len, tgt, tgt_len, flags);
    s_check_flags (flags, n);
    S_REQUIRE (hny_qa_run (qa, src, src_len, tgt, tgt_len, again) == n);
    for (size_t i = 0; i < n; i++)
        S_REQUIRE (flags [i].check == again [i].check && strcmp (flags [i].what, again [i].what) == 0
                   && strcmp (flags [i].detail, again [i].detail) == 0);
    hny_qa_destroy (&qa);
    return 0;
}

#ifndef HNY_FUZZING
/* Pieces the readers look for. */
static const char *const s_pieces [] = {
    "0", "1", "2", "5", "9", "12", "24", "1,500", "2.3", "1.500", "1 500", "2,5", ",", ".", " ", "-",
    ":", "/", "%", "％", "１５", "million", " billion", "thousand", "mil millones", " miles de ",
    "万", "億", "兆", "千", "百", "十", "〇", "二", "五", "年", "年度", "月", "日", "日間", "時", "時間",
    "分", "半", "割", "分の", "午前", "午後", "正午", "令和", "平成", "元", "May", "March", "Dec.",
    "mayo", " de ", "12 May", "p.m.", "a.m.", " o'clock", "noon", "medianoche", "XIV", "third",
    "twenty-", "two-thirds", "a ", "FY", "No.", "G7", "COVID-", "mid-", "⟦1⟧", "⟦/1⟧", "⟦", "⟧",
    "<b>", "</b>", "<i>", "</i>", "<a href=\"x\">", "</a>", "&lt;", "&amp;", "JCP", "国会", "\xff",
    "\xe3\x81", "\n", "\t", "é", "Привет", "한국",
};
#define S_PIECES (sizeof s_pieces / sizeof s_pieces [0])

int
main (int argc, char **argv)
{
    long cases = argc > 1 ? strtol (argv [1], NULL, 10) : 20000;
    static uint8_t input [8192];
    for (long c = 0; c < cases; c++) {
        size_t len = 0;
        input [len++] = (uint8_t) s_rand ();
        int noise = s_below (8) == 0;
        for (int side = 0; side < 2; side++) {
            size_t parts = s_below (24);
            for (size_t k = 0; k < parts && len < sizeof input - 64; k++) {
                if (noise) {
                    input [len++] = (uint8_t) s_rand ();
                    continue;
                }
                const char *p = s_pieces [s_below (S_PIECES)];
                size_t n = strlen (p);
                memcpy (input + len, p, n);
                len += n;
            }
            if (side == 0 && s_below (4))
                input [len++] = '\0';
            else
                break;
        }
        LLVMFuzzerTestOneInput (input, len);
    }
    /* A long run of digits and units, past what is read of a text. */
    size_t len = 0;
    input [len++] = 0;
    while (len < sizeof input - 8) {
        const char *p = s_pieces [len % S_PIECES];
        size_t n = strlen (p);
        if (len + n >= sizeof input - 8)
            break;
        memcpy (input + len, p, n);
        len += n;
    }
    LLVMFuzzerTestOneInput (input, len);
    printf ("fuzz_qa: %ld cases ok\n", cases);
    return 0;
}
#endif
