/*  hny_export.c: the record exports of hny_export.h: the export object
    and its files (one, or one per language pair), the checks every record
    passes, language tags, JSON Lines, and the pieces the format writers
    share (hny_export_priv.h). The writers themselves live in
    hny_export_xml.c (TMX 1.4b), hny_export_xliff.c (XLIFF 2.0 and 1.2)
    and hny_export_text.c (HTML, Moses); hny_export_add and
    hny_export_finish dispatch to them.

    Every segment string is in the inline form of PROTOCOL.md 11.1; the
    writers read it with the parser the worker uses too (honyaku/inline.h,
    in hnycommon) into tokens (text, opening tag, closing tag) that each
    renders its own way. */
#include "hny_export.h"
#include "hny_export_priv.h"
#include "honyaku/lang.h"
#include "hny_export_text.h"
#include "hny_export_xliff.h"
#include "hny_export_xml.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <libxml/xmlwriter.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (setting *cp), or 0. */
static size_t
s_utf8_next (const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    unsigned c = p [0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; *cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; *cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; *cp = c & 0x07; }
    else
        return 0;
    if ((size_t) (end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p [i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p [i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* Copy s into b as text XML 1.0 can carry: ill-formed UTF-8, C0 controls
   other than tab, LF and CR, and U+FFFE/U+FFFF become U+FFFD. With
   flatten, line breaks and tabs (including U+0085, U+2028, U+2029) become
   spaces (Moses: one segment per line). Past b's cap the export fails. */
int
hny_export_clean (hny_export_t *self, hny_buf_t *b, const char *s, size_t len, int flatten)
{
    const unsigned char *p = (const unsigned char *) s, *end = p + len;
    hny_buf_reset (b);
    hny_buf_add (b, "", 0);
    while (p < end) {
        uint32_t cp;
        size_t n = s_utf8_next (p, end, &cp);
        if (n == 0) {
            hny_buf_add (b, "\xEF\xBF\xBD", 3);
            p++;
            continue;
        }
        if (flatten && (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C
                        || cp == 0x85 || cp == 0x2028 || cp == 0x2029))
            hny_buf_add (b, " ", 1);
        else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE
                 || cp == 0xFFFF)
            hny_buf_add (b, "\xEF\xBF\xBD", 3);
        else
            hny_buf_add (b, (const char *) p, n);
        p += n;
    }
    if (!b->toobig)
        return 0;
    hny_buf_reset (b);          /* nothing of it is written */
    return hny_export_fail (self, "a text of the record is larger than %zu bytes once cleaned",
                            (size_t) HNY_EXPORT_TEXT_MAX);
}


int
hny_export_fail (hny_export_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, args);
    va_end (args);
    return -1;
}

static const char *s_format_names [] = {
    [HNY_EXPORT_JSONL] = "jsonl", [HNY_EXPORT_TMX] = "tmx", [HNY_EXPORT_XLIFF] = "xliff",
    [HNY_EXPORT_MOSES] = "moses", [HNY_EXPORT_HTML] = "html", [HNY_EXPORT_XLIFF12] = "xliff12"
};
#define S_FORMATS (sizeof s_format_names / sizeof s_format_names [0])

int
hny_export_format_parse (const char *name)
{
    if (!name)
        return -1;
    if (strcmp (name, "xliff20") == 0)
        return HNY_EXPORT_XLIFF;
    for (size_t i = 0; i < S_FORMATS; i++)
        if (strcmp (name, s_format_names [i]) == 0)
            return (int) i;
    return -1;
}

const char *
hny_export_format_label (hny_export_format_t format)
{
    static const char *labels [] = {
        [HNY_EXPORT_JSONL] = "JSON Lines", [HNY_EXPORT_TMX] = "TMX", [HNY_EXPORT_XLIFF] = "XLIFF 2.0",
        [HNY_EXPORT_MOSES] = "Moses", [HNY_EXPORT_HTML] = "HTML", [HNY_EXPORT_XLIFF12] = "XLIFF 1.2"
    };
    return (size_t) format < S_FORMATS ? labels [format] : "?";
}

const char *
hny_export_format_names (void)
{
    return "jsonl, tmx, xliff (or xliff20: XLIFF 2.0), xliff12, moses, html";
}

/* Formats whose files hold one language pair (see hny_export.h). */
static int
s_one_pair (hny_export_format_t format)
{
    return format == HNY_EXPORT_TMX || format == HNY_EXPORT_XLIFF
           || format == HNY_EXPORT_XLIFF12 || format == HNY_EXPORT_MOSES;
}

static int
s_xml_format (hny_export_format_t format)
{
    return format == HNY_EXPORT_TMX || format == HNY_EXPORT_XLIFF || format == HNY_EXPORT_XLIFF12;
}

/* The file name extension of a format's files. */
static const char *
s_extension (hny_export_format_t format)
{
    switch (format) {
        case HNY_EXPORT_TMX: return "tmx";
        case HNY_EXPORT_XLIFF:
        case HNY_EXPORT_XLIFF12: return "xlf";
        case HNY_EXPORT_HTML: return "html";
        default: return "jsonl";
    }
}

xmlTextWriterPtr
hny_export_writer_new (FILE *file)
{
    /* The buffer only flushes into the FILE; closing stays ours. */
    xmlOutputBufferPtr buffer = xmlOutputBufferCreateFile (file, NULL);
    xmlTextWriterPtr w = buffer ? xmlNewTextWriter (buffer) : NULL;
    if (!w && buffer)
        xmlOutputBufferClose (buffer);
    return w;
}

/* Open f's file at path (NULL: standard output), written to path.tmp
   until the finish, and its writers. Returns 0, or -1 with the error set. */
static int
s_file_open (hny_export_t *self, hny_export_file_t *f, const char *path)
{
    if (path) {
        f->path [0] = hny_strdup (path);
        f->tmp [0] = hny_sprintf ("%s.tmp", path);
        f->file [0] = fopen (f->tmp [0], "w");
        if (!f->file [0])
            return hny_export_fail (self, "%s: %s", f->tmp [0], strerror (errno));
    }
    else
        f->file [0] = stdout;
    if (s_xml_format (self->format))
        f->w = hny_export_writer_new (f->file [0]);
    else if (self->format == HNY_EXPORT_HTML) {
        /* The page opens with its table of contents: the articles and the
           contents are written to two anonymous files, joined at the end. */
        f->file [1] = tmpfile ();
        f->toc = tmpfile ();
        if (!f->file [1] || !f->toc)
            return hny_export_fail (self, "a temporary file: %s", strerror (errno));
        f->w = hny_export_writer_new (f->file [1]);
        f->toc_w = hny_export_writer_new (f->toc);
        if (!f->toc_w)
            return hny_export_fail (self, "libxml2 could not create a writer");
    }
    else
        return 0;
    if (!f->w)
        return hny_export_fail (self, "libxml2 could not create a writer");
    return 0;
}

/* The file for records of the pair src-tgt (canonical): the one file of a
   one-file export, checking that a one-pair format gets one pair, or the
   pair's own in a directory (opened on first use). NULL with the error
   set when it cannot be. */
static hny_export_file_t *
s_file_for (hny_export_t *self, const char *src, const char *tgt)
{
    int per_pair = self->format == HNY_EXPORT_MOSES || (self->dir && s_one_pair (self->format));
    if (!per_pair) {
        hny_export_file_t *f = &self->files [0];
        if (!s_one_pair (self->format))
            return f;
        if (f->src [0] && (strcmp (f->src, src) || strcmp (f->tgt, tgt))) {
            self->mixed = 1;
            hny_export_fail (self, "a %s file holds one language pair: %s, then %s-%s",
                             hny_export_format_label (self->format), f->pair, src, tgt);
            return NULL;
        }
        snprintf (f->src, sizeof f->src, "%s", src);
        snprintf (f->tgt, sizeof f->tgt, "%s", tgt);
        snprintf (f->pair, sizeof f->pair, "%s-%s", src, tgt);
        return f;
    }
    for (size_t i = 0; i < self->file_count; i++)
        if (!strcmp (self->files [i].src, src) && !strcmp (self->files [i].tgt, tgt))
            return &self->files [i];
    if (self->file_count == HNY_EXPORT_MAX_PAIRS) {
        hny_export_fail (self, "more than %d language pairs", HNY_EXPORT_MAX_PAIRS);
        return NULL;
    }
    hny_export_file_t *f = &self->files [self->file_count++];
    snprintf (f->src, sizeof f->src, "%s", src);
    snprintf (f->tgt, sizeof f->tgt, "%s", tgt);
    snprintf (f->pair, sizeof f->pair, "%s-%s", src, tgt);
    if (self->format == HNY_EXPORT_MOSES)
        return hny_export_moses_open (self, f) ? NULL : f;
    char *path = hny_sprintf ("%s/records.%s.%s", self->dir, f->pair, s_extension (self->format));
    int rc = s_file_open (self, f, path);
    free (path);
    return rc ? NULL : f;
}

/* True when OUT names a directory: it ends with '/' or is one. */
static int
s_is_dir (const char *out)
{
    struct stat st;
    size_t n = strlen (out);
    return (n && out [n - 1] == '/') || (stat (out, &st) == 0 && S_ISDIR (st.st_mode));
}

hny_export_t *
hny_export_new (hny_export_format_t format, const char *out, char **why)
{
    if ((int) format < 0 || (size_t) format >= S_FORMATS) {
        *why = hny_strdup ("unknown format");
        return NULL;
    }
    if (out && (strcmp (out, "-") == 0 || !*out))
        out = NULL;
    int dir = format == HNY_EXPORT_MOSES || (out && s_is_dir (out));
    if (dir) {
        if (!out) {
            *why = hny_strdup ("moses writes two files: --out DIR is required");
            return NULL;
        }
        if (mkdir (out, 0777) && errno != EEXIST) {
            *why = hny_sprintf ("%s: %s", out, strerror (errno));
            return NULL;
        }
        struct stat st;
        if (stat (out, &st) || !S_ISDIR (st.st_mode)) {
            *why = hny_sprintf ("%s: not a directory", out);
            return NULL;
        }
    }
    hny_export_t *self = hny_calloc (1, sizeof *self);
    self->format = format;
    self->scratch = (hny_buf_t) HNY_BUF_INIT (HNY_EXPORT_TEXT_MAX);
    self->scratch2 = (hny_buf_t) HNY_BUF_INIT (HNY_EXPORT_TEXT_MAX);
    if (dir) {
        /* without the trailing '/'s, so that names read DIR/records... */
        self->dir = hny_strdup (out);
        size_t n = strlen (self->dir);
        while (n > 1 && self->dir [n - 1] == '/')
            self->dir [--n] = 0;
        if (format == HNY_EXPORT_MOSES || s_one_pair (format))
            return self;        /* files per pair, opened as pairs come */
    }
    else
        self->out = out ? hny_strdup (out) : NULL;
    /* One file for every record. */
    char *path = dir ? hny_sprintf ("%s/records.%s", self->dir, s_extension (format))
                     : (self->out ? hny_strdup (self->out) : NULL);
    self->file_count = 1;
    int rc = s_file_open (self, &self->files [0], path);
    free (path);
    if (rc) {
        *why = hny_strdup (self->error);
        hny_export_destroy (&self);
    }
    return self;
}

void
hny_export_destroy (hny_export_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_export_t *self = *self_p;
    for (size_t i = 0; i < self->file_count; i++) {
        hny_export_file_t *f = &self->files [i];
        /* Writers first: freeing one flushes into its FILE. */
        if (f->w)
            xmlFreeTextWriter (f->w);
        if (f->toc_w)
            xmlFreeTextWriter (f->toc_w);
        if (f->toc)
            fclose (f->toc);
        for (int side = 0; side < 2; side++) {
            if (f->file [side] && f->file [side] != stdout)
                fclose (f->file [side]);
            if (f->tmp [side] && !self->finished)
                unlink (f->tmp [side]);
            free (f->tmp [side]);
            free (f->path [side]);
        }
    }
    free (self->dir);
    free (self->out);
    hny_buf_free (&self->scratch);
    hny_buf_free (&self->scratch2);
    free (self);
    *self_p = NULL;
}

const char *
hny_export_error (const hny_export_t *self)
{
    return self->error [0] ? self->error : NULL;
}

int
hny_export_mixed (const hny_export_t *self)
{
    return self->mixed;
}

void
hny_export_stats (const hny_export_t *self, hny_export_stats_t *stats)
{
    *stats = self->stats;
}

size_t
hny_export_files (const hny_export_t *self)
{
    return self->file_count;
}

const char *
hny_export_file_path (const hny_export_t *self, size_t index)
{
    return index < self->file_count ? self->files [index].path [0] : NULL;
}

const char *
hny_export_file_pair (const hny_export_t *self, size_t index)
{
    return index < self->file_count ? self->files [index].pair : "";
}

long
hny_export_file_records (const hny_export_t *self, size_t index)
{
    return index < self->file_count ? self->files [index].records : 0;
}

/* ---- language tags ---------------------------------------------------- */

/* The one canonicalizer of the project (proto/hny_lang.c, ICU): a tag
   that is not BCP 47 for a known language is refused, so an export never
   writes "english" into an xml:lang or a file name. */
int
hny_export_lang_canon (const char *tag, char *out, size_t size)
{
    char canon [HNY_LANG_MAX + 1];
    out [0] = 0;
    if (hny_lang_canonical (tag, canon, NULL, 0) || strlen (canon) >= size)
        return -1;
    memcpy (out, canon, strlen (canon) + 1);
    return 0;
}

/* ---- record access ---------------------------------------------------- */

const char *
hny_export_str (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}

/* A language tag safe to put in a file name and an xml:lang. */
static int
s_lang_ok (const char *lang)
{
    size_t n = lang ? strlen (lang) : 0;
    if (n == 0 || n > HNY_EXPORT_LANG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = lang [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int
s_pair_ok (const json_t *pair)
{
    const json_t *tgt = json_object_get (pair, "tgt");
    return json_is_object (pair) && json_is_string (json_object_get (pair, "src"))
           && (!tgt || json_is_null (tgt) || json_is_string (tgt));
}

/* Check the parts of a record the writers read, so that none of them stops
   half way through an article. */
static int
s_check (hny_export_t *self, const json_t *record)
{
    if (!json_is_object (record))
        return hny_export_fail (self, "the record is not a JSON object");
    const char *schema = hny_export_str (record, "schema");
    if (!schema || strcmp (schema, HNY_RECORD_SCHEMA))
        return hny_export_fail (self, "the record's schema is not %s", HNY_RECORD_SCHEMA);
    if (!s_lang_ok (hny_export_str (record, "source_lang"))
        || !s_lang_ok (hny_export_str (record, "target_lang")))
        return hny_export_fail (self, "source_lang or target_lang missing or not a language tag");
    const json_t *title = json_object_get (record, "title");
    if (title && !json_is_null (title) && !s_pair_ok (title))
        return hny_export_fail (self, "title is not a segment pair");
    const json_t *paras = json_object_get (record, "paragraphs");
    if (!json_is_array (paras))
        return hny_export_fail (self, "paragraphs is not an array");
    size_t i, j;
    const json_t *para, *seg;
    json_array_foreach (paras, i, para) {
        const json_t *segs = json_object_get (para, "segments");
        if (!json_is_array (segs))
            return hny_export_fail (self, "paragraph %zu: segments is not an array", i);
        json_array_foreach (segs, j, seg)
            if (!s_pair_ok (seg))
                return hny_export_fail (self, "paragraph %zu, segment %zu: not a segment pair",
                                        i, j);
    }
    return 0;
}

/* The title pair, or NULL. */
const json_t *
hny_export_title (const json_t *record)
{
    const json_t *title = json_object_get (record, "title");
    return json_is_object (title) ? title : NULL;
}

const json_t *
hny_export_segments (const json_t *record, size_t paragraph)
{
    return json_object_get (json_array_get (json_object_get (record, "paragraphs"), paragraph),
                            "segments");
}

/* The reason a segment failed, from the record's errors (paragraph -1 is
   the title), or NULL. */
const char *
hny_export_reason (const json_t *record, long paragraph, long segment)
{
    size_t i;
    const json_t *e;
    json_array_foreach (json_object_get (record, "errors"), i, e) {
        const json_t *p = json_object_get (e, "paragraph"), *s = json_object_get (e, "segment");
        if (json_is_integer (p) && json_integer_value (p) == paragraph
            && (!json_is_integer (s) || json_integer_value (s) == segment))
            return hny_export_str (e, "reason") ? hny_export_str (e, "reason") : "failed";
    }
    return NULL;
}

/* The article's title as plain text: the metadata's, else the title
   segment's, else NULL. Uses self->scratch2. */
const char *
hny_export_plain_title (hny_export_t *self, const json_t *record)
{
    const char *title = hny_export_str (json_object_get (record, "metadata"), "title");
    if (title && *title)
        return title;
    const json_t *pair = hny_export_title (record);
    if (!pair)
        return NULL;
    const char *src = hny_export_str (pair, "src");
    hny_inline_t *in = hny_inline_parse (src, strlen (src));
    size_t len;
    const char *plain = hny_inline_text (in, &len);
    hny_buf_reset (&self->scratch2);
    hny_buf_add (&self->scratch2, plain, len);
    hny_inline_destroy (&in);
    return self->scratch2.len ? self->scratch2.data : NULL;
}

/* True when the record has a pair: a title or a segment. */
static int
s_has_pairs (const json_t *record)
{
    if (hny_export_title (record))
        return 1;
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++)
        if (json_array_size (hny_export_segments (record, p)))
            return 1;
    return 0;
}

int
hny_export_human (const json_t *record, const json_t *pair)
{
    /* An align job's links, and a pair from a human TM entry. */
    const char *backend = hny_export_str (record, "backend");
    const char *origin = pair ? hny_export_str (pair, "origin") : NULL;
    return (backend && strcmp (backend, "aligned") == 0) || (origin && strcmp (origin, "human") == 0);
}

const char *
hny_export_backend (const json_t *record, const json_t *pair)
{
    const char *own = hny_export_str (pair, "backend");
    return own ? own : hny_export_str (record, "backend");
}

/* ---- adding and finishing ------------------------------------------- */

/* A link of an aligned record with a side null (a sentence without
   counterpart, PROTOCOL.md 12.6) is no pair to write. */
static int
s_one_sided (const json_t *pair)
{
    return json_is_object (pair) && (json_is_null (json_object_get (pair, "src"))
                                     || json_is_null (json_object_get (pair, "tgt")));
}

/* The record as the writers of pairs see it: for an aligned record, a
   copy without its one-sided links (counted in stats.unlinked; paragraphs
   left empty go, a one-sided title becomes null), else NULL (write the
   record as it is). Caller owns. */
static json_t *
s_linked_only (hny_export_t *self, const json_t *record)
{
    if (!json_is_object (record) || !hny_export_human (record, NULL))
        return NULL;
    json_t *copy = json_deep_copy (record);
    if (s_one_sided (json_object_get (copy, "title"))) {
        json_object_set_new (copy, "title", json_null ());
        self->stats.unlinked++;
    }
    json_t *paras = json_object_get (copy, "paragraphs");
    for (size_t p = json_array_size (paras); p-- > 0;) {
        json_t *segs = json_object_get (json_array_get (paras, p), "segments");
        for (size_t i = json_array_size (segs); i-- > 0;)
            if (s_one_sided (json_array_get (segs, i))) {
                json_array_remove (segs, i);
                self->stats.unlinked++;
            }
        if (json_is_array (segs) && !json_array_size (segs))
            json_array_remove (paras, p);
    }
    return copy;
}

static int s_add_pairs (hny_export_t *self, const json_t *record);

int
hny_export_add (hny_export_t *self, const json_t *record)
{
    assert (self && !self->finished);
    if (self->error [0])
        return -1;
    if (self->format == HNY_EXPORT_JSONL) {
        /* JSON Lines passes any object through, as FETCH gave it. */
        hny_export_file_t *f = &self->files [0];
        if (!json_is_object (record))
            return hny_export_fail (self, "the record is not a JSON object");
        if (json_dumpf (record, f->file [0], JSON_COMPACT) || fputc ('\n', f->file [0]) == EOF)
            return hny_export_fail (self, "%s: %s", f->tmp [0] ? f->tmp [0] : "stdout",
                                    strerror (errno));
        self->stats.records++;
        f->records++;
        return 0;
    }
    json_t *linked = s_linked_only (self, record);
    int rc = s_add_pairs (self, linked ? linked : record);
    json_decref (linked);
    return rc;
}

/* Add a record to a format of pairs (all but JSON Lines). */
static int
s_add_pairs (hny_export_t *self, const json_t *record)
{
    if (s_check (self, record))
        return -1;
    /* s_check made sure both are tags that canonicalize */
    hny_export_lang_canon (hny_export_str (record, "source_lang"), self->rec_src,
                           sizeof self->rec_src);
    hny_export_lang_canon (hny_export_str (record, "target_lang"), self->rec_tgt,
                           sizeof self->rec_tgt);
    if (self->format == HNY_EXPORT_MOSES && !strcmp (self->rec_src, self->rec_tgt))
        return hny_export_fail (self, "source and target language are both %s", self->rec_src);
    if ((self->format == HNY_EXPORT_XLIFF || self->format == HNY_EXPORT_XLIFF12)
        && !s_has_pairs (record)) {
        self->stats.skipped++;  /* an XLIFF <file> needs a unit: nothing to open for it */
        return 0;
    }
    hny_export_file_t *f = s_file_for (self, self->rec_src, self->rec_tgt);
    if (!f)
        return -1;
    self->cur = f;
    self->w = f->w;
    switch (self->format) {
        case HNY_EXPORT_TMX: hny_export_tmx_record (self, record); break;
        case HNY_EXPORT_XLIFF: hny_export_xliff_record (self, record); break;
        case HNY_EXPORT_XLIFF12: hny_export_xliff12_record (self, record); break;
        case HNY_EXPORT_HTML: hny_export_html_record (self, record); break;
        case HNY_EXPORT_MOSES:
            if (hny_export_moses_record (self, record))
                return -1;
            break;
        default: assert (0);
    }
    if (self->error [0])
        return -1;              /* a text past its cap (hny_export_clean) */
    if (self->xml_failed)
        return hny_export_fail (self, "%s: writing failed: %s",
                                f->tmp [0] ? f->tmp [0] : "stdout", strerror (errno));
    self->stats.records++;
    f->records++;
    return 0;
}

/* Close f's document (a document with no record still opens and closes)
   and its writer. */
static void
s_file_end (hny_export_t *self, hny_export_file_t *f)
{
    self->cur = f;
    self->w = f->w;
    if (self->format == HNY_EXPORT_HTML) {
        hny_export_html_finish (self, f);
        return;
    }
    if (!f->started) {
        if (self->format == HNY_EXPORT_TMX)
            hny_export_tmx_head (self, f->src [0] ? f->src : "*all*");
        else {
            if (!f->src [0]) {
                snprintf (f->src, sizeof f->src, "und");
                snprintf (f->tgt, sizeof f->tgt, "und");
            }
            if (self->format == HNY_EXPORT_XLIFF)
                hny_export_xliff_head (self);
            else
                hny_export_xliff12_head (self);
        }
    }
    if (self->format == HNY_EXPORT_TMX)
        hny_export_xml_end (self);       /* body */
    if (xmlTextWriterEndDocument (self->w) < 0)
        self->xml_failed = 1;
}

int
hny_export_finish (hny_export_t *self)
{
    assert (self && !self->finished);
    if (self->error [0])
        return -1;
    if (self->format == HNY_EXPORT_MOSES) {
        if (hny_export_moses_finish (self))
            return -1;
        self->finished = 1;
        return 0;
    }
    for (size_t i = 0; i < self->file_count; i++) {
        hny_export_file_t *f = &self->files [i];
        const char *where = f->tmp [0] ? f->tmp [0] : "stdout";
        if (f->w) {
            s_file_end (self, f);
            if (f->w)           /* HTML's are freed by its finish */
                xmlFreeTextWriter (f->w);
            f->w = self->w = NULL;
        }
        if (self->error [0])
            return -1;
        if (self->xml_failed)
            return hny_export_fail (self, "%s: writing failed", where);
        if (fflush (f->file [0]) || ferror (f->file [0]))
            return hny_export_fail (self, "%s: %s", where, strerror (errno));
        if (f->tmp [0]) {
            FILE *file = f->file [0];
            f->file [0] = NULL;
            if (fclose (file))
                return hny_export_fail (self, "%s: %s", where, strerror (errno));
        }
    }
    /* Every file is whole: only now do they take their names. */
    for (size_t i = 0; i < self->file_count; i++) {
        hny_export_file_t *f = &self->files [i];
        if (f->tmp [0] && rename (f->tmp [0], f->path [0]))
            return hny_export_fail (self, "%s: %s", f->path [0], strerror (errno));
    }
    self->finished = 1;
    return 0;
}
