/*  hny_batch_out.c: OUT/records.jsonl of `honyaku batch`: the lock, the
    index of an earlier run's records, appends that leave complete lines
    only, and the final rewrite in path order (hny_batch_out.h). */
#include "hny_batch_out.h"
#include "honyaku/proto.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A record line is one RECORD body made compact: at most the protocol's
   body cap. A longer line is not one of ours. */
#define S_LINE_MAX ((size_t) HNY_PROTO_BODY_MAX + 1)

typedef struct {
    char *key;                  /* the record's "key"; owned */
    hny_batch_rec_t where;
    int claimed;                /* a file of this run has it */
    int duplicate;              /* an earlier line has the same key: left out */
} s_rec_t;

struct _hny_batch_out_t {
    char *dir;
    char *path;                 /* DIR/records.jsonl */
    int fd;                     /* records.jsonl, O_APPEND */
    int lock_fd;                /* DIR/.batch.lock, flock'ed */
    off_t size;                 /* where the next line goes */
    s_rec_t *recs;              /* the earlier run's records, sorted by key, then offset */
    size_t count, cap;
    size_t claimed, duplicates, torn;
    char *error;
};

static void
s_set_error (hny_batch_out_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
s_set_error (hny_batch_out_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    char *text = NULL;
    if (vasprintf (&text, fmt, args) < 0)
        text = NULL;
    va_end (args);
    free (self->error);
    self->error = text ? text : hny_strdup ("out of memory");
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

/* Read one line, its newline included, into *buf (grown as needed, at
   most `max` bytes). Returns its length, 0 at the end, -1 on a read
   error, -2 when the line is longer than max. */
static ssize_t
s_read_line (FILE *in, char **buf, size_t *cap, size_t max)
{
    size_t len = 0;
    int c;
    while ((c = getc_unlocked (in)) != EOF) {
        if (len == max)
            return -2;
        if (len + 1 >= *cap) {
            *cap = *cap ? *cap * 2 : 64 * 1024;
            *buf = hny_realloc (*buf, *cap);
        }
        (*buf) [len++] = (char) c;
        if (c == '\n')
            break;
    }
    if (ferror (in))
        return -1;
    return (ssize_t) len;
}

static int
s_rec_cmp (const void *a, const void *b)
{
    const s_rec_t *x = a, *y = b;
    int c = strcmp (x->key, y->key);
    return c ? c : x->where.at < y->where.at ? -1 : x->where.at > y->where.at;
}

static int
s_rec_cmp_at (const void *a, const void *b)
{
    const s_rec_t *x = *(const s_rec_t * const *) a, *y = *(const s_rec_t * const *) b;
    return x->where.at < y->where.at ? -1 : x->where.at > y->where.at;
}

/* Index what an earlier run wrote. An incomplete last line is cut off (it
   was being written when that run was killed: its file is sent again and
   the daemon answers with the job it has). Returns 0 or -1 (error set). */
static int
s_index (hny_batch_out_t *self)
{
    FILE *in = fopen (self->path, "r");
    if (!in) {
        if (errno == ENOENT)
            return 0;
        s_set_error (self, "%s: %s", self->path, strerror (errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    off_t at = 0;
    int rc = 0;
    for (;;) {
        ssize_t got = s_read_line (in, &line, &cap, S_LINE_MAX);
        if (got == 0)
            break;
        lineno++;
        if (got < 0) {
            s_set_error (self, "%s:%zu: %s", self->path, lineno,
                         got == -2 ? "line too long for a record" : strerror (errno));
            rc = -1;
            break;
        }
        if (line [got - 1] != '\n') {
            self->torn = (size_t) got;
            break;
        }
        json_error_t jerr;
        json_t *rec = json_loadb (line, (size_t) got - 1, 0, &jerr);
        const char *key = json_string_value (json_object_get (rec, "key"));
        const char *schema = json_string_value (json_object_get (rec, "schema"));
        if (!rec && strspn (line, " \t\r\n") == (size_t) got) {
            at += got;                  /* a blank line: nothing to keep */
            continue;
        }
        if (!key || !schema || strcmp (schema, HNY_RECORD_SCHEMA)) {
            s_set_error (self, "%s:%zu: not a record of honyaku batch (%s); move the file away "
                         "or choose another --out", self->path, lineno,
                         rec ? "no \"key\" or \"schema\"" : jerr.text);
            json_decref (rec);
            rc = -1;
            break;
        }
        if (self->count == self->cap) {
            self->cap = self->cap ? self->cap * 2 : 256;
            self->recs = hny_realloc (self->recs, self->cap * sizeof *self->recs);
        }
        self->recs [self->count++] = (s_rec_t) {
            .key = hny_strdup (key), .where = { .at = at, .len = (size_t) got } };
        json_decref (rec);
        at += got;
    }
    free (line);
    fclose (in);
    if (rc == 0 && self->torn && truncate (self->path, at)) {
        s_set_error (self, "%s: cannot cut off its incomplete last line: %s", self->path,
                     strerror (errno));
        rc = -1;
    }
    if (rc)
        return -1;
    qsort (self->recs, self->count, sizeof *self->recs, s_rec_cmp);
    for (size_t i = 1; i < self->count; i++)
        if (strcmp (self->recs [i].key, self->recs [i - 1].key) == 0) {
            self->recs [i].duplicate = 1;
            self->duplicates++;
        }
    return 0;
}

hny_batch_out_t *
hny_batch_out_open (const char *dir, char **error)
{
    hny_batch_out_t *self = hny_calloc (1, sizeof *self);
    self->dir = hny_strdup (dir);
    self->path = hny_sprintf ("%s/records.jsonl", dir);
    self->fd = self->lock_fd = -1;
    char *lock = hny_sprintf ("%s/.batch.lock", dir);
    if (s_mkdirs (dir))
        s_set_error (self, "%s: %s", dir, strerror (errno));
    else if ((self->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
        s_set_error (self, "%s: %s", lock, strerror (errno));
    else if (flock (self->lock_fd, LOCK_EX | LOCK_NB))
        s_set_error (self, "%s: %s", dir, errno == EWOULDBLOCK
                     ? "another honyaku batch is writing into this folder" : strerror (errno));
    else if (s_index (self) == 0) {
        self->fd = open (self->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        struct stat st;
        if (self->fd < 0 || fstat (self->fd, &st))
            s_set_error (self, "%s: %s", self->path, strerror (errno));
        else
            self->size = st.st_size;
    }
    free (lock);
    if (self->error) {
        *error = self->error;
        self->error = NULL;
        hny_batch_out_destroy (&self);
        return NULL;
    }
    return self;
}

void
hny_batch_out_destroy (hny_batch_out_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_batch_out_t *self = *self_p;
    if (self->fd >= 0)
        close (self->fd);
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    for (size_t i = 0; i < self->count; i++)
        free (self->recs [i].key);
    free (self->recs);
    free (self->dir);
    free (self->path);
    free (self->error);
    free (self);
    *self_p = NULL;
}

const char *
hny_batch_out_records_path (const hny_batch_out_t *self)
{
    return self->path;
}

size_t
hny_batch_out_earlier (const hny_batch_out_t *self)
{
    return self->count;
}

size_t
hny_batch_out_torn_bytes (const hny_batch_out_t *self)
{
    return self->torn;
}

size_t
hny_batch_out_duplicates (const hny_batch_out_t *self)
{
    return self->duplicates;
}

size_t
hny_batch_out_unclaimed (const hny_batch_out_t *self)
{
    return self->count - self->duplicates - self->claimed;
}

const char *
hny_batch_out_error (const hny_batch_out_t *self)
{
    return self->error ? self->error : "";
}

int
hny_batch_out_claim (hny_batch_out_t *self, const char *key, hny_batch_rec_t *where)
{
    /* The first entry with this key (duplicates follow it). */
    size_t lo = 0, hi = self->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp (self->recs [mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == self->count || strcmp (self->recs [lo].key, key) || self->recs [lo].claimed)
        return 0;
    self->recs [lo].claimed = 1;
    self->claimed++;
    *where = self->recs [lo].where;
    return 1;
}

/* Write all of buf at the end of the file; on failure cut the file back
   to where it was, so that no part of a line stays. */
static int
s_write_all (hny_batch_out_t *self, const char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write (self->fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = n < 0 ? errno : EIO;
            if (ftruncate (self->fd, self->size))
                s_set_error (self, "%s: cannot write (%s), and cannot cut off the part written: %s",
                             self->path, strerror (err), strerror (errno));
            else
                s_set_error (self, "%s: cannot write: %s", self->path, strerror (err));
            return -1;
        }
        done += (size_t) n;
    }
    return 0;
}

int
hny_batch_out_append (hny_batch_out_t *self, const char *line, size_t len,
                      hny_batch_rec_t *where)
{
    /* Line and newline in one buffer: one write(2) in the usual case. */
    char *buf = hny_malloc (len + 1);
    memcpy (buf, line, len);
    buf [len] = '\n';
    int rc = s_write_all (self, buf, len + 1);
    free (buf);
    if (rc)
        return -1;
    where->at = self->size;
    where->len = len + 1;
    self->size += (off_t) (len + 1);
    return 0;
}

/* Copy one line of records.jsonl to `out`. */
static int
s_copy (hny_batch_out_t *self, const hny_batch_rec_t *rec, FILE *out)
{
    char *line = hny_malloc (rec->len);
    ssize_t got = pread (self->fd, line, rec->len, rec->at);
    int ok = got == (ssize_t) rec->len && fwrite (line, 1, rec->len, out) == rec->len;
    if (!ok)
        s_set_error (self, "%s: cannot copy a record: %s", self->path,
                     got < 0 ? strerror (errno) : "short read or write");
    free (line);
    return ok ? 0 : -1;
}

int
hny_batch_out_finish (hny_batch_out_t *self, const hny_batch_rec_t *order, size_t count)
{
    char *tmp = hny_sprintf ("%s.tmp", self->path);
    FILE *out = fopen (tmp, "w");
    int rc = 0;
    if (!out) {
        s_set_error (self, "%s: %s", tmp, strerror (errno));
        free (tmp);
        return -1;
    }
    for (size_t i = 0; rc == 0 && i < count; i++)
        if (order [i].len)
            rc = s_copy (self, &order [i], out);
    /* What an earlier run wrote and no file claimed (a file changed or
       gone, other options): kept, in its order, after this run's. */
    size_t left = 0;
    const s_rec_t **rest = hny_malloc ((self->count ? self->count : 1) * sizeof *rest);
    for (size_t i = 0; i < self->count; i++)
        if (!self->recs [i].claimed && !self->recs [i].duplicate)
            rest [left++] = &self->recs [i];
    qsort (rest, left, sizeof *rest, s_rec_cmp_at);
    for (size_t i = 0; rc == 0 && i < left; i++)
        rc = s_copy (self, &rest [i]->where, out);
    free (rest);
    if (rc == 0 && (fflush (out) || ferror (out) || fsync (fileno (out)))) {
        s_set_error (self, "%s: cannot write: %s", tmp, strerror (errno));
        rc = -1;
    }
    if (fclose (out) && rc == 0) {
        s_set_error (self, "%s: cannot write: %s", tmp, strerror (errno));
        rc = -1;
    }
    if (rc == 0 && rename (tmp, self->path)) {
        s_set_error (self, "%s: %s", self->path, strerror (errno));
        rc = -1;
    }
    if (rc)
        unlink (tmp);
    free (tmp);
    return rc;
}
