/*  hny_export.c: the record exports of hny_export.h: the export object,
    the checks every record passes, JSON Lines, and the pieces the format
    writers share (hny_export_priv.h). The writers themselves live in
    hny_export_xml.c (TMX 1.4b, XLIFF 2.0) and hny_export_text.c (HTML,
    Moses); hny_export_add and hny_export_finish dispatch to them.

    Every segment string is in the inline form of PROTOCOL.md 11.1; the
    writers read it with the parser the worker uses too (honyaku/inline.h,
    in hnycommon) into tokens (text, opening tag, closing tag) that each
    renders its own way. */
#include "hny_export.h"
#include "hny_export_priv.h"
#include "hny_export_text.h"
#include "hny_export_xml.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <libxml/xmlwriter.h>

#include <assert.h>
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

int
hny_export_format_parse (const char *name)
{
    static const char *names [] = { "jsonl", "tmx", "xliff", "moses", "html" };
    for (int i = 0; i < 5; i++)
        if (name && strcmp (name, names [i]) == 0)
            return i;
    return -1;
}

hny_export_t *
hny_export_new (hny_export_format_t format, const char *out, char **why)
{
    if ((int) format < HNY_EXPORT_JSONL || format > HNY_EXPORT_HTML) {
        *why = hny_strdup ("unknown format");
        return NULL;
    }
    if (out && strcmp (out, "-") == 0)
        out = NULL;
    if (format == HNY_EXPORT_MOSES) {
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
    self->out = out ? hny_strdup (out) : NULL;
    if (format == HNY_EXPORT_MOSES)
        return self;
    if (self->out) {
        self->tmp = hny_sprintf ("%s.tmp", self->out);
        self->file = fopen (self->tmp, "w");
        if (!self->file) {
            *why = hny_sprintf ("%s: %s", self->tmp, strerror (errno));
            hny_export_destroy (&self);
            return NULL;
        }
    }
    else
        self->file = stdout;
    if (format != HNY_EXPORT_JSONL) {
        /* The buffer only flushes into the FILE; closing stays ours. */
        xmlOutputBufferPtr buffer = xmlOutputBufferCreateFile (self->file, NULL);
        self->w = buffer ? xmlNewTextWriter (buffer) : NULL;
        if (!self->w) {
            if (buffer)
                xmlOutputBufferClose (buffer);
            *why = hny_strdup ("libxml2 could not create a writer");
            hny_export_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
hny_export_destroy (hny_export_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_export_t *self = *self_p;
    if (self->w)
        xmlFreeTextWriter (self->w);
    if (self->file && self->file != stdout)
        fclose (self->file);
    if (self->tmp && !self->finished)
        unlink (self->tmp);
    for (size_t i = 0; i < self->pair_count; i++)
        for (int side = 0; side < 2; side++) {
            if (self->pairs [i].file [side])
                fclose (self->pairs [i].file [side]);
            if (self->pairs [i].tmp [side] && !self->finished)
                unlink (self->pairs [i].tmp [side]);
            free (self->pairs [i].tmp [side]);
        }
    free (self->out);
    free (self->tmp);
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

void
hny_export_stats (const hny_export_t *self, hny_export_stats_t *stats)
{
    *stats = self->stats;
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

/* ---- adding and finishing ------------------------------------------- */

int
hny_export_add (hny_export_t *self, const json_t *record)
{
    assert (self && !self->finished);
    if (self->error [0])
        return -1;
    if (self->format == HNY_EXPORT_JSONL) {
        /* JSON Lines passes any object through, as FETCH gave it. */
        if (!json_is_object (record))
            return hny_export_fail (self, "the record is not a JSON object");
        if (json_dumpf (record, self->file, JSON_COMPACT) || fputc ('\n', self->file) == EOF)
            return hny_export_fail (self, "%s: %s", self->tmp ? self->tmp : "stdout",
                                    strerror (errno));
        self->stats.records++;
        return 0;
    }
    if (s_check (self, record))
        return -1;
    self->stats.records++;
    switch (self->format) {
        case HNY_EXPORT_TMX: hny_export_tmx_record (self, record); break;
        case HNY_EXPORT_XLIFF: hny_export_xliff_record (self, record); break;
        case HNY_EXPORT_HTML: hny_export_html_record (self, record); break;
        case HNY_EXPORT_MOSES: return hny_export_moses_record (self, record);
        default: assert (0);
    }
    if (self->error [0])
        return -1;              /* a text past its cap (hny_export_clean) */
    if (self->xml_failed)
        return hny_export_fail (self, "%s: writing failed: %s", self->tmp ? self->tmp : "stdout",
                       strerror (errno));
    return 0;
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
    if (self->w) {
        if (!self->started) {
            /* No record: an empty document still opens and closes. */
            if (self->format == HNY_EXPORT_TMX)
                hny_export_tmx_head (self, "*all*");
            else if (self->format == HNY_EXPORT_XLIFF) {
                snprintf (self->src, sizeof self->src, "und");
                snprintf (self->tgt, sizeof self->tgt, "und");
                hny_export_xliff_head (self);
            }
            else
                hny_export_html_head (self);
        }
        if (self->format == HNY_EXPORT_TMX)
            hny_export_xml_end (self);       /* body */
        if (self->format == HNY_EXPORT_HTML) {
            hny_export_xml_end (self);       /* body */
            hny_export_xml_end (self);       /* html */
            hny_export_xml_newline (self);
        }
        if (xmlTextWriterEndDocument (self->w) < 0)
            self->xml_failed = 1;
        xmlFreeTextWriter (self->w);
        self->w = NULL;
    }
    const char *where = self->tmp ? self->tmp : "stdout";
    if (self->xml_failed)
        return hny_export_fail (self, "%s: writing failed", where);
    if (fflush (self->file) || ferror (self->file))
        return hny_export_fail (self, "%s: %s", where, strerror (errno));
    if (self->tmp) {
        FILE *f = self->file;
        self->file = NULL;
        if (fclose (f))
            return hny_export_fail (self, "%s: %s", where, strerror (errno));
        if (rename (self->tmp, self->out))
            return hny_export_fail (self, "%s: %s", self->out, strerror (errno));
    }
    self->finished = 1;
    return 0;
}
