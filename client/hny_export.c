/*  hny_export.c: the record exports of hny_export.h: JSON Lines, TMX 1.4b,
    XLIFF 2.0, Moses line-aligned text and a side-by-side HTML page.

    Every segment string is in the inline form of PROTOCOL.md 11.1; it is
    parsed here into a token list (text, opening tag, closing tag) that each
    writer renders its own way. The parser is local rather than shared with
    workers/hny_markup because the client is built without the workers and
    needs only the reading side: decode the four escapes, pair the tags,
    treat an unpaired tag as text. */
#include "hny_export.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <libxml/xmlwriter.h>

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0"
#endif

#define S_LANG_MAX   35         /* bytes of a language tag (BCP 47 allows 35) */
#define S_HREF_MAX   2048       /* bytes of an href; longer is not a tag (as hny_markup) */
#define S_ERROR_MAX  256

/* ---- small growable buffer ------------------------------------------- */

typedef struct {
    char *data;                 /* NUL-terminated once anything was added */
    size_t len;
    size_t alloc;
} s_buf_t;

static void
s_buf_add (s_buf_t *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->alloc) {
        size_t want = b->alloc ? b->alloc : 64;
        while (want < b->len + n + 1)
            want *= 2;
        b->data = hny_realloc (b->data, want);
        b->alloc = want;
    }
    memcpy (b->data + b->len, p, n);
    b->len += n;
    b->data [b->len] = 0;
}

static const char *
s_buf_str (s_buf_t *b)
{
    if (!b->data)
        s_buf_add (b, "", 0);
    return b->data;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (setting *cp), or 0. */
static size_t
s_utf8_next (const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
    unsigned c = p [0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; *cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; *cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; *cp = c & 0x07; }
    else
        return 0;
    if ((size_t) (end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p [i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p [i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* Copy s into b as text XML 1.0 can carry: ill-formed UTF-8, C0 controls
   other than tab, LF and CR, and U+FFFE/U+FFFF become U+FFFD. With
   flatten, line breaks and tabs (including U+0085, U+2028, U+2029) become
   spaces (Moses: one segment per line). */
static void
s_clean (s_buf_t *b, const char *s, size_t len, int flatten)
{
    const unsigned char *p = (const unsigned char *) s, *end = p + len;
    b->len = 0;
    s_buf_add (b, "", 0);
    while (p < end) {
        uint32_t cp;
        size_t n = s_utf8_next (p, end, &cp);
        if (n == 0) {
            s_buf_add (b, "\xEF\xBF\xBD", 3);
            p++;
            continue;
        }
        if (flatten && (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C
                        || cp == 0x85 || cp == 0x2028 || cp == 0x2029))
            s_buf_add (b, " ", 1);
        else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xFFFE
                 || cp == 0xFFFF)
            s_buf_add (b, "\xEF\xBF\xBD", 3);
        else
            s_buf_add (b, (const char *) p, n);
        p += n;
    }
}

/* ---- the inline form ------------------------------------------------- */

enum { S_TAG_B = 1, S_TAG_I, S_TAG_A };
enum { S_TEXT = 0, S_OPEN, S_CLOSE };

typedef struct {
    int kind;                   /* S_TEXT, S_OPEN, S_CLOSE */
    int tag;                    /* tags: S_TAG_B/I/A */
    char *text;                 /* S_TEXT: decoded text; S_OPEN of <a>: decoded href */
    const char *raw;            /* tags: their spelling in the source string (borrowed) */
    size_t raw_len;
    size_t partner;             /* tags: index of the matching open or close */
    size_t id;                  /* tags: element number from 1, in order of opening */
    size_t uid;                 /* XLIFF: the <pc> id within its unit */
    int claimed;                /* XLIFF, source opens: matched by a target element */
} s_token_t;

typedef struct {
    s_token_t *tokens;
    size_t count;
    size_t alloc;
} s_inline_t;

static s_token_t *
s_inline_push (s_inline_t *self, int kind)
{
    if (self->count == self->alloc) {
        self->alloc = self->alloc ? self->alloc * 2 : 8;
        self->tokens = hny_realloc (self->tokens, self->alloc * sizeof (s_token_t));
    }
    s_token_t *t = &self->tokens [self->count++];
    memset (t, 0, sizeof *t);
    t->kind = kind;
    return t;
}

/* Decode the escapes &lt; &gt; &amp; &quot; of [p, p + n) onto b. */
static void
s_unescape (s_buf_t *b, const char *p, size_t n)
{
    static const struct { const char *from; char to; } escapes [] = {
        { "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }
    };
    const char *end = p + n;
    while (p < end) {
        if (*p == '&') {
            size_t i;
            for (i = 0; i < 4; i++) {
                size_t len = strlen (escapes [i].from);
                if ((size_t) (end - p) >= len && memcmp (p, escapes [i].from, len) == 0)
                    break;
            }
            if (i < 4) {
                s_buf_add (b, &escapes [i].to, 1);
                p += strlen (escapes [i].from);
                continue;
            }
        }
        s_buf_add (b, p, 1);
        p++;
    }
}

/* Length of a tag of the inline form at p, or 0; sets kind, tag and, for
   <a href="...">, the escaped href. */
static size_t
s_tag_at (const char *p, const char *end, int *kind, int *tag, const char **href,
          size_t *href_len)
{
    static const struct { const char *s; int kind, tag; } fixed [] = {
        { "<b>", S_OPEN, S_TAG_B }, { "</b>", S_CLOSE, S_TAG_B },
        { "<i>", S_OPEN, S_TAG_I }, { "</i>", S_CLOSE, S_TAG_I },
        { "</a>", S_CLOSE, S_TAG_A }
    };
    size_t avail = (size_t) (end - p);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed [0]; i++) {
        size_t n = strlen (fixed [i].s);
        if (avail >= n && memcmp (p, fixed [i].s, n) == 0) {
            *kind = fixed [i].kind;
            *tag = fixed [i].tag;
            *href = NULL;
            return n;
        }
    }
    static const char lead [] = "<a href=\"";
    size_t lead_len = sizeof lead - 1;
    if (avail < lead_len || memcmp (p, lead, lead_len))
        return 0;
    const char *q = p + lead_len;
    const char *quote = memchr (q, '"', (size_t) (end - q));
    if (!quote || quote + 1 >= end || quote [1] != '>' || (size_t) (quote - q) > S_HREF_MAX)
        return 0;
    *kind = S_OPEN;
    *tag = S_TAG_A;
    *href = q;
    *href_len = (size_t) (quote - q);
    return (size_t) (quote + 2 - p);
}

static void
s_inline_flush (s_inline_t *self, s_buf_t *text)
{
    if (text->len == 0)
        return;
    s_token_t *t = s_inline_push (self, S_TEXT);
    t->text = hny_strndup (text->data, text->len);
    text->len = 0;
}

/* An unpaired tag reads as the text it is spelled with. */
static void
s_token_to_text (s_token_t *t)
{
    free (t->text);
    t->text = hny_strndup (t->raw, t->raw_len);
    t->kind = S_TEXT;
}

static void
s_inline_destroy (s_inline_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    s_inline_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free (self->tokens [i].text);
    free (self->tokens);
    free (self);
    *self_p = NULL;
}

/* Parse a string in the inline form (borrowed; it must outlive the result,
   whose tags point into it). Never fails. Caller owns the result. */
static s_inline_t *
s_inline_parse (const char *s)
{
    s_inline_t *self = hny_calloc (1, sizeof *self);
    s_buf_t text = { 0 };
    const char *p = s, *end = s + strlen (s), *run = s;
    while (p < end) {
        int kind, tag;
        const char *href = NULL;
        size_t href_len = 0, n = 0;
        if (*p == '<')
            n = s_tag_at (p, end, &kind, &tag, &href, &href_len);
        if (n == 0) {
            p++;
            continue;
        }
        s_unescape (&text, run, (size_t) (p - run));
        s_inline_flush (self, &text);
        s_token_t *t = s_inline_push (self, kind);
        t->tag = tag;
        t->raw = p;
        t->raw_len = n;
        if (href) {
            s_buf_t h = { 0 };
            s_unescape (&h, href, href_len);
            t->text = hny_strdup (s_buf_str (&h));
            free (h.data);
        }
        p += n;
        run = p;
    }
    s_unescape (&text, run, (size_t) (end - run));
    s_inline_flush (self, &text);
    free (text.data);

    /* Pair the tags: a close pairs with the innermost open element of its
       kind only when that is the innermost one of all. */
    size_t *stack = hny_malloc ((self->count + 1) * sizeof (size_t));
    size_t depth = 0, elements = 0;
    for (size_t i = 0; i < self->count; i++) {
        s_token_t *t = &self->tokens [i];
        if (t->kind == S_OPEN)
            stack [depth++] = i;
        else if (t->kind == S_CLOSE) {
            if (depth && self->tokens [stack [depth - 1]].tag == t->tag) {
                size_t o = stack [--depth];
                self->tokens [o].partner = i;
                t->partner = o;
            }
            else
                s_token_to_text (t);
        }
    }
    while (depth)
        s_token_to_text (&self->tokens [stack [--depth]]);
    free (stack);
    for (size_t i = 0; i < self->count; i++)
        if (self->tokens [i].kind == S_OPEN) {
            self->tokens [i].id = ++elements;
            self->tokens [self->tokens [i].partner].id = elements;
        }
    return self;
}

/* The plain text of a parsed string onto b (replacing its content). */
static void
s_inline_plain (const s_inline_t *self, s_buf_t *b)
{
    b->len = 0;
    s_buf_add (b, "", 0);
    for (size_t i = 0; i < self->count; i++)
        if (self->tokens [i].kind == S_TEXT)
            s_buf_add (b, self->tokens [i].text, strlen (self->tokens [i].text));
}

/* ---- the export object ------------------------------------------------ */

typedef struct {
    char src [S_LANG_MAX + 1];
    char tgt [S_LANG_MAX + 1];
    FILE *file [2];             /* source side, target side */
    char *tmp [2];              /* their temporary paths */
} s_moses_pair_t;

struct _hny_export_t {
    hny_export_format_t format;
    char *out;                  /* the final path, NULL for standard output */
    char *tmp;                  /* single-file formats: the path written */
    FILE *file;                 /* single-file formats */
    xmlTextWriterPtr w;         /* TMX, XLIFF, HTML */
    int xml_failed;             /* an xmlTextWriter call failed */
    int started;                /* the document head is written */
    int finished;
    char src [S_LANG_MAX + 1];  /* TMX header srclang, XLIFF document pair */
    char tgt [S_LANG_MAX + 1];
    s_moses_pair_t pairs [HNY_EXPORT_MAX_PAIRS];
    size_t pair_count;
    hny_export_stats_t stats;
    s_buf_t scratch;            /* cleaned text on its way to the writer */
    s_buf_t scratch2;
    char error [S_ERROR_MAX];
};

static int
s_fail (hny_export_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int
s_fail (hny_export_t *self, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (self->error, sizeof self->error, fmt, args);
    va_end (args);
    return -1;
}

int
hny_export_format_parse (const char *name)
{
    static const char *names [] = { "jsonl", "tmx", "xliff", "moses", "html" };
    for (int i = 0; i < 5; i++)
        if (name && strcmp (name, names [i]) == 0)
            return i;
    return -1;
}

hny_export_t *
hny_export_new (hny_export_format_t format, const char *out, char **why)
{
    if ((int) format < HNY_EXPORT_JSONL || format > HNY_EXPORT_HTML) {
        *why = hny_strdup ("unknown format");
        return NULL;
    }
    if (out && strcmp (out, "-") == 0)
        out = NULL;
    if (format == HNY_EXPORT_MOSES) {
        if (!out) {
            *why = hny_strdup ("moses writes two files: --out DIR is required");
            return NULL;
        }
        if (mkdir (out, 0777) && errno != EEXIST) {
            *why = hny_sprintf ("%s: %s", out, strerror (errno));
            return NULL;
        }
        struct stat st;
        if (stat (out, &st) || !S_ISDIR (st.st_mode)) {
            *why = hny_sprintf ("%s: not a directory", out);
            return NULL;
        }
    }
    hny_export_t *self = hny_calloc (1, sizeof *self);
    self->format = format;
    self->out = out ? hny_strdup (out) : NULL;
    if (format == HNY_EXPORT_MOSES)
        return self;
    if (self->out) {
        self->tmp = hny_sprintf ("%s.tmp", self->out);
        self->file = fopen (self->tmp, "w");
        if (!self->file) {
            *why = hny_sprintf ("%s: %s", self->tmp, strerror (errno));
            hny_export_destroy (&self);
            return NULL;
        }
    }
    else
        self->file = stdout;
    if (format != HNY_EXPORT_JSONL) {
        /* The buffer only flushes into the FILE; closing stays ours. */
        xmlOutputBufferPtr buffer = xmlOutputBufferCreateFile (self->file, NULL);
        self->w = buffer ? xmlNewTextWriter (buffer) : NULL;
        if (!self->w) {
            if (buffer)
                xmlOutputBufferClose (buffer);
            *why = hny_strdup ("libxml2 could not create a writer");
            hny_export_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
hny_export_destroy (hny_export_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    hny_export_t *self = *self_p;
    if (self->w)
        xmlFreeTextWriter (self->w);
    if (self->file && self->file != stdout)
        fclose (self->file);
    if (self->tmp && !self->finished)
        unlink (self->tmp);
    for (size_t i = 0; i < self->pair_count; i++)
        for (int side = 0; side < 2; side++) {
            if (self->pairs [i].file [side])
                fclose (self->pairs [i].file [side]);
            if (self->pairs [i].tmp [side] && !self->finished)
                unlink (self->pairs [i].tmp [side]);
            free (self->pairs [i].tmp [side]);
        }
    free (self->out);
    free (self->tmp);
    free (self->scratch.data);
    free (self->scratch2.data);
    free (self);
    *self_p = NULL;
}

const char *
hny_export_error (const hny_export_t *self)
{
    return self->error [0] ? self->error : NULL;
}

void
hny_export_stats (const hny_export_t *self, hny_export_stats_t *stats)
{
    *stats = self->stats;
}

/* ---- record access ---------------------------------------------------- */

static const char *
s_str (const json_t *obj, const char *key)
{
    return json_string_value (json_object_get (obj, key));
}

/* A language tag safe to put in a file name and an xml:lang. */
static int
s_lang_ok (const char *lang)
{
    size_t n = lang ? strlen (lang) : 0;
    if (n == 0 || n > S_LANG_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = lang [i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int
s_pair_ok (const json_t *pair)
{
    const json_t *tgt = json_object_get (pair, "tgt");
    return json_is_object (pair) && json_is_string (json_object_get (pair, "src"))
           && (!tgt || json_is_null (tgt) || json_is_string (tgt));
}

/* Check the parts of a record the writers read, so that none of them stops
   half way through an article. */
static int
s_check (hny_export_t *self, const json_t *record)
{
    if (!json_is_object (record))
        return s_fail (self, "the record is not a JSON object");
    const char *schema = s_str (record, "schema");
    if (!schema || strcmp (schema, HNY_RECORD_SCHEMA))
        return s_fail (self, "the record's schema is not %s", HNY_RECORD_SCHEMA);
    if (!s_lang_ok (s_str (record, "source_lang")) || !s_lang_ok (s_str (record, "target_lang")))
        return s_fail (self, "source_lang or target_lang missing or not a language tag");
    const json_t *title = json_object_get (record, "title");
    if (title && !json_is_null (title) && !s_pair_ok (title))
        return s_fail (self, "title is not a segment pair");
    const json_t *paras = json_object_get (record, "paragraphs");
    if (!json_is_array (paras))
        return s_fail (self, "paragraphs is not an array");
    size_t i, j;
    const json_t *para, *seg;
    json_array_foreach (paras, i, para) {
        const json_t *segs = json_object_get (para, "segments");
        if (!json_is_array (segs))
            return s_fail (self, "paragraph %zu: segments is not an array", i);
        json_array_foreach (segs, j, seg)
            if (!s_pair_ok (seg))
                return s_fail (self, "paragraph %zu, segment %zu: not a segment pair", i, j);
    }
    return 0;
}

/* The title pair, or NULL. */
static const json_t *
s_title (const json_t *record)
{
    const json_t *title = json_object_get (record, "title");
    return json_is_object (title) ? title : NULL;
}

static const json_t *
s_segments (const json_t *record, size_t paragraph)
{
    return json_object_get (json_array_get (json_object_get (record, "paragraphs"), paragraph),
                            "segments");
}

/* The reason a segment failed, from the record's errors (paragraph -1 is
   the title), or NULL. */
static const char *
s_reason (const json_t *record, long paragraph, long segment)
{
    size_t i;
    const json_t *e;
    json_array_foreach (json_object_get (record, "errors"), i, e) {
        const json_t *p = json_object_get (e, "paragraph"), *s = json_object_get (e, "segment");
        if (json_is_integer (p) && json_integer_value (p) == paragraph
            && (!json_is_integer (s) || json_integer_value (s) == segment))
            return s_str (e, "reason") ? s_str (e, "reason") : "failed";
    }
    return NULL;
}

/* The article's title as plain text: the metadata's, else the title
   segment's, else NULL. Uses self->scratch2. */
static const char *
s_plain_title (hny_export_t *self, const json_t *record)
{
    const char *title = s_str (json_object_get (record, "metadata"), "title");
    if (title && *title)
        return title;
    const json_t *pair = s_title (record);
    if (!pair)
        return NULL;
    s_inline_t *in = s_inline_parse (s_str (pair, "src"));
    s_inline_plain (in, &self->scratch2);
    s_inline_destroy (&in);
    return self->scratch2.len ? self->scratch2.data : NULL;
}

/* ---- xmlTextWriter, with failures collected in self->xml_failed ------ */

static void
s_start (hny_export_t *self, const char *name)
{
    if (xmlTextWriterStartElement (self->w, BAD_CAST name) < 0)
        self->xml_failed = 1;
}

/* End an element with an end tag even when empty (HTML needs <td></td>). */
static void
s_end (hny_export_t *self)
{
    if (xmlTextWriterFullEndElement (self->w) < 0)
        self->xml_failed = 1;
}

/* End an element as <x/> when empty (XML headers, HTML void elements). */
static void
s_end_empty (hny_export_t *self)
{
    if (xmlTextWriterEndElement (self->w) < 0)
        self->xml_failed = 1;
}

static void
s_attr (hny_export_t *self, const char *name, const char *value)
{
    s_clean (&self->scratch, value, strlen (value), 0);
    if (xmlTextWriterWriteAttribute (self->w, BAD_CAST name, BAD_CAST self->scratch.data) < 0)
        self->xml_failed = 1;
}

static void
s_text (hny_export_t *self, const char *text)
{
    s_clean (&self->scratch, text, strlen (text), 0);
    if (self->scratch.len && xmlTextWriterWriteString (self->w, BAD_CAST self->scratch.data) < 0)
        self->xml_failed = 1;
}

static void
s_text_n (hny_export_t *self, const char *text, size_t len)
{
    char *copy = hny_strndup (text, len);
    s_text (self, copy);
    free (copy);
}

/* A newline between block elements, for people reading the file. */
static void
s_newline (hny_export_t *self)
{
    if (xmlTextWriterWriteRaw (self->w, BAD_CAST "\n") < 0)
        self->xml_failed = 1;
}

static void
s_element (hny_export_t *self, const char *name, const char *text)
{
    s_start (self, name);
    s_text (self, text);
    s_end (self);
}

/* ---- TMX 1.4b --------------------------------------------------------- */

static void
s_tmx_head (hny_export_t *self, const char *srclang)
{
    if (xmlTextWriterStartDocument (self->w, NULL, "UTF-8", NULL) < 0)
        self->xml_failed = 1;
    s_start (self, "tmx");
    s_attr (self, "version", "1.4");
    s_newline (self);
    s_start (self, "header");
    s_attr (self, "creationtool", "honyaku");
    s_attr (self, "creationtoolversion", HNY_VERSION);
    s_attr (self, "segtype", "sentence");
    s_attr (self, "o-tmf", HNY_RECORD_SCHEMA);
    s_attr (self, "adminlang", "en");
    s_attr (self, "srclang", srclang);
    s_attr (self, "datatype", "plaintext");
    s_end_empty (self);
    s_newline (self);
    s_start (self, "body");
    s_newline (self);
    self->started = 1;
}

static void
s_tmx_seg (hny_export_t *self, const char *text)
{
    static const char *types [] = { "", "bold", "italic", "link" };
    s_inline_t *in = s_inline_parse (text);
    s_start (self, "seg");
    for (size_t i = 0; i < in->count; i++) {
        const s_token_t *t = &in->tokens [i];
        if (t->kind == S_TEXT) {
            s_text (self, t->text);
            continue;
        }
        char id [32];
        snprintf (id, sizeof id, "%zu", t->id);
        s_start (self, t->kind == S_OPEN ? "bpt" : "ept");
        s_attr (self, "i", id);
        if (t->kind == S_OPEN)
            s_attr (self, "type", types [t->tag]);
        s_text_n (self, t->raw, t->raw_len);
        s_end (self);
    }
    s_end (self);
    s_inline_destroy (&in);
}

static void
s_tmx_prop (hny_export_t *self, const char *type, const char *value)
{
    if (!value || !*value)
        return;
    s_start (self, "prop");
    s_attr (self, "type", type);
    s_text (self, value);
    s_end (self);
}

static void
s_tmx_tu (hny_export_t *self, const json_t *record, const json_t *pair, const char *tuid,
          const char *title)
{
    const char *tgt = s_str (pair, "tgt");
    if (!tgt) {
        self->stats.missing++;
        return;
    }
    const json_t *meta = json_object_get (record, "metadata");
    const char *src_lang = s_str (record, "source_lang");
    const char *backend = s_str (pair, "backend") ? s_str (pair, "backend")
                                                  : s_str (record, "backend");
    s_start (self, "tu");
    s_attr (self, "tuid", tuid);
    if (strcmp (src_lang, self->src))
        s_attr (self, "srclang", src_lang);
    s_tmx_prop (self, "x-job", s_str (record, "job"));
    s_tmx_prop (self, "x-title", title);
    s_tmx_prop (self, "x-date", s_str (meta, "date"));
    s_tmx_prop (self, "x-source", s_str (meta, "source"));
    s_tmx_prop (self, "x-backend", backend);
    for (int side = 0; side < 2; side++) {
        s_start (self, "tuv");
        s_attr (self, "xml:lang", side ? s_str (record, "target_lang") : src_lang);
        s_tmx_seg (self, side ? tgt : s_str (pair, "src"));
        s_end (self);
    }
    s_end (self);
    s_newline (self);
    self->stats.pairs++;
}

static void
s_tmx_record (hny_export_t *self, const json_t *record)
{
    if (!self->started) {
        snprintf (self->src, sizeof self->src, "%s", s_str (record, "source_lang"));
        s_tmx_head (self, self->src);
    }
    const char *job = s_str (record, "job") ? s_str (record, "job") : "";
    char *title = hny_strdup (s_plain_title (self, record) ? s_plain_title (self, record) : "");
    if (s_title (record)) {
        char *tuid = hny_sprintf ("%s/title", job);
        s_tmx_tu (self, record, s_title (record), tuid, title);
        free (tuid);
    }
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (s_segments (record, p), i, seg) {
            char *tuid = hny_sprintf ("%s/%zu/%zu", job, p, i);
            s_tmx_tu (self, record, seg, tuid, title);
            free (tuid);
        }
    }
    free (title);
}

/* ---- XLIFF 2.0 -------------------------------------------------------- */

static void
s_xliff_head (hny_export_t *self)
{
    if (xmlTextWriterStartDocument (self->w, NULL, "UTF-8", NULL) < 0)
        self->xml_failed = 1;
    s_start (self, "xliff");
    s_attr (self, "xmlns", "urn:oasis:names:tc:xliff:document:2.0");
    s_attr (self, "version", "2.0");
    s_attr (self, "srcLang", self->src);
    s_attr (self, "trgLang", self->tgt);
    s_newline (self);
    self->started = 1;
}

static int
s_same_element (const s_token_t *a, const s_token_t *b)
{
    if (a->tag != b->tag)
        return 0;
    if (a->tag != S_TAG_A)
        return 1;
    return strcmp (a->text, b->text) == 0;
}

/* Number the elements of a unit: source elements in order, a target
   element takes the id of the first unclaimed source element of the same
   segment that is the same kind (and link), else a new id. Returns the
   next free id. */
static size_t
s_xliff_number (s_inline_t *src, s_inline_t *tgt, size_t next)
{
    for (size_t i = 0; i < src->count; i++)
        if (src->tokens [i].kind == S_OPEN) {
            src->tokens [i].uid = next++;
            src->tokens [src->tokens [i].partner].uid = src->tokens [i].uid;
        }
    for (size_t i = 0; tgt && i < tgt->count; i++) {
        s_token_t *t = &tgt->tokens [i];
        if (t->kind != S_OPEN)
            continue;
        for (size_t j = 0; j < src->count && !t->uid; j++) {
            s_token_t *s = &src->tokens [j];
            if (s->kind == S_OPEN && !s->claimed && s_same_element (s, t)) {
                s->claimed = 1;
                t->uid = s->uid;
            }
        }
        if (!t->uid)
            t->uid = next++;
        tgt->tokens [t->partner].uid = t->uid;
    }
    return next;
}

static void
s_xliff_content (hny_export_t *self, const s_inline_t *in)
{
    for (size_t i = 0; i < in->count; i++) {
        const s_token_t *t = &in->tokens [i];
        if (t->kind == S_TEXT)
            s_text (self, t->text);
        else if (t->kind == S_CLOSE)
            s_end (self);
        else {
            char id [32];
            snprintf (id, sizeof id, "%zu", t->uid);
            s_start (self, "pc");
            s_attr (self, "id", id);
            if (t->tag == S_TAG_A) {
                snprintf (id, sizeof id, "d%zu", t->uid);
                s_attr (self, "type", "link");
                s_attr (self, "dataRefStart", id);
                s_attr (self, "dataRefEnd", "dA");
            }
            else {
                s_attr (self, "type", "fmt");
                s_attr (self, "subType", t->tag == S_TAG_B ? "xlf:b" : "xlf:i");
            }
        }
    }
}

/* One <unit> of the segment pairs pairs[0..count) (paragraph -1: title). */
static void
s_xliff_unit (hny_export_t *self, const json_t *record, long paragraph,
              const json_t *const *pairs, size_t count)
{
    s_inline_t **src = hny_calloc (count, sizeof *src), **tgt = hny_calloc (count, sizeof *tgt);
    size_t next = 1;
    int links = 0, failures = 0;
    for (size_t k = 0; k < count; k++) {
        src [k] = s_inline_parse (s_str (pairs [k], "src"));
        if (s_str (pairs [k], "tgt"))
            tgt [k] = s_inline_parse (s_str (pairs [k], "tgt"));
        else
            failures++;
        next = s_xliff_number (src [k], tgt [k], next);
        for (int side = 0; side < 2; side++) {
            const s_inline_t *in = side ? tgt [k] : src [k];
            for (size_t i = 0; in && i < in->count; i++)
                links |= in->tokens [i].kind == S_OPEN && in->tokens [i].tag == S_TAG_A;
        }
    }
    char id [48];
    if (paragraph < 0)
        snprintf (id, sizeof id, "title");
    else
        snprintf (id, sizeof id, "p%ld", paragraph);
    s_start (self, "unit");
    s_attr (self, "id", id);
    if (failures) {
        s_start (self, "notes");
        for (size_t k = 0; k < count; k++)
            if (!tgt [k]) {
                const char *reason = s_reason (record, paragraph, (long) k);
                char *note = hny_sprintf ("s%zu not translated: %s", k + 1,
                                          reason ? reason : "no translation");
                s_start (self, "note");
                s_attr (self, "category", "error");
                s_text (self, note);
                s_end (self);
                free (note);
            }
        s_end (self);
    }
    if (links) {
        /* Links keep their href in originalData; a matched target link
           shares its source's entry. */
        unsigned char *written = hny_calloc (next, 1);
        s_start (self, "originalData");
        for (size_t k = 0; k < count; k++)
            for (int side = 0; side < 2; side++) {
                const s_inline_t *in = side ? tgt [k] : src [k];
                for (size_t i = 0; in && i < in->count; i++) {
                    const s_token_t *t = &in->tokens [i];
                    if (t->kind != S_OPEN || t->tag != S_TAG_A || written [t->uid])
                        continue;
                    written [t->uid] = 1;
                    snprintf (id, sizeof id, "d%zu", t->uid);
                    s_start (self, "data");
                    s_attr (self, "id", id);
                    s_text_n (self, t->raw, t->raw_len);
                    s_end (self);
                }
            }
        s_start (self, "data");
        s_attr (self, "id", "dA");
        s_text (self, "</a>");
        s_end (self);
        s_end (self);
        free (written);
    }
    for (size_t k = 0; k < count; k++) {
        snprintf (id, sizeof id, "s%zu", k + 1);
        s_start (self, "segment");
        s_attr (self, "id", id);
        s_attr (self, "state", tgt [k] ? "translated" : "initial");
        s_start (self, "source");
        s_xliff_content (self, src [k]);
        s_end (self);
        if (tgt [k]) {
            s_start (self, "target");
            s_xliff_content (self, tgt [k]);
            s_end (self);
        }
        s_end (self);
        self->stats.pairs++;
        s_inline_destroy (&src [k]);
        s_inline_destroy (&tgt [k]);
    }
    s_end (self);
    s_newline (self);
    free (src);
    free (tgt);
}

static void
s_xliff_note (hny_export_t *self, const char *category, const char *value)
{
    if (!value || !*value)
        return;
    s_start (self, "note");
    s_attr (self, "category", category);
    s_text (self, value);
    s_end (self);
}

static void
s_xliff_record (hny_export_t *self, const json_t *record)
{
    const char *src_lang = s_str (record, "source_lang"), *tgt_lang = s_str (record, "target_lang");
    if (!self->started) {
        snprintf (self->src, sizeof self->src, "%s", src_lang);
        snprintf (self->tgt, sizeof self->tgt, "%s", tgt_lang);
        s_xliff_head (self);
    }
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    size_t units = s_title (record) ? 1 : 0;
    for (size_t p = 0; p < paragraphs; p++)
        units += json_array_size (s_segments (record, p)) > 0;
    if (strcmp (src_lang, self->src) || strcmp (tgt_lang, self->tgt) || units == 0) {
        /* XLIFF 2.0 has one language pair per document, and a file needs a unit. */
        self->stats.skipped++;
        self->stats.records--;
        return;
    }
    const json_t *meta = json_object_get (record, "metadata");
    char id [32];
    snprintf (id, sizeof id, "f%ld", self->stats.records);
    s_start (self, "file");
    s_attr (self, "id", id);
    if (s_str (meta, "source") && *s_str (meta, "source"))
        s_attr (self, "original", s_str (meta, "source"));
    s_start (self, "notes");
    s_xliff_note (self, "job", s_str (record, "job"));
    s_xliff_note (self, "title", s_plain_title (self, record));
    s_xliff_note (self, "date", s_str (meta, "date"));
    s_xliff_note (self, "source", s_str (meta, "source"));
    s_xliff_note (self, "backend", s_str (record, "backend"));
    s_xliff_note (self, "schema", HNY_RECORD_SCHEMA);
    s_end (self);
    s_newline (self);
    const json_t *title = s_title (record);
    if (title)
        s_xliff_unit (self, record, -1, &title, 1);
    for (size_t p = 0; p < paragraphs; p++) {
        const json_t *segs = s_segments (record, p);
        size_t n = json_array_size (segs);
        if (n == 0)
            continue;
        const json_t **pairs = hny_malloc (n * sizeof *pairs);
        for (size_t k = 0; k < n; k++)
            pairs [k] = json_array_get (segs, k);
        s_xliff_unit (self, record, (long) p, pairs, n);
        free (pairs);
    }
    s_end (self);
    s_newline (self);
}

/* ---- HTML ------------------------------------------------------------- */

static const char s_css [] =
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;width:100%;margin-bottom:2em}"
    "th,td{vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd;width:50%}"
    "tr.p td{border-top:2px solid #999}"
    "tr.title td{font-weight:bold;font-size:1.1em}"
    "tr.failed td{background:#fdd}"
    ".reason{color:#a00;font-style:italic}"
    ".meta{color:#666;font-size:.9em}";

/* True when a link may be followed from the page: http, https, mailto or
   a relative reference, and no control characters (which URL parsers drop,
   hiding a scheme such as java\nscript:). */
static int
s_href_safe (const char *href)
{
    for (const unsigned char *p = (const unsigned char *) href; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 0;
    while (*href == ' ')
        href++;
    size_t n = strcspn (href, ":/?#");
    if (href [n] != ':')
        return 1;
    return (n == 4 && strncasecmp (href, "http", 4) == 0)
           || (n == 5 && strncasecmp (href, "https", 5) == 0)
           || (n == 6 && strncasecmp (href, "mailto", 6) == 0);
}

static void
s_html_inline (hny_export_t *self, const char *text)
{
    s_inline_t *in = s_inline_parse (text);
    for (size_t i = 0; i < in->count; i++) {
        const s_token_t *t = &in->tokens [i];
        if (t->kind == S_TEXT)
            s_text (self, t->text);
        else if (t->kind == S_CLOSE)
            s_end (self);
        else if (t->tag == S_TAG_A) {
            s_start (self, "a");
            if (s_href_safe (t->text)) {
                s_attr (self, "href", t->text);
                s_attr (self, "rel", "nofollow noopener noreferrer");
            }
        }
        else
            s_start (self, t->tag == S_TAG_B ? "b" : "i");
    }
    s_inline_destroy (&in);
}

static void
s_html_head (hny_export_t *self)
{
    if (xmlTextWriterWriteDTD (self->w, BAD_CAST "html", NULL, NULL, NULL) < 0)
        self->xml_failed = 1;
    s_newline (self);
    s_start (self, "html");
    s_start (self, "head");
    s_start (self, "meta");
    s_attr (self, "charset", "utf-8");
    s_end_empty (self);
    s_element (self, "title", "honyaku export");
    s_element (self, "style", s_css);
    s_end (self);
    s_newline (self);
    s_start (self, "body");
    s_newline (self);
    self->started = 1;
}

static void
s_html_row (hny_export_t *self, const json_t *record, const json_t *pair, long paragraph,
            long segment)
{
    const char *tgt = s_str (pair, "tgt");
    const char *cls = paragraph < 0 ? "title" : segment == 0 ? "p" : NULL;
    char classes [32];
    snprintf (classes, sizeof classes, "%s%s%s", cls ? cls : "", cls && !tgt ? " " : "",
              tgt ? "" : "failed");
    s_start (self, "tr");
    if (*classes)
        s_attr (self, "class", classes);
    s_start (self, "td");
    s_attr (self, "lang", s_str (record, "source_lang"));
    s_html_inline (self, s_str (pair, "src"));
    s_end (self);
    s_start (self, "td");
    s_attr (self, "lang", s_str (record, "target_lang"));
    if (tgt)
        s_html_inline (self, tgt);
    else {
        const char *reason = s_reason (record, paragraph, segment);
        char *note = hny_sprintf ("not translated: %s", reason ? reason : "no translation");
        s_start (self, "span");
        s_attr (self, "class", "reason");
        s_text (self, note);
        s_end (self);
        free (note);
    }
    s_end (self);
    s_end (self);
    s_newline (self);
    self->stats.pairs++;
}

static void
s_html_record (hny_export_t *self, const json_t *record)
{
    if (!self->started)
        s_html_head (self);
    const json_t *meta = json_object_get (record, "metadata");
    const char *job = s_str (record, "job");
    s_start (self, "div");
    s_attr (self, "class", "article");
    const char *title = s_plain_title (self, record);
    char *fallback = hny_sprintf ("job %s", job ? job : "?");
    s_element (self, "h2", title ? title : fallback);
    free (fallback);
    s_buf_t line = { 0 };
    if (job && *job) {
        s_buf_add (&line, "job ", 4);
        s_buf_add (&line, job, strlen (job));
    }
    const char *parts [] = { s_str (meta, "date"), s_str (meta, "source"), s_str (record, "backend") };
    for (size_t i = 0; i < sizeof parts / sizeof parts [0]; i++) {
        if (!parts [i] || !*parts [i])
            continue;
        if (line.len)
            s_buf_add (&line, " · ", strlen (" · "));
        s_buf_add (&line, parts [i], strlen (parts [i]));
    }
    char *langs = hny_sprintf ("%s%s%s → %s", line.len ? s_buf_str (&line) : "",
                               line.len ? " · " : "", s_str (record, "source_lang"),
                               s_str (record, "target_lang"));
    s_start (self, "p");
    s_attr (self, "class", "meta");
    s_text (self, langs);
    s_end (self);
    free (langs);
    free (line.data);
    s_start (self, "table");
    s_start (self, "thead");
    s_start (self, "tr");
    s_element (self, "th", s_str (record, "source_lang"));
    s_element (self, "th", s_str (record, "target_lang"));
    s_end (self);
    s_end (self);
    s_newline (self);
    s_start (self, "tbody");
    s_newline (self);
    if (s_title (record))
        s_html_row (self, record, s_title (record), -1, 0);
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (s_segments (record, p), i, seg)
            s_html_row (self, record, seg, (long) p, (long) i);
    }
    s_end (self);
    s_end (self);
    s_end (self);
    s_newline (self);
}

/* ---- Moses ------------------------------------------------------------ */

static s_moses_pair_t *
s_moses_pair (hny_export_t *self, const char *src, const char *tgt)
{
    for (size_t i = 0; i < self->pair_count; i++)
        if (!strcmp (self->pairs [i].src, src) && !strcmp (self->pairs [i].tgt, tgt))
            return &self->pairs [i];
    if (self->pair_count == HNY_EXPORT_MAX_PAIRS) {
        s_fail (self, "more than %d language pairs", HNY_EXPORT_MAX_PAIRS);
        return NULL;
    }
    s_moses_pair_t *pair = &self->pairs [self->pair_count++];
    snprintf (pair->src, sizeof pair->src, "%s", src);
    snprintf (pair->tgt, sizeof pair->tgt, "%s", tgt);
    for (int side = 0; side < 2; side++) {
        pair->tmp [side] = hny_sprintf ("%s/.corpus.%s-%s.%s.tmp", self->out, src, tgt,
                                        side ? "tgt" : "src");
        pair->file [side] = fopen (pair->tmp [side], "w");
        if (!pair->file [side]) {
            s_fail (self, "%s: %s", pair->tmp [side], strerror (errno));
            return NULL;
        }
    }
    return pair;
}

/* The plain text of a segment on one line, trimmed, into b. */
static void
s_moses_line (hny_export_t *self, const char *text, s_buf_t *b)
{
    s_inline_t *in = s_inline_parse (text);
    s_inline_plain (in, &self->scratch2);
    s_inline_destroy (&in);
    s_clean (b, self->scratch2.data, self->scratch2.len, 1);
    size_t start = strspn (b->data, " ");
    while (b->len > start && b->data [b->len - 1] == ' ')
        b->len--;
    b->data [b->len] = 0;
    memmove (b->data, b->data + start, b->len - start + 1);
    b->len -= start;
}

static int
s_moses_pair_write (hny_export_t *self, s_moses_pair_t *files, const json_t *pair)
{
    if (!s_str (pair, "tgt")) {
        self->stats.missing++;
        return 0;
    }
    s_buf_t line [2] = { { 0 }, { 0 } };
    s_moses_line (self, s_str (pair, "src"), &line [0]);
    s_moses_line (self, s_str (pair, "tgt"), &line [1]);
    int rc = 0;
    if (line [0].len == 0 || line [1].len == 0)
        self->stats.missing++;
    else {
        for (int side = 0; side < 2; side++)
            if (fprintf (files->file [side], "%s\n", line [side].data) < 0)
                rc = s_fail (self, "%s: %s", files->tmp [side], strerror (errno));
        self->stats.pairs++;
    }
    free (line [0].data);
    free (line [1].data);
    return rc;
}

static int
s_moses_record (hny_export_t *self, const json_t *record)
{
    const char *src = s_str (record, "source_lang"), *tgt = s_str (record, "target_lang");
    if (!strcmp (src, tgt))
        return s_fail (self, "source and target language are both %s", src);
    s_moses_pair_t *files = s_moses_pair (self, src, tgt);
    if (!files)
        return -1;
    if (s_title (record) && s_moses_pair_write (self, files, s_title (record)))
        return -1;
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (s_segments (record, p), i, seg)
            if (s_moses_pair_write (self, files, seg))
                return -1;
    }
    return 0;
}

static int
s_moses_finish (hny_export_t *self)
{
    for (size_t i = 0; i < self->pair_count; i++) {
        s_moses_pair_t *pair = &self->pairs [i];
        for (int side = 0; side < 2; side++) {
            FILE *f = pair->file [side];
            pair->file [side] = NULL;
            if (fclose (f))
                return s_fail (self, "%s: %s", pair->tmp [side], strerror (errno));
        }
    }
    for (size_t i = 0; i < self->pair_count; i++) {
        s_moses_pair_t *pair = &self->pairs [i];
        for (int side = 0; side < 2; side++) {
            const char *lang = side ? pair->tgt : pair->src;
            char *path = self->pair_count == 1
                             ? hny_sprintf ("%s/corpus.%s", self->out, lang)
                             : hny_sprintf ("%s/corpus.%s-%s.%s", self->out, pair->src,
                                            pair->tgt, lang);
            int rc = rename (pair->tmp [side], path);
            if (rc)
                s_fail (self, "%s: %s", path, strerror (errno));
            free (path);
            if (rc)
                return -1;
        }
    }
    return 0;
}

/* ---- adding and finishing ------------------------------------------- */

int
hny_export_add (hny_export_t *self, const json_t *record)
{
    assert (self && !self->finished);
    if (self->error [0])
        return -1;
    if (self->format == HNY_EXPORT_JSONL) {
        /* JSON Lines passes any object through, as FETCH gave it. */
        if (!json_is_object (record))
            return s_fail (self, "the record is not a JSON object");
        if (json_dumpf (record, self->file, JSON_COMPACT) || fputc ('\n', self->file) == EOF)
            return s_fail (self, "%s: %s", self->tmp ? self->tmp : "stdout", strerror (errno));
        self->stats.records++;
        return 0;
    }
    if (s_check (self, record))
        return -1;
    self->stats.records++;
    switch (self->format) {
        case HNY_EXPORT_TMX: s_tmx_record (self, record); break;
        case HNY_EXPORT_XLIFF: s_xliff_record (self, record); break;
        case HNY_EXPORT_HTML: s_html_record (self, record); break;
        case HNY_EXPORT_MOSES: return s_moses_record (self, record);
        default: assert (0);
    }
    if (self->xml_failed)
        return s_fail (self, "%s: writing failed: %s", self->tmp ? self->tmp : "stdout",
                       strerror (errno));
    return 0;
}

int
hny_export_finish (hny_export_t *self)
{
    assert (self && !self->finished);
    if (self->error [0])
        return -1;
    if (self->format == HNY_EXPORT_MOSES) {
        if (s_moses_finish (self))
            return -1;
        self->finished = 1;
        return 0;
    }
    if (self->w) {
        if (!self->started) {
            /* No record: an empty document still opens and closes. */
            if (self->format == HNY_EXPORT_TMX)
                s_tmx_head (self, "*all*");
            else if (self->format == HNY_EXPORT_XLIFF) {
                snprintf (self->src, sizeof self->src, "und");
                snprintf (self->tgt, sizeof self->tgt, "und");
                s_xliff_head (self);
            }
            else
                s_html_head (self);
        }
        if (self->format == HNY_EXPORT_TMX)
            s_end (self);       /* body */
        if (self->format == HNY_EXPORT_HTML) {
            s_end (self);       /* body */
            s_end (self);       /* html */
            s_newline (self);
        }
        if (xmlTextWriterEndDocument (self->w) < 0)
            self->xml_failed = 1;
        xmlFreeTextWriter (self->w);
        self->w = NULL;
    }
    const char *where = self->tmp ? self->tmp : "stdout";
    if (self->xml_failed)
        return s_fail (self, "%s: writing failed", where);
    if (fflush (self->file) || ferror (self->file))
        return s_fail (self, "%s: %s", where, strerror (errno));
    if (self->tmp) {
        FILE *f = self->file;
        self->file = NULL;
        if (fclose (f))
            return s_fail (self, "%s: %s", where, strerror (errno));
        if (rename (self->tmp, self->out))
            return s_fail (self, "%s: %s", self->out, strerror (errno));
    }
    self->finished = 1;
    return 0;
}
