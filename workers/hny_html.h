/*  hny_html.h: HTML pages -> articles, with libxml2's forgiving HTML parser.

    The page is flattened into logical lines: each block element (p, div,
    li, h1..h6, td, blockquote, ...) ends a paragraph, <br> ends a line;
    script, style, nav, header, footer, form and noscript are skipped. Pages
    of Japan Press Weekly go through the same JPW rules as its text dumps
    (hny_extract_lines); other pages take their title from the first <h1>,
    else <title>, and their paragraphs from the blocks. Inline markup (b and
    strong, i and em, a with href) is kept: the article's paragraphs are in
    the inline form of hny_markup.h (article->markup is 1); titles and
    metadata are plain text. The page is parsed with libxml2's SAX
    interface, so no tree is built and memory follows the text kept. */
#ifndef HNY_HTML_H
#define HNY_HTML_H

#include "hny_extract.h"

#include <stddef.h>

/* Elements nested deeper than this are not descended into (their text is
   dropped); the SAX walk keeps no stack of its own, so depth costs nothing. (libxml2
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
   with *status 422 (no article, an index page; 413 past a cap) and *reason
   (caller owns). */
hny_article_t *hny_html_extract (const char *text, size_t len, const char *format,
                                 const char *source, int *status, char **reason);

#endif
