/*  hny_state.c: name tables of honyakud's enums (see hny_state.h). */
#include "hny_state.h"

#include <honyaku/record.h>

#include <stddef.h>
#include <string.h>

static const char *const s_job_states [HNY_JOB_STATE_COUNT] = {
    "queued", "preparing", "translating", "done", "failed",
};
static const char *const s_seg_states [HNY_SEG_STATE_COUNT] = { "pending", "done", "failed" };
static const char *const s_job_kinds [HNY_JOB_KIND_COUNT] = { "translate", "align" };
static const char *const s_task_kinds [HNY_TASK_KIND_COUNT] = { "prepare", "translate", "align" };
static const char *const s_classes [HNY_CLASS_COUNT] = {
    "transient", "permanent", "paused", "warning",
};

/* Index of name in a table of count names, or -1. */
static int
s_parse (const char *const *table, int count, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < count; i++)
        if (strcmp (table [i], name) == 0)
            return i;
    return -1;
}

static const char *
s_name (const char *const *table, int count, int value)
{
    return value >= 0 && value < count ? table [value] : "?";
}

const char *
hny_job_state_name (hny_job_state_t state)
{
    return s_name (s_job_states, HNY_JOB_STATE_COUNT, (int) state);
}

int
hny_job_state_parse (const char *name)
{
    return s_parse (s_job_states, HNY_JOB_STATE_COUNT, name);
}

int
hny_job_state_final (hny_job_state_t state)
{
    return state == HNY_JOB_DONE || state == HNY_JOB_FAILED;
}

int
hny_job_state_active (hny_job_state_t state)
{
    return state == HNY_JOB_PREPARING || state == HNY_JOB_TRANSLATING;
}

const char *
hny_seg_state_name (hny_seg_state_t state)
{
    return s_name (s_seg_states, HNY_SEG_STATE_COUNT, (int) state);
}

int
hny_seg_state_parse (const char *name)
{
    return s_parse (s_seg_states, HNY_SEG_STATE_COUNT, name);
}

const char *
hny_job_kind_name (hny_job_kind_t kind)
{
    return s_name (s_job_kinds, HNY_JOB_KIND_COUNT, (int) kind);
}

int
hny_job_kind_parse (const char *name)
{
    return s_parse (s_job_kinds, HNY_JOB_KIND_COUNT, name);
}

hny_job_kind_t
hny_job_kind_of_backend (const char *backend)
{
    return backend && strcmp (backend, HNY_BACKEND_ALIGNED) == 0 ? HNY_JOB_ALIGN : HNY_JOB_TRANSLATE;
}

const char *
hny_task_kind_name (hny_task_kind_t kind)
{
    return s_name (s_task_kinds, HNY_TASK_KIND_COUNT, (int) kind);
}

int
hny_task_kind_parse (const char *name)
{
    return s_parse (s_task_kinds, HNY_TASK_KIND_COUNT, name);
}

const char *
hny_err_class_name (hny_err_class_t cls)
{
    return s_name (s_classes, HNY_CLASS_COUNT, (int) cls);
}

int
hny_err_class_parse (const char *name)
{
    return s_parse (s_classes, HNY_CLASS_COUNT, name);
}
