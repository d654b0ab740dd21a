/*  hny_cli_batch.c: `honyaku batch DIR --from L --to L --out OUT`.

    Walks DIR (regular files, recursively, sorted by relative path, hidden
    names skipped; a folder with none is an error), asks honyakud for its
    status first (an endpoint where nobody answers, or a --backend it does
    not have, stops the batch before anything is sent), then submits every
    file with a key derived from its relative path, its content and the
    options (so that a re-run finds the same jobs and translates nothing
    twice, and another language makes other jobs), keeps at most --window
    jobs in flight and waits for them on one pipelined connection. As each
    job finishes its record is FETCHed on the same connection (at most
    --window fetches in flight): a done job's record is appended at once
    to OUT/records.jsonl as one complete line (hny_batch_out.h), a failed
    job's record gives the reason for OUT/errors.txt. At the end
    records.jsonl is written again in path order.

    Running it again resumes: a file whose record (same key) is in
    records.jsonl already is not sent at all. SIGINT and SIGTERM stop it
    between two answers: the records written so far stay, errors.txt and
    the summary are written, and it exits 128 + the signal (130, 143);
    jobs it had submitted go on in honyakud and the next run finds them
    by their keys. A SUBMIT refused for what every file shares (400, 404,
    422: a bad language, an unknown backend) stops it at once with that
    reason: every other file would be refused the same way.

    It outlives a busy or restarting honyakud: 3xx answers (and 503 while
    honyakud shuts down) send the request back to a queue that is served
    after a growing, jittered pause, and while SUBMITs are refused only one
    is out at a time (no window of article bodies sent over and over to a
    full queue); a connection that drops (the library's monitor says so)
    or stays silent past every request's deadline is opened again and
    every request that was out is sent again: SUBMITs with the same keys
    (the daemon answers with the job it has), WAITs, FETCHes. --patience
    bounds how long it keeps trying without honyakud.

    What it shows (hny_progress.h): a live line on a terminal, a line per
    article otherwise, and a summary line last. Characters billed and
    segments are the sums of the records' stats (PROTOCOL.md 12.4), which
    add up to the services' totals.

    `honyaku batch --align PAIRS.tsv --out OUT` does the same with pairs of
    files instead of files: each line of PAIRS.tsv names a source and a
    target file (relative to the folder of PAIRS.tsv) that translate each
    other, and each pair becomes one align job (PROTOCOL.md 5.1, kind
    "align"), keyed by both paths, both contents and the options. */
#include "hny_batch_out.h"
#include "hny_cli.h"
#include "hny_progress.h"
#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
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
#define S_PATIENCE_DEFAULT 300      /* seconds of trying to reach honyakud again */
#define S_PATIENCE_MAX   (7 * 86400)
#define S_RETRY_MS       200        /* first pause after a "try again later" */
#define S_RETRY_MAX_MS   5000       /* longest pause */
#define S_TICK_MS        100        /* longest wait for an answer: how soon a signal is seen */
#define S_SOURCE_MAX     4096       /* SUBMIT's `source`, PROTOCOL.md 5.1 */
#define S_PROFILES_SHOWN 20         /* profiles named when --backend is unknown */
#define S_PAIRS_BYTES    (64u << 20) /* bytes of a PAIRS.tsv */

/* Where a file is:
   S_TODO   not submitted yet, or to be submitted again (busy, connection lost);
   S_RUN    its SUBMIT is out, or it was accepted (job set) and is waited for;
   S_FETCH  its job is final: its FETCH is queued or out;
   S_DONE   its record is in records.jsonl (this run's, or an earlier one's: skipped);
   S_FAILED rejected, failed, or unreadable (error says why). */
typedef enum { S_TODO, S_RUN, S_FETCH, S_DONE, S_FAILED } s_fstate_t;

typedef struct {
    char *rel;                  /* path relative to DIR (--align: the source file's, relative
                                   to the folder of PAIRS.tsv) */
    char *rel2;                 /* --align: the target file's; NULL otherwise */
    char *label;                /* --align: "SRC + TGT", what the messages name; NULL otherwise */
    char *job;                  /* job id once accepted */
    char *key;                  /* idempotency key once computed: the same on every SUBMIT */
    char *error;                /* why it failed, when known */
    s_fstate_t state;
    int existing;               /* the daemon had this key already */
    int job_failed;             /* S_FETCH: the job ended failed; its record says why */
    int skipped;                /* S_DONE by an earlier run */
    int out;                    /* a request about it is out, not answered yet */
    hny_batch_rec_t rec;        /* S_DONE: its line in records.jsonl */
} s_file_t;

typedef struct {
    s_file_t *files;
    size_t count, cap;
    const char *root;
    const char *cmd;            /* what errors name: "batch", "align-pairs" */
} s_walk_t;

/* A new entry at the end of the list, zeroed. */
static s_file_t *
s_file_add (s_walk_t *walk)
{
    if (walk->count == walk->cap) {
        walk->cap = walk->cap ? walk->cap * 2 : 64;
        walk->files = hny_realloc (walk->files, walk->cap * sizeof *walk->files);
    }
    s_file_t *f = &walk->files [walk->count++];
    memset (f, 0, sizeof *f);
    return f;
}

static int
s_walk (s_walk_t *walk, const char *rel, int depth)
{
    char *dirpath = *rel ? hny_sprintf ("%s/%s", walk->root, rel) : hny_strdup (walk->root);
    DIR *dir = opendir (dirpath);
    if (!dir) {
        hny_cli_fail (walk->cmd, "%s: %s", dirpath, strerror (errno));
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
                hny_cli_fail (walk->cmd, "%s: folders nested deeper than %d", full, S_DEPTH_MAX);
                rc = -1;
            }
            else
                rc = s_walk (walk, child, depth + 1);
        }
        else if (stat (full, &st) == 0 && S_ISREG (st.st_mode)) {
            if (walk->count == S_FILES_MAX) {
                hny_cli_fail (walk->cmd, "%s: more than %d files", walk->root, S_FILES_MAX);
                rc = -1;
            }
            else {
                s_file_add (walk)->rel = child;
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
    const s_file_t *x = a, *y = b;
    int c = strcmp (x->rel, y->rel);
    return c ? c : strcmp (x->rel2 ? x->rel2 : "", y->rel2 ? y->rel2 : "");
}

int
hny_cli_walk (const char *cmd, const char *root, char ***rels, size_t *count)
{
    s_walk_t walk = { .root = root, .cmd = cmd };
    int rc = s_walk (&walk, "", 0);
    if (walk.count)
        qsort (walk.files, walk.count, sizeof *walk.files, s_file_cmp);
    *rels = hny_calloc (walk.count + 1, sizeof **rels);
    for (size_t i = 0; i < walk.count; i++)
        (*rels) [i] = walk.files [i].rel;
    *count = rc ? 0 : walk.count;
    if (rc)
        for (size_t i = 0; i < walk.count; i++)
            free (walk.files [i].rel);
    free (walk.files);
    return rc;
}

/* What messages call a file (or a pair). */
static const char *
s_label (const s_file_t *f)
{
    return f->label ? f->label : f->rel;
}

/* The pairs of PAIRS.tsv: "SRC<TAB>TGT" a line (more columns, such as the
   score align-pairs writes, are ignored), blank lines and '#' comments
   skipped. Returns 0, or -1 (said). */
static int
s_read_pairs (s_walk_t *walk, const char *tsv)
{
    char *text = NULL;
    size_t size = 0;
    if (hny_file_read (tsv, S_PAIRS_BYTES, &text, &size)) {
        hny_cli_fail ("batch", "%s: %s", tsv, errno == EFBIG ? "larger than 64 MiB" : strerror (errno));
        return -1;
    }
    int rc = 0;
    size_t lineno = 0;
    for (char *line = text, *next; rc == 0 && line && *line; line = next) {
        next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        lineno++;
        size_t len = strlen (line);
        if (len && line [len - 1] == '\r')
            line [--len] = 0;
        if (!len || line [0] == '#')
            continue;
        char *tab = strchr (line, '\t');
        char *end = tab ? strchr (tab + 1, '\t') : NULL;
        if (end)
            *end = 0;
        if (!tab || tab == line || !tab [1]) {
            hny_cli_fail ("batch", "%s:%zu: not a pair: SRC_PATH<TAB>TGT_PATH", tsv, lineno);
            rc = -1;
        }
        else if (walk->count == S_FILES_MAX) {
            hny_cli_fail ("batch", "%s: more than %d pairs", tsv, S_FILES_MAX);
            rc = -1;
        }
        else {
            *tab = 0;
            s_file_t *f = s_file_add (walk);
            f->rel = hny_strdup (line);
            f->rel2 = hny_strdup (tab + 1);
            f->label = hny_sprintf ("%s + %s", line, tab + 1);
        }
    }
    free (text);
    return rc;
}

/* "batch:" + hex of XXH3-128 over the relative path, the content and
   every option that changes the result (languages, profile, format,
   lenient), each part NUL-ended: the same folder into another language or
   through another profile makes other jobs, not a 409. A pair (--align)
   adds "align", the target's path, where the two contents split and the
   target's content. Caller owns. */
static char *
s_batch_key (const char *rel, const char *data, size_t size, const hny_submit_t *opts,
             const char *rel2, const char *data2, size_t size2)
{
    XXH3_state_t *state = XXH3_createState ();
    if (!state) {
        fprintf (stderr, "honyaku: out of memory\n");
        abort ();
    }
    XXH3_128bits_reset (state);
    XXH3_128bits_update (state, rel, strlen (rel) + 1);
    const char *parts [] = { opts->from, opts->to, opts->backend ? opts->backend : "",
                             opts->format ? opts->format : "auto", opts->lenient ? "1" : "0" };
    for (size_t i = 0; i < sizeof parts / sizeof parts [0]; i++)
        XXH3_128bits_update (state, parts [i], strlen (parts [i]) + 1);
    XXH3_128bits_update (state, data, size);
    if (rel2) {
        char split [32];
        snprintf (split, sizeof split, "align:%zu", size);
        XXH3_128bits_update (state, split, strlen (split) + 1);
        XXH3_128bits_update (state, rel2, strlen (rel2) + 1);
        XXH3_128bits_update (state, data2, size2);
    }
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

/* A FIFO of file indexes. A file is in at most one ring at a time, at most
   once, and only while no request about it is out: capacity = file count. */
typedef struct {
    size_t *items;
    size_t head, count, cap;
} s_ring_t;

static void
s_ring_push (s_ring_t *ring, size_t index)
{
    assert (ring->count < ring->cap);
    ring->items [(ring->head + ring->count++) % ring->cap] = index;
}

static int
s_ring_pop (s_ring_t *ring, size_t *index)
{
    if (!ring->count)
        return 0;
    *index = ring->items [ring->head];
    ring->head = (ring->head + 1) % ring->cap;
    ring->count--;
    return 1;
}

typedef struct {
    hny_cli_t *cli;
    hny_client_t *client;
    hny_submit_t opts;
    const char *root;
    s_file_t *files;
    size_t count;
    size_t next;                /* first file never submitted */
    size_t active;              /* files submitted and not finished: at most `window` */
    size_t finished, fresh;     /* files done, failed or skipped; jobs the daemon made for us */
    size_t out;                 /* requests out, not answered yet */
    size_t submits_out;         /* SUBMITs among them */
    size_t fetching;            /* FETCHes among them: at most `window` */
    s_ring_t resubmit;          /* S_TODO files to submit again */
    s_ring_t rewait;            /* S_RUN files to WAIT for again */
    s_ring_t fetchq;            /* S_FETCH files to FETCH */
    size_t window;              /* most jobs (and most FETCHes) in flight */
    int slice_ms;               /* how long the daemon holds one WAIT */
    int64_t patience_ms;        /* how long to keep trying without honyakud */
    int64_t hold_until;         /* busy: send nothing from the rings or new files before this */
    int busy;                   /* refusals since the last ACCEPTED, for the backoff; while
                                   > 0, one SUBMIT at a time probes for room */
    int64_t heard;              /* last answer, or when requests went out after a silence */
    int64_t trouble_since;      /* when honyakud became unreachable or unavailable; 0: fine */
    int lost;                   /* the connection must be opened again */
    char *lost_why;             /* why, for the messages; owned */
    int reached;                /* honyakud answered at least once */
    int stopped;                /* the batch stopped before the end (the cause was said) */
    size_t reconnects;
    hny_batch_out_t *output;    /* OUT/records.jsonl; owned */
    hny_progress_t *progress;   /* what the user sees; owned */
} s_batch_t;

/* The signal that asks the batch to stop (SIGINT, SIGTERM); 0: none. The
   handler only sets it; the loop looks at least every S_TICK_MS. */
static volatile sig_atomic_t s_signal;

static void
s_on_signal (int sig)
{
    s_signal = sig;
}

/* A pause of about 200 ms * 2^tries, at most 5 s, jittered. */
static int64_t
s_backoff_ms (int tries)
{
    return hny_client_backoff_ms (tries, S_RETRY_MS, S_RETRY_MAX_MS);
}

/* "honyaku: batch: MESSAGE" on stderr, above the live line if any. */
static void
s_vnote (s_batch_t *b, const char *fmt, va_list args)
{
    char *text = NULL;
    if (vasprintf (&text, fmt, args) < 0)
        text = NULL;
    hny_progress_say (b->progress, "honyaku: batch: %s", text ? text : fmt);
    free (text);
}

static void
s_note (s_batch_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_note (s_batch_t *b, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    s_vnote (b, fmt, args);
    va_end (args);
}

/* Say why the batch stops before its end and mark it stopped; returns -1
   for the caller to pass on. */
static int
s_stop (s_batch_t *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_stop (s_batch_t *b, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    s_vnote (b, fmt, args);
    va_end (args);
    b->stopped = 1;
    return -1;
}

/* A file finished, one way or the other: count it and show it. */
static void
s_finished (s_batch_t *b, s_file_t *f, const char *what, uint64_t segments, uint64_t billed)
{
    b->finished++;
    hny_progress_article_t a = {
        .rel = s_label (f), .state = what, .job = f->job, .reason = f->error,
        .ok = f->state == S_DONE, .existing = f->existing,
        .segments = segments, .chars_billed = billed,
    };
    hny_progress_article (b->progress, &a);
}

static void
s_fail_file (s_batch_t *b, s_file_t *f, const char *what, char *reason)
{
    if (f->state == S_TODO || f->state == S_RUN)
        b->active--;
    f->state = S_FAILED;
    free (f->error);
    f->error = reason;
    s_finished (b, f, what, 0, 0);
}

/* Book-keeping of requests out, for telling a dead connection. A file
   with a request out is S_RUN or S_FETCH until its answer comes. */
static void
s_out (s_batch_t *b, s_file_t *f)
{
    assert (!f->out && (f->state == S_RUN || f->state == S_FETCH));
    f->out = 1;
    if (b->out++ == 0)
        b->heard = hny_clock_mono_ms ();
}

/* The connection is to be opened again (the caller stops sending). */
static void
s_lose (s_batch_t *b, const char *why)
{
    b->lost = 1;
    free (b->lost_why);
    b->lost_why = hny_strdup (why);
    if (!b->trouble_since)
        b->trouble_since = hny_clock_mono_ms ();
}

/* What is asked next about a file; it follows from the file's state: 'f'
   a FETCH (its job is final), 'w' a WAIT (accepted: it has a job), 's' its
   SUBMIT. The req id of a request about it is that letter and its index. */
static char
s_kind (const s_file_t *f)
{
    return f->state == S_FETCH ? 'f' : f->job ? 'w' : 's';
}

/* Put a file whose request is to be sent again (again later, or on a new
   connection) in the ring of that request's kind. */
static void
s_requeue (s_batch_t *b, size_t index)
{
    s_file_t *f = &b->files [index];
    char kind = s_kind (f);
    if (kind == 's')
        f->state = S_TODO;
    s_ring_push (kind == 'f' ? &b->fetchq : kind == 'w' ? &b->rewait : &b->resubmit, index);
}

/* A request could not be sent. Before honyakud ever answered that is the
   end (the endpoint is wrong or nobody is there: said at once); later the
   connection counts as lost and the file goes back to its ring. */
static int
s_send_failed (s_batch_t *b, size_t index)
{
    if (!b->reached)
        return s_stop (b, "%s", hny_client_error (b->client));
    s_requeue (b, index);
    s_lose (b, hny_client_error (b->client));
    return 0;
}

/* Read a file, or both files of a pair (a side may be empty, not both),
   under root (absolute paths as they are). Returns 0 with data and size
   set (caller frees), or -1 with *why (caller owns). */
static int
s_read (const s_batch_t *b, const s_file_t *f, char *data [2], size_t size [2], char **why)
{
    const char *rel [2] = { f->rel, f->rel2 };
    for (int k = 0; k < (f->rel2 ? 2 : 1); k++) {
        char *path = rel [k][0] == '/' ? hny_strdup (rel [k]) : hny_sprintf ("%s/%s", b->root, rel [k]);
        const char *reason = NULL;
        int failed = f->rel2 ? hny_cli_read_file (b->cli, path, &data [k], &size [k], &reason)
                             : hny_cli_read_input (b->cli, path, &data [k], &size [k], &reason);
        if (failed)
            *why = f->rel2 ? hny_sprintf ("%s: %s", rel [k], reason) : hny_strdup (reason);
        free (path);
        if (failed)
            return -1;
    }
    if (f->rel2 && size [0] == 0 && size [1] == 0) {
        *why = hny_strdup ("both files are empty");
        return -1;
    }
    return 0;
}

/* Read one file (or pair) and send its SUBMIT, with the key it had before
   if any. A file that cannot be read, or is over the protocol's cap (413
   from the library, nothing sent), fails alone. -1 only when the batch
   must stop. */
static int
s_send_submit (s_batch_t *b, size_t index)
{
    s_file_t *f = &b->files [index];
    char *data [2] = { NULL, NULL }, *why = NULL;
    size_t size [2] = { 0, 0 };
    int rc = 0;
    if (strlen (f->rel) > S_SOURCE_MAX || (f->rel2 && strlen (f->rel2) > S_SOURCE_MAX))
        s_fail_file (b, f, "refused", hny_sprintf ("path longer than %d bytes, the protocol's "
                                                    "cap of a source", S_SOURCE_MAX));
    else if (s_read (b, f, data, size, &why))
        s_fail_file (b, f, "unread", why);
    else {
        if (!f->key)
            f->key = s_batch_key (f->rel, data [0], size [0], &b->opts, f->rel2, data [1], size [1]);
        char req [32];
        snprintf (req, sizeof req, "s%zu", index);
        b->opts.key = f->key;
        b->opts.source = f->rel;
        hny_align_submit_t pair = {
            .from = b->opts.from, .to = b->opts.to, .key = f->key, .format = b->opts.format,
            .source = f->rel, .target_source = f->rel2, .lenient = b->opts.lenient,
            .backend = b->opts.backend,
        };
        int sent = f->rel2 ? hny_client_send_submit_align (b->client, req, &pair, data [0], size [0],
                                                           data [1], size [1])
                           : hny_client_send_submit (b->client, req, &b->opts, data [0], size [0]);
        if (sent == 0) {
            f->state = S_RUN;
            s_out (b, f);
            b->submits_out++;
        }
        else if (hny_client_status_code (b->client) == HNY_STATUS_TOO_LARGE)
            s_fail_file (b, f, "refused", hny_strdup (hny_client_error (b->client)));
        else
            rc = s_send_failed (b, index);
        b->opts.key = NULL;
        b->opts.source = NULL;
    }
    free (data [0]);
    free (data [1]);
    return rc;
}

static int
s_send_wait (s_batch_t *b, size_t index)
{
    char req [32];
    snprintf (req, sizeof req, "w%zu", index);
    if (hny_client_send_wait (b->client, req, b->files [index].job, b->slice_ms))
        return s_send_failed (b, index);
    s_out (b, &b->files [index]);
    return 0;
}

static int
s_send_fetch (s_batch_t *b, size_t index)
{
    char req [32];
    snprintf (req, sizeof req, "f%zu", index);
    if (hny_client_send_fetch (b->client, req, b->files [index].job))
        return s_send_failed (b, index);
    s_out (b, &b->files [index]);
    b->fetching++;
    return 0;
}

static uint64_t
s_stat (json_t *record, const char *name)
{
    json_int_t n = json_integer_value (json_object_get (json_object_get (record, "stats"), name));
    return n > 0 ? (uint64_t) n : 0;
}

/* Why a failed job failed, from its record (PROTOCOL.md 12.3): the job's
   own failure, the last entry when it has one; else how many segments
   failed and the first reason. Caller owns. */
static char *
s_failure_reason (json_t *record)
{
    json_t *errors = json_object_get (record, "errors");
    size_t n = json_array_size (errors);
    if (!n)
        return hny_strdup ("failed without a reason");
    json_t *last = json_array_get (errors, n - 1);
    json_t *first = json_array_get (errors, 0);
    const char *reason = json_string_value (json_object_get (last, "reason"));
    if (json_is_null (json_object_get (last, "paragraph")))
        return hny_sprintf ("%s (status %d)", reason ? reason : "failed",
                            (int) json_integer_value (json_object_get (last, "code")));
    reason = json_string_value (json_object_get (first, "reason"));
    return hny_sprintf ("%zu of %" PRIu64 " segments failed: %s (status %d)", n,
                        s_stat (record, "segments"), reason ? reason : "failed",
                        (int) json_integer_value (json_object_get (first, "code")));
}

/* The answer to a FETCH: a done job's record goes to records.jsonl as one
   line; a failed job's says why it failed. Returns -1 when records.jsonl
   cannot be written (the batch stops). */
static int
s_on_record (s_batch_t *b, size_t index, hny_reply_t *reply)
{
    s_file_t *f = &b->files [index];
    const char *cmd = hny_reply_command (reply);
    if (strcmp (cmd, "REJECTED") == 0) {
        const char *reason = hny_reply_get_str (reply, "reason");
        s_fail_file (b, f, "failed", hny_sprintf ("fetch: %s (status %d)",
                                                  reason ? reason : "rejected",
                                                  hny_reply_status (reply)));
        return 0;
    }
    if (strcmp (cmd, "RECORD")) {
        s_fail_file (b, f, "failed", hny_sprintf ("fetch: unexpected answer %s from %s (expected "
                                                  "RECORD)", cmd, hny_client_endpoint (b->client)));
        return 0;
    }
    size_t len = 0;
    char *body = hny_reply_take_body (reply, &len);
    json_error_t jerr;
    json_t *record = body ? json_loadb (body, len, 0, &jerr) : NULL;
    if (!json_is_object (record)) {
        s_fail_file (b, f, "failed", body ? hny_sprintf ("the record is not a JSON object: %s",
                                                         record ? "other JSON" : jerr.text)
                                          : hny_sprintf ("job %s: the daemon sent a record "
                                                         "without a body", f->job));
        free (body);
        json_decref (record);
        return 0;
    }
    free (body);
    uint64_t segments = s_stat (record, "segments"), billed = s_stat (record, "chars_billed");
    int rc = 0;
    if (f->job_failed) {
        f->state = S_FAILED;
        free (f->error);
        f->error = s_failure_reason (record);
        s_finished (b, f, "failed", segments, billed);
    }
    else {
        /* One record per line whatever the daemon's layout. */
        char *line = json_dumps (record, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!line)
            s_fail_file (b, f, "failed", hny_strdup ("the record cannot be written as JSON"));
        else if (hny_batch_out_append (b->output, line, strlen (line), &f->rec))
            rc = s_stop (b, "%s", hny_batch_out_error (b->output));
        else {
            f->state = S_DONE;
            s_finished (b, f, "done", segments, billed);
        }
        free (line);
    }
    json_decref (record);
    return rc;
}

/* A "try again later" answer (3xx, 503 while honyakud shuts down, 507
   while its disk is full): the request goes back to its ring, and nothing
   is sent before a backoff that grows while such answers keep coming. 503
   and 507 count against --patience (honyakud cannot take the work); 303
   does not (it is working, just full).
   Returns -1 when patience ran out. */
static int
s_retry_later (s_batch_t *b, size_t index, hny_reply_t *reply)
{
    s_file_t *f = &b->files [index];
    int status = hny_reply_status (reply);
    const char *reason = hny_reply_get_str (reply, "reason");
    int64_t now = hny_clock_mono_ms ();
    s_requeue (b, index);
    if (status == HNY_STATUS_UNAVAILABLE || status == HNY_STATUS_INSUFFICIENT_STORAGE) {
        if (!b->trouble_since)
            b->trouble_since = now;
        if (now - b->trouble_since >= b->patience_ms)
            return s_stop (b, "%s: %s (status %d); gave up after %g s (--patience)", s_label (f),
                           reason ? reason : "unavailable", status, b->patience_ms / 1000.0);
    }
    else
        b->trouble_since = 0;
    if (now >= b->hold_until) {
        int64_t pause = s_backoff_ms (b->busy++);
        b->hold_until = now + pause;
        s_note (b, "%s (status %d): trying again in %.1f s", reason ? reason : "busy", status,
                pause / 1000.0);
    }
    return 0;
}

/* A SUBMIT refused for what every file of the batch shares. Every field
   of a batch's SUBMITs but the body and `source` is the same for all
   files; an empty body and a `source` over its cap are refused here
   before sending, and a body over a cap is 413. So 400 (a bad language,
   format), 404 and 422 (an unknown backend or language pair) concern the
   options, and 501/505 a daemon that does not speak this protocol. */
static int
s_refuses_every_file (int status)
{
    return status == HNY_STATUS_BAD_REQUEST || status == HNY_STATUS_NOT_FOUND
        || status == HNY_STATUS_UNPROCESSABLE || status == 501 || status == 505;
}

/* Handle one answer; returns -1 when the batch must stop. */
static int
s_on_reply (s_batch_t *b, hny_reply_t *reply)
{
    const char *req = hny_reply_req (reply);
    char *end = NULL;
    char kind = req && (req [0] == 's' || req [0] == 'w' || req [0] == 'f') ? req [0] : 0;
    size_t index = kind ? strtoul (req + 1, &end, 10) : 0;
    s_file_t *f = kind && end && !*end && index < b->count ? &b->files [index] : NULL;
    /* Each file has at most one request out: its answer must match it. */
    if (!f || !f->out || kind != s_kind (f)) {
        hny_warn ("batch: ignoring an answer %s with req %s", hny_reply_command (reply),
                  req ? req : "(none)");
        return 0;
    }
    f->out = 0;
    b->out--;
    if (kind == 'f')
        b->fetching--;
    if (kind == 's')
        b->submits_out--;
    const char *cmd = hny_reply_command (reply);
    int status = hny_reply_status (reply);
    int rejected = strcmp (cmd, "REJECTED") == 0;
    if (rejected && (status / 100 == 3 || status == HNY_STATUS_UNAVAILABLE
                     || status == HNY_STATUS_INSUFFICIENT_STORAGE))
        return s_retry_later (b, index, reply);
    b->trouble_since = 0;
    if (kind == 'f')
        return s_on_record (b, index, reply);
    if (rejected) {
        const char *reason = hny_reply_get_str (reply, "reason");
        if (kind == 's' && s_refuses_every_file (status))
            return s_stop (b, "honyakud refuses this batch: %s (status %d, for %s); every "
                           "file would be refused the same way", reason ? reason : "rejected",
                           status, s_label (f));
        s_fail_file (b, f, "rejected", hny_sprintf ("%s (status %d)",
                                                    reason ? reason : "rejected", status));
        return 0;
    }
    if (kind == 's' && strcmp (cmd, "ACCEPTED") == 0) {
        const char *job = hny_reply_get_str (reply, "job");
        f->job = hny_strdup (job ? job : "?");
        b->busy = 0;                    /* room again: the window may fill */
        b->hold_until = 0;
        f->existing = json_is_true (json_object_get (hny_reply_header (reply), "existing"));
        if (!f->existing)
            b->fresh++;
    }
    else if (kind == 'w' && strcmp (cmd, "DONE") == 0) {
        const char *state = hny_reply_get_str (reply, "state");
        if (status == 200) {
            /* A job ended: a full queue has room for one more now. Its
               record is fetched either way: a done job's is the output, a
               failed job's says why, and both say what was billed. */
            if (b->busy)
                b->hold_until = 0;
            f->job_failed = !state || strcmp (state, "done") != 0;
            f->state = S_FETCH;
            b->active--;
            s_ring_push (&b->fetchq, index);
            return 0;
        }
        /* 300: still running; ask again below. */
    }
    else
        return s_stop (b, "%s: unexpected answer %s to %s", s_label (f), cmd, req);
    return s_send_wait (b, index);
}

/* Open the connection again after it was lost, trying with backoff until
   --patience runs out, then send again every request that was out:
   SUBMITs (same keys: the daemon answers with the job it has, if any),
   WAITs and FETCHes. Returns -1 when patience ran out or a signal came. */
static int
s_reconnect (s_batch_t *b)
{
    const char *ep = hny_client_endpoint (b->client);
    s_note (b, "%s; reconnecting (for up to %g s)", b->lost_why, b->patience_ms / 1000.0);
    for (int tries = 0;; tries++) {
        int64_t now = hny_clock_mono_ms ();
        if (now - b->trouble_since >= b->patience_ms)
            return s_stop (b, "%s; gave up after %g s (--patience)", b->lost_why,
                           b->patience_ms / 1000.0);
        if (hny_client_reconnect (b->client) == 0)
            break;
        const char *why = hny_client_error (b->client);
        if (strcmp (why, b->lost_why)) {
            s_note (b, "%s; still trying", why);
            free (b->lost_why);
            b->lost_why = hny_strdup (why);
        }
        /* A probe is one connect(): try again within a second, so that a
           honyakud that is back is found soon. The pause is slept in
           ticks, to see a signal and keep the live line going. */
        int64_t pause = s_backoff_ms (tries < 2 ? tries : 2);
        int64_t left = b->trouble_since + b->patience_ms - now;
        int64_t until = now + (pause < left ? pause : left);
        for (int64_t t = now; t < until; t = hny_clock_mono_ms ()) {
            if (s_signal)
                return -1;
            hny_progress_update (b->progress, b->active, "reconnecting");
            hny_sleep_ms (until - t < S_TICK_MS ? until - t : S_TICK_MS);
        }
    }
    size_t again = 0;
    for (size_t i = 0; i < b->count; i++) {
        s_file_t *f = &b->files [i];
        if (!f->out)
            continue;
        f->out = 0;
        again++;
        s_requeue (b, i);
    }
    b->out = 0;
    b->submits_out = 0;
    b->fetching = 0;
    b->lost = 0;
    b->hold_until = 0;
    b->reconnects++;
    s_note (b, "reconnected to %s after %.1f s; asking again about %zu files", ep,
            (hny_clock_mono_ms () - b->trouble_since) / 1000.0, again);
    return 0;
}

/* While SUBMITs are refused (busy), one at a time probes for room. */
static int
s_may_submit (const s_batch_t *b)
{
    return !b->busy || !b->submits_out;
}

/* The next file never submitted, past those an earlier run did. */
static int
s_has_next (s_batch_t *b)
{
    while (b->next < b->count && b->files [b->next].skipped)
        b->next++;
    return b->next < b->count;
}

/* The window: submit while fewer than `window` jobs are unfinished; FETCH
   finished jobs while fewer than `window` FETCHes are unanswered; answers
   drive everything else. A connection that drops (the monitor says so) or
   stays silent past every request's deadline is opened again. Returns 0
   at the end, -1 when the batch stops before it (a signal: s_signal set;
   otherwise the cause was said). */
static int
s_run (s_batch_t *b)
{
    const int64_t silence_ms = b->slice_ms + b->cli->timeout_ms;
    for (;;) {
        if (s_signal)
            return -1;
        if (b->lost && s_reconnect (b))
            return -1;
        hny_progress_update (b->progress, b->active, b->busy ? "busy" : NULL);
        int64_t now = hny_clock_mono_ms ();
        if (now >= b->hold_until) {
            size_t i;
            while (!b->lost && s_ring_pop (&b->rewait, &i))
                if (s_send_wait (b, i))
                    return -1;
            while (!b->lost && s_may_submit (b) && s_ring_pop (&b->resubmit, &i))
                if (s_send_submit (b, i))
                    return -1;
            while (!b->lost && s_may_submit (b) && b->active < b->window && s_has_next (b)) {
                b->active++;
                if (s_send_submit (b, b->next++))
                    return -1;
            }
            while (!b->lost && b->fetching < b->window && s_ring_pop (&b->fetchq, &i))
                if (s_send_fetch (b, i))
                    return -1;
        }
        if (b->lost)
            continue;
        if (b->finished == b->count && !b->out && !b->fetchq.count)
            return 0;
        /* Every request out is answered within silence_ms of being sent
           (WAITs are held one slice): when nothing came for that long since
           the last answer, all of them are overdue. Requests held back by
           a busy pause wake us when it ends. */
        int64_t until = b->out ? b->heard + silence_ms : INT64_MAX;
        int held = now < b->hold_until
                && (b->rewait.count || (b->fetchq.count && b->fetching < b->window)
                    || (s_may_submit (b) && (b->resubmit.count
                                             || (s_has_next (b) && b->active < b->window))));
        if (held && b->hold_until < until)
            until = b->hold_until;
        assert (until != INT64_MAX);
        /* Never longer than a tick: a signal or a due redraw of the live
           line is seen that soon (the library rides out EINTR). */
        int64_t wait = until - now;
        wait = wait < 0 ? 0 : wait > S_TICK_MS ? S_TICK_MS : wait;
        hny_reply_t *reply = NULL;
        int r = hny_client_recv_reply (b->client, (int) wait, &reply);
        if (r == HNY_RECV_LOST) {
            s_lose (b, hny_client_error (b->client));
            continue;
        }
        if (r == HNY_RECV_TIMEOUT) {
            if (b->out && hny_clock_mono_ms () >= b->heard + silence_ms) {
                char *why = hny_sprintf ("no answer from %s within %g s: is honyakud running?",
                                         b->cli->endpoint, silence_ms / 1000.0);
                s_lose (b, why);
                free (why);
            }
            continue;
        }
        if (r != HNY_RECV_OK)
            return s_stop (b, "%s", hny_client_error (b->client));
        b->heard = hny_clock_mono_ms ();
        b->reached = 1;
        r = s_on_reply (b, reply);
        hny_reply_destroy (&reply);
        if (r)
            return -1;
    }
}

/* Before anything is sent: honyakud answers STATUS (at once for an ipc://
   socket nobody listens on, within --timeout otherwise), and has the
   profile --backend names. Returns 0, or -1 when the batch cannot start
   (said). Connection trouble after this is ridden out (--patience). */
static int
s_probe (s_batch_t *b)
{
    json_t *st = NULL;
    if (hny_client_status (b->client, NULL, &st)) {
        hny_cli_fail ("batch", "cannot reach honyakud at %s: %s", b->cli->endpoint,
                      hny_client_error (b->client));
        return -1;
    }
    b->reached = 1;
    json_t *profiles = json_object_get (st, "profiles");
    int rc = 0;
    if (b->opts.backend && json_array_size (profiles)) {
        json_t *found = NULL, *p;
        size_t i;
        json_array_foreach (profiles, i, p)
            if (!found && json_is_string (json_object_get (p, "name"))
                && strcmp (json_string_value (json_object_get (p, "name")), b->opts.backend) == 0)
                found = p;
        if (!found) {
            char names [1024] = "";
            size_t len = 0;
            json_array_foreach (profiles, i, p) {
                const char *name = json_string_value (json_object_get (p, "name"));
                if (name && i < S_PROFILES_SHOWN && len < sizeof names)
                    len += (size_t) snprintf (names + len, sizeof names - len, "%s%s",
                                              len ? ", " : "", name);
            }
            hny_cli_fail ("batch", "unknown backend \"%s\": honyakud at %s has %s%s",
                          b->opts.backend, b->cli->endpoint, names,
                          json_array_size (profiles) > S_PROFILES_SHOWN ? ", ..." : "");
            rc = -1;
        }
        else if (json_integer_value (json_object_get (found, "workers")) == 0
                 && json_object_get (found, "workers"))
            fprintf (stderr, "honyaku: batch: no worker serves profile %s now: its jobs wait "
                     "until one registers\n", b->opts.backend);
    }
    json_decref (st);
    return rc;
}

/* Files an earlier run wrote the record of (same key: same path, content
   and options) are done: they are not sent again. */
static void
s_resume (s_batch_t *b)
{
    if (!hny_batch_out_earlier (b->output))
        return;
    size_t skipped = 0;
    for (size_t i = 0; i < b->count; i++) {
        s_file_t *f = &b->files [i];
        char *data [2] = { NULL, NULL }, *why = NULL;
        size_t size [2] = { 0, 0 };
        /* One that cannot be read now fails when its turn comes. */
        if (s_read (b, f, data, size, &why) == 0) {
            f->key = s_batch_key (f->rel, data [0], size [0], &b->opts, f->rel2, data [1], size [1]);
            if (hny_batch_out_claim (b->output, f->key, &f->rec)) {
                f->state = S_DONE;
                f->skipped = 1;
                skipped++;
            }
        }
        free (why);
        free (data [0]);
        free (data [1]);
    }
    b->finished += skipped;
    hny_progress_skipped (b->progress, skipped);
    const char *rec = hny_batch_out_records_path (b->output);
    if (hny_batch_out_torn_bytes (b->output))
        s_note (b, "%s: cut off an incomplete last line (%zu bytes: a run stopped while "
                "writing it)", rec, hny_batch_out_torn_bytes (b->output));
    if (hny_batch_out_duplicates (b->output))
        s_note (b, "%s: %zu lines repeat the key of an earlier line: left out", rec,
                hny_batch_out_duplicates (b->output));
    if (hny_progress_mode (b->progress) != HNY_PROGRESS_NONE)
        s_note (b, "%zu of %zu files have their record in %s already: not sent again", skipped,
                b->count, rec);
    if (hny_batch_out_unclaimed (b->output))
        s_note (b, "%s: %zu records match no file of this batch (changed, gone, or other "
                "options): kept after this batch's", rec, hny_batch_out_unclaimed (b->output));
}

/* Write records.jsonl again in path order, and errors.txt. */
static int
s_write_results (s_batch_t *b, const char *out_dir)
{
    hny_batch_rec_t *order = hny_calloc (b->count, sizeof *order);
    for (size_t i = 0; i < b->count; i++)
        if (b->files [i].state == S_DONE)
            order [i] = b->files [i].rec;
    int rc = hny_batch_out_finish (b->output, order, b->count);
    free (order);
    if (rc) {
        hny_cli_fail ("batch", "%s", hny_batch_out_error (b->output));
        return -1;
    }
    char *err_path = hny_sprintf ("%s/errors.txt", out_dir);
    FILE *err = fopen (err_path, "w");
    if (!err) {
        hny_cli_fail ("batch", "%s: %s", err_path, strerror (errno));
        free (err_path);
        return -1;
    }
    for (size_t i = 0; i < b->count; i++) {
        s_file_t *f = &b->files [i];
        if (f->state != S_FAILED)
            continue;
        /* A pair's line starts with both of its paths, as in PAIRS.tsv. */
        fprintf (err, "%s%s%s\t", f->rel, f->rel2 ? "\t" : "", f->rel2 ? f->rel2 : "");
        if (f->job)
            fprintf (err, "job %s: %s\n", f->job, f->error);
        else
            fprintf (err, "%s\n", f->error);
    }
    if (fflush (err) || ferror (err)) {
        hny_cli_fail ("batch", "%s: cannot write: %s", err_path, strerror (errno));
        rc = -1;
    }
    if (fclose (err) && rc == 0)
        rc = -1;
    free (err_path);
    return rc;
}

/* The last line: what was done, what it cost, how fast, what is left. */
static void
s_summary (s_batch_t *b, int sig)
{
    const hny_progress_counts_t *c = hny_progress_counts (b->progress);
    size_t left = c->total - c->done - c->failed - c->skipped;
    char skipped [160] = "", stopped [160] = "", reconnects [64] = "", took [32];
    if (c->skipped)
        snprintf (skipped, sizeof skipped, "; %zu skipped (in records.jsonl already)",
                  c->skipped);
    if (left)
        snprintf (stopped, sizeof stopped, "; %zu not finished: %s%s", left,
                  sig == SIGINT ? "interrupted (SIGINT)" : sig == SIGTERM ? "terminated (SIGTERM)"
                                                          : "stopped",
                  sig ? ", run the same command again to resume" : "");
    if (b->reconnects)
        snprintf (reconnects, sizeof reconnects, "; %zu reconnect%s", b->reconnects,
                  b->reconnects == 1 ? "" : "s");
    double secs = c->elapsed_ms > 0 ? c->elapsed_ms / 1000.0 : 0.001;
    hny_progress_say (b->progress, "honyaku: batch: %zu files: %zu done, %zu failed, %zu new jobs"
                      "%s%s%s; %" PRIu64 " segments, %" PRIu64 " chars billed in %s (%.1f files/s, "
                      "%.1f segments/s); wrote %s", c->total, c->done, c->failed, b->fresh, skipped,
                      stopped, reconnects, c->segments, c->chars_billed,
                      hny_progress_duration (c->elapsed_ms, took, sizeof took),
                      (c->done + c->failed) / secs, c->segments / secs,
                      hny_batch_out_records_path (b->output));
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
        { "patience", required_argument, NULL, 'P' },
        { "progress", required_argument, NULL, 'p' },
        { "quiet", no_argument, NULL, 'q' },
        { "align", required_argument, NULL, 'A' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    s_batch_t b = { .cli = cli };
    const char *out_dir = NULL, *pairs = NULL;
    hny_progress_mode_t mode = HNY_PROGRESS_AUTO;
    int window = S_WINDOW_DEFAULT, patience = S_PATIENCE_DEFAULT, opt;
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
            case 'q': mode = HNY_PROGRESS_NONE; break;
            case 'A': pairs = optarg; break;
            case 'p':
                if (hny_progress_mode_parse (optarg, &mode))
                    return hny_cli_usage ("batch", "--progress: '%s' is not auto, tty, lines or "
                                          "none", optarg);
                break;
            case 'W':
                if (hny_cli_parse_int (optarg, S_WINDOW_MAX, &window) || window < 1)
                    return hny_cli_usage ("batch", "--window: '%s' is not a number from 1 to %d",
                                          optarg, S_WINDOW_MAX);
                break;
            case 'P':
                if (hny_cli_parse_int (optarg, S_PATIENCE_MAX, &patience))
                    return hny_cli_usage ("batch", "--patience: '%s' is not a number of seconds "
                                          "from 0 to %d", optarg, S_PATIENCE_MAX);
                break;
            default: break;
        }
    }
    if (pairs && argc - optind != 0)
        return hny_cli_usage ("batch", "--align PAIRS.tsv takes no DIR: the pairs' paths are "
                              "relative to the folder of PAIRS.tsv");
    if (!pairs && argc - optind != 1)
        return hny_cli_usage ("batch", "exactly one DIR");
    if (!b.opts.from || !b.opts.to)
        return hny_cli_usage ("batch", "--from and --to are required");
    /* Canonical before any key is derived from them. */
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];
    int lang_rc = hny_cli_langs (&b.opts, from, to);
    if (lang_rc)
        return lang_rc;
    if (!out_dir)
        return hny_cli_usage ("batch", "--out DIR is required");
    if (b.opts.format && !hny_cli_format_valid (b.opts.format))
        return hny_cli_usage ("batch", "unknown --format '%s' (auto, text, plain, html, jpw)",
                              b.opts.format);
    /* The pairs' paths are relative to the folder of PAIRS.tsv. */
    char *pairs_dir = pairs ? hny_strdup (pairs) : NULL;
    if (pairs_dir) {
        char *slash = strrchr (pairs_dir, '/');
        if (!slash)
            strcpy (pairs_dir, ".");
        else
            slash [slash == pairs_dir] = 0;
    }
    const char *root = pairs ? pairs_dir : argv [optind];
    struct stat st;
    s_walk_t walk = { .root = root, .cmd = "batch" };
    int rc = HNY_EXIT_FAIL;
    if (pairs) {
        if (s_read_pairs (&walk, pairs))
            goto cleanup;
        if (walk.count == 0) {
            hny_cli_fail ("batch", "%s: no pairs in it", pairs);
            goto cleanup;
        }
    }
    else if (stat (root, &st)) {
        hny_cli_fail ("batch", "%s: %s", root, strerror (errno));
        goto cleanup;
    }
    else if (!S_ISDIR (st.st_mode)) {
        hny_cli_fail ("batch", "%s: not a folder", root);
        goto cleanup;
    }
    else if (s_walk (&walk, "", 0))
        goto cleanup;
    else if (walk.count == 0) {
        hny_cli_fail ("batch", "%s: no article files in it (hidden files and folders are "
                      "skipped)", root);
        goto cleanup;
    }
    qsort (walk.files, walk.count, sizeof *walk.files, s_file_cmp);
    b.files = walk.files;
    b.count = walk.count;
    b.window = (size_t) window;
    b.patience_ms = (int64_t) patience * 1000;
    b.root = root;
    b.client = hny_cli_client (cli);
    /* A WAIT is held at most one answer timeout, so that a daemon that
       went silent is noticed within two timeouts. */
    b.slice_ms = cli->timeout_ms < S_WAIT_SLICE_MS ? cli->timeout_ms : S_WAIT_SLICE_MS;
    if (s_probe (&b))
        goto cleanup;
    char *why = NULL;
    b.output = hny_batch_out_open (out_dir, &why);
    if (!b.output) {
        hny_cli_fail ("batch", "%s", why);
        free (why);
        goto cleanup;
    }
    b.progress = hny_progress_new (mode, stderr, b.count);
    s_resume (&b);
    b.resubmit.cap = b.rewait.cap = b.fetchq.cap = b.count;
    b.resubmit.items = hny_malloc (b.resubmit.cap * sizeof *b.resubmit.items);
    b.rewait.items = hny_malloc (b.rewait.cap * sizeof *b.rewait.items);
    b.fetchq.items = hny_malloc (b.fetchq.cap * sizeof *b.fetchq.items);

    /* From here on a signal stops the batch cleanly; a second one ends
       the process at once (SA_RESETHAND): records.jsonl holds complete
       lines either way. */
    struct sigaction sa = { .sa_handler = s_on_signal, .sa_flags = SA_RESETHAND };
    sigemptyset (&sa.sa_mask);
    struct sigaction old_int, old_term;
    s_signal = 0;
    sigaction (SIGINT, &sa, &old_int);
    sigaction (SIGTERM, &sa, &old_term);
    /* A signal that comes after the end changes nothing. */
    int sig = s_run (&b) ? s_signal : 0;
    hny_progress_clear (b.progress);
    if (s_write_results (&b, out_dir) == 0) {
        s_summary (&b, sig);
        const hny_progress_counts_t *c = hny_progress_counts (b.progress);
        rc = sig ? 128 + sig : b.stopped || c->failed ? HNY_EXIT_FAIL : HNY_EXIT_OK;
    }
    sigaction (SIGINT, &old_int, NULL);
    sigaction (SIGTERM, &old_term, NULL);

cleanup:
    for (size_t i = 0; i < walk.count; i++) {
        free (walk.files [i].rel);
        free (walk.files [i].rel2);
        free (walk.files [i].label);
        free (walk.files [i].job);
        free (walk.files [i].key);
        free (walk.files [i].error);
    }
    free (walk.files);
    free (b.resubmit.items);
    free (b.rewait.items);
    free (b.fetchq.items);
    free (b.lost_why);
    hny_progress_destroy (&b.progress);
    hny_batch_out_destroy (&b.output);
    hny_client_destroy (&b.client);
    free (pairs_dir);
    return rc;
}
