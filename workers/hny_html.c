/*  hny_html.c: flatten an HTML page into logical lines (blocks end
    paragraphs, <br> ends lines, chrome elements are skipped) and hand them
    to the line-based extractors of hny_extract. libxml2's HTML parser runs
    in SAX mode: no tree is built, so memory stays proportional to the text
    kept (a page of a million tiny <p> elements made a 400 MB tree before;
    now the line cap stops it early). Bold, italics and links inside blocks
    are kept in the inline form of hny_markup.h; the JPW and generic rules
    see the plain text of the lines, and the paragraphs they choose get their
    markup back at the end. */
#include "hny_html.h"

#include "hny_markup.h"
#include "honyaku/util.h"

#include <libxml/HTMLparser.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TITLE_MAX   4096      /* bytes of <title> text kept */
#define S_SEARCH_MAX  256       /* lines searched for a paragraph's source */

/* The walker's state. */
typedef struct {
    xmlParserCtxtPtr ctxt;  /* to stop the parser past a cap */
    char *text;             /* the current block's text, in the inline form */
    size_t len;
    size_t cap;
    char **lines;           /* logical lines, plain text; "" separates paragraphs */
    char **marked;          /* the same lines in the inline form, NULL when without markup */
    size_t count;
    size_t lines_cap;
    char *h1;               /* plain text of the first <h1>, or NULL */
    char *title;            /* text of <title>, or NULL */
    size_t title_len;
    size_t title_depth;     /* depth of the first <title> while open, else 0 */
    int pre;                /* inside <pre> (keeps line breaks) */
    size_t depth;           /* open elements */
    size_t skip;            /* depth of the skipped element we are in; 0: none */
    int h1_depth;           /* depth of the first <h1> while open, else 0 */
    unsigned char inl[HNY_HTML_MAX_DEPTH + 2]; /* inline tag opened at each depth */
    size_t too_deep;        /* elements not descended into */
    int too_many;           /* the line cap was hit */
} s_walk_t;

static const char *s_skip[] = {
    "script", "style", "nav", "header", "footer", "form", "noscript", "iframe", "svg",
    "select", "button", "textarea", "template", "object", "head", "math", "title", NULL
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
s_raw (s_walk_t *w, const char *text, size_t len)
{
    if (w->len + len + 1 > w->cap) {
        w->cap = (w->len + len + 1) * 2;
        w->text = hny_realloc (w->text, w->cap);
    }
    memcpy (w->text + w->len, text, len);
    w->len += len;
    w->text[w->len] = '\0';
}

/* Text of the page into the current block, escaped for the inline form
   (`&` always: the parser may cut "&lt;" between two callbacks). */
static void
s_text (s_walk_t *w, const char *text, size_t len)
{
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
        s_raw (w, run, (size_t) (p - run));
        s_raw (w, rep, strlen (rep));
        run = p + 1;
    }
    s_raw (w, run, (size_t) (text + len - run));
}

static void
s_push_line (s_walk_t *w, char *line, char *marked)
{
    if (w->count >= HNY_HTML_MAX_LINES) {
        free (line);
        free (marked);
        if (!w->too_many)
            xmlStopParser (w->ctxt);
        w->too_many = 1;
        return;
    }
    if (w->count == w->lines_cap) {
        w->lines_cap = w->lines_cap ? w->lines_cap * 2 : 64;
        w->lines = hny_realloc (w->lines, w->lines_cap * sizeof (char *));
        w->marked = hny_realloc (w->marked, w->lines_cap * sizeof (char *));
    }
    w->lines[w->count] = line;
    w->marked[w->count++] = marked;
}

/* End the current block: its lines, then a paragraph separator. The
   block's markup is parsed once and rendered per line, so an element
   across a <br> is closed and reopened. */
static void s_inline_leave (s_walk_t *w, size_t depth);

static void
s_flush (s_walk_t *w)
{
    /* inline elements still open end with the block: closed here, and
       their own end later emits nothing (so no stray tag becomes text) */
    for (size_t d = w->depth < HNY_HTML_MAX_DEPTH ? w->depth : HNY_HTML_MAX_DEPTH; d > 0; d--)
        if (w->inl[d])
            s_inline_leave (w, d);
    if (w->len == 0)
        return;
    hny_markup_t *m = hny_markup_parse (w->text, w->len);
    size_t plen;
    const char *plain = hny_markup_text (m, &plen);
    int any = 0;
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
            s_push_line (w, line, marked);
            any = 1;
        }
        else if (any) {
            /* <br><br> inside a block separates paragraphs */
            s_push_line (w, line, marked);
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
        s_push_line (w, hny_strdup (""), NULL);
    hny_markup_destroy (&m);
    w->len = 0;
    w->text[0] = '\0';
}

/* An inline element: bold, italics and links open their tag. */
static void
s_inline_enter (s_walk_t *w, const char *name, const xmlChar **atts)
{
    hny_markup_tag_t tag = 0;
    if (strcasecmp (name, "b") == 0 || strcasecmp (name, "strong") == 0) {
        tag = HNY_MARKUP_B;
        s_raw (w, "<b>", 3);
    }
    else if (strcasecmp (name, "i") == 0 || strcasecmp (name, "em") == 0) {
        tag = HNY_MARKUP_I;
        s_raw (w, "<i>", 3);
    }
    else if (strcasecmp (name, "a") == 0) {
        const char *href = NULL;
        for (size_t i = 0; atts && atts[i] && atts[i + 1]; i += 2)
            if (strcasecmp ((const char *) atts[i], "href") == 0)
                href = (const char *) atts[i + 1];
        if (href && strlen (href) <= HNY_MARKUP_MAX_HREF) {
            tag = HNY_MARKUP_A;
            s_raw (w, "<a href=\"", 9);
            for (const char *p = href; *p; p++) {
                if (*p == '&')
                    s_raw (w, "&amp;", 5);
                else if (*p == '"')
                    s_raw (w, "&quot;", 6);
                else if (*p == '<')
                    s_raw (w, "&lt;", 4);
                else if (*p == '\n' || *p == '\r' || *p == '\t')
                    s_raw (w, " ", 1);
                else
                    s_raw (w, p, 1);
            }
            s_raw (w, "\">", 2);
        }
    }
    w->inl[w->depth] = (unsigned char) tag;
}

static void
s_inline_leave (s_walk_t *w, size_t depth)
{
    switch (w->inl[depth]) {
    case HNY_MARKUP_B: s_raw (w, "</b>", 4); break;
    case HNY_MARKUP_I: s_raw (w, "</i>", 4); break;
    case HNY_MARKUP_A: s_raw (w, "</a>", 4); break;
    default: break;
    }
    w->inl[depth] = 0;
}

static void
s_sax_start (void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    s_walk_t *w = ctx;
    const char *name = (const char *) xname;
    w->depth++;
    if (!w->title && !w->title_depth && strcasecmp (name, "title") == 0)
        w->title_depth = w->depth;  /* inside <head>, which is skipped, too */
    if (w->skip)
        return;
    if (w->depth > HNY_HTML_MAX_DEPTH) {
        w->too_deep++;
        w->skip = w->depth;
        return;
    }
    w->inl[w->depth] = 0;
    if (s_in (name, s_skip)) {
        w->skip = w->depth;
        return;
    }
    if (strcasecmp (name, "br") == 0) {
        s_raw (w, "\n", 1);
        return;
    }
    if (s_in (name, s_blocks)) {
        s_flush (w);
        if (strcasecmp (name, "pre") == 0)
            w->pre++;
        if (strcasecmp (name, "h1") == 0 && !w->h1 && !w->h1_depth)
            w->h1_depth = (int) w->depth;
    }
    else
        s_inline_enter (w, name, atts);
}

static void
s_sax_end (void *ctx, const xmlChar *xname)
{
    s_walk_t *w = ctx;
    const char *name = (const char *) xname;
    if (w->depth == 0)
        return;
    if (w->title_depth == w->depth) {
        w->title_depth = 0;
        if (!w->title)
            w->title = hny_strdup ("");
        hny_line_clean (w->title);
    }
    if (w->skip) {
        if (w->skip == w->depth)
            w->skip = 0;
        w->depth--;
        return;
    }
    if (!s_in (name, s_blocks))
        s_inline_leave (w, w->depth);
    else {
        if (strcasecmp (name, "pre") == 0 && w->pre > 0)
            w->pre--;
        if (w->h1_depth == (int) w->depth) {
            w->h1_depth = 0;
            hny_markup_t *m = hny_markup_parse (w->text, w->len);
            w->h1 = hny_strdup (hny_markup_text (m, NULL));
            hny_markup_destroy (&m);
            for (char *c = w->h1; *c; c++)
                if (*c == '\n')
                    *c = ' ';
            hny_line_clean (w->h1);
            if (!*w->h1)
                hny_free (&w->h1);
        }
        s_flush (w);
    }
    w->depth--;
}

static void
s_sax_chars (void *ctx, const xmlChar *text, int len)
{
    s_walk_t *w = ctx;
    if (len <= 0)
        return;
    if (w->title_depth) {
        if (w->title_len + (size_t) len > S_TITLE_MAX)
            return;
        w->title = hny_realloc (w->title, w->title_len + (size_t) len + 1);
        memcpy (w->title + w->title_len, text, (size_t) len);
        w->title_len += (size_t) len;
        w->title[w->title_len] = '\0';
        return;
    }
    if (w->skip)
        return;
    s_text (w, (const char *) text, (size_t) len);
}

/* Give the article's paragraphs (plain text, each a run of lines joined
   by '\n') their markup back: find the run of lines each came from and
   join the lines' inline forms instead; every other paragraph is escaped.
   The search moves forward only, within S_SEARCH_MAX lines. */
static void
s_restore_markup (hny_article_t *article, const s_walk_t *w)
{
    size_t cursor = 0;
    for (size_t p = 0; p < article->paragraph_count; p++) {
        const char *para = article->paragraphs[p];
        size_t plen = strlen (para);
        char *inline_form = NULL;
        for (size_t i = cursor; i < w->count && i < cursor + S_SEARCH_MAX && !inline_form; i++) {
            size_t at = 0, j = i;
            int has = 0;
            while (j < w->count) {
                size_t n = strlen (w->lines[j]);
                if (n == 0 || n > plen - at || memcmp (para + at, w->lines[j], n) != 0)
                    break;
                has |= w->marked[j] != NULL;
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
            size_t total = 0;
            for (size_t k = i; k < j; k++) {
                const char *line = w->marked[k];
                char *esc = line ? NULL : hny_markup_escape (w->lines[k], strlen (w->lines[k]), NULL);
                size_t n = strlen (line ? line : esc);
                inline_form = hny_realloc (inline_form, total + n + 2);
                memcpy (inline_form + total, line ? line : esc, n);
                total += n;
                inline_form[total++] = k + 1 < j ? '\n' : '\0';
                free (esc);
            }
        }
        if (!inline_form)
            inline_form = hny_markup_escape (para, plen, NULL);
        free (article->paragraphs[p]);
        article->paragraphs[p] = inline_form;
    }
    article->markup = 1;
}

static void
s_walk_free (s_walk_t *w)
{
    for (size_t i = 0; i < w->count; i++) {
        free (w->lines[i]);
        free (w->marked[i]);
    }
    free (w->lines);
    free (w->marked);
    free (w->text);
    free (w->h1);
    free (w->title);
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
    s_walk_t w = { 0 };
    htmlSAXHandler sax;
    memset (&sax, 0, sizeof sax);
    sax.startElement = s_sax_start;
    sax.endElement = s_sax_end;
    sax.characters = s_sax_chars;
    sax.ignorableWhitespace = s_sax_chars;
    sax.cdataBlock = s_sax_chars;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt ();
    if (!ctxt) {
        *status = 500;
        *reason = hny_strdup ("cannot create an HTML parser");
        return NULL;
    }
    memcpy (ctxt->sax, &sax, sizeof sax);
    ctxt->userData = &w;
    w.ctxt = ctxt;
    /* the bytes are UTF-8 already: a declared charset must not switch it */
    htmlCtxtReadMemory (ctxt, text, (int) len, NULL, "UTF-8",
                        HTML_PARSE_NOERROR | HTML_PARSE_NONET | HTML_PARSE_NOWARNING
                        | HTML_PARSE_RECOVER);
    htmlFreeParserCtxt (ctxt);
    s_flush (&w);
    if (w.too_deep)
        hny_warn ("HTML nested deeper than %d: %zu elements skipped", HNY_HTML_MAX_DEPTH, w.too_deep);
    if (w.too_many) {
        s_walk_free (&w);
        *status = 413;
        *reason = hny_sprintf ("HTML page has more than %d lines of text", HNY_HTML_MAX_LINES);
        return NULL;
    }

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
    if (article)
        s_restore_markup (article, &w);
    s_walk_free (&w);
    return article;
}
