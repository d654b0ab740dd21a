/*  hny_html.c: HTML page -> article. libxml2's HTML parser runs in SAX mode
    and the walker records the page in the flat form of hny_page.h (block
    nodes with their hints, blocks of text with their stats, lines, and the
    metadata of <head>, <meta>, JSON-LD and <time>): no tree is built, so
    memory stays proportional to the text kept (a page of a million tiny
    <p> elements made a 400 MB tree once; now the line cap stops it early).

    Japan Press Weekly pages go through the JPW line rules of hny_extract,
    on the lines outside nav, header, footer and form exactly as before;
    every other page goes to hny_readable, which chooses the article's
    blocks, and hny_htmlmeta, which reads its title, date, author and
    section. Bold, italics and links inside blocks are kept in the inline
    form of hny_markup.h. */
#include "hny_html.h"

#include "hny_htmlmeta.h"
#include "hny_markup.h"
#include "hny_page.h"
#include "hny_readable.h"
#include "honyaku/util.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TITLE_MAX   4096      /* bytes of <title> text kept */
#define S_SEARCH_MAX  256       /* lines searched for a paragraph's source */
#define S_CAPTURE_MAX 512       /* bytes of an itemprop=author element's text */
#define S_HINT_CACHE  256       /* class/id names remembered (pages repeat them) */

/* Flags of an open element, by depth. */
enum {
    S_OPEN_LINK = 1u << 0,      /* an <a>: its text counts as link text */
    S_OPEN_LEGACY = 1u << 1,    /* an element the JPW line rules skip */
    S_OPEN_PRE = 1u << 2        /* a <pre> */
};

/* What the characters callback is collecting besides the block text. */
typedef enum { S_CAP_NONE = 0, S_CAP_TITLE, S_CAP_JSONLD } s_capture_t;

/* The walker's state. */
typedef struct {
    xmlParserCtxtPtr ctxt;  /* to stop the parser past a cap */
    hny_page_t *page;       /* what is recorded */
    hny_buf_t text;         /* the current block's text, in the inline form */
    int pre;                /* inside <pre> (keeps line breaks) */
    size_t depth;           /* open elements */
    size_t skip;            /* depth of the skipped element we are in; 0: none */
    int h1_depth;           /* depth of the first <h1> while open, else 0 */
    uint32_t node_at[HNY_HTML_MAX_DEPTH + 2];   /* innermost recorded node at each depth */
    unsigned char inl[HNY_HTML_MAX_DEPTH + 2];  /* inline tag opened at each depth */
    size_t inl_start[HNY_HTML_MAX_DEPTH + 2];   /* where its open tag starts in text */
    size_t inl_end[HNY_HTML_MAX_DEPTH + 2];     /* and ends */
    unsigned char open[HNY_HTML_MAX_DEPTH + 2]; /* S_OPEN_* at each depth */
    unsigned char tag_at[HNY_HTML_MAX_DEPTH + 2]; /* hny_tag_t of each open element */
    size_t in_link;         /* open <a> elements */
    size_t legacy;          /* open elements the JPW rules skip */
    /* the current block's stats (hny_page_block_t) */
    uint32_t b_text, b_link;
    uint32_t b_commas, b_stops;
    /* side captures */
    s_capture_t capture;    /* <title> or an ld+json script */
    size_t capture_depth;   /* its depth */
    hny_buf_t title;        /* <title> text */
    size_t author_depth;    /* itemprop=author element being read, else 0 */
    hny_buf_t author;       /* its text */
    hny_buf_t jsonld;       /* ld+json scripts, each ended by U+001E */
    struct {
        uint32_t key;       /* hash of class and id; 0: empty slot */
        uint32_t hints;
    } cache[S_HINT_CACHE];
    size_t too_deep;        /* elements not descended into */
    int too_many;           /* the line cap was hit */
    int too_big;            /* a block's text passed its cap */
} s_walk_t;

/* What the walker does with an element. */
typedef enum {
    S_EL_INLINE = 0,    /* its text belongs to the block around it */
    S_EL_BLOCK,         /* ends the text before it; a node of the page */
    S_EL_SKIP,          /* its content is never text of the page */
    S_EL_CONTROL,       /* a form control whose content is skipped */
    S_EL_A, S_EL_B, S_EL_I, S_EL_BR, S_EL_IMG, S_EL_INPUT, S_EL_META,
    S_EL_TITLE, S_EL_SCRIPT, S_EL_TIME
} s_kind_t;

/* The elements the walker knows, sorted by name for bsearch (libxml2's
   HTML parser gives names in lower case). */
static const struct {
    const char *name;
    unsigned char kind;         /* s_kind_t */
    unsigned char tag;          /* hny_tag_t of blocks */
} s_elements[] = {
    { "a", S_EL_A, HNY_TAG_OTHER },
    { "address", S_EL_BLOCK, HNY_TAG_ADDRESS },
    { "article", S_EL_BLOCK, HNY_TAG_ARTICLE },
    { "aside", S_EL_BLOCK, HNY_TAG_ASIDE },
    { "audio", S_EL_SKIP, HNY_TAG_OTHER },
    { "b", S_EL_B, HNY_TAG_OTHER },
    { "blockquote", S_EL_BLOCK, HNY_TAG_BLOCKQUOTE },
    { "body", S_EL_BLOCK, HNY_TAG_BODY },
    { "br", S_EL_BR, HNY_TAG_OTHER },
    { "button", S_EL_CONTROL, HNY_TAG_OTHER },
    { "canvas", S_EL_SKIP, HNY_TAG_OTHER },
    { "caption", S_EL_BLOCK, HNY_TAG_CAPTION },
    { "center", S_EL_BLOCK, HNY_TAG_CENTER },
    { "dd", S_EL_BLOCK, HNY_TAG_DD },
    { "details", S_EL_BLOCK, HNY_TAG_DETAILS },
    { "div", S_EL_BLOCK, HNY_TAG_DIV },
    { "dl", S_EL_BLOCK, HNY_TAG_DL },
    { "dt", S_EL_BLOCK, HNY_TAG_DT },
    { "em", S_EL_I, HNY_TAG_OTHER },
    { "fieldset", S_EL_BLOCK, HNY_TAG_FIELDSET },
    { "figcaption", S_EL_BLOCK, HNY_TAG_FIGCAPTION },
    { "figure", S_EL_BLOCK, HNY_TAG_FIGURE },
    { "footer", S_EL_BLOCK, HNY_TAG_FOOTER },
    { "form", S_EL_BLOCK, HNY_TAG_FORM },
    { "frameset", S_EL_SKIP, HNY_TAG_OTHER },
    { "h1", S_EL_BLOCK, HNY_TAG_H1 },
    { "h2", S_EL_BLOCK, HNY_TAG_H2 },
    { "h3", S_EL_BLOCK, HNY_TAG_H3 },
    { "h4", S_EL_BLOCK, HNY_TAG_H4 },
    { "h5", S_EL_BLOCK, HNY_TAG_H5 },
    { "h6", S_EL_BLOCK, HNY_TAG_H6 },
    { "head", S_EL_SKIP, HNY_TAG_OTHER },
    { "header", S_EL_BLOCK, HNY_TAG_HEADER },
    { "hr", S_EL_BLOCK, HNY_TAG_HR },
    { "i", S_EL_I, HNY_TAG_OTHER },
    { "iframe", S_EL_SKIP, HNY_TAG_OTHER },
    { "img", S_EL_IMG, HNY_TAG_OTHER },
    { "input", S_EL_INPUT, HNY_TAG_OTHER },
    { "li", S_EL_BLOCK, HNY_TAG_LI },
    { "main", S_EL_BLOCK, HNY_TAG_MAIN },
    { "map", S_EL_SKIP, HNY_TAG_OTHER },
    { "math", S_EL_SKIP, HNY_TAG_OTHER },
    { "menu", S_EL_BLOCK, HNY_TAG_MENU },
    { "meta", S_EL_META, HNY_TAG_OTHER },
    { "nav", S_EL_BLOCK, HNY_TAG_NAV },
    { "noscript", S_EL_SKIP, HNY_TAG_OTHER },
    { "object", S_EL_SKIP, HNY_TAG_OTHER },
    { "ol", S_EL_BLOCK, HNY_TAG_OL },
    { "p", S_EL_BLOCK, HNY_TAG_P },
    { "pre", S_EL_BLOCK, HNY_TAG_PRE },
    { "script", S_EL_SCRIPT, HNY_TAG_OTHER },
    { "section", S_EL_BLOCK, HNY_TAG_SECTION },
    { "select", S_EL_CONTROL, HNY_TAG_OTHER },
    { "strong", S_EL_B, HNY_TAG_OTHER },
    { "style", S_EL_SKIP, HNY_TAG_OTHER },
    { "svg", S_EL_SKIP, HNY_TAG_OTHER },
    { "table", S_EL_BLOCK, HNY_TAG_TABLE },
    { "tbody", S_EL_BLOCK, HNY_TAG_TBODY },
    { "td", S_EL_BLOCK, HNY_TAG_TD },
    { "template", S_EL_SKIP, HNY_TAG_OTHER },
    { "textarea", S_EL_CONTROL, HNY_TAG_OTHER },
    { "tfoot", S_EL_BLOCK, HNY_TAG_TFOOT },
    { "th", S_EL_BLOCK, HNY_TAG_TH },
    { "thead", S_EL_BLOCK, HNY_TAG_THEAD },
    { "time", S_EL_TIME, HNY_TAG_OTHER },
    { "title", S_EL_TITLE, HNY_TAG_OTHER },
    { "tr", S_EL_BLOCK, HNY_TAG_TR },
    { "ul", S_EL_BLOCK, HNY_TAG_UL },
    { "video", S_EL_SKIP, HNY_TAG_OTHER },
};

static int
s_in (const char *name, const char **set)
{
    for (int i = 0; set[i]; i++)
        if (strcasecmp (name, set[i]) == 0)
            return 1;
    return 0;
}

static int
s_element_cmp (const void *key, const void *entry)
{
    return strcmp ((const char *) key, *(const char *const *) entry);
}

/* The kind of an element, and its tag when it is a block. */
static s_kind_t
s_kind (const char *name, hny_tag_t *tag)
{
    char lower[16];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof lower; n++)
        lower[n] = (char) tolower ((unsigned char) name[n]);
    lower[n] = '\0';
    *tag = HNY_TAG_OTHER;
    if (name[n])
        return S_EL_INLINE;     /* longer than any name we know */
    const void *hit = bsearch (lower, s_elements, sizeof s_elements / sizeof s_elements[0],
                               sizeof s_elements[0], s_element_cmp);
    if (!hit)
        return S_EL_INLINE;
    size_t i = (size_t) ((const char *) hit - (const char *) s_elements) / sizeof s_elements[0];
    *tag = (hny_tag_t) s_elements[i].tag;
    return (s_kind_t) s_elements[i].kind;
}

/* An attribute's value: "" for one without a value (<div hidden>), NULL
   when absent. */
static const char *
s_attr (const xmlChar **atts, const char *name)
{
    for (size_t i = 0; atts && atts[i]; i += 2)
        if (strcasecmp ((const char *) atts[i], name) == 0)
            return atts[i + 1] ? (const char *) atts[i + 1] : "";
    return NULL;
}

/* FNV-1a of "a#b", never 0 (0 marks an empty slot of the cache). */
static uint32_t
s_hash (const char *a, const char *b)
{
    uint32_t h = 2166136261u;
    for (const char *p = a ? a : ""; *p; p++)
        h = (h ^ (unsigned char) *p) * 16777619u;
    h = (h ^ '#') * 16777619u;
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (unsigned char) *p) * 16777619u;
    return h ? h : 1;
}

/* Whether an element is hidden from readers: the hidden attribute, or an
   inline style that hides it. Style sheets are not read (no CSS engine
   here); pages that hide by class are caught by the names ("hidden",
   "sr-only") in hny_page. */
static int
s_hidden (const xmlChar **atts)
{
    if (s_attr (atts, "hidden"))
        return 1;
    const char *style = s_attr (atts, "style");
    if (!style)
        return 0;
    char flat[256];
    size_t n = 0;
    for (const char *p = style; *p && n + 1 < sizeof flat; p++)
        if (!isspace ((unsigned char) *p))
            flat[n++] = (char) tolower ((unsigned char) *p);
    flat[n] = '\0';
    return strstr (flat, "display:none") || strstr (flat, "visibility:hidden");
}

/* ------------------------------------------------------------ text */

/* Count the stats of text going into the current block: bytes outside
   white space (UTF-8 weighs CJK text about as its information: one
   character, three bytes), bytes inside links, commas and sentence ends,
   Latin and CJK. */
static void
s_count (s_walk_t *w, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *) text;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        unsigned char c1 = i + 1 < len ? p[i + 1] : 0, c2 = i + 2 < len ? p[i + 2] : 0;
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f')
            continue;
        if (c == 0xC2 && c1 == 0xA0) {
            i += 1;     /* no-break space */
            continue;
        }
        if (c == 0xE3 && c1 == 0x80 && c2 == 0x80) {
            i += 2;     /* ideographic space */
            continue;
        }
        w->b_text++;
        if (w->in_link)
            w->b_link++;
        if (c == ',')
            w->b_commas++;
        else if (c == '.' || c == '!' || c == '?')
            w->b_stops++;
        else if (c == 0xE3 && c1 == 0x80 && (c2 == 0x81 || c2 == 0x82)) {
            w->b_commas += c2 == 0x81;      /* 、 */
            w->b_stops += c2 == 0x82;       /* 。 */
        }
        else if (c == 0xEF && c1 == 0xBC && (c2 == 0x8C || c2 == 0x81 || c2 == 0x9F)) {
            w->b_commas += c2 == 0x8C;      /* ， */
            w->b_stops += c2 != 0x8C;       /* ！ ？ */
        }
    }
}

/* Text of the page into the current block, escaped for the inline form
   (`&` always: the parser may cut "&lt;" between two callbacks). */
static void
s_text (s_walk_t *w, const char *text, size_t len)
{
    s_count (w, text, len);
    const char *run = text;
    for (const char *p = text; p < text + len; p++) {
        const char *rep = NULL;
        if (*p == '<')
            rep = "&lt;";
        else if (*p == '&')
            rep = "&amp;";
        else if (*p == '\r' || *p == '\t' || (*p == '\n' && !w->pre))
            rep = " ";
        if (!rep)
            continue;
        hny_buf_add (&w->text, run, (size_t) (p - run));
        hny_buf_adds (&w->text, rep);
        run = p + 1;
    }
    hny_buf_add (&w->text, run, (size_t) (text + len - run));
}

static void
s_push_line (s_walk_t *w, int *opened, char *line, char *marked)
{
    if (!*opened) {
        /* the block is recorded with its first line */
        hny_page_block_t b = {
            .node = w->node_at[w->depth < HNY_HTML_MAX_DEPTH ? w->depth : HNY_HTML_MAX_DEPTH],
            .text = w->b_text, .link = w->b_link,
            .commas = (uint16_t) (w->b_commas < UINT16_MAX ? w->b_commas : UINT16_MAX),
            .stops = (uint16_t) (w->b_stops < UINT16_MAX ? w->b_stops : UINT16_MAX),
            .flags = w->legacy ? HNY_BLOCK_LEGACY : 0
        };
        hny_page_add_block (w->page, &b);
        *opened = 1;
    }
    if (hny_page_add_line (w->page, line, marked, HNY_HTML_MAX_LINES) != 0) {
        if (!w->too_many)
            xmlStopParser (w->ctxt);
        w->too_many = 1;
    }
}

static void s_inline_leave (s_walk_t *w, size_t depth);

/* A block's text went past its cap: the page is refused (413), so the
   parser may stop here. */
static void
s_check_text (s_walk_t *w)
{
    if (!w->text.toobig || w->too_big)
        return;
    w->too_big = 1;
    xmlStopParser (w->ctxt);
}

/* End the current block: its lines, then a paragraph separator. The
   block's markup is parsed once and rendered per line, so an element
   across a <br> is closed and reopened. */
static void
s_flush (s_walk_t *w)
{
    /* inline elements still open end with the block: closed here, and
       their own end later emits nothing (so no stray tag becomes text) */
    for (size_t d = w->depth < HNY_HTML_MAX_DEPTH ? w->depth : HNY_HTML_MAX_DEPTH; d > 0; d--)
        if (w->inl[d])
            s_inline_leave (w, d);
    s_check_text (w);
    if (w->text.len > 0 && !w->too_many && !w->too_big) {
        hny_markup_t *m = hny_markup_parse (w->text.data, w->text.len);
        size_t plen;
        const char *plain = hny_markup_text (m, &plen);
        int any = 0, opened = 0;
        size_t start = 0;
        for (;;) {
            const char *nl = memchr (plain + start, '\n', plen - start);
            size_t end = nl ? (size_t) (nl - plain) : plen;
            char *line = hny_strndup (plain + start, end - start);
            char *marked = NULL;
            if (hny_markup_count (m) > 0) {
                marked = hny_markup_render (m, start, end, NULL);
                if (!strchr (marked, '<') || hny_line_clean (marked) == 0)
                    hny_free (&marked);
            }
            if (hny_line_clean (line) > 0) {
                s_push_line (w, &opened, line, marked);
                any = 1;
            }
            else if (any) {
                /* <br><br> inside a block separates paragraphs */
                s_push_line (w, &opened, line, marked);
                any = 0;
            }
            else {
                free (line);
                free (marked);
            }
            if (!nl)
                break;
            start = end + 1;
        }
        if (any)
            s_push_line (w, &opened, hny_strdup (""), NULL);
        hny_markup_destroy (&m);
    }
    hny_buf_reset (&w->text);
    w->b_text = w->b_link = w->b_commas = w->b_stops = 0;
}

/* An inline element: bold, italics and links open their tag. */
static void
s_inline_enter (s_walk_t *w, s_kind_t kind, const xmlChar **atts)
{
    hny_markup_tag_t tag = 0;
    w->inl_start[w->depth] = w->text.len;
    if (kind == S_EL_B) {
        tag = HNY_MARKUP_B;
        hny_buf_add (&w->text, "<b>", 3);
    }
    else if (kind == S_EL_I) {
        tag = HNY_MARKUP_I;
        hny_buf_add (&w->text, "<i>", 3);
    }
    else if (kind == S_EL_A) {
        const char *href = s_attr (atts, "href");
        if (href && strlen (href) <= HNY_MARKUP_MAX_HREF) {
            tag = HNY_MARKUP_A;
            hny_buf_add (&w->text, "<a href=\"", 9);
            for (const char *p = href; *p; p++) {
                if (*p == '&')
                    hny_buf_add (&w->text, "&amp;", 5);
                else if (*p == '"')
                    hny_buf_add (&w->text, "&quot;", 6);
                else if (*p == '<')
                    hny_buf_add (&w->text, "&lt;", 4);
                else if (*p == '\n' || *p == '\r' || *p == '\t')
                    hny_buf_add (&w->text, " ", 1);
                else
                    hny_buf_add (&w->text, p, 1);
            }
            hny_buf_add (&w->text, "\">", 2);
        }
    }
    w->inl[w->depth] = (unsigned char) tag;
    w->inl_end[w->depth] = w->text.len;
}

static void
s_inline_leave (s_walk_t *w, size_t depth)
{
    if (w->inl[depth] && w->text.len == w->inl_end[depth]) {
        /* an empty element: its open tag goes, no "<b></b>" */
        hny_buf_truncate (&w->text, w->inl_start[depth]);
        w->inl[depth] = 0;
        return;
    }
    switch (w->inl[depth]) {
    case HNY_MARKUP_B: hny_buf_add (&w->text, "</b>", 4); break;
    case HNY_MARKUP_I: hny_buf_add (&w->text, "</i>", 4); break;
    case HNY_MARKUP_A: hny_buf_add (&w->text, "</a>", 4); break;
    default: break;
    }
    w->inl[depth] = 0;
}

/* ------------------------------------------------------------ metadata */

/* A <meta> element: the names of the metadata we read. */
static void
s_meta (s_walk_t *w, const xmlChar **atts)
{
    const char *content = s_attr (atts, "content");
    if (!content)
        return;
    const char *key = s_attr (atts, "property");
    if (!key)
        key = s_attr (atts, "name");
    if (!key)
        key = s_attr (atts, "itemprop");
    if (!key)
        return;
    hny_page_t *p = w->page;
    size_t n = strlen (content);
    /* the names sites use, Open Graph and Dublin Core first; the others
       come from publishing systems (Parse.ly, Sailthru, cXense, Google
       Scholar) that many news sites run */
    static const char *published[] = {
        "article:published_time", "og:article:published_time", "datePublished",
        "article.published", "published_time", "og:published_time", NULL
    };
    static const char *dates[] = {
        "date", "pubdate", "publishdate", "publish-date", "publish_date", "dc.date",
        "dc.date.issued", "dcterms.date", "dcterms.created", "dcterms.issued", "sailthru.date",
        "parsely-pub-date", "citation_publication_date", "displaydate", "original-publish-date",
        "article_date_original", "cxenseparse:recs:publishtime", "dc.date.created", NULL
    };
    static const char *authors[] = {
        "author", "article:author", "parsely-author", "sailthru.author", "dc.creator",
        "dcterms.creator", "byl", "citation_author", NULL
    };
    if (strcasecmp (key, "og:title") == 0)
        hny_page_set_meta (&p->og_title, content, n);
    else if (strcasecmp (key, "og:site_name") == 0 || strcasecmp (key, "application-name") == 0)
        hny_page_set_meta (&p->og_site, content, n);
    else if (strcasecmp (key, "article:section") == 0 || strcasecmp (key, "parsely-section") == 0)
        hny_page_set_meta (&p->section, content, n);
    else if (s_in (key, published))
        hny_page_set_meta (&p->published, content, n);
    else if (s_in (key, dates))
        hny_page_set_meta (&p->date_meta, content, n);
    else if (s_in (key, authors) && strncmp (content, "http", 4) != 0)
        hny_page_set_meta (&p->author, content, n);
}

/* Attributes that carry metadata on any element. */
static void
s_item (s_walk_t *w, s_kind_t kind, const xmlChar **atts)
{
    const char *itemprop = s_attr (atts, "itemprop");
    const char *datetime = s_attr (atts, "datetime");
    if (kind == S_EL_TIME && datetime)
        hny_page_set_meta (&w->page->time_datetime, datetime, strlen (datetime));
    if (!itemprop)
        return;
    if (strcasestr (itemprop, "datePublished")) {
        const char *v = datetime ? datetime : s_attr (atts, "content");
        if (v)
            hny_page_set_meta (&w->page->itemprop_date, v, strlen (v));
    }
    else if ((strcasestr (itemprop, "author") || strcasestr (itemprop, "creator"))
             && !w->author_depth && !w->page->itemprop_author) {
        const char *v = s_attr (atts, "content");
        if (v)
            hny_page_set_meta (&w->page->itemprop_author, v, strlen (v));
        else
            w->author_depth = w->depth;    /* its text, until it closes */
    }
}

/* ------------------------------------------------------------ SAX */

static uint32_t
s_node_hints (s_walk_t *w, hny_tag_t tag, const xmlChar **atts, uint32_t *class_hash)
{
    const char *cls = s_attr (atts, "class"), *id = s_attr (atts, "id");
    const char *role = s_attr (atts, "role"), *itemprop = s_attr (atts, "itemprop");
    const char *hidden = s_attr (atts, "aria-hidden");
    *class_hash = cls && *cls ? s_hash (cls, NULL) : 0;
    uint32_t names = 0;
    if ((cls && *cls) || (id && *id)) {
        /* names repeat across a page: match each pair of class and id once */
        uint32_t key = s_hash (cls, id);
        size_t slot = key % S_HINT_CACHE;
        if (w->cache[slot].key == key)
            names = w->cache[slot].hints;
        else {
            names = hny_page_hints (HNY_TAG_OTHER, cls, id, NULL, NULL, NULL);
            w->cache[slot].key = key;
            w->cache[slot].hints = names;
        }
    }
    return names | hny_page_hints (tag, NULL, NULL, role, itemprop, hidden);
}

static void
s_sax_start (void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    s_walk_t *w = ctx;
    hny_tag_t tag = HNY_TAG_OTHER;
    s_kind_t kind = s_kind ((const char *) xname, &tag);
    w->depth++;
    if (w->depth <= HNY_HTML_MAX_DEPTH) {
        w->open[w->depth] = 0;
        w->inl[w->depth] = 0;
        w->tag_at[w->depth] = (unsigned char) tag;
        w->node_at[w->depth] = w->node_at[w->depth - 1];
    }
    if (kind == S_EL_META) {
        s_meta (w, atts);   /* inside <head>, which is skipped */
        return;
    }
    if (kind == S_EL_TITLE && !w->page->title && !w->capture) {
        w->capture = S_CAP_TITLE;
        w->capture_depth = w->depth;
    }
    if (kind == S_EL_SCRIPT && !w->capture) {
        const char *type = s_attr (atts, "type");
        if (type && strcasestr (type, "ld+json")) {
            w->capture = S_CAP_JSONLD;
            w->capture_depth = w->depth;
        }
    }
    /* the metadata above is read even in skipped parts (<head>); below,
       nothing inside a skipped element is */
    if (w->skip)
        return;
    if (w->depth > HNY_HTML_MAX_DEPTH) {
        w->too_deep++;
        w->skip = w->depth;
        return;
    }
    hny_page_node_t *here = w->node_at[w->depth] == HNY_PAGE_NONE ? NULL
                          : &w->page->nodes[w->node_at[w->depth]];
    if (kind == S_EL_CONTROL || kind == S_EL_INPUT) {
        if (here)
            here->inputs++;
    }
    if (kind == S_EL_SKIP || kind == S_EL_CONTROL || kind == S_EL_TITLE || kind == S_EL_SCRIPT
        || s_hidden (atts)) {
        w->skip = w->depth;
        return;
    }
    s_item (w, kind, atts);
    switch (kind) {
    case S_EL_BR:
        hny_buf_add (&w->text, "\n", 1);
        return;
    case S_EL_IMG:
        if (here)
            here->images++;
        return;
    case S_EL_INPUT:
        return;
    case S_EL_A:
        w->open[w->depth] |= S_OPEN_LINK;
        w->in_link++;
        s_inline_enter (w, kind, atts);
        return;
    case S_EL_BLOCK:
        break;
    default:
        s_inline_enter (w, kind, atts);
        return;
    }
    /* a block element: it ends the text before it and becomes a node */
    s_flush (w);
    uint32_t class_hash = 0;
    uint32_t hints = s_node_hints (w, tag, atts, &class_hash);
    uint32_t node = hny_page_add_node (w->page, w->node_at[w->depth - 1], tag, hints);
    if (node != HNY_PAGE_NONE) {
        w->node_at[w->depth] = node;
        w->page->nodes[node].class_hash = class_hash;
    }
    if (hints & HNY_HINT_LEGACY) {
        w->open[w->depth] |= S_OPEN_LEGACY;
        w->legacy++;
    }
    if (tag == HNY_TAG_PRE) {
        w->open[w->depth] |= S_OPEN_PRE;
        w->pre++;
    }
    if (tag == HNY_TAG_H1 && !w->page->h1 && !w->h1_depth)
        w->h1_depth = (int) w->depth;
}

static void
s_sax_end (void *ctx, const xmlChar *xname)
{
    s_walk_t *w = ctx;
    (void) xname;   /* libxml2 balances the elements: the depth says which */
    if (w->depth == 0)
        return;
    if (w->capture && w->capture_depth == w->depth) {
        if (w->capture == S_CAP_TITLE) {
            hny_page_set_meta (&w->page->title, w->title.data ? w->title.data : "", w->title.len);
            if (w->page->title)
                hny_line_clean (w->page->title);
            else
                w->page->title = hny_strdup ("");
        }
        else if (hny_buf_room (&w->jsonld) >= 1)
            hny_buf_add (&w->jsonld, "\x1e", 1);   /* ends one script */
        w->capture = S_CAP_NONE;
    }
    if (w->skip) {
        if (w->skip == w->depth)
            w->skip = 0;
        w->depth--;
        return;
    }
    size_t d = w->depth;
    if (w->author_depth == d) {
        w->author_depth = 0;
        hny_page_set_meta (&w->page->itemprop_author, w->author.data, w->author.len);
        if (w->page->itemprop_author)
            hny_line_clean (w->page->itemprop_author);
    }
    unsigned char open = w->open[d];
    if (open & S_OPEN_LINK)
        w->in_link--;
    if (w->tag_at[d] == HNY_TAG_OTHER)
        s_inline_leave (w, d);
    else {
        if (w->h1_depth == (int) d) {
            w->h1_depth = 0;
            hny_markup_t *m = hny_markup_parse (w->text.data ? w->text.data : "", w->text.len);
            char *h1 = hny_strdup (hny_markup_text (m, NULL));
            hny_markup_destroy (&m);
            for (char *c = h1; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            if (hny_line_clean (h1) > 0) {
                w->page->h1 = h1;
                w->page->h1_block = (uint32_t) w->page->block_count;
            }
            else
                free (h1);
        }
        s_flush (w);
        if (open & S_OPEN_PRE)
            w->pre--;
        if (open & S_OPEN_LEGACY)
            w->legacy--;
    }
    w->open[d] = 0;
    w->depth--;
}

static void
s_sax_chars (void *ctx, const xmlChar *text, int len)
{
    s_walk_t *w = ctx;
    if (len <= 0)
        return;
    /* the side captures skip a piece past their cap and read on (no
       refusal, so a later piece that fits is still taken) */
    if (w->capture == S_CAP_TITLE) {
        if ((size_t) len <= hny_buf_room (&w->title))
            hny_buf_add (&w->title, (const char *) text, (size_t) len);
        return;
    }
    if (w->capture == S_CAP_JSONLD) {
        /* past the cap a script is cut, and then does not parse; one byte
           stays for the U+001E that ends it */
        if ((size_t) len + 1 <= hny_buf_room (&w->jsonld))
            hny_buf_add (&w->jsonld, (const char *) text, (size_t) len);
        return;
    }
    if (w->skip)
        return;
    if (w->author_depth && (size_t) len <= hny_buf_room (&w->author))
        hny_buf_add (&w->author, (const char *) text, (size_t) len);
    s_text (w, (const char *) text, (size_t) len);
    s_check_text (w);
}

/* Parse the page into w->page. Returns 0, or -1 when the parser cannot
   be created. */
static int
s_walk (s_walk_t *w, const char *text, size_t len)
{
    htmlSAXHandler sax;
    memset (&sax, 0, sizeof sax);
    sax.startElement = s_sax_start;
    sax.endElement = s_sax_end;
    sax.characters = s_sax_chars;
    sax.ignorableWhitespace = s_sax_chars;
    sax.cdataBlock = s_sax_chars;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt ();
    if (!ctxt)
        return -1;
    memcpy (ctxt->sax, &sax, sizeof sax);
    ctxt->userData = w;
    w->ctxt = ctxt;
    w->page = hny_page_new ();
    w->node_at[0] = HNY_PAGE_NONE;
    /* the bytes are UTF-8 already: a declared charset must not switch it */
    htmlCtxtReadMemory (ctxt, text, (int) len, NULL, "UTF-8",
                        HTML_PARSE_NOERROR | HTML_PARSE_NONET | HTML_PARSE_NOWARNING
                        | HTML_PARSE_RECOVER);
    htmlFreeParserCtxt (ctxt);
    w->ctxt = NULL;
    s_flush (w);
    w->page->jsonld = w->jsonld.data;
    w->page->jsonld_len = w->jsonld.len;
    free (w->text.data);
    free (w->title.data);
    free (w->author.data);
    return 0;
}

/* ------------------------------------------------------------ articles */

/* Give the article's paragraphs (plain text, each a run of lines joined
   by '\n') their markup back: find the run of lines each came from and
   join the lines' inline forms instead; every other paragraph is escaped.
   The search moves forward only, within S_SEARCH_MAX lines. */
static void
s_restore_markup (hny_article_t *article, char **lines, char **marked, size_t count)
{
    size_t cursor = 0;
    for (size_t p = 0; p < article->paragraph_count; p++) {
        const char *para = article->paragraphs[p];
        size_t plen = strlen (para);
        char *inline_form = NULL;
        for (size_t i = cursor; i < count && i < cursor + S_SEARCH_MAX && !inline_form; i++) {
            size_t at = 0, j = i;
            int has = 0;
            while (j < count) {
                size_t n = strlen (lines[j]);
                if (n == 0 || n > plen - at || memcmp (para + at, lines[j], n) != 0)
                    break;
                has |= marked[j] != NULL;
                at += n;
                j++;
                if (at == plen || para[at] != '\n')
                    break;
                at++;
            }
            if (at != plen)
                continue;
            cursor = j;
            if (!has)
                break;
            hny_buf_t buf = HNY_BUF_INIT (HNY_EXTRACT_MAX_PARAGRAPH_BYTES);
            for (size_t k = i; k < j; k++) {
                char *esc = marked[k] ? NULL : hny_markup_escape (lines[k], strlen (lines[k]), NULL);
                hny_buf_adds (&buf, marked[k] ? marked[k] : esc);
                if (k + 1 < j)
                    hny_buf_add (&buf, "\n", 1);
                free (esc);
            }
            /* past the cap the paragraph goes on without its markup */
            if (buf.toobig)
                hny_buf_free (&buf);
            else
                inline_form = hny_buf_take (&buf, NULL);
        }
        if (!inline_form)
            inline_form = hny_markup_escape (para, plen, NULL);
        free (article->paragraphs[p]);
        article->paragraphs[p] = inline_form;
    }
    article->markup = 1;
}

/* The lines the JPW rules read, and their inline forms: those outside
   nav, header, footer and form, as the walker gave them before it
   recorded those too. Borrowed from the page; the caller frees the two
   arrays. Returns their count. */
static size_t
s_jpw_lines (const hny_page_t *page, char ***lines_p, char ***marked_p)
{
    char **lines = hny_malloc ((page->line_count + 1) * sizeof (char *));
    char **marked = hny_malloc ((page->line_count + 1) * sizeof (char *));
    size_t count = 0;
    for (size_t i = 0; i < page->line_count; i++) {
        if (page->blocks[page->line_block[i]].flags & HNY_BLOCK_LEGACY)
            continue;
        lines[count] = page->lines[i];
        marked[count++] = page->marked[i];
    }
    *lines_p = lines;
    *marked_p = marked;
    return count;
}

/* Any other page: the blocks hny_readable keeps, as paragraphs in the
   inline form, with the metadata of hny_htmlmeta. */
static hny_article_t *
s_extract_generic (const hny_page_t *page, int *status, char **reason)
{
    hny_htmlmeta_t *meta = hny_htmlmeta_new (page);
    char *title = hny_htmlmeta_title (meta);
    unsigned char *keep = hny_calloc (page->block_count + 1, 1);
    const char *why = NULL;
    size_t kept = hny_readable_select (page, title, keep, &why);
    if (kept == 0) {
        hny_htmlmeta_destroy (&meta);
        free (keep);
        free (title);
        *status = 422;
        *reason = hny_sprintf ("no article text found%s%s", why ? ": " : "", why ? why : "");
        return NULL;
    }
    hny_article_t *article = hny_article_new ("html");
    article->markup = 1;
    article->title = title;
    hny_buf_t para = HNY_BUF_INIT (HNY_EXTRACT_MAX_PARAGRAPH_BYTES);
    int rc = 0;
    for (size_t i = 0; i <= page->line_count && rc == 0; i++) {
        int in = i < page->line_count && keep[page->line_block[i]];
        if (!in || page->lines[i][0] == '\0') {
            if (para.len || para.toobig)
                rc = hny_article_add_buf (article, &para);
            hny_buf_reset (&para);
            continue;
        }
        if (para.len)
            hny_buf_add (&para, "\n", 1);
        if (page->marked[i])
            hny_buf_adds (&para, page->marked[i]);
        else {
            size_t n = 0;
            char *esc = hny_markup_escape (page->lines[i], strlen (page->lines[i]), &n);
            hny_buf_add (&para, esc, n);
            free (esc);
        }
    }
    hny_buf_free (&para);
    hny_htmlmeta_fill (meta, keep, article);
    hny_htmlmeta_destroy (&meta);
    free (keep);
    if (rc != 0) {
        hny_article_destroy (&article);
        *status = 413;
        *reason = hny_article_limit_reason (rc);
        return NULL;
    }
    return article;
}

hny_article_t *
hny_html_extract (const char *text, size_t len, const char *format,
                  const char *source, int *status, char **reason)
{
    if (len > INT_MAX) {
        *status = 413;
        *reason = hny_strdup ("HTML document too large");
        return NULL;
    }
    s_walk_t *w = hny_calloc (1, sizeof *w);
    w->text = (hny_buf_t) HNY_BUF_INIT (HNY_EXTRACT_MAX_PARAGRAPH_BYTES);
    w->title = (hny_buf_t) HNY_BUF_INIT (S_TITLE_MAX);
    w->author = (hny_buf_t) HNY_BUF_INIT (S_CAPTURE_MAX);
    w->jsonld = (hny_buf_t) HNY_BUF_INIT (HNY_PAGE_JSONLD_MAX);
    if (s_walk (w, text, len) != 0) {
        free (w);
        *status = 500;
        *reason = hny_strdup ("cannot create an HTML parser");
        return NULL;
    }
    hny_page_t *page = w->page;
    if (w->too_deep)
        hny_warn ("HTML nested deeper than %d: %zu elements skipped", HNY_HTML_MAX_DEPTH, w->too_deep);
    if (page->nodes_dropped)
        hny_warn ("HTML has more than %d block elements: %zu not told apart",
                  HNY_PAGE_MAX_NODES, page->nodes_dropped);
    int too_many = w->too_many, too_big = w->too_big;
    free (w);
    hny_article_t *article = NULL;
    if (too_many) {
        *status = 413;
        *reason = hny_sprintf ("HTML page has more than %d lines of text", HNY_HTML_MAX_LINES);
    }
    else if (too_big) {
        *status = 413;
        *reason = hny_sprintf ("HTML block has more than %d bytes of text",
                               HNY_EXTRACT_MAX_PARAGRAPH_BYTES);
    }
    else {
        /* the JPW rules when asked for, or when the page looks like JPW;
           the markup is given back to their paragraphs afterwards */
        char **lines = NULL, **marked = NULL;
        size_t count = s_jpw_lines (page, &lines, &marked);
        if ((format && strcmp (format, "jpw") == 0) || hny_jpw_detect (lines, count)) {
            article = hny_extract_lines (lines, count, "jpw", source, status, reason);
            if (article)
                s_restore_markup (article, lines, marked, count);
        }
        else
            article = s_extract_generic (page, status, reason);
        free (lines);
        free (marked);
    }
    hny_page_destroy (&page);
    return article;
}
