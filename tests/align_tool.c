/*  honyaku-align-test: the sentence aligner (workers/hny_align.h) on two
    files, for the tests, the scorer (tests/align_score.py) and the
    benchmark (bench/bench_align.py), until the daemon runs align jobs.

    honyaku-align-test [options] SRC TGT [SRC TGT]...
      --from L --to L       languages (en, ja)
      --format F            text: one sentence a line, a blank line between
                            paragraphs; json: a prepared article (the
                            output of `honyaku prepare`); raw: an article
                            page, prepared here (hny_prepare); auto (the
                            default): json when the file starts with '{',
                            else text
      --out json|tsv        the links as the record carries them (json), or
                            one line a link: "SRC<TAB>TGT<TAB>SCORE", each
                            side its 0-based sentence numbers joined by
                            commas, "-" for none (text input only)
      --dict PATH|none      EDICT file (default /usr/share/edict/edict)
      --mecab DIR|none      MeCab dictionary (default ipadic-utf8)
      --set NAME=VALUE      a cost model parameter (hny_aligner_set)
      --mt                  SRC.mt holds a translation of each sentence of
                            SRC (text input, one a line, "-" for none):
                            they guide the alignment (hny_align_side_t.mt)
      --repeat N            align N times (benchmark)
      --stats               figures on stderr: dictionary load, memory,
                            sentences per second
    More than one pair (text input, --out tsv): each pair's links follow a
    line "## SRC TGT", the dictionary loaded once (the scorer's and the
    benchmark's way).
    Exit: 0 aligned, 1 the aligner refused (the status and reason on
    stderr), 2 usage or unreadable input. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <honyaku/prepare.h>
#include <honyaku/util.h>

#include "hny_align.h"
#include "hny_lexicon.h"

#define S_FILE_MAX (8u * 1024 * 1024)   /* bytes of one input, as prepare's cap */

/* A text file as a side: sentences and paragraph numbers point into (or
   are owned by) this. */
typedef struct {
    char *data;
    const char **sents;
    size_t *paras;
    size_t count;
} s_text_t;

static double
s_now_ms (void)
{
    struct timespec t;
    clock_gettime (CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

/* Resident memory now, in KiB (0 when /proc cannot tell). */
static long
s_rss_kb (void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen ("/proc/self/statm", "r");
    if (f) {
        if (fscanf (f, "%ld %ld", &pages, &resident) != 2)
            resident = 0;
        fclose (f);
    }
    return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

static long
s_peak_kb (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Split data (owned by t from now on) into lines: every non-blank line a
   sentence (spaces around it dropped), blank lines between paragraphs. */
static void
s_text_parse (s_text_t *t, char *data)
{
    t->data = data;
    size_t alloc = 64;
    t->sents = hny_malloc (alloc * sizeof *t->sents);
    t->paras = hny_malloc (alloc * sizeof *t->paras);
    t->count = 0;
    size_t para = 0;
    int blank = 0;
    char *save = NULL;
    for (char *line = data; line; line = save) {
        save = strchr (line, '\n');
        if (save)
            *save++ = '\0';
        char *end = line + strlen (line);
        while (end > line && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
            *--end = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (!*line) {
            blank = 1;
            continue;
        }
        if (blank && t->count)
            para++;
        blank = 0;
        if (t->count == alloc) {
            alloc *= 2;
            t->sents = hny_realloc (t->sents, alloc * sizeof *t->sents);
            t->paras = hny_realloc (t->paras, alloc * sizeof *t->paras);
        }
        t->sents[t->count] = line;
        t->paras[t->count++] = para;
    }
}

static void
s_text_free (s_text_t *t)
{
    free (t->data);
    free (t->sents);
    free (t->paras);
}

/* "0,1" or "-" */
static void
s_print_range (size_t first, size_t n)
{
    if (n == 0)
        fputs ("-", stdout);
    for (size_t k = 0; k < n; k++)
        printf ("%s%zu", k ? "," : "", first + k);
}

static int
s_usage (void)
{
    fprintf (stderr, "usage: honyaku-align-test [--from L] [--to L] [--format auto|text|json|raw] "
             "[--out json|tsv] [--dict PATH|none] [--mecab DIR|none] [--set NAME=VALUE]... "
             "[--mt] [--repeat N] [--stats] SRC TGT\n");
    return 2;
}

/* The prepared article of a file: parsed JSON, or a raw page prepared. */
static json_t *
s_prepared (const char *path, const char *data, size_t size, int raw, const char *lang)
{
    if (!raw) {
        json_error_t err;
        json_t *doc = json_loadb (data, size, 0, &err);
        if (!doc)
            fprintf (stderr, "honyaku-align-test: %s: not JSON: %s (line %d)\n", path, err.text, err.line);
        return doc;
    }
    hny_preparer_t *prep = hny_preparer_new ();
    hny_prepare_opts_t opts = { .lang = lang, .source = path, .lenient = 1 };
    int status = 0;
    char *reason = NULL;
    json_t *doc = hny_prepare (prep, (const uint8_t *) data, size, &opts, &status, &reason);
    if (!doc)
        fprintf (stderr, "honyaku-align-test: %s: %d %s\n", path, status, reason);
    free (reason);
    hny_preparer_destroy (&prep);
    return doc;
}

/* What main hands every pair. */
typedef struct {
    const char *from, *to, *format, *out;
    long repeat;
    hny_aligner_t *aligner;
    int many;               /* more than one pair: "## SRC TGT" headers */
    size_t sentences;       /* over all pairs, for --stats */
    double ms;              /* time aligning (the last of each --repeat) */
    int mt;                 /* --mt: SRC.mt holds a translation per source sentence */
} s_run_t;

/* Align one pair of files and print the result. Returns main's exit code. */
static int
s_pair (s_run_t *run, const char *src, const char *tgt)
{
    const char *files[2] = { src, tgt };
    char *data[2] = { NULL, NULL };
    size_t size[2] = { 0, 0 };
    for (int k = 0; k < 2; k++)
        if (hny_file_read (files[k], S_FILE_MAX, &data[k], &size[k]) != 0) {
            fprintf (stderr, "honyaku-align-test: %s: %s\n", files[k],
                     errno == EFBIG ? "larger than 8 MiB" : strerror (errno));
            free (data[0]);
            return 2;
        }
    int rc = 0;
    int json_in = strcmp (run->format, "json") == 0 || strcmp (run->format, "raw") == 0
                  || (strcmp (run->format, "auto") == 0 && data[0][strspn (data[0], " \t\r\n")] == '{');
    json_t *result = NULL;
    hny_alignment_t *alignment = NULL;
    s_text_t text[2] = { { 0 }, { 0 } };
    hny_align_side_t side[2];
    double t0 = s_now_ms ();
    if (json_in) {
        json_t *doc[2] = { NULL, NULL };
        if (strcmp (run->out, "tsv") == 0) {
            fprintf (stderr, "honyaku-align-test: --out tsv reads text input only\n");
            rc = 2;
        }
        for (int k = 0; k < 2 && rc == 0; k++)
            if (!(doc[k] = s_prepared (files[k], data[k], size[k], strcmp (run->format, "raw") == 0,
                                       k ? run->to : run->from)))
                rc = 2;
        for (long r = 0; r < run->repeat && rc == 0; r++) {
            json_decref (result);
            int status = 0;
            char *reason = NULL;
            t0 = s_now_ms ();
            result = hny_align_prepared (run->aligner, doc[0], run->from, doc[1], run->to, &status, &reason);
            if (!result) {
                fprintf (stderr, "honyaku-align-test: %d %s\n", status, reason);
                rc = 1;
            }
            free (reason);
        }
        if (result) {
            json_t *st = json_object_get (result, "stats");
            run->sentences += (size_t) json_integer_value (json_object_get (st, "src_sentences"))
                              + (size_t) json_integer_value (json_object_get (st, "tgt_sentences"));
        }
        json_decref (doc[0]);
        json_decref (doc[1]);
    } else {
        for (int k = 0; k < 2; k++) {
            s_text_parse (&text[k], data[k]);
            data[k] = NULL;
            side[k] = (hny_align_side_t) { k ? run->to : run->from, text[k].sents, text[k].paras,
                                           text[k].count, NULL };
        }
        run->sentences += text[0].count + text[1].count;
        s_text_t mt = { 0 };
        char *mt_path = run->mt ? hny_sprintf ("%s.mt", src) : NULL;
        char *mt_data = NULL;
        size_t mt_size = 0;
        if (mt_path && hny_file_read (mt_path, S_FILE_MAX, &mt_data, &mt_size) == 0) {
            s_text_parse (&mt, mt_data);
            if (mt.count == text[0].count)
                side[0].mt = (const char *const *) mt.sents;
            else
                fprintf (stderr, "honyaku-align-test: %s: %zu lines for %zu sentences\n", mt_path,
                         mt.count, text[0].count);
        }
        free (mt_path);
        for (long r = 0; r < run->repeat && rc == 0; r++) {
            hny_alignment_destroy (&alignment);
            int status = 0;
            char *reason = NULL;
            t0 = s_now_ms ();
            alignment = hny_align (run->aligner, &side[0], &side[1], &status, &reason);
            if (!alignment) {
                fprintf (stderr, "honyaku-align-test: %d %s\n", status, reason);
                rc = 1;
            }
            free (reason);
        }
        if (alignment && strcmp (run->out, "json") == 0)
            result = hny_alignment_json (alignment, &side[0], &side[1]);
        s_text_free (&mt);
    }
    run->ms += s_now_ms () - t0;
    if (run->many)
        printf ("## %s %s\n", src, tgt);
    if (result) {
        json_dumpf (result, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION (6));
        fputc ('\n', stdout);
    } else if (alignment) {
        for (size_t k = 0; k < hny_alignment_count (alignment); k++) {
            const hny_align_link_t *l = hny_alignment_link (alignment, k);
            s_print_range (l->src, l->nsrc);
            fputc ('\t', stdout);
            s_print_range (l->tgt, l->ntgt);
            printf ("\t%.3f\n", l->score);
        }
        if (hny_alignment_warning (alignment))
            printf ("# warning: %s\n", hny_alignment_warning (alignment));
        printf ("# score: %.3f\n", hny_alignment_score (alignment));
    }
    json_decref (result);
    hny_alignment_destroy (&alignment);
    s_text_free (&text[0]);
    s_text_free (&text[1]);
    free (data[0]);
    free (data[1]);
    return rc;
}

int
main (int argc, char **argv)
{
    s_run_t run = { "en", "ja", "auto", "json", 1, NULL, 0, 0, 0, 0 };
    const char *dict = NULL, *mecab = NULL;
    int stats = 0, nfiles = 0;
    hny_log_init ("honyaku-align-test", HNY_LOG_WARN);
    const char *sets[32];
    int nsets = 0;
    char **files = hny_calloc ((size_t) argc, sizeof *files);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp (a, "--stats") == 0)
            stats = 1;
        else if (strcmp (a, "--mt") == 0)
            run.mt = 1;
        else if (!v && strncmp (a, "--", 2) == 0)
            nfiles = -1;
        else if (strcmp (a, "--from") == 0)
            run.from = argv[++i];
        else if (strcmp (a, "--to") == 0)
            run.to = argv[++i];
        else if (strcmp (a, "--format") == 0)
            run.format = argv[++i];
        else if (strcmp (a, "--out") == 0)
            run.out = argv[++i];
        else if (strcmp (a, "--dict") == 0)
            dict = argv[++i];
        else if (strcmp (a, "--mecab") == 0)
            mecab = argv[++i];
        else if (strcmp (a, "--repeat") == 0)
            run.repeat = strtol (argv[++i], NULL, 10);
        else if (strcmp (a, "--set") == 0 && nsets < 32)
            sets[nsets++] = argv[++i];
        else if (strncmp (a, "--", 2) == 0 || nfiles < 0)
            nfiles = -1;
        else
            files[nfiles++] = argv[i];
    }
    if (nfiles < 2 || nfiles % 2 || run.repeat < 1
        || (strcmp (run.out, "json") && strcmp (run.out, "tsv"))) {
        free (files);
        return s_usage ();
    }
    run.many = nfiles > 2;
    hny_lexicon_opts_t lopts = {
        dict ? (strcmp (dict, "none") == 0 ? "" : dict) : NULL,
        mecab ? (strcmp (mecab, "none") == 0 ? "" : mecab) : NULL
    };
    long rss0 = s_peak_kb ();
    char *error = NULL;
    hny_lexicon_t *lex = hny_lexicon_new (&lopts, &error);
    if (!lex) {
        fprintf (stderr, "honyaku-align-test: %s\n", error);
        free (error);
        free (files);
        return 2;
    }
    long rss1 = s_peak_kb (), rss_now = s_rss_kb ();
    run.aligner = hny_aligner_new (lex);
    int rc = 0;
    for (int k = 0; k < nsets && rc == 0; k++) {
        char name[32];
        const char *eq = strchr (sets[k], '=');
        if (!eq || (size_t) (eq - sets[k]) >= sizeof name
            || (snprintf (name, sizeof name, "%.*s", (int) (eq - sets[k]), sets[k]),
                hny_aligner_set (run.aligner, name, strtod (eq + 1, NULL)) != 0)) {
            fprintf (stderr, "honyaku-align-test: bad --set %s\n", sets[k]);
            rc = 2;
        }
    }
    for (int k = 0; k + 1 < nfiles && rc == 0; k += 2)
        rc = s_pair (&run, files[k], files[k + 1]);
    if (stats && rc == 0) {
        size_t pairs, bytes;
        double load_ms;
        hny_lexicon_stats (lex, &pairs, &bytes, &load_ms);
        fprintf (stderr, "lexicon: %s\n", hny_lexicon_describe (lex));
        fprintf (stderr, "load_ms=%.1f index_bytes=%zu peak_rss_kb_before=%ld peak_rss_kb_after=%ld "
                 "rss_kb_after=%ld\n", load_ms, bytes, rss0, rss1, rss_now);
        fprintf (stderr, "sentences=%zu align_ms=%.2f sentences_per_s=%.0f peak_rss_kb=%ld\n",
                 run.sentences, run.ms, run.ms > 0 ? (double) run.sentences / (run.ms / 1e3) : 0.0,
                 s_peak_kb ());
    }
    free (files);
    hny_aligner_destroy (&run.aligner);
    hny_lexicon_destroy (&lex);
    return rc;
}
