/*  bench_json.c: the JSON of the task round trip, jansson against
    proto/hny_json (its own parser, into cJSON's trees, under the
    protocol's rules), on bodies shaped as
    bench/perf.py's: a translate RESULT of 31 segments of full-width text,
    the same segments as a TASK body, and a prepared article of 6
    paragraphs of 5 sentences.

    usage: bench_json [ROUNDS]     (default 2000)

    Prints µs per body for each way (parse: jansson, cJSON's own parser,
    hny_json_parse, the same handed over as jansson; write: jansson,
    hny_json_dump of the jansson value, cJSON's printer); the bodies are checked to read back
    equal (json_equal) before anything is timed. */
#include "hny_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A sentence like perf.py's, ASCII letters made full-width (3 bytes each),
   as the test server translates. */
static void
s_sentence (hny_buf_t *buf, int n, int wide)
{
    char text [160];
    snprintf (text, sizeof text, "The council said on Tuesday that survey %d of the harbour budget "
                                 "would reach the ministers before the vote.", 100000 + n);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char) *p;
        if (wide && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            unsigned cp = 0xFF00 + (c - 0x20);          /* U+FF21.. full-width forms */
            char u [3] = { (char) (0xE0 | (cp >> 12)), (char) (0x80 | ((cp >> 6) & 0x3F)),
                           (char) (0x80 | (cp & 0x3F)) };
            hny_buf_add (buf, u, 3);
        }
        else
            hny_buf_add (buf, p, 1);
    }
}

/* A body of kind 0 (translate RESULT), 1 (TASK) or 2 (prepared article). */
static char *
s_body (int kind, size_t *size)
{
    hny_buf_t buf = HNY_BUF_INIT (1 << 20);
    hny_buf_t text = HNY_BUF_INIT (1 << 12);
    if (kind == 2)
        hny_buf_adds (&buf, "{\"schema\":\"honyaku.prepared/1\",\"format\":\"text\",\"charset\":\"UTF-8\","
                            "\"replaced\":0,\"metadata\":{\"title\":\"Survey\"},\"title\":{\"src\":\"Survey\"},"
                            "\"paragraphs\":[");
    else
        hny_buf_adds (&buf, "{\"segments\":[");
    for (int i = 0; i < 31; i++) {
        hny_buf_reset (&text);
        s_sentence (&text, i, kind == 0);
        if (kind == 2 && i % 5 == 0)
            hny_buf_adds (&buf, i ? "]},{\"segments\":[" : "{\"segments\":[");
        else if (i)
            hny_buf_adds (&buf, ",");
        if (kind == 2)
            hny_buf_adds (&buf, "{\"src\":");
        else {
            char id [48];
            snprintf (id, sizeof id, "{\"id\":%d,\"%s\":", i, kind == 0 ? "tgt" : "src");
            hny_buf_adds (&buf, id);
        }
        hny_json_put_str (&buf, text.data, text.len);
        hny_buf_adds (&buf, "}");
    }
    hny_buf_adds (&buf, kind == 2 ? "]}],\"stats\":{\"paragraphs\":7,\"segments\":31}}"
                                  : kind == 0 ? "],\"requests\":1,\"chars_billed\":3100}" : "]}");
    hny_buf_free (&text);
    return hny_buf_take (&buf, size);
}

int
main (int argc, char **argv)
{
    int rounds = argc > 1 ? atoi (argv [1]) : 2000;
    if (rounds < 1)
        rounds = 1;
    const char *names [] = { "translate RESULT (31 full-width segments)", "translate TASK (31 segments)",
                             "prepared article (6 paragraphs, 31 segments)" };
    printf ("| body | bytes | json_loadb µs | cJSON alone µs | hny_json_parse µs | hny_json_load µs |"
            " json_dumps µs | hny_json_dump µs | cJSON_PrintUnformatted µs |\n");
    printf ("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int kind = 0; kind < 3; kind++) {
        size_t size;
        char *body = s_body (kind, &size);
        json_t *want = json_loadb (body, size, JSON_REJECT_DUPLICATES, NULL);
        json_t *got = hny_json_load (body, size, 1 << 20, HNY_JSON_UNIQUE, NULL);
        if (!want || !got || !json_equal (want, got)) {
            fprintf (stderr, "bench_json: %s: jansson and hny_json disagree\n", names [kind]);
            return 1;
        }
        json_decref (got);
        cJSON *tree = hny_json_parse (body, size, 1 << 20, HNY_JSON_DEPTH_MAX, HNY_JSON_UNIQUE, NULL);
        double tc = s_now_us ();
        for (int r = 0; r < rounds; r++)
            cJSON_Delete (cJSON_ParseWithLength (body, size));
        double tc1 = s_now_us ();
        for (int r = 0; r < rounds; r++)
            cJSON_free (cJSON_PrintUnformatted (tree));
        double tc2 = s_now_us ();
        cJSON_Delete (tree);
        double t0 = s_now_us ();
        for (int r = 0; r < rounds; r++)
            json_decref (json_loadb (body, size, JSON_REJECT_DUPLICATES, NULL));
        double t1 = s_now_us ();
        for (int r = 0; r < rounds; r++)
            cJSON_Delete (hny_json_parse (body, size, 1 << 20, HNY_JSON_DEPTH_MAX, HNY_JSON_UNIQUE, NULL));
        double t2 = s_now_us ();
        for (int r = 0; r < rounds; r++)
            json_decref (hny_json_load (body, size, 1 << 20, HNY_JSON_UNIQUE, NULL));
        double t3 = s_now_us ();
        for (int r = 0; r < rounds; r++)
            free (json_dumps (want, JSON_COMPACT));
        double t4 = s_now_us ();
        for (int r = 0; r < rounds; r++)
            free (hny_json_dump (want, 1 << 20, NULL));
        double t5 = s_now_us ();
        printf ("| %s | %zu | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", names [kind], size,
                (t1 - t0) / rounds, (tc1 - tc) / rounds, (t2 - t1) / rounds, (t3 - t2) / rounds,
                (t4 - t3) / rounds, (t5 - t4) / rounds, (tc2 - tc1) / rounds);
        json_decref (want);
        free (body);
    }
    return 0;
}
