/*  hny_export_priv.h: what the parts of the record export share, private
    to client/hny_export*.c: the export object itself, a growable buffer,
    the parsed inline form of a segment (PROTOCOL.md 11.1) and access to
    the fields of a checked record. hny_export.c defines all of it;
    hny_export_xml.c (TMX, XLIFF) and hny_export_text.c (HTML, Moses) use
    it. Nothing here is part of the library's interface (hny_export.h). */
#ifndef HNY_EXPORT_PRIV_H
#define HNY_EXPORT_PRIV_H

#include "hny_export.h"

#include <jansson.h>
#include <libxml/xmlwriter.h>
#include <stddef.h>
#include <stdio.h>

#define HNY_EXPORT_LANG_MAX   35        /* bytes of a language tag (BCP 47 allows 35) */
#define HNY_EXPORT_ERROR_MAX  256

/* ---- small growable buffer ------------------------------------------- */

typedef struct {
    char *data;                 /* NUL-terminated once anything was added */
    size_t len;
    size_t alloc;
} hny_export_buf_t;

/* ---- the inline form ------------------------------------------------- */

enum { HNY_EXPORT_TAG_B = 1, HNY_EXPORT_TAG_I, HNY_EXPORT_TAG_A };
enum { HNY_EXPORT_TEXT = 0, HNY_EXPORT_OPEN, HNY_EXPORT_CLOSE };

typedef struct {
    int kind;                   /* HNY_EXPORT_TEXT, _OPEN, _CLOSE */
    int tag;                    /* tags: HNY_EXPORT_TAG_B/I/A */
    char *text;                 /* text: decoded text; open <a>: decoded href */
    const char *raw;            /* tags: their spelling in the source string (borrowed) */
    size_t raw_len;
    size_t partner;             /* tags: index of the matching open or close */
    size_t id;                  /* tags: element number from 1, in order of opening */
    size_t uid;                 /* XLIFF: the <pc> id within its unit */
    int claimed;                /* XLIFF, source opens: matched by a target element */
} hny_export_token_t;

typedef struct {
    hny_export_token_t *tokens;
    size_t count;
    size_t alloc;
} hny_export_inline_t;

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
    hny_export_buf_t scratch;   /* cleaned text on its way to the writer */
    hny_export_buf_t scratch2;
    char error [HNY_EXPORT_ERROR_MAX];
};

/* Append n bytes at p to b, keeping it NUL-terminated (aborts on OOM). */
void hny_export_buf_add (hny_export_buf_t *b, const char *p, size_t n);

/* b's content as a string ("" when nothing was added); borrowed from b. */
const char *hny_export_buf_str (hny_export_buf_t *b);

/* Copy s (len bytes) into b, replacing its content, as text XML 1.0 can
   carry: ill-formed UTF-8, C0 controls other than tab, LF and CR, and
   U+FFFE/U+FFFF become U+FFFD. With flatten, line breaks and tabs
   (including U+0085, U+2028, U+2029) become spaces (Moses: one segment
   per line). */
void hny_export_clean (hny_export_buf_t *b, const char *s, size_t len, int flatten);

/* Parse a string in the inline form (borrowed; it must outlive the result,
   whose tags point into it). Never fails. Caller owns the result. */
hny_export_inline_t *hny_export_inline_parse (const char *s);

/* Free a parsed string; accepts NULL and sets *self_p to NULL. */
void hny_export_inline_destroy (hny_export_inline_t **self_p);

/* The plain text of a parsed string onto b (replacing its content). */
void hny_export_inline_plain (const hny_export_inline_t *self, hny_export_buf_t *b);

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
   segment's, else NULL. Uses self->scratch2. */
const char *hny_export_plain_title (hny_export_t *self, const json_t *record);

#endif
