/*  hny_export_xml.c: the XML writers of the record export: TMX 1.4b and
    XLIFF 2.0, over libxml2's xmlTextWriter, plus the small xmlTextWriter
    wrappers the HTML writer (hny_export_text.c) uses too. Failures of the
    writer are collected in self->xml_failed and reported by the caller. */
#include "hny_export_xml.h"
#include "hny_export_priv.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <libxml/xmlwriter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0"
#endif

/* ---- xmlTextWriter, with failures collected in self->xml_failed ------ */

void
hny_export_xml_start (hny_export_t *self, const char *name)
{
    if (xmlTextWriterStartElement (self->w, BAD_CAST name) < 0)
        self->xml_failed = 1;
}

/* End an element with an end tag even when empty (HTML needs <td></td>). */
void
hny_export_xml_end (hny_export_t *self)
{
    if (xmlTextWriterFullEndElement (self->w) < 0)
        self->xml_failed = 1;
}

/* End an element as <x/> when empty (XML headers, HTML void elements). */
void
hny_export_xml_end_empty (hny_export_t *self)
{
    if (xmlTextWriterEndElement (self->w) < 0)
        self->xml_failed = 1;
}

void
hny_export_xml_attr (hny_export_t *self, const char *name, const char *value)
{
    hny_export_clean (self, &self->scratch, value, strlen (value), 0);
    if (xmlTextWriterWriteAttribute (self->w, BAD_CAST name, BAD_CAST self->scratch.data) < 0)
        self->xml_failed = 1;
}

void
hny_export_xml_text_n (hny_export_t *self, const char *text, size_t len)
{
    hny_export_clean (self, &self->scratch, text, len, 0);
    if (self->scratch.len && xmlTextWriterWriteString (self->w, BAD_CAST self->scratch.data) < 0)
        self->xml_failed = 1;
}

void
hny_export_xml_text (hny_export_t *self, const char *text)
{
    hny_export_xml_text_n (self, text, strlen (text));
}

/* A newline between block elements, for people reading the file. */
void
hny_export_xml_newline (hny_export_t *self)
{
    if (xmlTextWriterWriteRaw (self->w, BAD_CAST "\n") < 0)
        self->xml_failed = 1;
}

void
hny_export_xml_element (hny_export_t *self, const char *name, const char *text)
{
    hny_export_xml_start (self, name);
    hny_export_xml_text (self, text);
    hny_export_xml_end (self);
}

/* ---- TMX 1.4b --------------------------------------------------------- */

void
hny_export_tmx_head (hny_export_t *self, const char *srclang)
{
    if (xmlTextWriterStartDocument (self->w, NULL, "UTF-8", NULL) < 0)
        self->xml_failed = 1;
    hny_export_xml_start (self, "tmx");
    hny_export_xml_attr (self, "version", "1.4");
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "header");
    hny_export_xml_attr (self, "creationtool", "honyaku");
    hny_export_xml_attr (self, "creationtoolversion", HNY_VERSION);
    hny_export_xml_attr (self, "segtype", "sentence");
    hny_export_xml_attr (self, "o-tmf", HNY_RECORD_SCHEMA);
    hny_export_xml_attr (self, "adminlang", "en");
    hny_export_xml_attr (self, "srclang", srclang);
    hny_export_xml_attr (self, "datatype", "plaintext");
    hny_export_xml_end_empty (self);
    hny_export_xml_newline (self);
    hny_export_xml_start (self, "body");
    hny_export_xml_newline (self);
    self->started = 1;
}

/* A segment: its text, and each tag as written inside <bpt>/<ept>. */
static void
s_tmx_seg (hny_export_t *self, const char *text)
{
    static const char *types [] = { "", "bold", "italic", "link" };
    hny_inline_t *in = hny_inline_parse (text, strlen (text));
    const char *plain = hny_inline_text (in, NULL);
    hny_export_xml_start (self, "seg");
    for (size_t i = 0; i < hny_inline_count (in); i++) {
        const hny_inline_token_t *t = hny_inline_token (in, i);
        if (t->kind == HNY_INLINE_TEXT) {
            hny_export_xml_text_n (self, plain + t->start, t->end - t->start);
            continue;
        }
        char id [32];
        snprintf (id, sizeof id, "%zu", t->element);
        hny_export_xml_start (self, t->kind == HNY_INLINE_OPEN ? "bpt" : "ept");
        hny_export_xml_attr (self, "i", id);
        if (t->kind == HNY_INLINE_OPEN)
            hny_export_xml_attr (self, "type", types [t->tag]);
        hny_export_xml_text_n (self, text + t->at, t->len);
        hny_export_xml_end (self);
    }
    hny_export_xml_end (self);
    hny_inline_destroy (&in);
}

static void
s_tmx_prop (hny_export_t *self, const char *type, const char *value)
{
    if (!value || !*value)
        return;
    hny_export_xml_start (self, "prop");
    hny_export_xml_attr (self, "type", type);
    hny_export_xml_text (self, value);
    hny_export_xml_end (self);
}

static void
s_tmx_tu (hny_export_t *self, const json_t *record, const json_t *pair, const char *tuid,
          const char *title)
{
    const char *tgt = hny_export_str (pair, "tgt");
    if (!tgt) {
        self->stats.missing++;
        return;
    }
    const json_t *meta = json_object_get (record, "metadata");
    const char *src_lang = hny_export_str (record, "source_lang");
    const char *backend = hny_export_str (pair, "backend") ? hny_export_str (pair, "backend")
                                                  : hny_export_str (record, "backend");
    hny_export_xml_start (self, "tu");
    hny_export_xml_attr (self, "tuid", tuid);
    if (strcmp (src_lang, self->src))
        hny_export_xml_attr (self, "srclang", src_lang);
    s_tmx_prop (self, "x-job", hny_export_str (record, "job"));
    s_tmx_prop (self, "x-title", title);
    s_tmx_prop (self, "x-date", hny_export_str (meta, "date"));
    s_tmx_prop (self, "x-source", hny_export_str (meta, "source"));
    s_tmx_prop (self, "x-backend", backend);
    for (int side = 0; side < 2; side++) {
        hny_export_xml_start (self, "tuv");
        hny_export_xml_attr (self, "xml:lang",
                             side ? hny_export_str (record, "target_lang") : src_lang);
        s_tmx_seg (self, side ? tgt : hny_export_str (pair, "src"));
        hny_export_xml_end (self);
    }
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    self->stats.pairs++;
}

void
hny_export_tmx_record (hny_export_t *self, const json_t *record)
{
    if (!self->started) {
        snprintf (self->src, sizeof self->src, "%s", hny_export_str (record, "source_lang"));
        hny_export_tmx_head (self, self->src);
    }
    const char *job = hny_export_str (record, "job") ? hny_export_str (record, "job") : "";
    const char *plain = hny_export_plain_title (self, record);
    char *title = hny_strdup (plain ? plain : "");
    if (hny_export_title (record)) {
        char *tuid = hny_sprintf ("%s/title", job);
        s_tmx_tu (self, record, hny_export_title (record), tuid, title);
        free (tuid);
    }
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (hny_export_segments (record, p), i, seg) {
            char *tuid = hny_sprintf ("%s/%zu/%zu", job, p, i);
            s_tmx_tu (self, record, seg, tuid, title);
            free (tuid);
        }
    }
    free (title);
}

/* ---- XLIFF 2.0 -------------------------------------------------------- */

void
hny_export_xliff_head (hny_export_t *self)
{
    if (xmlTextWriterStartDocument (self->w, NULL, "UTF-8", NULL) < 0)
        self->xml_failed = 1;
    hny_export_xml_start (self, "xliff");
    hny_export_xml_attr (self, "xmlns", "urn:oasis:names:tc:xliff:document:2.0");
    hny_export_xml_attr (self, "version", "2.0");
    hny_export_xml_attr (self, "srcLang", self->src);
    hny_export_xml_attr (self, "trgLang", self->tgt);
    hny_export_xml_newline (self);
    self->started = 1;
}

/* One side of a segment pair read for a unit, with the <pc> ids its
   elements get there. */
typedef struct {
    const char *text;           /* the inline form, borrowed from the record */
    hny_inline_t *in;
    size_t *uid;                /* per token: the <pc> id of a tag's element */
    unsigned char *claimed;     /* per token, source opening tags: matched by a target one */
} s_side_t;

/* Read one side (text may be NULL: no translation; the side stays empty). */
static void
s_side_read (s_side_t *side, const char *text)
{
    memset (side, 0, sizeof *side);
    if (!text)
        return;
    side->text = text;
    side->in = hny_inline_parse (text, strlen (text));
    side->uid = hny_calloc (hny_inline_count (side->in) + 1, sizeof *side->uid);
    side->claimed = hny_calloc (hny_inline_count (side->in) + 1, 1);
}

static void
s_side_free (s_side_t *side)
{
    hny_inline_destroy (&side->in);
    free (side->uid);
    free (side->claimed);
}

static int
s_same_element (const hny_inline_token_t *a, const hny_inline_token_t *b)
{
    if (a->tag != b->tag)
        return 0;
    if (a->tag != HNY_INLINE_A)
        return 1;
    return strcmp (a->href, b->href) == 0;
}

/* Number the elements of a unit: source elements in order, a target
   element takes the id of the first unclaimed source element of the same
   segment that is the same kind (and link), else a new id. Returns the
   next free id. */
static size_t
s_xliff_number (s_side_t *src, s_side_t *tgt, size_t next)
{
    for (size_t i = 0; i < hny_inline_count (src->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (src->in, i);
        if (t->kind == HNY_INLINE_OPEN)
            src->uid [i] = src->uid [t->mate] = next++;
    }
    for (size_t i = 0; tgt->in && i < hny_inline_count (tgt->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (tgt->in, i);
        if (t->kind != HNY_INLINE_OPEN)
            continue;
        for (size_t j = 0; j < hny_inline_count (src->in) && !tgt->uid [i]; j++) {
            const hny_inline_token_t *s = hny_inline_token (src->in, j);
            if (s->kind == HNY_INLINE_OPEN && !src->claimed [j] && s_same_element (s, t)) {
                src->claimed [j] = 1;
                tgt->uid [i] = src->uid [j];
            }
        }
        if (!tgt->uid [i])
            tgt->uid [i] = next++;
        tgt->uid [t->mate] = tgt->uid [i];
    }
    return next;
}

static void
s_xliff_content (hny_export_t *self, const s_side_t *side)
{
    const char *plain = hny_inline_text (side->in, NULL);
    for (size_t i = 0; i < hny_inline_count (side->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (side->in, i);
        if (t->kind == HNY_INLINE_TEXT)
            hny_export_xml_text_n (self, plain + t->start, t->end - t->start);
        else if (t->kind == HNY_INLINE_CLOSE)
            hny_export_xml_end (self);
        else {
            char id [32];
            snprintf (id, sizeof id, "%zu", side->uid [i]);
            hny_export_xml_start (self, "pc");
            hny_export_xml_attr (self, "id", id);
            if (t->tag == HNY_INLINE_A) {
                snprintf (id, sizeof id, "d%zu", side->uid [i]);
                hny_export_xml_attr (self, "type", "link");
                hny_export_xml_attr (self, "dataRefStart", id);
                hny_export_xml_attr (self, "dataRefEnd", "dA");
            }
            else {
                hny_export_xml_attr (self, "type", "fmt");
                hny_export_xml_attr (self, "subType",
                                     t->tag == HNY_INLINE_B ? "xlf:b" : "xlf:i");
            }
        }
    }
}

/* One <unit> of the segment pairs pairs[0..count) (paragraph -1: title). */
static void
s_xliff_unit (hny_export_t *self, const json_t *record, long paragraph,
              const json_t *const *pairs, size_t count)
{
    s_side_t *src = hny_calloc (count, sizeof *src);
    s_side_t *tgt = hny_calloc (count, sizeof *tgt);
    size_t next = 1;
    int links = 0, failures = 0;
    for (size_t k = 0; k < count; k++) {
        s_side_read (&src [k], hny_export_str (pairs [k], "src"));
        s_side_read (&tgt [k], hny_export_str (pairs [k], "tgt"));
        failures += !tgt [k].in;
        next = s_xliff_number (&src [k], &tgt [k], next);
        for (int side = 0; side < 2; side++) {
            const hny_inline_t *in = side ? tgt [k].in : src [k].in;
            for (size_t i = 0; in && i < hny_inline_count (in); i++)
                links |= hny_inline_token (in, i)->kind == HNY_INLINE_OPEN
                         && hny_inline_token (in, i)->tag == HNY_INLINE_A;
        }
    }
    char id [48];
    if (paragraph < 0)
        snprintf (id, sizeof id, "title");
    else
        snprintf (id, sizeof id, "p%ld", paragraph);
    hny_export_xml_start (self, "unit");
    hny_export_xml_attr (self, "id", id);
    if (failures) {
        hny_export_xml_start (self, "notes");
        for (size_t k = 0; k < count; k++)
            if (!tgt [k].in) {
                const char *reason = hny_export_reason (record, paragraph, (long) k);
                char *note = hny_sprintf ("s%zu not translated: %s", k + 1,
                                          reason ? reason : "no translation");
                hny_export_xml_start (self, "note");
                hny_export_xml_attr (self, "category", "error");
                hny_export_xml_text (self, note);
                hny_export_xml_end (self);
                free (note);
            }
        hny_export_xml_end (self);
    }
    if (links) {
        /* Links keep their opening tag, as written, in originalData; a
           matched target link shares its source's entry. */
        unsigned char *written = hny_calloc (next, 1);
        hny_export_xml_start (self, "originalData");
        for (size_t k = 0; k < count; k++)
            for (int side = 0; side < 2; side++) {
                const s_side_t *sd = side ? &tgt [k] : &src [k];
                for (size_t i = 0; sd->in && i < hny_inline_count (sd->in); i++) {
                    const hny_inline_token_t *t = hny_inline_token (sd->in, i);
                    if (t->kind != HNY_INLINE_OPEN || t->tag != HNY_INLINE_A
                        || written [sd->uid [i]])
                        continue;
                    written [sd->uid [i]] = 1;
                    snprintf (id, sizeof id, "d%zu", sd->uid [i]);
                    hny_export_xml_start (self, "data");
                    hny_export_xml_attr (self, "id", id);
                    hny_export_xml_text_n (self, sd->text + t->at, t->len);
                    hny_export_xml_end (self);
                }
            }
        hny_export_xml_start (self, "data");
        hny_export_xml_attr (self, "id", "dA");
        hny_export_xml_text (self, "</a>");
        hny_export_xml_end (self);
        hny_export_xml_end (self);
        free (written);
    }
    for (size_t k = 0; k < count; k++) {
        snprintf (id, sizeof id, "s%zu", k + 1);
        hny_export_xml_start (self, "segment");
        hny_export_xml_attr (self, "id", id);
        hny_export_xml_attr (self, "state", tgt [k].in ? "translated" : "initial");
        hny_export_xml_start (self, "source");
        s_xliff_content (self, &src [k]);
        hny_export_xml_end (self);
        if (tgt [k].in) {
            hny_export_xml_start (self, "target");
            s_xliff_content (self, &tgt [k]);
            hny_export_xml_end (self);
        }
        hny_export_xml_end (self);
        self->stats.pairs++;
        s_side_free (&src [k]);
        s_side_free (&tgt [k]);
    }
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    free (src);
    free (tgt);
}

static void
s_xliff_note (hny_export_t *self, const char *category, const char *value)
{
    if (!value || !*value)
        return;
    hny_export_xml_start (self, "note");
    hny_export_xml_attr (self, "category", category);
    hny_export_xml_text (self, value);
    hny_export_xml_end (self);
}

void
hny_export_xliff_record (hny_export_t *self, const json_t *record)
{
    const char *src_lang = hny_export_str (record, "source_lang");
    const char *tgt_lang = hny_export_str (record, "target_lang");
    if (!self->started) {
        snprintf (self->src, sizeof self->src, "%s", src_lang);
        snprintf (self->tgt, sizeof self->tgt, "%s", tgt_lang);
        hny_export_xliff_head (self);
    }
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    size_t units = hny_export_title (record) ? 1 : 0;
    for (size_t p = 0; p < paragraphs; p++)
        units += json_array_size (hny_export_segments (record, p)) > 0;
    if (strcmp (src_lang, self->src) || strcmp (tgt_lang, self->tgt) || units == 0) {
        /* XLIFF 2.0 has one language pair per document, and a file needs a unit. */
        self->stats.skipped++;
        self->stats.records--;
        return;
    }
    const json_t *meta = json_object_get (record, "metadata");
    char id [32];
    snprintf (id, sizeof id, "f%ld", self->stats.records);
    hny_export_xml_start (self, "file");
    hny_export_xml_attr (self, "id", id);
    if (hny_export_str (meta, "source") && *hny_export_str (meta, "source"))
        hny_export_xml_attr (self, "original", hny_export_str (meta, "source"));
    hny_export_xml_start (self, "notes");
    s_xliff_note (self, "job", hny_export_str (record, "job"));
    s_xliff_note (self, "title", hny_export_plain_title (self, record));
    s_xliff_note (self, "date", hny_export_str (meta, "date"));
    s_xliff_note (self, "source", hny_export_str (meta, "source"));
    s_xliff_note (self, "backend", hny_export_str (record, "backend"));
    s_xliff_note (self, "schema", HNY_RECORD_SCHEMA);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    const json_t *title = hny_export_title (record);
    if (title)
        s_xliff_unit (self, record, -1, &title, 1);
    for (size_t p = 0; p < paragraphs; p++) {
        const json_t *segs = hny_export_segments (record, p);
        size_t n = json_array_size (segs);
        if (n == 0)
            continue;
        const json_t **pairs = hny_malloc (n * sizeof *pairs);
        for (size_t k = 0; k < n; k++)
            pairs [k] = json_array_get (segs, k);
        s_xliff_unit (self, record, (long) p, pairs, n);
        free (pairs);
    }
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
}
