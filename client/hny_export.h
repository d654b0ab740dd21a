/*  hny_export.h: writers that turn bilingual records (honyaku.record/1, one
    JSON object per article) into the exchange formats people and tools
    use: JSON Lines, TMX 1.4b, XLIFF 2.0 and 1.2, Moses line-aligned text
    and a side-by-side HTML page.

    Records are streamed: the caller adds them one at a time and the writer
    keeps nothing of a record once it is written, so an archive of any size
    exports in the memory of its largest record (the HTML page keeps its
    table of contents in a temporary file until the end). XML is written
    with libxml2's xmlTextWriter. Output goes to temporary files that are
    renamed into place only by hny_export_finish, so a failed export never
    leaves a truncated file that looks whole.

    Choices, per format:
    - Language pairs. A TMX or XLIFF file holds one pair: that is what CAT
      tools import (a TM, a project) and what XLIFF 2.0 allows. Written to
      a directory (OUT names one, or ends with '/'), they go one file per
      pair, DIR/records.SRC-TGT.tmx or .xlf; written to one file, a record
      of a second pair fails the export (hny_export_mixed) rather than mix
      them. JSON Lines and HTML carry each record's pair and take any mix
      (DIR/records.jsonl, DIR/records.html in a directory). Moses writes
      DIR/corpus.SRC and DIR/corpus.TGT when every record has one pair,
      and DIR/corpus.SRC-TGT.SRC / .TGT per pair otherwise. Pairs are
      compared and written in canonical form (hny_export_lang_canon).
    - Machine translation is marked: XLIFF 1.2 <target
      state="needs-review-translation" state-qualifier="mt-suggestion">,
      XLIFF 2.0 <segment state="initial" subState="honyaku:mt">, both with
      the backend named (1.2: a <phase> per backend in the file's header
      that each target names; 2.0: a note per file and per unit where a
      fallback translated). Human translations (records of the "aligned"
      backend) are state="translated" in both.
    - Inline markup (<b>, <i>, <a href>, see proto/PROTOCOL.md 11.1): TMX
      <bpt>/<ept> holding the original tag; XLIFF 2.0 <pc> (links point at
      <originalData> for their href); XLIFF 1.2 <g ctype="bold|italic">
      and, for links, <bpt ctype="link">/<ept> holding the tag with its
      href; HTML the tags themselves, hrefs other than http, https, mailto
      or relative dropped; Moses plain text without tags, escapes decoded.
      An unpaired tag is text everywhere.
    - Segments without a translation (tgt null): left out of TMX and Moses
      (counted in stats.missing); XLIFF without a target and the reason in
      a note; HTML a marked row with the reason.
    - Records of the "aligned" backend (align jobs, PROTOCOL.md 12.6): a
      link with a side null (a sentence without counterpart, not a
      failure) is no pair: every format but JSON Lines leaves it out
      (counted in stats.unlinked); a record left with no link at all is
      skipped like any record without pairs. Positions in ids (TMX tuid
      JOB/P/S, XLIFF units) count the links written.
    - Articles: XLIFF has a <file> per article (1.2 with a <group> per
      paragraph, 2.0 a <unit> per paragraph), TMX a <tu> per pair with the
      article in <prop>s, HTML a section per article behind a table of
      contents.
    - Moses: one line per segment pair, line breaks and tabs inside a
      segment become spaces; pairs with an empty side are left out too. */
#ifndef HNY_EXPORT_H
#define HNY_EXPORT_H

#include <jansson.h>
#include <stddef.h>

typedef enum {
    HNY_EXPORT_JSONL = 0,
    HNY_EXPORT_TMX,
    HNY_EXPORT_XLIFF,           /* XLIFF 2.0 */
    HNY_EXPORT_MOSES,
    HNY_EXPORT_HTML,
    HNY_EXPORT_XLIFF12          /* XLIFF 1.2 */
} hny_export_format_t;

/* Language pairs in one export written one file per pair (Moses, or TMX
   and XLIFF into a directory): each holds open files until the end. */
#define HNY_EXPORT_MAX_PAIRS 64

/* What an export wrote so far. */
typedef struct {
    long records;               /* records written */
    long pairs;                 /* segment pairs written (title included) */
    long missing;               /* TMX, Moses: pairs left out for lack of a translation */
    long skipped;               /* XLIFF: records left out for having no segment at all */
    long unlinked;              /* aligned records: links with a side null left out */
} hny_export_stats_t;

typedef struct _hny_export_t hny_export_t;

/* Parse a format name ("jsonl", "tmx", "xliff" or "xliff20" for 2.0,
   "xliff12", "moses", "html"); returns the format or -1 when unknown. */
int hny_export_format_parse (const char *name);

/* A format's name for people ("TMX", "XLIFF 1.2"): static text. */
const char *hny_export_format_label (hny_export_format_t format);

/* The names hny_export_format_parse knows, for messages: static text. */
const char *hny_export_format_names (void);

/* Start an export in FORMAT to OUT. OUT is a directory when it ends with
   '/' or names one (created when missing, with the trailing '/'; always
   for Moses, which requires OUT); otherwise a file, NULL or "-" meaning
   standard output. Returns the export, or NULL with *why set (caller
   owns). */
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

/* True when the export failed because a record of a second language pair
   came to a one-pair file (see the choices above). */
int hny_export_mixed (const hny_export_t *self);

/* Counts so far. */
void hny_export_stats (const hny_export_t *self, hny_export_stats_t *stats);

/* The files of the export, in the order they were opened: count, then
   for each its final path (NULL: standard output; Moses: the source
   side's), its language pair ("" before its first record, and for JSON
   Lines and HTML, which mix pairs) and the records it got. Paths are
   final once hny_export_finish succeeded. Borrowed. */
size_t hny_export_files (const hny_export_t *self);
const char *hny_export_file_path (const hny_export_t *self, size_t index);
const char *hny_export_file_pair (const hny_export_t *self, size_t index);
long hny_export_file_records (const hny_export_t *self, size_t index);

/* The canonical form of a language tag, for comparing and naming: '_'
   becomes '-', subtags take the case BCP 47 recommends (RFC 5646 2.1.1:
   "en", "pt-BR", "zh-Hant", "sr-Latn-RS"). Writes at most size bytes
   (NUL included) to out; returns 0, or -1 when the tag is empty, longer
   than 35 bytes or holds other characters than letters, digits, '-' and
   '_' (out is then ""). */
int hny_export_lang_canon (const char *tag, char *out, size_t size);

#endif
