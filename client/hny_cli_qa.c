/*  hny_cli_qa.c: `honyaku qa [RECORDS.jsonl...] [--format text|json]
    [--check NAME]... [--glossary FILE] [--top N]`: the checks of
    honyaku/qa.h over records, summed up per article and overall.

    Every check is run again here on every translated pair, with the same
    code the worker runs: records from before the checks, pairs from the
    translation memory (which no worker checked), records of `--in` files
    and of the aligner are then judged alike, and by this version of the
    checks. The glossary is the exception: only the worker knew the terms
    of the task's profile, so the record's own glossary flags are kept,
    unless --glossary names a glossary to check against instead.

    One record is in memory at a time; what is kept across records is a
    line per article (JSON) or nothing (text), the totals and the worst
    --top segments. */
#include "hny_cli.h"
#include "hny_glossary.h"

#include <honyaku/qa.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TOP_DEFAULT   10          /* worst segments shown */
#define S_TOP_MAX       1000
#define S_SHOW_MAX      240         /* bytes of a source or target shown in text */
#define S_CHECKERS_MAX  16          /* language pairs with a checker at once */

/* A flagged pair among the worst so far. */
typedef struct {
    int score;
    long order;                 /* in reading order, for ties */
    char *where;                /* "job 17 (path), paragraph 3, segment 2" */
    char *src, *tgt;            /* cut to S_SHOW_MAX bytes */
    json_t *qa;
} s_worst_t;

typedef struct {
    char from [16], to [16];
    hny_qa_t *qa;
} s_checker_t;

typedef struct {
    int json;                   /* --format json */
    unsigned mask;              /* the checks asked for */
    hny_glossary_t *glossary;   /* --glossary, or NULL */
    size_t top;
    s_checker_t checkers [S_CHECKERS_MAX];
    size_t checker_count, checker_next;
    long records, segments, failed, flagged, flags, skipped, order;
    long by_check [HNY_QA_CHECKS + 1];      /* the last: names this build does not know */
    s_worst_t *worst;
    size_t worst_count;
    int articles_out;           /* json: articles written so far */
} s_run_t;

/* How much a check weighs in a segment's score: a changed number or an
   untranslated segment is worse than a length out of the norm. */
static int
s_weight (int check)
{
    return check == HNY_QA_LENGTH ? 1 : check == HNY_QA_GLOSSARY ? 2 : 3;
}

/* The checker of a language pair; made on first use. */
static hny_qa_t *
s_checker (s_run_t *run, const char *from, const char *to)
{
    for (size_t i = 0; i < run->checker_count; i++)
        if (strcmp (run->checkers [i].from, from) == 0 && strcmp (run->checkers [i].to, to) == 0)
            return run->checkers [i].qa;
    s_checker_t *c;
    if (run->checker_count < S_CHECKERS_MAX)
        c = &run->checkers [run->checker_count++];
    else {
        c = &run->checkers [run->checker_next];
        run->checker_next = (run->checker_next + 1) % S_CHECKERS_MAX;
        hny_qa_destroy (&c->qa);
    }
    snprintf (c->from, sizeof c->from, "%s", from);
    snprintf (c->to, sizeof c->to, "%s", to);
    c->qa = hny_qa_new (from, to);
    hny_qa_select (c->qa, run->mask);
    for (size_t i = 0; run->glossary && i < hny_glossary_size (run->glossary); i++)
        hny_qa_term (c->qa, hny_glossary_source (run->glossary, i), hny_glossary_target (run->glossary, i));
    return c->qa;
}

/* The flags of one translated pair (caller owns; an empty array when
   none): the checks run again, and the record's glossary flags when no
   --glossary is given. */
static json_t *
s_pair_flags (s_run_t *run, hny_qa_t *qa, const json_t *pair)
{
    const json_t *src = json_object_get (pair, "src"), *tgt = json_object_get (pair, "tgt");
    hny_qa_flag_t flags [HNY_QA_MAX_FLAGS];
    size_t n = hny_qa_run (qa, json_string_value (src), json_string_length (src),
                           json_string_value (tgt), json_string_length (tgt), flags);
    json_t *out = hny_qa_json (flags, n);
    const json_t *stored = json_object_get (pair, "qa");
    if (!run->glossary && (run->mask & (1u << HNY_QA_GLOSSARY)) && hny_qa_json_valid (stored)) {
        size_t i;
        json_t *flag;
        json_array_foreach (stored, i, flag)
            if (strcmp (json_string_value (json_object_get (flag, "check")), "glossary") == 0
            &&  json_array_size (out) < HNY_QA_MAX_FLAGS)
                json_array_append (out, flag);
    }
    return out;
}

/* A copy of s cut to S_SHOW_MAX bytes at a character boundary, with "..." */
static char *
s_shown (const char *s)
{
    size_t len = strlen (s);
    if (len <= S_SHOW_MAX)
        return hny_strdup (s);
    size_t n = S_SHOW_MAX;
    while (n > 0 && ((unsigned char) s [n] & 0xC0) == 0x80)
        n--;
    return hny_sprintf ("%.*s...", (int) n, s);
}

static void
s_worst_free (s_worst_t *w)
{
    free (w->where);
    free (w->src);
    free (w->tgt);
    json_decref (w->qa);
}

/* Keep a flagged pair when it is among the --top worst so far. */
static void
s_worst_add (s_run_t *run, int score, const char *where, const json_t *pair, json_t *qa)
{
    if (!run->top)
        return;
    size_t at = run->worst_count;
    while (at > 0 && run->worst [at - 1].score < score)
        at--;
    if (at >= run->top)
        return;
    if (run->worst_count == run->top) {
        s_worst_free (&run->worst [run->worst_count - 1]);
        run->worst_count--;
    }
    memmove (&run->worst [at + 1], &run->worst [at], (run->worst_count - at) * sizeof *run->worst);
    run->worst [at] = (s_worst_t) {
        score, run->order, hny_strdup (where),
        s_shown (json_string_value (json_object_get (pair, "src"))),
        s_shown (json_string_value (json_object_get (pair, "tgt"))), json_incref (qa)
    };
    run->worst_count++;
}

/* "number 2, glossary 1" from counts by check. */
static void
s_counts_text (const long *by_check, char *out, size_t size)
{
    out [0] = '\0';
    for (int c = 0; c <= HNY_QA_CHECKS; c++) {
        if (!by_check [c])
            continue;
        size_t len = strlen (out);
        snprintf (out + len, size - len, "%s%s %ld", len ? ", " : "",
                  c < HNY_QA_CHECKS ? hny_qa_check_name ((hny_qa_check_t) c) : "other", by_check [c]);
    }
}

static json_t *
s_counts_json (const long *by_check)
{
    json_t *o = json_object ();
    for (int c = 0; c <= HNY_QA_CHECKS; c++)
        if (by_check [c])
            json_object_set_new (o, c < HNY_QA_CHECKS ? hny_qa_check_name ((hny_qa_check_t) c) : "other",
                                 json_integer (by_check [c]));
    return o;
}

/* One record: check its pairs, count, and write its article's part. */
static void
s_record (s_run_t *run, json_t *rec)
{
    const char *from = json_string_value (json_object_get (rec, "source_lang"));
    const char *to = json_string_value (json_object_get (rec, "target_lang"));
    const char *job = json_string_value (json_object_get (rec, "job"));
    json_t *meta = json_object_get (rec, "metadata");
    const char *source = json_string_value (json_object_get (meta, "source"));
    const char *title = json_string_value (json_object_get (meta, "title"));
    hny_qa_t *qa = s_checker (run, from, to);
    long segments = 0, failed = 0, flagged = 0, flags = 0, by_check [HNY_QA_CHECKS + 1] = { 0 };
    json_t *pairs = json_array ();
    json_t *paragraphs = json_object_get (rec, "paragraphs");
    /* the title is paragraph -1, then the paragraphs in order (12) */
    for (long p = -1; p < (long) json_array_size (paragraphs); p++) {
        json_t *segs = p < 0 ? NULL : json_object_get (json_array_get (paragraphs, (size_t) p), "segments");
        size_t count = p < 0 ? json_is_object (json_object_get (rec, "title")) : json_array_size (segs);
        for (size_t s = 0; s < count; s++) {
            json_t *pair = p < 0 ? json_object_get (rec, "title") : json_array_get (segs, s);
            if (!json_is_string (json_object_get (pair, "src")) || !json_is_string (json_object_get (pair, "tgt"))) {
                failed++;           /* failed, or a link of the aligner with one side */
                continue;
            }
            segments++;
            run->order++;
            json_t *qa_flags = s_pair_flags (run, qa, pair);
            size_t n = json_array_size (qa_flags);
            if (n) {
                int score = 0;
                for (size_t i = 0; i < n; i++) {
                    int c = hny_qa_check_parse (json_string_value (json_object_get (json_array_get (qa_flags, i), "check")));
                    c = c < 0 ? HNY_QA_CHECKS : c;
                    by_check [c]++;
                    score += s_weight (c);
                }
                flagged++;
                flags += (long) n;
                char at [64], where [512];
                if (p < 0)
                    snprintf (at, sizeof at, "title");
                else
                    snprintf (at, sizeof at, "paragraph %ld, segment %zu", p, s);
                snprintf (where, sizeof where, "job %s%s%.200s%s, %s", job ? job : "?",
                          source ? " (" : "", source ? source : "", source ? ")" : "", at);
                s_worst_add (run, score, where, pair, qa_flags);
                if (run->json)
                    json_array_append_new (pairs, json_pack ("{s:I, s:I, s:O, s:O, s:O, s:O}",
                                                             "paragraph", (json_int_t) p,
                                                             "segment", (json_int_t) s,
                                                             "src", json_object_get (pair, "src"),
                                                             "tgt", json_object_get (pair, "tgt"),
                                                             "tm", json_object_get (pair, "tm") ? json_object_get (pair, "tm") : json_false (),
                                                             "qa", qa_flags));
            }
            json_decref (qa_flags);
        }
    }
    run->records++;
    run->segments += segments;
    run->failed += failed;
    run->flagged += flagged;
    run->flags += flags;
    for (int c = 0; c <= HNY_QA_CHECKS; c++)
        run->by_check [c] += by_check [c];
    if (run->json) {
        json_t *article = json_pack ("{s:s?, s:s?, s:s?, s:s?, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:o}",
                                     "job", job, "key", json_string_value (json_object_get (rec, "key")),
                                     "source", source, "title", title, "source_lang", from,
                                     "target_lang", to, "segments", (json_int_t) segments,
                                     "failed", (json_int_t) failed, "flagged", (json_int_t) flagged,
                                     "flags", (json_int_t) flags, "by_check", s_counts_json (by_check),
                                     "pairs", pairs);
        fputs (run->articles_out++ ? ",\n" : "\n", stdout);
        json_dumpf (article, stdout, JSON_COMPACT);
        json_decref (article);
        return;
    }
    json_decref (pairs);
    if (flagged) {
        char counts [256];
        s_counts_text (by_check, counts, sizeof counts);
        printf ("job %s  %s-%s  %s%.120s%s%.200s: %ld of %ld segments flagged (%s)\n", job ? job : "?",
                from, to, title ? "\"" : "", title ? title : "", title ? "\" " : "", source ? source : "",
                flagged, segments, counts);
    }
}

/* 1 when obj looks like a record this command can read. */
static int
s_is_record (const json_t *obj)
{
    const char *schema = json_string_value (json_object_get (obj, "schema"));
    return schema && strcmp (schema, HNY_RECORD_SCHEMA) == 0
        && json_is_string (json_object_get (obj, "source_lang"))
        && json_is_string (json_object_get (obj, "target_lang"))
        && json_is_array (json_object_get (obj, "paragraphs"));
}

/* A line of a records file, for hny_cli_jsonl. */
static int
s_line (json_t *obj, const char *not_json, const char *path, long line, void *arg)
{
    s_run_t *run = arg;
    if (s_is_record (obj))
        s_record (run, obj);
    else {
        fprintf (stderr, "honyaku: qa: %s: line %ld: %s (skipped)\n", path, line,
                 obj ? "not a record of " HNY_RECORD_SCHEMA : not_json);
        run->skipped++;
    }
    return 0;
}

/* Every record of a JSON Lines file ("-": standard input). Returns 0, or
   -1 when the file cannot be read (reported). Lines that are not records
   are reported, counted and skipped. */
static int
s_file (s_run_t *run, const char *path)
{
    return hny_cli_jsonl ("qa", path, s_line, run);
}

static void
s_text_report (const s_run_t *run)
{
    if (run->worst_count)
        printf ("\nWorst segments (paragraphs and segments counted from 0):\n");
    for (size_t i = 0; i < run->worst_count; i++) {
        const s_worst_t *w = &run->worst [i];
        printf ("  %s\n", w->where);
        size_t k;
        json_t *flag;
        json_array_foreach (w->qa, k, flag)
            printf ("    %-9s %s: %s\n", json_string_value (json_object_get (flag, "check")),
                    json_string_value (json_object_get (flag, "what")),
                    json_string_value (json_object_get (flag, "detail")));
        printf ("    src: %s\n    tgt: %s\n", w->src, w->tgt);
    }
    char counts [256];
    s_counts_text (run->by_check, counts, sizeof counts);
    printf ("%s%ld records, %ld segments checked", run->worst_count ? "\n" : "", run->records, run->segments);
    if (run->failed)
        printf (" (%ld without a translation or a counterpart, not checked)", run->failed);
    if (run->flagged)
        printf (", %ld flagged (%.1f%%), %ld flags: %s", run->flagged,
                run->segments ? 100.0 * (double) run->flagged / (double) run->segments : 0.0, run->flags, counts);
    else
        printf (", no flags");
    if (run->skipped)
        printf ("; %ld lines skipped (not records)", run->skipped);
    printf ("\n");
}

static void
s_json_report (const s_run_t *run)
{
    json_t *tail = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:o, s:I}", "records", (json_int_t) run->records,
                              "segments", (json_int_t) run->segments, "failed", (json_int_t) run->failed,
                              "flagged", (json_int_t) run->flagged, "flags", (json_int_t) run->flags,
                              "by_check", s_counts_json (run->by_check),
                              "skipped_lines", (json_int_t) run->skipped);
    /* the totals after the articles, in the same object */
    char *text = json_dumps (tail, JSON_COMPACT);
    printf ("\n],%s\n", text + 1);
    free (text);
    json_decref (tail);
}

int
hny_cli_qa (hny_cli_t *cli, int argc, char **argv)
{
    enum { O_FORMAT = 1, O_CHECK, O_GLOSSARY, O_TOP };
    static const struct option longopts [] = {
        { "format", required_argument, NULL, O_FORMAT },
        { "check", required_argument, NULL, O_CHECK },
        { "glossary", required_argument, NULL, O_GLOSSARY },
        { "top", required_argument, NULL, O_TOP },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    s_run_t run = { .mask = 0, .top = S_TOP_DEFAULT };
    const char *glossary = NULL;
    int opt, top;
    while ((opt = hny_cli_getopt (cli, "qa", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        switch (opt) {
        case O_FORMAT:
            if (strcmp (optarg, "json") && strcmp (optarg, "text"))
                return hny_cli_usage ("qa", "--format must be text or json, not '%s'", optarg);
            run.json = strcmp (optarg, "json") == 0;
            break;
        case O_CHECK: {
            int c = hny_qa_check_parse (optarg);
            if (c < 0)
                return hny_cli_usage ("qa", "unknown check '%s' (tags, identical, script, glossary, "
                                      "number, date, time, length)", optarg);
            run.mask |= 1u << c;
            break;
        }
        case O_GLOSSARY:
            glossary = optarg;
            break;
        case O_TOP:
            if (hny_cli_parse_int (optarg, S_TOP_MAX, &top))
                return hny_cli_usage ("qa", "--top must be 0 to %d", S_TOP_MAX);
            run.top = (size_t) top;
            break;
        }
    }
    if (!run.mask)
        run.mask = HNY_QA_ALL;
    if (glossary) {
        char *why = NULL;
        run.glossary = hny_glossary_load (glossary, &why);
        if (!run.glossary) {
            int rc = hny_cli_fail ("qa", "%s", why ? why : glossary);
            free (why);
            return rc;
        }
    }
    run.worst = hny_calloc (run.top + 1, sizeof *run.worst);
    if (run.json)
        printf ("{\"schema\":\"honyaku.qa/1\",\"articles\":[");
    int failed = 0;
    if (optind >= argc)
        failed |= s_file (&run, "-") != 0;
    for (int i = optind; i < argc; i++)
        failed |= s_file (&run, argv [i]) != 0;
    if (run.json)
        s_json_report (&run);
    else
        s_text_report (&run);
    fflush (stdout);
    for (size_t i = 0; i < run.worst_count; i++)
        s_worst_free (&run.worst [i]);
    free (run.worst);
    for (size_t i = 0; i < run.checker_count; i++)
        hny_qa_destroy (&run.checkers [i].qa);
    hny_glossary_destroy (&run.glossary);
    return failed || run.flags || run.skipped ? HNY_EXIT_FAIL : HNY_EXIT_OK;
}
