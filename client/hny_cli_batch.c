/*  hny_cli_batch.c: `honyaku batch DIR --from L --to L --out OUT`.

    Walks DIR (regular files, recursively, sorted by relative path, hidden
    names skipped), submits every file with a key derived from its relative
    path and content (so that a re-run finds the same jobs and translates
    nothing twice), keeps at most --window jobs in flight and waits for
    them on one pipelined connection. As each job finishes its record is
    FETCHed on the same connection (at most --window fetches in flight)
    and spooled to an unlinked temporary file in OUT; at the end the
    records are copied from the spool in path order into OUT/records.jsonl
    (one record in memory at a time), and the files that were rejected or
    failed are listed, with the reason, in OUT/errors.txt. */
#include "hny_cli.h"
#include "honyaku/util.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define S_FILES_MAX      1000000    /* files under DIR */
#define S_DEPTH_MAX      64         /* directory nesting */
#define S_WINDOW_DEFAULT 32
#define S_WINDOW_MAX     10000
#define S_WAIT_SLICE_MS  5000       /* longest WAIT held on the daemon's side */

/* S_FETCH: the job is done, its FETCH is queued or in flight;
   S_DONE: its record is in the spool. */
typedef enum { S_TODO, S_INFLIGHT, S_FETCH, S_DONE, S_FAILED } s_fstate_t;

typedef struct {
    char *rel;                  /* path relative to DIR */
    char *job;                  /* job id once accepted */
    char *error;                /* why it failed, when known */
    s_fstate_t state;
    int existing;               /* the daemon had this key already */
    off_t spool_at;             /* S_DONE: where its line starts in the spool */
    size_t spool_len;           /* S_DONE: its line's length, newline included */
} s_file_t;

typedef struct {
    s_file_t *files;
    size_t count, cap;
    const char *root;
    int truncated;              /* more than S_FILES_MAX files */
} s_walk_t;

static int
s_walk (s_walk_t *walk, const char *rel, int depth)
{
    char *dirpath = *rel ? hny_sprintf ("%s/%s", walk->root, rel) : hny_strdup (walk->root);
    DIR *dir = opendir (dirpath);
    if (!dir) {
        hny_cli_fail ("batch", "%s: %s", dirpath, strerror (errno));
        free (dirpath);
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while (rc == 0 && (entry = readdir (dir))) {
        if (entry->d_name [0] == '.')
            continue;           /* hidden files and folders, "." and ".." */
        char *child = *rel ? hny_sprintf ("%s/%s", rel, entry->d_name) : hny_strdup (entry->d_name);
        char *full = hny_sprintf ("%s/%s", dirpath, entry->d_name);
        struct stat st;
        /* Folders are entered only when they are real folders (no symlink
           loops); files may be symlinks to regular files. */
        if (lstat (full, &st) == 0 && S_ISDIR (st.st_mode)) {
            if (depth >= S_DEPTH_MAX) {
                hny_cli_fail ("batch", "%s: folders nested deeper than %d", full, S_DEPTH_MAX);
                rc = -1;
            }
            else
                rc = s_walk (walk, child, depth + 1);
        }
        else if (stat (full, &st) == 0 && S_ISREG (st.st_mode)) {
            if (walk->count == S_FILES_MAX) {
                hny_cli_fail ("batch", "%s: more than %d files", walk->root, S_FILES_MAX);
                rc = -1;
            }
            else {
                if (walk->count == walk->cap) {
                    walk->cap = walk->cap ? walk->cap * 2 : 64;
                    walk->files = hny_realloc (walk->files, walk->cap * sizeof *walk->files);
                }
                s_file_t *f = &walk->files [walk->count++];
                memset (f, 0, sizeof *f);
                f->rel = child;
                child = NULL;
            }
        }
        free (child);
        free (full);
    }
    closedir (dir);
    free (dirpath);
    return rc;
}

static int
s_file_cmp (const void *a, const void *b)
{
    return strcmp (((const s_file_t *) a)->rel, ((const s_file_t *) b)->rel);
}

/* "batch:" + hex of XXH3-128 over (relative path, NUL, content). Caller owns. */
static char *
s_batch_key (const char *rel, const char *data, size_t size)
{
    XXH3_state_t *state = XXH3_createState ();
    if (!state) {
        fprintf (stderr, "honyaku: out of memory\n");
        abort ();
    }
    XXH3_128bits_reset (state);
    XXH3_128bits_update (state, rel, strlen (rel) + 1);
    XXH3_128bits_update (state, data, size);
    XXH128_hash_t hash = XXH3_128bits_digest (state);
    XXH3_freeState (state);
    XXH128_canonical_t canon;
    XXH128_canonicalFromHash (&canon, hash);
    char *key = hny_malloc (6 + 32 + 1);
    memcpy (key, "batch:", 6);
    for (size_t i = 0; i < sizeof canon.digest; i++)
        snprintf (key + 6 + 2 * i, 3, "%02x", canon.digest [i]);
    return key;
}

/* Create a folder and its parents. */
static int
s_mkdirs (const char *path)
{
    char *copy = hny_strdup (path);
    for (char *p = copy + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir (copy, 0777) && errno != EEXIST) {
                free (copy);
                return -1;
            }
            *p = '/';
        }
    int rc = mkdir (copy, 0777) && errno != EEXIST ? -1 : 0;
    free (copy);
    return rc;
}

typedef struct {
    hny_cli_t *cli;
    hny_client_t *client;
    hny_submit_t opts;
    s_file_t *files;
    size_t count;
    size_t finished, inflight, fresh;
    int slice_ms;               /* how long the daemon holds one WAIT */
    size_t window;              /* most jobs (and most FETCHes) in flight */
    size_t *fetchq;             /* indexes of done jobs to FETCH, FIFO */
    size_t fetchq_head, fetchq_tail;
    size_t fetching;            /* FETCHes sent and not answered yet */
    FILE *spool;                /* records as they come, unlinked; owned */
    off_t spool_size;
} s_batch_t;

static void
s_progress (s_batch_t *b, s_file_t *f, const char *what)
{
    b->finished++;
    fprintf (stderr, "[%zu/%zu] %-8s %s%s\n", b->finished, b->count, what, f->rel,
             f->existing ? " (existing)" : "");
}

static void
s_fail_file (s_batch_t *b, s_file_t *f, const char *what, char *reason)
{
    if (f->state == S_INFLIGHT)
        b->inflight--;
    f->state = S_FAILED;
    free (f->error);
    f->error = reason;
    s_progress (b, f, what);
}

/* Read one file and send its SUBMIT; a file that cannot be read is failed at once. */
static int
s_submit_one (s_batch_t *b, const char *root, size_t index)
{
    s_file_t *f = &b->files [index];
    char *path = hny_sprintf ("%s/%s", root, f->rel);
    char *data = NULL;
    size_t size = 0;
    const char *why = NULL;
    int rc = 0;
    if (hny_cli_read_input (b->cli, path, &data, &size, &why))
        s_fail_file (b, f, "skipped", hny_strdup (why));
    else {
        char *key = s_batch_key (f->rel, data, size);
        char req [32];
        snprintf (req, sizeof req, "s%zu", index);
        b->opts.key = key;
        b->opts.source = f->rel;
        rc = hny_client_send_submit (b->client, req, &b->opts, data, size);
        if (rc == 0) {
            f->state = S_INFLIGHT;
            b->inflight++;
        }
        b->opts.key = NULL;
        b->opts.source = NULL;
        free (key);
    }
    free (data);
    free (path);
    return rc;
}

/* Send queued FETCHes while fewer than the window are in flight. */
static int
s_send_fetches (s_batch_t *b)
{
    while (b->fetching < b->window && b->fetchq_head < b->fetchq_tail) {
        size_t index = b->fetchq [b->fetchq_head++];
        char req [32];
        snprintf (req, sizeof req, "f%zu", index);
        if (hny_client_send_fetch (b->client, req, b->files [index].job)) {
            hny_cli_fail ("batch", "%s", hny_client_error (b->client));
            return -1;
        }
        b->fetching++;
    }
    return 0;
}

/* The answer to a FETCH: append the record as one line to the spool, or
   fail the file with the reason. Returns -1 when the spool cannot be written. */
static int
s_on_record (s_batch_t *b, size_t index, hny_reply_t *reply)
{
    s_file_t *f = &b->files [index];
    const char *cmd = hny_reply_command (reply);
    b->fetching--;
    f->state = S_FAILED;
    free (f->error);
    f->error = NULL;
    if (strcmp (cmd, "REJECTED") == 0) {
        const char *reason = hny_reply_get_str (reply, "reason");
        f->error = hny_sprintf ("fetch: %s (status %d)", reason ? reason : "rejected",
                                hny_reply_status (reply));
        return 0;
    }
    if (strcmp (cmd, "RECORD")) {
        f->error = hny_sprintf ("fetch: unexpected answer %s from %s (expected RECORD)", cmd,
                                hny_client_endpoint (b->client));
        return 0;
    }
    size_t len = 0;
    char *record = hny_reply_take_body (reply, &len);
    if (!record) {
        f->error = hny_sprintf ("fetch: job %s: the daemon sent a record without a body", f->job);
        return 0;
    }
    /* One record per line whatever the daemon's layout. */
    json_error_t jerr;
    json_t *obj = json_loadb (record, len, 0, &jerr);
    char *line = obj ? json_dumps (obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc = 0;
    if (line) {
        size_t n = strlen (line);
        if (fwrite (line, 1, n, b->spool) != n || putc ('\n', b->spool) == EOF) {
            hny_cli_fail ("batch", "cannot write the record spool: %s", strerror (errno));
            rc = -1;
        }
        else {
            f->state = S_DONE;
            f->spool_at = b->spool_size;
            f->spool_len = n + 1;
            b->spool_size += (off_t) (n + 1);
        }
    }
    else
        f->error = hny_sprintf ("the record is not JSON: %s", jerr.text);
    free (line);
    json_decref (obj);
    free (record);
    return rc;
}

/* Handle one answer; returns -1 on a fatal error. */
static int
s_on_reply (s_batch_t *b, hny_reply_t *reply)
{
    const char *req = hny_reply_req (reply);
    char *end = NULL;
    size_t index = req && (req [0] == 's' || req [0] == 'w' || req [0] == 'f')
                 ? strtoul (req + 1, &end, 10) : 0;
    s_fstate_t want = req && req [0] == 'f' ? S_FETCH : S_INFLIGHT;
    if (!end || *end || index >= b->count || b->files [index].state != want) {
        hny_warn ("batch: ignoring an answer %s with req %s", hny_reply_command (reply),
                  req ? req : "(none)");
        return 0;
    }
    if (req [0] == 'f')
        return s_on_record (b, index, reply);
    s_file_t *f = &b->files [index];
    const char *cmd = hny_reply_command (reply);
    int status = hny_reply_status (reply);
    if (strcmp (cmd, "REJECTED") == 0) {
        const char *reason = hny_reply_get_str (reply, "reason");
        s_fail_file (b, f, "rejected", hny_sprintf ("%s (status %d)",
                                                      reason ? reason : "rejected", status));
        return 0;
    }
    if (req [0] == 's' && strcmp (cmd, "ACCEPTED") == 0) {
        const char *job = hny_reply_get_str (reply, "job");
        free (f->job);
        f->job = hny_strdup (job ? job : "?");
        f->existing = json_is_true (json_object_get (hny_reply_header (reply), "existing"));
        if (!f->existing)
            b->fresh++;
    }
    else if (req [0] == 'w' && strcmp (cmd, "DONE") == 0) {
        const char *state = hny_reply_get_str (reply, "state");
        if (status == 200) {
            if (state && strcmp (state, "done") == 0) {
                f->state = S_FETCH;
                b->inflight--;
                b->fetchq [b->fetchq_tail++] = index;
                s_progress (b, f, "done");
            }
            else
                s_fail_file (b, f, "failed", NULL);
            return 0;
        }
        /* 300: still running; ask again below. */
    }
    else {
        hny_cli_fail ("batch", "%s: unexpected answer %s to %s", f->rel, cmd, req);
        return -1;
    }
    char wreq [32];
    snprintf (wreq, sizeof wreq, "w%zu", index);
    if (hny_client_send_wait (b->client, wreq, f->job, b->slice_ms)) {
        hny_cli_fail ("batch", "%s", hny_client_error (b->client));
        return -1;
    }
    return 0;
}

/* Copy the spooled records in path order into records.jsonl; write errors.txt. */
static int
s_write_results (s_batch_t *b, const char *out_dir, size_t *failed)
{
    char *rec_path = hny_sprintf ("%s/records.jsonl", out_dir);
    char *err_path = hny_sprintf ("%s/errors.txt", out_dir);
    char *rec_tmp = hny_sprintf ("%s.tmp", rec_path);
    FILE *rec = fopen (rec_tmp, "w");
    FILE *err = rec ? fopen (err_path, "w") : NULL;
    int rc = 0;
    if (!rec || !err) {
        hny_cli_fail ("batch", "%s: %s", rec ? err_path : rec_tmp, strerror (errno));
        rc = -1;
        goto done;
    }
    if (fflush (b->spool) || ferror (b->spool)) {
        hny_cli_fail ("batch", "cannot write the record spool: %s", strerror (errno));
        rc = -1;
        goto done;
    }
    *failed = 0;
    int spool_fd = fileno (b->spool);
    for (size_t i = 0; i < b->count; i++) {
        s_file_t *f = &b->files [i];
        if (f->state == S_DONE) {
            char *line = hny_malloc (f->spool_len);
            ssize_t got = pread (spool_fd, line, f->spool_len, f->spool_at);
            int ok = got == (ssize_t) f->spool_len
                     && fwrite (line, 1, f->spool_len, rec) == f->spool_len;
            free (line);
            if (!ok) {
                hny_cli_fail ("batch", "cannot copy a record from the spool: %s",
                              got < 0 ? strerror (errno) : "short read or write");
                rc = -1;
                goto done;
            }
        }
        else if (f->state == S_FAILED && f->job && !f->error) {
            json_t *st = NULL;
            if (hny_client_status (b->client, f->job, &st) == 0) {
                const char *reason = json_string_value (json_object_get (st, "error"));
                f->error = hny_strdup (reason ? reason : "failed without a reason");
                json_decref (st);
            }
            else
                f->error = hny_sprintf ("failed (status: %s)", hny_client_error (b->client));
        }
        if (f->state == S_FAILED) {
            (*failed)++;
            if (f->job)
                fprintf (err, "%s\tjob %s: %s\n", f->rel, f->job, f->error);
            else
                fprintf (err, "%s\t%s\n", f->rel, f->error);
        }
    }
    if (fflush (rec) || ferror (rec) || fflush (err) || ferror (err)) {
        rc = -1;
        hny_cli_fail ("batch", "%s: cannot write: %s", out_dir, strerror (errno));
    }
done:
    if (rec && fclose (rec) && rc == 0)
        rc = -1;
    if (err && fclose (err) && rc == 0)
        rc = -1;
    if (rc == 0 && rename (rec_tmp, rec_path)) {
        hny_cli_fail ("batch", "%s: %s", rec_path, strerror (errno));
        rc = -1;
    }
    if (rc)
        unlink (rec_tmp);
    free (rec_path);
    free (err_path);
    free (rec_tmp);
    return rc;
}

int
hny_cli_batch (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "backend", required_argument, NULL, 'b' },
        { "out", required_argument, NULL, 'o' },
        { "window", required_argument, NULL, 'W' },
        { "format", required_argument, NULL, 'F' },
        { "lenient", no_argument, NULL, 'l' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    s_batch_t b = { .cli = cli };
    const char *out_dir = NULL;
    int window = S_WINDOW_DEFAULT, opt;
    while ((opt = hny_cli_getopt (cli, "batch", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        switch (opt) {
            case 'f': b.opts.from = optarg; break;
            case 't': b.opts.to = optarg; break;
            case 'b': b.opts.backend = optarg; break;
            case 'o': out_dir = optarg; break;
            case 'F': b.opts.format = optarg; break;
            case 'l': b.opts.lenient = 1; break;
            case 'W':
                if (hny_cli_parse_int (optarg, S_WINDOW_MAX, &window) || window < 1)
                    return hny_cli_usage ("batch", "--window: '%s' is not a number from 1 to %d",
                                          optarg, S_WINDOW_MAX);
                break;
            default: break;
        }
    }
    if (argc - optind != 1)
        return hny_cli_usage ("batch", "exactly one DIR");
    if (!b.opts.from || !b.opts.to)
        return hny_cli_usage ("batch", "--from and --to are required");
    if (!out_dir)
        return hny_cli_usage ("batch", "--out DIR is required");
    if (b.opts.format && !hny_cli_format_valid (b.opts.format))
        return hny_cli_usage ("batch", "unknown --format '%s' (auto, text, plain, html, jpw)",
                              b.opts.format);
    const char *root = argv [optind];
    struct stat st;
    if (stat (root, &st))
        return hny_cli_fail ("batch", "%s: %s", root, strerror (errno));
    if (!S_ISDIR (st.st_mode))
        return hny_cli_fail ("batch", "%s: not a folder", root);

    s_walk_t walk = { .root = root };
    int rc = HNY_EXIT_OK;
    if (s_walk (&walk, "", 0)) {
        rc = HNY_EXIT_FAIL;
        goto cleanup;
    }
    qsort (walk.files, walk.count, sizeof *walk.files, s_file_cmp);
    b.files = walk.files;
    b.count = walk.count;
    if (s_mkdirs (out_dir)) {
        rc = hny_cli_fail ("batch", "%s: %s", out_dir, strerror (errno));
        goto cleanup;
    }
    char *spool_path = hny_sprintf ("%s/.records.jsonl.spool", out_dir);
    b.spool = fopen (spool_path, "w+");
    if (!b.spool) {
        rc = hny_cli_fail ("batch", "%s: %s", spool_path, strerror (errno));
        free (spool_path);
        goto cleanup;
    }
    unlink (spool_path);            /* gone when we exit, whatever happens */
    free (spool_path);
    b.window = (size_t) window;
    b.fetchq = hny_malloc ((b.count ? b.count : 1) * sizeof *b.fetchq);
    b.client = hny_cli_client (cli);
    /* A WAIT is held at most one answer timeout, so that a daemon that
       died is noticed within two timeouts. */
    b.slice_ms = cli->timeout_ms < S_WAIT_SLICE_MS ? cli->timeout_ms : S_WAIT_SLICE_MS;

    /* The window: submit while fewer than `window` jobs are unfinished;
       FETCH finished jobs while fewer than `window` FETCHes are unanswered. */
    size_t next = 0;
    while (b.finished < b.count || b.fetching || b.fetchq_head < b.fetchq_tail) {
        while (b.inflight < b.window && next < b.count)
            if (s_submit_one (&b, root, next++)) {
                rc = hny_cli_fail ("batch", "%s", hny_client_error (b.client));
                goto cleanup;
            }
        if (s_send_fetches (&b)) {
            rc = HNY_EXIT_FAIL;
            goto cleanup;
        }
        if (b.finished == b.count && !b.fetching)
            break;
        hny_reply_t *reply = NULL;
        int r = hny_client_recv_reply (b.client, b.slice_ms + cli->timeout_ms, &reply);
        if (r == 1) {
            rc = hny_cli_fail ("batch", "no answer from %s within %g s: is honyakud running?",
                               cli->endpoint, (b.slice_ms + cli->timeout_ms) / 1000.0);
            goto cleanup;
        }
        if (r < 0) {
            rc = hny_cli_fail ("batch", "%s", hny_client_error (b.client));
            goto cleanup;
        }
        r = s_on_reply (&b, reply);
        hny_reply_destroy (&reply);
        if (r) {
            rc = HNY_EXIT_FAIL;
            goto cleanup;
        }
    }

    size_t failed = 0;
    if (s_write_results (&b, out_dir, &failed)) {
        rc = HNY_EXIT_FAIL;
        goto cleanup;
    }
    fprintf (stderr, "honyaku: batch: %zu files: %zu done, %zu failed, %zu new jobs; "
             "wrote %s/records.jsonl\n", b.count, b.count - failed, failed, b.fresh, out_dir);
    rc = failed ? HNY_EXIT_FAIL : HNY_EXIT_OK;

cleanup:
    for (size_t i = 0; i < walk.count; i++) {
        free (walk.files [i].rel);
        free (walk.files [i].job);
        free (walk.files [i].error);
    }
    free (walk.files);
    free (b.fetchq);
    if (b.spool)
        fclose (b.spool);
    hny_client_destroy (&b.client);
    return rc;
}
