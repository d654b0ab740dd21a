/*  hny_export_xml.c: the TMX 1.4b writer of the record export, over
    libxml2's xmlTextWriter, and the small xmlTextWriter wrappers that the
    XLIFF (hny_export_xliff.c) and HTML (hny_export_text.c) writers use
    too. Failures of the writer are collected in self->xml_failed and
    reported by the caller. */
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
    self->cur->started = 1;
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
    /* Who translated it: a pair from a human entry of the TM says
       "origin": "human" (PROTOCOL.md 12.2); the TM export says "machine"
       too. TMX has creationid for the author: the origin goes there and
       in a prop, which CAT tools keep and filter on. */
    const char *origin = hny_export_str (pair, "origin");
    hny_export_xml_start (self, "tu");
    hny_export_xml_attr (self, "tuid", tuid);
    if (origin)
        hny_export_xml_attr (self, "creationid", origin);
    s_tmx_prop (self, "x-origin", origin);
    s_tmx_prop (self, "x-job", hny_export_str (record, "job"));
    s_tmx_prop (self, "x-title", title);
    s_tmx_prop (self, "x-date", hny_export_str (meta, "date"));
    s_tmx_prop (self, "x-source", hny_export_str (meta, "source"));
    s_tmx_prop (self, "x-backend", hny_export_backend (record, pair));
    for (int side = 0; side < 2; side++) {
        hny_export_xml_start (self, "tuv");
        hny_export_xml_attr (self, "xml:lang", side ? self->rec_tgt : self->rec_src);
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
    if (!self->cur->started)
        hny_export_tmx_head (self, self->cur->src);
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

