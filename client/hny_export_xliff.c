/*  hny_export_xliff.c: the record export's XLIFF writers, 2.0 and 1.2,
    over the xmlTextWriter wrappers of hny_export_xml.h.

    Both versions read a segment pair the same way: each side parsed into
    tokens (honyaku/inline.h), and the elements of both sides numbered so
    that a target element carries the id of the source element it stands
    for (same kind, same link). They differ in the elements they write:

      2.0: <file> per article, <unit> per paragraph, <segment> per pair,
           <pc> for every element (a link's tag kept in <originalData>);
           machine output state="initial" subState="honyaku:mt".
      1.2: <file> per article, <group restype="x-paragraph"> per
           paragraph, <trans-unit> per pair; <g ctype="bold|italic"> for
           formatting, <bpt ctype="link">/<ept> for links (they carry the
           tag and its href); machine output <target
           state="needs-review-translation" state-qualifier="mt-suggestion"
           phase-name="mtN">, the phase in the header naming the backend.

    A <file> per article rather than one for the whole export: it keeps
    each article's origin (original=, its notes) where CAT tools show it,
    and translate-toolkit, OmegaT, Trados and memoQ all read several
    <file>s in one document. Paragraphs are 1.2 <group>s (2.0 <unit>s) so
    that a tool keeps them together and a reader sees where they break. */
#include "hny_export_xliff.h"
#include "hny_export_priv.h"
#include "hny_export_xml.h"
#include "honyaku/record.h"
#include "honyaku/util.h"

#include <libxml/xmlwriter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef HNY_VERSION
#define HNY_VERSION "0"
#endif

#define S_MAX_BACKENDS 16       /* XLIFF 1.2 phases named in one file; more go unnamed */

/* ---- a segment pair, read ---------------------------------------------- */

/* One side of a segment pair, with the ids its elements get in the unit. */
typedef struct {
    const char *text;           /* the inline form, borrowed from the record */
    hny_inline_t *in;
    size_t *uid;                /* per token: the id of a tag's element */
    unsigned char *claimed;     /* per token, source opening tags: matched by a target one */
} s_side_t;

/* Read one side (text may be NULL: no translation; the side stays empty). */
static void
s_side_read (s_side_t *side, const char *text)
{
    memset (side, 0, sizeof *side);
    if (!text)
        return;
    side->text = text;
    side->in = hny_inline_parse (text, strlen (text));
    side->uid = hny_calloc (hny_inline_count (side->in) + 1, sizeof *side->uid);
    side->claimed = hny_calloc (hny_inline_count (side->in) + 1, 1);
}

static void
s_side_free (s_side_t *side)
{
    hny_inline_destroy (&side->in);
    free (side->uid);
    free (side->claimed);
}

static int
s_same_element (const hny_inline_token_t *a, const hny_inline_token_t *b)
{
    if (a->tag != b->tag)
        return 0;
    if (a->tag != HNY_INLINE_A)
        return 1;
    return strcmp (a->href, b->href) == 0;
}

/* Number the elements of a pair: source elements in order, a target
   element takes the id of the first unclaimed source element of the same
   kind (and link), else a new id. Returns the next free id. */
static size_t
s_number (s_side_t *src, s_side_t *tgt, size_t next)
{
    for (size_t i = 0; i < hny_inline_count (src->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (src->in, i);
        if (t->kind == HNY_INLINE_OPEN)
            src->uid [i] = src->uid [t->mate] = next++;
    }
    for (size_t i = 0; tgt->in && i < hny_inline_count (tgt->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (tgt->in, i);
        if (t->kind != HNY_INLINE_OPEN)
            continue;
        for (size_t j = 0; j < hny_inline_count (src->in) && !tgt->uid [i]; j++) {
            const hny_inline_token_t *s = hny_inline_token (src->in, j);
            if (s->kind == HNY_INLINE_OPEN && !src->claimed [j] && s_same_element (s, t)) {
                src->claimed [j] = 1;
                tgt->uid [i] = src->uid [j];
            }
        }
        if (!tgt->uid [i])
            tgt->uid [i] = next++;
        tgt->uid [t->mate] = tgt->uid [i];
    }
    return next;
}

/* True when the side holds a link. */
static int
s_has_link (const s_side_t *side)
{
    for (size_t i = 0; side->in && i < hny_inline_count (side->in); i++)
        if (hny_inline_token (side->in, i)->kind == HNY_INLINE_OPEN
            && hny_inline_token (side->in, i)->tag == HNY_INLINE_A)
            return 1;
    return 0;
}

/* A note's text for a pair of the unit: why it failed, what its
   translation lost, or the fallback that made it; NULL when none is
   due. Caller owns. LABEL names the pair ("s2", or "" for one alone). */
static char *
s_pair_note (const json_t *record, const json_t *pair, long paragraph, long segment,
             const char *label, const char *sep)
{
    if (!hny_export_str (pair, "tgt")) {
        const char *reason = hny_export_reason (record, paragraph, segment);
        return hny_sprintf ("%s%snot translated: %s", label, sep, reason ? reason : "no translation");
    }
    if (hny_export_str (pair, "warning"))
        return hny_sprintf ("%s%swarning: %s", label, sep, hny_export_str (pair, "warning"));
    if (hny_export_str (pair, "backend"))
        return hny_sprintf ("%s%smachine translation by %s (fallback of %s)", label, sep,
                            hny_export_str (pair, "backend"), hny_export_str (record, "backend"));
    return NULL;
}

/* ---- XLIFF 2.0 -------------------------------------------------------- */

void
hny_export_xliff_head (hny_export_t *self)
{
    if (xmlTextWriterStartDocument (self->w, NULL, "UTF-8", NULL) < 0)
        self->xml_failed = 1;
    hny_export_xml_start (self, "xliff");
    hny_export_xml_attr (self, "xmlns", "urn:oasis:names:tc:xliff:document:2.0");
    hny_export_xml_attr (self, "version", "2.0");
    hny_export_xml_attr (self, "srcLang", self->cur->src);
    hny_export_xml_attr (self, "trgLang", self->cur->tgt);
    hny_export_xml_newline (self);
    self->cur->started = 1;
}

/* A side's content: text, and a <pc> per element. */
static void
s_content20 (hny_export_t *self, const s_side_t *side)
{
    const char *plain = hny_inline_text (side->in, NULL);
    for (size_t i = 0; i < hny_inline_count (side->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (side->in, i);
        if (t->kind == HNY_INLINE_TEXT)
            hny_export_xml_text_n (self, plain + t->start, t->end - t->start);
        else if (t->kind == HNY_INLINE_CLOSE)
            hny_export_xml_end (self);
        else {
            char id [32];
            snprintf (id, sizeof id, "%zu", side->uid [i]);
            hny_export_xml_start (self, "pc");
            hny_export_xml_attr (self, "id", id);
            if (t->tag == HNY_INLINE_A) {
                snprintf (id, sizeof id, "d%zu", side->uid [i]);
                hny_export_xml_attr (self, "type", "link");
                hny_export_xml_attr (self, "dataRefStart", id);
                hny_export_xml_attr (self, "dataRefEnd", "dA");
            }
            else {
                hny_export_xml_attr (self, "type", "fmt");
                hny_export_xml_attr (self, "subType",
                                     t->tag == HNY_INLINE_B ? "xlf:b" : "xlf:i");
            }
        }
    }
}

static void
s_note20 (hny_export_t *self, const char *category, const char *value)
{
    if (!value || !*value)
        return;
    hny_export_xml_start (self, "note");
    hny_export_xml_attr (self, "category", category);
    hny_export_xml_text (self, value);
    hny_export_xml_end (self);
}

/* Links keep their opening tag, as written, in <originalData>; a matched
   target link shares its source's entry. next bounds the ids. */
static void
s_original_data20 (hny_export_t *self, const s_side_t *src, const s_side_t *tgt, size_t count,
                   size_t next)
{
    unsigned char *written = hny_calloc (next, 1);
    char id [32];
    hny_export_xml_start (self, "originalData");
    for (size_t k = 0; k < count; k++)
        for (int side = 0; side < 2; side++) {
            const s_side_t *sd = side ? &tgt [k] : &src [k];
            for (size_t i = 0; sd->in && i < hny_inline_count (sd->in); i++) {
                const hny_inline_token_t *t = hny_inline_token (sd->in, i);
                if (t->kind != HNY_INLINE_OPEN || t->tag != HNY_INLINE_A || written [sd->uid [i]])
                    continue;
                written [sd->uid [i]] = 1;
                snprintf (id, sizeof id, "d%zu", sd->uid [i]);
                hny_export_xml_start (self, "data");
                hny_export_xml_attr (self, "id", id);
                hny_export_xml_text_n (self, sd->text + t->at, t->len);
                hny_export_xml_end (self);
            }
        }
    hny_export_xml_start (self, "data");
    hny_export_xml_attr (self, "id", "dA");
    hny_export_xml_text (self, "</a>");
    hny_export_xml_end (self);
    hny_export_xml_end (self);
    free (written);
}

/* One <unit> of the segment pairs pairs[0..count) (paragraph -1: title). */
static void
s_unit20 (hny_export_t *self, const json_t *record, long paragraph, const json_t *const *pairs,
          size_t count)
{
    s_side_t *src = hny_calloc (count, sizeof *src);
    s_side_t *tgt = hny_calloc (count, sizeof *tgt);
    char **notes = hny_calloc (count, sizeof *notes);
    size_t next = 1;
    int links = 0, noted = 0;
    for (size_t k = 0; k < count; k++) {
        s_side_read (&src [k], hny_export_str (pairs [k], "src"));
        s_side_read (&tgt [k], hny_export_str (pairs [k], "tgt"));
        next = s_number (&src [k], &tgt [k], next);
        links |= s_has_link (&src [k]) || s_has_link (&tgt [k]);
        char label [32];
        snprintf (label, sizeof label, "s%zu", k + 1);
        notes [k] = s_pair_note (record, pairs [k], paragraph, (long) k, label, " ");
        noted |= notes [k] != NULL;
    }
    char id [48];
    if (paragraph < 0)
        snprintf (id, sizeof id, "title");
    else
        snprintf (id, sizeof id, "p%ld", paragraph);
    hny_export_xml_start (self, "unit");
    hny_export_xml_attr (self, "id", id);
    if (noted) {
        hny_export_xml_start (self, "notes");
        for (size_t k = 0; k < count; k++)
            s_note20 (self, !tgt [k].in ? "error" : hny_export_str (pairs [k], "warning")
                                                        ? "warning" : "backend", notes [k]);
        hny_export_xml_end (self);
    }
    if (links)
        s_original_data20 (self, src, tgt, count, next);
    for (size_t k = 0; k < count; k++) {
        int human = hny_export_human (record, pairs [k]);
        snprintf (id, sizeof id, "s%zu", k + 1);
        hny_export_xml_start (self, "segment");
        hny_export_xml_attr (self, "id", id);
        /* machine output waits for review: "initial"; a person's is done */
        hny_export_xml_attr (self, "state", tgt [k].in && human ? "translated" : "initial");
        if (tgt [k].in && !human)
            hny_export_xml_attr (self, "subState", "honyaku:mt");
        hny_export_xml_start (self, "source");
        s_content20 (self, &src [k]);
        hny_export_xml_end (self);
        if (tgt [k].in) {
            hny_export_xml_start (self, "target");
            s_content20 (self, &tgt [k]);
            hny_export_xml_end (self);
        }
        hny_export_xml_end (self);
        self->stats.pairs++;
        s_side_free (&src [k]);
        s_side_free (&tgt [k]);
        free (notes [k]);
    }
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    free (src);
    free (tgt);
    free (notes);
}

void
hny_export_xliff_record (hny_export_t *self, const json_t *record)
{
    if (!self->cur->started)
        hny_export_xliff_head (self);
    const json_t *meta = json_object_get (record, "metadata");
    char id [32];
    snprintf (id, sizeof id, "f%ld", self->cur->records + 1);
    hny_export_xml_start (self, "file");
    hny_export_xml_attr (self, "id", id);
    if (hny_export_str (meta, "source") && *hny_export_str (meta, "source"))
        hny_export_xml_attr (self, "original", hny_export_str (meta, "source"));
    hny_export_xml_start (self, "notes");
    s_note20 (self, "job", hny_export_str (record, "job"));
    s_note20 (self, "title", hny_export_plain_title (self, record));
    s_note20 (self, "date", hny_export_str (meta, "date"));
    s_note20 (self, "source", hny_export_str (meta, "source"));
    s_note20 (self, "backend", hny_export_str (record, "backend"));
    s_note20 (self, "schema", HNY_RECORD_SCHEMA);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    const json_t *title = hny_export_title (record);
    if (title)
        s_unit20 (self, record, -1, &title, 1);
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        const json_t *segs = hny_export_segments (record, p);
        size_t n = json_array_size (segs);
        if (n == 0)
            continue;
        const json_t **pairs = hny_malloc (n * sizeof *pairs);
        for (size_t k = 0; k < n; k++)
            pairs [k] = json_array_get (segs, k);
        s_unit20 (self, record, (long) p, pairs, n);
        free (pairs);
    }
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
}

/* ---- XLIFF 1.2 -------------------------------------------------------- */

/* The backends that machine-translated pairs of a record, in order of
   first use: XLIFF 1.2 names each in a <phase> that targets refer to. */
typedef struct {
    const char *name [S_MAX_BACKENDS];
    size_t count;
} s_backends_t;

static void
s_backends_add (s_backends_t *b, const json_t *record, const json_t *pair)
{
    if (!pair || !hny_export_str (pair, "tgt") || hny_export_human (record, pair))
        return;
    const char *name = hny_export_backend (record, pair);
    for (size_t i = 0; i < b->count; i++)
        if (strcmp (b->name [i], name) == 0)
            return;
    if (b->count < S_MAX_BACKENDS)
        b->name [b->count++] = name;
}

/* The phase-name of a pair's backend ("mt1", ...) into buf, or NULL. */
static const char *
s_phase (const s_backends_t *b, const json_t *record, const json_t *pair, char *buf, size_t size)
{
    const char *name = hny_export_backend (record, pair);
    for (size_t i = 0; i < b->count; i++)
        if (strcmp (b->name [i], name) == 0) {
            snprintf (buf, size, "mt%zu", i + 1);
            return buf;
        }
    return NULL;
}

void
hny_export_xliff12_head (hny_export_t *self)
{
    if (xmlTextWriterStartDocument (self->w, NULL, "UTF-8", NULL) < 0)
        self->xml_failed = 1;
    hny_export_xml_start (self, "xliff");
    hny_export_xml_attr (self, "xmlns", "urn:oasis:names:tc:xliff:document:1.2");
    hny_export_xml_attr (self, "version", "1.2");
    hny_export_xml_newline (self);
    self->cur->started = 1;
}

/* A side's content: text, <g> for bold and italics, <bpt>/<ept> holding
   a link's tags. */
static void
s_content12 (hny_export_t *self, const s_side_t *side)
{
    const char *plain = hny_inline_text (side->in, NULL);
    for (size_t i = 0; i < hny_inline_count (side->in); i++) {
        const hny_inline_token_t *t = hny_inline_token (side->in, i);
        if (t->kind == HNY_INLINE_TEXT) {
            hny_export_xml_text_n (self, plain + t->start, t->end - t->start);
            continue;
        }
        char id [32];
        snprintf (id, sizeof id, "%zu", side->uid [i]);
        if (t->tag != HNY_INLINE_A) {
            if (t->kind == HNY_INLINE_CLOSE) {
                hny_export_xml_end (self);
                continue;
            }
            hny_export_xml_start (self, "g");
            hny_export_xml_attr (self, "id", id);
            hny_export_xml_attr (self, "ctype", t->tag == HNY_INLINE_B ? "bold" : "italic");
            continue;
        }
        hny_export_xml_start (self, t->kind == HNY_INLINE_OPEN ? "bpt" : "ept");
        hny_export_xml_attr (self, "id", id);
        hny_export_xml_attr (self, "rid", id);
        if (t->kind == HNY_INLINE_OPEN)
            hny_export_xml_attr (self, "ctype", "link");
        hny_export_xml_text_n (self, side->text + t->at, t->len);
        hny_export_xml_end (self);
    }
}

static void
s_note12 (hny_export_t *self, const char *annotates, const char *text)
{
    if (!text || !*text)
        return;
    hny_export_xml_start (self, "note");
    hny_export_xml_attr (self, "from", "honyaku");
    if (annotates)
        hny_export_xml_attr (self, "annotates", annotates);
    hny_export_xml_text (self, text);
    hny_export_xml_end (self);
}

/* One <trans-unit> (paragraph -1: the title). */
static void
s_unit12 (hny_export_t *self, const json_t *record, const s_backends_t *backends,
          const json_t *pair, long paragraph, long segment)
{
    s_side_t src, tgt;
    s_side_read (&src, hny_export_str (pair, "src"));
    s_side_read (&tgt, hny_export_str (pair, "tgt"));
    s_number (&src, &tgt, 1);
    char id [64], phase [32];
    if (paragraph < 0)
        snprintf (id, sizeof id, "title");
    else
        snprintf (id, sizeof id, "p%ld.s%ld", paragraph, segment + 1);
    hny_export_xml_start (self, "trans-unit");
    hny_export_xml_attr (self, "id", id);
    hny_export_xml_attr (self, "xml:space", "preserve");
    hny_export_xml_start (self, "source");
    s_content12 (self, &src);
    hny_export_xml_end (self);
    if (tgt.in) {
        hny_export_xml_start (self, "target");
        if (hny_export_human (record, pair))
            hny_export_xml_attr (self, "state", "translated");
        else {
            hny_export_xml_attr (self, "state", "needs-review-translation");
            hny_export_xml_attr (self, "state-qualifier", "mt-suggestion");
            if (s_phase (backends, record, pair, phase, sizeof phase))
                hny_export_xml_attr (self, "phase-name", phase);
        }
        s_content12 (self, &tgt);
        hny_export_xml_end (self);
    }
    char *note = s_pair_note (record, pair, paragraph, segment, "", "");
    s_note12 (self, "target", note);
    free (note);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
    self->stats.pairs++;
    s_side_free (&src);
    s_side_free (&tgt);
}

/* The <header>: the phases of the backends, notes on the article, and
   the tool. */
static void
s_header12 (hny_export_t *self, const json_t *record, const s_backends_t *backends)
{
    const json_t *meta = json_object_get (record, "metadata");
    const char *job = hny_export_str (record, "job");
    hny_export_xml_start (self, "header");
    if (backends->count) {
        hny_export_xml_start (self, "phase-group");
        for (size_t i = 0; i < backends->count; i++) {
            char name [32];
            snprintf (name, sizeof name, "mt%zu", i + 1);
            hny_export_xml_start (self, "phase");
            hny_export_xml_attr (self, "phase-name", name);
            hny_export_xml_attr (self, "process-name", "translation");
            hny_export_xml_attr (self, "tool-id", "honyaku");
            if (job && *job)
                hny_export_xml_attr (self, "job-id", job);
            char *text = hny_sprintf ("machine translation by %s", backends->name [i]);
            s_note12 (self, NULL, text);
            free (text);
            hny_export_xml_end (self);
        }
        hny_export_xml_end (self);
    }
    const char *labels [] = { "job", "title", "date", "source", "backend" };
    const char *values [] = { job, hny_export_plain_title (self, record),
                              hny_export_str (meta, "date"), hny_export_str (meta, "source"),
                              hny_export_str (record, "backend") };
    for (size_t i = 0; i < sizeof labels / sizeof labels [0]; i++)
        if (values [i] && *values [i]) {
            char *text = hny_sprintf ("%s: %s", labels [i], values [i]);
            s_note12 (self, NULL, text);
            free (text);
        }
    hny_export_xml_start (self, "tool");
    hny_export_xml_attr (self, "tool-id", "honyaku");
    hny_export_xml_attr (self, "tool-name", "honyaku");
    hny_export_xml_attr (self, "tool-version", HNY_VERSION);
    hny_export_xml_end_empty (self);
    hny_export_xml_end (self);
    hny_export_xml_newline (self);
}

void
hny_export_xliff12_record (hny_export_t *self, const json_t *record)
{
    if (!self->cur->started)
        hny_export_xliff12_head (self);
    s_backends_t backends = { .count = 0 };
    const json_t *title = hny_export_title (record);
    s_backends_add (&backends, record, title);
    size_t paragraphs = json_array_size (json_object_get (record, "paragraphs"));
    for (size_t p = 0; p < paragraphs; p++) {
        size_t i;
        const json_t *seg;
        json_array_foreach (hny_export_segments (record, p), i, seg)
            s_backends_add (&backends, record, seg);
    }
    /* original is required: the article's path or URL, else its job */
    const char *source = hny_export_str (json_object_get (record, "metadata"), "source");
    const char *job = hny_export_str (record, "job");
    char *original = source && *source ? hny_strdup (source)
                                       : hny_sprintf ("honyaku-job-%s", job ? job : "unknown");
    hny_export_xml_start (self, "file");
    hny_export_xml_attr (self, "original", original);
    hny_export_xml_attr (self, "source-language", self->cur->src);
    hny_export_xml_attr (self, "target-language", self->cur->tgt);
    hny_export_xml_attr (self, "datatype", "plaintext");
    hny_export_xml_attr (self, "tool-id", "honyaku");
    json_t *finished = json_object_get (record, "finished");
    if (json_is_integer (finished) && json_integer_value (finished) >= 0) {
        time_t t = (time_t) (json_integer_value (finished) / 1000);
        struct tm tm;
        char date [32];
        if (gmtime_r (&t, &tm) && strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm))
            hny_export_xml_attr (self, "date", date);
    }
    free (original);
    hny_export_xml_newline (self);
    s_header12 (self, record, &backends);
    hny_export_xml_start (self, "body");
    hny_export_xml_newline (self);
    if (title)
        s_unit12 (self, record, &backends, title, -1, 0);
    for (size_t p = 0; p < paragraphs; p++) {
        const json_t *segs = hny_export_segments (record, p);
        if (json_array_size (segs) == 0)
            continue;
        char id [32];
        snprintf (id, sizeof id, "p%zu", p);
        hny_export_xml_start (self, "group");
        hny_export_xml_attr (self, "id", id);
        hny_export_xml_attr (self, "restype", "x-paragraph");
        hny_export_xml_newline (self);
        size_t i;
        const json_t *seg;
        json_array_foreach (segs, i, seg)
            s_unit12 (self, record, &backends, seg, (long) p, (long) i);
        hny_export_xml_end (self);
        hny_export_xml_newline (self);
    }
    hny_export_xml_end (self);  /* body */
    hny_export_xml_end (self);  /* file */
    hny_export_xml_newline (self);
}
