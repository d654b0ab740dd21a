/*  hny_state.h: the names honyakud's state is made of, as enums with one
    name table each: job states (PROTOCOL.md section 5), segment states,
    task kinds and error classes (section 5.3). The store keeps the names
    as text; everything in memory uses the enums, so that a state is never
    compared as a string and a typo is a compile error.

    Name functions return static strings; parse functions return -1 for a
    name they do not know. The numbering is internal (never stored). */
#ifndef HNY_STATE_H
#define HNY_STATE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    HNY_JOB_QUEUED,             /* accepted, waiting for a prepare slot */
    HNY_JOB_PREPARING,          /* prepare leased, or its result being loaded */
    HNY_JOB_TRANSLATING,        /* segments loaded; some may be pending */
    HNY_JOB_DONE,               /* final: every segment translated */
    HNY_JOB_FAILED,             /* final: prepare refused it or a segment failed */
    HNY_JOB_STATE_COUNT
} hny_job_state_t;

typedef enum {
    HNY_SEG_PENDING,
    HNY_SEG_DONE,
    HNY_SEG_FAILED,
    HNY_SEG_STATE_COUNT
} hny_seg_state_t;

/* What a job makes (SUBMIT's "kind", PROTOCOL.md 5.1): a translation of
   one article, or the alignment of two articles that translate each other
   (the store knows an align job by its backend, HNY_BACKEND_ALIGNED). */
typedef enum {
    HNY_JOB_TRANSLATE,
    HNY_JOB_ALIGN,
    HNY_JOB_KIND_COUNT
} hny_job_kind_t;

/* Prepare and align tasks go to any worker and wait in one queue; a
   translate task goes to a worker that serves its profile. */
typedef enum {
    HNY_TASK_PREPARE,
    HNY_TASK_TRANSLATE,
    HNY_TASK_ALIGN,             /* an align job's two prepared sides, to the aligner */
    HNY_TASK_KIND_COUNT
} hny_task_kind_t;

/* The class of a segment's failure, as a worker reports it (section 5.3),
   plus "warning" for a translated segment that lost its markup. */
typedef enum {
    HNY_CLASS_TRANSIENT,        /* retry later, with backoff */
    HNY_CLASS_PERMANENT,        /* fails the same way every time */
    HNY_CLASS_PAUSED,           /* the profile cannot serve now (quota, key) */
    HNY_CLASS_WARNING,          /* translated, with something lost */
    HNY_CLASS_COUNT
} hny_err_class_t;

const char *hny_job_state_name (hny_job_state_t state);
int hny_job_state_parse (const char *name);
/* done or failed */
int hny_job_state_final (hny_job_state_t state);
/* preparing or translating: counted in max_jobs_in_flight */
int hny_job_state_active (hny_job_state_t state);

const char *hny_seg_state_name (hny_seg_state_t state);
int hny_seg_state_parse (const char *name);

const char *hny_job_kind_name (hny_job_kind_t kind);
int hny_job_kind_parse (const char *name);
/* The kind of a stored job, from its backend (profile) name. */
hny_job_kind_t hny_job_kind_of_backend (const char *backend);

const char *hny_task_kind_name (hny_task_kind_t kind);
int hny_task_kind_parse (const char *name);

const char *hny_err_class_name (hny_err_class_t cls);
int hny_err_class_parse (const char *name);

#ifdef __cplusplus
}
#endif
#endif
