/*  hny_alignjob.c: texts and checks of align jobs (see hny_alignjob.h). */
#include "hny_alignjob.h"

#include <honyaku/proto.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* JSON bytes an align result spends per link besides its texts: the
   member names, quotes, escapes of a short sentence, the score. */
#define S_LINK_SLACK    256
#define S_RESULT_MIN    (64 << 10)      /* room for the score, stats and warning */

int
hny_alignjob_blank (const uint8_t *data, size_t size)
{
    size_t i = 0;
    while (i < size) {
        if (data [i] == ' ' || data [i] == '\t' || data [i] == '\n' || data [i] == '\r'
        ||  data [i] == '\f' || data [i] == '\v')
            i++;
        else if (i + 3 <= size && !memcmp (data + i, "\xef\xbb\xbf", 3))
            i += 3;             /* U+FEFF, a byte order mark */
        else if (i + 3 <= size && !memcmp (data + i, "\xe3\x80\x80", 3))
            i += 3;             /* U+3000, the ideographic space */
        else if (i + 2 <= size && !memcmp (data + i, "\xc2\xa0", 2))
            i += 2;             /* U+00A0 */
        else
            return 0;
    }
    return 1;
}

const char *
hny_alignjob_empty_side (void)
{
    /* Not a prepared article of section 11 (that has a paragraph at least):
       the aligner's view of a side without sentences. */
    return "{\"schema\":\"" HNY_PREPARED_SCHEMA "\",\"title\":null,\"paragraphs\":[]}";
}

int
hny_alignjob_next_side (const hny_align_row_t *row)
{
    return !row->prepared [0] ? 0 : !row->prepared [1] ? 1 : -1;
}

int
hny_alignjob_check_side (const json_t *art, const char *lang, int *status, char **reason,
                         const char **why)
{
    /* The aligner's count: the paragraphs' segments, not the title. */
    size_t count = 0, i, k;
    const json_t *para, *seg;
    json_array_foreach (json_object_get (art, "paragraphs"), i, para) {
        const json_t *segs = json_object_get (para, "segments");
        json_array_foreach (segs, k, seg)
            if (!json_is_string (json_object_get (seg, "src"))) {
                *why = "prepare result has a segment without src";
                return -1;
            }
        count += json_array_size (segs);
    }
    if (count > HNY_ALIGN_SENTENCES_MAX) {
        *status = HNY_STATUS_TOO_LARGE;
        *reason = hny_sprintf ("the %s side has %zu sentences, more than the %d an alignment takes",
                               lang, count, HNY_ALIGN_SENTENCES_MAX);
        return 1;
    }
    return 0;
}

json_t *
hny_alignjob_kept (const char *prepared)
{
    static const char *const names [] = { "metadata", "charset", "format", "replaced" };
    json_t *keep = json_object ();
    json_t *art = prepared ? json_loads (prepared, 0, NULL) : NULL;
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        if (json_object_get (art, names [i]))
            json_object_set (keep, names [i], json_object_get (art, names [i]));
    json_decref (art);
    return keep;
}

json_t *
hny_alignjob_target_metadata (const hny_align_row_t *row)
{
    /* As the record's metadata (12.1) is built for the source: prepare's
       members, the path, then what prepare did (present together). */
    json_t *kept = hny_alignjob_kept (row->prepared [1]);
    json_t *metadata = json_object ();
    json_t *found = json_object_get (kept, "metadata");
    if (json_is_object (found))
        json_object_update (metadata, found);
    if (row->target_source)
        json_object_set_new (metadata, "source", json_string (row->target_source));
    if (json_object_get (kept, "charset") && json_object_get (kept, "format")
    &&  json_object_get (kept, "replaced")) {
        json_object_set (metadata, "charset", json_object_get (kept, "charset"));
        json_object_set (metadata, "format", json_object_get (kept, "format"));
        json_object_set (metadata, "replaced", json_object_get (kept, "replaced"));
    }
    json_decref (kept);
    return metadata;
}

char *
hny_alignjob_task_body (const hny_align_row_t *row, size_t *size)
{
    if (!row->prepared [0] || !row->prepared [1])
        return NULL;
    /* Both texts were checked as JSON when they were kept. */
    size_t a = strlen (row->prepared [0]), b = strlen (row->prepared [1]);
    size_t total = a + b + sizeof "{\"src\":,\"tgt\":}" - 1;
    if (total > (size_t) HNY_PROTO_BODY_MAX)
        return NULL;
    char *body = hny_malloc (total + 1);
    snprintf (body, total + 1, "{\"src\":%s,\"tgt\":%s}", row->prepared [0], row->prepared [1]);
    *size = total;
    return body;
}

char *
hny_alignjob_with_mt (const char *prepared, const json_t *tgts)
{
    json_t *art = json_loads (prepared, 0, NULL);
    if (!json_is_object (art))
        goto done;
    char key [48];              /* two size_t and a dot */
    json_t *title = json_object_get (art, "title");
    const json_t *mt = json_object_get (tgts, "-1.0");
    if (json_is_object (title) && mt)
        json_object_set (title, "mt", (json_t *) mt);
    size_t p, k;
    json_t *para, *seg;
    json_array_foreach (json_object_get (art, "paragraphs"), p, para)
        json_array_foreach (json_object_get (para, "segments"), k, seg) {
            snprintf (key, sizeof key, "%zu.%zu", p, k);
            if ((mt = json_object_get (tgts, key)) && json_is_object (seg))
                json_object_set (seg, "mt", (json_t *) mt);
        }
    char *text = json_dumps (art, JSON_COMPACT);
    json_decref (art);
    return text;
done:
    json_decref (art);
    return NULL;
}

/* A link of the aligner: {"src": str|null, "tgt": str|null, "score": 0..1},
   at least one side. */
static int
s_link_ok (const json_t *link)
{
    const json_t *src = json_object_get (link, "src"), *tgt = json_object_get (link, "tgt");
    const json_t *score = json_object_get (link, "score");
    int sides = json_is_string (src) + json_is_string (tgt);
    return json_is_object (link) && src && tgt && (json_is_string (src) || json_is_null (src))
        && (json_is_string (tgt) || json_is_null (tgt)) && sides > 0 && json_is_number (score)
        && json_number_value (score) >= 0 && json_number_value (score) <= 1;
}

json_t *
hny_alignjob_result (const uint8_t *body, size_t size, size_t task_body_size, const char **why)
{
    /* Every sentence comes back once, in a link: at most the texts again
       and, per link, a bounded overhead; links are at most the sentences
       of both sides plus the title. */
    size_t cap = 2 * task_body_size + S_RESULT_MIN
               + (size_t) S_LINK_SLACK * (2 * (size_t) HNY_ALIGN_SENTENCES_MAX + 1);
    if (size > cap) {
        *why = "align result over its size cap";
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = body ? json_loadb ((const char *) body, size, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    const json_t *paras = json_object_get (doc, "paragraphs");
    const json_t *title = json_object_get (doc, "title");
    const json_t *score = json_object_get (doc, "score");
    const json_t *warning = json_object_get (doc, "warning");
    *why = NULL;
    if (!json_is_object (doc) || !json_is_array (paras) || !json_is_number (score)
    ||  !isfinite (json_number_value (score)) || !json_is_object (json_object_get (doc, "stats"))
    ||  (warning && !json_is_string (warning)) || (title && !json_is_null (title) && !s_link_ok (title)))
        *why = "align result is not an alignment";
    size_t p, i;
    const json_t *para, *link;
    json_array_foreach (paras, p, para) {
        const json_t *links = json_object_get (para, "segments");
        if (*why || !json_is_array (links)) {
            *why = "align result is not an alignment";
            break;
        }
        json_array_foreach (links, i, link)
            if (!s_link_ok (link)) {
                *why = "align result has a malformed link";
                break;
            }
    }
    if (*why) {
        json_decref (doc);
        return NULL;
    }
    return doc;
}
