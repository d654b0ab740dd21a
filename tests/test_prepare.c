/*  test_prepare.c: the whole prepare pipeline (charset -> extract ->
    normalize -> segment -> JSON) on the shared sample page and the test
    articles, its JSON shape (honyaku.prepared/1), consistent statistics,
    and the error statuses (413, 415, 422).
    Usage: test_prepare SAMPLES_DIR ARTICLES_DIR */
#include "honyaku/prepare.h"
#include "honyaku/util.h"

#include "hny_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static hny_preparer_t *s_preparer;

static char *
s_read (const char *dir, const char *name, size_t *size)
{
    char *path = hny_sprintf ("%s/%s", dir, name);
    char *data = NULL;
    if (hny_file_read (path, 1 << 20, &data, size) != 0) {
        fprintf (stderr, "cannot read %s\n", path);
        exit (2);
    }
    free (path);
    return data;
}

static size_t
s_code_points (const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char) *s & 0xC0) != 0x80)
            n++;
    return n;
}

static const char *
s_get_str (json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}

/* Checks every prepared article must pass: schema, shapes, stats that add up,
   no empty or chrome segments. Returns the number of segments. */
static size_t
s_check_shape (json_t *out)
{
    static const char *chrome[] = {
        "Past issues", "Bookmark", "Copyright", "Advanced search", "HOME", NULL
    };
    CHECK (json_is_object (out));
    CHECK (s_get_str (out, "schema") && strcmp (s_get_str (out, "schema"), "honyaku.prepared/1") == 0);
    CHECK (s_get_str (out, "format") != NULL);
    CHECK (s_get_str (out, "charset") != NULL);
    CHECK (json_is_integer (json_object_get (out, "replaced")));
    CHECK (json_is_object (json_object_get (out, "metadata")));
    json_t *title = json_object_get (out, "title");
    CHECK (json_is_null (title) || json_is_string (json_object_get (title, "src")));
    json_t *paragraphs = json_object_get (out, "paragraphs");
    json_t *stats = json_object_get (out, "stats");
    CHECK (json_is_array (paragraphs) && json_is_object (stats));
    size_t segments = 0, chars = 0, bytes = 0;
    if (json_is_string (json_object_get (title, "src"))) {
        const char *src = json_string_value (json_object_get (title, "src"));
        chars += s_code_points (src);
        bytes += strlen (src);
    }
    size_t i, j;
    json_t *para, *seg;
    json_array_foreach (paragraphs, i, para) {
        json_t *segs = json_object_get (para, "segments");
        CHECK (json_is_array (segs) && json_array_size (segs) > 0);
        json_array_foreach (segs, j, seg) {
            const char *src = s_get_str (seg, "src");
            CHECK (src && *src);
            if (!src)
                continue;
            CHECK (src[0] != ' ' && src[strlen (src) - 1] != ' ');
            for (int c = 0; chrome[c]; c++)
                if (strstr (src, chrome[c])) {
                    fprintf (stderr, "segment holds \"%s\": %s\n", chrome[c], src);
                    s_failures++;
                }
            chars += s_code_points (src);
            bytes += strlen (src);
            segments++;
        }
    }
    CHECK ((size_t) json_integer_value (json_object_get (stats, "paragraphs")) == json_array_size (paragraphs));
    CHECK ((size_t) json_integer_value (json_object_get (stats, "segments")) == segments);
    CHECK ((size_t) json_integer_value (json_object_get (stats, "chars")) == chars);
    CHECK ((size_t) json_integer_value (json_object_get (stats, "bytes")) == bytes);
    return segments;
}

static json_t *
s_prepare (const void *data, size_t size, const hny_prepare_opts_t *opts)
{
    int status = 0;
    char *reason = NULL;
    json_t *out = hny_prepare (s_preparer, data, size, opts, &status, &reason);
    if (!out) {
        fprintf (stderr, "prepare failed: %d %s\n", status, reason);
        s_failures++;
    }
    else
        CHECK (status == 200 && reason == NULL);
    free (reason);
    return out;
}

static void
s_expect_status (const void *data, size_t size, const hny_prepare_opts_t *opts, int want, const char *fragment)
{
    int status = 0;
    char *reason = NULL;
    json_t *out = hny_prepare (s_preparer, data, size, opts, &status, &reason);
    if (out) {
        fprintf (stderr, "expected %d, got a prepared article\n", want);
        s_failures++;
        json_decref (out);
        return;
    }
    if (status != want || !reason || (fragment && !strstr (reason, fragment))) {
        fprintf (stderr, "expected %d \"%s\", got %d \"%s\"\n", want, fragment ? fragment : "",
                 status, reason ? reason : "(null)");
        s_failures++;
    }
    free (reason);
}

int
main (int argc, char **argv)
{
    if (argc != 3) {
        fprintf (stderr, "usage: test_prepare SAMPLES_DIR ARTICLES_DIR\n");
        return 2;
    }
    hny_log_init ("test_prepare", HNY_LOG_WARN);
    s_preparer = hny_preparer_new ();
    size_t size;

    /* the shared sample, twice (the second run reuses cached ICU objects) */
    char *data = s_read (argv[1], "jpw-2019-04-21-threat-2plus2.txt", &size);
    hny_prepare_opts_t opts = { .source = "modules/news/index.php?id=11779" };
    for (int pass = 0; pass < 2; pass++) {
        json_t *out = s_prepare (data, size, &opts);
        if (!out)
            continue;
        size_t segments = s_check_shape (out);
        CHECK (segments >= 10 && segments <= 30);   /* 7 paragraphs, 11 sentences */
        CHECK (strcmp (s_get_str (out, "format"), "jpw") == 0);
        CHECK (strcmp (s_get_str (out, "charset"), "UTF-8") == 0);
        CHECK (json_integer_value (json_object_get (out, "replaced")) == 0);
        json_t *meta = json_object_get (out, "metadata");
        const char *title = "'Threat' recognized in Japan-US '2+2' talks shifts to China and Russia from DPRK";
        CHECK (s_get_str (meta, "title") && strcmp (s_get_str (meta, "title"), title) == 0);
        CHECK (strcmp (s_get_str (json_object_get (out, "title"), "src"), title) == 0);
        CHECK (s_get_str (meta, "date") && strcmp (s_get_str (meta, "date"), "2019-04-21") == 0);
        CHECK (s_get_str (meta, "issue") && strcmp (s_get_str (meta, "issue"), "2019 April 17 - 23") == 0);
        CHECK (s_get_str (meta, "section") && strcmp (s_get_str (meta, "section"), "POLITICS") == 0);
        CHECK (s_get_str (meta, "source") && strcmp (s_get_str (meta, "source"), opts.source) == 0);
        CHECK (json_array_size (json_object_get (meta, "related")) == 3);
        CHECK (s_get_str (json_array_get (json_object_get (meta, "related"), 1), "date")
               && strcmp (s_get_str (json_array_get (json_object_get (meta, "related"), 1), "date"), "2018-09-01") == 0);
        CHECK (json_array_size (json_object_get (out, "paragraphs")) == 7);
        json_t *first = json_array_get (json_object_get (json_array_get (json_object_get (out, "paragraphs"), 0), "segments"), 0);
        CHECK (strncmp (s_get_str (first, "src"), "A change was seen in regard to \"threats\"", 40) == 0);
        json_decref (out);
    }

    /* a size cap of our own: 413 names the size */
    opts.max_bytes = 100;
    s_expect_status (data, size, &opts, 413, "the limit is 100");
    free (data);

    /* every test article of ours either prepares or is refused as an index */
    const char *names[] = {
        "jpw-2017-01-29-top3-part-time-teachers.txt", "jpw-2005-428-header-cp1252.txt",
        "jpw-2006-bare-editorial.txt", "jpw-2022-05-18-okinawa.html",
        "akahata-2021-06-09-minimum-wage-sjis.txt", NULL
    };
    const char *charsets[] = { "UTF-8", "windows-1252", "UTF-8", "UTF-8", "Shift_JIS" };
    const char *formats[] = { "jpw", "jpw", "text", "jpw", "text" };
    for (int i = 0; names[i]; i++) {
        data = s_read (argv[2], names[i], &size);
        hny_prepare_opts_t o = { .lang = strstr (names[i], "akahata") ? "ja" : "en",
                                 .source = "2005/428/article.html" };
        json_t *out = s_prepare (data, size, &o);
        if (out) {
            s_check_shape (out);
            if (strcmp (s_get_str (out, "charset"), charsets[i]) != 0
                || strcmp (s_get_str (out, "format"), formats[i]) != 0) {
                fprintf (stderr, "%s: %s %s\n", names[i], s_get_str (out, "charset"), s_get_str (out, "format"));
                s_failures++;
            }
            CHECK (json_is_string (json_object_get (json_object_get (out, "title"), "src")));
            json_decref (out);
        }
        free (data);
    }
    /* Japanese pages through the whole pipeline: metadata, and sentences
       that hold the article and nothing of the page around it */
    data = s_read (argv[2], "akahata-2021-03-06-minimum-wage-eucjp.html", &size);
    hny_prepare_opts_t ja = { .lang = "ja" };
    json_t *out = s_prepare (data, size, &ja);
    if (out) {
        s_check_shape (out);
        CHECK_STR (s_get_str (out, "charset"), "EUC-JP");
        CHECK_STR (s_get_str (out, "format"), "html");
        json_t *meta = json_object_get (out, "metadata");
        CHECK_STR (s_get_str (meta, "title"), "最低賃金1500円へ 全国で宣伝行動");
        CHECK_STR (s_get_str (meta, "date"), "2021-03-06");
        CHECK_STR (s_get_str (meta, "section"), "経済");
        const char *want[] = {
            "労働組合と市民 「地域の格差なくせ」",
            "全国労働組合総連合（全労連）や地域の労働組合は5日、最低賃金を全国一律で時給1500円に"
            "引き上げるよう求める宣伝行動を各地で行いました。",
            "東京・新宿駅前では、青年ユニオンのメンバーらがマイクを握りました。",
            "飲食店で働く女性は「時給が低く、二つの仕事を掛け持ちしても生活が苦しい」と訴えました。",
            "全労連の試算では、地方でも都市部でも、普通に暮らすには時給1500円以上が必要です。",
            "中小企業への支援とあわせて引き上げるべきだとの声が相次ぎました。", NULL
        };
        size_t k = 0, p, q;
        json_t *para, *seg;
        json_array_foreach (json_object_get (out, "paragraphs"), p, para)
            json_array_foreach (json_object_get (para, "segments"), q, seg) {
                CHECK (want[k] != NULL);
                if (want[k])
                    CHECK_STR (s_get_str (seg, "src"), want[k++]);
            }
        CHECK (want[k] == NULL);
        json_decref (out);
    }
    free (data);
    data = s_read (argv[2], "akahata-2021-03-06-tuition-cp932.txt", &size);
    out = s_prepare (data, size, &ja);
    if (out) {
        json_t *meta = json_object_get (out, "metadata");
        CHECK_STR (s_get_str (meta, "title"), "学費の負担軽減へ 署名10万人分を提出");
        CHECK_STR (s_get_str (meta, "date"), "2021-03-06");
        CHECK_STR (s_get_str (meta, "section"), "社会");
        CHECK (json_integer_value (json_object_get (json_object_get (out, "stats"), "segments")) == 4);
        json_decref (out);
    }
    free (data);

    data = s_read (argv[2], "jpw-index-2020-05-13.txt", &size);
    s_expect_status (data, size, NULL, 422, "index page: lists 4 articles");
    free (data);

    /* plain: no title, the null title in the JSON */
    const char *plain = "One paragraph. Two sentences.\n\nAnother one.\n";
    hny_prepare_opts_t po = { .format = "plain" };
    out = s_prepare (plain, strlen (plain), &po);
    if (out) {
        s_check_shape (out);
        CHECK (json_is_null (json_object_get (out, "title")));
        CHECK (json_object_get (json_object_get (out, "metadata"), "title") == NULL);
        CHECK (json_integer_value (json_object_get (json_object_get (out, "stats"), "paragraphs")) == 2);
        json_decref (out);
    }

    /* lenient: undecodable bytes become U+FFFD, counted */
    const char *broken = "Title\n\nA caf\xC3 with a broken byte. And 日本語 too.\n";
    hny_prepare_opts_t lenient = { .lenient = 1 };
    out = s_prepare (broken, strlen (broken), &lenient);
    if (out) {
        CHECK (json_integer_value (json_object_get (out, "replaced")) == 1);
        json_decref (out);
    }
    s_expect_status (broken, strlen (broken), NULL, 415, "byte offset 12");

    /* 20 MB: 413 before anything is decoded */
    size_t big = 20u * 1024 * 1024;
    char *huge = hny_malloc (big);
    memset (huge, 'a', big);
    s_expect_status (huge, big, NULL, 413, "limit");
    free (huge);

    /* empty, blank and binary input */
    s_expect_status ("", 0, NULL, 422, NULL);
    s_expect_status ("\n \n\t\n", 5, NULL, 422, NULL);
    const unsigned char gif[] = { 'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF };
    s_expect_status (gif, sizeof gif, NULL, 415, "not text");
    hny_prepare_opts_t badlang = { .lang = "en; rm -rf" };
    s_expect_status ("Text.", 5, &badlang, 422, "language");

    /* inline markup: kept per segment, closed and reopened where a sentence
       boundary cuts an element; plain text escaped the same way */
    const char *marked =
        "<html><body><h1>A &lt;title&gt;</h1><p>He said <i>this is it. And more</i> words, "
        "<b>R&amp;D</b> &amp; <a href=\"/a?x=1&amp;y=2\">a <em>link</em></a>.</p>"
        "<p>Plain 1 &lt; 2 text.</p><b>Bold <p>across a block.</p></b></body></html>";
    hny_prepare_opts_t html = { .format = "html" };
    out = s_prepare (marked, strlen (marked), &html);
    if (out) {
        s_check_shape (out);
        json_t *paras = json_object_get (out, "paragraphs");
        json_t *segs = json_object_get (json_array_get (paras, 0), "segments");
        CHECK (json_array_size (segs) == 2);
        CHECK_STR (s_get_str (json_array_get (segs, 0), "src"), "He said <i>this is it.</i>");
        CHECK_STR (s_get_str (json_array_get (segs, 1), "src"),
                   "<i>And more</i> words, <b>R&D</b> & <a href=\"/a?x=1&amp;y=2\">a <i>link</i></a>.");
        segs = json_object_get (json_array_get (paras, 1), "segments");
        CHECK_STR (s_get_str (json_array_get (segs, 0), "src"), "Plain 1 < 2 text.");
        CHECK_STR (s_get_str (json_object_get (out, "title"), "src"), "A <title>");
        /* an element cut by a block: closed there, no stray tag left as text */
        segs = json_object_get (json_array_get (paras, 2), "segments");
        CHECK_STR (s_get_str (json_array_get (segs, 0), "src"), "<b>Bold</b>");
        segs = json_object_get (json_array_get (paras, 3), "segments");
        CHECK_STR (s_get_str (json_array_get (segs, 0), "src"), "across a block.");
        CHECK_STR (s_get_str (json_object_get (out, "metadata"), "title"), "A <title>");
        json_decref (out);
    }
    /* a plain text article: escaped, no markup */
    const char *text_tags = "Title\n\nA <b>not bold</b> & fine &lt; text.\n";
    out = s_prepare (text_tags, strlen (text_tags), NULL);
    if (out) {
        json_t *segs = json_object_get (json_array_get (json_object_get (out, "paragraphs"), 0),
                                        "segments");
        CHECK_STR (s_get_str (json_array_get (segs, 0), "src"),
                   "A &lt;b>not bold&lt;/b> & fine &amp;lt; text.");
        json_decref (out);
    }
    /* a million tiny blocks: refused early, not a 400 MB tree */
    size_t blocks = 1000000;
    char *many = hny_malloc (blocks * 4 + 32);
    strcpy (many, "<html><body>");
    for (size_t i = 0; i < blocks; i++)
        memcpy (many + 12 + 4 * i, "<p>x", 4);
    strcpy (many + 12 + 4 * blocks, "</body></html>");
    s_expect_status (many, strlen (many), NULL, 413, "lines of text");
    free (many);

    hny_preparer_destroy (&s_preparer);
    CHECK (s_preparer == NULL);
    return s_check_done ("test_prepare");
}
