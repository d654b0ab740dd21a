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
    "table{border-collapse:collapse;width:100%;margin-bottom:1em}"
    "th,td{vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd}"
    "td.n{width:3em;color:#666;font-size:.85em;white-space:nowrap}"
    "td.n a{color:inherit;text-decoration:none}"
    "td.s,td.t{width:48%}"
    "tr.p td{border-top:2px solid #999}"
    "tr.title td.s,tr.title td.t{font-weight:bold;font-size:1.1em}"
    "tr.tm td.t{background:#eef6ff}"
    "tr.warning td.t{background:#fff6d5}"
    "tr.failed td.t{background:#fdd}"
    ".mark{display:inline-block;min-width:1.4em;margin-left:.3em;padding:0 .2em;"
    "border-radius:.2em;font-size:.8em;text-align:center;font-weight:bold}"
    ".mark.tm{background:#cfe3ff;color:#024}"
    ".mark.warning{background:#ffe38a;color:#540}"
    ".mark.failed{background:#f99;color:#500}"
    ".reason{color:#a00;font-style:italic}"
    ".meta{color:#666;font-size:.9em}"
    "ul.legend{list-style:none;padding:0}ul.legend li{display:inline;margin-right:1.5em}"
    "nav ol li{margin:.2em 0}";

/* The marks of a segment row: its class, the mark's text and its meaning
   (the legend's words). */
typedef enum { S_MARK_TM, S_MARK_WARNING, S_MARK_FAILED, S_MARKS } s_mark_t;
static const struct {
    const char *cls, *text, *meaning;
} s_marks [S_MARKS] = {
    [S_MARK_TM] = { "tm", "TM", "from the translation memory" },
    [S_MARK_WARNING] = { "warning", "!", "translated, with a warning (markup the backend broke)" },
    [S_MARK_FAILED] = { "failed", "\xc3\x97", "not translated (the reason is given)" },
};

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

static void
s_html_mark (hny_export_t *self, s_mark_t mark)
{
    hny_export_xml_start (self, "span");
    char *cls = hny_sprintf ("mark %s", s_marks [mark].cls);
    hny_export_xml_attr (self, "class", cls);
    free (cls);
    hny_export_xml_attr (self, "title", s_marks [mark].meaning);
    hny_export_xml_text (self, s_marks [mark].text);
    hny_export_xml_end (self);
}

/* The mark a pair gets, or S_MARKS for none. */
static s_mark_t
s_pair_mark (const json_t *pair)
{
    if (!hny_export_str (pair, "tgt"))
        return S_MARK_FAILED;
    if (hny_export_str (pair, "warning"))
        return S_MARK_WARNING;
    if (json_is_true (json_object_get (pair, "tm")))
        return S_MARK_TM;
    return S_MARKS;
}

/* One row: number (an anchor), source, target; marked as s_pair_mark
   says. n counts the article's pairs from 1, title included. */
static void
s_html_row (hny_export_t *self, const json_t *record, const json_t *pair, long paragraph,
            long segment, long n)
{
    const char *tgt = hny_export_str (pair, "tgt");
    s_mark_t mark = s_pair_mark (pair);
    const char *cls = paragraph < 0 ? "title" : segment == 0 ? "p" : NULL;
    char classes [48], id [48], href [50], where [64];
    snprintf (classes, sizeof classes, "%s%s%s", cls ? cls : "", cls && mark < S_MARKS ? " " : "",
              mark < S_MARKS ? s_marks [mark].cls : "");
    snprintf (id, sizeof id, "a%ld-%ld", self->cur->articles, n);
    snprintf (href, sizeof href, "#%s", id);
    if (paragraph < 0)
        snprintf (where, sizeof where, "title");
    else
        snprintf (where, sizeof where, "paragraph %ld, segment %ld", paragraph + 1, segment + 1);
    hny_export_xml_start (self, "tr");
    hny_export_xml_attr (self, "id", id);
    if (*classes)
        hny_export_xml_attr (self, "class", classes);
    hny_export_xml_start (self, "td");
    hny_export_xml_attr (self, "class", "n");
    hny_export_xml_attr (self, "title", where);
    hny_export_xml_start (self, "a");
    hny_export_xml_attr (self, "href", href);
    char num [24];
    snprintf (num, sizeof num, "%ld", n);
    hny_export_xml_text (self, num);
    hny_export_xml_end (self);
    if (mark < S_MARKS)
        s_html_mark (self, mark);
    hny_export_xml_end (self);
    hny_export_xml_start (self, "td");
    hny_export_xml_attr (self, "class", "s");
    hny_export_xml_attr (self, "lang", self->rec_src);
    s_html_inline (self, hny_export_str (pair, "src"));
    hny_export_xml_end (self);
    hny_export_xml_start (self, "td");
    hny_export_xml_attr (self, "class", "t");
    hny_export_xml_attr (self, "lang", self->rec_tgt);
    if (tgt)
        s_html_inline (self, tgt);
    char *note = NULL;
    if (!tgt) {
        const char *reason = hny_export_reason (record, paragraph, segment);
        note = hny_sprintf ("not translated: %s", reason ? reason : "no translation");
    }
    else if (hny_export_str (pair, "warning"))
        note = hny_sprintf ("%swarning: %s", *tgt ? " " : "", hny_export_str (pair, "warning"));
    if (note) {
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

/* The article's line of facts: job, date, source, backend, pair. */
static char *
s_html_facts (hny_export_t *self, const json_t *record)
{
    const json_t *meta = json_object_get (record, "metadata");
    const char *job = hny_export_str (record, "job");
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
            hny_buf_adds (&line, " \xc2\xb7 ");
        hny_buf_adds (&line, parts [i]);
    }
    char *facts = hny_sprintf ("%s%s%s \xe2\x86\x92 %s", hny_buf_str (&line),
                               line.len ? " \xc2\xb7 " : "", self->rec_src, self->rec_tgt);
    hny_buf_free (&line);
    return facts;
}

/* The article's entry in the table of contents, written through the
   contents' own writer: a link to its section, its pair, and what its
   marks count. */
static void
s_html_toc_entry (hny_export_t *self, const char *title, const char *anchor,
                  const long marks [S_MARKS])
{
    xmlTextWriterPtr body = self->w;
    self->w = self->cur->toc_w;
    char href [40];
    snprintf (href, sizeof href, "#%s", anchor);
    hny_export_xml_start (self, "li");
    hny_export_xml_start (self, "a");
    hny_export_xml_attr (self, "href", href);
    hny_export_xml_text (self, title);
    hny_export_xml_end (self);
    hny_buf_t line = HNY_BUF_INIT (1024);
    hny_buf_adds (&line, " ");
    hny_buf_adds (&line, self->rec_src);
    hny_buf_adds (&line, " \xe2\x86\x92 ");
    hny_buf_adds (&line, self->rec_tgt);
    static const char *words [S_MARKS] = { "from TM", "with warnings", "not translated" };
    for (int m = 0; m < S_MARKS; m++)
        if (marks [m]) {
            char part [64];
            snprintf (part, sizeof part, " \xc2\xb7 %ld %s", marks [m], words [m]);
            hny_buf_adds (&line, part);
        }
    hny_export_xml_start (self, "span");
    hny_export_xml_attr (self, "class", "meta");
    hny_export_xml_text (self, hny_buf_str (&line));
    hny_export_xml_end (self);
    hny_buf_free (&line);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    self->w = body;
}

void
hny_export_html_record (hny_export_t *self, const json_t *record)
{
    hny_export_file_t *f = self->cur;
    if (!f->started) {
        snprintf (f->src, sizeof f->src, "%s", self->rec_src);
        snprintf (f->tgt, sizeof f->tgt, "%s", self->rec_tgt);
        f->started = 1;
    }
    else if (strcmp (f->src, self->rec_src) || strcmp (f->tgt, self->rec_tgt))
        f->pairs_mixed = 1;
    f->articles++;
    char anchor [32];
    snprintf (anchor, sizeof anchor, "a%ld", f->articles);
    const char *job = hny_export_str (record, "job");
    const char *plain = hny_export_plain_title (self, record);
    char *title = plain ? hny_strdup (plain) : hny_sprintf ("job %s", job ? job : "?");
    hny_export_xml_start (self, "section");
    hny_export_xml_attr (self, "class", "article");
    hny_export_xml_attr (self, "id", anchor);
    hny_export_xml_element (self, "h2", title);
    char *facts = s_html_facts (self, record);
    hny_export_xml_start (self, "p");
    hny_export_xml_attr (self, "class", "meta");
    hny_export_xml_text (self, facts);
    hny_export_xml_end (self);
    free (facts);
    hny_export_xml_start (self, "table");
    hny_export_xml_start (self, "thead");
    hny_export_xml_start (self, "tr");
    hny_export_xml_element (self, "th", "#");
    hny_export_xml_element (self, "th", self->rec_src);
    hny_export_xml_element (self, "th", self->rec_tgt);
    hny_export_xml_end (self);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "tbody");
    hny_export_xml_newline (self);
    long n = 0, marks [S_MARKS] = { 0 };
    const json_t *pair = hny_export_title (record);
    if (pair) {
        s_html_row (self, record, pair, -1, 0, ++n);
        if (s_pair_mark (pair) < S_MARKS)
            marks [s_pair_mark (pair)]++;
    }
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        json_array_foreach (hny_export_segments (record, p), i, pair) {
            s_html_row (self, record, pair, (long) p, (long) i, ++n);
            if (s_pair_mark (pair) < S_MARKS)
                marks [s_pair_mark (pair)]++;
        }
    }
    hny_export_xml_end (self);  /* tbody */
    hny_export_xml_end (self);  /* table */
    /* A job that failed before it had segments says why in its one error. */
    size_t i;
    const json_t *e;
    json_array_foreach (json_object_get (record, "errors"), i, e)
        if (json_is_null (json_object_get (e, "paragraph"))) {
            char *why = hny_sprintf ("not translated: %s", hny_export_str (e, "reason")
                                                               ? hny_export_str (e, "reason") : "failed");
            hny_export_xml_start (self, "p");
            hny_export_xml_attr (self, "class", "reason failed");
            s_html_mark (self, S_MARK_FAILED);
            hny_export_xml_text (self, " ");
            hny_export_xml_text (self, why);
            hny_export_xml_end (self);
            free (why);
            marks [S_MARK_FAILED]++;
        }
    hny_export_xml_end (self);  /* section */
    hny_export_xml_newline (self);
    s_html_toc_entry (self, title, anchor, marks);
    free (title);
}

/* Copy what was written to file (a part of the page) into the page. */
static void
s_html_inject (hny_export_t *self, FILE *file)
{
    char buf [65536];
    size_t n;
    if (fflush (file) || fseek (file, 0, SEEK_SET)) {
        hny_export_fail (self, "a temporary file: %s", strerror (errno));
        return;
    }
    while ((n = fread (buf, 1, sizeof buf, file)) > 0)
        if (xmlTextWriterWriteRawLen (self->w, BAD_CAST buf, (int) n) < 0)
            self->xml_failed = 1;
    if (ferror (file))
        hny_export_fail (self, "a temporary file: %s", strerror (errno));
}

void
hny_export_html_finish (hny_export_t *self, hny_export_file_t *f)
{
    /* The parts are complete once their writers flushed into them. */
    xmlFreeTextWriter (f->w);
    xmlFreeTextWriter (f->toc_w);
    f->w = f->toc_w = NULL;
    self->w = hny_export_writer_new (f->file [0]);
    if (!self->w) {
        hny_export_fail (self, "libxml2 could not create a writer");
        return;
    }
    char *summary = f->pairs_mixed
        ? hny_sprintf ("%ld articles, several language pairs", f->records)
        : f->records
            ? hny_sprintf ("%ld article%s, %s \xe2\x86\x92 %s", f->records, f->records == 1 ? "" : "s",
                           f->src, f->tgt)
            : hny_strdup ("no articles");
    char *title = hny_sprintf ("honyaku export: %s", summary);
    if (xmlTextWriterWriteDTD (self->w, BAD_CAST "html", NULL, NULL, NULL) < 0)
        self->xml_failed = 1;
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "html");
    hny_export_xml_attr (self, "lang", "en");
    hny_export_xml_start (self, "head");
    hny_export_xml_start (self, "meta");
    hny_export_xml_attr (self, "charset", "utf-8");
    hny_export_xml_end_empty (self);
    hny_export_xml_element (self, "title", title);
    hny_export_xml_element (self, "style", s_css);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "body");
    hny_export_xml_element (self, "h1", "honyaku export");
    hny_export_xml_start (self, "p");
    hny_export_xml_attr (self, "class", "meta");
    char *counts = hny_sprintf ("%s; %ld segment pairs", summary, self->stats.pairs);
    hny_export_xml_text (self, counts);
    free (counts);
    hny_export_xml_end (self);
    hny_export_xml_start (self, "ul");
    hny_export_xml_attr (self, "class", "legend");
    for (int m = 0; m < S_MARKS; m++) {
        hny_export_xml_start (self, "li");
        s_html_mark (self, (s_mark_t) m);
        hny_export_xml_text (self, " ");
        hny_export_xml_text (self, s_marks [m].meaning);
        hny_export_xml_end (self);
    }
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "nav");
    hny_export_xml_attr (self, "id", "toc");
    hny_export_xml_element (self, "h2", "Contents");
    hny_export_xml_start (self, "ol");
    hny_export_xml_newline (self);
    s_html_inject (self, f->toc);
    hny_export_xml_end (self);  /* ol */
    hny_export_xml_end (self);  /* nav */
    hny_export_xml_newline (self);
    s_html_inject (self, f->file [1]);
    hny_export_xml_end (self);  /* body */
    hny_export_xml_end (self);  /* html */
    hny_export_xml_newline (self);
    if (xmlTextWriterEndDocument (self->w) < 0)
        self->xml_failed = 1;
    xmlFreeTextWriter (self->w);
    self->w = NULL;
    free (title);
    free (summary);
}

/* ---- Moses ------------------------------------------------------------ */

int
hny_export_moses_open (hny_export_t *self, hny_export_file_t *f)
{
    for (int side = 0; side < 2; side++) {
        f->tmp [side] = hny_sprintf ("%s/.corpus.%s.%s.tmp", self->dir, f->pair,
                                     side ? "tgt" : "src");
        f->file [side] = fopen (f->tmp [side], "w");
        if (!f->file [side])
            return hny_export_fail (self, "%s: %s", f->tmp [side], strerror (errno));
    }
    return 0;
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
s_moses_pair_write (hny_export_t *self, hny_export_file_t *f, const json_t *pair)
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
            if (fprintf (f->file [side], "%s\n", line [side].data) < 0)
                rc = hny_export_fail (self, "%s: %s", f->tmp [side], strerror (errno));
        self->stats.pairs++;
    }
    hny_buf_free (&line [0]);
    hny_buf_free (&line [1]);
    return rc;
}

int
hny_export_moses_record (hny_export_t *self, const json_t *record)
{
    if (hny_export_title (record) && s_moses_pair_write (self, self->cur, hny_export_title (record)))
        return -1;
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (hny_export_segments (record, p), i, seg)
            if (s_moses_pair_write (self, self->cur, seg))
                return -1;
    }
    return 0;
}

int
hny_export_moses_finish (hny_export_t *self)
{
    for (size_t i = 0; i < self->file_count; i++) {
        hny_export_file_t *f = &self->files [i];
        for (int side = 0; side < 2; side++) {
            FILE *file = f->file [side];
            f->file [side] = NULL;
            if (fclose (file))
                return hny_export_fail (self, "%s: %s", f->tmp [side], strerror (errno));
        }
    }
    for (size_t i = 0; i < self->file_count; i++) {
        hny_export_file_t *f = &self->files [i];
        for (int side = 0; side < 2; side++) {
            const char *lang = side ? f->tgt : f->src;
            f->path [side] = self->file_count == 1
                                 ? hny_sprintf ("%s/corpus.%s", self->dir, lang)
                                 : hny_sprintf ("%s/corpus.%s.%s", self->dir, f->pair, lang);
            if (rename (f->tmp [side], f->path [side]))
                return hny_export_fail (self, "%s: %s", f->path [side], strerror (errno));
        }
    }
    return 0;
}
