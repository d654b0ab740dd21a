/*  hny_export_text.h: the record export's HTML page and Moses corpus
    writers (hny_export_text.c). Private to client/hny_export*.c. Records
    passed here are borrowed and already checked by hny_export_add. */
#ifndef HNY_EXPORT_TEXT_H
#define HNY_EXPORT_TEXT_H

#include "hny_export.h"

#include <jansson.h>

/* HTML: the doctype, <html>, <head> with the style sheet, and <body> left
   open (hny_export_finish closes it). Failures set self->xml_failed. */
void hny_export_html_head (hny_export_t *self);

/* HTML: one record as a table of source and target rows, failed segments
   highlighted with their reason; the first record writes the head. */
void hny_export_html_record (hny_export_t *self, const json_t *record);

/* Moses: append one record's pairs to the temporary files of its language
   pair (opened on first use). Returns 0, or -1 with the export's error set. */
int hny_export_moses_record (hny_export_t *self, const json_t *record);

/* Moses: close the temporary files and rename them to DIR/corpus.L (one
   pair) or DIR/corpus.SRC-TGT.L (several). Returns 0 or -1 (error set). */
int hny_export_moses_finish (hny_export_t *self);

#endif
