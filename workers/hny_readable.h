/*  hny_readable.h: which blocks of a flattened page (hny_page.h) are the
    article: a readability-style scorer.

    The ideas are those of the good extractors (Readability, trafilatura,
    jusText), on the flat page rather than a DOM:
    - structure: nav, header, footer, aside, form and ARIA chrome, and
      class or id names of chrome (menu, share, related, comment, ...)
      are not the article, unless such an element holds most of the page's
      prose (a site that wraps everything in <form>);
    - paragraphs score by their length and commas, and give the score to
      their parent and, less, to the ancestors above it; a node's score is
      cut by its link density; the best node, with the siblings that score
      near it, is the article; the page's own word (itemprop=articleBody,
      <article>, <main>) adds to the score;
    - inside it, lists and boxes of links, captions, bylines, date lines
      and the headline are dropped.
    The work is linear in the page's nodes and blocks times their depth:
    scores go at most a few levels up, and the clean-up looks at the
    ancestors of each block of the content (HNY_HTML_MAX_DEPTH bounds
    them). Memory is a few words per node. */
#ifndef HNY_READABLE_H
#define HNY_READABLE_H

#include "hny_page.h"

#include <stddef.h>

/* Choose the article's blocks: keep[b] is set to 1 for each block b of
   page that belongs to the article (keep has page->block_count entries,
   all 0 on entry). title: the article's title when known (blocks that
   repeat it are the headline, not body), may be NULL. Returns the number
   of blocks kept; 0 when the page holds no article (a home page, a list of
   results, a login form), with *why set to a static reason. */
size_t hny_readable_select (const hny_page_t *page, const char *title, unsigned char *keep,
                            const char **why);

#endif
