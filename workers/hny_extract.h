/*  hny_extract.h: decoded UTF-8 text -> an article: metadata, title and
    paragraphs of raw text (normalization and segmentation come later).

    Formats:
    - "plain": paragraphs separated by blank lines, nothing else detected.
    - "text":  a plain text article: a first short line without a final
               period, followed by a blank line, a date line or a section
               label, is the title; a date line near the top ("April 21,
               2019", "2021年3月6日（土）", "令和3年3月6日", "2021/03/06";
               above or under the title) becomes metadata.date, a section
               label ("【政治】") metadata.section.
    - "jpw":   the Japan Press Weekly page layouts (see
               shared/data/samples/LAYOUTS.md): the module era (site chrome,
               breadcrumb, issue line "2019 April 17 - 23 [POLITICS]", title,
               date line, body, "Past related articles:", footer) and the
               2000s pages (site header or bare; optional kicker line such as
               "Akahata editorial"; year and issue number from a source path
               <year>/<issue number>/<name>.html; titles with the source
               folded in: "... -- Akahata editorial, January 31 (excerpts)").
    - "auto":  HTML markup -> hny_html; JPW markers -> "jpw"; else "text".

    Index pages (the front page and the weekly pages: a list of issue weeks,
    several headlines with leads, "Photo NEWS", "Read moer", "NEWS
    Category") are refused with 422 "index page: lists N articles, submit
    the articles themselves": their leads are truncated copies of articles
    that the archive holds in full, so translating them would only duplicate
    (and cut) those articles. A page without article text is 422 too.

    The line classifiers at the end are shared with hny_html, which feeds
    the texts of an HTML page's blocks through the same JPW rules. */
#ifndef HNY_EXTRACT_H
#define HNY_EXTRACT_H

#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <stddef.h>

/* One entry of "Past related articles:". */
typedef struct {
    char *title;                /* owned */
    char *date;                 /* ISO 8601 "2018-12-19", owned; NULL if unknown */
} hny_related_t;

/* An extracted article. A plain record rather than an opaque type: it is
   produced here, consumed by hny_prepare and freed with
   hny_article_destroy; every string in it is owned by the article. */
typedef struct {
    const char *format;         /* static: "plain", "text", "jpw" or "html" */
    char *title;                /* NULL when the article has none */
    char *date;                 /* ISO 8601 date (or just the year), or NULL */
    char *issue;                /* "2019 April 17 - 23", "No. 428", or NULL */
    char *section;              /* "POLITICS", or NULL */
    char *kicker;               /* "Akahata editorial", or NULL */
    char *author;               /* as the page states it ("Jane Doe, John Roe"), or NULL */
    hny_related_t *related;     /* related[0 .. related_count) */
    size_t related_count;
    char **paragraphs;          /* raw paragraph texts (lines joined by '\n') */
    size_t paragraph_count;
    size_t paragraph_cap;       /* allocated slots in paragraphs */
    int markup;                 /* 1: paragraphs are in hny_markup.h's inline form
                                   (HTML pages), 0: plain text */
} hny_article_t;

/* Hard caps on what one article may hold. */
#define HNY_EXTRACT_MAX_PARAGRAPHS 20000
#define HNY_EXTRACT_MAX_RELATED    200
/* Bytes of one paragraph (or HTML block) while it is gathered, plain or in
   the inline form: a larger one could never be delivered, as the prepared
   article carries it whole in one RESULT body. */
#define HNY_EXTRACT_MAX_PARAGRAPH_BYTES HNY_PROTO_BODY_MAX

/* A new empty article of the given format (a static string). Caller owns. */
hny_article_t *hny_article_new (const char *format);
void hny_article_destroy (hny_article_t **self_p);

/* Append a copy of [text, text+len) as a paragraph, trimmed of white space
   and of the ideographic spaces (U+3000) that indent Japanese paragraphs,
   unless nothing is left. Returns 0, or -1 past HNY_EXTRACT_MAX_PARAGRAPHS. */
int hny_article_add_paragraph (hny_article_t *self, const char *text, size_t len);

/* The same for a paragraph gathered in para (borrowed; capped at
   HNY_EXTRACT_MAX_PARAGRAPH_BYTES): returns -2, adding nothing, when it
   went past its cap. */
int hny_article_add_buf (hny_article_t *self, const hny_buf_t *para);

/* The reason (caller owns) of a 413 for a failure of the two above: -1
   too many paragraphs, -2 a paragraph too long. */
char *hny_article_limit_reason (int rc);

/* Extract an article from valid UTF-8. format: "auto" (or NULL), "plain",
   "text", "jpw" or "html"; source: the article's path or URL (the 2000s
   JPW pages carry their year and issue number in it), may be NULL.
   Returns the article (caller owns) or NULL with *status (422, or 413 past a
   cap) and *reason (caller owns). */
hny_article_t *hny_extract (const char *text, size_t len, const char *format,
                            const char *source, int *status, char **reason);

/* Extract from a list of logical lines (an empty string separates
   paragraphs). format: "plain", "text" or "jpw" ("auto" picks "jpw" or
   "text" by the markers). hny_html uses this on the texts of HTML blocks.
   Same contract as hny_extract; lines stay owned by the caller and are
   not modified. */
hny_article_t *hny_extract_lines (char **lines, size_t count, const char *format,
                                  const char *source, int *status, char **reason);

/* --- Line classifiers (a line: trimmed UTF-8, NUL-terminated) --- */

/* How a line of a JPW page counts. */
typedef enum {
    HNY_JPW_TEXT = 0,           /* article text (or unknown) */
    HNY_JPW_MENU,               /* a menu item: chrome only above the article */
    HNY_JPW_CHROME,             /* site chrome anywhere: breadcrumb, search, share */
    HNY_JPW_FOOTER,             /* "> List of Past issues", the copyright line */
    HNY_JPW_INDEX               /* a marker of index pages ("Photo NEWS", ...) */
} hny_jpw_line_t;

hny_jpw_line_t hny_jpw_classify (const char *line);

/* "2019 April 17 - 23 [POLITICS]" (optional "TOP3" before the bracket):
   returns 1 and sets *issue and *section (caller owns), else 0. */
int hny_jpw_parse_issue (const char *line, char **issue, char **section);

/* A week line alone, "2020 May 13 - 19" (index pages list these): 1 or 0. */
int hny_jpw_is_week (const char *line);

/* A whole-line date "April 21, 2019" (also "Apr. 21, 2019", "21 April
   2019", with an optional leading weekday; Japanese "2021年6月9日（水）",
   full-width digits, eras "令和3年3月6日"; "2021/03/06"): returns 1 and
   writes "2019-04-21" into iso[11], else 0. hny_date_parse of hny_date.h. */
int hny_parse_date (const char *line, char iso[11]);

/* A line that is only a bracketed label naming the article's section,
   "【政治】", "［主張］", "[Economy]" (at most HNY_SECTION_LABEL_MAX bytes
   inside): returns the label (caller owns), else NULL. */
#define HNY_SECTION_LABEL_MAX 40
char *hny_section_label (const char *line);

/* "> title [December 19, 2018]": returns 1 and sets *title (caller owns)
   and iso (empty string when the date does not parse), else 0. */
int hny_jpw_parse_related (const char *line, char **title, char iso[11]);

/* True when the lines look like a JPW page (module era or 2000s header). */
int hny_jpw_detect (char **lines, size_t count);

/* Split text into cleaned lines: no-break spaces become spaces, runs of
   spaces and tabs fold to one, ends trimmed. Returns the number of lines
   (at least 1) and sets *lines_p (caller frees with hny_lines_free; the
   lines live in one buffer that lines[0] points to). */
size_t hny_lines_split (const char *text, size_t len, char ***lines_p);
void hny_lines_free (char ***lines_p, size_t count);

/* Clean one line in place the same way; returns the new length. */
size_t hny_line_clean (char *line);

#endif
