/*  hny_export.h: writers that turn bilingual records (honyaku.record/1, one
    JSON object per article) into the exchange formats people and tools
    use: JSON Lines, TMX 1.4b, XLIFF 2.0, Moses line-aligned text and a
    side-by-side HTML page.

    Records are streamed: the caller adds them one at a time and the writer
    keeps nothing of a record once it is written, so an archive of any size
    exports in the memory of its largest record. XML is written with
    libxml2's xmlTextWriter. Output goes to temporary files that are renamed
    into place only by hny_export_finish, so a failed export never leaves a
    truncated file that looks whole.

    Choices, per format:
    - Inline markup (<b>, <i>, <a href>, see proto/PROTOCOL.md 11.1): TMX
      <bpt>/<ept> holding the original tag; XLIFF <pc> (links point at
      <originalData> for their href); HTML the tags themselves, hrefs other
      than http, https, mailto or relative dropped; Moses plain text without
      tags, escapes decoded. An unpaired tag is text everywhere.
    - Segments without a translation (tgt null): left out of TMX and Moses
      (counted in stats.missing); XLIFF state="initial" with no <target> and
      the failure in a note; HTML a highlighted row with the reason.
    - Language pairs: TMX takes the first record's source language for the
      header and gives a <tu> of another source language its own srclang;
      XLIFF 2.0 has one pair per document, so records of another pair than
      the first are skipped (stats.skipped); Moses writes DIR/corpus.SRC and
      DIR/corpus.TGT when every record has one pair, and
      DIR/corpus.SRC-TGT.SRC / DIR/corpus.SRC-TGT.TGT per pair otherwise
      (or when SRC equals TGT).
    - Moses: one line per segment pair, line breaks and tabs inside a
      segment become spaces; pairs with an empty side are left out too. */
#ifndef HNY_EXPORT_H
#define HNY_EXPORT_H

#include <jansson.h>
#include <stddef.h>

typedef enum {
    HNY_EXPORT_JSONL = 0,
    HNY_EXPORT_TMX,
    HNY_EXPORT_XLIFF,
    HNY_EXPORT_MOSES,
    HNY_EXPORT_HTML
} hny_export_format_t;

#define HNY_EXPORT_MAX_PAIRS 64         /* Moses: language pairs in one export */

/* What an export wrote so far. */
typedef struct {
    long records;               /* records written */
    long pairs;                 /* segment pairs written (title included) */
    long missing;               /* TMX, Moses: pairs left out for lack of a translation */
    long skipped;               /* records left out (XLIFF: other language pair) */
} hny_export_stats_t;

typedef struct _hny_export_t hny_export_t;

/* Parse a format name ("jsonl", "tmx", "xliff", "moses", "html"); returns
   the format or -1 when unknown. */
int hny_export_format_parse (const char *name);

/* Start an export in FORMAT to OUT: a file for every format but Moses (NULL
   or "-" means standard output), a directory for Moses (required; created
   when missing). Returns the export, or NULL with *why set (caller owns). */
hny_export_t *hny_export_new (hny_export_format_t format, const char *out, char **why);

/* Abandon an unfinished export (its temporary files are removed) or free a
   finished one. Accepts NULL and a NULL *self_p; sets *self_p to NULL. */
void hny_export_destroy (hny_export_t **self_p);

/* Write one record (borrowed; a honyaku.record/1 object). Returns 0, or -1
   when the record is malformed or the output failed: the export is then
   unusable and hny_export_error says why. */
int hny_export_add (hny_export_t *self, const json_t *record);

/* Close the document and move the output into place. Returns 0 or -1 (see
   hny_export_error). Call once; only hny_export_destroy may follow. */
int hny_export_finish (hny_export_t *self);

/* The reason of the last failure, or NULL; borrowed. */
const char *hny_export_error (const hny_export_t *self);

/* Counts so far. */
void hny_export_stats (const hny_export_t *self, hny_export_stats_t *stats);

#endif
