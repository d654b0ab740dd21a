/*  hny_glossary.h: a backend profile's glossary (profile key `glossary`):
    a TSV file of "source term<TAB>target term" lines, read once when the
    backend is made. Backends use it three ways: DeepL uploads it as a
    server-side glossary; an LLM gets the terms that occur in its text in the
    prompt; Google and LibreTranslate, which have no glossaries, get the
    terms replaced by placeholders that machine translation keeps (⟦1⟧,
    ⟦2⟧...) and the target terms put back into the translation.

    Matching is the same everywhere (and what DeepL does): at each position
    the longest source term that matches there, case-sensitive.

    What DeepL's glossary endpoint refuses is refused here, at load, with
    the file and line: an empty term, a term with control characters
    (C0, C1, U+2028, U+2029) and the same source term twice with two
    targets. Spaces around a term are dropped (DeepL refuses them too), and
    a line that repeats an earlier entry exactly is skipped with a warning
    in the log, so that the entries sent to a service are always valid. */
#ifndef HNY_GLOSSARY_H
#define HNY_GLOSSARY_H

#include <stddef.h>

#define HNY_GLOSSARY_MAX_FILE    (1024 * 1024)  /* bytes of the TSV file */
#define HNY_GLOSSARY_MAX_ENTRIES 5000           /* DeepL's limit too */
#define HNY_GLOSSARY_MAX_TERM    256            /* bytes of one term */

typedef struct _hny_glossary_t hny_glossary_t;

/* Read a TSV file: one "source<TAB>target" per line; blank lines and lines
   starting with '#' are skipped; CRLF is fine; spaces around each term are
   dropped. Terms are non-empty valid UTF-8 without control characters; a
   source term given twice with different targets is an error, twice with
   the same target a warning (logged; the repeat is skipped). Returns the
   glossary (caller owns) or NULL with *error (caller owns) naming the
   file, line and problem. */
hny_glossary_t *hny_glossary_load (const char *path, char **error);
/* The same from a string (tests). */
hny_glossary_t *hny_glossary_parse (const char *tsv, size_t size, const char *name, char **error);
void hny_glossary_destroy (hny_glossary_t **self_p);

size_t hny_glossary_size (const hny_glossary_t *self);
const char *hny_glossary_source (const hny_glossary_t *self, size_t index);
const char *hny_glossary_target (const hny_glossary_t *self, size_t index);

/* The entries as TSV ("source\ttarget\n" each), for DeepL's
   entries_format "tsv". Caller owns the result. */
char *hny_glossary_tsv (const hny_glossary_t *self);

/* A fingerprint of the entries (order included): 16 lower-case hex digits
   of a 64-bit FNV-1a hash of hny_glossary_tsv, written to out with its
   NUL. The same file content gives the same fingerprint in every worker
   and across restarts, so a server-side glossary can be named by it. */
#define HNY_GLOSSARY_FINGERPRINT_LEN 16
void hny_glossary_fingerprint (const hny_glossary_t *self,
                               char out[HNY_GLOSSARY_FINGERPRINT_LEN + 1]);

/* The entry whose source term is exactly the whole text, or -1: such a
   segment is translated by the glossary alone, never sent. */
long hny_glossary_whole (const hny_glossary_t *self, const char *text, size_t len);

/* Mark in used[] (size() flags, set to 1; others untouched) the entries that
   occur in text. Returns how many were newly marked. */
size_t hny_glossary_mark_used (const hny_glossary_t *self, const char *text, size_t len,
                               unsigned char *used);

/* text with each glossary match replaced by a placeholder ⟦n⟧, n = 1, 2...
   in order; *terms (caller owns) gets the entry of each placeholder and
   *count their number. Returns NULL (and *terms NULL, *count 0) when no
   term occurs or when text already holds a "⟦" (it would be ambiguous).
   Caller owns the result. */
char *hny_glossary_protect (const hny_glossary_t *self, const char *text, size_t len,
                            size_t **terms, size_t *count);

/* The translation text with each ⟦n⟧ replaced by the target term of
   terms[n - 1]. Never fails: a placeholder the service repeated is
   replaced each time, one it lost leaves its term out, and an unknown or
   broken one (a ⟦ or ⟧ the source never had) is dropped; in those cases
   *warning (caller owns) says what happened, else it is NULL. The
   translation is then kept with that warning, like lost markup. Caller
   owns the result. */
char *hny_glossary_restore (const hny_glossary_t *self, const size_t *terms, size_t count,
                            const char *text, size_t len, char **warning);

#endif
