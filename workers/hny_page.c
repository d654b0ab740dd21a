/*  hny_page.c: the flattened page of hny_page.h: its arrays, and what an
    element's tag and attributes say about it. The word lists are the
    vocabulary sites use for their chrome and their content; they are the
    same ideas as in every readability-style extractor, kept short and
    general: no name here comes from one site. */
#include "hny_page.h"

#include "honyaku/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_NAMES_MAX 256     /* bytes of class + id examined */
#define S_TOKENS_MAX 16     /* words of class + id examined */

hny_page_t *
hny_page_new (void)
{
    hny_page_t *self = hny_calloc (1, sizeof *self);
    self->h1_block = HNY_PAGE_NONE;
    return self;
}

void
hny_page_destroy (hny_page_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_page_t *self = *self_p;
    for (size_t i = 0; i < self->line_count; i++) {
        free (self->lines[i]);
        free (self->marked[i]);
    }
    free (self->lines);
    free (self->marked);
    free (self->line_block);
    free (self->nodes);
    free (self->blocks);
    char **strings[] = {
        &self->title, &self->h1, &self->og_title, &self->og_site, &self->published,
        &self->date_meta, &self->author, &self->section, &self->time_datetime,
        &self->itemprop_date, &self->itemprop_author, &self->jsonld
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free (*strings[i]);
    free (self);
    *self_p = NULL;
}

uint32_t
hny_page_add_node (hny_page_t *self, uint32_t parent, hny_tag_t tag, uint32_t hints)
{
    if (self->node_count >= HNY_PAGE_MAX_NODES) {
        self->nodes_dropped++;
        return HNY_PAGE_NONE;
    }
    if (self->node_count == self->node_cap) {
        self->node_cap = self->node_cap ? self->node_cap * 2 : 256;
        self->nodes = hny_realloc (self->nodes, self->node_cap * sizeof *self->nodes);
    }
    hny_page_node_t *node = &self->nodes[self->node_count];
    memset (node, 0, sizeof *node);
    node->parent = parent;
    node->tag = (uint16_t) tag;
    node->hints = hints;
    return (uint32_t) self->node_count++;
}

uint32_t
hny_page_add_block (hny_page_t *self, const hny_page_block_t *block)
{
    if (self->block_count == self->block_cap) {
        self->block_cap = self->block_cap ? self->block_cap * 2 : 256;
        self->blocks = hny_realloc (self->blocks, self->block_cap * sizeof *self->blocks);
    }
    self->blocks[self->block_count] = *block;
    self->blocks[self->block_count].first_line = (uint32_t) self->line_count;
    self->blocks[self->block_count].line_count = 0;
    return (uint32_t) self->block_count++;
}

int
hny_page_add_line (hny_page_t *self, char *line, char *marked, size_t max_lines)
{
    if (self->line_count >= max_lines || self->block_count == 0) {
        free (line);
        free (marked);
        return -1;
    }
    if (self->line_count == self->line_cap) {
        self->line_cap = self->line_cap ? self->line_cap * 2 : 256;
        self->lines = hny_realloc (self->lines, self->line_cap * sizeof (char *));
        self->marked = hny_realloc (self->marked, self->line_cap * sizeof (char *));
        self->line_block = hny_realloc (self->line_block, self->line_cap * sizeof (uint32_t));
    }
    self->lines[self->line_count] = line;
    self->marked[self->line_count] = marked;
    self->line_block[self->line_count] = (uint32_t) (self->block_count - 1);
    self->blocks[self->block_count - 1].line_count++;
    self->line_count++;
    return 0;
}

void
hny_page_set_meta (char **field, const char *text, size_t len)
{
    if (*field || !text)
        return;
    while (len > 0 && isspace ((unsigned char) *text))
        text++, len--;
    while (len > 0 && isspace ((unsigned char) text[len - 1]))
        len--;
    if (len > HNY_PAGE_META_MAX) {
        len = HNY_PAGE_META_MAX;
        while (len > 0 && ((unsigned char) text[len] & 0xC0) == 0x80)
            len--;  /* not in the middle of a character */
    }
    if (len == 0)
        return;
    *field = hny_strndup (text, len);
    /* one line: metadata values are shown and compared as such */
    for (char *c = *field; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
}

const char *
hny_page_block_text (const hny_page_t *self, size_t b, char *buf, size_t cap)
{
    const hny_page_block_t *blk = &self->blocks[b];
    size_t w = 0;
    for (uint32_t i = blk->first_line; i < blk->first_line + blk->line_count; i++) {
        const char *line = self->lines[i];
        if (!*line)
            continue;
        if (w > 0 && w + 1 < cap)
            buf[w++] = ' ';
        size_t n = strlen (line);
        if (n > cap - 1 - w)
            n = cap - 1 - w;
        memcpy (buf + w, line, n);
        w += n;
    }
    buf[w] = '\0';
    return buf;
}

char *
hny_page_block_text_dup (const hny_page_t *self, size_t b)
{
    /* room for every line and a space after each: nothing is cut */
    const hny_page_block_t *blk = &self->blocks[b];
    size_t cap = 1;
    for (uint32_t i = blk->first_line; i < blk->first_line + blk->line_count; i++)
        cap += strlen (self->lines[i]) + 1;
    return (char *) hny_page_block_text (self, b, hny_malloc (cap), cap);
}

uint32_t
hny_page_ancestor_with (const hny_page_t *self, uint32_t node, uint32_t hints)
{
    while (node != HNY_PAGE_NONE && node < self->node_count) {
        if (self->nodes[node].hints & hints)
            return node;
        node = self->nodes[node].parent;
    }
    return HNY_PAGE_NONE;
}

/* ------------------------------------------------------------ names */

/* The words of class and id: split at anything not a letter or digit and
   where a lower-case letter meets an upper-case one ("GlobalNav"), then
   lower-cased. Returns the number of words (each NUL-terminated in buf). */
static size_t
s_words (const char *class_name, const char *id, char *buf, size_t cap, char **words)
{
    size_t n = 0, w = 0;
    const char *parts[2] = { class_name, id };
    for (int k = 0; k < 2; k++) {
        const char *s = parts[k];
        if (!s)
            continue;
        int in_word = 0;
        for (size_t i = 0; s[i] && w + 2 < cap; i++) {
            unsigned char c = (unsigned char) s[i];
            int alnum = isalnum (c);
            int split = in_word && alnum && isupper (c) && i > 0 && islower ((unsigned char) s[i - 1]);
            if (!alnum || split) {
                if (in_word) {
                    buf[w++] = '\0';
                    in_word = 0;
                }
                if (!alnum)
                    continue;
            }
            if (!in_word) {
                if (n == S_TOKENS_MAX)
                    break;
                words[n++] = buf + w;
                in_word = 1;
            }
            buf[w++] = (char) tolower (c);
        }
        if (in_word)
            buf[w++] = '\0';
    }
    return n;
}

/* How a listed word must match a word of the names. */
typedef enum {
    S_SUB,      /* anywhere inside a word: distinctive ("breadcrumb") */
    S_EDGE,     /* a word starts or ends with it ("nav": navbar, mainnav) */
    S_WORD      /* the whole word ("ad", "tags") */
} s_match_t;

typedef struct {
    const char *word;
    s_match_t match;
    uint32_t hints;
} s_name_t;

#define S_NEG_STRONG (HNY_HINT_NEG | HNY_HINT_STRONG)

static const s_name_t s_names[] = {
    /* never the article, whatever else the names say */
    { "comment", S_SUB, S_NEG_STRONG }, { "disqus", S_SUB, S_NEG_STRONG },
    { "share", S_SUB, S_NEG_STRONG }, { "sharing", S_SUB, S_NEG_STRONG },
    { "social", S_SUB, S_NEG_STRONG }, { "newsletter", S_SUB, S_NEG_STRONG },
    { "subscri", S_SUB, S_NEG_STRONG }, { "related", S_SUB, S_NEG_STRONG },
    { "recommend", S_SUB, S_NEG_STRONG }, { "outbrain", S_SUB, S_NEG_STRONG },
    { "taboola", S_SUB, S_NEG_STRONG }, { "cookie", S_SUB, S_NEG_STRONG },
    { "gdpr", S_SUB, S_NEG_STRONG }, { "consent", S_SUB, S_NEG_STRONG },
    { "popup", S_SUB, S_NEG_STRONG }, { "modal", S_SUB, S_NEG_STRONG },
    { "sponsor", S_SUB, S_NEG_STRONG }, { "advert", S_SUB, S_NEG_STRONG },
    { "ad", S_WORD, S_NEG_STRONG }, { "ads", S_WORD, S_NEG_STRONG },
    { "adslot", S_SUB, S_NEG_STRONG }, { "adunit", S_SUB, S_NEG_STRONG },
    { "dfp", S_WORD, S_NEG_STRONG }, { "promo", S_SUB, S_NEG_STRONG },
    { "pagination", S_SUB, S_NEG_STRONG }, { "pager", S_WORD, S_NEG_STRONG },
    { "signup", S_SUB, S_NEG_STRONG }, { "login", S_SUB, S_NEG_STRONG },
    { "trending", S_SUB, S_NEG_STRONG }, { "popular", S_SUB, S_NEG_STRONG },
    { "most", S_WORD, S_NEG_STRONG }, { "readmore", S_SUB, S_NEG_STRONG },
    { "more", S_WORD, S_NEG_STRONG }, { "reply", S_SUB, S_NEG_STRONG },
    { "sr", S_WORD, S_NEG_STRONG }, { "offscreen", S_SUB, S_NEG_STRONG },
    { "visuallyhidden", S_SUB, S_NEG_STRONG }, { "hidden", S_WORD, HNY_HINT_NEG },
    { "screen", S_WORD, S_NEG_STRONG }, { "skip", S_WORD, S_NEG_STRONG },
    { "print", S_WORD, S_NEG_STRONG }, { "rss", S_WORD, S_NEG_STRONG },
    { "toolbar", S_SUB, S_NEG_STRONG }, { "tags", S_WORD, S_NEG_STRONG },
    { "tag", S_WORD, S_NEG_STRONG }, { "keywords", S_WORD, S_NEG_STRONG },
    { "breadcrumb", S_SUB, S_NEG_STRONG | HNY_HINT_CRUMB },
    { "crumbs", S_SUB, S_NEG_STRONG | HNY_HINT_CRUMB },
    /* the same in the romanized Japanese of many sites: パンくず, トピックパス, 関連 */
    { "pankuzu", S_SUB, S_NEG_STRONG | HNY_HINT_CRUMB },
    { "topicpath", S_SUB, S_NEG_STRONG | HNY_HINT_CRUMB },
    { "kanren", S_SUB, S_NEG_STRONG },
    /* chrome, unless the names also say content ("content-header") */
    { "nav", S_EDGE, HNY_HINT_NEG }, { "menu", S_SUB, HNY_HINT_NEG },
    { "footer", S_SUB, HNY_HINT_NEG }, { "header", S_SUB, HNY_HINT_NEG },
    { "masthead", S_SUB, HNY_HINT_NEG }, { "sidebar", S_SUB, HNY_HINT_NEG },
    { "widget", S_SUB, HNY_HINT_NEG }, { "banner", S_SUB, HNY_HINT_NEG },
    { "skyscraper", S_SUB, HNY_HINT_NEG }, { "shoutbox", S_SUB, HNY_HINT_NEG },
    { "meta", S_WORD, HNY_HINT_NEG }, { "tools", S_WORD, HNY_HINT_NEG },
    { "utility", S_SUB, HNY_HINT_NEG }, { "aside", S_WORD, HNY_HINT_NEG },
    { "copyright", S_SUB, HNY_HINT_NEG }, { "contact", S_WORD, HNY_HINT_NEG },
    { "extra", S_WORD, HNY_HINT_NEG }, { "supplement", S_SUB, HNY_HINT_NEG },
    /* not body text, though inside the article */
    { "caption", S_SUB, HNY_HINT_CAPTION }, { "credit", S_SUB, HNY_HINT_CAPTION },
    { "byline", S_SUB, HNY_HINT_BYLINE }, { "author", S_SUB, HNY_HINT_BYLINE },
    { "dateline", S_SUB, HNY_HINT_BYLINE }, { "writtenby", S_SUB, HNY_HINT_BYLINE },
    { "date", S_WORD, HNY_HINT_DATE }, { "time", S_WORD, HNY_HINT_DATE },
    { "timestamp", S_SUB, HNY_HINT_DATE }, { "pubdate", S_SUB, HNY_HINT_DATE },
    { "published", S_WORD, HNY_HINT_DATE },
    /* content */
    { "article", S_SUB, HNY_HINT_POS }, { "content", S_SUB, HNY_HINT_POS },
    { "entry", S_SUB, HNY_HINT_POS }, { "story", S_SUB, HNY_HINT_POS },
    { "blog", S_SUB, HNY_HINT_POS }, { "prose", S_SUB, HNY_HINT_POS },
    { "body", S_EDGE, HNY_HINT_POS }, { "post", S_EDGE, HNY_HINT_POS },
    { "text", S_EDGE, HNY_HINT_POS }, { "main", S_EDGE, HNY_HINT_POS },
    { "column", S_SUB, HNY_HINT_POS }, { "hentry", S_WORD, HNY_HINT_POS },
};

/* Matching by words rather than by substrings of the whole name keeps
   short words honest: "ad" must not match "header" or "shadow", "nav"
   must not match "canvas". */
static int
s_word_matches (const char *word, const s_name_t *name)
{
    size_t n = strlen (name->word), len = strlen (word);
    switch (name->match) {
    case S_WORD:
        return strcmp (word, name->word) == 0;
    case S_EDGE:
        return len >= n && (strncmp (word, name->word, n) == 0 || strcmp (word + len - n, name->word) == 0);
    case S_SUB:
    default:
        return strstr (word, name->word) != NULL;
    }
}

/* Hints from the class and id names. */
static uint32_t
s_name_hints (const char *class_name, const char *id)
{
    char buf[S_NAMES_MAX];
    char *words[S_TOKENS_MAX];
    size_t count = s_words (class_name, id, buf, sizeof buf, words);
    uint32_t hints = 0;
    for (size_t w = 0; w < count; w++)
        for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++)
            if (s_word_matches (words[w], &s_names[i]))
                hints |= s_names[i].hints;
    return hints;
}

uint32_t
hny_page_hints (hny_tag_t tag, const char *class_name, const char *id,
                const char *role, const char *itemprop, const char *aria_hidden)
{
    uint32_t hints = s_name_hints (class_name, id);
    switch (tag) {
    case HNY_TAG_NAV: case HNY_TAG_MENU:
        hints |= HNY_HINT_CHROME | (tag == HNY_TAG_NAV ? HNY_HINT_LEGACY : 0);
        break;
    case HNY_TAG_HEADER: case HNY_TAG_FOOTER:
        hints |= HNY_HINT_CHROME | HNY_HINT_LEGACY;
        break;
    case HNY_TAG_ASIDE:
        hints |= HNY_HINT_CHROME;
        break;
    case HNY_TAG_FORM:
        hints |= HNY_HINT_FORM | HNY_HINT_LEGACY;
        break;
    case HNY_TAG_FIELDSET:
        hints |= HNY_HINT_FORM;
        break;
    case HNY_TAG_ARTICLE: case HNY_TAG_MAIN:
        hints |= HNY_HINT_ARTICLE;
        break;
    case HNY_TAG_FIGURE: case HNY_TAG_FIGCAPTION:
        hints |= HNY_HINT_CAPTION;
        break;
    default:
        break;
    }
    if (role) {
        static const char *chrome[] = {
            "navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar",
            "dialog", "alertdialog", "toolbar", "tablist", NULL
        };
        for (int i = 0; chrome[i]; i++)
            if (strcasecmp (role, chrome[i]) == 0)
                hints |= HNY_HINT_CHROME;
        if (strcasecmp (role, "main") == 0 || strcasecmp (role, "article") == 0)
            hints |= HNY_HINT_ARTICLE;
    }
    if (itemprop) {
        if (strcasestr (itemprop, "articleBody") || strcasestr (itemprop, "reviewBody"))
            hints |= HNY_HINT_BODY;
        else if (strcasestr (itemprop, "author") || strcasestr (itemprop, "creator"))
            hints |= HNY_HINT_BYLINE;
        else if (strcasestr (itemprop, "datePublished") || strcasestr (itemprop, "dateModified"))
            hints |= HNY_HINT_DATE;
    }
    if (aria_hidden && strcasecmp (aria_hidden, "true") == 0)
        hints |= HNY_HINT_HIDDEN;
    return hints;
}
