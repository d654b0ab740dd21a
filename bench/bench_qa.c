/*  bench_qa.c: the cost of the checks on a translated segment
    (honyaku/qa.h), which the worker runs on every segment it translates.

        bench_qa PAIRS.tsv [SECONDS [TERMS]]

    PAIRS.tsv is tests/data/qa/pairs.tsv (id, English, Japanese). Each
    setting checks every pair, en -> ja and ja -> en, over and over for
    SECONDS (default 1) and prints microseconds a segment (one source and
    its target through hny_qa_run): without a glossary, with the test
    set's 18 terms, and with 5,000 terms (the most a profile's glossary
    holds); then, without a glossary, each English text against the test
    server's German of it ("【de】" and full-width letters: the QA of
    bench/perf.py's first run, whose targets all need NFKC). With TERMS,
    that setting alone (for perf record; -1: the test server's). Times are
    the process's CPU time, which other processes on a busy machine
    disturb less than the wall clock. */
#include <honyaku/qa.h>
#include <honyaku/util.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_PAIRS_MAX 1000

static char *s_en [S_PAIRS_MAX], *s_ja [S_PAIRS_MAX];
static size_t s_count;

static void
s_load (const char *path)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        perror (path);
        exit (1);
    }
    char line [8192];
    while (s_count < S_PAIRS_MAX && fgets (line, sizeof line, f)) {
        if (line [0] == '#')
            continue;
        line [strcspn (line, "\n")] = '\0';
        char *en = strchr (line, '\t');
        char *ja = en ? strchr (en + 1, '\t') : NULL;
        if (!ja)
            continue;
        *ja++ = '\0';
        s_en [s_count] = hny_strdup (en + 1);
        s_ja [s_count++] = hny_strdup (ja);
    }
    fclose (f);
}

/* CPU time of this process, in microseconds. */
static double
s_cpu_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* The test server's "translation" of text into German (tests/testserver,
   what bench/perf.py's first run checks): "【de】" and the text with its
   ASCII letters full-width, which NFKC brings back. Caller frees. */
static char *
s_xlate_de (const char *text)
{
    char *out = hny_malloc (8 + 3 * strlen (text) + 1), *o = out;
    o += sprintf (o, "【de】");
    for (const unsigned char *c = (const unsigned char *) text; *c; c++) {
        if (((*c | 0x20) >= 'a' && (*c | 0x20) <= 'z')) {
            unsigned cp = *c + 0xFEE0u;
            *o++ = (char) (0xE0 | (cp >> 12));
            *o++ = (char) (0x80 | ((cp >> 6) & 0x3F));
            *o++ = (char) (0x80 | (cp & 0x3F));
        }
        else
            *o++ = (char) *c;
    }
    *o = '\0';
    return out;
}

/* Check every English text against the test server's German of it until
   seconds of CPU time pass; returns us a segment. */
static double
s_run_testserver (double seconds, size_t *flagged)
{
    hny_qa_t *ende = hny_qa_new ("en", "de");
    char *de [S_PAIRS_MAX];
    for (size_t i = 0; i < s_count; i++)
        de [i] = s_xlate_de (s_en [i]);
    hny_qa_flag_t flags [HNY_QA_MAX_FLAGS];
    size_t done = 0;
    *flagged = 0;
    double start = s_cpu_us (), now = start;
    while (now - start < seconds * 1e6) {
        for (size_t i = 0; i < s_count; i++)
            *flagged += hny_qa_run (ende, s_en [i], strlen (s_en [i]), de [i], strlen (de [i]), flags) > 0;
        done += s_count;
        now = s_cpu_us ();
    }
    for (size_t i = 0; i < s_count; i++)
        free (de [i]);
    hny_qa_destroy (&ende);
    *flagged = *flagged * s_count / done;
    return (now - start) / (double) done;
}

/* Check every pair both ways until seconds of CPU time pass; returns us
   a segment. */
static double
s_run (int terms, double seconds, size_t *flagged)
{
    hny_qa_t *enja = hny_qa_new ("en", "ja"), *jaen = hny_qa_new ("ja", "en");
    static const char *const real [][2] = {
        { "JCP", "日本共産党" }, { "Akahata", "赤旗" }, { "Diet", "国会" }, { "LDP", "自民党" },
        { "Komei", "公明党" }, { "Shii Kazuo", "志位和夫" }, { "Tamura Tomoko", "田村智子" },
        { "Koike Akira", "小池晃" }, { "Kishida Fumio", "岸田文雄" }, { "Henoko", "辺野古" },
        { "Constitutional Democratic Party", "立憲民主党" }, { "Japan Innovation Party", "日本維新の会" },
        { "Zenroren", "全労連" }, { "Gensuikyo", "原水協" }, { "consumption tax", "消費税" },
        { "minimum wage", "最低賃金" }, { "House of Representatives", "衆院" }, { "House of Councilors", "参院" },
    };
    for (int i = 0; i < terms; i++) {
        char src [64], tgt [64];
        if (i < 18) {
            snprintf (src, sizeof src, "%s", real [i][0]);
            snprintf (tgt, sizeof tgt, "%s", real [i][1]);
        }
        else {
            snprintf (src, sizeof src, "Term%05d", i);
            snprintf (tgt, sizeof tgt, "用語%05d", i);
        }
        hny_qa_term (enja, src, tgt);
        hny_qa_term (jaen, tgt, src);
    }
    hny_qa_flag_t flags [HNY_QA_MAX_FLAGS];
    size_t done = 0;
    *flagged = 0;
    double start = s_cpu_us (), now = start;
    while (now - start < seconds * 1e6) {
        for (size_t i = 0; i < s_count; i++) {
            *flagged += hny_qa_run (enja, s_en [i], strlen (s_en [i]), s_ja [i], strlen (s_ja [i]), flags) > 0;
            *flagged += hny_qa_run (jaen, s_ja [i], strlen (s_ja [i]), s_en [i], strlen (s_en [i]), flags) > 0;
        }
        done += 2 * s_count;
        now = s_cpu_us ();
    }
    hny_qa_destroy (&enja);
    hny_qa_destroy (&jaen);
    *flagged = *flagged * 2 * s_count / done;     /* a pass's worth */
    return (now - start) / (double) done;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: bench_qa PAIRS.tsv [SECONDS [TERMS]]\n");
        return 2;
    }
    s_load (argv [1]);
    double seconds = argc > 2 ? atof (argv [2]) : 1.0;
    if (!s_count || seconds <= 0) {
        fprintf (stderr, "bench_qa: no pairs in %s, or no time\n", argv [1]);
        return 1;
    }
    static int settings [] = { 0, 18, 5000 };
    size_t nsettings = 3;
    int testserver = 1;
    if (argc > 3) {
        settings [0] = atoi (argv [3]);
        nsettings = settings [0] >= 0;
        testserver = !nsettings;
    }
    printf ("%zu pairs, both ways, %.1f s of CPU a setting\n", s_count, seconds);
    for (size_t k = 0; k < nsettings; k++) {
        size_t flagged;
        double us = s_run (settings [k], seconds, &flagged);
        printf ("glossary of %4d terms: %6.1f us a segment (%8.0f segments/s), %zu of %zu flagged\n",
                settings [k], us, 1e6 / us, flagged, 2 * s_count);
    }
    if (testserver) {
        size_t flagged;
        double us = s_run_testserver (seconds, &flagged);
        printf ("en -> de, test server:  %6.1f us a segment (%8.0f segments/s), %zu of %zu flagged\n",
                us, 1e6 / us, flagged, s_count);
    }
    return 0;
}
