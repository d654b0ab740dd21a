/*  hny_html.c: flatten an HTML page into logical lines (blocks end
    paragraphs, <br> ends lines, chrome elements are skipped) and hand them
    to the line-based extractors of hny_extract. The tree walk is iterative
    with a depth cap, so hostile nesting costs neither stack nor unbounded
    work. */
#include "hny_html.h"

#include "honyaku/util.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The walker's state. */
typedef struct {
    char *text;             /* the current block's inline text */
    size_t len;
    size_t cap;
    char **lines;           /* logical lines; "" separates paragraphs */
    size_t count;
    size_t lines_cap;
    char *h1;               /* text of the first <h1>, or NULL */
    char *title;            /* text of <title>, or NULL */
    int pre;                /* inside <pre> (keeps line breaks) */
    size_t too_deep;        /* elements not descended into */
} s_walk_t;

static const char *s_skip[] = {
    "script", "style", "nav", "header", "footer", "form", "noscript", "iframe", "svg",
    "select", "button", "textarea", "template", "object", "head", "math", NULL
};

static const char *s_blocks[] = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th", "tr",
    "dd", "dt", "pre", "section", "article", "main", "aside", "table", "ul", "ol", "dl",
    "address", "figcaption", "figure", "center", "body", "hr", "caption", "tbody", NULL
};

static int
s_in (const char *name, const char **set)
{
    for (int i = 0; set[i]; i++)
        if (strcasecmp (name, set[i]) == 0)
            return 1;
    return 0;
}

static void
s_text (s_walk_t *w, const char *text, size_t len)
{
    if (w->len + len + 1 > w->cap) {
        w->cap = (w->len + len + 1) * 2;
        w->text = hny_realloc (w->text, w->cap);
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\r' || c == '\t' || (c == '\n' && !w->pre))
            c = ' ';
        w->text[w->len++] = c;
    }
    w->text[w->len] = '\0';
}

/* A line break (<br>) inside the current block. */
static void
s_newline (s_walk_t *w)
{
    int pre = w->pre;
    w->pre = 1;
    s_text (w, "\n", 1);
    w->pre = pre;
}

static void
s_push_line (s_walk_t *w, char *line)
{
    if (w->count == w->lines_cap) {
        w->lines_cap = w->lines_cap ? w->lines_cap * 2 : 64;
        w->lines = hny_realloc (w->lines, w->lines_cap * sizeof (char *));
    }
    w->lines[w->count++] = line;
}

/* End the current block: its lines, then a paragraph separator. */
static void
s_flush (s_walk_t *w)
{
    if (w->len == 0)
        return;
    int any = 0;
    char *p = w->text;
    for (;;) {
        char *nl = memchr (p, '\n', (size_t) (w->text + w->len - p));
        size_t n = nl ? (size_t) (nl - p) : (size_t) (w->text + w->len - p);
        char *line = hny_strndup (p, n);
        if (hny_line_clean (line) > 0) {
            s_push_line (w, line);
            any = 1;
        }
        else if (any) {
            /* <br><br> inside a block separates paragraphs */
            s_push_line (w, line);
            any = 0;
        }
        else
            free (line);
        if (!nl)
            break;
        p = nl + 1;
    }
    if (any)
        s_push_line (w, hny_strdup (""));
    w->len = 0;
    w->text[0] = '\0';
}

/* Inline elements (b, strong, i, em, a, span, ...): where placeholders for
   inline markup will be emitted; today the text alone is kept. */
static void
s_inline_enter (s_walk_t *w, xmlNode *node)
{
}

static void
s_inline_leave (s_walk_t *w, xmlNode *node)
{
}

/* The text of <title> in <head>. */
static void
s_head_title (s_walk_t *w, xmlNode *head)
{
    for (xmlNode *n = head->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && strcasecmp ((const char *) n->name, "title") == 0 && !w->title) {
            xmlChar *content = xmlNodeGetContent (n);
            if (content) {
                w->title = hny_strdup ((const char *) content);
                hny_line_clean (w->title);
                xmlFree (content);
            }
        }
}

/* Visit a node on the way down; returns 1 to descend into its children. */
static int
s_enter (s_walk_t *w, xmlNode *node, size_t depth)
{
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
        if (node->content)
            s_text (w, (const char *) node->content, strlen ((const char *) node->content));
        return 0;
    }
    if (node->type != XML_ELEMENT_NODE && node->type != XML_DOCUMENT_NODE
        && node->type != XML_HTML_DOCUMENT_NODE)
        return 0;
    if (node->type != XML_ELEMENT_NODE)
        return 1;
    const char *name = (const char *) node->name;
    if (strcasecmp (name, "title") == 0 && !w->title) {
        xmlChar *content = xmlNodeGetContent (node);
        if (content) {
            w->title = hny_strdup ((const char *) content);
            hny_line_clean (w->title);
            xmlFree (content);
        }
        return 0;
    }
    if (strcasecmp (name, "head") == 0)
        s_head_title (w, node);
    if (s_in (name, s_skip))
        return 0;
    if (strcasecmp (name, "br") == 0) {
        s_newline (w);
        return 0;
    }
    if (depth >= HNY_HTML_MAX_DEPTH) {
        w->too_deep++;
        return 0;
    }
    if (s_in (name, s_blocks)) {
        s_flush (w);
        if (strcasecmp (name, "pre") == 0)
            w->pre++;
    }
    else
        s_inline_enter (w, node);
    return 1;
}

/* Visit a node on the way up (after its children, if any). */
static void
s_leave (s_walk_t *w, xmlNode *node, int descended)
{
    if (node->type != XML_ELEMENT_NODE || !descended)
        return;
    const char *name = (const char *) node->name;
    if (!s_in (name, s_blocks)) {
        s_inline_leave (w, node);
        return;
    }
    if (strcasecmp (name, "pre") == 0 && w->pre > 0)
        w->pre--;
    if (strcasecmp (name, "h1") == 0 && !w->h1 && w->len > 0) {
        w->h1 = hny_strndup (w->text, w->len);
        for (char *c = w->h1; *c; c++)
            if (*c == '\n')
                *c = ' ';
        hny_line_clean (w->h1);
        if (!*w->h1)
            hny_free (&w->h1);
    }
    s_flush (w);
}

/* Depth-first over the tree without recursion: libxml2's nodes know their
   parent and next sibling. */
static void
s_walk (s_walk_t *w, xmlNode *root)
{
    xmlNode *node = root;
    size_t depth = 0;
    while (node) {
        int down = s_enter (w, node, depth);
        if (down && node->children) {
            node = node->children;
            depth++;
            continue;
        }
        s_leave (w, node, down);
        while (node) {
            if (node == root) {
                node = NULL;
                break;
            }
            if (node->next) {
                node = node->next;
                break;
            }
            node = node->parent;
            depth--;
            if (node)
                s_leave (w, node, 1);
        }
    }
    s_flush (w);
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
    htmlDocPtr doc = htmlReadMemory (text, (int) len, NULL, "UTF-8",
                                     HTML_PARSE_NOERROR | HTML_PARSE_NONET | HTML_PARSE_NOWARNING
                                     | HTML_PARSE_RECOVER);
    if (!doc) {
        *status = 422;
        *reason = hny_strdup ("HTML document could not be parsed");
        return NULL;
    }
    s_walk_t w = { 0 };
    s_walk (&w, (xmlNode *) doc);
    xmlFreeDoc (doc);
    if (w.too_deep)
        hny_warn ("HTML nested deeper than %d: %zu elements skipped", HNY_HTML_MAX_DEPTH, w.too_deep);

    hny_article_t *article = NULL;
    int jpw = (format && strcmp (format, "jpw") == 0) || hny_jpw_detect (w.lines, w.count);
    if (jpw)
        article = hny_extract_lines (w.lines, w.count, "jpw", source, status, reason);
    else {
        article = hny_extract_lines (w.lines, w.count, "plain", source, status, reason);
        if (article) {
            article->format = "html";
            const char *title = w.h1 ? w.h1 : w.title;
            if (title && *title) {
                article->title = hny_strdup (title);
                /* the <h1> is the title, not the first paragraph */
                for (size_t i = 0; i < article->paragraph_count; i++) {
                    if (strcmp (article->paragraphs[i], title) != 0)
                        continue;
                    free (article->paragraphs[i]);
                    memmove (article->paragraphs + i, article->paragraphs + i + 1,
                             (article->paragraph_count - i - 1) * sizeof (char *));
                    article->paragraph_count--;
                    break;
                }
            }
            if (article->paragraph_count == 0) {
                hny_article_destroy (&article);
                *status = 422;
                *reason = hny_strdup ("no article text found");
            }
        }
    }
    for (size_t i = 0; i < w.count; i++)
        free (w.lines[i]);
    free (w.lines);
    free (w.text);
    free (w.h1);
    free (w.title);
    return article;
}
