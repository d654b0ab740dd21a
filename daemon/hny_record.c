/*  hny_record.c: a job's record, assembled a page at a time (see
    hny_record.h). */
#include "hny_record.h"
#include "hny_json.h"

#include <honyaku/proto.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _hny_record_t {
    int64_t job;
    int fail_code;              /* the job failed before it had segments */
    hny_err_class_t fail_class;
    char *fail_reason;
    int para, idx;              /* last segment read (-2: none yet) */
    int open_para;              /* paragraph being written, -2: none */
    int done;                   /* every segment is in */
    hny_buf_t title;            /* the title pair, or empty */
    hny_buf_t paras;            /* "{...}]},{"segments":[..." without the outer brackets */
    hny_buf_t errors;           /* "{...},{...}" */
    int64_t segments, chars, tm_hits;
    json_t *alignment;          /* an align job's "alignment" member, or NULL */
};

/* Append the compact JSON text of value (taken over) to buf. */
static void
s_buf_json (hny_buf_t *buf, json_t *value)
{
    /* json_dumps' bytes, written 2-3 times faster (hny_json.h); one past
       the buffer's room is NULL, and then json_dumps' text is refused by
       the buffer as before */
    char *text = hny_json_dump (value, hny_buf_room (buf) + 1, NULL);
    if (!text)
        text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
    hny_buf_adds (buf, text);
    free (text);
    json_decref (value);
}

hny_record_t *
hny_record_new (int64_t job, int fail_code, hny_err_class_t fail_class, const char *fail_reason)
{
    hny_record_t *self = hny_calloc (1, sizeof *self);
    self->job = job;
    self->fail_code = fail_code;
    self->fail_class = fail_class;
    self->fail_reason = fail_reason ? hny_strdup (fail_reason) : NULL;
    self->para = self->open_para = -2;
    /* the record travels in one RECORD body: no part of it can be larger */
    self->title = self->paras = self->errors = (hny_buf_t) HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    self->done = fail_code != 0;
    return self;
}

void
hny_record_destroy (hny_record_t **self_p)
{
    assert (self_p);
    hny_record_t *self = *self_p;
    if (!self)
        return;
    free (self->fail_reason);
    free (self->title.data);
    free (self->paras.data);
    free (self->errors.data);
    json_decref (self->alignment);
    free (self);
    *self_p = NULL;
}

/* Append s as a JSON string, escaped as jansson's json_dumps escapes it
   (records stay byte for byte what they were; hny_json.h's writer). */
static void
s_buf_string (hny_buf_t *buf, const char *s)
{
    hny_json_put_str (buf, s, strlen (s));
}

/* One segment into the record (12.2, 12.3): its pair written as
   json_pack ("{s:s, s:o, s:b}") and json_dumps wrote it, without building
   it (a record is assembled a page at a time, often). */
/* The part a segment of para goes in (the title for -1), ready for its
   pair: a paragraph opened, or a comma after the pair before. */
static hny_buf_t *
s_part (hny_record_t *self, int para)
{
    if (para < 0) {
        hny_buf_reset (&self->title);
        return &self->title;
    }
    if (para != self->open_para) {
        /* Paragraph numbers are dense: open every one up to this. */
        for (int p = self->open_para < 0 ? 0 : self->open_para + 1; p <= para; p++) {
            hny_buf_adds (&self->paras, self->open_para >= 0 || p > 0 ? "]},{\"segments\":["
                                                                       : "{\"segments\":[");
            self->open_para = p;
        }
    }
    else
        hny_buf_adds (&self->paras, ",");
    return &self->paras;
}

static int
s_row (const hny_segment_row_t *row, void *arg)
{
    hny_record_t *self = arg;
    hny_buf_t *buf = s_part (self, row->para);
    hny_buf_adds (buf, "{\"src\":");
    s_buf_string (buf, row->src);
    hny_buf_adds (buf, ",\"tgt\":");
    if (row->tgt)
        s_buf_string (buf, row->tgt);
    else
        hny_buf_adds (buf, "null");
    hny_buf_adds (buf, row->tm && row->tgt ? ",\"tm\":true" : ",\"tm\":false");
    if (row->tm == HNY_SEG_TM_HUMAN && row->tgt)
        hny_buf_adds (buf, ",\"origin\":\"human\"");
    if (row->backend) {
        hny_buf_adds (buf, ",\"backend\":");
        s_buf_string (buf, row->backend);
    }
    if (row->state == HNY_SEG_DONE && row->err_class == HNY_CLASS_WARNING) {
        hny_buf_adds (buf, ",\"warning\":");
        s_buf_string (buf, row->reason ? row->reason : "warning");
    }
    /* the worker's flags (12.2), stored as the compact JSON array it sent
       once the pipeline checked it (hny_qa_json_valid) */
    if (row->qa && row->qa [0] == '[' && row->tgt && row->state == HNY_SEG_DONE) {
        hny_buf_adds (buf, ",\"qa\":");
        hny_buf_adds (buf, row->qa);
    }
    hny_buf_adds (buf, "}");
    if (row->state == HNY_SEG_FAILED) {
        if (self->errors.len)
            hny_buf_adds (&self->errors, ",");
        s_buf_json (&self->errors, json_pack ("{s:i, s:i, s:i, s:s, s:s}", "paragraph", row->para,
                                              "segment", row->idx, "code", row->code,
                                              "class", row->err_class >= 0 ? hny_err_class_name (row->err_class)
                                                                           : "permanent",
                                              "reason", row->reason ? row->reason : "failed"));
    }
    self->segments++;
    self->chars += (int64_t) hny_utf8_length (row->src, strlen (row->src));
    self->tm_hits += row->tm != 0;
    self->para = row->para;
    self->idx = row->idx;
    return 0;
}

void
hny_record_add (hny_record_t *self, const hny_segment_row_t *row)
{
    s_row (row, self);
}

void
hny_record_add_hit (hny_record_t *self, int para, int idx, const hny_tm_pair_t *pair)
{
    /* s_row's pair for a machine TM hit, done, without flags */
    hny_buf_t *buf = s_part (self, para);
    hny_buf_adds (buf, "{\"src\":");
    hny_buf_add (buf, pair->src, pair->src_len);
    hny_buf_adds (buf, ",\"tgt\":");
    hny_buf_add (buf, pair->tgt, pair->tgt_len);
    hny_buf_adds (buf, ",\"tm\":true}");
    self->segments++;
    self->chars += (int64_t) pair->src_chars;
    self->tm_hits++;
    self->para = para;
    self->idx = idx;
}

void
hny_record_close (hny_record_t *self)
{
    self->done = 1;
}

int
hny_record_read (hny_record_t *self, hny_store_t *store, int limit)
{
    if (self->done)
        return 0;
    int n = hny_store_segments_page (store, self->job, self->para, self->idx, limit, s_row, self);
    if (n < 0)
        return -1;
    self->done = n < limit;
    return !self->done;
}

/* One link as a pair of an align job's record (12.6). */
static void
s_link (hny_record_t *self, hny_buf_t *buf, const json_t *link)
{
    json_t *src = json_object_get (link, "src"), *tgt = json_object_get (link, "tgt");
    s_buf_json (buf, json_pack ("{s:O, s:O, s:b, s:O}", "src", src, "tgt", tgt, "tm", 0,
                                "score", json_object_get (link, "score")));
    self->segments++;
    if (json_is_string (src))
        self->chars += (int64_t) hny_utf8_length (json_string_value (src), json_string_length (src));
}

void
hny_record_set_alignment (hny_record_t *self, const json_t *alignment, json_t *target_metadata)
{
    const json_t *title = json_object_get (alignment, "title");
    if (json_is_object (title))
        s_link (self, &self->title, title);
    size_t p, i;
    const json_t *para, *link;
    int opened = 0;
    json_array_foreach (json_object_get (alignment, "paragraphs"), p, para) {
        const json_t *links = json_object_get (para, "segments");
        if (!json_array_size (links))
            continue;           /* a record's paragraph has a pair at least */
        hny_buf_adds (&self->paras, opened ? "]},{\"segments\":[" : "{\"segments\":[");
        opened = 1;
        json_array_foreach (links, i, link) {
            if (i)
                hny_buf_adds (&self->paras, ",");
            s_link (self, &self->paras, link);
        }
    }
    self->alignment = json_pack ("{s:O, s:O}", "score", json_object_get (alignment, "score"),
                                 "stats", json_object_get (alignment, "stats"));
    json_t *warning = json_object_get (alignment, "warning");
    if (json_is_string (warning))
        json_object_set (self->alignment, "warning", warning);
    json_object_set_new (self->alignment, "target_metadata",
                         target_metadata ? target_metadata : json_object ());
    self->done = 1;
}

/* The record's metadata, in the order of 12.1: prepare's, then the
   client's (but for what only prepare can say), then the client's
   source, then charset, format and replaced from prepare. Caller owns. */
static json_t *
s_metadata (const hny_job_row_t *row)
{
    static const char *const s_prepare_only [] = { "charset", "format", "replaced" };
    json_t *metadata = json_object ();
    /* prepare's output is the whole prepared article; of it only four
       members are wanted: read by hny_json_parse (several times faster
       than jansson), those four handed over */
    cJSON *prepared = row->prepared ? hny_json_parse (row->prepared, strlen (row->prepared),
                                                      SIZE_MAX, HNY_JSON_DEPTH_MAX, 0, NULL) : NULL;
    json_t *pm = hny_json_to_jansson (hny_json_get (prepared, "metadata"));
    if (json_is_object (pm))
        json_object_update (metadata, pm);
    json_decref (pm);
    json_t *given = row->metadata ? json_loads (row->metadata, 0, NULL) : NULL;
    if (json_is_object (given)) {
        for (size_t i = 0; i < 3; i++)
            json_object_del (given, s_prepare_only [i]);
        json_object_update (metadata, given);
    }
    json_decref (given);
    if (row->source)
        json_object_set_new (metadata, "source", json_string (row->source));
    for (size_t i = 0; prepared && i < 3; i++) {
        json_t *v = hny_json_to_jansson (hny_json_get (prepared, s_prepare_only [i]));
        if (v)
            json_object_set_new (metadata, s_prepare_only [i], v);
    }
    cJSON_Delete (prepared);
    return metadata;
}

char *
hny_record_text (hny_record_t *self, const hny_job_row_t *row)
{
    if (self->fail_code) {
        if (self->errors.len)
            hny_buf_adds (&self->errors, ",");
        s_buf_json (&self->errors, json_pack ("{s:n, s:n, s:i, s:s, s:s}", "paragraph", "segment",
                                              "code", self->fail_code,
                                              "class", hny_err_class_name (self->fail_class),
                                              "reason", self->fail_reason ? self->fail_reason : "failed"));
    }
    char job [24];
    snprintf (job, sizeof job, "%lld", (long long) row->id);
    /* Assembled when the job becomes final: now is its finish time (12). */
    int64_t now = hny_clock_wall_ms ();
    json_t *head = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}", "schema", HNY_RECORD_SCHEMA,
                              "job", job, "key", row->key, "source_lang", row->from,
                              "target_lang", row->to, "backend", row->backend,
                              "finished", (json_int_t) now, "metadata", s_metadata (row));
    json_t *stats = json_pack ("{s:I, s:I, s:I, s:I, s:I, s:I}", "segments", (json_int_t) self->segments,
                               "chars", (json_int_t) self->chars,
                               "chars_billed", (json_int_t) row->chars_billed,
                               "tm_hits", (json_int_t) self->tm_hits, "requests", (json_int_t) row->requests,
                               "time_ms", (json_int_t) (now > row->created ? now - row->created : 0));
    /* The head's text without its closing brace, then the long parts. */
    hny_buf_t out = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    s_buf_json (&out, head);
    hny_buf_truncate (&out, out.len ? out.len - 1 : 0);
    hny_buf_adds (&out, ",\"title\":");
    hny_buf_adds (&out, self->title.len ? self->title.data : "null");
    hny_buf_adds (&out, ",\"paragraphs\":[");
    if (self->paras.len) {
        hny_buf_add (&out, self->paras.data, self->paras.len);
        hny_buf_adds (&out, "]}");
    }
    hny_buf_adds (&out, "],\"errors\":[");
    if (self->errors.len)
        hny_buf_add (&out, self->errors.data, self->errors.len);
    hny_buf_adds (&out, "],\"stats\":");
    s_buf_json (&out, stats);
    if (self->alignment) {
        hny_buf_adds (&out, ",\"alignment\":");
        s_buf_json (&out, json_incref (self->alignment));
    }
    hny_buf_adds (&out, "}");
    if (out.toobig || self->title.toobig || self->paras.toobig || self->errors.toobig) {
        hny_buf_free (&out);
        return NULL;
    }
    return out.data;
}
