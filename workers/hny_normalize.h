/*  hny_normalize.h: text normalization with ICU, rule by rule (see the .c
    for the list): NFC, full-width ASCII to ASCII, half-width katakana to
    full-width, control characters removed, whitespace runs folded, line
    breaks inside a paragraph joined (a space in English, nothing between
    Japanese characters). NFKC-only compatibility characters such as circled
    digits, ㈱, ℃ and Roman numerals are kept. */
#ifndef HNY_NORMALIZE_H
#define HNY_NORMALIZE_H

#include <stddef.h>

typedef struct _hny_normalizer_t hny_normalizer_t;

/* Caller owns the result; NULL only when ICU cannot load its data. */
hny_normalizer_t *hny_normalizer_new (void);
void hny_normalizer_destroy (hny_normalizer_t **self_p);

/* Normalize one paragraph of valid UTF-8. Returns a new NUL-terminated
   UTF-8 string (caller owns) and sets *out_len; NULL on an ICU failure or
   a paragraph over 16 MiB. Invalid UTF-8 becomes U+FFFD. */
char *hny_normalize (hny_normalizer_t *self, const char *text, size_t len, size_t *out_len);

/* Whether hny_normalize may take its short way over the UTF-8 bytes (on,
   the default) or always goes through UTF-16 and ICU's normalizer: the
   result is the same; tests compare the two. */
void hny_normalizer_set_short_way (hny_normalizer_t *self, int on);

#endif
