/*  hny_export_xml.h: the TMX writer of the record export
    (hny_export_xml.c) and the xmlTextWriter wrappers it shares with the
    XLIFF and HTML writers. Private to client/hny_export*.c.

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
   left open (hny_export_finish closes it), into self->cur. */
void hny_export_tmx_head (hny_export_t *self, const char *srclang);

/* TMX: one checked record as <tu>s into self->cur (whose pair it has);
   the file's first record writes the head. */
void hny_export_tmx_record (hny_export_t *self, const json_t *record);

#endif
