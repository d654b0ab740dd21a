/*  hny_export_xliff.h: the XLIFF writers of the record export
    (hny_export_xliff.c): XLIFF 2.0 and XLIFF 1.2. Private to
    client/hny_export*.c.

    Both write into self->cur, whose language pair the record has (one
    pair per XLIFF document), through the wrappers of hny_export_xml.h:
    a failed xmlTextWriter call sets self->xml_failed. Records are
    borrowed and already checked by hny_export_add. */
#ifndef HNY_EXPORT_XLIFF_H
#define HNY_EXPORT_XLIFF_H

#include "hny_export.h"

#include <jansson.h>

/* XLIFF 2.0: the XML declaration and <xliff> for self->cur's pair, left
   open (closed by the end of the document). */
void hny_export_xliff_head (hny_export_t *self);

/* XLIFF 2.0: one record, which has at least one pair (hny_export_add
   skips the others: a <file> needs a unit), as a <file>, a <unit> per
   paragraph (the title its own) and a <segment> per pair; the file's
   first record writes the head. */
void hny_export_xliff_record (hny_export_t *self, const json_t *record);

/* XLIFF 1.2: the XML declaration and <xliff>, left open. */
void hny_export_xliff12_head (hny_export_t *self);

/* XLIFF 1.2: one record with at least one pair as a <file> (its <header>
   naming the job, the article and the backends), the title's
   <trans-unit>, then a <group> of <trans-unit>s per paragraph; the
   file's first record writes the head. */
void hny_export_xliff12_record (hny_export_t *self, const json_t *record);

#endif
