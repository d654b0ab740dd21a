/*  hny_htmlmeta.c: title, date, author and section of an HTML article
    (hny_htmlmeta.h). The page's own statements come first (JSON-LD,
    <meta>, microdata), then what a reader sees near the article: the
    headline, a date line, a byline, a breadcrumb trail. */
#include "hny_htmlmeta.h"

#include "hny_date.h"
#include "honyaku/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_LD_NODES_MAX  2000    /* JSON-LD values visited at most */
#define S_LD_DEPTH_MAX  8       /* nesting followed into JSON-LD */
#define S_NEAR_BEFORE   15      /* blocks before the article searched for a date or byline */
#define S_NEAR_AFTER    4       /* blocks into the article searched */
#define S_LINE_MAX      160     /* bytes of a date line or byline */
#define S_SECTION_MAX   60      /* bytes of a section name */
#define S_AUTHORS_MAX   4       /* authors named at most */

/* What the JSON-LD of the page says about its article. */
typedef struct {
    char *headline, *date, *author, *section;
    size_t visited;             /* values looked at, capped */
} s_ld_t;

/* A page and what its JSON-LD says, read once for the title and the
   rest of the metadata. */
struct _hny_htmlmeta_t {
    const hny_page_t *page;     /* borrowed */
    s_ld_t ld;
};

/* ------------------------------------------------------------ titles */

/* Separators between a title and the site's name, widest first. */
static const char *s_separators[] = {
    " | ", " - ", " \xE2\x80\x93 ", " \xE2\x80\x94 ", " :: ", " \xC2\xB7 ", " \xE2\x80\xA2 ",
    " \xC2\xAB ", " \xC2\xBB ", "\xEF\xBD\x9C", " / ", NULL
};

/* Text of a title a reader would count as words: bytes of a CJK title
   weigh as letters, so a 4-character Japanese title is not "short". */
static int
s_title_long_enough (const char *s, size_t len)
{
    size_t words = 0, bytes = 0;
    int in = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c >= 0xE3 && c <= 0xE9)
            bytes += 3;
        if (isspace (c))
            in = 0;
        else if (!in)
            words++, in = 1;
    }
    return words >= 3 || bytes >= 12;
}

char *
hny_htmlmeta_clean_title (const char *title, const char *site)
{
    size_t len = strlen (title);
    if (site && *site && strcmp (title, site) != 0) {
        size_t sn = strlen (site);
        for (int i = 0; s_separators[i]; i++) {
            size_t n = strlen (s_separators[i]);
            /* "Story | Site" */
            if (len > sn + n && strcmp (title + len - sn, site) == 0
                && strncmp (title + len - sn - n, s_separators[i], n) == 0)
                return hny_strndup (title, len - sn - n);
            /* "Site | Story" */
            if (len > sn + n && strncmp (title, site, sn) == 0 && strncmp (title + sn, s_separators[i], n) == 0)
                return hny_strdup (title + sn + n);
        }
    }
    for (int i = 0; s_separators[i]; i++) {
        size_t n = strlen (s_separators[i]);
        const char *last = NULL;
        for (const char *p = strstr (title, s_separators[i]); p; p = strstr (p + 1, s_separators[i]))
            last = p;
        if (!last)
            continue;
        /* the site's name is usually last; when what is before it is too
           short to be a title, the name came first */
        if (s_title_long_enough (title, (size_t) (last - title)))
            return hny_strndup (title, (size_t) (last - title));
        const char *first = strstr (title, s_separators[i]);
        if (s_title_long_enough (first + n, strlen (first + n)))
            return hny_strdup (first + n);
        break;
    }
    return hny_strdup (title);
}

/* Whether two titles name the same thing: one holds the other, case and
   spacing aside (og:title often adds the site, the <h1> a kicker). */
static int
s_agree (const char *a, const char *b)
{
    if (!a || !b || !*a || !*b)
        return 0;
    char *x = hny_strdup (a), *y = hny_strdup (b);
    for (char *p = x; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    for (char *p = y; *p; p++)
        *p = (char) tolower ((unsigned char) *p);
    hny_line_clean (x);
    hny_line_clean (y);
    int agree = *x && *y && (strstr (x, y) || strstr (y, x));
    free (x);
    free (y);
    return agree;
}

/* ------------------------------------------------------------ JSON-LD */

static int
s_is_article_type (json_t *type)
{
    if (json_is_array (type)) {
        size_t i;
        json_t *v;
        json_array_foreach (type, i, v)
            if (s_is_article_type (v))
                return 1;
        return 0;
    }
    const char *t = json_string_value (type);
    return t && (strstr (t, "Article") || strstr (t, "Posting") || strcmp (t, "Report") == 0);
}

static void
s_ld_string (char **field, json_t *value)
{
    if (json_is_array (value))
        value = json_array_get (value, 0);
    const char *s = json_string_value (value);
    if (s)
        hny_page_set_meta (field, s, strlen (s));
}

/* Authors: a name, a Person or Organization with a name, or a list. */
static void
s_ld_author (s_ld_t *ld, json_t *author)
{
    if (ld->author || !author)
        return;
    /* the names are strings of the page's JSON-LD, which has this cap */
    hny_buf_t names = HNY_BUF_INIT (HNY_PAGE_JSONLD_MAX);
    size_t count = 0;
    json_t *one = author;
    for (size_t i = 0; count < S_AUTHORS_MAX; i++) {
        if (json_is_array (author)) {
            if (i >= json_array_size (author))
                break;
            one = json_array_get (author, i);
        }
        else if (i > 0)
            break;
        const char *name = json_is_object (one) ? json_string_value (json_object_get (one, "name"))
                                                : json_string_value (one);
        if (name && *name && strncmp (name, "http", 4) != 0) {
            if (count++)
                hny_buf_adds (&names, ", ");
            hny_buf_adds (&names, name);
        }
    }
    if (names.len)
        hny_page_set_meta (&ld->author, names.data, names.len);
    free (names.data);
}

/* Find the article object anywhere in the JSON-LD: pages nest it in
   @graph, in mainEntity, in arrays of several objects. Depth and the
   number of values looked at are capped, as the JSON comes from the page. */
static void
s_ld_walk (s_ld_t *ld, json_t *value, int depth)
{
    if (!value || depth > S_LD_DEPTH_MAX || ld->visited++ > S_LD_NODES_MAX || ld->headline)
        return;
    if (json_is_array (value)) {
        size_t i;
        json_t *v;
        json_array_foreach (value, i, v)
            s_ld_walk (ld, v, depth + 1);
        return;
    }
    if (!json_is_object (value))
        return;
    if (s_is_article_type (json_object_get (value, "@type"))) {
        s_ld_string (&ld->headline, json_object_get (value, "headline"));
        s_ld_string (&ld->date, json_object_get (value, "datePublished"));
        if (!ld->date)
            s_ld_string (&ld->date, json_object_get (value, "dateCreated"));
        s_ld_author (ld, json_object_get (value, "author"));
        s_ld_string (&ld->section, json_object_get (value, "articleSection"));
        if (ld->headline || ld->date)
            return;
    }
    /* @graph, mainEntity, and any other nesting */
    const char *key;
    json_t *v;
    json_object_foreach (value, key, v)
        if (json_is_object (v) || json_is_array (v))
            s_ld_walk (ld, v, depth + 1);
}

static void
s_ld_read (const hny_page_t *page, s_ld_t *ld)
{
    memset (ld, 0, sizeof *ld);
    if (!page->jsonld)
        return;
    const char *p = page->jsonld, *end = page->jsonld + page->jsonld_len;
    while (p < end && !ld->headline) {
        const char *stop = memchr (p, '\x1e', (size_t) (end - p));
        if (!stop)
            stop = end;
        const char *s = p, *e = stop;
        /* scripts hidden from old browsers: <!-- ... --> */
        while (s < e && isspace ((unsigned char) *s))
            s++;
        if (e - s > 4 && strncmp (s, "<!--", 4) == 0)
            s += 4;
        while (e > s && isspace ((unsigned char) e[-1]))
            e--;
        if (e - s > 3 && strncmp (e - 3, "-->", 3) == 0)
            e -= 3;
        json_error_t error;
        json_t *root = json_loadb (s, (size_t) (e - s), JSON_DECODE_ANY, &error);
        if (root) {
            s_ld_walk (ld, root, 0);
            json_decref (root);
        }
        p = stop + 1;
    }
}

static void
s_ld_free (s_ld_t *ld)
{
    free (ld->headline);
    free (ld->date);
    free (ld->author);
    free (ld->section);
}

/* ------------------------------------------------------------ title */

/* A page without <h1> (tables and <font>): the first block that <title>
   or og:title holds and that makes up most of it is the headline. */
static char *
s_headline_block (const hny_page_t *page)
{
    const char *stated = page->og_title && *page->og_title ? page->og_title : page->title;
    if (!stated || !*stated)
        return NULL;
    size_t len = strlen (stated);
    for (size_t b = 0; b < page->block_count; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        if (blk->text * 5 < len * 2 || blk->text > len || blk->link * 2 > blk->text)
            continue;   /* under 40 % of the title, longer than it, or a link */
        char *text = hny_page_block_text_dup (page, b);
        if (s_agree (text, stated) && strlen (text) * 5 >= len * 2)
            return text;
        free (text);
    }
    return NULL;
}

/* An <h1> that is the site's name (a logo), not the headline. */
static int
s_h1_is_site (const hny_page_t *page)
{
    if (page->og_site && s_agree (page->h1, page->og_site) && strlen (page->h1) <= strlen (page->og_site))
        return 1;
    if (!page->title || !*page->title)
        return 0;
    /* "Story | Site" where the <h1> is "Site" */
    char *clean = hny_htmlmeta_clean_title (page->title, NULL);
    int site = strcmp (clean, page->title) != 0 && !s_agree (clean, page->h1) && s_agree (page->title, page->h1);
    free (clean);
    return site;
}

/* Which statement of the title wins: the <h1> is what readers see as the
   headline, but pages also use <h1> for their logo or a section name, so
   it wins only when another statement agrees with it. JSON-LD and
   og:title are written for machines and rarely hold the logo; <title>
   nearly always carries the site's name and is the last resort. */
hny_htmlmeta_t *
hny_htmlmeta_new (const hny_page_t *page)
{
    hny_htmlmeta_t *self = hny_calloc (1, sizeof *self);
    self->page = page;
    s_ld_read (page, &self->ld);
    return self;
}

void
hny_htmlmeta_destroy (hny_htmlmeta_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_ld_free (&(*self_p)->ld);
    hny_free (self_p);
}

char *
hny_htmlmeta_title (const hny_htmlmeta_t *self)
{
    const hny_page_t *page = self->page;
    const s_ld_t *ld = &self->ld;
    const char *site = page->og_site;
    char *title = NULL;
    const char *h1 = page->h1 && *page->h1 ? page->h1 : NULL;
    char *headline = NULL;
    if (h1 && (s_agree (h1, page->og_title) || s_agree (h1, ld->headline)
               || (s_agree (h1, page->title) && !s_h1_is_site (page))))
        title = hny_strdup (h1);
    else if (!h1 && !ld->headline && (headline = s_headline_block (page)) != NULL)
        title = headline;
    else if (ld->headline)
        title = hny_htmlmeta_clean_title (ld->headline, site);
    else if (page->og_title && *page->og_title)
        title = hny_htmlmeta_clean_title (page->og_title, site);
    else if (h1 && !s_h1_is_site (page))
        title = hny_strdup (h1);
    else if (page->title && *page->title)
        title = hny_htmlmeta_clean_title (page->title, site);
    if (title && hny_line_clean (title) == 0)
        hny_free (&title);
    return title;
}

/* ------------------------------------------------------------ near the article */

/* The range of blocks around the start of the article: where pages put
   the date line, the byline and the section label, between the headline
   and the first paragraph, or just above them. Bounded, so that a date in
   a sidebar or in the body's tenth paragraph is not the article's. */
static void
s_near (const hny_page_t *page, const unsigned char *keep, size_t *from, size_t *to)
{
    size_t first = 0;
    while (first < page->block_count && !keep[first])
        first++;
    if (page->h1_block != HNY_PAGE_NONE && page->h1_block < first)
        first = page->h1_block;     /* the headline starts the article for a reader */
    *from = first > S_NEAR_BEFORE ? first - S_NEAR_BEFORE : 0;
    *to = first + S_NEAR_AFTER < page->block_count ? first + S_NEAR_AFTER : page->block_count;
}

/* A date line near the start of the article: a block that is a date, else
   a short block that holds one ("2021年3月6日(土) しんぶん赤旗"). */
static int
s_text_date (const hny_page_t *page, const unsigned char *keep, char iso[HNY_DATE_ISO])
{
    size_t from, to;
    s_near (page, keep, &from, &to);
    for (int pass = 0; pass < 2; pass++)
        for (size_t b = from; b < to; b++) {
            if (page->blocks[b].text > S_LINE_MAX)
                continue;
            char *text = hny_page_block_text_dup (page, b);
            int found = pass == 0 ? hny_date_parse (text, iso) : hny_date_find (text, strlen (text), iso);
            free (text);
            if (found)
                return 1;
        }
    return 0;
}

/* A byline near the article: "By Jane Doe" in an element named byline or
   author. */
static char *
s_text_author (const hny_page_t *page, const unsigned char *keep)
{
    size_t from, to;
    s_near (page, keep, &from, &to);
    for (size_t b = from; b < to; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        if (blk->text > S_LINE_MAX || blk->node == HNY_PAGE_NONE
            || hny_page_ancestor_with (page, blk->node, HNY_HINT_BYLINE) == HNY_PAGE_NONE)
            continue;
        char *text = hny_page_block_text_dup (page, b);
        char *author = NULL;
        if (strncasecmp (text, "By ", 3) == 0 && text[3]) {
            size_t n = strcspn (text + 3, ",|");
            char *clean = hny_strndup (text + 3, n);
            if (hny_line_clean (clean) > 0)
                author = clean;
            else
                free (clean);
        }
        free (text);
        if (author)
            return author;
    }
    return NULL;
}

/* Whether a breadcrumb item names the site's home. */
static int
s_is_home (const char *item, const hny_page_t *page)
{
    static const char *homes[] = {
        "home", "top", "index", "トップ", "ホーム", "トップページ", "ホームページ", NULL
    };
    for (int i = 0; homes[i]; i++)
        if (strcasecmp (item, homes[i]) == 0)
            return 1;
    return page->og_site && strcasecmp (item, page->og_site) == 0;
}

/* The section from a breadcrumb trail: its last item that is neither the
   home page nor the article itself. Items are the trail's blocks, or the
   parts of its one line cut at ">", "›", "»", "＞", "/" and "|". */
static char *
s_crumb_section (const hny_page_t *page, const char *title)
{
    static const char *cuts[] = { ">", "\xE2\x80\xBA", "\xC2\xBB", "\xEF\xBC\x9E", "/", "|",
                                  "\xEF\xBD\x9C", "\xE2\x86\x92", NULL };
    uint32_t crumb = HNY_PAGE_NONE;
    char *items[32];
    size_t count = 0;
    for (size_t b = 0; b < page->block_count && count < 32; b++) {
        const hny_page_block_t *blk = &page->blocks[b];
        uint32_t c = blk->node == HNY_PAGE_NONE ? HNY_PAGE_NONE
                   : hny_page_ancestor_with (page, blk->node, HNY_HINT_CRUMB);
        if (c == HNY_PAGE_NONE || (crumb != HNY_PAGE_NONE && c != crumb))
            continue;   /* the first trail only */
        crumb = c;
        char *text = hny_page_block_text_dup (page, b);
        /* cut the line at the separators, each part an item */
        char *p = text;
        while (*p && count < 32) {
            size_t at = strlen (p), width = 0;
            for (int i = 0; cuts[i]; i++) {
                char *hit = strstr (p, cuts[i]);
                if (hit && (size_t) (hit - p) < at)
                    at = (size_t) (hit - p), width = strlen (cuts[i]);
            }
            char *item = hny_strndup (p, at);
            if (hny_line_clean (item) > 0)
                items[count++] = item;
            else
                free (item);
            p += at + width;
            if (width == 0)
                break;
        }
        free (text);
    }
    /* from the end: the trail runs from the site to the article, so the
       nearest item above the article is the most specific section */
    char *section = NULL;
    for (size_t i = count; i-- > 0 && !section;) {
        const char *item = items[i];
        if (s_is_home (item, page) || (title && s_agree (item, title)) || strlen (item) > S_SECTION_MAX)
            continue;
        if (i == 0 && count > 1)
            break;      /* the first item of a trail is the site itself */
        section = hny_strdup (item);
    }
    for (size_t i = 0; i < count; i++)
        free (items[i]);
    return section;
}

/* A section label near the article: a block that is only "［主張］". */
static char *
s_label_section (const hny_page_t *page, const unsigned char *keep)
{
    size_t from, to;
    s_near (page, keep, &from, &to);
    for (size_t b = from; b < to; b++) {
        if (page->blocks[b].text > HNY_SECTION_LABEL_MAX + 6)
            continue;
        char *text = hny_page_block_text_dup (page, b);
        char *label = hny_section_label (text);
        free (text);
        if (label)
            return label;
    }
    return NULL;
}

void
hny_htmlmeta_fill (const hny_htmlmeta_t *self, const unsigned char *keep, hny_article_t *article)
{
    const hny_page_t *page = self->page;
    const s_ld_t *ld = &self->ld;
    char iso[HNY_DATE_ISO];
    /* the page's own statements first, most specific first; a date read
       from the text only when the page states none */
    if (!article->date) {
        const char *stated[] = { page->published, ld->date, page->itemprop_date, page->date_meta,
                                 page->time_datetime };
        for (size_t i = 0; i < sizeof stated / sizeof stated[0] && !article->date; i++)
            if (stated[i] && hny_date_machine (stated[i], iso))
                article->date = hny_strdup (iso);
        if (!article->date && s_text_date (page, keep, iso))
            article->date = hny_strdup (iso);
    }
    if (!article->author) {
        const char *stated = ld->author ? ld->author : page->author ? page->author : page->itemprop_author;
        if (stated)
            article->author = hny_strdup (stated);
        else
            article->author = s_text_author (page, keep);
        if (article->author && strncasecmp (article->author, "By ", 3) == 0)
            memmove (article->author, article->author + 3, strlen (article->author + 3) + 1);
        if (article->author && hny_line_clean (article->author) == 0)
            hny_free (&article->author);
    }
    if (!article->section) {
        const char *stated = page->section ? page->section : ld->section;
        if (stated && strlen (stated) <= S_SECTION_MAX)
            article->section = hny_strdup (stated);
        else
            article->section = s_crumb_section (page, article->title);
        if (!article->section)
            article->section = s_label_section (page, keep);
    }
}
