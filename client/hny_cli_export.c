/*  hny_cli_export.c: `honyaku export --format F [--out FILE|DIR]
    [--state done|failed|all] [--pair SRC-TGT] [--since DATE] [--job ID]...
    [--in RECORDS.jsonl]`.

    Records come either from the daemon (LIST pages of finished jobs, then
    FETCH of each that the filters may keep; with --job, FETCH of those
    jobs) or, with --in, from a JSON Lines file such as `honyaku batch`
    writes (no daemon needed). The filters (hny_export_filter.h) choose;
    each record kept goes to the writer of hny_export.h as soon as it
    arrives, so an archive of any size exports in the memory of one
    record. The writer puts its output in place only when the export is
    complete.

    Two outcomes are not written at all: records of several language
    pairs for a one-pair file (the rest is read only to count the pairs,
    so that the refusal names them all and says how to choose), and no
    record at all (exit 4, so that a script can tell "nothing new" from a
    failure). */
#include "hny_cli.h"
#include "hny_export.h"
#include "hny_export_filter.h"
#include "honyaku/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PAGE 500      /* jobs per LIST request */

#define S_MAX_RECORD (256u * 1024 * 1024)  /* bytes of one line of --in */

/* One export under way: where records go and what chooses them. */
typedef struct {
    hny_export_t *exp;
    hny_export_filter_t *filter;
    int surveying;              /* the export refused a second pair: only count pairs now */
} s_run_t;

/* Hand one record to the export if the filters keep it. listed_finished:
   its LISTING item's "finished", or -1; tally: count its pair (0 when its
   item was counted). Returns 0, or -1 (reported). */
static int
s_take (s_run_t *run, const json_t *record, int64_t listed_finished, int tally, const char *where)
{
    char *why = NULL;
    int keep = hny_export_filter_record (run->filter, record, listed_finished, tally, &why);
    if (keep < 0) {
        hny_cli_fail ("export", "%s: %s", where, why);
        free (why);
        return -1;
    }
    if (!keep || run->surveying)
        return 0;
    if (hny_export_add (run->exp, record) == 0)
        return 0;
    if (hny_export_mixed (run->exp)) {
        run->surveying = 1;     /* read on to name every pair in the refusal */
        return 0;
    }
    hny_cli_fail ("export", "%s: %s", where, hny_export_error (run->exp));
    return -1;
}

/* FETCH a job's record and take it; -1 (reported) when it cannot be had. */
static int
s_fetch (s_run_t *run, hny_client_t *client, const char *job, int64_t listed_finished, int tally)
{
    char *record = NULL;
    size_t len = 0;
    char where [96];
    snprintf (where, sizeof where, "job %.64s", job);
    if (hny_client_fetch (client, job, &record, &len)) {
        int status = hny_client_status_code (client);
        if (status == 404)
            hny_cli_fail ("export", "%s does not exist", where);
        else if (status == 300)
            hny_cli_fail ("export", "%s is not finished yet (see honyaku status %.64s)", where, job);
        else
            hny_cli_fail ("export", "%s: %s", where, hny_client_error (client));
        return -1;
    }
    json_error_t jerr;
    json_t *obj = json_loadb (record, len, 0, &jerr);
    free (record);
    if (!obj) {
        hny_cli_fail ("export", "%s: the record is not JSON: %s", where, jerr.text);
        return -1;
    }
    int rc = s_take (run, obj, listed_finished, tally, where);
    json_decref (obj);
    return rc;
}

/* Feed the daemon's records to the export: the jobs of --job, or every
   finished job the filters may keep. Returns 0 or -1 (reported). */
static int
s_export_daemon (s_run_t *run, hny_client_t *client)
{
    size_t jobs = hny_export_filter_jobs (run->filter);
    for (size_t i = 0; i < jobs; i++)
        if (s_fetch (run, client, hny_export_filter_job (run->filter, i), -1, 1))
            return -1;
    if (jobs)
        return 0;
    char *after = NULL;
    for (;;) {
        json_t *items = NULL;
        char *next = NULL;
        if (hny_client_list (client, after, S_PAGE, hny_export_filter_list_state (run->filter),
                             &items, &next)) {
            hny_cli_fail ("export", "%s", hny_client_error (client));
            free (after);
            return -1;
        }
        size_t i;
        json_t *item;
        int rc = 0;
        json_array_foreach (items, i, item) {
            const char *job = json_string_value (json_object_get (item, "job"));
            int tallied = 0;
            if (!job || !hny_export_filter_listed (run->filter, item, &tallied))
                continue;
            if (run->surveying && tallied)
                continue;       /* counted from the item: no FETCH needed */
            const json_t *finished = json_object_get (item, "finished");
            if ((rc = s_fetch (run, client, job,
                               json_is_integer (finished) ? json_integer_value (finished) : -1,
                               !tallied)))
                break;
        }
        json_decref (items);
        free (after);
        after = next;
        if (rc) {
            free (after);
            return -1;
        }
        if (!after)
            return 0;
    }
}

/* Read one line of at most S_MAX_RECORD bytes into *buf (grown as needed,
   newline removed). Returns 1 for a line, 0 at the end, -1 when too long
   or on a read error (errno set). */
static int
s_read_line (FILE *in, char **buf, size_t *alloc, size_t *len)
{
    *len = 0;
    for (;;) {
        if (*alloc - *len < 2) {
            if (*alloc >= S_MAX_RECORD + 2) {
                errno = EFBIG;
                return -1;
            }
            *alloc = *alloc ? *alloc * 2 : 65536;
            if (*alloc > S_MAX_RECORD + 2)
                *alloc = S_MAX_RECORD + 2;
            *buf = hny_realloc (*buf, *alloc);
        }
        if (!fgets (*buf + *len, (int) (*alloc - *len), in)) {
            if (ferror (in))
                return -1;
            return *len > 0;
        }
        *len += strlen (*buf + *len);
        if (*len && (*buf) [*len - 1] == '\n') {
            (*buf) [--*len] = 0;
            return 1;
        }
    }
}

/* Feed every record of a JSON Lines file ("-": standard input) to the
   export; returns 0 or -1 (reported). */
static int
s_export_file (s_run_t *run, const char *path)
{
    FILE *in = strcmp (path, "-") ? fopen (path, "r") : stdin;
    if (!in) {
        hny_cli_fail ("export", "%s: %s", path, strerror (errno));
        return -1;
    }
    char *buf = NULL;
    size_t alloc = 0, len = 0;
    long line = 0;
    int rc = 0, got;
    while ((got = s_read_line (in, &buf, &alloc, &len)) == 1) {
        line++;
        if (strspn (buf, " \t\r") == len)
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb (buf, len, 0, &jerr);
        char where [4200];
        snprintf (where, sizeof where, "%.4096s: line %ld", path, line);
        if (!obj) {
            hny_cli_fail ("export", "%s: not JSON: %s", where, jerr.text);
            rc = -1;
            break;
        }
        rc = s_take (run, obj, -1, 1, where);
        json_decref (obj);
        if (rc)
            break;
    }
    if (got < 0 && rc == 0) {
        if (errno == EFBIG)
            hny_cli_fail ("export", "%s: line %ld: longer than %u MiB", path, line + 1,
                          S_MAX_RECORD >> 20);
        else
            hny_cli_fail ("export", "%s: %s", path, strerror (errno));
        rc = -1;
    }
    free (buf);
    if (in != stdin)
        fclose (in);
    const char *unseen = hny_export_filter_unseen_job (run->filter);
    if (rc == 0 && unseen) {
        hny_cli_fail ("export", "job %s is not in %s", unseen,
                      strcmp (path, "-") ? path : "standard input");
        rc = -1;
    }
    return rc;
}

/* What the export wrote, on stderr. */
static void
s_report (hny_export_t *exp, hny_export_format_t fmt)
{
    hny_export_stats_t st;
    hny_export_stats (exp, &st);
    if (fmt == HNY_EXPORT_JSONL)
        fprintf (stderr, "honyaku: export: %ld records\n", st.records);
    else
        fprintf (stderr, "honyaku: export: %ld records, %ld segment pairs\n", st.records, st.pairs);
    if (st.missing)
        fprintf (stderr, "honyaku: export: %ld segment pairs without a translation left out\n",
                 st.missing);
    if (st.unlinked)
        fprintf (stderr, "honyaku: export: %ld links of aligned records with a side without "
                 "counterpart left out\n", st.unlinked);
    if (st.skipped)
        fprintf (stderr, "honyaku: export: %ld records skipped (no segment pair at all: the job "
                 "failed before it had any, or an alignment linked nothing)\n", st.skipped);
    size_t files = hny_export_files (exp);
    for (size_t i = 0; files > 1 && i < files; i++)
        fprintf (stderr, "honyaku: export: %s: %s, %ld record%s\n", hny_export_file_path (exp, i),
                 hny_export_file_pair (exp, i), hny_export_file_records (exp, i),
                 hny_export_file_records (exp, i) == 1 ? "" : "s");
}

int
hny_cli_export (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "format", required_argument, NULL, 'F' },
        { "out", required_argument, NULL, 'o' },
        { "in", required_argument, NULL, 'i' },
        { "state", required_argument, NULL, 's' },
        { "pair", required_argument, NULL, 'p' },
        { "since", required_argument, NULL, 'S' },
        { "job", required_argument, NULL, 'j' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *format = "jsonl", *out_path = NULL, *in_path = NULL;
    s_run_t run = { .filter = hny_export_filter_new () };
    char *why = NULL;
    int opt, rc = HNY_EXIT_OK;
    while ((opt = hny_cli_getopt (cli, "export", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt)) {
            rc = HNY_CLI_STOP_CODE (opt);
            goto done;
        }
        int bad = 0;
        if (opt == 'F')
            format = optarg;
        else if (opt == 'o')
            out_path = optarg;
        else if (opt == 'i')
            in_path = optarg;
        else if (opt == 's')
            bad = hny_export_filter_set_state (run.filter, optarg, &why);
        else if (opt == 'p')
            bad = hny_export_filter_set_pair (run.filter, optarg, &why);
        else if (opt == 'S')
            bad = hny_export_filter_set_since (run.filter, optarg, &why);
        else if (opt == 'j')
            bad = hny_export_filter_add_job (run.filter, optarg, &why);
        if (bad) {
            rc = hny_cli_usage ("export", "%s", why);
            goto done;
        }
    }
    if (argc - optind != 0) {
        rc = hny_cli_usage ("export", "unexpected argument '%s'", argv [optind]);
        goto done;
    }
    int fmt = hny_export_format_parse (format);
    if (fmt < 0) {
        rc = hny_cli_usage ("export", "unknown format '%s' (%s)", format, hny_export_format_names ());
        goto done;
    }
    if (fmt == HNY_EXPORT_MOSES && (!out_path || !strcmp (out_path, "-"))) {
        rc = hny_cli_usage ("export", "--format moses needs --out DIR");
        goto done;
    }
    /* A records file (already chosen) and jobs named are wanted whatever
       their state, unless --state says; the daemon's default is done. */
    if ((in_path || hny_export_filter_jobs (run.filter)) && !hny_export_filter_state_given (run.filter))
        hny_export_filter_set_state (run.filter, "all", &why);

    run.exp = hny_export_new ((hny_export_format_t) fmt, out_path, &why);
    if (!run.exp) {
        rc = hny_cli_fail ("export", "%s", why);
        goto done;
    }
    int failed;
    if (in_path)
        failed = s_export_file (&run, in_path);
    else {
        hny_client_t *client = hny_cli_client (cli);
        failed = s_export_daemon (&run, client);
        hny_client_destroy (&client);
    }
    if (failed) {
        rc = HNY_EXIT_FAIL;
        goto done;
    }
    if (run.surveying) {
        size_t distinct = 0;
        char *pairs = hny_export_filter_pairs_found (run.filter, &distinct);
        rc = hny_cli_fail ("export", "records of %zu language pairs: %s. A %s file holds one "
                           "pair: choose one with --pair SRC-TGT, or write one file per pair "
                           "with --out DIR/ (nothing written)", distinct, pairs,
                           hny_export_format_label ((hny_export_format_t) fmt));
        free (pairs);
        goto done;
    }
    hny_export_stats_t st;
    hny_export_stats (run.exp, &st);
    if (st.records == 0) {
        /* Nothing is written: no empty file that looks like an export. */
        char *filters = hny_export_filter_describe (run.filter);
        char *pairs = hny_export_filter_pairs_found (run.filter, NULL);
        fprintf (stderr, "honyaku: export: no record to export (%s)%s%s%s; nothing written\n",
                 filters, *pairs ? "; the records found are of " : "", pairs,
                 st.skipped ? ", and have no segment" : "");
        free (filters);
        free (pairs);
        rc = HNY_EXIT_EMPTY;
        goto done;
    }
    if (hny_export_finish (run.exp)) {
        rc = hny_cli_fail ("export", "%s", hny_export_error (run.exp));
        goto done;
    }
    s_report (run.exp, (hny_export_format_t) fmt);
done:
    free (why);
    hny_export_destroy (&run.exp);
    hny_export_filter_destroy (&run.filter);
    return rc;
}
