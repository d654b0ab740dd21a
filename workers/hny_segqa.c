/*  hny_segqa.c: checks of translated segments in the worker (hny_segqa.h). */
#include "hny_segqa.h"
#include "hny_glossary.h"
#include "hny_json.h"

#include <honyaku/qa.h>
#include <honyaku/util.h>

#include <assert.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *profile, *from, *to;
    hny_qa_t *qa;
} s_entry_t;

struct _hny_segqa_t {
    s_entry_t entries [HNY_SEGQA_CACHE_MAX];
    size_t count;
    size_t next;                /* the entry replaced when the cache is full */
};

hny_segqa_t *
hny_segqa_new (void)
{
    return hny_calloc (1, sizeof (hny_segqa_t));
}

static void
s_entry_clear (s_entry_t *e)
{
    free (e->profile);
    free (e->from);
    free (e->to);
    hny_qa_destroy (&e->qa);
    memset (e, 0, sizeof *e);
}

void
hny_segqa_destroy (hny_segqa_t **self_p)
{
    assert (self_p);
    hny_segqa_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        s_entry_clear (&self->entries [i]);
    free (self);
    *self_p = NULL;
}

/* The checker of a profile and pair, made (with the glossary's terms)
   the first time. A glossary that does not read leaves the checker
   without terms: the profile's backend refused to start on it already,
   so this only happens when the file changed since. */
static hny_qa_t *
s_checker (hny_segqa_t *self, const hny_profile_t *profile, const char *from, const char *to)
{
    for (size_t i = 0; i < self->count; i++) {
        s_entry_t *e = &self->entries [i];
        if (strcmp (e->profile, profile->name) == 0 && strcmp (e->from, from) == 0 && strcmp (e->to, to) == 0)
            return e->qa;
    }
    s_entry_t *e;
    if (self->count < HNY_SEGQA_CACHE_MAX)
        e = &self->entries [self->count++];
    else {
        e = &self->entries [self->next];
        self->next = (self->next + 1) % HNY_SEGQA_CACHE_MAX;
        s_entry_clear (e);
    }
    e->profile = hny_strdup (profile->name);
    e->from = hny_strdup (from);
    e->to = hny_strdup (to);
    e->qa = hny_qa_new (from, to);
    if (profile->glossary && *profile->glossary) {
        char *error = NULL;
        hny_glossary_t *glossary = hny_glossary_load (profile->glossary, &error);
        if (!glossary)
            hny_warn ("%s: checks without the glossary: %s", profile->name, error ? error : "unreadable");
        for (size_t i = 0; glossary && i < hny_glossary_size (glossary); i++)
            hny_qa_term (e->qa, hny_glossary_source (glossary, i), hny_glossary_target (glossary, i));
        hny_glossary_destroy (&glossary);
        free (error);
    }
    return e->qa;
}

/* The flags as the JSON text of a "qa" array, as json_dumps wrote
   hny_qa_json's value (a flag whose text is not UTF-8 left out, as
   json_pack left it out); NULL when none is left. */
static char *
s_qa_text (const hny_qa_flag_t *flags, size_t count)
{
    /* 8 flags of 16 + 64 + 160 bytes, each escaped at most 6-fold */
    hny_buf_t buf = HNY_BUF_INIT (HNY_QA_MAX_FLAGS * 6 * (HNY_QA_CHECK_MAX + HNY_QA_WHAT_MAX + HNY_QA_DETAIL_MAX + 64));
    hny_buf_add (&buf, "[", 1);
    int first = 1;
    for (size_t i = 0; i < count; i++) {
        const char *check = hny_qa_check_name (flags [i].check);
        size_t what = strlen (flags [i].what), detail = strlen (flags [i].detail);
        if (!hny_utf8_valid (flags [i].what, what) || !hny_utf8_valid (flags [i].detail, detail))
            continue;
        hny_buf_add (&buf, first ? "{" : ",{", first ? 1 : 2);
        hny_json_put_key (&buf, "check", 1);
        hny_json_put_str (&buf, check, strlen (check));
        hny_json_put_key (&buf, "what", 0);
        hny_json_put_str (&buf, flags [i].what, what);
        hny_json_put_key (&buf, "detail", 0);
        hny_json_put_str (&buf, flags [i].detail, detail);
        hny_buf_add (&buf, "}", 1);
        first = 0;
    }
    if (first || hny_buf_add (&buf, "]", 1) < 0) {
        hny_buf_free (&buf);
        return NULL;
    }
    return hny_buf_take (&buf, NULL);
}

size_t
hny_segqa_annotate (hny_segqa_t *self, const hny_profile_t *profile, hny_batch_t *batch)
{
    hny_qa_t *qa = s_checker (self, profile, hny_batch_from (batch), hny_batch_to (batch));
    size_t flagged = 0;
    for (size_t i = 0; i < hny_batch_size (batch); i++) {
        const char *tgt = hny_batch_tgt (batch, i);
        if (!tgt)
            continue;
        char *src = hny_batch_src_inline (batch, i);
        hny_qa_flag_t flags [HNY_QA_MAX_FLAGS];
        size_t n = hny_qa_run (qa, src, strlen (src), tgt, strlen (tgt), flags);
        free (src);
        if (!n)
            continue;
        hny_batch_set_qa (batch, i, s_qa_text (flags, n));
        flagged++;
    }
    return flagged;
}
