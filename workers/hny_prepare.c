/*  hny_prepare.c: the prepare pipeline (include/honyaku/prepare.h): size
    cap -> charset (hny_charset) -> extraction (hny_extract, hny_html) ->
    normalization and segmentation of the title and every paragraph -> the
    "honyaku.prepared/1" JSON of proto/PROTOCOL.md. Every `src` is in the
    inline form of hny_markup.h: HTML articles keep bold, italics and links,
    all texts are escaped the same minimal way. The preparer keeps one
    normalizer and one segmenter per language, opened on first use.

    Long articles: the caller's progress hook runs between stages and every
    HNY_PREPARE_PROGRESS_SEGMENTS segments (honyaku-worker, which prepares
    on a thread of its own, cancels through it when it stops), and the
    segment cap (HNY_SEGMENTS_MAX, title included) is checked on
    each paragraph's spans before any JSON is built for them, so that an
    article of a million one-word sentences is refused at the price of the
    first 200000, not built whole (about 480 MiB before this check). */
#include "honyaku/prepare.h"

#include "hny_charset.h"
#include "hny_extract.h"
#include "hny_markup.h"
#include "hny_normalize.h"
#include "hny_segment.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DEFAULT_MAX_BYTES (8u * 1024 * 1024)
#define S_MAX_LANGS 16          /* segmenters cached per preparer */
#define S_LANG_MAX 15           /* bytes in a language tag we accept */

struct _hny_preparer_t {
    hny_normalizer_t *normalizer;       /* NULL until first used */
    struct {
        char lang[S_LANG_MAX + 1];
        hny_segmenter_t *segmenter;
    } cache[S_MAX_LANGS];               /* segmenters by language */
    size_t cached;                      /* entries used in cache */
};

hny_preparer_t *
hny_preparer_new (void)
{
    return hny_calloc (1, sizeof (hny_preparer_t));
}

void
hny_preparer_destroy (hny_preparer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_preparer_t *self = *self_p;
    hny_normalizer_destroy (&self->normalizer);
    for (size_t i = 0; i < self->cached; i++)
        hny_segmenter_destroy (&self->cache[i].segmenter);
    free (self);
    *self_p = NULL;
}

static int
s_lang_valid (const char *lang)
{
    size_t n = strlen (lang);
    if (n == 0 || n > S_LANG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum ((unsigned char) lang[i]) && lang[i] != '-' && lang[i] != '_')
            return 0;
    return 1;
}

/* The segmenter for lang, opened on first use; NULL when ICU fails. When the
   cache is full the oldest entry makes room. */
static hny_segmenter_t *
s_segmenter (hny_preparer_t *self, const char *lang)
{
    for (size_t i = 0; i < self->cached; i++)
        if (strcmp (self->cache[i].lang, lang) == 0)
            return self->cache[i].segmenter;
    hny_segmenter_t *segmenter = hny_segmenter_new (lang);
    if (!segmenter)
        return NULL;
    if (self->cached == S_MAX_LANGS) {
        hny_segmenter_destroy (&self->cache[0].segmenter);
        memmove (self->cache, self->cache + 1, (S_MAX_LANGS - 1) * sizeof self->cache[0]);
        self->cached--;
    }
    snprintf (self->cache[self->cached].lang, sizeof self->cache[0].lang, "%s", lang);
    self->cache[self->cached].segmenter = segmenter;
    self->cached++;
    return segmenter;
}


static json_t *
s_fail (int *status, char **reason, int code, char *message)
{
    *status = code;
    *reason = message;
    return NULL;
}

/* Ask the caller's hook whether to go on: 0 yes, -1 stop. */
static int
s_progress (const hny_prepare_opts_t *opts)
{
    if (opts->progress && opts->progress (opts->progress_arg) != 0)
        return -1;
    return 0;
}

#define S_CANCELLED "prepare cancelled"

static json_t *
s_metadata (const hny_article_t *article, const char *title, const char *source)
{
    json_t *meta = json_object ();
    if (title)
        json_object_set_new (meta, "title", json_string (title));
    if (article->date)
        json_object_set_new (meta, "date", json_string (article->date));
    if (article->issue)
        json_object_set_new (meta, "issue", json_string (article->issue));
    if (article->section)
        json_object_set_new (meta, "section", json_string (article->section));
    if (article->kicker)
        json_object_set_new (meta, "kicker", json_string (article->kicker));
    if (article->author)
        json_object_set_new (meta, "author", json_string (article->author));
    if (source)
        json_object_set_new (meta, "source", json_string (source));
    if (article->related_count) {
        json_t *related = json_array ();
        for (size_t i = 0; i < article->related_count; i++) {
            json_t *item = json_object ();
            json_object_set_new (item, "title", json_string (article->related[i].title));
            if (article->related[i].date)
                json_object_set_new (item, "date", json_string (article->related[i].date));
            json_array_append_new (related, item);
        }
        json_object_set_new (meta, "related", related);
    }
    return meta;
}

json_t *
hny_prepare (hny_preparer_t *self, const uint8_t *data, size_t size,
             const hny_prepare_opts_t *opts, int *status, char **reason)
{
    hny_prepare_opts_t defaults = { 0 };
    if (!opts)
        opts = &defaults;
    const char *lang = opts->lang ? opts->lang : "en";
    size_t max = opts->max_bytes ? opts->max_bytes : S_DEFAULT_MAX_BYTES;
    size_t max_segments = opts->max_segments && opts->max_segments < HNY_SEGMENTS_MAX
                        ? opts->max_segments : HNY_SEGMENTS_MAX;
    *status = 200;
    *reason = NULL;

    if (size > max)
        return s_fail (status, reason, 413,
                       hny_sprintf ("article is %zu bytes, the limit is %zu", size, max));
    if (!s_lang_valid (lang))
        return s_fail (status, reason, 422, hny_strdup ("invalid source language tag"));
    if (opts->source && !hny_utf8_valid (opts->source, strlen (opts->source)))
        return s_fail (status, reason, 422, hny_strdup ("source is not valid UTF-8"));

    hny_charset_info_t info;
    size_t text_len = 0;
    char *text = hny_charset_decode (data ? data : (const uint8_t *) "", size, opts->lenient,
                                     &text_len, &info, status, reason);
    if (!text)
        return NULL;
    if (s_progress (opts) != 0) {
        free (text);
        return s_fail (status, reason, 503, hny_strdup (S_CANCELLED));
    }
    hny_article_t *article = hny_extract (text, text_len, opts->format, opts->source, status, reason);
    free (text);
    if (!article)
        return NULL;
    if (s_progress (opts) != 0) {
        hny_article_destroy (&article);
        return s_fail (status, reason, 503, hny_strdup (S_CANCELLED));
    }

    if (!self->normalizer)
        self->normalizer = hny_normalizer_new ();
    hny_segmenter_t *segmenter = s_segmenter (self, lang);
    if (!self->normalizer || !segmenter) {
        hny_article_destroy (&article);
        return s_fail (status, reason, 500, hny_strdup ("cannot open ICU normalizer or segmenter"));
    }

    size_t chars = 0, bytes = 0, segments = 0;
    /* the title: normalized, one segment */
    char *title = NULL;
    if (article->title) {
        size_t len = 0;
        title = hny_normalize (self->normalizer, article->title, strlen (article->title), &len);
        if (!title) {
            hny_article_destroy (&article);
            return s_fail (status, reason, 500, hny_strdup ("normalization failed"));
        }
        if (len == 0)
            hny_free (&title);
        else {
            /* metadata.title stays plain; title.src is in the inline form */
            size_t src_len = 0;
            char *src = hny_markup_escape (title, len, &src_len);
            chars += hny_utf8_length (src, src_len);
            bytes += src_len;
            free (src);
        }
    }
    /* The title is a segment too (record.h: HNY_SEGMENTS_MAX). */
    size_t counted = title ? 1 : 0;
    json_t *paragraphs = json_array ();
    int fail_code = 0;          /* non-zero: stop with this status and fail_reason */
    char *fail_reason = NULL;
    for (size_t p = 0; p < article->paragraph_count && !fail_code; p++) {
        if (s_progress (opts) != 0) {
            fail_code = 503;
            fail_reason = hny_strdup (S_CANCELLED);
            break;
        }
        const char *raw = article->paragraphs[p];
        size_t len = 0;
        char *norm = hny_normalize (self->normalizer, raw, strlen (raw), &len);
        if (!norm) {
            fail_code = 500;
            break;
        }
        /* Segment the plain text; each segment's src is the inline form of
           its range, elements cut by a sentence boundary closed and
           reopened (hny_markup_render). Plain articles are escaped only. */
        if (!article->markup) {
            char *escaped = hny_markup_escape (norm, len, &len);
            free (norm);
            norm = escaped;
        }
        hny_markup_t *markup = hny_markup_parse (norm, len);
        size_t plain_len = 0;
        const char *plain = hny_markup_text (markup, &plain_len);
        hny_span_t *spans = NULL;
        size_t n = hny_segment (segmenter, plain, plain_len, &spans);
        if (n == (size_t) -1) {
            hny_markup_destroy (&markup);
            free (norm);
            fail_code = 500;
            break;
        }
        /* A segmenter bug must not read out of bounds: empty or stray
           spans are skipped, here and in the cap. */
        size_t usable = 0;
        for (size_t s = 0; s < n; s++)
            if (spans[s].offset <= plain_len && spans[s].length <= plain_len - spans[s].offset
                && spans[s].length > 0)
                spans[usable++] = spans[s];
        /* The cap before the paragraph's JSON exists: the rest of the
           article is never built. */
        if (usable > max_segments - counted) {
            hny_markup_destroy (&markup);
            free (spans);
            free (norm);
            fail_code = 413;
            fail_reason = hny_sprintf ("article has more than %zu segments", max_segments);
            break;
        }
        counted += usable;
        json_t *segs = json_array ();
        for (size_t s = 0; s < usable && !fail_code; s++) {
            if (s > 0 && s % HNY_PREPARE_PROGRESS_SEGMENTS == 0 && s_progress (opts) != 0) {
                fail_code = 503;
                fail_reason = hny_strdup (S_CANCELLED);
                break;
            }
            size_t src_len = 0;
            char *inline_src = hny_markup_render (markup, spans[s].offset,
                                                  spans[s].offset + spans[s].length, &src_len);
            /* checked by hny_utf8_valid (eight ASCII bytes a step) rather
               than jansson's own check, a character at a time */
            json_t *src = hny_utf8_valid (inline_src, src_len) ? json_stringn_nocheck (inline_src, src_len)
                          : NULL;
            free (inline_src);
            if (!src)
                continue;
            json_t *seg = json_object ();
            json_object_set_new (seg, "src", src);
            json_array_append_new (segs, seg);
            chars += hny_utf8_length (json_string_value (src), src_len);
            bytes += src_len;
            segments++;
        }
        hny_markup_destroy (&markup);
        free (spans);
        free (norm);
        if (fail_code || json_array_size (segs) == 0) {
            json_decref (segs);
            continue;
        }
        json_t *para = json_object ();
        json_object_set_new (para, "segments", segs);
        json_array_append_new (paragraphs, para);
    }
    if (fail_code || json_array_size (paragraphs) == 0) {
        json_decref (paragraphs);
        free (title);
        hny_article_destroy (&article);
        if (fail_code)
            return s_fail (status, reason, fail_code, fail_reason ? fail_reason
                           : hny_strdup ("normalization or segmentation failed"));
        return s_fail (status, reason, 422, hny_strdup ("no article text found"));
    }

    json_t *out = json_object ();
    json_object_set_new (out, "schema", json_string ("honyaku.prepared/1"));
    json_object_set_new (out, "format", json_string (article->format));
    json_object_set_new (out, "charset", json_string (info.charset));
    json_object_set_new (out, "replaced", json_integer ((json_int_t) info.replaced));
    json_object_set_new (out, "metadata", s_metadata (article, title, opts->source));
    if (title) {
        json_t *t = json_object ();
        char *escaped = hny_markup_escape (title, strlen (title), NULL);
        json_object_set_new (t, "src", json_string (escaped));
        free (escaped);
        json_object_set_new (out, "title", t);
    }
    else
        json_object_set_new (out, "title", json_null ());
    json_t *stats = json_object ();
    json_object_set_new (stats, "paragraphs", json_integer ((json_int_t) json_array_size (paragraphs)));
    json_object_set_new (stats, "segments", json_integer ((json_int_t) segments));
    json_object_set_new (stats, "chars", json_integer ((json_int_t) chars));
    json_object_set_new (stats, "bytes", json_integer ((json_int_t) bytes));
    json_object_set_new (out, "paragraphs", paragraphs);
    json_object_set_new (out, "stats", stats);
    hny_debug ("prepared %s article (%s): %zu paragraphs, %zu segments",
               article->format, info.charset, json_array_size (paragraphs), segments);
    free (title);
    hny_article_destroy (&article);
    *status = 200;
    return out;
}
