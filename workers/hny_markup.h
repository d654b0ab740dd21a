/*  hny_markup.h: inline markup of a paragraph (bold, italics, links) kept
    through the pipeline, and protected from translation backends.

    The inline form. Every `src` of a prepared article (and the `tgt` the
    worker returns for it) is text in the "inline form": the text as
    written, plus at most these tags, exactly as spelled here:

        <b> </b>   bold (from b, strong)
        <i> </i>   italics (from i, em)
        <a href="URL"> </a>   a link; href is the only attribute

    Escapes, minimal: a `<` in text is written `&lt;` only where it would
    read as one of these tags, an `&` is written `&amp;` only where it
    would read as one of the escapes `&lt;` `&gt;` `&amp;` `&quot;`; inside
    href, `"`, `&` and `<` are always escaped. Everything else is literal,
    so "R&D", "a < b" and "x > y" stay as they are and a plain-text
    article's segments read exactly as before. A reader decodes the four
    escapes and treats only paired tags as markup (an unpaired tag is text):
    the one reader is honyaku/inline.h, in hnycommon, which the client's
    exports use too; this module builds the worker's side on it.

    Why this and not numbered placeholders plus a per-segment "markup"
    array: a translate task carries only `src` (and a context) from the
    broker to the worker and the record stores `src`/`tgt` strings, so the
    markup has to live inside the string to survive the store, the
    translation memory and the broker unchanged; and a reader of the record
    sees ordinary HTML-like text. The minimal escaping keeps plain texts
    byte-identical (their TM entries stay valid).

    Placeholders. A backend never sees the tags: before a request the
    worker turns element n (numbered from 1 in order of opening) into the
    tokens ⟦n⟧ and ⟦/n⟧ (U+27E6, U+27E7) around the plain, unescaped text.
    Against Apertium APy (eng|spa) these survived untouched, while `[[1]]`
    changed the translation (it is APy's own blank syntax) and APy's html
    format put tags on the wrong words. After translation the tokens become
    the tags again. When a token is lost, duplicated, unknown, closed
    before it is opened or crosses another (not properly nested), the
    target is returned without any markup and with a warning: broken
    markup is never stored. Elements may be reordered freely as long as
    they stay nested.

    Quotes. In the same step the target's quotes are made consistent with
    the source's style: when the source uses only curly double quotes
    (“ ”), straight " in the target become curly (alternately opening and
    closing); when it uses only straight ones, curly and low quotes in the
    target become straight. Single quotes likewise (straight ' to ‘ after a
    space or at the start, else ’). A source with both styles or none
    leaves the target as it is. */
#ifndef HNY_MARKUP_H
#define HNY_MARKUP_H

#include "honyaku/inline.h"

#include <stddef.h>

/* The reader's caps and kinds (honyaku/inline.h), by the names the worker
   has always used. */
#define HNY_MARKUP_MAX_ELEMENTS HNY_INLINE_MAX_ELEMENTS   /* elements kept per text */
#define HNY_MARKUP_MAX_HREF     HNY_INLINE_MAX_HREF       /* bytes of one href */
typedef hny_inline_tag_t hny_markup_tag_t;
#define HNY_MARKUP_B HNY_INLINE_B
#define HNY_MARKUP_I HNY_INLINE_I
#define HNY_MARKUP_A HNY_INLINE_A

/* A parsed text in the inline form: the plain text and its elements. */
typedef struct _hny_markup_t hny_markup_t;

/* Parse [src, src + len) in the inline form, with the reader of
   honyaku/inline.h. Lenient, never fails: a `<` that starts no tag of the
   list is text, a closing tag that does not close the innermost open
   element is dropped, elements never closed are dropped, elements past
   HNY_MARKUP_MAX_ELEMENTS are dropped (their text stays). On top of the
   reader, elements holding no text and links whose href would pass
   HNY_MARKUP_MAX_HREF once escaped are dropped too (their text stays).
   Caller owns the result. */
hny_markup_t *hny_markup_parse (const char *src, size_t len);
void hny_markup_destroy (hny_markup_t **self_p);

/* The plain text (unescaped, no tags), NUL-terminated; borrowed. */
const char *hny_markup_text (const hny_markup_t *self, size_t *len);
/* Number of elements. */
size_t hny_markup_count (const hny_markup_t *self);

/* The inline form of the plain text's byte range [start, end): elements
   that begin before start are opened at its start, those that end after
   end are closed at its end (so a segment's markup is always balanced).
   Caller owns the result; *out_len set when out_len is not NULL. */
char *hny_markup_render (const hny_markup_t *self, size_t start, size_t end, size_t *out_len);

/* Escape plain text into the inline form (no tags). Caller owns. */
char *hny_markup_escape (const char *text, size_t len, size_t *out_len);

/* The text a backend gets: plain text with ⟦n⟧ ... ⟦/n⟧ around element n.
   Returns NULL when the plain text itself holds ⟦ (the tokens would be
   ambiguous); the caller then sends the plain text and restores without
   markup. Caller owns the result. */
char *hny_markup_protect (const hny_markup_t *self, size_t *out_len);

/* Turn a backend's translation back into the inline form: quotes made
   consistent with the source's plain text, tokens back into tags. src is
   the parsed source (its elements and plain text); with_markup 0 means
   the source was sent without tokens (any token-like text then stays
   text). Returns the inline form (caller owns). When the tokens do not
   check out, the result has no markup and *warning (caller owns) says
   why; else *warning is NULL. */
char *hny_markup_restore (const hny_markup_t *src, int with_markup, const char *tgt,
                          size_t len, char **warning);

/* Quote consistency alone: a copy of tgt (plain text) whose quotes follow
   the style of src (plain text), as described above. Caller owns. */
char *hny_markup_quotes (const char *src, size_t src_len, const char *tgt, size_t len);

#endif
