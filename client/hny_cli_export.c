/*  hny_cli_export.c: `honyaku export --format jsonl|tmx|xliff|moses|html
    [--out FILE|DIR] [--state done|failed] [--in RECORDS.jsonl]`.

    Records come either from the daemon (LIST pages of finished jobs in the
    given state, then FETCH of each) or, with --in, from a JSON Lines file
    such as `honyaku batch` writes (no daemon needed). Each record goes to
    the writer of hny_export.h as soon as it arrives, so an archive of any
    size exports in the memory of one record. The writer puts its output in
    place only when the export is complete. */
#include "hny_cli.h"
#include "hny_export.h"
#include "honyaku/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_PAGE 500      /* jobs per LIST request */

#define S_MAX_RECORD (256u * 1024 * 1024)  /* bytes of one line of --in */

/* Feed every record of the daemon in `state` to the export; returns 0 or
   -1 (reported). */
static int
s_export_daemon (hny_client_t *client, const char *want, hny_export_t *exp)
{
    char *after = NULL;
    for (;;) {
        json_t *jobs = NULL;
        char *next = NULL;
        if (hny_client_list (client, after, S_PAGE, want, &jobs, &next)) {
            hny_cli_fail ("export", "%s", hny_client_error (client));
            free (after);
            return -1;
        }
        size_t i;
        json_t *item;
        int rc = 0;
        json_array_foreach (jobs, i, item) {
            const char *job = json_string_value (json_object_get (item, "job"));
            const char *state = json_string_value (json_object_get (item, "state"));
            if (!job || (state && strcmp (state, want)))
                continue;
            char *record = NULL;
            size_t len = 0;
            if (hny_client_fetch (client, job, &record, &len)) {
                rc = hny_cli_fail ("export", "job %s: %s", job, hny_client_error (client));
                break;
            }
            json_error_t jerr;
            json_t *obj = json_loadb (record, len, 0, &jerr);
            free (record);
            if (!obj) {
                rc = hny_cli_fail ("export", "job %s: the record is not JSON: %s", job, jerr.text);
                break;
            }
            if (hny_export_add (exp, obj))
                rc = hny_cli_fail ("export", "job %s: %s", job, hny_export_error (exp));
            json_decref (obj);
            if (rc)
                break;
        }
        json_decref (jobs);
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
s_export_file (const char *path, hny_export_t *exp)
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
        if (!obj) {
            hny_cli_fail ("export", "%s: line %ld: not JSON: %s", path, line, jerr.text);
            rc = -1;
            break;
        }
        if (hny_export_add (exp, obj)) {
            hny_cli_fail ("export", "%s: line %ld: %s", path, line, hny_export_error (exp));
            rc = -1;
        }
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
    return rc;
}

int
hny_cli_export (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "format", required_argument, NULL, 'F' },
        { "out", required_argument, NULL, 'o' },
        { "in", required_argument, NULL, 'i' },
        { "state", required_argument, NULL, 's' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *format = "jsonl", *out_path = NULL, *in_path = NULL, *state = "done";
    int opt;
    while ((opt = hny_cli_getopt (cli, "export", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == 'F')
            format = optarg;
        else if (opt == 'o')
            out_path = optarg;
        else if (opt == 'i')
            in_path = optarg;
        else if (opt == 's')
            state = optarg;
    }
    if (argc - optind != 0)
        return hny_cli_usage ("export", "unexpected argument '%s'", argv [optind]);
    int fmt = hny_export_format_parse (format);
    if (fmt < 0)
        return hny_cli_usage ("export", "unknown format '%s' (jsonl, tmx, xliff, moses, html)",
                              format);
    if (strcmp (state, "done") && strcmp (state, "failed"))
        return hny_cli_usage ("export", "--state must be done or failed, not '%s'", state);
    if (fmt == HNY_EXPORT_MOSES && (!out_path || !strcmp (out_path, "-")))
        return hny_cli_usage ("export", "--format moses needs --out DIR");

    char *why = NULL;
    hny_export_t *exp = hny_export_new ((hny_export_format_t) fmt, out_path, &why);
    if (!exp) {
        int rc = hny_cli_fail ("export", "%s", why);
        free (why);
        return rc;
    }
    int rc;
    if (in_path)
        rc = s_export_file (in_path, exp);
    else {
        hny_client_t *client = hny_cli_client (cli);
        rc = s_export_daemon (client, state, exp);
        hny_client_destroy (&client);
    }
    if (rc == 0 && hny_export_finish (exp)) {
        hny_cli_fail ("export", "%s", hny_export_error (exp));
        rc = -1;
    }
    if (rc == 0) {
        hny_export_stats_t st;
        hny_export_stats (exp, &st);
        if (fmt == HNY_EXPORT_JSONL)
            fprintf (stderr, "honyaku: export: %ld records\n", st.records);
        else
            fprintf (stderr, "honyaku: export: %ld records, %ld segment pairs\n", st.records,
                     st.pairs);
        if (st.missing)
            fprintf (stderr, "honyaku: export: %ld segment pairs without a translation left out\n",
                     st.missing);
        if (st.skipped)
            fprintf (stderr, "honyaku: export: %ld records skipped (another language pair than "
                     "the first, or no segments)\n", st.skipped);
    }
    hny_export_destroy (&exp);
    return rc ? HNY_EXIT_FAIL : HNY_EXIT_OK;
}
