/*  ts_xlate.h: the test server's deterministic "translation", its glossaries
    and small text helpers (code points, language guess).

    The translation of TEXT into TARGET is "【" + lowercase(TARGET) + "】"
    followed by TEXT with every ASCII letter mapped to its full-width form
    (A-Z -> U+FF21..U+FF3A, a-z -> U+FF41..U+FF5A); every other character is
    copied. Glossary terms are replaced first by their target term, verbatim.
    Tests compute the expected output with the same rule (README.md). */
#ifndef TS_XLATE_H
#define TS_XLATE_H

#include <stddef.h>

/* How markup in the text is treated. */
typedef enum {
    TS_MARKUP_NONE = 0,     /* plain text: every character is text */
    TS_MARKUP_TAGS,         /* <tags> and &entities; are copied verbatim */
    TS_MARKUP_HTML_ESCAPE   /* as TAGS, and ' and " in text come back as
                               &#39; and &quot; (Google's format=html) */
} ts_markup_t;

/* A glossary: source term -> target term pairs. */
typedef struct {
    char *id;              /* "0000...-000n" style id, owned */
    char *name;            /* owned */
    char *source_lang;     /* as given (e.g. "en"), owned */
    char *target_lang;     /* as given (e.g. "ja"), owned */
    size_t count;          /* number of entries */
    char **source;         /* count terms, owned */
    char **target;         /* count terms, owned */
} ts_glossary_t;

/* Most entries one glossary may hold; more is an error. */
#define TS_GLOSSARY_MAX_ENTRIES 5000

/* Parse TSV entries ("source<TAB>target" per line, blank lines skipped) into
   a new glossary. Returns NULL and a static message in *err on a line without
   exactly one tab, an empty term, or too many entries. Caller owns the result. */
ts_glossary_t *ts_glossary_parse_tsv (const char *tsv, const char **err);
/* A deep copy; caller owns the result. */
ts_glossary_t *ts_glossary_dup (const ts_glossary_t *src);
/* Free the glossary and set *self_p to NULL; accepts NULL. */
void ts_glossary_destroy (ts_glossary_t **self_p);

/* Translate text (valid UTF-8) into target as described above; glossary may
   be NULL. Caller owns the result. */
char *ts_xlate (const char *text, const char *target, const ts_glossary_t *glossary,
                ts_markup_t markup);

/* The "digits" fault: a translation that reads well and says something
   else; every ASCII digit of text becomes the next one (9 becomes 0), in
   place. */
void ts_xlate_mistake (char *text);

/* Number of Unicode code points in the UTF-8 string s. */
size_t ts_codepoints (const char *s);

/* First len code points of s as a new string; caller owns the result. */
char *ts_codepoint_prefix (const char *s, size_t len);

/* "ja" when s holds kana or CJK ideographs, else "en". Static string. */
const char *ts_detect_lang (const char *s);

/* Case-insensitive ASCII comparison helpers. */
int ts_streq_ci (const char *a, const char *b);

#endif
