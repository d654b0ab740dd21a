/*  hny_export_xml.h: the XML writers of the record export (TMX 1.4b and
    XLIFF 2.0, hny_export_xml.c) and the xmlTextWriter wrappers they share
    with the HTML writer. Private to client/hny_export*.c.

    Every function writes through self->w; a failed xmlTextWriter call sets
    self->xml_failed, which hny_export_add and hny_export_finish turn into
    the export's error. None of them fails otherwise. Strings are borrowed. */
#ifndef HNY_EXPORT_XML_H
#define HNY_EXPORT_XML_H

#include "hny_export.h"

#include <jansson.h>
#include <stddef.h>

/* Open element NAME. */
void hny_export_xml_start (hny_export_t *self, const char *name);

/* End an element with an end tag even when empty (HTML needs <td></td>). */
void hny_export_xml_end (hny_export_t *self);

/* End an element as <x/> when empty (XML headers, HTML void elements). */
void hny_export_xml_end_empty (hny_export_t *self);

/* Attribute NAME="VALUE" on the open element; VALUE is cleaned to text XML
   can carry (hny_export_clean). */
void hny_export_xml_attr (hny_export_t *self, const char *name, const char *value);

/* Text content, cleaned and escaped: a string, or len bytes at text. */
void hny_export_xml_text (hny_export_t *self, const char *text);
void hny_export_xml_text_n (hny_export_t *self, const char *text, size_t len);

/* A newline between block elements, for people reading the file. */
void hny_export_xml_newline (hny_export_t *self);

/* <NAME>TEXT</NAME>. */
void hny_export_xml_element (hny_export_t *self, const char *name, const char *text);

/* TMX: the XML declaration, <tmx>, the <header> with SRCLANG, and <body>
   left open (hny_export_finish closes it). */
void hny_export_tmx_head (hny_export_t *self, const char *srclang);

/* TMX: one checked record as <tu>s; the first record writes the head. */
void hny_export_tmx_record (hny_export_t *self, const json_t *record);

/* XLIFF: the XML declaration and <xliff> for the pair in self->src and
   self->tgt, left open. */
void hny_export_xliff_head (hny_export_t *self);

/* XLIFF: one checked record as a <file>; the first record writes the head
   and sets the document's pair. Records of another pair, or with nothing
   to translate, are counted in stats.skipped instead. */
void hny_export_xliff_record (hny_export_t *self, const json_t *record);

#endif
