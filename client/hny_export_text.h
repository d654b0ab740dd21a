/*  hny_export_text.h: the record export's HTML page and Moses corpus
    writers (hny_export_text.c). Private to client/hny_export*.c. Records
    passed here are borrowed and already checked by hny_export_add, which
    chose self->cur and set self->rec_src / rec_tgt. */
#ifndef HNY_EXPORT_TEXT_H
#define HNY_EXPORT_TEXT_H

#include "hny_export.h"
#include "hny_export_priv.h"

#include <jansson.h>

/* HTML: one record as a section (a heading, its facts, a table of
   numbered source and target rows marked for TM hits, warnings and
   failures) into self->cur, and its entry in the table of contents. */
void hny_export_html_record (hny_export_t *self, const json_t *record);

/* HTML: write the page to f's file: the head (a title saying what the
   page holds), the legend of the marks, the table of contents and the
   articles, joined from their temporary parts. Failures set
   self->xml_failed or the export's error. */
void hny_export_html_finish (hny_export_t *self, hny_export_file_t *f);

/* Moses: open the two temporary files of f's language pair. Returns 0, or
   -1 with the export's error set. */
int hny_export_moses_open (hny_export_t *self, hny_export_file_t *f);

/* Moses: append one record's pairs to the files of self->cur. Returns 0,
   or -1 with the export's error set. */
int hny_export_moses_record (hny_export_t *self, const json_t *record);

/* Moses: close the temporary files and rename them to DIR/corpus.L (one
   pair) or DIR/corpus.SRC-TGT.L (several). Returns 0 or -1 (error set). */
int hny_export_moses_finish (hny_export_t *self);

#endif
