/*  hny_html.h: HTML pages -> articles, with libxml2's forgiving HTML parser.

    The page is walked with libxml2's SAX interface (no tree is built, so
    memory follows the text kept) into the flat page of hny_page.h: block
    elements (p, div, li, h1..h6, td, blockquote, nav, footer, ...) end
    paragraphs, <br> ends a line, script, style, noscript, iframe, form
    controls and hidden elements are skipped. Pages of Japan Press Weekly go
    through the JPW rules of hny_extract (hny_extract_lines) on the lines
    outside nav, header, footer and form, as they always have; every other
    page goes to hny_readable, which keeps the article's blocks and drops
    the page's chrome, and to hny_htmlmeta for the title, date, author and
    section. Inline markup (b and strong, i and em, a with href) is kept:
    the article's paragraphs are in the inline form of hny_markup.h
    (article->markup is 1); titles and metadata are plain text. */
#ifndef HNY_HTML_H
#define HNY_HTML_H

#include "hny_extract.h"

#include <stddef.h>

/* Elements nested deeper than this are not descended into (their text is
   dropped); the walker keeps a few bytes per level of depth. (libxml2
   itself stops parsing at depth 256 unless HTML_PARSE_HUGE is given, which
   we never give; this cap holds should that ever change.) */
#define HNY_HTML_MAX_DEPTH 512

/* Logical lines a page may yield (blocks and <br>s with text, plus one
   separator per block); past this the page is refused with 413. Generous:
   HNY_EXTRACT_MAX_PARAGRAPHS paragraphs of several lines each. */
#define HNY_HTML_MAX_LINES 100000

/* Extract an article from an HTML document in valid UTF-8 (a declared
   charset inside it is ignored: the bytes are already UTF-8). format:
   "auto" (JPW rules when the page looks like JPW, else generic HTML) or
   "jpw". Returns the article (caller owns; format "html" or "jpw") or NULL
   with *status 422 (no article: a JPW index page, a home page, search
   results, a login wall, a page of links) or 413 (past a cap) and *reason
   (caller owns). */
hny_article_t *hny_html_extract (const char *text, size_t len, const char *format,
                                 const char *source, int *status, char **reason);

#endif
