/*  hny_cli_export.c: `honyaku export [--format jsonl] [--out FILE]`.

    Pages through the daemon's finished jobs with LIST (state "done") and
    FETCHes each record, writing one record per line. JSON Lines is the only
    format so far; TMX, XLIFF, Moses and HTML are refused with a clear
    message until they exist. The output goes to FILE.tmp and is renamed
    into place only when complete, so that a failed export never leaves a
    truncated file that looks whole. */
#include "hny_cli.h"
#include "honyaku/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PAGE 500      /* jobs per LIST request */

/* Write every done record to `out`; returns the number written or -1. */
static long
s_export_jsonl (hny_client_t *client, FILE *out)
{
    long written = 0;
    char *after = NULL;
    for (;;) {
        json_t *jobs = NULL;
        char *next = NULL;
        if (hny_client_list (client, after, S_PAGE, "done", &jobs, &next)) {
            hny_cli_fail ("export", "%s", hny_client_error (client));
            free (after);
            return -1;
        }
        size_t i;
        json_t *item;
        json_array_foreach (jobs, i, item) {
            const char *job = json_string_value (json_object_get (item, "job"));
            const char *state = json_string_value (json_object_get (item, "state"));
            if (!job || (state && strcmp (state, "done")))
                continue;
            char *record = NULL;
            size_t len = 0;
            if (hny_client_fetch (client, job, &record, &len)) {
                hny_cli_fail ("export", "job %s: %s", job, hny_client_error (client));
                json_decref (jobs);
                free (next);
                free (after);
                return -1;
            }
            json_error_t jerr;
            json_t *obj = json_loadb (record, len, 0, &jerr);
            free (record);
            if (!obj) {
                hny_cli_fail ("export", "job %s: the record is not JSON: %s", job, jerr.text);
                json_decref (jobs);
                free (next);
                free (after);
                return -1;
            }
            char *line = json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
            fprintf (out, "%s\n", line);
            free (line);
            json_decref (obj);
            written++;
        }
        json_decref (jobs);
        free (after);
        after = next;
        if (!after)
            return written;
    }
}

int
hny_cli_export (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "format", required_argument, NULL, 'F' },
        { "out", required_argument, NULL, 'o' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *format = "jsonl", *out_path = NULL;
    int opt;
    while ((opt = hny_cli_getopt (cli, "export", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == 'F')
            format = optarg;
        else if (opt == 'o')
            out_path = optarg;
    }
    if (argc - optind != 0)
        return hny_cli_usage ("export", "unexpected argument '%s'", argv [optind]);
    if (strcmp (format, "jsonl")) {
        if (!strcmp (format, "tmx") || !strcmp (format, "xliff") || !strcmp (format, "moses")
            || !strcmp (format, "html"))
            return hny_cli_usage ("export", "format '%s' is not supported yet (only jsonl)", format);
        return hny_cli_usage ("export", "unknown format '%s' (only jsonl)", format);
    }

    FILE *out = stdout;
    char *tmp = NULL;
    if (out_path && strcmp (out_path, "-")) {
        tmp = hny_sprintf ("%s.tmp", out_path);
        out = fopen (tmp, "w");
        if (!out) {
            int rc = hny_cli_fail ("export", "%s: %s", tmp, strerror (errno));
            free (tmp);
            return rc;
        }
    }
    hny_client_t *client = hny_cli_client (cli);
    long n = s_export_jsonl (client, out);
    int rc = n < 0 ? HNY_EXIT_FAIL : HNY_EXIT_OK;
    if (fflush (out) || ferror (out)) {
        if (rc == HNY_EXIT_OK)
            rc = hny_cli_fail ("export", "%s: %s", tmp ? tmp : "stdout", strerror (errno));
    }
    if (tmp) {
        if (fclose (out) && rc == HNY_EXIT_OK)
            rc = hny_cli_fail ("export", "%s: %s", tmp, strerror (errno));
        if (rc == HNY_EXIT_OK && rename (tmp, out_path))
            rc = hny_cli_fail ("export", "%s: %s", out_path, strerror (errno));
        if (rc != HNY_EXIT_OK)
            unlink (tmp);
        free (tmp);
    }
    if (rc == HNY_EXIT_OK)
        fprintf (stderr, "honyaku: export: %ld records\n", n);
    hny_client_destroy (&client);
    return rc;
}
