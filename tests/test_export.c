/*  test_export.c: the record writers of client/hny_export.h, without a
    daemon. Builds records in memory (inline markup, an unpaired tag, a
    failed segment, Japanese, characters XML must escape, a control
    character, an unsafe link, a second language pair), runs every format
    into a temporary directory and reads the output back: libxml2 for TMX,
    XLIFF and HTML (well-formed, counts, languages, escaping), line counts
    and alignment for Moses, and the refusals of malformed records. */
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
    hny_export_stats_t st = s_run (HNY_EXPORT_TMX, name, records, 2);
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
    NUM ("count(//tuv[2][@xml:lang='es'])", 3);
    NUM ("count(//tuv[2][@xml:lang='ja'])", 3);
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

static void
s_test_xliff (json_t **records)
{
    const char *name = "out.xlf", *ns = "urn:oasis:names:tc:xliff:document:2.0";
    hny_export_stats_t st = s_run (HNY_EXPORT_XLIFF, name, records, 3);
    /* records: es, ja (another pair: skipped), es again */
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
    NUM ("count(//x:file[1]//x:segment[@state='translated']/x:target)", 3);
    NUM ("count(//x:file[1]//x:segment[@state='initial'])", 1);
    NUM ("count(//x:file[1]//x:segment[@state='initial']/x:target)", 0);
    STR ("//x:file[1]/x:notes/x:note[@category='job']", "a1");
    STR ("//x:file[1]/x:notes/x:note[@category='title']", "Tom & Jerry <Show>");
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
}

static void
s_test_html (json_t **records)
{
    const char *name = "out.html", *ns = NULL;
    hny_export_stats_t st = s_run (HNY_EXPORT_HTML, name, records, 2);
    CHECK (st.records == 2 && st.pairs == 8, "html stats %ld %ld", st.records, st.pairs);
    /* Well-formed as XML too, and what an HTML parser sees: */
    xmlDocPtr xdoc = s_parse_xml (name);
    xmlFreeDoc (xdoc);
    char *path = s_path (name);
    xmlDocPtr doc = htmlReadFile (path, "UTF-8", HTML_PARSE_NONET);
    free (path);
    CHECK (doc, "html does not parse");
    if (!doc)
        return;
    NUM ("count(//div[@class='article'])", 2);
    NUM ("count(//div[@class='article']/table/tbody/tr)", 8);
    NUM ("count(//tr[contains(@class, 'failed')])", 2);
    STR ("//tr[contains(@class, 'failed')][1]/td[2]", "not translated: service <down>");
    STR ("//div[@class='article'][1]/h2", "Tom & Jerry <Show>");
    STR ("//div[@class='article'][1]//tr[2]/td[1]", "A bold move & \"x\" < y.");
    NUM ("count(//div[@class='article'][1]//tr[2]/td[1]/b)", 1);
    NUM ("count(//div[@class='article'][1]//tr[2]/td[2]/b)", 1);
    NUM ("count(//script)", 0);
    /* The https link keeps its href, the javascript: one loses it. */
    NUM ("count(//a)", 4);
    NUM ("count(//a[@href])", 2);
    NUM ("count(//a[starts-with(@href, 'javascript')])", 0);
    STR ("//a[@href][1]/@href", "https://e.com/?a=1&b=2");
    NUM ("count(//td[@lang='ja'][contains(., '\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e')])", 1);
    NUM ("count(//td[contains(., '</b> odd')])", 2);
    xmlFreeDoc (doc);
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
    CHECK (hny_export_format_parse ("docx") == -1, "parse docx");
}

/* No records: the documents are still well-formed. */
static void
s_test_empty (void)
{
    const char *names [] = { "e.tmx", "e.xlf", "e.html" };
    hny_export_format_t formats [] = { HNY_EXPORT_TMX, HNY_EXPORT_XLIFF, HNY_EXPORT_HTML };
    for (int i = 0; i < 3; i++) {
        s_run (formats [i], names [i], NULL, 0);
        xmlDocPtr doc = s_parse_xml (names [i]);
        xmlFreeDoc (doc);
    }
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
    json_t *records [3] = { s_record ("a1", "es"), s_record ("a2", "ja"), s_record ("a3", "es") };
    s_test_tmx (records);
    s_test_xliff (records);
    s_test_html (records);
    s_test_moses (records);
    s_test_jsonl (records);
    s_test_refusals ();
    s_test_empty ();
    for (int i = 0; i < 3; i++)
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
