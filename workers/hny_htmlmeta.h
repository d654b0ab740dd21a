/*  hny_htmlmeta.h: an HTML article's title, date, author and section, from
    what the page states: Open Graph and article:* <meta> tags, JSON-LD
    (schema.org NewsArticle and its kin, also inside @graph), microdata
    (itemprop), <time datetime>, the first <h1>, <title>, breadcrumbs, and
    date lines near the article ("2021年3月6日（土）", "November 18, 2019").
    Nothing is guessed: a field the page does not state stays NULL. */
#ifndef HNY_HTMLMETA_H
#define HNY_HTMLMETA_H

#include "hny_extract.h"
#include "hny_page.h"

/* A page's metadata: the page (borrowed: it must outlive this) and what
   its JSON-LD says, parsed once here for both calls below. Caller owns;
   hny_htmlmeta_destroy frees it (not the page). */
typedef struct _hny_htmlmeta_t hny_htmlmeta_t;
hny_htmlmeta_t *hny_htmlmeta_new (const hny_page_t *page);
void hny_htmlmeta_destroy (hny_htmlmeta_t **self_p);

/* The article's title: the <h1> when og:title, the JSON-LD headline or
   <title> agree with it; else the JSON-LD headline, og:title, the <h1>, or
   <title>, each cleaned of the site's name ("Story | Site" -> "Story").
   Returns a new string (caller owns) or NULL when the page has none. */
char *hny_htmlmeta_title (const hny_htmlmeta_t *self);

/* Fill article->date (ISO 8601 "YYYY-MM-DD"), ->author and ->section where
   they are NULL, from the page's metadata; keep marks the article's blocks
   (hny_readable_select), near which date lines, bylines and breadcrumbs
   are looked for. */
void hny_htmlmeta_fill (const hny_htmlmeta_t *self, const unsigned char *keep,
                        hny_article_t *article);

/* The title without the site's name: site (may be NULL) or a part cut off
   by " | ", " - ", " — ", "｜" and their kin. Returns a new string (caller
   owns). Exposed for the tests. */
char *hny_htmlmeta_clean_title (const char *title, const char *site);

#endif
