/*  hny_cli_tm.c: `honyaku tm import` and `honyaku tm export`, the
    translation memory's way in and out (README "Translation memory",
    PROTOCOL.md 5.1 TMIMPORT and TMEXPORT).

    import reads one file whole (at most HNY_CLI_TM_FILE_MAX bytes, or
    --max-bytes when given larger or smaller than the default), finds its
    kind by its first bytes (a JSON object: records, JSON Lines; else XML,
    by its root: <tmx>, <xliff version="1.2">, <xliff version="2.x">),
    collects every pair it holds for one language pair, and sends them to
    honyakud in one TMIMPORT, which keeps them all or none. Nothing is sent
    unless the whole file was read without error: a broken XML, an unknown
    language, units of another pair, a file without any entry are errors
    that import nothing.

    XML is parsed by libxml2 into a tree (the file is capped, and
    XML_PARSE_NONET with no entity substitution or DTD loading: a file
    cannot make the parser read anything else), with XML_PARSE_HUGE left
    off (libxml2's own caps on text nodes and depth stay). Inline markup
    comes back as PROTOCOL.md 11.1 writes it, so that an imported pair is
    keyed as the prepared source is: TMX <bpt>/<ept>/<ph>/<it> give their
    native code, XLIFF 1.2 <g ctype="bold|italic"> gives <b>/<i>, <bpt>/
    <ept>/<ph> their native code, XLIFF 2.0 <pc subType="xlf:b|xlf:i">
    gives <b>/<i> and a link <pc> its tag from <originalData>. */
#include "hny_cli.h"
#include "hny_export.h"

#include <honyaku/proto.h>
#include <honyaku/record.h>
#include <honyaku/util.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define HNY_CLI_TM_FILE_MAX ((size_t) HNY_PROTO_BODY_MAX / 2)   /* its pairs as JSON
                                       (escapes added) must fit one message */
#define S_EXPORT_PAGE 1000

/* What an import collected. */
typedef struct {
    const char *path;
    char from [HNY_LANG_MAX + 1], to [HNY_LANG_MAX + 1];  /* "" until known */
    int fixed;                  /* the pair came from --from/--to */
    int all;                    /* --all: any target, reviewed or not */
    json_t *pairs;              /* [[src, tgt], ...] */
    long skipped;               /* units left out: no target, or not reviewed */
    char error [512];           /* the first error: nothing is imported */
} s_import_t;

static int
s_error (s_import_t *im, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
s_error (s_import_t *im, const char *fmt, ...)
{
    if (!im->error [0]) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (im->error, sizeof im->error, fmt, args);
        va_end (args);
    }
    return -1;
}

/* Take a language pair of a unit: the file's (or --from/--to) when it is
   the first, else it must be that one. where names the unit for errors. */
static int
s_pair (s_import_t *im, const char *from, const char *to, const char *where)
{
    char f [HNY_LANG_MAX + 1], t [HNY_LANG_MAX + 1], why [160];
    if (!from || !to)
        return s_error (im, "%s: %s has no %s language", im->path, where, !from ? "source" : "target");
    if (hny_lang_canonical (from, f, why, sizeof why) || hny_lang_canonical (to, t, why, sizeof why))
        return s_error (im, "%s: %s: %s", im->path, where, why);
    if (!im->from [0]) {
        snprintf (im->from, sizeof im->from, "%s", f);
        snprintf (im->to, sizeof im->to, "%s", t);
    }
    if (strcmp (f, im->from) || strcmp (t, im->to))
        return s_error (im, "%s: %s is %s-%s, not %s-%s%s", im->path, where, f, t, im->from, im->to,
                        im->fixed ? "" : " (a file of mixed pairs: give --from and --to to take one)");
    return 0;
}

static void
s_add (s_import_t *im, const char *src, const char *tgt)
{
    json_array_append_new (im->pairs, json_pack ("[s, s]", src, tgt));
}

/* ------------------------------------------------------------- XML */

static int
s_is (const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && strcmp ((const char *) node->name, name) == 0;
}

static char *
s_attr (const xmlNode *node, const char *name)
{
    return (char *) xmlGetProp (node, (const xmlChar *) name);
}

/* The xml:lang (or lang, TMX 1.1) of a node. */
static char *
s_lang (const xmlNode *node)
{
    char *lang = (char *) xmlGetNsProp (node, (const xmlChar *) "lang", XML_XML_NAMESPACE);
    return lang ? lang : s_attr (node, "lang");
}

/* Append the text of node's content to buf, inline elements as 11.1
   writes them (see the file's comment). odata: XLIFF 2.0's
   <originalData> of the unit, or NULL. */
static void
s_inline (hny_buf_t *buf, const xmlNode *node, const xmlNode *odata)
{
    for (const xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            hny_buf_adds (buf, (const char *) c->content);
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *) c->name;
        char *kind = s_attr (c, "ctype"), *sub = s_attr (c, "subType"), *ref = s_attr (c, "dataRefStart");
        const char *tag = (kind && strcmp (kind, "bold") == 0) || (sub && strcmp (sub, "xlf:b") == 0) ? "b"
                        : (kind && strcmp (kind, "italic") == 0) || (sub && strcmp (sub, "xlf:i") == 0) ? "i"
                        : NULL;
        if ((strcmp (name, "g") == 0 || strcmp (name, "pc") == 0) && tag) {
            hny_buf_adds (buf, tag [0] == 'b' ? "<b>" : "<i>");
            s_inline (buf, c, odata);
            hny_buf_adds (buf, tag [0] == 'b' ? "</b>" : "</i>");
        }
        else if (strcmp (name, "pc") == 0 && ref && odata) {
            /* A link: its opening tag is kept in <originalData>. */
            for (const xmlNode *d = odata->children; d; d = d->next) {
                char *id = s_is (d, "data") ? s_attr (d, "id") : NULL;
                if (id && strcmp (id, ref) == 0)
                    s_inline (buf, d, NULL);
                xmlFree (id);
            }
            s_inline (buf, c, odata);
            hny_buf_adds (buf, "</a>");
        }
        else if (strcmp (name, "x") && strcmp (name, "bx") && strcmp (name, "ex")
             &&  strcmp (name, "sc") && strcmp (name, "ec") && strcmp (name, "ph")
             &&  strcmp (name, "sub"))
            s_inline (buf, c, odata);      /* bpt, ept, it, ph (TMX), g, pc, mrk, hi: content */
        else if (strcmp (name, "ph") == 0 && !odata)
            s_inline (buf, c, odata);      /* TMX and 1.2 <ph>: native code */
        xmlFree (kind);
        xmlFree (sub);
        xmlFree (ref);
    }
}

/* The content of node as a new string (NULL: empty or over the cap). */
static char *
s_text (s_import_t *im, const xmlNode *node, const xmlNode *odata, const char *where)
{
    hny_buf_t buf = HNY_BUF_INIT (HNY_TM_TEXT_MAX);
    s_inline (&buf, node, odata);
    if (buf.toobig) {
        s_error (im, "%s: %s: a text over %d bytes", im->path, where, HNY_TM_TEXT_MAX);
        hny_buf_free (&buf);
        return NULL;
    }
    /* Only white space is no text. */
    const char *t = hny_buf_str (&buf);
    if (t [strspn (t, " \t\r\n")] == 0) {
        hny_buf_free (&buf);
        return NULL;
    }
    return hny_buf_take (&buf, NULL);
}

/* TMX 1.4b: each <tu> is a pair of two of its <tuv>s. */
static int
s_tmx (s_import_t *im, const xmlNode *root)
{
    const xmlNode *header = NULL, *body = NULL;
    for (const xmlNode *c = root->children; c; c = c->next) {
        header = s_is (c, "header") ? c : header;
        body = s_is (c, "body") ? c : body;
    }
    if (!body)
        return s_error (im, "%s: a <tmx> without <body>", im->path);
    char *srclang = header ? s_attr (header, "srclang") : NULL;
    long n = 0;
    for (const xmlNode *tu = body->children; tu && !im->error [0]; tu = tu->next) {
        if (!s_is (tu, "tu"))
            continue;
        char where [64];
        snprintf (where, sizeof where, "<tu> %ld", ++n);
        const xmlNode *tuv [8];
        char *langs [8];
        size_t count = 0;
        for (const xmlNode *c = tu->children; c; c = c->next)
            if (s_is (c, "tuv") && count < 8) {
                tuv [count] = c;
                langs [count++] = s_lang (c);
            }
        /* Which variants: --from/--to's, else the source language's and
           the one other (a tu of more is a file of mixed pairs). */
        int si = -1, ti = -1;
        char canon [HNY_LANG_MAX + 1], why [160];
        for (size_t i = 0; i < count; i++) {
            if (!langs [i] || hny_lang_canonical (langs [i], canon, why, sizeof why)) {
                s_error (im, "%s: %s: %s", im->path, where, langs [i] ? why : "a <tuv> without xml:lang");
                break;
            }
            const char *want_src = im->fixed ? im->from : srclang && strcmp (srclang, "*all*") ? srclang : NULL;
            char want [HNY_LANG_MAX + 1] = "";
            if (want_src)
                hny_lang_canonical (want_src, want, why, sizeof why);
            if (si < 0 && ((*want && strcmp (canon, want) == 0) || (!*want && i == 0)))
                si = (int) i;
            else if (im->fixed ? strcmp (canon, im->to) == 0 : ti < 0)
                ti = (int) i;
            else if (!im->fixed)
                s_error (im, "%s: %s has more than two languages: give --from and --to", im->path, where);
        }
        /* With --from/--to a tu without both is another pair's: left out. */
        if (!im->error [0] && (si < 0 || ti < 0) && im->fixed)
            im->skipped++;
        else if (!im->error [0] && (si < 0 || ti < 0))
            s_error (im, "%s: %s has no %s variant", im->path, where, si < 0 ? "source" : "target");
        else if (!im->error [0] && s_pair (im, langs [si], langs [ti], where) == 0) {
            const xmlNode *seg [2] = { NULL, NULL };
            for (int side = 0; side < 2; side++)
                for (const xmlNode *c = tuv [side ? ti : si]->children; c; c = c->next)
                    seg [side] = s_is (c, "seg") ? c : seg [side];
            char *src = seg [0] ? s_text (im, seg [0], NULL, where) : NULL;
            char *tgt = seg [1] ? s_text (im, seg [1], NULL, where) : NULL;
            if (src && tgt)
                s_add (im, src, tgt);
            else
                im->skipped++;
            free (src);
            free (tgt);
        }
        for (size_t i = 0; i < count; i++)
            xmlFree (langs [i]);
    }
    xmlFree (srclang);
    return im->error [0] ? -1 : 0;
}

/* Is an XLIFF target's state one a person finished? */
static int
s_reviewed (const char *state, int v2)
{
    if (!state)
        return !v2;             /* 1.2 has no default; 2.0's is "initial" */
    static const char *const done [] = { "translated", "final", "signed-off", "reviewed" };
    for (size_t i = 0; i < sizeof done / sizeof done [0]; i++)
        if (strcmp (state, done [i]) == 0)
            return 1;
    return 0;
}

/* One XLIFF unit's pair: source and target of an element (1.2
   <trans-unit>, 2.0 <segment>); state: the target's (1.2) or the
   segment's (2.0). */
static void
s_xliff_pair (s_import_t *im, const xmlNode *unit, const xmlNode *odata, int v2, const char *where)
{
    const xmlNode *source = NULL, *target = NULL;
    for (const xmlNode *c = unit->children; c; c = c->next) {
        source = s_is (c, "source") && !source ? c : source;
        target = s_is (c, "target") && !target ? c : target;
    }
    char *state = target ? s_attr (v2 ? unit : target, "state") : NULL;
    char *src = source && target && (im->all || s_reviewed (state, v2))
              ? s_text (im, source, odata, where) : NULL;
    char *tgt = src ? s_text (im, target, odata, where) : NULL;
    if (src && tgt)
        s_add (im, src, tgt);
    else
        im->skipped++;
    free (src);
    free (tgt);
    xmlFree (state);
}

/* Every unit under node (1.2: <trans-unit>s inside <body> and <group>s;
   2.0: <segment>s of <unit>s, inside <group>s). */
static void
s_xliff_units (s_import_t *im, const xmlNode *node, int v2, long *n)
{
    for (const xmlNode *c = node->children; c && !im->error [0]; c = c->next) {
        if (s_is (c, "group") || s_is (c, "body"))
            s_xliff_units (im, c, v2, n);
        else if (!v2 && s_is (c, "trans-unit")) {
            char where [64];
            snprintf (where, sizeof where, "<trans-unit> %ld", ++*n);
            s_xliff_pair (im, c, NULL, 0, where);
        }
        else if (v2 && s_is (c, "unit")) {
            const xmlNode *odata = NULL;
            for (const xmlNode *s = c->children; s; s = s->next)
                odata = s_is (s, "originalData") ? s : odata;
            for (const xmlNode *s = c->children; s && !im->error [0]; s = s->next)
                if (s_is (s, "segment")) {
                    char where [64];
                    snprintf (where, sizeof where, "<segment> %ld", ++*n);
                    s_xliff_pair (im, s, odata, 1, where);
                }
        }
    }
}

/* XLIFF 1.2 (languages per <file>) or 2.x (on <xliff>). */
static int
s_xliff (s_import_t *im, const xmlNode *root)
{
    char *version = s_attr (root, "version");
    int v2 = version && version [0] == '2';
    int v1 = version && strcmp (version, "1.2") == 0;
    char *src2 = v2 ? s_attr (root, "srcLang") : NULL, *tgt2 = v2 ? s_attr (root, "trgLang") : NULL;
    long n = 0, files = 0;
    if (!v1 && !v2)
        s_error (im, "%s: XLIFF version %s: only 1.2 and 2.x are read", im->path,
                 version ? version : "(none)");
    for (const xmlNode *f = root->children; f && !im->error [0]; f = f->next) {
        if (!s_is (f, "file"))
            continue;
        char where [64];
        snprintf (where, sizeof where, "<file> %ld", ++files);
        char *src = v2 ? NULL : s_attr (f, "source-language");
        char *tgt = v2 ? NULL : s_attr (f, "target-language");
        if (s_pair (im, v2 ? src2 : src, v2 ? tgt2 : tgt, where) == 0)
            s_xliff_units (im, f, v2, &n);
        xmlFree (src);
        xmlFree (tgt);
    }
    xmlFree (version);
    xmlFree (src2);
    xmlFree (tgt2);
    return im->error [0] ? -1 : 0;
}

static int
s_xml (s_import_t *im, const char *data, size_t size)
{
    /* No network, no entities substituted, no DTD loaded: the file alone. */
    xmlDoc *doc = xmlReadMemory (data, (int) size, im->path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR
                                                                | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError ();
        char msg [200] = "not well-formed";
        if (e && e->message)
            snprintf (msg, sizeof msg, "line %d: %s", e->line, e->message);
        msg [strcspn (msg, "\n")] = 0;
        return s_error (im, "%s: broken XML: %s", im->path, msg);
    }
    const xmlNode *root = xmlDocGetRootElement (doc);
    int rc = s_is (root, "tmx") ? s_tmx (im, root)
           : s_is (root, "xliff") ? s_xliff (im, root)
           : s_error (im, "%s: <%s> is neither TMX nor XLIFF", im->path, root ? (const char *) root->name : "?");
    xmlFreeDoc (doc);
    return rc;
}

/* ------------------------------------------------------------- records */

typedef struct {
    s_import_t *im;
    long records;
} s_jsonl_t;

static void
s_record_pair (s_import_t *im, const json_t *pair, int human)
{
    const char *src = json_string_value (json_object_get (pair, "src"));
    const char *tgt = json_string_value (json_object_get (pair, "tgt"));
    const char *origin = json_string_value (json_object_get (pair, "origin"));
    int take = human || im->all || (origin && strcmp (origin, "human") == 0);
    if (src && tgt && *src && *tgt && take && strlen (src) <= HNY_TM_TEXT_MAX
    &&  strlen (tgt) <= HNY_TM_TEXT_MAX)
        s_add (im, src, tgt);
    else
        im->skipped++;
}

/* One record: an align job's (every link with both sides) or a reviewed
   one ("reviewed": true: a person checked every target), else only the
   pairs from human TM entries (--all: every translated pair). */
static int
s_jsonl_line (json_t *obj, const char *not_json, const char *path, long line, void *arg)
{
    s_jsonl_t *x = arg;
    s_import_t *im = x->im;
    char where [64];
    snprintf (where, sizeof where, "line %ld", line);
    if (!obj)
        return s_error (im, "%s: %s: not JSON: %s", path, where, not_json);
    const char *schema = json_string_value (json_object_get (obj, "schema"));
    if (!schema || strcmp (schema, HNY_RECORD_SCHEMA))
        return s_error (im, "%s: %s: not a record (%s)", path, where, HNY_RECORD_SCHEMA);
    if (s_pair (im, json_string_value (json_object_get (obj, "source_lang")),
                json_string_value (json_object_get (obj, "target_lang")), where))
        return -1;
    const char *backend = json_string_value (json_object_get (obj, "backend"));
    int human = (backend && strcmp (backend, "aligned") == 0)
              || json_is_true (json_object_get (obj, "reviewed"));
    if (json_is_object (json_object_get (obj, "title")))
        s_record_pair (im, json_object_get (obj, "title"), human);
    size_t i, j;
    json_t *para, *seg;
    json_array_foreach (json_object_get (obj, "paragraphs"), i, para)
        json_array_foreach (json_object_get (para, "segments"), j, seg)
            s_record_pair (im, seg, human);
    x->records++;
    return 0;
}

/* ------------------------------------------------------------- import */

static int
s_import (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "from", required_argument, NULL, 'f' },
        { "to", required_argument, NULL, 't' },
        { "origin", required_argument, NULL, 'o' },
        { "all", no_argument, NULL, 'a' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    s_import_t im = { .pairs = NULL };
    const char *from = NULL, *to = NULL, *origin = NULL;
    int opt;
    while ((opt = hny_cli_getopt (cli, "tm", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == 'f')
            from = optarg;
        else if (opt == 't')
            to = optarg;
        else if (opt == 'o')
            origin = optarg;
        else if (opt == 'a')
            im.all = 1;
    }
    if (argc - optind != 1)
        return hny_cli_usage ("tm", "import needs one FILE");
    if (!from != !to)
        return hny_cli_usage ("tm", "give both --from and --to, or neither");
    if (origin && (!*origin || strlen (origin) > 4096))
        return hny_cli_usage ("tm", "--origin: 1 to 4096 bytes");
    char why [160];
    if (from && (hny_lang_canonical (from, im.from, why, sizeof why)
                 || hny_lang_canonical (to, im.to, why, sizeof why)))
        return hny_cli_usage ("tm", "%s", why);
    if (from && strcmp (im.from, im.to) == 0)
        return hny_cli_usage ("tm", "--from and --to are both %s", im.from);
    im.fixed = from != NULL;
    im.path = argv [optind];
    /* The file cap: --max-bytes when given, else HNY_CLI_TM_FILE_MAX. */
    hny_cli_t capped = *cli;
    if (capped.max_bytes == HNY_CLI_MAX_BYTES_DEFAULT)
        capped.max_bytes = HNY_CLI_TM_FILE_MAX;
    char *data = NULL;
    size_t size = 0;
    const char *rwhy = NULL;
    if (hny_cli_read_input (&capped, im.path, &data, &size, &rwhy))
        return hny_cli_fail ("tm", "%s: %s: nothing imported", im.path, rwhy);
    im.pairs = json_array ();
    const char *p = data + strspn (data, " \t\r\n\xef\xbb\xbf");
    if (*p == '{') {
        s_jsonl_t x = { .im = &im };
        if (hny_cli_jsonl ("tm", im.path, s_jsonl_line, &x) && !im.error [0])
            s_error (&im, "%s: cannot be read", im.path);
    }
    else
        s_xml (&im, data, size);
    free (data);
    if (!im.error [0] && json_array_size (im.pairs) == 0)
        s_error (&im, "%s: no entry to import (%ld unit%s without a%s target)", im.path, im.skipped,
                 im.skipped == 1 ? "" : "s", im.all ? "" : " reviewed");
    if (!im.error [0] && json_array_size (im.pairs) > HNY_TM_IMPORT_MAX)
        s_error (&im, "%s: %zu entries: at most %d an import (split the file)", im.path, json_array_size (im.pairs),
                 HNY_TM_IMPORT_MAX);
    int rc = HNY_EXIT_OK;
    if (im.error [0])
        rc = hny_cli_fail ("tm", "%s: nothing imported", im.error);
    else {
        char *text = json_dumps (im.pairs, JSON_COMPACT);
        const char *base = strrchr (im.path, '/') ? strrchr (im.path, '/') + 1 : im.path;
        hny_client_t *client = hny_cli_client (cli);
        json_t *out = NULL;
        if (!client)
            rc = HNY_EXIT_FAIL;
        else if (hny_client_tm_import (client, im.from, im.to, origin ? origin : base, text,
                                       strlen (text), &out))
            rc = hny_cli_fail ("tm", "%s: %s: nothing imported", im.path, hny_client_error (client));
        else
            printf ("imported %" JSON_INTEGER_FORMAT " human entries %s-%s from %s (%ld unit%s"
                    " left out); the TM holds %" JSON_INTEGER_FORMAT " human, %" JSON_INTEGER_FORMAT
                    " machine entries of the pair\n",
                    json_integer_value (json_object_get (out, "imported")), im.from, im.to, im.path,
                    im.skipped, im.skipped == 1 ? "" : "s",
                    json_integer_value (json_object_get (out, "human")),
                    json_integer_value (json_object_get (out, "machine")));
        json_decref (out);
        hny_client_destroy (&client);
        free (text);
    }
    json_decref (im.pairs);
    return rc;
}

/* ------------------------------------------------------------- export */

/* An entry as a record of one pair, for the TMX writer: its tu names the
   origin (creationid, x-origin) and, for a human entry, its file (x-source). */
static json_t *
s_entry_record (const json_t *entry, long n)
{
    json_t *pair = json_pack ("{s:O, s:O, s:b, s:O}", "src", json_object_get (entry, "src"),
                              "tgt", json_object_get (entry, "tgt"), "tm", 1,
                              "origin", json_object_get (entry, "origin"));
    /* "job" names the tu: tuid tmN/0/0, N counting the entries written. */
    char job [32];
    snprintf (job, sizeof job, "tm%ld", n);
    return json_pack ("{s:s, s:s, s:O, s:O, s:O*, s:{s:O*}, s:[{s:[o]}]}", "schema", HNY_RECORD_SCHEMA,
                      "job", job, "source_lang", json_object_get (entry, "from"),
                      "target_lang", json_object_get (entry, "to"),
                      "backend", json_object_get (entry, "profile"),
                      "metadata", "source", json_object_get (entry, "source"),
                      "paragraphs", "segments", pair);
}

static int
s_export (hny_cli_t *cli, int argc, char **argv)
{
    static const struct option longopts [] = {
        { "format", required_argument, NULL, 'F' },
        { "pair", required_argument, NULL, 'p' },
        { "origin", required_argument, NULL, 'o' },
        { "out", required_argument, NULL, 'O' },
        HNY_CLI_COMMON_OPTIONS,
        { NULL, 0, NULL, 0 }
    };
    const char *format = "tmx", *pair = NULL, *origin = "all", *out = NULL;
    int opt;
    while ((opt = hny_cli_getopt (cli, "tm", argc, argv, "", longopts)) != -1) {
        if (HNY_CLI_STOP (opt))
            return HNY_CLI_STOP_CODE (opt);
        if (opt == 'F')
            format = optarg;
        else if (opt == 'p')
            pair = optarg;
        else if (opt == 'o')
            origin = optarg;
        else if (opt == 'O')
            out = optarg;
    }
    if (argc - optind != 0)
        return hny_cli_usage ("tm", "export takes no arguments");
    if (strcmp (format, "tmx"))
        return hny_cli_usage ("tm", "unknown --format '%s' (tmx)", format);
    if (strcmp (origin, "human") && strcmp (origin, "machine") && strcmp (origin, "all"))
        return hny_cli_usage ("tm", "--origin: human, machine or all, not '%s'", origin);
    char from [HNY_LANG_MAX + 1] = "", to [HNY_LANG_MAX + 1] = "", why [160];
    if (pair && hny_lang_pair (pair, from, to, why, sizeof why))
        return hny_cli_usage ("tm", "--pair: %s", why);
    char *error = NULL;
    hny_export_t *x = hny_export_new (HNY_EXPORT_TMX, out, &error);
    if (!x) {
        int rc = hny_cli_fail ("tm", "%s", error);
        free (error);
        return rc;
    }
    hny_client_t *client = hny_cli_client (cli);
    int rc = client ? HNY_EXIT_OK : HNY_EXIT_FAIL;
    char *after = NULL;
    long count = 0;
    while (rc == HNY_EXIT_OK) {
        json_t *entries = NULL, *head = NULL;
        if (hny_client_tm_export (client, pair ? from : NULL, pair ? to : NULL, origin, after,
                                  S_EXPORT_PAGE, &entries, &head)) {
            rc = hny_cli_fail ("tm", "%s", hny_client_error (client));
            break;
        }
        size_t i;
        json_t *entry;
        json_array_foreach (entries, i, entry) {
            json_t *record = s_entry_record (entry, count + 1);
            if (rc == HNY_EXIT_OK && hny_export_add (x, record)) {
                rc = hny_cli_fail ("tm", "%s%s", hny_export_error (x),
                                   hny_export_mixed (x) ? ": give --pair, or --out DIR/ for a file a pair" : "");
            }
            json_decref (record);
            count++;
        }
        const char *next = json_string_value (json_object_get (head, "next"));
        free (after);
        after = next ? hny_strdup (next) : NULL;
        json_decref (entries);
        json_decref (head);
        if (!after)
            break;
    }
    free (after);
    hny_client_destroy (&client);
    if (rc == HNY_EXIT_OK && count == 0)
        rc = HNY_EXIT_EMPTY;
    if (rc == HNY_EXIT_OK && hny_export_finish (x))
        rc = hny_cli_fail ("tm", "%s", hny_export_error (x));
    if (rc == HNY_EXIT_EMPTY)
        fprintf (stderr, "honyaku: tm: no entry matched: nothing written\n");
    else if (rc == HNY_EXIT_OK)
        fprintf (stderr, "honyaku: tm: %ld entries written\n", count);
    hny_export_destroy (&x);
    return rc;
}

int
hny_cli_tm (hny_cli_t *cli, int argc, char **argv)
{
    if (argc < 2)
        return hny_cli_usage ("tm", "give import or export");
    if (strcmp (argv [1], "--help") == 0 || strcmp (argv [1], "help") == 0) {
        hny_cli_help ("tm");
        return HNY_EXIT_OK;
    }
    if (strcmp (argv [1], "import") == 0)
        return s_import (cli, argc - 1, argv + 1);
    if (strcmp (argv [1], "export") == 0)
        return s_export (cli, argc - 1, argv + 1);
    return hny_cli_usage ("tm", "unknown tm command '%s' (import, export)", argv [1]);
}
