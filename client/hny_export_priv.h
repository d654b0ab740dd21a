/*  hny_export_priv.h: what the parts of the record export share, private
    to client/hny_export*.c: the export object itself, the cleaning of text
    for XML and access to the fields of a checked record. hny_export.c
    defines all of it; hny_export_xml.c (TMX, XLIFF) and hny_export_text.c
    (HTML, Moses) use it. Segments in the inline form (PROTOCOL.md 11.1) are
    read with the common parser, honyaku/inline.h. Nothing here is part of
    the library's interface (hny_export.h). */
#ifndef HNY_EXPORT_PRIV_H
#define HNY_EXPORT_PRIV_H

#include "hny_export.h"
#include "honyaku/inline.h"
#include "honyaku/util.h"

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <stddef.h>
#include <stdio.h>

#define HNY_EXPORT_LANG_MAX   35        /* bytes of a language tag (BCP 47 allows 35) */
#define HNY_EXPORT_ERROR_MAX  256
/* Bytes of one string of a record once cleaned for the output: a record is
   at most 256 MiB (a line of `honyaku export --in`; FETCH's are at most
   64 MiB) and cleaning turns a byte into three at most (U+FFFD). */
#define HNY_EXPORT_TEXT_MAX   ((size_t) 3 * 256 * 1024 * 1024)

/* ---- the export object ------------------------------------------------ */

/* Moses: the two temporary files of one language pair. */
typedef struct {
    char src [HNY_EXPORT_LANG_MAX + 1];
    char tgt [HNY_EXPORT_LANG_MAX + 1];
    FILE *file [2];             /* source side, target side */
    char *tmp [2];              /* their temporary paths */
} hny_export_moses_pair_t;

struct _hny_export_t {
    hny_export_format_t format;
    char *out;                  /* the final path, NULL for standard output */
    char *tmp;                  /* single-file formats: the path written */
    FILE *file;                 /* single-file formats */
    xmlTextWriterPtr w;         /* TMX, XLIFF, HTML */
    int xml_failed;             /* an xmlTextWriter call failed */
    int started;                /* the document head is written */
    int finished;
    char src [HNY_EXPORT_LANG_MAX + 1]; /* TMX header srclang, XLIFF document pair */
    char tgt [HNY_EXPORT_LANG_MAX + 1];
    hny_export_moses_pair_t pairs [HNY_EXPORT_MAX_PAIRS];
    size_t pair_count;
    hny_export_stats_t stats;
    hny_buf_t scratch;          /* cleaned text on its way to the writer */
    hny_buf_t scratch2;         /* a title's plain text (hny_export_plain_title) */
    char error [HNY_EXPORT_ERROR_MAX];
};

/* Copy s (len bytes) into b, replacing its content, as text XML 1.0 can
   carry: ill-formed UTF-8, C0 controls other than tab, LF and CR, and
   U+FFFE/U+FFFF become U+FFFD. With flatten, line breaks and tabs
   (including U+0085, U+2028, U+2029) become spaces (Moses: one segment
   per line). Returns 0, or -1 when the result passes b's cap: b then
   holds "" and the export has failed (hny_export_fail). */
int hny_export_clean (hny_export_t *self, hny_buf_t *b, const char *s, size_t len, int flatten);

/* Record the reason of a failure in self (see hny_export_error); returns
   -1 so that callers can `return hny_export_fail (...)`. */
int hny_export_fail (hny_export_t *self, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Record access; the record passed the checks of hny_export_add, so the
   fields below exist with the right types. Results are borrowed. */

/* The string member KEY of obj, or NULL (absent or not a string). */
const char *hny_export_str (const json_t *obj, const char *key);

/* The title pair, or NULL. */
const json_t *hny_export_title (const json_t *record);

/* The segment array of paragraph number PARAGRAPH. */
const json_t *hny_export_segments (const json_t *record, size_t paragraph);

/* The reason a segment failed, from the record's errors (paragraph -1 is
   the title), or NULL. */
const char *hny_export_reason (const json_t *record, long paragraph, long segment);

/* The article's title as plain text: the metadata's, else the title
   segment's (its inline form read), else NULL. Uses self->scratch2. */
const char *hny_export_plain_title (hny_export_t *self, const json_t *record);

#endif
