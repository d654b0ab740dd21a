/*  hny_page.h: an HTML page flattened for extraction, without a tree.

    hny_html walks the page with libxml2's SAX parser and records three
    things, all in document order:
    - nodes: the block elements (div, p, li, table, article, nav, ...) with
      their parent and what their tag and attributes hint (a class named
      "share", role=navigation, itemprop=articleBody, ...). Inline elements
      (a, b, span, ...) are not nodes: their text belongs to the block
      around them.
    - blocks: the runs of text between block boundaries, each with the node
      that holds it, its size and the part of it inside links.
    - lines: the blocks' text split at <br>, plain and in the inline form of
      hny_markup.h, an empty line closing each paragraph.
    and the page's metadata (<title>, <meta>, JSON-LD, <time datetime>).

    A node is 24 bytes and a block 28, so the page costs little more
    than the text it keeps; nodes past HNY_PAGE_MAX_NODES are not recorded
    (their text goes to the nearest recorded ancestor), so a page of a
    million empty <div>s stays small. hny_readable chooses the blocks of
    the article from this; hny_htmlmeta reads its metadata.

    A plain record rather than an opaque type, like hny_article_t: built
    by hny_html, read by hny_readable and hny_htmlmeta, freed with
    hny_page_destroy. Every string in it is owned by the page. */
#ifndef HNY_PAGE_H
#define HNY_PAGE_H

#include <stddef.h>
#include <stdint.h>

/* Nodes a page may record; later block elements are transparent. */
#define HNY_PAGE_MAX_NODES 200000

/* Metadata values kept (bytes each) and JSON-LD text kept (all scripts). */
#define HNY_PAGE_META_MAX   2048
#define HNY_PAGE_JSONLD_MAX (512 * 1024)

/* No node: the parent of top-level nodes, the node of text outside all. */
#define HNY_PAGE_NONE UINT32_MAX

/* The block elements, and the few others the extractors look at. */
typedef enum {
    HNY_TAG_OTHER = 0,
    HNY_TAG_P, HNY_TAG_DIV, HNY_TAG_LI, HNY_TAG_H1, HNY_TAG_H2, HNY_TAG_H3, HNY_TAG_H4,
    HNY_TAG_H5, HNY_TAG_H6, HNY_TAG_BLOCKQUOTE, HNY_TAG_TD, HNY_TAG_TH, HNY_TAG_TR,
    HNY_TAG_DD, HNY_TAG_DT, HNY_TAG_PRE, HNY_TAG_SECTION, HNY_TAG_ARTICLE, HNY_TAG_MAIN,
    HNY_TAG_ASIDE, HNY_TAG_TABLE, HNY_TAG_UL, HNY_TAG_OL, HNY_TAG_DL, HNY_TAG_ADDRESS,
    HNY_TAG_FIGCAPTION, HNY_TAG_FIGURE, HNY_TAG_CENTER, HNY_TAG_BODY, HNY_TAG_HR,
    HNY_TAG_CAPTION, HNY_TAG_TBODY, HNY_TAG_NAV, HNY_TAG_HEADER, HNY_TAG_FOOTER,
    HNY_TAG_FORM, HNY_TAG_MENU, HNY_TAG_DETAILS, HNY_TAG_FIELDSET, HNY_TAG_THEAD,
    HNY_TAG_TFOOT, HNY_TAG_COUNT
} hny_tag_t;

/* What a node's tag and attributes hint (bits of hny_page_node_t.hints). */
enum {
    HNY_HINT_NEG     = 1u << 0,  /* class/id names boilerplate: menu, share, comment, ... */
    HNY_HINT_POS     = 1u << 1,  /* class/id names content: article, body, story, post, ... */
    HNY_HINT_CHROME  = 1u << 2,  /* nav, aside, footer, header, menu; ARIA landmarks of chrome */
    HNY_HINT_LEGACY  = 1u << 3,  /* skipped by the JPW line rules: nav, header, footer, form */
    HNY_HINT_BODY    = 1u << 4,  /* itemprop=articleBody: the page says this is the body */
    HNY_HINT_ARTICLE = 1u << 5,  /* <article>, role=article, <main>, role=main */
    HNY_HINT_CAPTION = 1u << 6,  /* a caption or credit of a picture */
    HNY_HINT_BYLINE  = 1u << 7,  /* byline, author, dateline: metadata, not body */
    HNY_HINT_CRUMB   = 1u << 8,  /* a breadcrumb trail */
    HNY_HINT_FORM    = 1u << 9,  /* form, fieldset: chrome unless it holds the page */
    HNY_HINT_STRONG  = 1u << 10, /* NEG from a name that is never content (comments, share, ...) */
    HNY_HINT_DATE    = 1u << 11, /* a date or time element, itemprop=datePublished */
    HNY_HINT_HIDDEN  = 1u << 12  /* aria-hidden: decorative, not read aloud */
};

typedef struct {
    uint32_t parent;        /* index of the parent node, HNY_PAGE_NONE at the top */
    uint16_t tag;           /* hny_tag_t */
    uint32_t hints;         /* HNY_HINT_* */
    uint32_t images;        /* <img> directly in it */
    uint32_t inputs;        /* <input>, <button>, <select>, <textarea> directly in it */
    uint32_t class_hash;    /* hash of the class attribute, 0 without one */
} hny_page_node_t;

typedef struct {
    uint32_t node;          /* the innermost recorded node holding the text */
    uint32_t first_line;    /* lines [first_line, first_line + line_count) */
    uint32_t line_count;    /* including the closing empty lines */
    uint32_t text;          /* bytes of text, white space not counted */
    uint32_t link;          /* of which inside <a> elements */
    uint16_t commas;        /* , 、 ， and their kin */
    uint16_t stops;         /* sentence ends: . ! ? 。 ！ ？ */
    uint16_t flags;         /* HNY_BLOCK_* */
} hny_page_block_t;

/* Bits of hny_page_block_t.flags. */
enum {
    HNY_BLOCK_LEGACY = 1u << 0  /* under an element the JPW line rules skip */
};

typedef struct {
    /* the flattened page */
    hny_page_node_t *nodes;
    size_t node_count, node_cap;
    hny_page_block_t *blocks;
    size_t block_count, block_cap;
    char **lines;           /* plain text; "" closes a paragraph */
    char **marked;          /* the same in the inline form, NULL without markup */
    uint32_t *line_block;   /* block of each line */
    size_t line_count, line_cap;
    size_t nodes_dropped;   /* block elements past HNY_PAGE_MAX_NODES */
    /* metadata, plain text, NULL when absent */
    char *title;            /* <title> */
    char *h1;               /* the first <h1>; h1_block its first block, else HNY_PAGE_NONE */
    uint32_t h1_block;
    char *og_title, *og_site;
    char *published;        /* article:published_time and its kin, as written */
    char *date_meta;        /* other date metas: name=date, pubdate, dc.date, ... */
    char *author;           /* meta author, article:author */
    char *section;          /* article:section */
    char *time_datetime;    /* datetime= of the first <time> with one */
    char *itemprop_date;    /* itemprop=datePublished (content= or datetime=) */
    char *itemprop_author;  /* text or content= of itemprop=author */
    char *jsonld;           /* the ld+json scripts, each ended by U+001E */
    size_t jsonld_len;
} hny_page_t;

/* A new empty page. Caller owns; hny_page_destroy frees it and all it holds. */
hny_page_t *hny_page_new (void);
void hny_page_destroy (hny_page_t **self_p);

/* Record a node; returns its index, or HNY_PAGE_NONE past the cap. */
uint32_t hny_page_add_node (hny_page_t *self, uint32_t parent, hny_tag_t tag, uint32_t hints);

/* Record a block of stats for node; returns its index. The caller adds its
   lines with hny_page_add_line afterwards. */
uint32_t hny_page_add_block (hny_page_t *self, const hny_page_block_t *block);

/* Append a line of the last block, taking over line and marked (NULL: no
   markup). Returns 0, or -1 when max_lines lines exist (both freed). */
int hny_page_add_line (hny_page_t *self, char *line, char *marked, size_t max_lines);

/* Set a metadata string once: *field takes a trimmed copy of [text, len)
   capped at HNY_PAGE_META_MAX bytes (cut at a character boundary), unless
   it is set already or the copy is empty. */
void hny_page_set_meta (char **field, const char *text, size_t len);

/* The text of block b, its lines joined by spaces, into buf: cut at
   cap - 1 bytes (cap >= 1), NUL-terminated. Returns buf. */
const char *hny_page_block_text (const hny_page_t *self, size_t b, char *buf, size_t cap);

/* The same, whole, in a new string (caller owns). */
char *hny_page_block_text_dup (const hny_page_t *self, size_t b);

/* The first node that has any of hints, walking up from node (itself
   included); HNY_PAGE_NONE when none. */
uint32_t hny_page_ancestor_with (const hny_page_t *self, uint32_t node, uint32_t hints);

/* What an element's tag and attributes hint: HNY_HINT_* bits from the tag,
   the class and id names (each may be NULL), role, itemprop and
   aria-hidden. Names are matched as words of the lower-cased class and id
   ("main-nav", "GlobalNav__item" and "navbar" name a nav; "canvas" does
   not). */
uint32_t hny_page_hints (hny_tag_t tag, const char *class_name, const char *id,
                         const char *role, const char *itemprop, const char *aria_hidden);

#endif
