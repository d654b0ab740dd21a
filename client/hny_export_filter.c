/*  hny_export_filter.c: the record filters of `honyaku export` (see
    hny_export_filter.h). Everything here is small and bounded: at most
    HNY_FILTER_MAX_JOBS jobs (ranked by id as they are given and found by
    binary search, so a records file of any length costs log(jobs) a
    record), one --pair, and at
    most HNY_FILTER_MAX_TALLY pairs counted by name. */
#include "hny_export_filter.h"
#include "honyaku/lang.h"
#include "hny_export.h"
#include "honyaku/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_JOB_MAX      64       /* bytes of a job id (PROTOCOL.md 5) */
#define S_LANG_MAX     36       /* a canonical tag and its NUL */

typedef enum { S_DONE, S_FAILED, S_ALL } s_state_t;

typedef struct {
    char *id;
    int seen;                   /* a record of this job came by */
} s_job_t;

typedef struct {
    char pair [2 * S_LANG_MAX];
    long count;
} s_tally_t;

struct _hny_export_filter_t {
    s_state_t state;
    int state_given;
    char *pair_spec;            /* --pair as typed, NULL: any pair */
    char src [S_LANG_MAX];      /* its two tags, canonical */
    char tgt [S_LANG_MAX];
    char *since_text;           /* --since as typed, NULL: any time */
    int64_t since_ms;
    s_job_t *jobs;              /* --job, in the order given */
    size_t job_count, job_alloc;
    size_t *sorted;             /* indexes of jobs in the order of their ids */
    s_tally_t tally [HNY_FILTER_MAX_TALLY];
    size_t tally_count;
    long others;                /* records of pairs past the tally's room */
};

hny_export_filter_t *
hny_export_filter_new (void)
{
    hny_export_filter_t *self = hny_calloc (1, sizeof *self);
    self->state = S_DONE;
    return self;
}

void
hny_export_filter_destroy (hny_export_filter_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_export_filter_t *self = *self_p;
    for (size_t i = 0; i < self->job_count; i++)
        free (self->jobs [i].id);
    free (self->jobs);
    free (self->sorted);
    free (self->pair_spec);
    free (self->since_text);
    free (self);
    *self_p = NULL;
}

/* ---- --pair ---------------------------------------------------------- */

int
hny_export_filter_set_pair (hny_export_filter_t *self, const char *spec, char **why)
{
    /* One reading of SRC-TGT (or SRC:TGT): the split proto/hny_lang.c
       makes, which refuses an ambiguous one ("en-US-ja") with a hint. */
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1], reason [HNY_LANG_WHY_MAX];
    if (hny_lang_pair (spec, from, to, reason, sizeof reason)) {
        *why = hny_sprintf ("--pair: %s", reason);
        return -1;
    }
    snprintf (self->src, S_LANG_MAX, "%s", from);
    snprintf (self->tgt, S_LANG_MAX, "%s", to);
    free (self->pair_spec);
    self->pair_spec = hny_strdup (spec);
    return 0;
}

/* True when the pair (canonical) is --pair's, or there is no --pair. */
static int
s_pair_match (const hny_export_filter_t *self, const char *src, const char *tgt)
{
    if (!self->pair_spec)
        return 1;
    return !strcmp (self->src, src) && !strcmp (self->tgt, tgt);
}

/* ---- --since --------------------------------------------------------- */

/* n digits at *p as a number, advancing *p; -1 when they are not. */
static int
s_digits (const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit ((unsigned char) **p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    return v;
}

static int
s_days_in (int year, int month)
{
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days [month - 1] + (month == 2 && leap);
}

int
hny_export_parse_time (const char *text, int64_t *ms)
{
    const char *p = text;
    struct tm tm = { 0 };
    int year = s_digits (&p, 4);
    if (year < 1970 || *p++ != '-')
        return -1;
    int month = s_digits (&p, 2);
    if (month < 1 || month > 12 || *p++ != '-')
        return -1;
    int day = s_digits (&p, 2);
    if (day < 1 || day > s_days_in (year, month))
        return -1;
    int hour = 0, minute = 0, second = 0, millis = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        hour = s_digits (&p, 2);
        if (hour < 0 || hour > 23 || *p++ != ':')
            return -1;
        minute = s_digits (&p, 2);
        if (minute < 0 || minute > 59)
            return -1;
        if (*p == ':') {
            p++;
            second = s_digits (&p, 2);
            if (second < 0 || second > 59)
                return -1;
            if (*p == '.' || *p == ',') {
                p++;
                int scale = 100, digits = 0;
                while (isdigit ((unsigned char) *p) && digits < 9) {
                    millis += (*p++ - '0') * scale;
                    scale /= 10;
                    digits++;
                }
                if (digits == 0)
                    return -1;
            }
        }
    }
    else if (*p)
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t t;
    if (*p == 0) {
        /* no zone: local time, as ISO 8601 reads it */
        tm.tm_isdst = -1;
        t = mktime (&tm);
        if (t == (time_t) -1)
            return -1;
    }
    else {
        long offset = 0;
        if (*p == 'Z' || *p == 'z')
            p++;
        else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh = s_digits (&p, 2), om = 0;
            if (oh < 0 || oh > 23)
                return -1;
            if (*p == ':')
                p++;
            if (*p) {
                om = s_digits (&p, 2);
                if (om < 0 || om > 59)
                    return -1;
            }
            offset = sign * (oh * 3600L + om * 60L);
        }
        if (*p)
            return -1;
        t = timegm (&tm);
        if (t == (time_t) -1)
            return -1;
        t -= offset;
    }
    *ms = (int64_t) t * 1000 + millis;
    return 0;
}

int
hny_export_filter_set_since (hny_export_filter_t *self, const char *text, char **why)
{
    if (strlen (text) > 64 || hny_export_parse_time (text, &self->since_ms)) {
        *why = hny_sprintf ("--since wants an ISO 8601 date or date and time (2024-05-01, "
                            "2024-05-01T09:30, 2024-05-01T09:30:00Z, 2024-05-01T09:30+09:00), "
                            "not '%.80s'", text);
        return -1;
    }
    free (self->since_text);
    self->since_text = hny_strdup (text);
    return 0;
}

/* ---- --state, --job -------------------------------------------------- */

int
hny_export_filter_set_state (hny_export_filter_t *self, const char *state, char **why)
{
    if (!strcmp (state, "done"))
        self->state = S_DONE;
    else if (!strcmp (state, "failed"))
        self->state = S_FAILED;
    else if (!strcmp (state, "all"))
        self->state = S_ALL;
    else {
        *why = hny_sprintf ("--state must be done, failed or all, not '%.40s'", state);
        return -1;
    }
    self->state_given = 1;
    return 0;
}

int
hny_export_filter_state_given (const hny_export_filter_t *self)
{
    return self->state_given;
}

const char *
hny_export_filter_list_state (const hny_export_filter_t *self)
{
    return self->state == S_DONE ? "done" : self->state == S_FAILED ? "failed" : NULL;
}

/* Where id is or would go in the jobs sorted by id: its rank, with *found. */
static size_t
s_job_rank (const hny_export_filter_t *self, const char *id, int *found)
{
    size_t lo = 0, hi = self->job_count;
    *found = 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp (self->jobs [self->sorted [mid]].id, id);
        if (c == 0) {
            *found = 1;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static s_job_t *
s_job_find (hny_export_filter_t *self, const char *id)
{
    int found;
    size_t rank = s_job_rank (self, id, &found);
    return found ? &self->jobs [self->sorted [rank]] : NULL;
}

int
hny_export_filter_add_job (hny_export_filter_t *self, const char *job, char **why)
{
    size_t n = strlen (job);
    if (n == 0 || n > S_JOB_MAX) {
        *why = hny_sprintf ("--job wants a job id of 1 to %d bytes", S_JOB_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char) job [i] < 0x20) {
            *why = hny_strdup ("--job: a job id holds no control characters");
            return -1;
        }
    int found;
    size_t rank = s_job_rank (self, job, &found);
    if (found)
        return 0;
    if (self->job_count == HNY_FILTER_MAX_JOBS) {
        *why = hny_sprintf ("at most %d --job options", HNY_FILTER_MAX_JOBS);
        return -1;
    }
    /* Kept in the order given, and ranked by id as they come. */
    if (self->job_count == self->job_alloc) {
        self->job_alloc = self->job_alloc ? self->job_alloc * 2 : 16;
        self->jobs = hny_realloc (self->jobs, self->job_alloc * sizeof *self->jobs);
        self->sorted = hny_realloc (self->sorted, self->job_alloc * sizeof *self->sorted);
    }
    memmove (self->sorted + rank + 1, self->sorted + rank,
             (self->job_count - rank) * sizeof *self->sorted);
    self->sorted [rank] = self->job_count;
    self->jobs [self->job_count++] = (s_job_t) { .id = hny_strdup (job) };
    return 0;
}

size_t
hny_export_filter_jobs (const hny_export_filter_t *self)
{
    return self->job_count;
}

const char *
hny_export_filter_job (const hny_export_filter_t *self, size_t index)
{
    return index < self->job_count ? self->jobs [index].id : NULL;
}

const char *
hny_export_filter_unseen_job (const hny_export_filter_t *self)
{
    for (size_t i = 0; i < self->job_count; i++)
        if (!self->jobs [i].seen)
            return self->jobs [i].id;
    return NULL;
}

/* ---- applying them --------------------------------------------------- */

void
hny_export_filter_tally (hny_export_filter_t *self, const char *src, const char *tgt)
{
    char s [S_LANG_MAX], t [S_LANG_MAX], pair [2 * S_LANG_MAX];
    if (hny_export_lang_canon (src, s, sizeof s))
        snprintf (s, sizeof s, "%.35s", src ? src : "?");
    if (hny_export_lang_canon (tgt, t, sizeof t))
        snprintf (t, sizeof t, "%.35s", tgt ? tgt : "?");
    snprintf (pair, sizeof pair, "%s-%s", s, t);
    for (size_t i = 0; i < self->tally_count; i++)
        if (!strcmp (self->tally [i].pair, pair)) {
            self->tally [i].count++;
            return;
        }
    if (self->tally_count == HNY_FILTER_MAX_TALLY) {
        self->others++;
        return;
    }
    snprintf (self->tally [self->tally_count].pair, sizeof self->tally [0].pair, "%s", pair);
    self->tally [self->tally_count++].count = 1;
}

static int
s_state_ok (const hny_export_filter_t *self, int failed)
{
    return self->state == S_ALL || (self->state == S_FAILED) == failed;
}

int
hny_export_filter_listed (hny_export_filter_t *self, const json_t *item, int *tallied)
{
    *tallied = 0;
    const char *state = json_string_value (json_object_get (item, "state"));
    if (!state || (strcmp (state, "done") && strcmp (state, "failed")))
        return 0;               /* not final: no record yet */
    if (!s_state_ok (self, !strcmp (state, "failed")))
        return 0;
    const json_t *finished = json_object_get (item, "finished");
    if (self->since_text && json_is_integer (finished)
        && json_integer_value (finished) < self->since_ms)
        return 0;               /* the record is no later than its job's final state */
    const char *from = json_string_value (json_object_get (item, "from"));
    const char *to = json_string_value (json_object_get (item, "to"));
    if (!from || !to)
        return 1;
    hny_export_filter_tally (self, from, to);
    *tallied = 1;
    char s [S_LANG_MAX], t [S_LANG_MAX];
    if (hny_export_lang_canon (from, s, sizeof s) || hny_export_lang_canon (to, t, sizeof t))
        return !self->pair_spec;
    return s_pair_match (self, s, t);
}

int
hny_export_filter_record (hny_export_filter_t *self, const json_t *record,
                          int64_t listed_finished, int tally, char **why)
{
    if (self->job_count) {
        s_job_t *job = s_job_find (self, json_string_value (json_object_get (record, "job"))
                                             ? json_string_value (json_object_get (record, "job"))
                                             : "");
        if (!job)
            return 0;
        job->seen = 1;
    }
    if (!s_state_ok (self, json_array_size (json_object_get (record, "errors")) > 0))
        return 0;
    if (self->since_text) {
        const json_t *finished = json_object_get (record, "finished");
        int64_t when = json_is_integer (finished) ? json_integer_value (finished) : listed_finished;
        if (when < 0) {
            const char *job = json_string_value (json_object_get (record, "job"));
            *why = hny_sprintf ("--since: the record of job %.64s says not when it was finished "
                                "(a record written before honyaku recorded it); export without "
                                "--since, or choose with --job", job ? job : "?");
            return -1;
        }
        if (when < self->since_ms)
            return 0;
    }
    const char *src = json_string_value (json_object_get (record, "source_lang"));
    const char *tgt = json_string_value (json_object_get (record, "target_lang"));
    if (tally)
        hny_export_filter_tally (self, src, tgt);
    char s [S_LANG_MAX], t [S_LANG_MAX];
    if (hny_export_lang_canon (src, s, sizeof s) || hny_export_lang_canon (tgt, t, sizeof t))
        return !self->pair_spec;    /* the export refuses it with its reason */
    return s_pair_match (self, s, t);
}

static int
s_tally_cmp (const void *a, const void *b)
{
    const s_tally_t *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp (x->pair, y->pair);
}

char *
hny_export_filter_pairs_found (const hny_export_filter_t *self, size_t *distinct)
{
    s_tally_t sorted [HNY_FILTER_MAX_TALLY];
    memcpy (sorted, self->tally, self->tally_count * sizeof *sorted);
    qsort (sorted, self->tally_count, sizeof *sorted, s_tally_cmp);
    hny_buf_t out = HNY_BUF_INIT (64 * 1024);    /* 64 pairs of two 35-byte tags */
    for (size_t i = 0; i < self->tally_count; i++) {
        char count [32];
        snprintf (count, sizeof count, " (%ld)", sorted [i].count);
        hny_buf_adds (&out, i ? ", " : "");
        hny_buf_adds (&out, sorted [i].pair);
        hny_buf_adds (&out, count);
    }
    if (self->others) {
        char part [64];
        snprintf (part, sizeof part, ", and %ld records of other pairs", self->others);
        hny_buf_adds (&out, part);
    }
    if (distinct)
        *distinct = self->tally_count + (self->others > 0);
    return hny_buf_take (&out, NULL);
}

char *
hny_export_filter_describe (const hny_export_filter_t *self)
{
    static const char *states [] = { "done", "failed", "all" };
    hny_buf_t out = HNY_BUF_INIT (64 * 1024);    /* a few short options */
    hny_buf_adds (&out, "--state ");
    hny_buf_adds (&out, states [self->state]);
    if (self->pair_spec) {
        hny_buf_adds (&out, " --pair ");
        hny_buf_adds (&out, self->pair_spec);
    }
    if (self->since_text) {
        hny_buf_adds (&out, " --since ");
        hny_buf_adds (&out, self->since_text);
    }
    for (size_t i = 0; i < self->job_count && i < 5; i++) {
        hny_buf_adds (&out, " --job ");
        hny_buf_adds (&out, self->jobs [i].id);
    }
    if (self->job_count > 5)
        hny_buf_adds (&out, " ...");
    return hny_buf_take (&out, NULL);
}
