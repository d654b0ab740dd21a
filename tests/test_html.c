/*  test_html.c: generic HTML extraction (hny_html, hny_page, hny_readable,
    hny_htmlmeta): the article and nothing else on a news page with all the
    usual chrome, its metadata from each place pages state it, pages with
    no article (a home page, search results, a login wall, frames, a body
    built by scripts, a farm of links) refused with 422, and hostile pages
    (10,000 links, layout tables, <noscript>, broken nesting, a million
    empty elements) in bounded time.
    Usage: test_html            all of the above
           test_html memory     one 8 MiB page of small paragraphs through
                                the whole prepare pipeline, in a fresh
                                process so that the peak memory is its own */
#include "hny_extract.h"
#include "hny_html.h"
#include "hny_htmlmeta.h"

#include "honyaku/prepare.h"
#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Pages built here; the largest are the 8 MiB ones of s_test_memory. */
#define S_PAGE_MAX (16u * 1024 * 1024)

static hny_article_t *
s_extract (const char *page)
{
    int status = 0;
    char *reason = NULL;
    hny_article_t *a = hny_extract (page, strlen (page), "auto", NULL, &status, &reason);
    if (!a) {
        fprintf (stderr, "extract failed: %d %s\n", status, reason);
        s_failures++;
    }
    free (reason);
    return a;
}

/* The page must be refused with 422 and a reason holding want. */
static void
s_no_article (const char *what, const char *page, size_t len, const char *want)
{
    int status = 0;
    char *reason = NULL;
    int64_t start = hny_clock_mono_ms ();
    hny_article_t *a = hny_extract (page, len, "auto", NULL, &status, &reason);
    int64_t took = hny_clock_mono_ms () - start;
    printf ("%s: %s (%lld ms)\n", what, a ? "an article!" : reason, (long long) took);
    if (a) {
        for (size_t i = 0; i < a->paragraph_count && i < 5; i++)
            fprintf (stderr, "  [%s]\n", a->paragraphs[i]);
        s_failures++;
        hny_article_destroy (&a);
    }
    else {
        CHECK (status == 422);
        CHECK (reason && strstr (reason, want) != NULL);
    }
    CHECK (took < 10000);  /* linear: well under a second unsanitized */
    free (reason);
}

/* No paragraph may contain any of the strings. */
static void
s_none_of (const hny_article_t *a, const char **bad)
{
    for (size_t i = 0; i < a->paragraph_count; i++)
        for (int k = 0; bad[k]; k++)
            if (strstr (a->paragraphs[i], bad[k])) {
                fprintf (stderr, "paragraph %zu holds \"%s\": %s\n", i, bad[k], a->paragraphs[i]);
                s_failures++;
            }
}

/* ------------------------------------------------------------ a news page */

static const char *s_news =
    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>Council approves new bus lanes | Example News</title>"
    "<meta property=\"og:title\" content=\"Council approves new bus lanes\">"
    "<meta property=\"og:site_name\" content=\"Example News\">"
    "<meta property=\"article:section\" content=\"Local\">"
    "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@graph\":["
    "{\"@type\":\"WebSite\",\"name\":\"Example News\"},"
    "{\"@type\":\"NewsArticle\",\"headline\":\"Council approves new bus lanes\","
    "\"datePublished\":\"2019-11-18T23:03:00+09:00\","
    "\"author\":[{\"@type\":\"Person\",\"name\":\"Jane Doe\"},{\"@type\":\"Person\",\"name\":\"John Roe\"}]}]}"
    "</script></head><body>"
    "<a class=\"skip-link\" href=\"#main\">Skip to content</a>"
    "<header class=\"site-header\"><div class=\"logo\">Example News</div>"
    "<nav><ul><li><a href=\"/\">Home</a></li><li><a href=\"/local\">Local</a></li>"
    "<li><a href=\"/world\">World</a></li><li><a href=\"/sport\">Sport</a></li></ul></nav>"
    "<form class=\"search\"><input name=q><button>Search</button></form></header>"
    "<div class=\"breadcrumbs\"><a href=\"/\">Home</a> &gt; <a href=\"/local\">Local</a></div>"
    "<main id=\"main\"><article class=\"story\">"
    "<h1 class=\"headline\">Council approves new bus lanes</h1>"
    "<div class=\"byline\">By <a href=\"/staff/jane\">Jane Doe</a> and John Roe</div>"
    "<time datetime=\"2019-11-18\">November 18, 2019</time>"
    "<ul class=\"share-tools\"><li><a href=\"#\">Share on Facebook</a></li><li><a href=\"#\">Share on Twitter</a></li></ul>"
    "<figure><img src=\"bus.jpg\"><figcaption>A bus on Main Street. (Photo: Example News)</figcaption></figure>"
    "<div class=\"story-body\">"
    "<p>The city council on Monday approved a plan to add bus lanes on three of the busiest streets, "
    "a change that officials say will cut travel times for thousands of riders.</p>"
    "<p>The plan, which passed by a vote of 7 to 2, sets aside one lane on Main Street, Oak Avenue and "
    "the harbor road for buses during the morning and evening rush hours.</p>"
    "<div class=\"ad-slot\"><p>Advertisement</p></div>"
    "<h2>What changes for drivers</h2>"
    "<p>Drivers will be able to use the lanes to turn right, and the city will add signs and paint "
    "before the lanes open in the spring, the transport department said.</p>"
    "<aside class=\"related-links\"><h3>Related</h3><ul>"
    "<li><a href=\"/a\">City budget passes after long debate</a></li>"
    "<li><a href=\"/b\">New bike paths planned for the harbor</a></li></ul></aside>"
    "<p>Two council members who voted against the plan said it would push traffic onto side "
    "streets, and asked for a review after one year.</p>"
    "<p>Copyright 2019 Example News. All rights reserved.</p>"
    "</div>"
    "<div class=\"tags\"><a href=\"/t/transport\">Transport</a> <a href=\"/t/council\">Council</a></div>"
    "<section id=\"comments\"><h3>12 comments</h3><div class=\"comment\"><p>Finally, this is a good idea, "
    "and it should have been done years ago, when the traffic first got bad.</p></div></section>"
    "</article></main>"
    "<aside class=\"sidebar\"><h3>Most read</h3><ol><li><a href=\"/1\">Storm closes schools</a></li>"
    "<li><a href=\"/2\">Mayor announces run for second term</a></li></ol>"
    "<div class=\"newsletter\"><p>Get the morning briefing in your inbox, every day, for free.</p>"
    "<form><input name=email></form></div></aside>"
    "<footer><p>&copy; 2019 Example News</p><ul><li><a href=\"/about\">About us</a></li>"
    "<li><a href=\"/privacy\">Privacy</a></li></ul></footer>"
    "<script>window.dataLayer = [];</script></body></html>";

static void
s_test_news (void)
{
    hny_article_t *a = s_extract (s_news);
    if (!a)
        return;
    CHECK_STR (a->format, "html");
    CHECK_STR (a->title, "Council approves new bus lanes");
    CHECK_STR (a->date, "2019-11-18");
    CHECK_STR (a->author, "Jane Doe, John Roe");
    CHECK_STR (a->section, "Local");
    const char *want[] = {
        "The city council on Monday approved a plan to add bus lanes on three of the busiest streets, "
        "a change that officials say will cut travel times for thousands of riders.",
        "The plan, which passed by a vote of 7 to 2, sets aside one lane on Main Street, Oak Avenue and "
        "the harbor road for buses during the morning and evening rush hours.",
        "What changes for drivers",
        "Drivers will be able to use the lanes to turn right, and the city will add signs and paint "
        "before the lanes open in the spring, the transport department said.",
        "Two council members who voted against the plan said it would push traffic onto side "
        "streets, and asked for a review after one year."
    };
    CHECK (a->paragraph_count == 5);
    for (size_t i = 0; i < a->paragraph_count && i < 5; i++)
        CHECK_STR (a->paragraphs[i], want[i]);
    const char *bad[] = { "Skip", "Home", "Search", "Council approves", "Jane", "Share", "Photo",
                          "Advertisement", "Related", "bike paths", "Copyright", "Transport",
                          "comments", "Finally", "Most read", "briefing", "About us", NULL };
    s_none_of (a, bad);
    CHECK (a->markup == 1);
    hny_article_destroy (&a);
}

/* Each place a page states its metadata, alone. */
static void
s_test_metadata (void)
{
    static const struct {
        const char *head, *body, *title, *date, *author;
    } cases[] = {
        /* og:title with the site in it, article:published_time, meta author */
        { "<title>Ignored | Site</title><meta property=\"og:title\" content=\"Floods hit the north | Site\">"
          "<meta property=\"og:site_name\" content=\"Site\">"
          "<meta property=\"article:published_time\" content=\"2020-02-03T10:00:00Z\">"
          "<meta name=\"author\" content=\"A. Writer\">", "", "Floods hit the north", "2020-02-03", "A. Writer" },
        /* <title> alone, cleaned of the site's name either side */
        { "<title>Site Name - Floods hit the north of the country</title>", "",
          "Floods hit the north of the country", NULL, NULL },
        { "<title>Floods hit the north of the country &#8211; Site Name</title>", "",
          "Floods hit the north of the country", NULL, NULL },
        /* <h1> that agrees with <title>; <time datetime>; microdata author */
        { "<title>Floods hit the north: live | Site</title>",
          "<h1>Floods hit the north</h1><time datetime=\"2020-02-04T08:00\">Tue</time>"
          "<span itemprop=\"author\">Kim Lee</span>", "Floods hit the north", "2020-02-04", "Kim Lee" },
        /* an <h1> that is the logo: the title from og:title */
        { "<title>Floods hit the north | Daily Paper</title><meta property=\"og:site_name\" content=\"Daily Paper\">"
          "<meta property=\"og:title\" content=\"Floods hit the north\">",
          "<h1 class=\"logo\">Daily Paper</h1>", "Floods hit the north", NULL, NULL },
        /* JSON-LD, as one object with a list of types; author as a string */
        { "<script type=\"application/ld+json\">[{\"@type\":[\"NewsArticle\"],\"headline\":\"Floods hit the north\","
          "\"datePublished\":\"2020-02-05\",\"author\":\"Sam Poe\"}]</script>", "",
          "Floods hit the north", "2020-02-05", "Sam Poe" },
        /* broken JSON-LD is ignored; the date line near the article */
        { "<script type=\"application/ld+json\">{\"@type\": \"NewsArticle\", \"headline\": </script>"
          "<title>Floods hit the north</title>", "<p class=\"meta\">Posted on February 6, 2020</p>",
          "Floods hit the north", "2020-02-06", NULL },
        /* a byline "By ..." */
        { "<title>Floods hit the north</title>", "<div class=\"byline\">By Ann Other | Staff</div>",
          "Floods hit the north", NULL, "Ann Other" },
    };
    const char *body =
        "<p>Heavy rain flooded towns across the north on Monday, and hundreds of people were "
        "moved to shelters, the authorities said.</p><p>Rivers rose to their highest level in "
        "twenty years, and several roads and a railway line were closed.</p>";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *page = hny_sprintf ("<html><head>%s</head><body>%s<div class=\"article\">%s</div></body></html>",
                                  cases[i].head, cases[i].body, body);
        hny_article_t *a = s_extract (page);
        if (a) {
            if (!a->title || strcmp (a->title, cases[i].title) != 0
                || (cases[i].date ? !a->date || strcmp (a->date, cases[i].date) != 0 : a->date != NULL)
                || (cases[i].author ? !a->author || strcmp (a->author, cases[i].author) != 0
                                    : a->author != NULL)) {
                fprintf (stderr, "metadata case %zu: title [%s] date [%s] author [%s]\n", i,
                         a->title ? a->title : "", a->date ? a->date : "", a->author ? a->author : "");
                s_failures++;
            }
            CHECK (a->paragraph_count == 2);
            hny_article_destroy (&a);
        }
        free (page);
    }
    char *t = hny_htmlmeta_clean_title ("しんぶん赤旗｜主張　原発の再稼働", "しんぶん赤旗");
    CHECK_STR (t, "主張　原発の再稼働");
    free (t);
    t = hny_htmlmeta_clean_title ("A - B", NULL);
    CHECK_STR (t, "A - B");     /* too short either side: kept */
    free (t);
}

/* ------------------------------------------------------------ no article */

static void
s_test_no_article (void)
{
    hny_buf_t page = HNY_BUF_INIT (S_PAGE_MAX);
    /* a home page: headlines with their leads */
    hny_buf_adds (&page, "<html><head><title>Example News</title></head><body><nav><a href=/>Home</a>"
                         "<a href=/world>World</a></nav><div class=\"front\">");
    for (int i = 0; i < 8; i++) {
        char *item = hny_sprintf (
            "<article class=\"teaser\"><h2><a href=\"/story/%d\">Story number %d makes the news today</a></h2>"
            "<p>A lead of the story, in one sentence that is long enough to read as a paragraph of text, "
            "with a comma, too.</p></article>", i, i);
        hny_buf_adds (&page, item);
        free (item);
    }
    hny_buf_adds (&page, "</div><footer>&copy; Example</footer></body></html>");
    s_no_article ("home page", page.data, page.len, "lists articles");
    page.len = 0;

    /* search results */
    hny_buf_adds (&page, "<html><body><form><input name=q value=floods><button>Search</button></form>"
                         "<p>About 1,240 results</p><ol class=\"results\">");
    for (int i = 0; i < 10; i++) {
        char *item = hny_sprintf (
            "<li><h3><a href=\"/r/%d\">Result %d: floods in the north, what we know</a></h3>"
            "<p>... rivers rose to their highest level in years, and several roads were closed, "
            "officials said on ...</p></li>", i, i);
        hny_buf_adds (&page, item);
        free (item);
    }
    hny_buf_adds (&page, "</ol><div class=\"pagination\"><a href=?p=2>Next</a></div></body></html>");
    s_no_article ("search results", page.data, page.len, "lists articles");
    page.len = 0;

    /* a login wall */
    const char *wall =
        "<html><head><title>Sign in | Example News</title></head><body><header><nav><a href=/>Home</a></nav></header>"
        "<div class=\"paywall\"><h1>Subscribers only</h1><p>Please sign in.</p>"
        "<form><label>Email <input name=email></label><label>Password <input type=password name=pw></label>"
        "<button>Sign in</button><p>Forgot your password? We can send you a new one by email.</p></form></div>"
        "<footer>&copy; Example News</footer></body></html>";
    s_no_article ("login wall", wall, strlen (wall), "no article");

    /* frames, and a body that scripts build */
    const char *frames = "<html><head><title>Frames</title></head><frameset cols=\"20%,80%\">"
                         "<frame src=\"menu.html\"><frame src=\"main.html\"><noframes>Your browser does not "
                         "support frames.</noframes></frameset></html>";
    s_no_article ("frameset", frames, strlen (frames), "no article");
    const char *app = "<html><head><title>App</title></head><body><div id=\"root\"></div>"
                      "<noscript>You need to enable JavaScript to run this app.</noscript>"
                      "<script>render(document.getElementById('root'))</script></body></html>";
    s_no_article ("script-built body", app, strlen (app), "no article");

    /* 10,000 links and nothing else */
    hny_buf_adds (&page, "<html><body><ul>");
    for (int i = 0; i < 10000; i++) {
        char *item = hny_sprintf ("<li><a href=\"/page/%d\">Page number %d of the site map</a></li>", i, i);
        hny_buf_adds (&page, item);
        free (item);
    }
    hny_buf_adds (&page, "</ul></body></html>");
    s_no_article ("10,000 links", page.data, page.len, "no article");
    free (page.data);
}

/* ------------------------------------------------------------ hostile */

static const char *s_story =
    "<p>Heavy rain flooded towns across the north on Monday, and hundreds of people were moved to "
    "shelters, the authorities said.</p><p>Rivers rose to their highest level in twenty years, and "
    "several roads and a railway line were closed.</p><p>The weather service said more rain was "
    "expected later in the week, and warned people to stay away from rivers.</p>";

/* The story's three paragraphs, and only them. */
static void
s_story_only (const char *what, const char *page, size_t len)
{
    int status = 0;
    char *reason = NULL;
    int64_t start = hny_clock_mono_ms ();
    hny_article_t *a = hny_extract (page, len, "auto", NULL, &status, &reason);
    int64_t took = hny_clock_mono_ms () - start;
    printf ("%s: %s in %lld ms\n", what, a ? "article" : reason, (long long) took);
    CHECK (took < 10000);  /* linear: well under a second unsanitized */
    if (!a) {
        s_failures++;
        free (reason);
        return;
    }
    if (a->paragraph_count != 3 || strncmp (a->paragraphs[0], "Heavy rain", 10) != 0
        || strncmp (a->paragraphs[2], "The weather service", 19) != 0) {
        fprintf (stderr, "%s: %zu paragraphs\n", what, a->paragraph_count);
        for (size_t i = 0; i < a->paragraph_count && i < 8; i++)
            fprintf (stderr, "  [%.80s]\n", a->paragraphs[i]);
        s_failures++;
    }
    hny_article_destroy (&a);
}

static void
s_test_hostile (void)
{
    hny_buf_t page = HNY_BUF_INIT (S_PAGE_MAX);
    /* the article beside 10,000 links */
    hny_buf_adds (&page, "<html><body><div class=\"menu\"><ul>");
    for (int i = 0; i < 10000; i++) {
        char *item = hny_sprintf ("<li><a href=\"/p/%d\">Link %d</a></li>", i, i);
        hny_buf_adds (&page, item);
        free (item);
    }
    hny_buf_adds (&page, "</ul></div><div class=\"content\">");
    hny_buf_adds (&page, s_story);
    hny_buf_adds (&page, "</div></body></html>");
    s_story_only ("article beside 10,000 links", page.data, page.len);
    page.len = 0;

    /* tables for layout, four deep, the story in one cell beside a menu */
    hny_buf_adds (&page, "<html><body><table><tr><td><table><tr><td colspan=2>Site banner</td></tr><tr>"
                         "<td><a href=/>Home</a><br><a href=/a>About</a><br><a href=/c>Contact</a></td><td>"
                         "<table><tr><td><table><tr><td>");
    hny_buf_adds (&page, s_story);
    hny_buf_adds (&page, "</td></tr></table></td></tr></table></td></tr></table></td></tr>"
                         "<tr><td>(c) 2019 Site</td></tr></table></body></html>");
    s_story_only ("layout tables", page.data, page.len);
    page.len = 0;

    /* <noscript>, broken nesting, stray and unclosed tags */
    hny_buf_adds (&page, "<html><body><noscript><p>Please enable JavaScript to view the comments, which "
                         "are powered by a service that needs it, as many do.</p></noscript>"
                         "<div class=\"post\"><p>Heavy rain flooded towns across the north on Monday, "
                         "and <b>hundreds <i>of</b> people</i> were moved to shelters, the authorities said."
                         "</div></span></td><p>Rivers rose to their highest level in twenty years, and "
                         "several roads and a railway line were closed.<p>The weather service said more "
                         "rain was expected later in the week, and warned people to stay away from rivers."
                         "</body></html>");
    s_story_only ("broken nesting and noscript", page.data, page.len);
    page.len = 0;

    /* a million empty elements before the story: nodes past the cap are
       not told apart, time stays linear */
    hny_buf_adds (&page, "<html><body>");
    for (int i = 0; i < 1000000; i++)
        hny_buf_add (&page, "<div></div>", 11);
    hny_buf_adds (&page, "<div class=\"article\">");
    hny_buf_adds (&page, s_story);
    hny_buf_adds (&page, "</div></body></html>");
    s_story_only ("a million empty divs", page.data, page.len);
    free (page.data);
}

/* ------------------------------------------------------------ memory */

/* Peak resident memory of this process so far, MiB. */
static long
s_peak_mib (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

/* One page through hny_prepare: prints the outcome, time and peak memory;
   returns the number of paragraphs (0 when refused). */
static size_t
s_prepare_big (const char *what, const hny_buf_t *page, int status_want)
{
    hny_preparer_t *preparer = hny_preparer_new ();
    hny_prepare_opts_t opts = { .format = "html" };
    int status = 0;
    char *reason = NULL;
    int64_t start = hny_clock_mono_ms ();
    json_t *out = hny_prepare (preparer, (const uint8_t *) page->data, page->len, &opts, &status, &reason);
    int64_t took = hny_clock_mono_ms () - start;
    size_t got = out ? json_array_size (json_object_get (out, "paragraphs")) : 0;
    printf ("%s (%zu bytes): %s, %zu paragraphs, %lld ms, peak RSS %ld MiB\n", what, page->len,
            out ? "article" : reason, got, (long long) took, s_peak_mib ());
    CHECK (status == status_want);
    CHECK (took < 20000);
    json_decref (out);
    free (reason);
    hny_preparer_destroy (&preparer);
    return got;
}

/* 8 MiB pages through hny_prepare, in a process that does nothing else,
   so that the peak memory is theirs: a million tiny paragraphs (refused
   early at the line cap), then an article of 19,000 paragraphs. */
static int
s_test_memory (void)
{
    size_t target = 8u * 1024 * 1024 - 4096;
    printf ("before: peak RSS %ld MiB\n", s_peak_mib ());
    hny_buf_t page = HNY_BUF_INIT (S_PAGE_MAX);
    hny_buf_adds (&page, "<html><body>");
    while (page.len + 32 < target)
        hny_buf_add (&page, "<p>x", 4);
    hny_buf_adds (&page, "</body></html>");
    s_prepare_big ("8 MiB of <p>x", &page, 413);
    page.len = 0;

    hny_buf_adds (&page, "<html><body><nav><a href=/>Home</a></nav><div class=\"article\">");
    size_t paras = 0;
    while (page.len + 1024 < target && paras < HNY_EXTRACT_MAX_PARAGRAPHS - 1000) {
        char *p = hny_sprintf ("<p>Paragraph %06d of the long article, with some words, a comma and "
                               "a <a href=\"/link/%d\">link</a>; the rest of it is here to make it "
                               "the size of a real paragraph of news, which is often two or three "
                               "sentences. Another sentence follows, and then a third one closes the "
                               "paragraph, as the style guide of the paper wants it done here.</p>\n",
                               (int) paras, (int) paras);
        hny_buf_adds (&page, p);
        free (p);
        paras++;
    }
    /* the rest: markup that holds no text */
    while (page.len + 64 < target)
        hny_buf_adds (&page, "<span class=\"x\"></span><b></b><i></i>\n");
    hny_buf_adds (&page, "</div><footer>(c) Site</footer></body></html>");
    size_t got = s_prepare_big ("8 MiB article", &page, 200);
    CHECK (got == paras);
    /* the page itself is 8 MiB, its UTF-8 copy 8 more: the rest must stay
       within tens of MB (not under AddressSanitizer, whose quarantine and
       shadow memory make the figure meaningless) */
#if !defined(__SANITIZE_ADDRESS__)
    CHECK (s_peak_mib () < 200);
#endif
    free (page.data);
    return s_failures ? 1 : 0;
}

int
main (int argc, char **argv)
{
    hny_log_init ("test_html", HNY_LOG_ERROR);
    if (argc > 1 && strcmp (argv[1], "memory") == 0)
        return s_test_memory ();
    s_test_news ();
    s_test_metadata ();
    s_test_no_article ();
    s_test_hostile ();
    return s_check_done ("test_html");
}
