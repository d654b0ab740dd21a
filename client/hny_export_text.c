/*  hny_export_text.c: the record export's writers for people and for
    training tools: a side-by-side HTML page (through the xmlTextWriter
    wrappers of hny_export_xml.h, with links restricted to safe schemes) and
    Moses line-aligned plain text (one file per language side, renamed into
    place by hny_export_moses_finish). */
#include "hny_export_text.h"
#include "hny_export_priv.h"
#include "hny_export_xml.h"
#include "honyaku/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- HTML ------------------------------------------------------------- */

static const char s_css [] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;width:100%;margin-bottom:2em}"
    "th,td{vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd;width:50%}"
    "tr.p td{border-top:2px solid #999}"
    "tr.title td{font-weight:bold;font-size:1.1em}"
    "tr.failed td{background:#fdd}"
    ".reason{color:#a00;font-style:italic}"
    ".meta{color:#666;font-size:.9em}";

/* True when a link may be followed from the page: http, https, mailto or
   a relative reference, and no control characters (which URL parsers drop,
   hiding a scheme such as java\nscript:). */
static int
s_href_safe (const char *href)
{
    for (const unsigned char *p = (const unsigned char *) href; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 0;
    while (*href == ' ')
        href++;
    size_t n = strcspn (href, ":/?#");
    if (href [n] != ':')
        return 1;
    return (n == 4 && strncasecmp (href, "http", 4) == 0)
           || (n == 5 && strncasecmp (href, "https", 5) == 0)
           || (n == 6 && strncasecmp (href, "mailto", 6) == 0);
}

/* A segment's inline form as the same tags in the page. */
static void
s_html_inline (hny_export_t *self, const char *text)
{
    hny_inline_t *in = hny_inline_parse (text, strlen (text));
    const char *plain = hny_inline_text (in, NULL);
    for (size_t i = 0; i < hny_inline_count (in); i++) {
        const hny_inline_token_t *t = hny_inline_token (in, i);
        if (t->kind == HNY_INLINE_TEXT)
            hny_export_xml_text_n (self, plain + t->start, t->end - t->start);
        else if (t->kind == HNY_INLINE_CLOSE)
            hny_export_xml_end (self);
        else if (t->tag == HNY_INLINE_A) {
            hny_export_xml_start (self, "a");
            if (s_href_safe (t->href)) {
                hny_export_xml_attr (self, "href", t->href);
                hny_export_xml_attr (self, "rel", "nofollow noopener noreferrer");
            }
        }
        else
            hny_export_xml_start (self, t->tag == HNY_INLINE_B ? "b" : "i");
    }
    hny_inline_destroy (&in);
}

void
hny_export_html_head (hny_export_t *self)
{
    if (xmlTextWriterWriteDTD (self->w, BAD_CAST "html", NULL, NULL, NULL) < 0)
        self->xml_failed = 1;
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "html");
    hny_export_xml_start (self, "head");
    hny_export_xml_start (self, "meta");
    hny_export_xml_attr (self, "charset", "utf-8");
    hny_export_xml_end_empty (self);
    hny_export_xml_element (self, "title", "honyaku export");
    hny_export_xml_element (self, "style", s_css);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "body");
    hny_export_xml_newline (self);
    self->started = 1;
}

static void
s_html_row (hny_export_t *self, const json_t *record, const json_t *pair, long paragraph,
            long segment)
{
    const char *tgt = hny_export_str (pair, "tgt");
    const char *cls = paragraph < 0 ? "title" : segment == 0 ? "p" : NULL;
    char classes [32];
    snprintf (classes, sizeof classes, "%s%s%s", cls ? cls : "", cls && !tgt ? " " : "",
              tgt ? "" : "failed");
    hny_export_xml_start (self, "tr");
    if (*classes)
        hny_export_xml_attr (self, "class", classes);
    hny_export_xml_start (self, "td");
    hny_export_xml_attr (self, "lang", hny_export_str (record, "source_lang"));
    s_html_inline (self, hny_export_str (pair, "src"));
    hny_export_xml_end (self);
    hny_export_xml_start (self, "td");
    hny_export_xml_attr (self, "lang", hny_export_str (record, "target_lang"));
    if (tgt)
        s_html_inline (self, tgt);
    else {
        const char *reason = hny_export_reason (record, paragraph, segment);
        char *note = hny_sprintf ("not translated: %s", reason ? reason : "no translation");
        hny_export_xml_start (self, "span");
        hny_export_xml_attr (self, "class", "reason");
        hny_export_xml_text (self, note);
        hny_export_xml_end (self);
        free (note);
    }
    hny_export_xml_end (self);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    self->stats.pairs++;
}

void
hny_export_html_record (hny_export_t *self, const json_t *record)
{
    if (!self->started)
        hny_export_html_head (self);
    const json_t *meta = json_object_get (record, "metadata");
    const char *job = hny_export_str (record, "job");
    hny_export_xml_start (self, "div");
    hny_export_xml_attr (self, "class", "article");
    const char *title = hny_export_plain_title (self, record);
    char *fallback = hny_sprintf ("job %s", job ? job : "?");
    hny_export_xml_element (self, "h2", title ? title : fallback);
    free (fallback);
    /* the record's own short strings: job, date, source, backend */
    hny_buf_t line = HNY_BUF_INIT (HNY_EXPORT_TEXT_MAX);
    if (job && *job) {
        hny_buf_adds (&line, "job ");
        hny_buf_adds (&line, job);
    }
    const char *parts [] = { hny_export_str (meta, "date"), hny_export_str (meta, "source"),
                             hny_export_str (record, "backend") };
    for (size_t i = 0; i < sizeof parts / sizeof parts [0]; i++) {
        if (!parts [i] || !*parts [i])
            continue;
        if (line.len)
            hny_buf_adds (&line, " · ");
        hny_buf_adds (&line, parts [i]);
    }
    char *langs = hny_sprintf ("%s%s%s → %s", hny_buf_str (&line),
                               line.len ? " · " : "", hny_export_str (record, "source_lang"),
                               hny_export_str (record, "target_lang"));
    hny_export_xml_start (self, "p");
    hny_export_xml_attr (self, "class", "meta");
    hny_export_xml_text (self, langs);
    hny_export_xml_end (self);
    free (langs);
    hny_buf_free (&line);
    hny_export_xml_start (self, "table");
    hny_export_xml_start (self, "thead");
    hny_export_xml_start (self, "tr");
    hny_export_xml_element (self, "th", hny_export_str (record, "source_lang"));
    hny_export_xml_element (self, "th", hny_export_str (record, "target_lang"));
    hny_export_xml_end (self);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "tbody");
    hny_export_xml_newline (self);
    if (hny_export_title (record))
        s_html_row (self, record, hny_export_title (record), -1, 0);
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (hny_export_segments (record, p), i, seg)
            s_html_row (self, record, seg, (long) p, (long) i);
    }
    hny_export_xml_end (self);
    hny_export_xml_end (self);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
}

/* ---- Moses ------------------------------------------------------------ */

static hny_export_moses_pair_t *
s_moses_pair (hny_export_t *self, const char *src, const char *tgt)
{
    for (size_t i = 0; i < self->pair_count; i++)
        if (!strcmp (self->pairs [i].src, src) && !strcmp (self->pairs [i].tgt, tgt))
            return &self->pairs [i];
    if (self->pair_count == HNY_EXPORT_MAX_PAIRS) {
        hny_export_fail (self, "more than %d language pairs", HNY_EXPORT_MAX_PAIRS);
        return NULL;
    }
    hny_export_moses_pair_t *pair = &self->pairs [self->pair_count++];
    snprintf (pair->src, sizeof pair->src, "%s", src);
    snprintf (pair->tgt, sizeof pair->tgt, "%s", tgt);
    for (int side = 0; side < 2; side++) {
        pair->tmp [side] = hny_sprintf ("%s/.corpus.%s-%s.%s.tmp", self->out, src, tgt,
                                        side ? "tgt" : "src");
        pair->file [side] = fopen (pair->tmp [side], "w");
        if (!pair->file [side]) {
            hny_export_fail (self, "%s: %s", pair->tmp [side], strerror (errno));
            return NULL;
        }
    }
    return pair;
}

/* The plain text of a segment on one line, trimmed, into b. Returns 0,
   or -1 when it passes b's cap (the export has failed). */
static int
s_moses_line (hny_export_t *self, const char *text, hny_buf_t *b)
{
    hny_inline_t *in = hny_inline_parse (text, strlen (text));
    size_t len;
    const char *plain = hny_inline_text (in, &len);
    int rc = hny_export_clean (self, b, plain, len, 1);
    hny_inline_destroy (&in);
    size_t start = strspn (b->data, " ");
    size_t end = b->len;
    while (end > start && b->data [end - 1] == ' ')
        end--;
    memmove (b->data, b->data + start, end - start);
    hny_buf_truncate (b, end - start);
    return rc;
}

static int
s_moses_pair_write (hny_export_t *self, hny_export_moses_pair_t *files, const json_t *pair)
{
    if (!hny_export_str (pair, "tgt")) {
        self->stats.missing++;
        return 0;
    }
    hny_buf_t line [2] = { HNY_BUF_INIT (HNY_EXPORT_TEXT_MAX), HNY_BUF_INIT (HNY_EXPORT_TEXT_MAX) };
    int rc = 0;
    if (s_moses_line (self, hny_export_str (pair, "src"), &line [0])
        || s_moses_line (self, hny_export_str (pair, "tgt"), &line [1]))
        rc = -1;                /* the export's error is set */
    else if (line [0].len == 0 || line [1].len == 0)
        self->stats.missing++;
    else {
        for (int side = 0; side < 2; side++)
            if (fprintf (files->file [side], "%s\n", line [side].data) < 0)
                rc = hny_export_fail (self, "%s: %s", files->tmp [side], strerror (errno));
        self->stats.pairs++;
    }
    hny_buf_free (&line [0]);
    hny_buf_free (&line [1]);
    return rc;
}

int
hny_export_moses_record (hny_export_t *self, const json_t *record)
{
    const char *src = hny_export_str (record, "source_lang");
    const char *tgt = hny_export_str (record, "target_lang");
    if (!strcmp (src, tgt))
        return hny_export_fail (self, "source and target language are both %s", src);
    hny_export_moses_pair_t *files = s_moses_pair (self, src, tgt);
    if (!files)
        return -1;
    if (hny_export_title (record) && s_moses_pair_write (self, files, hny_export_title (record)))
        return -1;
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (hny_export_segments (record, p), i, seg)
            if (s_moses_pair_write (self, files, seg))
                return -1;
    }
    return 0;
}

int
hny_export_moses_finish (hny_export_t *self)
{
    for (size_t i = 0; i < self->pair_count; i++) {
        hny_export_moses_pair_t *pair = &self->pairs [i];
        for (int side = 0; side < 2; side++) {
            FILE *f = pair->file [side];
            pair->file [side] = NULL;
            if (fclose (f))
                return hny_export_fail (self, "%s: %s", pair->tmp [side], strerror (errno));
        }
    }
    for (size_t i = 0; i < self->pair_count; i++) {
        hny_export_moses_pair_t *pair = &self->pairs [i];
        for (int side = 0; side < 2; side++) {
            const char *lang = side ? pair->tgt : pair->src;
            char *path = self->pair_count == 1
                             ? hny_sprintf ("%s/corpus.%s", self->out, lang)
                             : hny_sprintf ("%s/corpus.%s-%s.%s", self->out, pair->src,
                                            pair->tgt, lang);
            int rc = rename (pair->tmp [side], path);
            if (rc)
                hny_export_fail (self, "%s: %s", path, strerror (errno));
            free (path);
            if (rc)
                return -1;
        }
    }
    return 0;
}
