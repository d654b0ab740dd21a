/*  test_export.c: the record writers of client/hny_export.h, without a
    daemon. Builds records in memory (inline markup, an unpaired tag, a
    failed segment, Japanese, characters XML must escape, a control
    character, an unsafe link, a second language pair, a job that failed
    before it had segments), runs every format into a temporary directory
    and reads the output back: libxml2 for TMX, XLIFF 2.0 and 1.2 and HTML
    (well-formed, counts, languages, machine translation marked, escaping,
    the page's contents and marks), line counts and alignment for Moses,
    one file per language pair or a refusal, the refusals of malformed
    records, and language tags in canonical form. */
#include "hny_export.h"

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int s_failures;
/* libxml2's HTML parser knows HTML 4: quiet about <section> and <nav>
   (test_export_cli checks the page with an HTML5 parser). */
#define S_HTML_OPTIONS (HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING)
static char s_dir [] = "/tmp/hny-export-XXXXXX";

#define CHECK(cond, ...) do { \
        if (!(cond)) { \
            s_failures++; \
            fprintf (stderr, "%s:%d: FAIL (%s): ", __FILE__, __LINE__, #cond); \
            fprintf (stderr, __VA_ARGS__); \
            fputc ('\n', stderr); \
        } \
    } while (0)

/* A record of job JOB from en to TGT with: a title with an escaped &, a
   paragraph of a bold segment with & " < and a segment with two links
   (one unsafe) that failed, and a paragraph of a multi-line segment with
   an unpaired </b>, a control character and Japanese in the target. */
static json_t *
s_record (const char *job, const char *tgt)
{
    json_t *r = json_pack (
        "{s:s, s:s, s:s, s:s, s:s, s:s,"
        " s:{s:s, s:s, s:s},"
        " s:{s:s, s:s},"
        " s:[{s:[{s:s, s:s, s:b}, {s:s, s:n, s:b}]}, {s:[{s:s, s:s, s:b}]}, {s:[]}],"
        " s:[{s:i, s:i, s:i, s:s, s:s}], s:{}}",
        "schema", "honyaku.record/1", "job", job, "key", "k", "source_lang", "en",
        "target_lang", tgt, "backend", "apertium",
        "metadata", "title", "Tom & Jerry <Show>", "date", "2019-04-21", "source", "news/a.html",
        "title", "src", "Tom &amp; Jerry", "tgt", "Tom y Jerry",
        "paragraphs",
        "segments", "src", "A <b>bold</b> move & \"x\" < y.",
        "tgt", "Un movimiento <b>audaz</b> & \"x\" < y.", "tm", 0,
        "src", "See <a href=\"https://e.com/?a=1&amp;b=2\">this</a> and "
               "<a href=\"javascript:alert(1)\">that</a>.", "tgt", "tm", 0,
        "segments", "src", "Line one\nline two <i>it</i> </b> odd \x01.",
        "tgt", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e <i>\xe3\x83\x86\xe3\x82\xad</i>\tend", "tm", 1,
        "segments",
        "errors", "paragraph", 0, "segment", 1, "code", 503, "class", "transient",
        "reason", "service <down>", "stats");
    if (!r) {
        fprintf (stderr, "json_pack failed\n");
        exit (2);
    }
    return r;
}

static char *
s_path (const char *name)
{
    size_t n = strlen (s_dir) + strlen (name) + 2;
    char *p = malloc (n);
    snprintf (p, n, "%s/%s", s_dir, name);
    return p;
}

/* Export the records to OUT (a name in the test dir) in FORMAT; returns the
   stats, failing the test when anything fails. */
static hny_export_stats_t
s_run (hny_export_format_t format, const char *out, json_t **records, size_t count)
{
    hny_export_stats_t st = { 0 };
    char *why = NULL, *path = s_path (out);
    hny_export_t *exp = hny_export_new (format, path, &why);
    CHECK (exp, "new %s: %s", out, why ? why : "?");
    free (why);
    if (exp) {
        for (size_t i = 0; i < count; i++)
            CHECK (hny_export_add (exp, records [i]) == 0, "%s: add: %s", out,
                   hny_export_error (exp));
        CHECK (hny_export_finish (exp) == 0, "%s: finish: %s", out, hny_export_error (exp));
        hny_export_stats (exp, &st);
        hny_export_destroy (&exp);
        CHECK (exp == NULL, "destroy clears the pointer");
    }
    free (path);
    return st;
}

static xmlXPathObjectPtr
s_xpath (xmlDocPtr doc, const char *expr, const char *ns)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext (doc);
    if (ns)
        xmlXPathRegisterNs (ctx, BAD_CAST "x", BAD_CAST ns);
    xmlXPathObjectPtr obj = xmlXPathEvalExpression (BAD_CAST expr, ctx);
    xmlXPathFreeContext (ctx);
    return obj;
}

static double
s_number (xmlDocPtr doc, const char *expr, const char *ns)
{
    xmlXPathObjectPtr obj = s_xpath (doc, expr, ns);
    double n = obj ? xmlXPathCastToNumber (obj) : -1;
    xmlXPathFreeObject (obj);
    return n;
}

/* The string value of an XPath expression; caller frees. */
static char *
s_string (xmlDocPtr doc, const char *expr, const char *ns)
{
    xmlXPathObjectPtr obj = s_xpath (doc, expr, ns);
    xmlChar *s = obj ? xmlXPathCastToString (obj) : NULL;
    xmlXPathFreeObject (obj);
    char *copy = strdup (s ? (const char *) s : "");
    xmlFree (s);
    return copy;
}

static xmlDocPtr
s_parse_xml (const char *name)
{
    char *path = s_path (name);
    xmlDocPtr doc = xmlReadFile (path, NULL, XML_PARSE_NONET);
    CHECK (doc, "%s is not well-formed XML", name);
    free (path);
    return doc;
}

#define NUM(expr, want) do { \
        double got_ = s_number (doc, (expr), ns); \
        CHECK (got_ == (want), "%s: %s = %g, want %g", name, (expr), got_, (double) (want)); \
    } while (0)
#define STR(expr, want) do { \
        char *got_ = s_string (doc, (expr), ns); \
        CHECK (strcmp (got_, (want)) == 0, "%s: %s = '%s', want '%s'", name, (expr), got_, (want)); \
        free (got_); \
    } while (0)

static void
s_test_tmx (json_t **records)
{
    const char *name = "out.tmx", *ns = NULL;
    json_t *es [2] = { records [0], records [2] };
    hny_export_stats_t st = s_run (HNY_EXPORT_TMX, name, es, 2);
    CHECK (st.records == 2 && st.pairs == 6 && st.missing == 2, "tmx stats %ld %ld %ld",
           st.records, st.pairs, st.missing);
    xmlDocPtr doc = s_parse_xml (name);
    if (!doc)
        return;
    NUM ("count(/tmx[@version='1.4']/header[@srclang='en' and @segtype='sentence'"
         " and @o-tmf='honyaku.record/1' and @creationtool='honyaku'])", 1);
    NUM ("count(/tmx/body/tu)", 6);
    NUM ("count(/tmx/body/tu[count(tuv)=2])", 6);
    NUM ("count(//tuv[1][@xml:lang='en'])", 6);
    NUM ("count(//tuv[2][@xml:lang='es'])", 6);
    NUM ("count(//tu/prop[@type='x-job'])", 6);
    STR ("//tu[1]/prop[@type='x-title']", "Tom & Jerry <Show>");
    STR ("//tu[1]/prop[@type='x-date']", "2019-04-21");
    STR ("//tu[1]/prop[@type='x-source']", "news/a.html");
    STR ("//tu[1]/tuv[1]/seg", "Tom & Jerry");
    /* Markup: bpt/ept pairs hold the original tags, the text is unescaped. */
    STR ("//tu[2]/tuv[1]/seg", "A <b>bold</b> move & \"x\" < y.");
    NUM ("count(//tu[2]/tuv[1]/seg/bpt[@i='1' and @type='bold'])", 1);
    NUM ("count(//tu[2]/tuv[1]/seg/ept[@i='1'])", 1);
    NUM ("count(//bpt)", 8);
    /* The failed segment is not a tu; the unpaired </b> is text. */
    NUM ("count(//tu[contains(., 'See ')])", 0);
    NUM ("count(//tu[3]/tuv[1]/seg[contains(., '</b> odd')])", 1);
    NUM ("count(//tu[3]/tuv[1]/seg/bpt[@type='italic'])", 1);
    STR ("//tu[3]/tuv[2]/seg/text()[1]", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ");
    xmlFreeDoc (doc);
}

/* Several language pairs: one file each in a directory; refused for one
   file, which is then never written. */
static void
s_test_pairs (json_t **records)
{
    char *why = NULL, *dir = s_path ("pairs/");
    hny_export_t *exp = hny_export_new (HNY_EXPORT_TMX, dir, &why);
    CHECK (exp, "new pairs/: %s", why ? why : "?");
    free (why);
    for (int i = 0; exp && i < 3; i++)
        CHECK (hny_export_add (exp, records [i]) == 0, "pairs add %d: %s", i, hny_export_error (exp));
    CHECK (exp && hny_export_finish (exp) == 0, "pairs finish");
    CHECK (exp && hny_export_files (exp) == 2, "two files");
    if (exp && hny_export_files (exp) == 2) {
        CHECK (strstr (hny_export_file_path (exp, 0), "pairs/records.en-es.tmx")
               && !strcmp (hny_export_file_pair (exp, 0), "en-es")
               && hny_export_file_records (exp, 0) == 2, "file 0 %s", hny_export_file_path (exp, 0));
        CHECK (strstr (hny_export_file_path (exp, 1), "pairs/records.en-ja.tmx")
               && hny_export_file_records (exp, 1) == 1, "file 1 %s", hny_export_file_path (exp, 1));
    }
    hny_export_destroy (&exp);
    free (dir);
    const char *name = "pairs/records.en-ja.tmx", *ns = NULL;
    xmlDocPtr doc = s_parse_xml (name);
    if (doc) {
        NUM ("count(//tu)", 3);
        NUM ("count(//tuv[2][@xml:lang='ja'])", 3);
        xmlFreeDoc (doc);
    }
    /* XLIFF into a directory: a record with nothing to translate opens no
       file for its pair (an XLIFF <file> needs a unit). */
    json_t *fr = json_deep_copy (records [3]);
    json_object_set_new (fr, "target_lang", json_string ("fr"));
    json_t *four [4] = { records [0], records [1], records [2], fr };
    dir = s_path ("xpairs/");
    exp = hny_export_new (HNY_EXPORT_XLIFF, dir, &why);
    for (int i = 0; exp && i < 4; i++)
        CHECK (hny_export_add (exp, four [i]) == 0, "xpairs add %d", i);
    CHECK (exp && hny_export_finish (exp) == 0 && hny_export_files (exp) == 2, "xpairs: 2 files");
    hny_export_stats_t xst = { 0 };
    if (exp)
        hny_export_stats (exp, &xst);
    CHECK (xst.records == 3 && xst.skipped == 1, "xpairs stats %ld %ld", xst.records, xst.skipped);
    hny_export_destroy (&exp);
    free (dir);
    json_decref (fr);
    char *frpath = s_path ("xpairs/records.en-fr.xlf");
    CHECK (access (frpath, F_OK) != 0, "no file for en-fr");
    free (frpath);

    /* One file, two pairs: refused at the second, nothing left behind. */
    hny_export_format_t formats [] = { HNY_EXPORT_TMX, HNY_EXPORT_XLIFF, HNY_EXPORT_XLIFF12 };
    for (int f = 0; f < 3; f++) {
        char *path = s_path ("mixed.out");
        exp = hny_export_new (formats [f], path, &why);
        CHECK (exp && hny_export_add (exp, records [0]) == 0, "mixed: first");
        CHECK (exp && hny_export_add (exp, records [1]) == -1 && hny_export_mixed (exp)
               && strstr (hny_export_error (exp), "en-es, then en-ja"), "mixed: refused: %s",
               exp ? hny_export_error (exp) : "?");
        hny_export_destroy (&exp);
        CHECK (access (path, F_OK) != 0, "mixed: no file");
        free (path);
    }
    /* Language tags are compared and written in canonical form. */
    json_t *upper = json_deep_copy (records [0]);
    json_object_set_new (upper, "source_lang", json_string ("EN"));
    json_object_set_new (upper, "target_lang", json_string ("ES"));
    json_t *two [2] = { records [0], upper };
    hny_export_stats_t st = s_run (HNY_EXPORT_XLIFF12, "canon.xlf", two, 2);
    CHECK (st.records == 2, "EN-ES and en-es are one pair");
    json_decref (upper);
}

static void
s_test_xliff (json_t **records)
{
    const char *name = "out.xlf", *ns = "urn:oasis:names:tc:xliff:document:2.0";
    json_t *three [3] = { records [0], records [2], records [3] };
    hny_export_stats_t st = s_run (HNY_EXPORT_XLIFF, name, three, 3);
    /* records: es, es, and one that failed before it had segments (skipped) */
    CHECK (st.records == 2 && st.skipped == 1 && st.pairs == 8, "xliff stats %ld %ld %ld",
           st.records, st.skipped, st.pairs);
    xmlDocPtr doc = s_parse_xml (name);
    if (!doc)
        return;
    xmlNodePtr root = xmlDocGetRootElement (doc);
    CHECK (root && root->ns && strcmp ((const char *) root->ns->href, ns) == 0,
           "xliff namespace");
    NUM ("count(/x:xliff[@version='2.0' and @srcLang='en' and @trgLang='es'])", 1);
    NUM ("count(/x:xliff/x:file)", 2);
    NUM ("count(//x:file[@id='f1'])", 1);
    NUM ("count(//x:file[@id='f2'])", 1);
    /* One unit per paragraph with segments (the empty one has none) plus the title. */
    NUM ("count(/x:xliff/x:file[1]/x:unit)", 3);
    NUM ("count(//x:file[1]//x:segment)", 4);
    /* Machine translation awaits review: initial, marked as MT. */
    NUM ("count(//x:file[1]//x:segment[@state='initial' and @subState='honyaku:mt']/x:target)", 3);
    NUM ("count(//x:file[1]//x:segment[@state='translated'])", 0);
    NUM ("count(//x:file[1]//x:segment[@state='initial' and not(@subState)])", 1);
    NUM ("count(//x:file[1]//x:segment[not(@subState)]/x:target)", 0);
    STR ("//x:file[1]/x:notes/x:note[@category='job']", "a1");
    STR ("//x:file[1]/x:notes/x:note[@category='title']", "Tom & Jerry <Show>");
    STR ("//x:file[1]/x:notes/x:note[@category='backend']", "apertium");
    STR ("//x:file[1]//x:unit[@id='p0']/x:notes/x:note[@category='error']",
         "s2 not translated: service <down>");
    /* Markup as <pc>: bold in both sides with the same id, links with data. */
    STR ("//x:file[1]//x:unit[@id='p0']/x:segment[@id='s1']/x:source", "A bold move & \"x\" < y.");
    NUM ("count(//x:file[1]//x:unit[@id='p0']/x:segment[1]/x:source/x:pc[@id='1' and @subType='xlf:b'])", 1);
    NUM ("count(//x:file[1]//x:unit[@id='p0']/x:segment[1]/x:target/x:pc[@id='1' and @subType='xlf:b'])", 1);
    NUM ("count(//x:file[1]//x:unit[@id='p0']/x:segment[2]/x:source/x:pc[@type='link'])", 2);
    STR ("//x:file[1]//x:data[@id=//x:file[1]//x:pc[@type='link'][1]/@dataRefStart]",
         "<a href=\"https://e.com/?a=1&amp;b=2\">");
    NUM ("count(//x:file[1]//x:unit[@id='p1']//x:target/x:pc[@subType='xlf:i'])", 1);
    xmlFreeDoc (doc);

    /* A person's translation (aligned records) is translated, not MT. */
    json_t *human = json_deep_copy (records [0]);
    json_object_set_new (human, "backend", json_string ("aligned"));
    s_run (HNY_EXPORT_XLIFF, "human.xlf", &human, 1);
    name = "human.xlf";
    doc = s_parse_xml (name);
    if (doc) {
        NUM ("count(//x:segment[@state='translated' and not(@subState)]/x:target)", 3);
        NUM ("count(//x:segment[@subState])", 0);
        xmlFreeDoc (doc);
    }
    s_run (HNY_EXPORT_XLIFF12, "human12.xlf", &human, 1);
    name = "human12.xlf";
    ns = "urn:oasis:names:tc:xliff:document:1.2";
    doc = s_parse_xml (name);
    if (doc) {
        NUM ("count(//x:target[@state='translated' and not(@state-qualifier)])", 3);
        NUM ("count(//x:phase)", 0);
        xmlFreeDoc (doc);
    }
    json_decref (human);
}

static void
s_test_xliff12 (json_t **records)
{
    const char *name = "out12.xlf", *ns = "urn:oasis:names:tc:xliff:document:1.2";
    json_t *three [3] = { records [0], records [2], records [3] };
    hny_export_stats_t st = s_run (HNY_EXPORT_XLIFF12, name, three, 3);
    CHECK (st.records == 2 && st.skipped == 1 && st.pairs == 8, "xliff12 stats %ld %ld %ld",
           st.records, st.skipped, st.pairs);
    xmlDocPtr doc = s_parse_xml (name);
    if (!doc)
        return;
    NUM ("count(/x:xliff[@version='1.2'])", 1);
    NUM ("count(/x:xliff/x:file[@source-language='en' and @target-language='es'"
         " and @datatype='plaintext' and @original='news/a.html'])", 2);
    /* the header: the backend's phase, notes, the tool */
    NUM ("count(//x:file[1]/x:header/x:phase-group/x:phase[@phase-name='mt1' and @job-id='a1'])", 1);
    STR ("//x:file[1]/x:header/x:phase-group/x:phase/x:note", "machine translation by apertium");
    NUM ("count(//x:file[1]/x:header/x:tool[@tool-id='honyaku'])", 1);
    STR ("//x:file[1]/x:header/x:note[2]", "title: Tom & Jerry <Show>");
    /* the title alone, then a group per paragraph with segments */
    NUM ("count(//x:file[1]/x:body/x:trans-unit[@id='title'])", 1);
    NUM ("count(//x:file[1]/x:body/x:group[@restype='x-paragraph'])", 2);
    NUM ("count(//x:file[1]/x:body/x:group[@id='p0']/x:trans-unit)", 2);
    NUM ("count(//x:file[1]//x:trans-unit)", 4);
    /* machine translation: needs review, an MT suggestion of phase mt1 */
    NUM ("count(//x:file[1]//x:target[@state='needs-review-translation'"
         " and @state-qualifier='mt-suggestion' and @phase-name='mt1'])", 3);
    NUM ("count(//x:file[1]//x:trans-unit[@id='p0.s2']/x:target)", 0);
    STR ("//x:file[1]//x:trans-unit[@id='p0.s2']/x:note", "not translated: service <down>");
    /* markup: <g> for bold and italics, <bpt>/<ept> holding a link's tags */
    STR ("//x:file[1]//x:trans-unit[@id='p0.s1']/x:source", "A bold move & \"x\" < y.");
    NUM ("count(//x:file[1]//x:trans-unit[@id='p0.s1']/x:source/x:g[@id='1' and @ctype='bold'])", 1);
    NUM ("count(//x:file[1]//x:trans-unit[@id='p0.s1']/x:target/x:g[@id='1' and @ctype='bold'])", 1);
    NUM ("count(//x:file[1]//x:trans-unit[@id='p0.s2']/x:source/x:bpt[@ctype='link'])", 2);
    STR ("//x:file[1]//x:trans-unit[@id='p0.s2']/x:source/x:bpt[1]",
         "<a href=\"https://e.com/?a=1&amp;b=2\">");
    STR ("//x:file[1]//x:trans-unit[@id='p0.s2']/x:source/x:ept[1]", "</a>");
    NUM ("count(//x:file[1]//x:trans-unit[@id='p1.s1']/x:target/x:g[@ctype='italic'])", 1);
    xmlFreeDoc (doc);
}

static void
s_test_html (json_t **records)
{
    const char *name = "out.html", *ns = NULL;
    hny_export_stats_t st = s_run (HNY_EXPORT_HTML, name, records, 4);
    CHECK (st.records == 4 && st.pairs == 12, "html stats %ld %ld", st.records, st.pairs);
    /* Well-formed as XML too, and what an HTML parser sees: */
    xmlDocPtr xdoc = s_parse_xml (name);
    xmlFreeDoc (xdoc);
    char *path = s_path (name);
    xmlDocPtr doc = htmlReadFile (path, "UTF-8", S_HTML_OPTIONS);
    free (path);
    CHECK (doc, "html does not parse");
    if (!doc)
        return;
    STR ("/html/head/title", "honyaku export: 4 articles, several language pairs");
    /* the contents: one entry per article, each a link to its section */
    NUM ("count(//nav[@id='toc']/ol/li)", 4);
    STR ("//nav/ol/li[1]/a/@href", "#a1");
    STR ("//nav/ol/li[1]/a", "Tom & Jerry <Show>");
    NUM ("count(//nav/ol/li/a[substring(@href, 2) = //section/@id])", 4);
    STR ("//nav/ol/li[1]/span", " en \xe2\x86\x92 es \xc2\xb7 1 from TM \xc2\xb7 1 not translated");
    STR ("//nav/ol/li[4]/span", " en \xe2\x86\x92 es \xc2\xb7 1 not translated");
    /* the legend names every mark */
    NUM ("count(//ul[@class='legend']/li/span[contains(@class, 'mark')])", 3);
    NUM ("count(//section[@class='article'])", 4);
    NUM ("count(//section[@class='article']/table/tbody/tr)", 12);
    /* numbered rows, anchors and marks */
    STR ("//section[1]//tr[3]/td[1]/a", "3");
    STR ("//section[1]//tr[3]/@id", "a1-3");
    NUM ("count(//tr[contains(@class, 'failed')])", 3);
    NUM ("count(//tr[contains(@class, 'tm')])", 3);
    NUM ("count(//tr[contains(@class, 'failed')]/td[1]/span[@class='mark failed'])", 3);
    STR ("//tr[contains(@class, 'failed')][1]/td[3]", "not translated: service <down>");
    STR ("//section[1]/h2", "Tom & Jerry <Show>");
    STR ("//section[1]//tr[2]/td[2]", "A bold move & \"x\" < y.");
    NUM ("count(//section[1]//tr[2]/td[2]/b)", 1);
    NUM ("count(//section[1]//tr[2]/td[3]/b)", 1);
    /* the record that failed before its segments says why */
    STR ("//section[4]/p[contains(@class, 'failed')]",
         "\xc3\x97 not translated: prepare: not an article");
    NUM ("count(//script)", 0);
    /* The https link keeps its href, the javascript: one loses it. */
    NUM ("count(//td[@class='s' or @class='t']//a)", 6);
    NUM ("count(//td[@class='s' or @class='t']//a[@href])", 3);
    NUM ("count(//a[starts-with(@href, 'javascript')])", 0);
    STR ("//td[@class='s']//a[@href][1]/@href", "https://e.com/?a=1&b=2");
    NUM ("count(//td[@lang='ja'][contains(., '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e')])", 1);
    NUM ("count(//td[contains(., '</b> odd')])", 3);
    xmlFreeDoc (doc);

    /* A warning is marked and said; one pair only says so in the title. */
    json_t *warned = json_deep_copy (records [0]);
    json_object_set_new (json_array_get (json_object_get (json_array_get (
        json_object_get (warned, "paragraphs"), 0), "segments"), 0), "warning",
        json_string ("markup dropped"));
    s_run (HNY_EXPORT_HTML, "warned.html", &warned, 1);
    json_decref (warned);
    path = s_path ("warned.html");
    doc = htmlReadFile (path, "UTF-8", S_HTML_OPTIONS);
    free (path);
    if (doc) {
        name = "warned.html";
        STR ("/html/head/title", "honyaku export: 1 article, en \xe2\x86\x92 es");
        NUM ("count(//tr[contains(@class, 'warning')]/td[1]/span[@class='mark warning'])", 1);
        STR ("//tr[contains(@class, 'warning')]/td[3]/span[@class='reason']", " warning: markup dropped");
        xmlFreeDoc (doc);
    }
}

/* Lines of a file; *count set. Caller frees the lines and the array. */
static char **
s_lines (const char *name, size_t *count)
{
    char *path = s_path (name);
    FILE *f = fopen (path, "r");
    free (path);
    *count = 0;
    if (!f)
        return NULL;
    char **lines = NULL, *line = NULL;
    size_t alloc = 0;
    ssize_t n;
    while ((n = getline (&line, &alloc, f)) >= 0) {
        lines = realloc (lines, (*count + 1) * sizeof *lines);
        if (n && line [n - 1] == '\n')
            line [n - 1] = 0;
        lines [(*count)++] = strdup (line);
    }
    free (line);
    fclose (f);
    return lines;
}

static void
s_free_lines (char **lines, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (lines [i]);
    free (lines);
}

static void
s_test_moses (json_t **records)
{
    /* One pair: corpus.en and corpus.es. */
    hny_export_stats_t st = s_run (HNY_EXPORT_MOSES, "m1", records, 1);
    CHECK (st.pairs == 3 && st.missing == 1, "moses stats %ld %ld", st.pairs, st.missing);
    size_t ne, ns;
    char **en = s_lines ("m1/corpus.en", &ne), **es = s_lines ("m1/corpus.es", &ns);
    CHECK (ne == 3 && ns == 3, "moses line counts %zu %zu", ne, ns);
    if (ne == 3 && ns == 3) {
        CHECK (!strcmp (en [0], "Tom & Jerry") && !strcmp (es [0], "Tom y Jerry"), "title line");
        CHECK (!strcmp (en [1], "A bold move & \"x\" < y."), "en[1] '%s'", en [1]);
        CHECK (!strcmp (es [1], "Un movimiento audaz & \"x\" < y."), "es[1] '%s'", es [1]);
        CHECK (!strcmp (en [2], "Line one line two it </b> odd \xef\xbf\xbd."), "en[2] '%s'", en [2]);
        CHECK (!strcmp (es [2], "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xe3\x83\x86\xe3\x82\xad end"),
               "es[2] '%s'", es [2]);
    }
    s_free_lines (en, ne);
    s_free_lines (es, ns);

    /* Two pairs: corpus.en-es.{en,es} and corpus.en-ja.{en,ja}, aligned. */
    st = s_run (HNY_EXPORT_MOSES, "m2", records, 3);
    CHECK (st.pairs == 9 && st.missing == 3, "moses 2 stats %ld %ld", st.pairs, st.missing);
    char **a = s_lines ("m2/corpus.en-es.en", &ne), **b = s_lines ("m2/corpus.en-es.es", &ns);
    CHECK (ne == 6 && ns == 6, "en-es line counts %zu %zu", ne, ns);
    s_free_lines (a, ne);
    s_free_lines (b, ns);
    a = s_lines ("m2/corpus.en-ja.en", &ne);
    b = s_lines ("m2/corpus.en-ja.ja", &ns);
    CHECK (ne == 3 && ns == 3, "en-ja line counts %zu %zu", ne, ns);
    s_free_lines (a, ne);
    s_free_lines (b, ns);
    char *p = s_path ("m2/corpus.en");
    CHECK (access (p, F_OK) != 0, "no corpus.en with two pairs");
    free (p);
}

static void
s_test_jsonl (json_t **records)
{
    hny_export_stats_t st = s_run (HNY_EXPORT_JSONL, "out.jsonl", records, 2);
    CHECK (st.records == 2, "jsonl records %ld", st.records);
    size_t n;
    char **lines = s_lines ("out.jsonl", &n);
    CHECK (n == 2, "jsonl lines %zu", n);
    for (size_t i = 0; i < n; i++) {
        json_t *back = json_loads (lines [i], 0, NULL);
        CHECK (back && json_equal (back, records [i]), "jsonl line %zu round trip", i);
        json_decref (back);
    }
    s_free_lines (lines, n);
}

/* Malformed records are refused with a reason; the output never appears. */
static void
s_test_refusals (void)
{
    const char *bad [] = {
        "[1]",
        "{\"schema\": \"other/1\", \"source_lang\": \"en\", \"target_lang\": \"es\", \"paragraphs\": []}",
        "{\"schema\": \"honyaku.record/1\", \"source_lang\": \"../x\", \"target_lang\": \"es\", \"paragraphs\": []}",
        "{\"schema\": \"honyaku.record/1\", \"source_lang\": \"en\", \"target_lang\": \"es\"}",
        "{\"schema\": \"honyaku.record/1\", \"source_lang\": \"en\", \"target_lang\": \"es\","
        " \"paragraphs\": [{\"segments\": [{\"src\": 5}]}]}",
        "{\"schema\": \"honyaku.record/1\", \"source_lang\": \"en\", \"target_lang\": \"es\","
        " \"paragraphs\": [{\"segments\": [{\"src\": \"a\", \"tgt\": []}]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        json_t *r = json_loads (bad [i], 0, NULL);
        CHECK (r, "bad[%zu] parses", i);
        char *why = NULL, *path = s_path ("bad.tmx");
        hny_export_t *exp = hny_export_new (HNY_EXPORT_TMX, path, &why);
        CHECK (exp, "new: %s", why ? why : "?");
        if (exp) {
            CHECK (hny_export_add (exp, r) == -1 && hny_export_error (exp), "bad[%zu] refused", i);
            CHECK (hny_export_finish (exp) == -1, "finish after a refusal fails");
            hny_export_destroy (&exp);
        }
        CHECK (access (path, F_OK) != 0, "no bad.tmx left");
        char *tmp = s_path ("bad.tmx.tmp");
        CHECK (access (tmp, F_OK) != 0, "no bad.tmx.tmp left");
        free (tmp);
        free (path);
        json_decref (r);
    }
    char *why = NULL;
    CHECK (hny_export_new (HNY_EXPORT_MOSES, NULL, &why) == NULL && why, "moses needs a dir");
    free (why);
    why = NULL;
    CHECK (hny_export_new (HNY_EXPORT_TMX, "/nonexistent-dir/x.tmx", &why) == NULL && why,
           "unwritable path");
    free (why);
    CHECK (hny_export_format_parse ("xliff") == HNY_EXPORT_XLIFF, "parse xliff");
    CHECK (hny_export_format_parse ("xliff20") == HNY_EXPORT_XLIFF, "parse xliff20");
    CHECK (hny_export_format_parse ("xliff12") == HNY_EXPORT_XLIFF12, "parse xliff12");
    CHECK (hny_export_format_parse ("docx") == -1, "parse docx");
}

/* No records: the documents are still well-formed. */
static void
s_test_empty (void)
{
    const char *names [] = { "e.tmx", "e.xlf", "e12.xlf", "e.html" };
    hny_export_format_t formats [] = { HNY_EXPORT_TMX, HNY_EXPORT_XLIFF, HNY_EXPORT_XLIFF12,
                                       HNY_EXPORT_HTML };
    for (int i = 0; i < 4; i++) {
        s_run (formats [i], names [i], NULL, 0);
        xmlDocPtr doc = s_parse_xml (names [i]);
        xmlFreeDoc (doc);
    }
}

/* Language tags: canonical case, and what a person may type. */
static void
s_test_lang (void)
{
    const char *cases [][2] = {
        { "en", "en" }, { "EN", "en" }, { "pt_br", "pt-BR" }, { "zh-hant", "zh-Hant" },
        { "ZH-HANT-tw", "zh-Hant-TW" }, { "sr-latn-rs", "sr-Latn-RS" }, { "es-419", "es-419" },
        { "en-x-TWAIN", "en-x-twain" }, { "de-CH-1996", "de-CH-1996" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        char out [40];
        CHECK (hny_export_lang_canon (cases [i][0], out, sizeof out) == 0
               && !strcmp (out, cases [i][1]), "canon %s = %s", cases [i][0], out);
    }
    char out [40];
    CHECK (hny_export_lang_canon ("../x", out, sizeof out) == -1 && !*out, "canon ../x");
    CHECK (hny_export_lang_canon ("", out, sizeof out) == -1, "canon empty");
    CHECK (hny_export_lang_canon ("english", out, sizeof out) == -1 && !*out, "canon english");
    CHECK (hny_export_lang_canon ("xx", out, sizeof out) == -1, "canon xx");
}

static void
s_remove_tree (const char *path)
{
    DIR *d = opendir (path);
    if (!d) {
        unlink (path);
        return;
    }
    struct dirent *e;
    while ((e = readdir (d)))
        if (strcmp (e->d_name, ".") && strcmp (e->d_name, "..")) {
            size_t n = strlen (path) + strlen (e->d_name) + 2;
            char *sub = malloc (n);
            snprintf (sub, n, "%s/%s", path, e->d_name);
            s_remove_tree (sub);
            free (sub);
        }
    closedir (d);
    rmdir (path);
}

int
main (void)
{
    if (!mkdtemp (s_dir)) {
        perror ("mkdtemp");
        return 2;
    }
    /* es, ja, es, and an es record whose job failed before it had segments */
    json_t *records [4] = { s_record ("a1", "es"), s_record ("a2", "ja"), s_record ("a3", "es"),
                            s_record ("a4", "es") };
    json_object_set_new (records [3], "title", json_null ());
    json_object_set_new (records [3], "paragraphs", json_array ());
    json_object_set_new (records [3], "errors", json_pack ("[{s:n, s:n, s:i, s:s, s:s}]",
                         "paragraph", "segment", "code", 422, "class", "permanent",
                         "reason", "prepare: not an article"));
    s_test_tmx (records);
    s_test_pairs (records);
    s_test_xliff (records);
    s_test_xliff12 (records);
    s_test_html (records);
    s_test_moses (records);
    s_test_jsonl (records);
    s_test_refusals ();
    s_test_empty ();
    s_test_lang ();
    for (int i = 0; i < 4; i++)
        json_decref (records [i]);
    s_remove_tree (s_dir);
    xmlCleanupParser ();
    if (s_failures) {
        fprintf (stderr, "test_export: %d failures\n", s_failures);
        return 1;
    }
    printf ("test_export: ok\n");
    return 0;
}
