/*  test_lang.c: language tags (honyaku/lang.h): what is accepted and its
    canonical form, what is refused and the reason given, the cap, and
    language pairs as a command line writes them. */
#include "honyaku/lang.h"

#include "hny_check.h"

#include <stdio.h>
#include <string.h>

/* tag must be accepted as want. */
static void
s_ok (const char *tag, const char *want)
{
    char out [HNY_LANG_MAX + 1] = "junk", why [HNY_LANG_WHY_MAX] = "";
    int rc = hny_lang_canonical (tag, out, why, sizeof why);
    if (rc != 0)
        fprintf (stderr, "  %s: %s\n", tag, why);
    CHECK (rc == 0);
    CHECK_STR (out, want);
}

/* tag must be refused, with a reason that contains want. */
static void
s_bad (const char *tag, const char *want)
{
    char out [HNY_LANG_MAX + 1] = "junk", why [HNY_LANG_WHY_MAX] = "";
    CHECK (hny_lang_canonical (tag, out, why, sizeof why) == -1);
    CHECK_STR (out, "");
    if (!strstr (why, want))
        fprintf (stderr, "  %s: got [%s], want it to contain [%s]\n", tag ? tag : "(null)", why,
                 want);
    CHECK (strstr (why, want) != NULL);
    /* Every refusal says what to write instead. */
    CHECK (strstr (why, "such as en, ja, pt-BR") != NULL);
}

static void
s_test_accepted (void)
{
    s_ok ("en", "en");
    s_ok ("ja", "ja");
    s_ok ("pt-BR", "pt-BR");
    s_ok ("zh-Hant", "zh-Hant");
    s_ok ("EN", "en");
    s_ok ("pt_br", "pt-BR");
    s_ok ("PT-br", "pt-BR");
    s_ok ("zh-hant-tw", "zh-Hant-TW");
    s_ok ("ZH_HANS", "zh-Hans");
    s_ok ("en-us", "en-US");
    s_ok ("es-419", "es-419");          /* a UN M.49 region */
    s_ok ("sr-Latn-RS", "sr-Latn-RS");
    s_ok ("de-CH-1996", "de-CH-1996");  /* a variant */
    s_ok ("yue", "yue");                /* three letters */
    s_ok ("fil", "fil");
    s_ok ("iw", "he");                  /* deprecated codes become today's */
    s_ok ("in", "id");
    s_ok ("i-klingon", "tlh");          /* a grandfathered tag */
    /* The output may be the input's own buffer. */
    char same [HNY_LANG_MAX + 1] = "PT_br";
    CHECK (hny_lang_canonical (same, same, NULL, 0) == 0);
    CHECK_STR (same, "pt-BR");
}

static void
s_test_refused (void)
{
    s_bad ("english", "unknown language 'english'");
    s_bad ("xx", "unknown language 'xx'");
    s_bad ("qaa", "unknown language 'qaa'");    /* private use */
    s_bad ("und", "unknown language 'und'");    /* no language */
    s_bad ("mul", "unknown language 'mul'");
    s_bad ("zxx", "unknown language 'zxx'");
    s_bad ("e", "not a BCP 47 language tag: 'e'");
    s_bad ("en--US", "not a BCP 47 language tag: 'en--US'");
    s_bad ("en-", "not a BCP 47 language tag");
    s_bad ("-en", "not a BCP 47 language tag");
    s_bad ("en-a", "not a BCP 47 language tag");    /* an extension without its subtags */
    s_bad ("x-foo", "unknown language 'x-foo'");    /* private use only */
    s_bad ("en-QQ", "unknown script or region in 'en-QQ'");
    s_bad ("zh-Foob", "unknown script or region in 'zh-Foob'");
    s_bad ("en US", "not a language tag: 'en US'");
    s_bad ("en@x=y", "not a language tag");
    s_bad ("fr\xc3\xa9", "not a language tag: 'fr?" "?'");     /* non-ASCII, quoted safely */
    s_bad ("it's", "not a language tag: 'it?s'");
    s_bad ("", "no language given");
    s_bad (NULL, "no language given");
    /* The cap: HNY_LANG_MAX bytes pass, one more is refused, and the
       message cuts what it quotes. */
    s_ok ("de-CH-1996-1901", "de-CH-1901-1996");    /* 15 bytes; variants sorted */
    s_bad ("en-US-u-ca-gregory", "longer than 15 bytes: 'en-US-u-ca-grego...'");
    char huge [4096];
    memset (huge, 'a', sizeof huge - 1);
    huge [sizeof huge - 1] = 0;
    char why [HNY_LANG_WHY_MAX];
    char out [HNY_LANG_MAX + 1];
    CHECK (hny_lang_canonical (huge, out, why, sizeof why) == -1);
    CHECK (strlen (why) < 100);
    /* A small why buffer is cut, never overrun. */
    char small [8] = "";
    CHECK (hny_lang_canonical ("english", out, small, sizeof small) == -1);
    CHECK (strlen (small) == 7);
}

static void
s_pair_ok (const char *pair, const char *from, const char *to)
{
    char a [HNY_LANG_MAX + 1], b [HNY_LANG_MAX + 1], why [HNY_LANG_WHY_MAX] = "";
    int rc = hny_lang_pair (pair, a, b, why, sizeof why);
    if (rc != 0)
        fprintf (stderr, "  %s: %s\n", pair, why);
    CHECK (rc == 0);
    CHECK_STR (a, from);
    CHECK_STR (b, to);
}

static void
s_pair_bad (const char *pair, const char *want)
{
    char a [HNY_LANG_MAX + 1] = "x", b [HNY_LANG_MAX + 1] = "y", why [HNY_LANG_WHY_MAX] = "";
    CHECK (hny_lang_pair (pair, a, b, why, sizeof why) == -1);
    CHECK (a [0] == 0 && b [0] == 0);
    if (!strstr (why, want))
        fprintf (stderr, "  %s: got [%s], want it to contain [%s]\n", pair ? pair : "(null)",
                 why, want);
    CHECK (strstr (why, want) != NULL);
}

static void
s_test_pairs (void)
{
    s_pair_ok ("en:ja", "en", "ja");
    s_pair_ok ("EN:pt_br", "en", "pt-BR");
    s_pair_ok ("en-ja", "en", "ja");
    s_pair_ok ("pt-BR-ja", "pt-BR", "ja");      /* "br-JA" is no tag: JA is no region */
    s_pair_ok ("zh-Hant-en", "zh-Hant", "en");
    s_pair_bad ("es-AR-pt", "splits in more than one way");    /* es-AR:pt or es:ar-PT */
    s_pair_bad ("english:ja", "unknown language 'english'");
    s_pair_bad ("en:", "no language given");
    s_pair_bad ("en", "'en' is not a language pair");
    s_pair_bad ("english-japanese", "is not a language pair");
    s_pair_bad ("", "SRC:TGT");
    s_pair_bad (NULL, "SRC:TGT");
    char huge [200];
    memset (huge, 'a', sizeof huge - 1);
    huge [sizeof huge - 1] = 0;
    s_pair_bad (huge, "at most 15 bytes each");
}

int
main (void)
{
    s_test_accepted ();
    s_test_refused ();
    s_test_pairs ();
    /* Again: the tags made canonical are remembered (a few, per thread),
       and what was refused is refused again, with its reason. */
    s_test_accepted ();
    s_test_refused ();
    s_test_pairs ();
    return s_check_done ("test_lang");
}
