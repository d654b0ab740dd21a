/*  hny_export_priv.h: what the parts of the record export share, private
    to client/hny_export*.c: the export object itself, the cleaning of text
    for XML and access to the fields of a checked record. hny_export.c
    defines all of it; hny_export_xml.c (TMX), hny_export_xliff.c (XLIFF
    2.0 and 1.2) and hny_export_text.c (HTML, Moses) use it. Segments in the inline form (PROTOCOL.md 11.1) are
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

/* One output of the export: a file (or standard output) and, for Moses,
   the second file of its pair. */
typedef struct {
    char src [HNY_EXPORT_LANG_MAX + 1]; /* its language pair, canonical; "" until its */
    char tgt [HNY_EXPORT_LANG_MAX + 1]; /* first record, and for formats that mix pairs */
    char pair [2 * HNY_EXPORT_LANG_MAX + 2];   /* "SRC-TGT" or "" */
    char *path [2];             /* final paths (path[0] NULL: standard output); Moses:
                                   source side, target side, set by its finish */
    char *tmp [2];              /* the paths written until the finish */
    FILE *file [2];             /* HTML: file[1] is the articles' part (anonymous) */
    xmlTextWriterPtr w;         /* XML formats: the document; HTML: the articles' part */
    int started;                /* the document head is written */
    long records;               /* records written to it */
    long articles;              /* HTML: sections written (their anchors a1, a2, ...) */
    int pairs_mixed;            /* HTML: records of more than one language pair */
    FILE *toc;                  /* HTML: the table of contents' part (anonymous) */
    xmlTextWriterPtr toc_w;
} hny_export_file_t;

struct _hny_export_t {
    hny_export_format_t format;
    char *dir;                  /* a directory export: its path; NULL: one file */
    char *out;                  /* a one-file export: the final path, NULL for standard output */
    hny_export_file_t files [HNY_EXPORT_MAX_PAIRS];
    size_t file_count;
    hny_export_file_t *cur;     /* the file of the record being written */
    xmlTextWriterPtr w;         /* cur's writer: the one hny_export_xml_* write through */
    char rec_src [HNY_EXPORT_LANG_MAX + 1]; /* the record being written: its pair, */
    char rec_tgt [HNY_EXPORT_LANG_MAX + 1]; /* canonical (what the writers print) */
    int xml_failed;             /* an xmlTextWriter call failed */
    int finished;
    int mixed;                  /* failed on a second language pair (hny_export_mixed) */
    hny_export_stats_t stats;
    hny_buf_t scratch;          /* cleaned text on its way to the writer */
    hny_buf_t scratch2;         /* a title's plain text (hny_export_plain_title) */
    char error [HNY_EXPORT_ERROR_MAX];
};

/* A new xmlTextWriter over file, which stays the caller's to close, or
   NULL when libxml2 cannot make one. */
xmlTextWriterPtr hny_export_writer_new (FILE *file);

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

/* True when the pair's translation is a person's, not a machine's: the
   records of the "aligned" backend (human translations aligned with
   their sources). The one place that decides how XLIFF and HTML mark a
   translation; a per-pair origin, once records carry one, goes here. */
int hny_export_human (const json_t *record, const json_t *pair);

/* The profile that translated the pair: its own "backend" (a fallback),
   else the record's. */
const char *hny_export_backend (const json_t *record, const json_t *pair);

#endif
