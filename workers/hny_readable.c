/*  hny_readable.c: choose the article's blocks of a flattened page
    (hny_readable.h). Nodes are in document order, a parent before its
    children, so a subtree is the contiguous range [n, end[n]) and every
    aggregate is one pass backwards (children into parents) or forwards
    (parents into children). The steps:
    1. chrome: a node is chrome by its tag or names, and so is everything
       under it, unless it holds most of the page's prose;
    2. scores: each paragraph of text scores by length and commas, into its
       container and (divided) a few ancestors; a node's score is cut by
       its link density;
    3. the best node, moved up when its parent gathers several good
       candidates, plus the siblings that score near it;
    4. clean-up inside: boxes of links, forms and lists that are not prose,
       captions, bylines, date lines, the headline;
    5. the verdict: no article when what is left is links, teasers or a
       few words behind a form. */
#include "hny_readable.h"

#include "hny_date.h"
#include "hny_extract.h"
#include "honyaku/util.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_MIN_PARAGRAPH 25      /* bytes: shorter text does not score */
#define S_ANCESTORS     5       /* levels a paragraph's score reaches */
#define S_TOP_N         5       /* candidates compared with the best */
#define S_PROSE_MIN     80      /* bytes of a block that reads as prose */
#define S_HOLDS_PAGE    0.6     /* share of the prose that makes chrome content */
#define S_ENOUGH        500     /* bytes of text that end the attempts */
#define S_MIN_ARTICLE   60      /* bytes of text an article needs when chrome was cut */
#define S_TEASERS_MIN   4       /* headline links that make a list of teasers */
#define S_CAPTION_MAX   1000    /* bytes of a caption element, at most */
#define S_BYLINE_MAX    300     /* bytes of a byline or date element, at most */
#define S_DATELINE_MAX  100     /* bytes of a line that is only a date and time */
#define S_COPYRIGHT_MAX 200     /* bytes of a copyright line */
#define S_LINK_ITEM_MAX 120     /* bytes of an item of a list of links, on average */

/* What an attempt leaves out, when the full rules found too little. */
enum {
    S_NO_NAMES = 1u << 0,       /* class and id names do not make chrome */
    S_NO_WEIGHTS = 1u << 1,     /* nor add to or take from scores */
    S_NO_CLEAN = 1u << 2        /* boxes inside the content are not judged */
};

typedef struct {
    const hny_page_t *page;
    unsigned relax;             /* S_NO_* of this attempt */
    size_t n;                   /* nodes */
    uint32_t *end;              /* end of each node's subtree */
    unsigned char *dropped;     /* chrome, or under chrome */
    unsigned char *inside;      /* in the chosen content */
    uint32_t *text, *link;      /* bytes of text and link text kept in the subtree */
    uint32_t *commas;           /* commas kept in the subtree */
    uint32_t *paras, *items;    /* blocks of <p> and of <li> kept in the subtree */
    uint32_t *heads;            /* bytes of heading text kept in the subtree */
    uint32_t *images, *inputs;  /* <img> and form controls in the subtree */
    uint32_t *prose;            /* bytes of prose in the subtree, chrome or not */
    uint32_t *last_block;       /* the last block directly in each node, or HNY_PAGE_NONE */
    float *score;               /* content score, valid where scored */
    unsigned char *scored;
    uint32_t total_prose;
} s_ctx_t;

/* ------------------------------------------------------------ helpers */

static int
s_is_heading (hny_tag_t tag)
{
    return tag >= HNY_TAG_H1 && tag <= HNY_TAG_H6;
}

/* Elements whose text is one paragraph: their score goes to the parent. */
static int
s_is_paragraph (hny_tag_t tag)
{
    return tag == HNY_TAG_P || tag == HNY_TAG_PRE || tag == HNY_TAG_TD || tag == HNY_TAG_TH
        || tag == HNY_TAG_LI || tag == HNY_TAG_DD || tag == HNY_TAG_DT || tag == HNY_TAG_BLOCKQUOTE
        || tag == HNY_TAG_ADDRESS || tag == HNY_TAG_FIGCAPTION || tag == HNY_TAG_CAPTION
        || s_is_heading (tag);
}

static hny_tag_t
s_tag (const s_ctx_t *c, uint32_t node)
{
    return node == HNY_PAGE_NONE ? HNY_TAG_OTHER : (hny_tag_t) c->page->nodes[node].tag;
}

static uint32_t
s_parent (const s_ctx_t *c, uint32_t node)
{
    return node == HNY_PAGE_NONE ? HNY_PAGE_NONE : c->page->nodes[node].parent;
}

static double
s_density (uint32_t link, uint32_t text)
{
    return text ? (double) link / text : 0.0;
}

/* A block that reads as prose: long enough, few links, punctuated. */
static int
s_prose (const hny_page_block_t *b)
{
    return b->text >= S_PROSE_MIN && b->link * 10 <= b->text * 3 && b->stops + b->commas > 0;
}

/* What the names and the page say about a node, as a score. */
static int
s_weight (const s_ctx_t *c, uint32_t node)
{
    uint32_t h = c->page->nodes[node].hints;
    int w = 0;
    if (c->relax & S_NO_WEIGHTS)
        h &= ~(uint32_t) (HNY_HINT_POS | HNY_HINT_NEG);
    if (h & HNY_HINT_POS)
        w += 25;
    if (h & HNY_HINT_NEG)
        w -= 25;
    if (h & HNY_HINT_BODY)
        w += 50;
    if (h & HNY_HINT_ARTICLE)
        w += 10;
    return w;
}

/* The first score of a node, by its tag and names. */
static float
s_initial (const s_ctx_t *c, uint32_t node)
{
    int base = 0;
    switch (s_tag (c, node)) {
    case HNY_TAG_DIV: case HNY_TAG_ARTICLE: case HNY_TAG_SECTION: case HNY_TAG_MAIN:
        base = 5;
        break;
    case HNY_TAG_PRE: case HNY_TAG_TD: case HNY_TAG_BLOCKQUOTE:
        base = 3;
        break;
    case HNY_TAG_ADDRESS: case HNY_TAG_OL: case HNY_TAG_UL: case HNY_TAG_DL: case HNY_TAG_DD:
    case HNY_TAG_DT: case HNY_TAG_LI: case HNY_TAG_FORM:
        base = -3;
        break;
    case HNY_TAG_H1: case HNY_TAG_H2: case HNY_TAG_H3: case HNY_TAG_H4: case HNY_TAG_H5:
    case HNY_TAG_H6: case HNY_TAG_TH:
        base = -5;
        break;
    default:
        break;
    }
    return (float) (base + s_weight (c, node));
}

/* Compare texts the way a reader would: case and spacing aside. */
static int
s_same_text (const char *a, const char *b)
{
    while (*a && *b) {
        if (isspace ((unsigned char) *a) || isspace ((unsigned char) *b)) {
            while (isspace ((unsigned char) *a))
                a++;
            while (isspace ((unsigned char) *b))
                b++;
            continue;
        }
        if (tolower ((unsigned char) *a) != tolower ((unsigned char) *b))
            return 0;
        a++, b++;
    }
    while (isspace ((unsigned char) *a))
        a++;
    while (isspace ((unsigned char) *b))
        b++;
    return *a == '\0' && *b == '\0';
}

/* ------------------------------------------------------------ 1. chrome */

static int
s_own_chrome (const s_ctx_t *c, uint32_t node)
{
    uint32_t h = c->page->nodes[node].hints;
    if (h & HNY_HINT_BODY)
        return 0;
    if (c->relax & S_NO_NAMES)
        h &= HNY_HINT_CHROME | HNY_HINT_FORM;   /* tags and roles only */
    int chrome = (h & (HNY_HINT_CHROME | HNY_HINT_STRONG | HNY_HINT_CRUMB | HNY_HINT_FORM
                       | HNY_HINT_HIDDEN))
              || ((h & HNY_HINT_NEG) && !(h & (HNY_HINT_POS | HNY_HINT_ARTICLE)));
    if (!chrome)
        return 0;
    /* a wrapper named for its chrome, or the <form> of a whole page */
    return !(c->total_prose > 0 && c->prose[node] >= S_HOLDS_PAGE * c->total_prose);
}

static void
s_mark_chrome (s_ctx_t *c)
{
    const hny_page_t *page = c->page;
    for (size_t b = 0; b < page->block_count; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        if (blk->node != HNY_PAGE_NONE && s_prose (blk)) {
            c->prose[blk->node] += blk->text;
            c->total_prose += blk->text;
        }
    }
    for (size_t i = c->n; i-- > 0;) {
        uint32_t p = page->nodes[i].parent;
        if (p != HNY_PAGE_NONE) {
            c->prose[p] += c->prose[i];
            if (c->end[i] > c->end[p])
                c->end[p] = c->end[i];
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        uint32_t p = page->nodes[i].parent;
        c->dropped[i] = (p != HNY_PAGE_NONE && c->dropped[p]) || s_own_chrome (c, (uint32_t) i);
    }
}

/* Sums over the blocks outside chrome, into their nodes and ancestors. */
static void
s_aggregate (s_ctx_t *c)
{
    const hny_page_t *page = c->page;
    for (size_t b = 0; b < page->block_count; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        uint32_t n = blk->node;
        if (n == HNY_PAGE_NONE || c->dropped[n])
            continue;
        hny_tag_t tag = s_tag (c, n);
        c->text[n] += blk->text;
        c->link[n] += blk->link;
        c->commas[n] += blk->commas;
        c->paras[n] += tag == HNY_TAG_P;
        c->items[n] += tag == HNY_TAG_LI;
        if (s_is_heading (tag))
            c->heads[n] += blk->text;
    }
    for (size_t i = c->n; i-- > 0;) {
        uint32_t p = page->nodes[i].parent;
        if (p == HNY_PAGE_NONE || c->dropped[i])
            continue;
        c->images[p] += c->images[i];
        c->inputs[p] += c->inputs[i];
        c->text[p] += c->text[i];
        c->link[p] += c->link[i];
        c->commas[p] += c->commas[i];
        c->paras[p] += c->paras[i];
        c->items[p] += c->items[i];
        c->heads[p] += c->heads[i];
    }
}

/* ------------------------------------------------------------ 2. scores */

static void
s_score (s_ctx_t *c)
{
    const hny_page_t *page = c->page;
    for (size_t b = 0; b < page->block_count; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        uint32_t n = blk->node;
        if (n == HNY_PAGE_NONE || c->dropped[n] || blk->text < S_MIN_PARAGRAPH)
            continue;
        /* paragraphs score, list items and captions do not (menus are
           lists); loose text in a div is a paragraph of the div itself */
        hny_tag_t tag = s_tag (c, n);
        int para = tag == HNY_TAG_P || tag == HNY_TAG_PRE || tag == HNY_TAG_TD
                || (s_is_heading (tag) && tag != HNY_TAG_H1);
        if (!para && s_is_paragraph (tag))
            continue;
        float s = 1.0f + blk->commas + (float) (blk->text / 100 < 3 ? blk->text / 100 : 3);
        uint32_t a = para ? s_parent (c, n) : n;
        for (int level = 0; a != HNY_PAGE_NONE && level < S_ANCESTORS; level++, a = s_parent (c, a)) {
            if (!c->scored[a]) {
                c->score[a] = s_initial (c, a);
                c->scored[a] = 1;
            }
            c->score[a] += s / (level == 0 ? 1.0f : level == 1 ? 2.0f : level * 3.0f);
        }
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->scored[i])
            c->score[i] *= (float) (1.0 - s_density (c->link[i], c->text[i]));
}

/* ------------------------------------------------------------ 3. content */

static int
s_contains (const s_ctx_t *c, uint32_t ancestor, uint32_t node)
{
    return node >= ancestor && node < c->end[ancestor];
}

/* The best node, moved up as Readability does: to an ancestor that holds
   several near-best candidates, or while the scores rise going up. */
static uint32_t
s_top (s_ctx_t *c)
{
    uint32_t top[S_TOP_N];
    size_t found = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!c->scored[i] || c->dropped[i])
            continue;
        size_t at = found < S_TOP_N ? found : S_TOP_N;
        while (at > 0 && c->score[top[at - 1]] < c->score[i]) {
            if (at < S_TOP_N)
                top[at] = top[at - 1];
            at--;
        }
        if (at < S_TOP_N) {
            top[at] = (uint32_t) i;
            if (found < S_TOP_N)
                found++;
        }
    }
    if (found == 0)
        return HNY_PAGE_NONE;
    uint32_t best = top[0];
    float best_score = c->score[best];
    /* three close candidates under one ancestor: the ancestor */
    size_t close = 0;
    for (size_t k = 1; k < found; k++)
        close += c->score[top[k]] >= 0.75f * best_score;
    if (close >= 3) {
        for (uint32_t a = s_parent (c, best); a != HNY_PAGE_NONE && s_tag (c, a) != HNY_TAG_BODY;
             a = s_parent (c, a)) {
            size_t under = 0;
            for (size_t k = 1; k < found; k++)
                under += c->score[top[k]] >= 0.75f * best_score && top[k] != a
                      && s_contains (c, a, top[k]);
            if (under >= 3) {
                best = a;
                break;
            }
        }
    }
    if (!c->scored[best]) {
        c->score[best] = s_initial (c, best);
        c->scored[best] = 1;
    }
    /* rising scores going up mean more content is gathered there */
    float last = c->score[best], threshold = last / 3.0f;
    for (uint32_t a = s_parent (c, best); a != HNY_PAGE_NONE && s_tag (c, a) != HNY_TAG_BODY;
         a = s_parent (c, a)) {
        if (!c->scored[a] || c->dropped[a])
            continue;
        if (c->score[a] < threshold)
            break;
        if (c->score[a] > last) {
            best = a;
            break;
        }
        last = c->score[a];
    }
    /* an only child says no more than its parent */
    for (uint32_t p = s_parent (c, best); p != HNY_PAGE_NONE && s_tag (c, p) != HNY_TAG_BODY
         && !c->dropped[p] && c->end[p] == c->end[best] && p + 1 == best
         && c->text[p] == c->text[best]; p = s_parent (c, best))
        best = p;
    return best;
}

/* Whether a block's text ends as a sentence does. */
static int
s_ends_sentence (const s_ctx_t *c, uint32_t b)
{
    const hny_page_block_t *blk = &c->page->blocks[b];
    for (uint32_t i = blk->first_line + blk->line_count; i-- > blk->first_line;) {
        const char *line = c->page->lines[i];
        size_t n = strlen (line);
        if (n == 0)
            continue;
        char last = line[n - 1];
        if (last == '.' || last == '!' || last == '?' || last == '"')
            return 1;
        return n >= 3 && (strcmp (line + n - 3, "。") == 0 || strcmp (line + n - 3, "」") == 0
                          || strcmp (line + n - 3, "”") == 0);
    }
    return 0;
}

/* A paragraph worth taking beside the best node: long with few links,
   or short without links and ending as a sentence. */
static int
s_good_paragraph (const s_ctx_t *c, uint32_t text, uint32_t link, uint32_t block)
{
    if (text > 80)
        return s_density (link, text) < 0.25;
    return text > 0 && link == 0 && block != HNY_PAGE_NONE && s_ends_sentence (c, block);
}

/* Mark the content: the best node and its siblings that score near it. */
static void
s_choose (s_ctx_t *c, uint32_t best, unsigned char *loose)
{
    const hny_page_t *page = c->page;
    uint32_t parent = s_parent (c, best);
    c->inside[best] = 1;
    if (parent == HNY_PAGE_NONE)
        return;
    float threshold = c->score[best] * 0.2f > 10.0f ? c->score[best] * 0.2f : 10.0f;
    uint32_t best_class = page->nodes[best].class_hash;
    for (uint32_t s = parent + 1; s < c->end[parent]; s = c->end[s]) {
        if (s == best || c->dropped[s])
            continue;
        float bonus = best_class && page->nodes[s].class_hash == best_class ? c->score[best] * 0.2f : 0;
        int take = c->scored[s] && c->score[s] + bonus >= threshold;
        if (!take && s_tag (c, s) == HNY_TAG_P)
            take = s_good_paragraph (c, c->text[s], c->link[s], c->last_block[s]);
        if (take)
            c->inside[s] = 1;
    }
    /* text loose in the parent, beside the best node */
    for (size_t b = 0; b < page->block_count; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        if (blk->node == parent && !c->dropped[parent]
            && s_good_paragraph (c, blk->text, blk->link, (uint32_t) b))
            loose[b] = 1;
    }
}

/* ------------------------------------------------------------ 4. clean-up */

/* Boxes inside the content that are not prose: Readability's conditional
   clean, on the subtree sums. */
static int
s_box_is_junk (const s_ctx_t *c, uint32_t node)
{
    hny_tag_t tag = s_tag (c, node);
    if (tag != HNY_TAG_DIV && tag != HNY_TAG_SECTION && tag != HNY_TAG_UL && tag != HNY_TAG_OL
        && tag != HNY_TAG_TABLE && tag != HNY_TAG_FORM && tag != HNY_TAG_FIELDSET
        && tag != HNY_TAG_DL && tag != HNY_TAG_ASIDE)
        return 0;
    if (c->relax & S_NO_CLEAN)
        return 0;
    int weight = s_weight (c, node);
    if (weight + (c->scored[node] ? c->score[node] : 0) < 0)
        return 1;
    if (c->commas[node] >= 10)
        return 0;
    double density = s_density (c->link[node], c->text[node]);
    uint32_t p = c->paras[node], img = c->images[node], li = c->items[node];
    int list = tag == HNY_TAG_UL || tag == HNY_TAG_OL;
    int figure = (c->page->nodes[node].hints & HNY_HINT_CAPTION) != 0;
    if (img > 1 && p * 2 < img && !figure)
        return 1;
    if (!list && li > p + 100)
        return 1;
    if (c->inputs[node] > p / 3)
        return 1;
    if (!list && c->heads[node] * 10 < c->text[node] * 9 && c->text[node] < S_MIN_PARAGRAPH
        && (img == 0 || img > 2) && !figure)
        return 1;
    if (!list && weight < 25 && density > 0.2)
        return 1;
    /* a list of short items, mostly links: more stories, not this one */
    if (list && li >= 3 && density > 0.35 && c->text[node] < li * S_LINK_ITEM_MAX)
        return 1;
    return weight >= 25 && density > 0.5;
}

/* A copyright line: "© 2019 ...", "Copyright ...", "(c) ...", "All rights
   reserved", "無断転載・複製を禁じます". */
static int
s_copyright (const char *text)
{
    return strstr (text, "\xC2\xA9") || strcasestr (text, "copyright")
        || strncasecmp (text, "(c)", 3) == 0
        || strcasestr (text, "all rights reserved") || strstr (text, "無断転載")
        || strstr (text, "無断複製");
}

/* A dateline in any language: a short line with a year and a time or a
   numeric date ("segunda-feira, 22 de janeiro de 2018 às 0:13",
   "05/10/2018 - Publicado por: ..."), or a date hny_date reads. */
static int
s_dateline (const char *text)
{
    char iso[HNY_DATE_ISO];
    if (hny_date_find (text, strlen (text), iso))
        return 1;
    int year = 0, clock = 0;
    for (const char *p = text; *p; p++) {
        if (!isdigit ((unsigned char) *p) || (p > text && isalnum ((unsigned char) p[-1])))
            continue;
        size_t n = strspn (p, "0123456789");
        if (n == 4 && (p[0] == '1' || p[0] == '2') && !isalnum ((unsigned char) p[4]))
            year = 1;
        if (n <= 2 && p[n] == ':' && isdigit ((unsigned char) p[n + 1]) && isdigit ((unsigned char) p[n + 2]))
            clock = 1;
        if (n <= 2 && (p[n] == '/' || p[n] == '.') && isdigit ((unsigned char) p[n + 1]))
            clock = 1;  /* 05/10/2018, 05.10.2018 */
        p += n - 1;
    }
    return year && clock;
}

/* The label of an ad slot or a loading placeholder, alone in its block. */
static int
s_ad_label (const char *text)
{
    static const char *labels[] = {
        "advertisement", "advertising", "ad", "ads", "sponsored", "sponsored content",
        "publicité", "werbung", "anuncio", "publicidad", "pubblicità", "реклама", "広告",
        "スポンサーリンク", "loading", "loading...", "loading…", NULL
    };
    for (int i = 0; labels[i]; i++)
        if (s_same_text (text, labels[i]))
            return 1;
    return 0;
}

/* Blocks of the content that are not body text. */
static int
s_block_is_junk (const s_ctx_t *c, uint32_t b, const char *title)
{
    const hny_page_t *page = c->page;
    const hny_page_block_t *blk = &page->blocks[b];
    uint32_t node = blk->node;
    hny_tag_t tag = s_tag (c, node);
    if (tag == HNY_TAG_H1 || b == page->h1_block)
        return 1;   /* the headline */
    /* in a caption, byline or date element: small ones only, as a page
       may put such a name on a wrapper of its whole article */
    for (uint32_t a = node; a != HNY_PAGE_NONE; a = s_parent (c, a)) {
        uint32_t h = page->nodes[a].hints;
        if ((h & HNY_HINT_CAPTION) && c->text[a] < S_CAPTION_MAX)
            return 1;
        if ((h & (HNY_HINT_BYLINE | HNY_HINT_DATE)) && c->text[a] < S_BYLINE_MAX)
            return 1;
    }
    if (blk->text >= 20 && blk->link * 10 >= blk->text * 8 && blk->text < 300)
        return 1;   /* a link alone: "Read more: ..." */
    char buf[512];
    const char *text = hny_page_block_text (page, b, buf, sizeof buf);
    if (blk->text < S_DATELINE_MAX && !s_ends_sentence (c, b) && s_dateline (text))
        return 1;
    if (blk->text < S_COPYRIGHT_MAX && s_copyright (text))
        return 1;
    if (blk->text < 40 && s_ad_label (text))
        return 1;
    char *label = blk->text <= HNY_SECTION_LABEL_MAX + 6 ? hny_section_label (text) : NULL;
    int is_label = label != NULL;
    free (label);
    if (is_label)
        return 1;   /* "［主張］": the section, said above the title */
    if (title && blk->text < 600 && s_same_text (text, title))
        return 1;
    return 0;
}

/* ------------------------------------------------------------ 5. verdict */

/* A list of teasers (a home page, search results): a headline link and,
   right after it, its lead, again and again, and little prose besides
   (content[b]: block b is in the content, before the clean-up of blocks
   drops the links). */
static int
s_teasers (const s_ctx_t *c, const unsigned char *content)
{
    const hny_page_t *page = c->page;
    size_t pairs = 0, prose = 0;
    int headline = 0;   /* the previous block of the content was a headline link */
    for (size_t b = 0; b < page->block_count; b++) {
        if (!content[b])
            continue;
        const hny_page_block_t *blk = &page->blocks[b];
        int link = blk->text >= 15 && blk->link * 10 >= blk->text * 8 && blk->text < 300;
        if (s_prose (blk)) {
            prose++;
            pairs += headline;
        }
        headline = link;
    }
    return pairs >= S_TEASERS_MIN && pairs * 2 >= prose;
}

static void
s_debug (const s_ctx_t *c, const unsigned char *keep, uint32_t best)
{
    const hny_page_t *page = c->page;
    hny_debug ("readable: %zu nodes, %zu blocks, best node %u", c->n, page->block_count, best);
    for (size_t b = 0; b < page->block_count; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        char buf[100], path[200];
        size_t w = 0;
        /* the chain of ancestors: node:tag:hints, * inside, x chrome */
        for (uint32_t a = blk->node; a != HNY_PAGE_NONE && w < 150; a = s_parent (c, a))
            w += (size_t) snprintf (path + w, sizeof path - w, "%u%s%s:%d:%x/", a,
                                    c->inside[a] ? "*" : "", c->dropped[a] ? "x" : "",
                                    (int) s_tag (c, a), page->nodes[a].hints);
        path[w] = '\0';
        hny_debug ("%c %5u/%-5u %-60.60s %s", keep[b] ? '+' : '-', blk->link, blk->text,
                   hny_page_block_text (page, b, buf, sizeof buf), path);
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->scored[i] && c->score[i] > 10)
            hny_debug ("score n%zu t%d h%x %.1f text %u link %u", i, (int) s_tag (c, (uint32_t) i),
                       page->nodes[i].hints, c->score[i], c->text[i], c->link[i]);
}

/* One attempt under c->relax: keep[] set, the text kept returned in
   *text and *link, and whether anything was cut as chrome. */
static size_t
s_attempt (s_ctx_t *c, const char *title, unsigned char *keep, unsigned char *loose,
           uint32_t *text, uint32_t *link, int *chrome, int *teasers)
{
    const hny_page_t *page = c->page;
    uint32_t **sums[] = { &c->text, &c->link, &c->commas, &c->paras, &c->items, &c->heads,
                          &c->prose };
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        memset (*sums[i], 0, (c->n ? c->n : 1) * sizeof (uint32_t));
    memset (c->dropped, 0, c->n);
    memset (c->inside, 0, c->n);
    memset (c->scored, 0, c->n);
    memset (keep, 0, page->block_count);
    memset (loose, 0, page->block_count);
    c->total_prose = 0;
    for (size_t i = 0; i < c->n; i++) {
        c->end[i] = (uint32_t) i + 1;
        c->images[i] = page->nodes[i].images;
        c->inputs[i] = page->nodes[i].inputs;
    }
    s_mark_chrome (c);
    s_aggregate (c);
    s_score (c);
    uint32_t best = s_top (c);
    *chrome = 0;
    for (size_t i = 0; i < c->n && !*chrome; i++)
        *chrome = c->dropped[i];
    if (best != HNY_PAGE_NONE) {
        s_choose (c, best, loose);
        /* under a chosen node, outside chrome and junk boxes */
        for (size_t i = 0; i < c->n; i++) {
            uint32_t p = page->nodes[i].parent;
            if (c->inside[i])
                continue;   /* a chosen node: content by its score */
            c->inside[i] = p != HNY_PAGE_NONE && c->inside[p] && !c->dropped[i]
                        && !s_box_is_junk (c, (uint32_t) i);
        }
    }
    else if (!*chrome) {
        /* a page of a few short lines and nothing else: all of it */
        for (size_t i = 0; i < c->n; i++)
            c->inside[i] = !c->dropped[i];
    }
    size_t kept = 0;
    *text = *link = 0;
    for (size_t b = 0; b < page->block_count; b++) {
        uint32_t node = page->blocks[b].node;
        loose[b] = loose[b] || (node != HNY_PAGE_NONE && c->inside[node]);   /* now: in the content */
    }
    *teasers = s_teasers (c, loose);
    for (size_t b = 0; b < page->block_count; b++) {
        if (loose[b] && !s_block_is_junk (c, (uint32_t) b, title)) {
            keep[b] = 1;
            kept++;
            *text += page->blocks[b].text;
            *link += page->blocks[b].link;
        }
    }
    if (hny_log_enabled (HNY_LOG_DEBUG)) {
        hny_debug ("attempt %u", c->relax);
        s_debug (c, keep, best);
    }
    return kept;
}

size_t
hny_readable_select (const hny_page_t *page, const char *title, unsigned char *keep,
                     const char **why)
{
    s_ctx_t c = { .page = page, .n = page->node_count };
    size_t n = c.n ? c.n : 1, nb = page->block_count ? page->block_count : 1;
    uint32_t **sums[] = { &c.end, &c.text, &c.link, &c.commas, &c.paras, &c.items, &c.heads,
                          &c.images, &c.inputs, &c.prose, &c.last_block };
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        *sums[i] = hny_calloc (n, sizeof (uint32_t));
    c.dropped = hny_calloc (n, 1);
    c.inside = hny_calloc (n, 1);
    c.scored = hny_calloc (n, 1);
    c.score = hny_calloc (n, sizeof (float));
    unsigned char *loose = hny_calloc (nb, 1), *attempt = hny_calloc (nb, 1);
    for (size_t i = 0; i < c.n; i++)
        c.last_block[i] = HNY_PAGE_NONE;
    for (size_t b = 0; b < page->block_count; b++)
        if (page->blocks[b].node != HNY_PAGE_NONE)
            c.last_block[page->blocks[b].node] = (uint32_t) b;

    /* As Readability does: the full rules first; when they leave too
       little text, again without the names, the weights, the clean-up,
       and the attempt with the most text wins. */
    static const unsigned relax[] = { 0, S_NO_NAMES, S_NO_NAMES | S_NO_WEIGHTS,
                                      S_NO_NAMES | S_NO_WEIGHTS | S_NO_CLEAN };
    size_t kept = 0;
    uint32_t text = 0, link = 0;
    int chrome = 0, teasers = 0;
    for (size_t r = 0; r < sizeof relax / sizeof relax[0]; r++) {
        uint32_t t = 0, l = 0;
        int ch = 0, te = 0;
        c.relax = relax[r];
        size_t k = s_attempt (&c, title, attempt, loose, &t, &l, &ch, &te);
        if (r == 0 || t - l > text - link) {
            memcpy (keep, attempt, page->block_count);
            kept = k, text = t, link = l, chrome = ch, teasers = te;
        }
        if (text - link >= S_ENOUGH)
            break;
    }

    *why = NULL;
    if (kept > 0 && s_density (link, text) > 0.5)
        *why = "the page is mostly links";
    else if (kept > 0 && teasers)
        *why = "the page lists articles (headlines and leads)";
    else if (kept > 0 && chrome && text - link < S_MIN_ARTICLE)
        *why = "too little text outside the page's navigation and forms";
    else if (kept == 0)
        *why = "nothing but navigation, forms and boilerplate";
    if (*why) {
        memset (keep, 0, page->block_count);
        kept = 0;
    }
    for (size_t i = 0; i < sizeof sums / sizeof sums[0]; i++)
        free (*sums[i]);
    free (c.dropped);
    free (c.inside);
    free (c.scored);
    free (c.score);
    free (loose);
    free (attempt);
    return kept;
}
