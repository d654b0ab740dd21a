/*  hny_extract.c: find the article in a decoded page: the plain and text
    layouts, the Japan Press Weekly layouts (module era and 2000s), and the
    refusal of index pages. Everything works on cleaned logical lines, so
    that hny_html can feed the texts of HTML blocks through the same rules. */
#include "hny_extract.h"
#include "hny_date.h"
#include "hny_html.h"

#include "honyaku/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TITLE_MAX   300   /* bytes: a longer first line is body text */
#define S_KICKER_MAX  60    /* bytes: "Akahata editorial", "Akahata Sunday edition" */
#define S_TOP_LINES   8     /* non-blank lines searched for a date line */
#define S_INDEX_MAX   500   /* headlines counted on an index page at most */

/* ---------------------------------------------------------------- article */

hny_article_t *
hny_article_new (const char *format)
{
    hny_article_t *self = hny_calloc (1, sizeof *self);
    self->format = format;
    return self;
}

void
hny_article_destroy (hny_article_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_article_t *self = *self_p;
    free (self->title);
    free (self->date);
    free (self->issue);
    free (self->section);
    free (self->kicker);
    free (self->author);
    for (size_t i = 0; i < self->related_count; i++) {
        free (self->related[i].title);
        free (self->related[i].date);
    }
    free (self->related);
    for (size_t i = 0; i < self->paragraph_count; i++)
        free (self->paragraphs[i]);
    free (self->paragraphs);
    free (self);
    *self_p = NULL;
}

int
hny_article_add_paragraph (hny_article_t *self, const char *text, size_t len)
{
    /* white space, and the ideographic space that indents Japanese paragraphs */
    for (;;) {
        if (len > 0 && isspace ((unsigned char) *text))
            text++, len--;
        else if (len >= 3 && memcmp (text, "\xE3\x80\x80", 3) == 0)
            text += 3, len -= 3;
        else if (len > 0 && isspace ((unsigned char) text[len - 1]))
            len--;
        else if (len >= 3 && memcmp (text + len - 3, "\xE3\x80\x80", 3) == 0)
            len -= 3;
        else
            break;
    }
    if (len == 0)
        return 0;
    if (self->paragraph_count >= HNY_EXTRACT_MAX_PARAGRAPHS)
        return -1;
    if (self->paragraph_count == self->paragraph_cap) {
        self->paragraph_cap = self->paragraph_cap ? self->paragraph_cap * 2 : 16;
        self->paragraphs = hny_realloc (self->paragraphs, self->paragraph_cap * sizeof (char *));
    }
    self->paragraphs[self->paragraph_count++] = hny_strndup (text, len);
    return 0;
}

int
hny_article_add_buf (hny_article_t *self, const hny_buf_t *para)
{
    if (para->toobig)
        return -2;
    return hny_article_add_paragraph (self, hny_buf_str (para), para->len);
}

char *
hny_article_limit_reason (int rc)
{
    if (rc == -2)
        return hny_sprintf ("a paragraph has more than %d bytes", HNY_EXTRACT_MAX_PARAGRAPH_BYTES);
    return hny_sprintf ("article has more than %d paragraphs", HNY_EXTRACT_MAX_PARAGRAPHS);
}

static void
s_add_related (hny_article_t *self, char *title, const char *iso)
{
    if (self->related_count >= HNY_EXTRACT_MAX_RELATED) {
        free (title);
        return;
    }
    self->related = hny_realloc (self->related, (self->related_count + 1) * sizeof (hny_related_t));
    self->related[self->related_count].title = title;
    self->related[self->related_count].date = *iso ? hny_strdup (iso) : NULL;
    self->related_count++;
}

/* ------------------------------------------------------------------ lines */

size_t
hny_line_clean (char *line)
{
    size_t r = 0, w = 0;
    int space = 1;  /* drops leading blanks */
    for (;;) {
        /* a run of bytes that stay as they are (no blank, no U+00A0's
           lead byte, no NUL): moved only once a blank was folded */
        size_t start = r;
        while ((unsigned char) line[r] > 0x20 && (unsigned char) line[r] != 0xC2)
            r++;
        if (r > start) {
            if (w != start)
                memmove (line + w, line + start, r - start);
            w += r - start;
            space = 0;
        }
        unsigned char c = (unsigned char) line[r];
        if (!c)
            break;
        int blank = c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
        size_t width = 1;
        if (c == 0xC2 && (unsigned char) line[r + 1] == 0xA0)
            blank = 1, width = 2;   /* U+00A0 no-break space */
        if (blank) {
            if (!space)
                line[w++] = ' ';
            space = 1;
            r += width;
            continue;
        }
        line[w++] = line[r++];      /* another control, or 0xC2 leading another character */
        space = 0;
    }
    if (w > 0 && line[w - 1] == ' ')
        w--;
    line[w] = '\0';
    return w;
}

size_t
hny_lines_split (const char *text, size_t len, char ***lines_p)
{
    /* one copy of the text, cut at the line breaks: lines[0] owns it */
    char *copy = hny_strndup (text, len);
    size_t count = 0, cap = 64;
    char **lines = hny_malloc (cap * sizeof (char *));
    size_t start = 0;
    /* a text with no \r (most) finds its breaks with memchr */
    int cr = memchr (copy, '\r', len) != NULL;
    for (size_t i = 0; i <= len; i++) {
        if (!cr) {
            const char *nl = i < len ? memchr (copy + i, '\n', len - i) : NULL;
            i = nl ? (size_t) (nl - copy) : len;
        }
        else if (i < len && copy[i] != '\n' && copy[i] != '\r')
            continue;
        if (count == cap) {
            cap *= 2;
            lines = hny_realloc (lines, cap * sizeof (char *));
        }
        int crlf = i + 1 < len && copy[i] == '\r' && copy[i + 1] == '\n';
        copy[i] = '\0';
        lines[count] = copy + start;
        hny_line_clean (lines[count]);
        count++;
        if (crlf)
            i++;
        start = i + 1;
    }
    *lines_p = lines;
    return count;
}

void
hny_lines_free (char ***lines_p, size_t count)
{
    if (!lines_p || !*lines_p)
        return;
    if (count > 0)
        free ((*lines_p)[0]);
    hny_free (lines_p);
}

/* ---------------------------------------------------------- classifiers */

static const char *s_months[] = {
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"
};

/* Parse a month name ("April", "Apr", "Apr.", "Sept.") at p; returns 1..12
   and sets *used to the bytes consumed, or 0. */
static int
s_month (const char *p, size_t *used)
{
    for (int m = 0; m < 12; m++) {
        size_t full = strlen (s_months[m]);
        if (strncmp (p, s_months[m], full) == 0 && !isalpha ((unsigned char) p[full])) {
            *used = full;
            return m + 1;
        }
    }
    for (int m = 0; m < 12; m++) {
        size_t n = strncmp (p, "Sept", 4) == 0 && m == 8 ? 4 : 3;
        if (strncmp (p, s_months[m], n) == 0 && !isalpha ((unsigned char) p[n])) {
            *used = n + (p[n] == '.');
            return m + 1;
        }
    }
    return 0;
}

/* Parse 1 to max digits at *p into *value, advancing *p; 0 when none. */
static int
s_number (const char **p, int max, int *value)
{
    int n = 0, v = 0;
    while (n < max && isdigit ((unsigned char) (*p)[n])) {
        v = v * 10 + ((*p)[n] - '0');
        n++;
    }
    if (n == 0 || isdigit ((unsigned char) (*p)[n]))
        return 0;
    *p += n;
    *value = v;
    return 1;
}

static int
s_valid_date (int year, int month, int day)
{
    return year >= 1900 && year <= 2100 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

int
hny_parse_date (const char *line, char iso[11])
{
    return hny_date_parse (line, iso);
}

/* "YYYY Month D - [YYYY] [Month] D" at line; returns bytes used or 0. */
static size_t
s_week (const char *line)
{
    const char *p = line;
    int year, day, n;
    size_t used;
    if (!s_number (&p, 4, &year) || year < 1900 || *p++ != ' ')
        return 0;
    if (!s_month (p, &used))
        return 0;
    p += used;
    if (*p++ != ' ' || !s_number (&p, 2, &day))
        return 0;
    if (strncmp (p, " - ", 3) != 0)
        return 0;
    p += 3;
    const char *q = p;
    if (s_number (&q, 4, &n) && n >= 1900 && *q == ' ')
        p = q + 1;      /* a week across the new year */
    if (s_month (p, &used)) {
        p += used;
        if (*p++ != ' ')
            return 0;
    }
    if (!s_number (&p, 2, &day))
        return 0;
    return (size_t) (p - line);
}

int
hny_jpw_is_week (const char *line)
{
    size_t n = s_week (line);
    return n > 0 && line[n] == '\0';
}

int
hny_jpw_parse_issue (const char *line, char **issue, char **section)
{
    size_t n = s_week (line);
    if (n == 0)
        return 0;
    const char *p = line + n;
    if (*p == ' ')
        p++;
    if (strncmp (p, "TOP3 ", 5) == 0)
        p += 5;
    if (*p != '[')
        return 0;
    const char *close = strchr (p, ']');
    if (!close || close[1] != '\0' || close == p + 1 || close - p > 40)
        return 0;
    *issue = hny_strndup (line, n);
    *section = hny_strndup (p + 1, (size_t) (close - p - 1));
    return 1;
}

hny_jpw_line_t
hny_jpw_classify (const char *line)
{
    static const char *menu[] = {
        "Japan Press Weekly", "HOME", "Past issues", "Special issues", "Books", "Fact Box",
        "Feature Articles", "Mail to editor", "Link", "Links", "Mail magazine",
        "Blog [Japanese]", "Search", NULL
    };
    static const char *chrome[] = {
        "[Advanced search]", "Bookmark and Share", "Google Our Site:", "Japan Press Weekly www",
        "Google", "Our Site:", "www", NULL
    };
    static const char *index_markers[] = {
        "Photo NEWS", "Read moer", "Read more", "NEWS Category", "Join us Facebook", NULL
    };
    if (line[0] == '\0')
        return HNY_JPW_TEXT;
    for (int i = 0; chrome[i]; i++)
        if (strcmp (line, chrome[i]) == 0)
            return HNY_JPW_CHROME;
    for (int i = 0; menu[i]; i++)
        if (strcmp (line, menu[i]) == 0)
            return HNY_JPW_MENU;
    for (int i = 0; index_markers[i]; i++)
        if (strcmp (line, index_markers[i]) == 0)
            return HNY_JPW_INDEX;
    if (strncmp (line, "HOME > ", 7) == 0
        || strncmp (line, "Japan Press Service Co., Ltd. is the only news agency", 53) == 0)
        return HNY_JPW_CHROME;
    if (strcmp (line, "> List of Past issues") == 0 || strcmp (line, "List of Past issues") == 0
        || strncmp (line, "Copyright (c) Japan Press Service", 33) == 0
        || strncmp (line, "Copyright (C) Japan Press Service", 33) == 0
        || strncmp (line, "Copyright © Japan Press Service", 32) == 0)
        return HNY_JPW_FOOTER;
    return HNY_JPW_TEXT;
}

int
hny_jpw_parse_related (const char *line, char **title, char iso[11])
{
    if (strncmp (line, "> ", 2) != 0)
        return 0;
    const char *start = line + 2;
    size_t len = strlen (start);
    iso[0] = '\0';
    if (len > 2 && start[len - 1] == ']') {
        const char *open = strrchr (start, '[');
        if (open && open > start) {
            char date[64];
            size_t dlen = (size_t) (start + len - 1 - open - 1);
            if (dlen < sizeof date) {
                memcpy (date, open + 1, dlen);
                date[dlen] = '\0';
                if (hny_parse_date (date, iso)) {
                    len = (size_t) (open - start);
                    while (len > 0 && start[len - 1] == ' ')
                        len--;
                }
            }
        }
    }
    if (len == 0)
        return 0;
    *title = hny_strndup (start, len);
    return 1;
}

static int
s_is_related_heading (const char *line)
{
    return strncasecmp (line, "Past related article", 20) == 0;
}

int
hny_jpw_detect (char **lines, size_t count)
{
    int chrome = 0;
    for (size_t i = 0; i < count; i++) {
        if (lines[i][0] == '\0')
            continue;
        char *issue = NULL, *section = NULL;
        if (hny_jpw_parse_issue (lines[i], &issue, &section)) {
            free (issue);
            free (section);
            return 1;
        }
        hny_jpw_line_t cls = hny_jpw_classify (lines[i]);
        if (strncmp (lines[i], "HOME > ", 7) == 0 || strcmp (lines[i], "Google Our Site:") == 0
            || strncmp (lines[i], "Japan Press Service Co., Ltd. is the only", 41) == 0
            || cls == HNY_JPW_FOOTER || cls == HNY_JPW_INDEX)
            chrome++;
        if (chrome >= 1 && i < 40 && strcmp (lines[i], "Japan Press Weekly") == 0)
            return 1;
        if (chrome >= 2)
            return 1;
    }
    return chrome >= 1 && count > 0 && strcmp (lines[0], "Japan Press Weekly") == 0;
}

/* ---------------------------------------------------------------- helpers */

static int
s_ends_with_period (const char *line)
{
    size_t n = strlen (line);
    if (n == 0)
        return 0;
    char last = line[n - 1];
    if (last == '.' || last == '!' || last == '?' || last == ':' || last == ';')
        return 1;
    if (n >= 3 && (strcmp (line + n - 3, "。") == 0 || strcmp (line + n - 3, "…") == 0))
        return 1;
    /* a quotation that ends a sentence: ." or .' */
    if (n >= 2 && (last == '"' || last == '\'') && (line[n - 2] == '.' || line[n - 2] == '?'))
        return 1;
    return 0;
}

static size_t
s_next_nonblank (char **lines, size_t count, size_t i)
{
    while (i < count && lines[i][0] == '\0')
        i++;
    return i;
}

static int
s_is_title_like (const char *line)
{
    size_t n = strlen (line);
    return n > 0 && n <= S_TITLE_MAX && !s_ends_with_period (line);
}

char *
hny_section_label (const char *line)
{
    static const char *pairs[][2] = {
        { "【", "】" }, { "［", "］" }, { "〔", "〕" }, { "[", "]" }, { "《", "》" }
    };
    size_t n = strlen (line);
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        size_t open = strlen (pairs[k][0]), close = strlen (pairs[k][1]);
        if (n <= open + close || n - open - close > HNY_SECTION_LABEL_MAX
            || strncmp (line, pairs[k][0], open) != 0 || strcmp (line + n - close, pairs[k][1]) != 0)
            continue;
        /* one label: no bracket inside it */
        char *inner = hny_strndup (line + open, n - open - close);
        if (strstr (inner, pairs[k][0]) || strstr (inner, pairs[k][1]) || hny_line_clean (inner) == 0) {
            free (inner);
            return NULL;
        }
        return inner;
    }
    return NULL;
}

/* "Akahata editorial" and its kin: a short line naming where the article
   comes from, under the title of 2000s pages. */
static int
s_is_kicker (const char *line)
{
    size_t n = strlen (line);
    if (n == 0 || n > S_KICKER_MAX || s_ends_with_period (line))
        return 0;
    return strncmp (line, "Akahata ", 8) == 0 || strncmp (line, "From Akahata", 12) == 0
        || strncmp (line, "Akahata editorial", 17) == 0;
}

/* The year and issue number of a 2000s page from its path
   ".../2005/428/name.html". */
static void
s_source_issue (hny_article_t *article, const char *source)
{
    if (!source)
        return;
    size_t n = strlen (source);
    if (n < 5 || (strcasecmp (source + n - 5, ".html") != 0 && strcasecmp (source + n - 4, ".htm") != 0))
        return;
    const char *name = strrchr (source, '/');
    if (!name || name == source)
        return;
    /* walk back over "/<issue>" and "/<year>" */
    const char *issue_end = name, *p = name;
    while (p > source && isdigit ((unsigned char) p[-1]))
        p--;
    if (p == issue_end || issue_end - p > 5 || p == source || p[-1] != '/')
        return;
    const char *issue_start = p;
    const char *year_end = p - 1;
    p = year_end;
    while (p > source && isdigit ((unsigned char) p[-1]))
        p--;
    if (year_end - p != 4 || (p > source && p[-1] != '/'))
        return;
    int year = atoi (p);
    if (year < 1990 || year > 2100)
        return;
    if (!article->issue)
        article->issue = hny_sprintf ("No. %d", atoi (issue_start));
    if (!article->date)
        article->date = hny_sprintf ("%04d", year);
}

/* A title with its source folded in: "Title -- Akahata editorial, January 31
   (excerpts)". Splits the title, sets the kicker, and the date when the year
   is known (from the path). */
static void
s_unfold_title (hny_article_t *article)
{
    if (!article->title)
        return;
    char *sep = strstr (article->title, " -- ");
    if (!sep || sep == article->title)
        return;
    const char *tail = sep + 4;
    if (strncmp (tail, "Akahata", 7) != 0 && strncmp (tail, "From Akahata", 12) != 0)
        return;
    const char *comma = strchr (tail, ',');
    char *kicker = hny_strndup (tail, comma ? (size_t) (comma - tail) : strlen (tail));
    if (comma) {
        const char *p = comma + 1;
        while (*p == ' ')
            p++;
        size_t used = 0;
        int month = s_month (p, &used), day = 0;
        const char *q = p + used;
        int year = article->date && strlen (article->date) >= 4 ? atoi (article->date) : 0;
        if (month && *q == ' ' && (q++, s_number (&q, 2, &day)) && year
            && s_valid_date (year, month, day)) {
            free (article->date);
            article->date = hny_sprintf ("%04d-%02d-%02d", year, month, day);
        }
        if (strstr (q, "(excerpts)")) {
            char *k = hny_sprintf ("%s (excerpts)", kicker);
            free (kicker);
            kicker = k;
        }
    }
    free (article->kicker);
    article->kicker = kicker;
    *sep = '\0';
}

/* Body paragraphs from lines[i..count): blank lines separate paragraphs;
   with jpw, chrome lines are dropped, the footer ends the body and "Past
   related articles:" collects the related list. */
static int
s_body (hny_article_t *article, char **lines, size_t count, size_t i, int jpw, size_t skip)
{
    hny_buf_t para = HNY_BUF_INIT (HNY_EXTRACT_MAX_PARAGRAPH_BYTES);
    int related = 0, rc = 0;
    for (; i <= count && rc == 0; i++) {
        const char *line = i < count && i != skip ? lines[i] : "";
        hny_jpw_line_t cls = jpw ? hny_jpw_classify (line) : HNY_JPW_TEXT;
        if (i == count || line[0] == '\0' || cls == HNY_JPW_CHROME || cls == HNY_JPW_FOOTER
            || cls == HNY_JPW_INDEX || (jpw && s_is_related_heading (line))) {
            if (para.len || para.toobig)
                rc = hny_article_add_buf (article, &para);
            hny_buf_reset (&para);
            if (cls == HNY_JPW_FOOTER)
                break;
            if (jpw && s_is_related_heading (line))
                related = 1;
            continue;
        }
        if (related) {
            char *title = NULL;
            char iso[11];
            if (hny_jpw_parse_related (line, &title, iso)) {
                s_add_related (article, title, iso);
                continue;
            }
            related = 0;
        }
        if (para.len)
            hny_buf_add (&para, "\n", 1);
        hny_buf_adds (&para, line);
    }
    hny_buf_free (&para);
    return rc;
}

/* ------------------------------------------------------------- the layouts */

static hny_article_t *
s_extract_plain (char **lines, size_t count, int *rc)
{
    hny_article_t *article = hny_article_new ("plain");
    *rc = s_body (article, lines, count, 0, 0, count);
    return article;
}

/* The text layout, and the 2000s JPW pages (header or bare) when jpw. */
static hny_article_t *
s_extract_text (char **lines, size_t count, int jpw, const char *source, int *rc)
{
    hny_article_t *article = hny_article_new (jpw ? "jpw" : "text");
    size_t i = s_next_nonblank (lines, count, 0);
    /* the 2000s site header, and any menu above the article */
    while (jpw && i < count && (lines[i][0] == '\0' || hny_jpw_classify (lines[i]) != HNY_JPW_TEXT))
        i++;
    char iso[11];
    /* a date line or a section label ("【政治】") may stand above the title */
    for (int k = 0; k < 2 && !jpw && i < count; k++) {
        if (!article->date && hny_parse_date (lines[i], iso))
            article->date = hny_strdup (iso);
        else if (!article->section && (article->section = hny_section_label (lines[i])) != NULL)
            ;
        else
            break;
        i = s_next_nonblank (lines, count, i + 1);
    }
    if (i < count && s_is_title_like (lines[i]) && !hny_parse_date (lines[i], iso)) {
        size_t next = i + 1;
        int title = next >= count || lines[next][0] == '\0' || s_is_kicker (lines[next]);
        if (!title && jpw) {
            /* a 2000s title needs no blank line when body text follows */
            title = strlen (lines[i]) <= 200;
        }
        if (!title && !jpw) {
            /* a title line with its date or section line right under it */
            char *label = hny_section_label (lines[next]);
            title = hny_parse_date (lines[next], iso) || label;
            free (label);
        }
        if (title) {
            article->title = hny_strdup (lines[i]);
            i = s_next_nonblank (lines, count, next);
            if (i < count && s_is_kicker (lines[i]))
                article->kicker = hny_strdup (lines[i]), i++;
        }
    }
    if (!jpw && i < count && !article->section && (article->section = hny_section_label (lines[i])))
        i = s_next_nonblank (lines, count, i + 1);
    s_source_issue (article, source);
    s_unfold_title (article);
    /* a date line near the top */
    size_t j = i, seen = 0, date_at = count;
    for (; j < count && seen < S_TOP_LINES && !(article->date && !jpw && article->title); j++) {
        if (lines[j][0] == '\0')
            continue;
        seen++;
        if (hny_parse_date (lines[j], iso)) {
            free (article->date);
            article->date = hny_strdup (iso);
            date_at = j;
            break;
        }
    }
    *rc = s_body (article, lines, count, i, jpw, date_at);
    return article;
}

/* The module era: chrome, breadcrumb, issue line, title, date, body,
   related articles, footer. */
static hny_article_t *
s_extract_module (char **lines, size_t count, size_t issue_at, int *rc)
{
    hny_article_t *article = hny_article_new ("jpw");
    hny_jpw_parse_issue (lines[issue_at], &article->issue, &article->section);
    size_t i = s_next_nonblank (lines, count, issue_at + 1);
    char iso[11];
    if (i < count && hny_jpw_classify (lines[i]) == HNY_JPW_TEXT && !hny_parse_date (lines[i], iso)
        && !s_is_related_heading (lines[i])) {
        article->title = hny_strdup (lines[i]);
        i = s_next_nonblank (lines, count, i + 1);
    }
    if (i < count && hny_parse_date (lines[i], iso)) {
        article->date = hny_strdup (iso);
        i++;
    }
    *rc = s_body (article, lines, count, i, 1, count);
    return article;
}

/* Index pages: returns the number of articles listed (distinct headlines
   followed by a lead), or 0 when the lines are not an index page. */
static size_t
s_index_articles (char **lines, size_t count)
{
    size_t markers = 0, weeks = 0;
    for (size_t i = 0; i < count; i++) {
        if (lines[i][0] == '\0')
            continue;
        if (hny_jpw_classify (lines[i]) == HNY_JPW_INDEX)
            markers++;
        else if (hny_jpw_is_week (lines[i]))
            weeks++;
        char *issue = NULL, *section = NULL;
        if (hny_jpw_parse_issue (lines[i], &issue, &section)) {
            free (issue);
            free (section);
            return 0;   /* an article page */
        }
    }
    if (markers < 2 && !(markers >= 1 && weeks >= 3))
        return 0;
    size_t found = 0;
    const char **seen = hny_calloc (count + 1, sizeof (char *));
    for (size_t i = 0; i < count; i++) {
        const char *line = lines[i];
        if (!s_is_title_like (line) || hny_jpw_classify (line) != HNY_JPW_TEXT || hny_jpw_is_week (line))
            continue;
        size_t next = s_next_nonblank (lines, count, i + 1);
        if (next >= count || hny_jpw_classify (lines[next]) != HNY_JPW_TEXT
            || s_is_title_like (lines[next]))
            continue;   /* a headline is followed by its lead */
        int dup = 0;
        for (size_t k = 0; k < found && !dup; k++)
            dup = strcmp (seen[k], line) == 0;
        if (!dup)
            seen[found++] = line;
        if (found >= S_INDEX_MAX)
            break;  /* enough to say what it is; keeps the count linear */
    }
    free (seen);
    return found ? found : 1;
}

static int
s_looks_html (const char *text, size_t len)
{
    size_t n = len < 4096 ? len : 4096;
    size_t i = 0;
    while (i < n && isspace ((unsigned char) text[i]))
        i++;
    if (i < n && text[i] == '<' && i + 1 < n
        && (isalpha ((unsigned char) text[i + 1]) || text[i + 1] == '!' || text[i + 1] == '?'))
        return 1;
    for (i = 0; i + 5 < n; i++) {
        if (text[i] != '<')
            continue;
        if (strncasecmp (text + i, "<html", 5) == 0 || strncasecmp (text + i, "<body", 5) == 0
            || strncasecmp (text + i, "<p>", 3) == 0)
            return 1;
    }
    return 0;
}

hny_article_t *
hny_extract_lines (char **lines, size_t count, const char *format,
                   const char *source, int *status, char **reason)
{
    if (!format || strcmp (format, "auto") == 0)
        format = hny_jpw_detect (lines, count) ? "jpw" : "text";
    if (strcmp (format, "plain") != 0 && strcmp (format, "text") != 0 && strcmp (format, "jpw") != 0) {
        *status = 422;
        *reason = hny_sprintf ("unknown format \"%s\"", format);
        return NULL;
    }
    hny_article_t *article = NULL;
    int rc = 0;
    size_t listed = strcmp (format, "plain") == 0 ? 0 : s_index_articles (lines, count);
    if (listed) {
        *status = 422;
        *reason = hny_sprintf ("index page: lists %zu articles, submit the articles themselves", listed);
        return NULL;
    }
    if (strcmp (format, "plain") == 0)
        article = s_extract_plain (lines, count, &rc);
    else if (strcmp (format, "text") == 0)
        article = s_extract_text (lines, count, 0, source, &rc);
    else {
        size_t issue_at = count;
        for (size_t i = 0; i < count && issue_at == count; i++) {
            char *issue = NULL, *section = NULL;
            if (hny_jpw_parse_issue (lines[i], &issue, &section))
                issue_at = i;
            free (issue);
            free (section);
        }
        article = issue_at < count ? s_extract_module (lines, count, issue_at, &rc)
                                   : s_extract_text (lines, count, 1, source, &rc);
    }
    if (rc != 0) {
        hny_article_destroy (&article);
        *status = 413;
        *reason = hny_article_limit_reason (rc);
        return NULL;
    }
    if (article->paragraph_count == 0) {
        hny_article_destroy (&article);
        *status = 422;
        *reason = hny_strdup ("no article text found");
        return NULL;
    }
    return article;
}

hny_article_t *
hny_extract (const char *text, size_t len, const char *format,
             const char *source, int *status, char **reason)
{
    if (!format)
        format = "auto";
    int jpw = strcmp (format, "jpw") == 0;
    if (strcmp (format, "html") == 0
        || ((jpw || strcmp (format, "auto") == 0) && s_looks_html (text, len)))
        return hny_html_extract (text, len, jpw ? "jpw" : "auto", source, status, reason);
    char **lines = NULL;
    size_t count = hny_lines_split (text, len, &lines);
    hny_article_t *article = hny_extract_lines (lines, count, format, source, status, reason);
    hny_lines_free (&lines, count);
    return article;
}
