/*  honyaku/inline.h: the one reader of the inline form (proto/PROTOCOL.md
    11.1), the text of every segment's `src` and `tgt`: text plus the
    paired tags <b>, <i> and <a href="...">, with the escapes &lt; &gt;
    &amp; &quot;. The worker builds its placeholders and restores markup on
    it (workers/hny_markup.h, which also has the writer's side: minimal
    escaping and rendering); the client's exports (TMX, XLIFF, HTML, Moses)
    write their formats from it.

    The grammar, as a reader sees it:
    - A tag is exactly "<b>", "</b>", "<i>", "</i>", "</a>" or
      "<a href=\"V\">", where V (the href as written, escapes and all) holds
      no '"', '<' or newline and is at most HNY_INLINE_MAX_HREF bytes.
    - Tags pair like a stack: a closing tag closes the innermost open
      element when it is of its kind, and is text otherwise; an opening tag
      never closed is text, and so is one past HNY_INLINE_MAX_ELEMENTS
      opened (a cap on what a reader keeps per text).
    - A tag that is text stays as written (its escapes are not decoded).
      Elsewhere the four escapes decode; every other byte is literal, so
      "R&D", "a < b" and "x > y" read as they are.
    An element may hold no text ("<b></b>"): the parse keeps it, and a
    reader may drop it (the worker does). */
#ifndef HNY_INLINE_H
#define HNY_INLINE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_INLINE_MAX_ELEMENTS 256     /* opening tags paired per text; later ones are text */
#define HNY_INLINE_MAX_HREF     2048    /* bytes of an href as written; a longer one is no tag */

typedef enum {
    HNY_INLINE_B = 1,           /* <b>: bold (from b, strong) */
    HNY_INLINE_I = 2,           /* <i>: italics (from i, em) */
    HNY_INLINE_A = 3            /* <a href="...">: a link */
} hny_inline_tag_t;

typedef enum {
    HNY_INLINE_TEXT = 0,        /* a run of plain text */
    HNY_INLINE_OPEN,            /* the opening tag of an element */
    HNY_INLINE_CLOSE            /* its closing tag */
} hny_inline_kind_t;

/* One piece of a parsed text, in source order. Text tokens are the runs of
   plain text between paired tags (never empty; unpaired tags are inside
   them as written); every tag token belongs to a paired element. */
typedef struct {
    hny_inline_kind_t kind;
    hny_inline_tag_t tag;       /* tags: the element's kind; text: 0 */
    size_t start, end;          /* text: its bytes [start, end) in the plain text;
                                   tags: where they stand in it (start == end) */
    size_t at, len;             /* tags: their spelling, bytes [at, at + len) of the source */
    size_t mate;                /* tags: index of the element's other tag */
    size_t element;             /* tags: the element's number from 1, in order of opening */
    const char *href;           /* opening tag of a link: the href decoded; else NULL */
} hny_inline_token_t;

/* A parsed text in the inline form. */
typedef struct _hny_inline_t hny_inline_t;

/* Parse [src, src + len) (any bytes; NULs are text). Never fails: what is
   not markup is text. The result does not point into src. Caller owns. */
hny_inline_t *hny_inline_parse (const char *src, size_t len);

/* Free a parse; accepts NULL and a NULL *self_p, sets *self_p to NULL. */
void hny_inline_destroy (hny_inline_t **self_p);

/* The plain text: escapes decoded, paired tags out, NUL-terminated; *len
   set when len is not NULL. Borrowed, as long as the parse lives. */
const char *hny_inline_text (const hny_inline_t *self, size_t *len);

/* Tokens, and token INDEX (< hny_inline_count); borrowed. */
size_t hny_inline_count (const hny_inline_t *self);
const hny_inline_token_t *hny_inline_token (const hny_inline_t *self, size_t index);

/* Paired elements (numbered 1 to this in the tokens). */
size_t hny_inline_elements (const hny_inline_t *self);

/* The grammar's pieces, for writers that must know what a reader will see
   (minimal escaping, hny_markup.c). end bounds the text after p. */

/* An escape (entity) at p: returns its length and sets *c to the
   character it stands for; 0 when none of the four starts at p. */
size_t hny_inline_entity_at (const char *p, const char *end, char *c);

/* A tag at p: returns its length and sets *tag and *closing; 0 when p
   starts no tag of the grammar (paired or not). */
size_t hny_inline_tag_at (const char *p, const char *end, hny_inline_tag_t *tag, int *closing);

#ifdef __cplusplus
}
#endif
#endif
