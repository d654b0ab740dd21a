/*  test_extract.c: article extraction on the Japan Press Weekly layouts
    (the shared sample page and the test articles under tests/data/articles),
    plain and text formats, generic HTML, and hostile HTML.
    Usage: test_extract SAMPLES_DIR ARTICLES_DIR */
#include "hny_charset.h"
#include "hny_extract.h"
#include "hny_html.h"

#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_samples, *s_articles;

/* Read a file, decode it to UTF-8; caller owns the result. */
static char *
s_load (const char *dir, const char *name, size_t *len)
{
    char *path = hny_sprintf ("%s/%s", dir, name);
    char *data = NULL;
    size_t size = 0;
    if (hny_file_read (path, 1 << 20, &data, &size) != 0) {
        fprintf (stderr, "cannot read %s\n", path);
        exit (2);
    }
    free (path);
    hny_charset_info_t info;
    int status;
    char *reason = NULL;
    char *text = hny_charset_decode ((const uint8_t *) data, size, 0, len, &info, &status, &reason);
    if (!text) {
        fprintf (stderr, "%s: %s\n", name, reason);
        exit (2);
    }
    free (data);
    return text;
}

static hny_article_t *
s_extract (const char *text, size_t len, const char *format, const char *source)
{
    int status = 0;
    char *reason = NULL;
    hny_article_t *article = hny_extract (text, len, format, source, &status, &reason);
    if (!article) {
        fprintf (stderr, "extract failed: %d %s\n", status, reason);
        s_failures++;
    }
    free (reason);
    return article;
}

/* Extraction must fail with status; returns the reason (caller owns). */
static char *
s_refused (const char *text, size_t len, const char *format, int status_want)
{
    int status = 0;
    char *reason = NULL;
    hny_article_t *article = hny_extract (text, len, format, NULL, &status, &reason);
    if (article) {
        fprintf (stderr, "expected %d, got an article of %zu paragraphs\n", status_want,
                 article->paragraph_count);
        s_failures++;
        hny_article_destroy (&article);
        return hny_strdup ("");
    }
    CHECK (status == status_want);
    return reason ? reason : hny_strdup ("");
}

/* No paragraph or title may hold site chrome. */
static void
s_no_chrome (const hny_article_t *a)
{
    static const char *chrome[] = {
        "Past issues", "Bookmark", "Copyright", "Advanced search", "HOME", "Google Our Site",
        "news agency providing", "Past related", NULL
    };
    for (size_t i = 0; i < a->paragraph_count; i++)
        for (int c = 0; chrome[c]; c++)
            if (strstr (a->paragraphs[i], chrome[c])) {
                fprintf (stderr, "paragraph %zu holds \"%s\": %s\n", i, chrome[c], a->paragraphs[i]);
                s_failures++;
            }
    for (int c = 0; a->title && chrome[c]; c++)
        CHECK (strstr (a->title, chrome[c]) == NULL);
}

static void
s_test_sample (void)
{
    size_t len;
    char *text = s_load (s_samples, "jpw-2019-04-21-threat-2plus2.txt", &len);
    for (int pass = 0; pass < 2; pass++) {
        hny_article_t *a = s_extract (text, len, pass ? "jpw" : "auto", NULL);
        if (!a)
            continue;
        CHECK_STR (a->format, "jpw");
        CHECK_STR (a->title, "'Threat' recognized in Japan-US '2+2' talks shifts to China and Russia from DPRK");
        CHECK_STR (a->date, "2019-04-21");
        CHECK_STR (a->issue, "2019 April 17 - 23");
        CHECK_STR (a->section, "POLITICS");
        CHECK (a->paragraph_count == 7);
        CHECK (a->related_count == 3);
        if (a->related_count == 3) {
            CHECK_STR (a->related[0].title, "JCP Koike comments on Abe government\xE2\x80\x99s new defense program");
            CHECK_STR (a->related[0].date, "2018-12-19");
            CHECK_STR (a->related[1].date, "2018-09-01");
            CHECK_STR (a->related[2].title, "2018 defense report excessively stresses N. Korea's 'threat'");
            CHECK_STR (a->related[2].date, "2018-08-29");
        }
        if (a->paragraph_count == 7) {
            CHECK (strncmp (a->paragraphs[0], "A change was seen", 17) == 0);
            CHECK (strncmp (a->paragraphs[6], "However, Akahata said", 21) == 0);
        }
        s_no_chrome (a);
        hny_article_destroy (&a);
    }
    /* As plain text nothing is recognized: chrome stays, no title. */
    hny_article_t *a = s_extract (text, len, "plain", NULL);
    if (a) {
        CHECK_STR (a->format, "plain");
        CHECK (a->title == NULL && a->date == NULL && a->related_count == 0);
        CHECK (strstr (a->paragraphs[0], "Japan Press Weekly") != NULL);
        hny_article_destroy (&a);
    }
    free (text);
}

static void
s_test_top3 (void)
{
    size_t len;
    char *text = s_load (s_articles, "jpw-2017-01-29-top3-part-time-teachers.txt", &len);
    hny_article_t *a = s_extract (text, len, NULL, NULL);
    if (a) {
        CHECK_STR (a->format, "jpw");
        CHECK_STR (a->issue, "2017 January 25 - 31");
        CHECK_STR (a->section, "LABOR");
        CHECK_STR (a->title, "Part-time teachers demand stable jobs as school year nears its end");
        CHECK_STR (a->date, "2017-01-29");
        CHECK (a->paragraph_count == 3);
        CHECK (a->related_count == 2);
        if (a->related_count == 2)
            CHECK_STR (a->related[1].date, "2016-09-14");
        s_no_chrome (a);
        hny_article_destroy (&a);
    }
    free (text);
}

static void
s_test_2000s (void)
{
    size_t len;
    /* with the site header, windows-1252, year and issue from the path */
    char *text = s_load (s_articles, "jpw-2005-428-header-cp1252.txt", &len);
    hny_article_t *a = s_extract (text, len, "auto", "archive/2005/428/editorial.html");
    if (a) {
        CHECK_STR (a->format, "jpw");
        CHECK_STR (a->title, "Stop the plan to send the SDF abroad at will");
        CHECK_STR (a->kicker, "Akahata editorial");
        CHECK_STR (a->issue, "No. 428");
        CHECK_STR (a->date, "2005");
        CHECK (a->paragraph_count == 3);
        if (a->paragraph_count == 3)
            CHECK (strstr (a->paragraphs[1], "\xE2\x80\x9Cinternational cooperation.\xE2\x80\x9D") != NULL);
        s_no_chrome (a);
        hny_article_destroy (&a);
    }
    free (text);

    /* bare, with the source and date folded into the title */
    text = s_load (s_articles, "jpw-2006-bare-editorial.txt", &len);
    a = s_extract (text, len, "jpw", "2006/12/minimum-wage.html");
    if (a) {
        CHECK_STR (a->title, "Raise the minimum wage to a living wage");
        CHECK_STR (a->kicker, "Akahata editorial (excerpts)");
        CHECK_STR (a->date, "2006-01-31");
        CHECK_STR (a->issue, "No. 12");
        CHECK (a->paragraph_count == 3);
        hny_article_destroy (&a);
    }
    /* without a path: no year, so no date */
    a = s_extract (text, len, "auto", NULL);
    if (a) {
        CHECK_STR (a->title, "Raise the minimum wage to a living wage");
        CHECK (a->date == NULL && a->issue == NULL);
        hny_article_destroy (&a);
    }
    free (text);
}

static void
s_test_index (void)
{
    size_t len;
    char *text = s_load (s_articles, "jpw-index-2020-05-13.txt", &len);
    char *reason = s_refused (text, len, "auto", 422);
    CHECK_STR (reason, "index page: lists 4 articles, submit the articles themselves");
    free (reason);
    reason = s_refused (text, len, "jpw", 422);
    CHECK (strncmp (reason, "index page", 10) == 0);
    free (reason);
    free (text);
}

static void
s_test_japanese (void)
{
    size_t len;
    char *text = s_load (s_articles, "akahata-2021-06-09-minimum-wage-sjis.txt", &len);
    hny_article_t *a = s_extract (text, len, "auto", NULL);
    if (a) {
        CHECK_STR (a->format, "text");
        CHECK_STR (a->title, "最低賃金の引き上げを求めて全国で行動");
        CHECK_STR (a->date, "2021-06-09");
        CHECK (a->paragraph_count == 3);
        hny_article_destroy (&a);
    }
    free (text);
}

/* No paragraph or title of a Japanese page may hold its chrome: the site's
   header, menu, search box, breadcrumb, related links or footer. */
static void
s_no_chrome_ja (const hny_article_t *a)
{
    static const char *chrome[] = {
        "しんぶん赤旗", "日本共産党中央委員会", "検索", "トップ", "関連記事", "先頭へ", "無断転載",
        "国際", "スポーツ", "＞", "［", NULL
    };
    for (size_t i = 0; i < a->paragraph_count; i++)
        for (int c = 0; chrome[c]; c++)
            if (strstr (a->paragraphs[i], chrome[c])) {
                fprintf (stderr, "paragraph %zu holds \"%s\": %s\n", i, chrome[c], a->paragraphs[i]);
                s_failures++;
            }
    for (int c = 0; a->title && chrome[c]; c++)
        CHECK (strstr (a->title, chrome[c]) == NULL);
}

/* Paragraphs must be exactly want[0 .. n). */
static void
s_paragraphs (const hny_article_t *a, const char **want, size_t n)
{
    if (a->paragraph_count != n) {
        fprintf (stderr, "%zu paragraphs, want %zu\n", a->paragraph_count, n);
        for (size_t i = 0; i < a->paragraph_count; i++)
            fprintf (stderr, "  [%s]\n", a->paragraphs[i]);
        s_failures++;
        return;
    }
    for (size_t i = 0; i < n; i++)
        CHECK_STR (a->paragraphs[i], want[i]);
}

static void
s_test_japanese_pages (void)
{
    size_t len;
    /* Akahata-style page in EUC-JP: header with a search box, a menu of
       sections, a breadcrumb, the article (date line, headline, subhead,
       indented paragraphs), related links, a copyright footer */
    char *text = s_load (s_articles, "akahata-2021-03-06-minimum-wage-eucjp.html", &len);
    hny_article_t *a = s_extract (text, len, "auto", NULL);
    if (a) {
        CHECK_STR (a->format, "html");
        CHECK_STR (a->title, "最低賃金1500円へ　全国で宣伝行動");
        CHECK_STR (a->date, "2021-03-06");
        CHECK_STR (a->section, "経済");
        CHECK (a->author == NULL);
        const char *want[] = {
            "労働組合と市民　「地域の格差なくせ」",
            "全国労働組合総連合（全労連）や地域の労働組合は５日、最低賃金を全国一律で時給１５００円に"
            "引き上げるよう求める宣伝行動を各地で行いました。",
            "東京・新宿駅前では、青年ユニオンのメンバーらがマイクを握りました。飲食店で働く女性は"
            "「時給が低く、二つの仕事を掛け持ちしても生活が苦しい」と訴えました。",
            "全労連の試算では、地方でも都市部でも、普通に暮らすには時給１５００円以上が必要です。"
            "中小企業への支援とあわせて引き上げるべきだとの声が相次ぎました。"
        };
        s_paragraphs (a, want, 4);
        s_no_chrome_ja (a);
        hny_article_destroy (&a);
    }
    free (text);

    /* an older page in Shift_JIS: tables for layout, a menu column of
       links with a search form, no <h1> (the headline in <font><b>), the
       section as a label "［主張］", a copyright row */
    text = s_load (s_articles, "akahata-2011-04-19-editorial-sjis.html", &len);
    a = s_extract (text, len, "auto", NULL);
    if (a) {
        CHECK_STR (a->format, "html");
        CHECK_STR (a->title, "原発の再稼働　安全より利益優先は許されない");
        CHECK_STR (a->date, "2011-04-19");
        CHECK_STR (a->section, "主張");
        const char *want[] = {
            "東京電力福島第一原子力発電所の事故は、いまも収束の見通しが立っていません。"
            "避難を強いられた住民は、いつ故郷に戻れるのかも分からずにいます。",
            "それにもかかわらず、電力会社や経済界からは、停止中の原発を早く動かせという声が出ています。"
            "事故の原因も究明されないまま再稼働を急ぐことは、住民の安全より目先の利益を優先するものです。",
            "いま必要なのは、全国の原発の総点検と、自然エネルギーへの本格的な転換です。"
        };
        s_paragraphs (a, want, 3);
        s_no_chrome_ja (a);
        hny_article_destroy (&a);
    }
    free (text);

    /* a plain text article in CP932 (CRLF): section label, title, era
       date right under it, indented paragraphs */
    text = s_load (s_articles, "akahata-2021-03-06-tuition-cp932.txt", &len);
    a = s_extract (text, len, "auto", NULL);
    if (a) {
        CHECK_STR (a->format, "text");
        CHECK_STR (a->title, "学費の負担軽減へ　署名１０万人分を提出");
        CHECK_STR (a->date, "2021-03-06");
        CHECK_STR (a->section, "社会");
        const char *want[] = {
            "大学生や高校生でつくる団体は５日、学費の負担軽減を求める署名１０万８千人分を文部科学省に"
            "提出しました。",
            "提出後の集会では、アルバイトを掛け持ちしながら学ぶ学生が「授業料のために働いて、"
            "勉強する時間がない」と訴えました。団体は、授業料の半減と給付型奨学金の拡充を求めています。",
            "文科省の担当者は「要望は関係部局に伝える」と答えました。"
        };
        s_paragraphs (a, want, 3);
        hny_article_destroy (&a);
    }
    free (text);

    /* the title line keeps its title when the date line follows at once,
       in each way a date is written */
    const char *dates[][2] = {
        { "2021年3月6日", "2021-03-06" }, { "２０２１年３月６日（土）", "2021-03-06" },
        { "令和3年3月6日", "2021-03-06" }, { "令和元年5月1日", "2019-05-01" },
        { "2021/03/06", "2021-03-06" }, { "平成２３年４月１９日(火)", "2011-04-19" }
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char *doc = hny_sprintf ("見出しの一行\n%s\n\n　本文の一段落目です。\n\n　二段落目です。\n", dates[i][0]);
        a = s_extract (doc, strlen (doc), "auto", NULL);
        if (a) {
            CHECK_STR (a->title, "見出しの一行");
            CHECK_STR (a->date, dates[i][1]);
            CHECK (a->paragraph_count == 2);
            if (a->paragraph_count == 2)
                CHECK_STR (a->paragraphs[0], "本文の一段落目です。");
            hny_article_destroy (&a);
        }
        free (doc);
    }
    /* the date above the title */
    const char *above = "2021年3月6日（土）\n見出しの一行\n\n本文です。\n";
    a = s_extract (above, strlen (above), "text", NULL);
    if (a) {
        CHECK_STR (a->title, "見出しの一行");
        CHECK_STR (a->date, "2021-03-06");
        CHECK (a->paragraph_count == 1);
        hny_article_destroy (&a);
    }
    char *label = hny_section_label ("【政治】");
    CHECK_STR (label, "政治");
    free (label);
    label = hny_section_label ("[Advanced search] and more");
    CHECK (label == NULL);
    free (label);
    label = hny_section_label ("【政治】【経済】");
    CHECK (label == NULL);
    free (label);
}

static void
s_test_text_and_plain (void)
{
    const char *doc = "A short title\n\nApril 3, 2020\n\nFirst paragraph, line one\nand line two.\n\n\n"
                      "Second paragraph.\r\n\r\nThird.\n";
    hny_article_t *a = s_extract (doc, strlen (doc), "text", NULL);
    if (a) {
        CHECK_STR (a->format, "text");
        CHECK_STR (a->title, "A short title");
        CHECK_STR (a->date, "2020-04-03");
        CHECK (a->paragraph_count == 3);
        CHECK_STR (a->paragraphs[0], "First paragraph, line one\nand line two.");
        hny_article_destroy (&a);
    }
    a = s_extract (doc, strlen (doc), "plain", NULL);
    if (a) {
        CHECK_STR (a->format, "plain");
        CHECK (a->title == NULL && a->date == NULL);
        CHECK (a->paragraph_count == 5);
        hny_article_destroy (&a);
    }
    /* a first line that is a sentence is not a title */
    const char *no_title = "This is a sentence.\n\nAnd another one.\n";
    a = s_extract (no_title, strlen (no_title), "auto", NULL);
    if (a) {
        CHECK (a->title == NULL);
        CHECK (a->paragraph_count == 2);
        hny_article_destroy (&a);
    }
    char *reason = s_refused ("", 0, "auto", 422);
    free (reason);
    reason = s_refused ("  \n\n \t\n", 6, "text", 422);
    free (reason);
    /* only chrome */
    const char *chrome = "Japan Press Weekly\n[Advanced search]\nHOME\nPast issues\n"
                         "> List of Past issues\nCopyright (c) Japan Press Service Co., Ltd.\n";
    reason = s_refused (chrome, strlen (chrome), "auto", 422);
    free (reason);
    reason = s_refused ("x", 1, "klingon", 422);
    free (reason);

    char iso[11];
    CHECK (hny_parse_date ("Sunday, April 21, 2019", iso) && strcmp (iso, "2019-04-21") == 0);
    CHECK (hny_parse_date ("Sept. 4, 2001", iso) && strcmp (iso, "2001-09-04") == 0);
    CHECK (!hny_parse_date ("April 21, 2019 was a Sunday", iso));
    CHECK (!hny_parse_date ("April 41, 2019", iso));
    CHECK (hny_jpw_is_week ("2018 December 26 - 2019 January 8"));
    char *issue = NULL, *section = NULL;
    CHECK (hny_jpw_parse_issue ("2018 January 31 - February 6 [JCP]", &issue, &section));
    CHECK_STR (issue, "2018 January 31 - February 6");
    CHECK_STR (section, "JCP");
    free (issue);
    free (section);
    CHECK (!hny_jpw_parse_issue ("2018 January 31 - February 6", &issue, &section));
}

static void
s_test_html (void)
{
    size_t len;
    char *text = s_load (s_articles, "jpw-2022-05-18-okinawa.html", &len);
    hny_article_t *a = s_extract (text, len, "auto", NULL);
    if (a) {
        CHECK_STR (a->format, "jpw");
        CHECK_STR (a->title, "Okinawans mark 50 years since reversion");
        CHECK_STR (a->date, "2022-05-15");
        CHECK_STR (a->issue, "2022 May 18 - 24");
        CHECK_STR (a->section, "OKINAWA");
        CHECK (a->paragraph_count == 3);
        CHECK (a->related_count == 2);
        if (a->paragraph_count == 3) {
            /* inline markup survives in the inline form of hny_markup.h */
            CHECK (a->markup == 1);
            CHECK (strstr (a->paragraphs[1], "said that <b>70 percent</b> of the U.S.") != NULL);
            CHECK (strstr (a->paragraphs[1], "still <a href=\"/x\">concentrated</a> in") != NULL);
            CHECK (strstr (a->paragraphs[2], "\xE2\x80\x9CWe hoped") != NULL);
        }
        s_no_chrome (a);
        hny_article_destroy (&a);
    }
    free (text);

    const char *page =
        "<!DOCTYPE html><html><head><title>Site name: the story</title>"
        "<script>document.write('<p>no</p>')</script></head><body>"
        "<nav><ul><li>Home</li><li>About</li></ul></nav><header>Site banner</header>"
        "<article><h1>The  story\n title</h1><p>First <b>bold</b> and <a href=x>linked</a> words.</p>"
        "<div>A div of text.<br>Its second line.<br><br>A new paragraph.</div>"
        "<ul><li>Item one</li><li>Item two</li></ul><h2>Subhead</h2>"
        "<p>Last &amp; final&nbsp;paragraph.</p><form><p>Subscribe</p></form><noscript>Enable JS</noscript>"
        "<style>.x{}</style></article><footer>(c) Someone</footer></body></html>";
    a = s_extract (page, strlen (page), "auto", NULL);
    if (a) {
        CHECK_STR (a->format, "html");
        CHECK_STR (a->title, "The story title");
        CHECK (a->paragraph_count == 7);
        if (a->paragraph_count == 7) {
            CHECK_STR (a->paragraphs[0], "First <b>bold</b> and <a href=\"x\">linked</a> words.");
            CHECK_STR (a->paragraphs[1], "A div of text.\nIts second line.");
            CHECK_STR (a->paragraphs[2], "A new paragraph.");
            CHECK_STR (a->paragraphs[3], "Item one");
            CHECK_STR (a->paragraphs[5], "Subhead");
            CHECK_STR (a->paragraphs[6], "Last & final paragraph.");
        }
        for (size_t i = 0; i < a->paragraph_count; i++) {
            CHECK (strstr (a->paragraphs[i], "Subscribe") == NULL);
            CHECK (strstr (a->paragraphs[i], "banner") == NULL);
            CHECK (strstr (a->paragraphs[i], "no</p>") == NULL);
            CHECK (strstr (a->paragraphs[i], "Enable JS") == NULL);
        }
        hny_article_destroy (&a);
    }
    /* no <h1>: the <title> */
    const char *titled = "<html><head><title>Only a title</title></head><body><p>Text.</p></body></html>";
    a = s_extract (titled, strlen (titled), "html", NULL);
    if (a) {
        CHECK_STR (a->title, "Only a title");
        CHECK (a->paragraph_count == 1);
        hny_article_destroy (&a);
    }
    char *reason = s_refused ("<html><body><script>x()</script></body></html>", 46, "auto", 422);
    free (reason);
}

static void
s_test_hostile_html (void)
{
    /* malformed: unclosed, misnested, stray end tags, junk */
    const char *bad = "<p>unclosed <b>bold <div><p>x</i></table><td>cell<<<>>></p></p><!-- open comment"
                      "<p attr='unterminated>text</";
    int status = 0;
    char *reason = NULL;
    hny_article_t *a = hny_extract (bad, strlen (bad), "html", NULL, &status, &reason);
    CHECK (a || status == 422);
    hny_article_destroy (&a);
    free (reason);

    /* 100k nested divs and 100k nested inline elements: no crash, bounded time */
    const char *tags[] = { "<div>", "<b>" };
    for (int t = 0; t < 2; t++) {
        size_t n = 100000, tl = strlen (tags[t]);
        char *deep = hny_malloc (n * tl + 64);
        size_t w = 0;
        for (size_t i = 0; i < n; i++, w += tl)
            memcpy (deep + w, tags[t], tl);
        w += (size_t) sprintf (deep + w, "deep text.");
        int64_t start = hny_clock_mono_ms ();
        status = 0;
        reason = NULL;
        a = hny_extract (deep, w, "auto", NULL, &status, &reason);
        int64_t took = hny_clock_mono_ms () - start;
        CHECK (a || status == 422);
        CHECK (took < 10000);
        printf ("nested %s x %zu: %s in %lld ms\n", tags[t], n, a ? "article" : reason, (long long) took);
        hny_article_destroy (&a);
        free (reason);
        free (deep);
    }
}

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: test_extract SAMPLES_DIR ARTICLES_DIR\n");
        return 2;
    }
    hny_log_init ("test_extract", HNY_LOG_WARN);
    s_samples = argv[1];
    s_articles = argv[2];
    s_test_sample ();
    s_test_top3 ();
    s_test_2000s ();
    s_test_index ();
    s_test_japanese ();
    s_test_japanese_pages ();
    s_test_text_and_plain ();
    s_test_html ();
    s_test_hostile_html ();
    return s_check_done ("test_extract");
}
