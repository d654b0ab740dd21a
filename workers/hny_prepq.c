/*  hny_prepq.c: prepare and align tasks on one background thread
    (hny_prepq.h).

    Two lists under one mutex: jobs waiting for the thread, and results
    waiting for the loop. The thread sleeps on a condition variable while
    it has nothing to do; each result it adds writes one byte to a pipe,
    and the loop empties the pipe before it looks at the list, so that a
    result added meanwhile wakes it again. Cancellation is one atomic flag
    that hny_prepare's progress hook reads. */
#include "hny_prepq.h"
#ifdef HNY_HAVE_ALIGN
#include "hny_align.h"
#include "hny_json.h"
#endif

#include <honyaku/proto.h>
#include <honyaku/util.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct _s_job_t s_job_t;
struct _s_job_t {
    s_job_t *next;
    char *task;                 /* owned */
    uint8_t *data;              /* owned copy of the article */
    size_t size;
    char *format, *lang, *source;   /* owned copies; may be NULL */
    int lenient;
    size_t max_bytes, max_segments;
    int align;                  /* an align task: data is its body, lang and to the sides' */
    char *to;
};

typedef struct _s_done_t s_done_t;
struct _s_done_t {
    s_done_t *next;
    hny_prepq_done_t *done;     /* owned */
};

struct _hny_prepq_t {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* signalled when a job is added or stop is set */
    atomic_int stop;            /* 1: the thread leaves, the running prepare stops */
    s_job_t *jobs, *jobs_tail;  /* waiting for the thread (under lock) */
    s_done_t *done, *done_tail; /* waiting for the loop (under lock) */
    size_t held;                /* jobs added and not fetched as results (under lock) */
    size_t max_jobs;
    int pipe[2];                /* the thread writes [1] when a result is ready */
    hny_preparer_t *preparer;   /* the thread's alone */
#ifdef HNY_HAVE_ALIGN
    hny_lexicon_t *lexicon;     /* the thread's alone, from its first align task */
    hny_aligner_t *aligner;     /* NULL until then */
#endif
};

static void
s_job_destroy (s_job_t **job_p)
{
    s_job_t *job = *job_p;
    if (!job)
        return;
    free (job->task);
    free (job->data);
    free (job->format);
    free (job->lang);
    free (job->source);
    free (job->to);
    free (job);
    *job_p = NULL;
}

void
hny_prepq_done_destroy (hny_prepq_done_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_prepq_done_t *self = *self_p;
    free (self->task);
    free (self->reason);
    free (self->body);
    free (self->note);
    free (self);
    *self_p = NULL;
}

/* hny_prepare's progress hook: stop as soon as the queue is destroyed. */
static int
s_cancelled (void *arg)
{
    hny_prepq_t *self = arg;
    return atomic_load (&self->stop);
}

/* An align task on the thread: the lexicon the first time, then the
   alignment of the body's two prepared articles. */
static void
s_run_align (hny_prepq_t *self, s_job_t *job, hny_prepq_done_t *done)
{
    done->align = 1;
#ifdef HNY_HAVE_ALIGN
    if (!self->aligner) {
        /* Debian's paths; a part that is not installed is left out (the
           aligner then has lengths and anchors only) and the note says so. */
        int64_t start = hny_clock_mono_ms ();
        char *error = NULL;
        self->lexicon = hny_lexicon_new (NULL, &error);
        self->aligner = hny_aligner_new (self->lexicon);
        done->note = self->lexicon
                   ? hny_sprintf ("aligner ready in %lld ms: %s", (long long) (hny_clock_mono_ms () - start),
                                  hny_lexicon_describe (self->lexicon))
                   : hny_sprintf ("aligner ready without its lexicon: %s", error ? error : "cannot load it");
        free (error);
    }
    json_error_t jerr;
    json_t *doc = json_loadb ((const char *) job->data, job->size, JSON_REJECT_DUPLICATES, &jerr);
    json_t *src = json_object_get (doc, "src"), *tgt = json_object_get (doc, "tgt");
    int status = 500;
    char *reason = NULL;
    json_t *out = NULL;
    if (!json_is_object (src) || !json_is_object (tgt) || !job->lang || !job->to) {
        status = 400;
        reason = hny_strdup (!job->lang || !job->to ? "align task needs from and to"
                                                    : "align task body is not {\"src\": article, \"tgt\": article}");
    }
    else
        out = hny_align_prepared (self->aligner, src, job->lang, tgt, job->to, &status, &reason);
    json_decref (doc);
    if (out) {
        done->score = json_number_value (json_object_get (out, "score"));
        done->segments = json_integer_value (json_object_get (json_object_get (out, "stats"), "links"));
        done->body = hny_json_dump (out, HNY_PROTO_BODY_MAX, &done->body_size);
        json_decref (out);
        done->status = done->body ? 200 : 500;
        if (!done->body)
            done->reason = hny_strdup ("cannot encode the alignment");
        return;
    }
    done->status = status >= 400 && status <= 599 ? status : 500;
    done->reason = reason ? reason : hny_strdup ("align failed");
#else
    (void) self;
    (void) job;
    done->status = 503;
    done->reason = hny_strdup ("this worker was built without the aligner");
#endif
}

/* Run one job on the thread; never returns NULL. */
static hny_prepq_done_t *
s_run (hny_prepq_t *self, s_job_t *job)
{
    hny_prepq_done_t *done = hny_calloc (1, sizeof *done);
    done->task = job->task;
    job->task = NULL;
    done->bytes = job->size;
    if (job->align) {
        int64_t began = hny_clock_mono_ms ();
        s_run_align (self, job, done);
        done->elapsed_ms = hny_clock_mono_ms () - began;
        return done;
    }
    hny_prepare_opts_t opts = {
        .format = job->format,
        .lang = job->lang,
        .source = job->source,
        .lenient = job->lenient,
        .max_bytes = job->max_bytes,
        .max_segments = job->max_segments,
        .progress = s_cancelled,
        .progress_arg = self,
    };
    int64_t start = hny_clock_mono_ms ();
    int status = 500;
    char *reason = NULL;
    json_t *prepared = hny_prepare (self->preparer, job->data ? job->data : (const uint8_t *) "",
                                    job->size, &opts, &status, &reason);
    if (prepared) {
        done->segments = (int64_t) json_integer_value (
            json_object_get (json_object_get (prepared, "stats"), "segments"));
        /* json_dumps' bytes, written 2-3 times faster (hny_json.h) */
        done->body = hny_json_dump (prepared, HNY_PROTO_BODY_MAX, &done->body_size);
        json_decref (prepared);
        if (done->body)
            done->status = 200;
        else {
            done->status = 500;
            done->reason = hny_strdup ("cannot encode the prepared article");
        }
    }
    else {
        /* hny_prepare promises a protocol status; anything else is ours */
        done->status = status >= 400 && status <= 599 ? status : 500;
        done->reason = reason ? reason : hny_strdup ("prepare failed");
        reason = NULL;
    }
    free (reason);
    done->elapsed_ms = hny_clock_mono_ms () - start;
    return done;
}

static void *
s_thread (void *arg)
{
    hny_prepq_t *self = arg;
    pthread_mutex_lock (&self->lock);
    for (;;) {
        while (!self->jobs && !atomic_load (&self->stop))
            pthread_cond_wait (&self->wake, &self->lock);
        if (atomic_load (&self->stop))
            break;
        s_job_t *job = self->jobs;
        self->jobs = job->next;
        if (!self->jobs)
            self->jobs_tail = NULL;
        pthread_mutex_unlock (&self->lock);

        s_done_t *item = hny_calloc (1, sizeof *item);
        item->done = s_run (self, job);
        s_job_destroy (&job);

        pthread_mutex_lock (&self->lock);
        if (self->done_tail)
            self->done_tail->next = item;
        else
            self->done = item;
        self->done_tail = item;
        /* A full pipe already wakes the loop: the byte may be dropped. */
        char c = 1;
        ssize_t n = write (self->pipe[1], &c, 1);
        (void) n;
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

hny_prepq_t *
hny_prepq_new (size_t max_jobs)
{
    hny_prepq_t *self = hny_calloc (1, sizeof *self);
    self->max_jobs = max_jobs ? max_jobs : 1;
    self->pipe[0] = self->pipe[1] = -1;
    atomic_init (&self->stop, 0);
    self->preparer = hny_preparer_new ();
    if (!self->preparer || pipe2 (self->pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        goto fail;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    /* Signals are the loop's (its handler wakes its poll): the thread
       starts with all of them blocked and keeps them so. */
    sigset_t all, old;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, &old);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    pthread_sigmask (SIG_SETMASK, &old, NULL);
    if (rc == 0)
        return self;
    hny_error ("cannot start the prepare thread: %s", strerror (rc));
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
fail:
    hny_preparer_destroy (&self->preparer);
    if (self->pipe[0] >= 0) {
        close (self->pipe[0]);
        close (self->pipe[1]);
    }
    free (self);
    return NULL;
}

void
hny_prepq_destroy (hny_prepq_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_prepq_t *self = *self_p;
    pthread_mutex_lock (&self->lock);
    atomic_store (&self->stop, 1);
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    while (self->jobs) {
        s_job_t *job = self->jobs;
        self->jobs = job->next;
        s_job_destroy (&job);
    }
    while (self->done) {
        s_done_t *item = self->done;
        self->done = item->next;
        hny_prepq_done_destroy (&item->done);
        free (item);
    }
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    hny_preparer_destroy (&self->preparer);
#ifdef HNY_HAVE_ALIGN
    hny_aligner_destroy (&self->aligner);
    hny_lexicon_destroy (&self->lexicon);
#endif
    close (self->pipe[0]);
    close (self->pipe[1]);
    free (self);
    *self_p = NULL;
}

int
hny_prepq_fd (const hny_prepq_t *self)
{
    return self->pipe[0];
}

static char *
s_strdup_or_null (const char *s)
{
    return s ? hny_strdup (s) : NULL;
}

/* A job for task with a copy of its bytes. */
static s_job_t *
s_job_new (const char *task, const uint8_t *data, size_t size)
{
    s_job_t *job = hny_calloc (1, sizeof *job);
    job->task = hny_strdup (task);
    job->data = hny_malloc (size ? size : 1);
    if (size)
        memcpy (job->data, data, size);
    job->size = size;
    return job;
}

/* Hand a job to the thread; -1 (job destroyed) when max_jobs are held. */
static int
s_add (hny_prepq_t *self, s_job_t *job)
{
    pthread_mutex_lock (&self->lock);
    if (self->held >= self->max_jobs) {
        pthread_mutex_unlock (&self->lock);
        s_job_destroy (&job);
        return -1;
    }
    self->held++;
    if (self->jobs_tail)
        self->jobs_tail->next = job;
    else
        self->jobs = job;
    self->jobs_tail = job;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

int
hny_prepq_add (hny_prepq_t *self, const char *task, const uint8_t *data, size_t size,
               const hny_prepare_opts_t *opts)
{
    hny_prepare_opts_t none = { 0 };
    if (!opts)
        opts = &none;
    s_job_t *job = s_job_new (task, data, size);
    job->format = s_strdup_or_null (opts->format);
    job->lang = s_strdup_or_null (opts->lang);
    job->source = s_strdup_or_null (opts->source);
    job->lenient = opts->lenient;
    job->max_bytes = opts->max_bytes;
    job->max_segments = opts->max_segments;
    return s_add (self, job);
}

int
hny_prepq_add_align (hny_prepq_t *self, const char *task, const uint8_t *body, size_t size,
                     const char *from, const char *to)
{
    s_job_t *job = s_job_new (task, body, size);
    job->align = 1;
    job->lang = s_strdup_or_null (from);
    job->to = s_strdup_or_null (to);
    return s_add (self, job);
}

hny_prepq_done_t *
hny_prepq_next (hny_prepq_t *self)
{
    /* Empty the pipe first: a result added after this read writes again. */
    char buf[64];
    while (read (self->pipe[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock (&self->lock);
    s_done_t *item = self->done;
    if (item) {
        self->done = item->next;
        if (!self->done)
            self->done_tail = NULL;
        self->held--;
    }
    pthread_mutex_unlock (&self->lock);
    if (!item)
        return NULL;
    hny_prepq_done_t *done = item->done;
    free (item);
    return done;
}
