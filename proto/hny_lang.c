/*  hny_lang.c: language tags checked and made canonical with ICU
    (include/honyaku/lang.h).

    ICU does the parsing (uloc_forLanguageTag, which also maps the
    grandfathered tags such as i-klingon) and the writing
    (uloc_toLanguageTag, which replaces deprecated codes); what ICU lets
    through but names nothing (a language, script or region it has no
    code for, "und") is refused here. */
#include "honyaku/lang.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unicode/uloc.h>
#include <unicode/uscript.h>

#define S_HINT "use a BCP 47 tag such as en, ja, pt-BR"
/* Room for ICU's locale id of an accepted tag: the tag, its '_'s and an
   "@x=..." keyword part at most double it. */
#define S_LOCALE_MAX (4 * HNY_LANG_MAX + 16)

/* Codes that are in ISO 639 but name no one language to translate. */
static const char *const s_no_language [] = { "und", "mul", "mis", "zxx", NULL };

/* Text from outside as it may appear in a message: at most max bytes
   (longer: cut, with "..."), unprintable bytes and quotes as '?'. */
static void
s_quote (const char *tag, size_t max, char *out, size_t size)
{
    size_t len = strlen (tag), keep = len > max ? max : len;
    size_t n = 0;
    for (size_t i = 0; i < keep && n + 1 < size; i++) {
        unsigned char c = (unsigned char) tag [i];
        out [n++] = c >= 0x20 && c < 0x7f && c != '\'' ? (char) c : '?';
    }
    out [n] = 0;
    if (keep < len && n + 4 < size)
        strcat (out, "...");
}

/* -1 after writing "<what> '<tag>' (hint)" into why. */
static int
s_refuse (const char *tag, const char *what, char *out, char *why, size_t why_size)
{
    out [0] = 0;
    if (why && why_size) {
        char quoted [HNY_LANG_MAX + 8];
        s_quote (tag, HNY_LANG_MAX + 1, quoted, sizeof quoted);
        snprintf (why, why_size, "%s '%s' (" S_HINT ")", what, quoted);
    }
    return -1;
}

/* True when ICU knows the language subtag of a locale id as ISO 639. */
static bool
s_language_known (const char *locale)
{
    char lang [ULOC_LANG_CAPACITY];
    UErrorCode status = U_ZERO_ERROR;
    int32_t len = uloc_getLanguage (locale, lang, sizeof lang, &status);
    if (U_FAILURE (status) || len < 2 || len > 3)
        return false;
    for (size_t i = 0; s_no_language [i]; i++)
        if (strcmp (lang, s_no_language [i]) == 0)
            return false;
    if (*uloc_getISO3Language (locale))
        return true;
    /* Codes of the ISO list that have no three-letter form in ICU's table. */
    for (const char *const *known = uloc_getISOLanguages (); *known; known++)
        if (strcmp (lang, *known) == 0)
            return true;
    return false;
}

/* The script and region, when present, must be codes too: ISO 15924
   (Hant, Latn) and ISO 3166 or UN M.49 (BR, 419). */
static bool
s_subtags_known (const char *locale)
{
    char script [ULOC_SCRIPT_CAPACITY], region [ULOC_COUNTRY_CAPACITY];
    UErrorCode status = U_ZERO_ERROR;
    int32_t slen = uloc_getScript (locale, script, sizeof script, &status);
    int32_t rlen = uloc_getCountry (locale, region, sizeof region, &status);
    if (U_FAILURE (status))
        return false;
    if (slen > 0) {
        UScriptCode code [4];
        UErrorCode st = U_ZERO_ERROR;
        if (uscript_getCode (script, code, 4, &st) < 1 || U_FAILURE (st))
            return false;
    }
    if (rlen == 2 && !*uloc_getISO3Country (locale))
        return false;
    return true;
}

/* The last tags made canonical, with their forms, per thread: every
   SUBMIT names two or more tags and ICU's parse costs ~14,000
   instructions a tag (a tenth of honyakud's work on a TM-path article);
   they are the same few tags again and again. Only accepted tags are
   kept, so a refusal always says why. */
#define S_MEMO 8

static __thread struct {
    char tag [HNY_LANG_MAX + 1];
    char canonical [HNY_LANG_MAX + 1];
} s_memo [S_MEMO];
static __thread unsigned s_memo_next;

static int s_canonical (const char *tag, char *out, char *why, size_t why_size);

int
hny_lang_canonical (const char *tag, char *out, char *why, size_t why_size)
{
    size_t len = tag ? strlen (tag) : 0;
    for (int i = 0; len && len <= HNY_LANG_MAX && i < S_MEMO; i++)
        if (s_memo [i].tag [0] && strcmp (s_memo [i].tag, tag) == 0) {
            strcpy (out, s_memo [i].canonical);
            return 0;
        }
    /* out may be tag's own buffer: keep the tag as given */
    char given [HNY_LANG_MAX + 1] = "";
    if (len && len <= HNY_LANG_MAX)
        memcpy (given, tag, len + 1);
    int rc = s_canonical (tag, out, why, why_size);
    if (rc == 0 && given [0]) {
        unsigned k = s_memo_next++ % S_MEMO;
        memcpy (s_memo [k].tag, given, len + 1);
        strcpy (s_memo [k].canonical, out);
    }
    return rc;
}

static int
s_canonical (const char *tag, char *out, char *why, size_t why_size)
{
    char given [HNY_LANG_MAX + 1];
    size_t len = tag ? strlen (tag) : 0;
    if (len == 0) {
        if (why && why_size)
            snprintf (why, why_size, "no language given (" S_HINT ")");
        out [0] = 0;
        return -1;
    }
    char what [64];
    if (len > HNY_LANG_MAX) {
        snprintf (what, sizeof what, "language tag longer than %d bytes:", HNY_LANG_MAX);
        return s_refuse (tag, what, out, why, why_size);
    }
    /* ASCII letters, digits and separators only: ICU would read the rest
       as the end of the tag, or as a locale id's '@' keywords. */
    for (size_t i = 0; i < len; i++) {
        char c = tag [i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '_')
            return s_refuse (tag, "not a language tag:", out, why, why_size);
        given [i] = c == '_' ? '-' : c;
    }
    given [len] = 0;
    char locale [S_LOCALE_MAX];
    int32_t parsed = 0;
    UErrorCode status = U_ZERO_ERROR;
    uloc_forLanguageTag (given, locale, sizeof locale, &parsed, &status);
    /* All of it must be a tag: ICU stops quietly at the first subtag it
       cannot place ("en--US" parses as "en"). */
    if (U_FAILURE (status) || status == U_STRING_NOT_TERMINATED_WARNING || parsed != (int32_t) len)
        return s_refuse (tag, "not a BCP 47 language tag:", out, why, why_size);
    if (!s_language_known (locale))
        return s_refuse (tag, "unknown language", out, why, why_size);
    if (!s_subtags_known (locale))
        return s_refuse (tag, "unknown script or region in", out, why, why_size);
    char canonical [S_LOCALE_MAX];
    status = U_ZERO_ERROR;
    int32_t clen = uloc_toLanguageTag (locale, canonical, sizeof canonical, true, &status);
    if (U_FAILURE (status) || status == U_STRING_NOT_TERMINATED_WARNING || clen < 2)
        return s_refuse (tag, "not a BCP 47 language tag:", out, why, why_size);
    /* An alias may be longer than its tag ("sh" could become "sr-Latn"). */
    if (clen > HNY_LANG_MAX) {
        snprintf (what, sizeof what, "language tag longer than %d bytes once canonical:",
                  HNY_LANG_MAX);
        return s_refuse (tag, what, out, why, why_size);
    }
    memcpy (out, canonical, (size_t) clen + 1);
    return 0;
}

int
hny_lang_pair (const char *pair, char *from, char *to, char *why, size_t why_size)
{
    /* Two tags and a separator, at most. */
    char text [2 * HNY_LANG_MAX + 2];
    size_t len = pair ? strlen (pair) : 0;
    from [0] = to [0] = 0;
    if (len == 0 || len >= sizeof text) {
        if (why && why_size)
            snprintf (why, why_size, "a language pair is SRC:TGT with two BCP 47 tags of at most "
                      "%d bytes each, such as en:ja or pt-BR:en", HNY_LANG_MAX);
        return -1;
    }
    memcpy (text, pair, len + 1);
    char *colon = strchr (text, ':');
    if (colon) {
        *colon = 0;
        if (hny_lang_canonical (text, from, why, why_size) == 0
        &&  hny_lang_canonical (colon + 1, to, why, why_size) == 0)
            return 0;
        from [0] = to [0] = 0;
        return -1;
    }
    /* SRC-TGT: every hyphen is a place it may split; exactly one must
       give two tags. */
    int found = 0;
    char a [HNY_LANG_MAX + 1], b [HNY_LANG_MAX + 1];
    for (char *dash = strchr (text, '-'); dash; dash = strchr (dash + 1, '-')) {
        *dash = 0;
        if (hny_lang_canonical (text, a, NULL, 0) == 0
        &&  hny_lang_canonical (dash + 1, b, NULL, 0) == 0) {
            if (found++ == 0) {
                memcpy (from, a, sizeof a);
                memcpy (to, b, sizeof b);
            }
        }
        *dash = '-';
    }
    if (found == 1)
        return 0;
    from [0] = to [0] = 0;
    if (why && why_size) {
        char quoted [sizeof text + 4];
        s_quote (text, sizeof text, quoted, sizeof quoted);
        snprintf (why, why_size, found ? "language pair '%s' splits in more than one way: write "
                  "it SRC:TGT (such as en:ja or pt-BR:en)" : "'%s' is not a language pair: write "
                  "it SRC:TGT with two BCP 47 tags (such as en:ja or pt-BR:en)", quoted);
    }
    return -1;
}
