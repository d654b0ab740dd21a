/*  hny_be_pseudo.c: the built-in `pseudo` backend: a pseudo-translation
    for dry runs, as localization tools make one, that nobody can take for a
    translation: "Hello 42." -> "⟦ÞŠËÛÐÖ: Ĥêľľö 42.⟧". ASCII letters get
    accents, everything else (digits, punctuation, non-Latin text) stays, so
    the output is deterministic and about as long as the input. No network:
    requests 0, chars_billed 0. */
#include "hny_backend.h"

#include <honyaku/util.h>

#include <stdlib.h>
#include <string.h>

#define S_OPEN   "\xE2\x9F\xA6"                         /* ⟦ U+27E6 */
#define S_CLOSE  "\xE2\x9F\xA7"                         /* ⟧ U+27E7 */
#define S_MARKER "ÞŠËÛÐÖ: "

static const char *const s_lower[26] = {
    "à", "ƀ", "ç", "ď", "ê", "ƒ", "ĝ", "ĥ", "î", "ĵ", "ķ", "ľ", "ɱ",
    "ñ", "ö", "þ", "ǫ", "ŕ", "ŝ", "ţ", "û", "ṽ", "ŵ", "ẋ", "ý", "ž"
};
static const char *const s_upper[26] = {
    "À", "Ɓ", "Ç", "Ď", "Ê", "Ƒ", "Ĝ", "Ĥ", "Î", "Ĵ", "Ķ", "Ľ", "Ṁ",
    "Ñ", "Ö", "Þ", "Ǫ", "Ŕ", "Š", "Ŧ", "Û", "Ṽ", "Ŵ", "Ẋ", "Ý", "Ž"
};

/* The pseudo-translation of len bytes of UTF-8. Caller owns the result. */
static char *
s_pseudo (const char *src, size_t len)
{
    /* Each ASCII letter becomes at most 3 bytes. */
    size_t cap = sizeof S_OPEN + sizeof S_MARKER + 3 * len + sizeof S_CLOSE + 1;
    char *out = hny_malloc (cap);
    char *p = out;
    memcpy (p, S_OPEN S_MARKER, strlen (S_OPEN S_MARKER));
    p += strlen (S_OPEN S_MARKER);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) src[i];
        const char *rep = NULL;
        if (c >= 'a' && c <= 'z')
            rep = s_lower[c - 'a'];
        else if (c >= 'A' && c <= 'Z')
            rep = s_upper[c - 'A'];
        if (rep) {
            size_t n = strlen (rep);
            memcpy (p, rep, n);
            p += n;
        }
        else
            *p++ = (char) c;
    }
    memcpy (p, S_CLOSE, strlen (S_CLOSE));
    p += strlen (S_CLOSE);
    *p = '\0';
    return out;
}

static int
s_translate_local (hny_backend_t *backend, hny_batch_t *batch)
{
    for (size_t i = 0; i < hny_batch_size (batch); i++) {
        char *tgt = s_pseudo (hny_batch_src (batch, i), hny_batch_src_len (batch, i));
        hny_batch_set_tgt (batch, i, tgt, strlen (tgt));
        free (tgt);
    }
    return 0;
}

const hny_backend_type_t hny_backend_pseudo = {
    .name = "pseudo",
    .translate_local = s_translate_local,
};
