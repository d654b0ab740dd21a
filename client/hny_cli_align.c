/*  hny_cli_align.c: `honyaku align SRC_FILE TGT_FILE --from L --to L`.

    Both files go to honyakud in one align SUBMIT (PROTOCOL.md 5.1, kind
    "align"): each side is prepared as any article is, then aligned
    sentence to sentence by a worker; the record (backend "aligned", 12.6)
    holds one link per pair of sentences that translate each other. Without
    --wait or --out it prints JOB<TAB>SRC<TAB>TGT and leaves the job to
    `honyaku wait` and `fetch`. With them it waits, writes the record as
    one JSON line (to --out FILE, put in place only when whole, or to
    stdout) and says on stderr what the alignment came to. */
#include "hny_cli.h"
#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Write the record as one line to path, through a temporary file renamed
   over it once complete. Returns 0, or the failure (said). */
static int
s_write_record (const char *path, const char *record, size_t len)
{
    char *tmp = hny_sprintf ("%s.tmp.%d", path, (int) getpid ());
    FILE *f = fopen (tmp, "w");
    int rc = f ? 0 : -1;
    if (f) {
        if (fwrite (record, 1, len, f) != len || fputc ('\n', f) == EOF)
            rc = -1;
        if (fclose (f))
            rc = -1;
    }
    if (rc == 0 && rename (tmp, path))
        rc = -1;
    if (rc) {
        hny_cli_fail ("align", "%s: %s", path, strerror (errno));
        unlink (tmp);
    }
    free (tmp);
    return rc;
}

/* One line on stderr about what the record holds: links, score, the
   sentences without counterpart, the warning; or why the job failed.
   Returns 0 for a done job, 1 for a failed one. */
static int
s_report (const char *job, const char *state, const char *record, size_t len)
{
    json_t *rec = json_loadb (record, len, 0, NULL);
    json_t *al = json_object_get (rec, "alignment");
    json_t *stats = json_object_get (al, "stats");
    int failed = strcmp (state, "done") != 0;
    if (failed) {
        json_t *errors = json_object_get (rec, "errors");
        json_t *last = json_array_get (errors, json_array_size (errors) - 1);
        const char *reason = json_string_value (json_object_get (last, "reason"));
        hny_cli_fail ("align", "job %s failed: %s (status %d)", job, reason ? reason : "no reason given",
                      (int) json_integer_value (json_object_get (last, "code")));
    }
    else {
        const char *warning = json_string_value (json_object_get (al, "warning"));
        fprintf (stderr, "honyaku: align: job %s: %lld links, score %.3f, %lld + %lld sentences "
                 "without counterpart%s%s\n", job,
                 (long long) json_integer_value (json_object_get (json_object_get (rec, "stats"), "segments")),
                 json_number_value (json_object_get (al, "score")),
                 (long long) json_integer_value (json_object_get (stats, "src_unlinked")),
                 (long long) json_integer_value (json_object_get (stats, "tgt_unlinked")),
                 warning ? "; warning: " : "", warning ? warning : "");
    }
    json_decref (rec);
    return failed;
}

int
hny_cli_align (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "key", required_argument, NULL, 'k' },
        { "format", required_argument, NULL, 'F' },
        { "lenient", no_argument, NULL, 'l' },
        { "out", required_argument, NULL, 'o' },
        { "wait", no_argument, NULL, 'w' },
        { "backend", required_argument, NULL, 'b' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    hny_submit_t langs = { 0 };
    hny_align_submit_t opts = { 0 };
    const char *out = NULL;
    int wait = 0, opt;
    while ((opt = hny_cli_getopt (cli, "align", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        switch (opt) {
            case 'f': langs.from = optarg; break;
            case 't': langs.to = optarg; break;
            case 'k': opts.key = optarg; break;
            case 'F': opts.format = optarg; break;
            case 'l': opts.lenient = 1; break;
            case 'o': out = optarg; break;
            case 'w': wait = 1; break;
            case 'b': opts.backend = optarg; break;
            default: return hny_cli_usage ("align", "unexpected option");
        }
    }
    if (argc - optind != 2)
        return hny_cli_usage ("align", "exactly two files: SRC_FILE TGT_FILE");
    if (!langs.from || !langs.to)
        return hny_cli_usage ("align", "--from and --to are required");
    if (opts.format && !hny_cli_format_valid (opts.format))
        return hny_cli_usage ("align", "unknown --format '%s' (auto, text, plain, html, jpw)", opts.format);
    const char *paths [2] = { argv [optind], argv [optind + 1] };
    if (!strcmp (paths [0], "-") && !strcmp (paths [1], "-"))
        return hny_cli_usage ("align", "only one side can be standard input");
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];
    int lang_rc = hny_cli_langs (&langs, from, to);
    if (lang_rc)
        return lang_rc;
    opts.from = langs.from;
    opts.to = langs.to;
    wait |= out != NULL;

    /* A side may be empty: it is aligned as an article without sentences. */
    char *data [2] = { NULL, NULL };
    size_t size [2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        const char *why = NULL;
        if (hny_cli_read_file (cli, paths [k], &data [k], &size [k], &why)) {
            free (data [0]);
            return hny_cli_fail ("align", "%s: %s", paths [k], why);
        }
    }
    opts.source = strcmp (paths [0], "-") ? paths [0] : NULL;
    opts.target_source = strcmp (paths [1], "-") ? paths [1] : NULL;
    hny_client_t *client = hny_cli_client (cli);
    char *job = NULL, *state = NULL, *record = NULL;
    size_t len = 0;
    int rc = HNY_EXIT_OK;
    if (hny_client_submit_align (client, &opts, data [0], size [0], data [1], size [1], &job, NULL))
        rc = hny_cli_fail ("align", "%s + %s: %s", paths [0], paths [1], hny_client_error (client));
    else if (!wait)
        printf ("%s\t%s\t%s\n", job, paths [0], paths [1]);
    else if (hny_client_wait (client, job, -1, &state))
        rc = hny_cli_fail ("align", "job %s: %s", job, hny_client_error (client));
    else if (hny_client_fetch (client, job, &record, &len))
        rc = hny_cli_fail ("align", "job %s: %s", job, hny_client_error (client));
    else {
        if (out)
            rc = s_write_record (out, record, len) ? HNY_EXIT_FAIL : HNY_EXIT_OK;
        else if (fwrite (record, 1, len, stdout) != len || fputc ('\n', stdout) == EOF)
            rc = hny_cli_fail ("align", "cannot write the record: %s", strerror (errno));
        if (s_report (job, state, record, len))
            rc = HNY_EXIT_FAIL;
    }
    free (data [0]);
    free (data [1]);
    free (job);
    free (state);
    free (record);
    hny_client_destroy (&client);
    return rc;
}
