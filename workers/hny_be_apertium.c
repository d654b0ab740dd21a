/*  hny_be_apertium.c: the `apertium` backend type, for Apertium APy
    (`POST {url}/translate`, form-encoded, one text per request; see
    shared/backends.md). APy names languages with ISO 639-3 codes, so the
    task's ISO 639-1 codes are mapped here; throughput comes from many
    requests in flight, not from batching. */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define S_LANG_MAX 16           /* bytes of a language code we accept */

/* ISO 639-1 -> the ISO 639-3 codes Apertium's pairs use. */
static const char *const s_langs[][2] = {
    { "af", "afr" }, { "an", "arg" }, { "ar", "ara" }, { "ast", "ast" }, { "be", "bel" },
    { "bg", "bul" }, { "br", "bre" }, { "ca", "cat" }, { "cs", "ces" }, { "cy", "cym" },
    { "da", "dan" }, { "de", "deu" }, { "el", "ell" }, { "en", "eng" }, { "eo", "epo" },
    { "es", "spa" }, { "et", "est" }, { "eu", "eus" }, { "fa", "fas" }, { "fi", "fin" },
    { "fr", "fra" }, { "ga", "gle" }, { "gl", "glg" }, { "he", "heb" }, { "hi", "hin" },
    { "hr", "hrv" }, { "hu", "hun" }, { "id", "ind" }, { "is", "isl" }, { "it", "ita" },
    { "ja", "jpn" }, { "kk", "kaz" }, { "ko", "kor" }, { "lt", "lit" }, { "lv", "lav" },
    { "mk", "mkd" }, { "ms", "msa" }, { "mt", "mlt" }, { "nb", "nob" }, { "nl", "nld" },
    { "nn", "nno" }, { "no", "nor" }, { "oc", "oci" }, { "pl", "pol" }, { "pt", "por" },
    { "ro", "ron" }, { "ru", "rus" }, { "sc", "srd" }, { "se", "sme" }, { "sk", "slk" },
    { "sl", "slv" }, { "sq", "sqi" }, { "sr", "srp" }, { "sv", "swe" }, { "tr", "tur" },
    { "tt", "tat" }, { "uk", "ukr" }, { "ur", "urd" }, { "uz", "uzb" }, { "zh", "zho" },
};

/* Map "en" -> "eng", "pt-BR" -> "por_BR", "eng" -> "eng". Writes into out
   (at least S_LANG_MAX + 1 bytes). Returns 0, or -1 for a code it cannot map. */
static int
s_map_lang (const char *code, char *out)
{
    if (!code || !*code || strlen (code) > S_LANG_MAX)
        return -1;
    size_t base_len = strcspn (code, "-_");
    const char *region = code[base_len] ? code + base_len + 1 : NULL;
    if (base_len < 2 || base_len > 3)
        return -1;
    char base[4];
    for (size_t i = 0; i < base_len; i++) {
        if (!isalpha ((unsigned char) code[i]))
            return -1;
        base[i] = (char) tolower ((unsigned char) code[i]);
    }
    base[base_len] = '\0';
    const char *mapped = NULL;
    if (base_len == 3)
        mapped = base;
    else
        for (size_t i = 0; i < sizeof s_langs / sizeof s_langs[0]; i++)
            if (strcmp (s_langs[i][0], base) == 0)
                mapped = s_langs[i][1];
    if (!mapped)
        return -1;
    strcpy (out, mapped);
    if (region && *region) {
        size_t len = strlen (out);
        out[len++] = '_';
        for (const char *r = region; *r && len < S_LANG_MAX; r++) {
            if (!isalnum ((unsigned char) *r))
                return -1;
            out[len++] = (char) toupper ((unsigned char) *r);
        }
        out[len] = '\0';
    }
    return 0;
}

static int
s_check_pair (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    char a[S_LANG_MAX + 1], b[S_LANG_MAX + 1];
    if (s_map_lang (from, a) != 0) {
        *reason = hny_sprintf ("apertium: no Apertium code for source language \"%.16s\"",
                               from ? from : "");
        return -1;
    }
    if (s_map_lang (to, b) != 0) {
        *reason = hny_sprintf ("apertium: no Apertium code for target language \"%.16s\"",
                               to ? to : "");
        return -1;
    }
    return 0;
}

static int
s_build (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
         hny_backend_req_t *req, char **reason)
{
    char a[S_LANG_MAX + 1], b[S_LANG_MAX + 1];
    if (count != 1 || s_map_lang (hny_batch_from (batch), a) != 0
        || s_map_lang (hny_batch_to (batch), b) != 0) {
        *reason = hny_strdup ("apertium: unusable request");
        return -1;
    }
    char pair[2 * S_LANG_MAX + 2];
    snprintf (pair, sizeof pair, "%s|%s", a, b);
    char *form = hny_backend_form_append (NULL, "langpair", pair);
    form = hny_backend_form_append (form, "q", hny_batch_src (batch, first));
    form = hny_backend_form_append (form, "markUnknown", "no");
    form = hny_backend_form_append (form, "format", "txt");
    req->url = hny_sprintf ("%s/translate", hny_backend_profile (backend)->url);
    req->body = form;
    req->body_size = strlen (form);
    req->headers[0] = hny_strdup ("Content-Type: application/x-www-form-urlencoded");
    return 0;
}

static hny_seg_class_t
s_classify (long status)
{
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return HNY_SEG_TRANSIENT;
    return HNY_SEG_PERMANENT;   /* APy has no keys or quotas: nothing pauses it */
}

static void
s_parse (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
         const hny_http_response_t *response)
{
    long status = response->status;
    json_t *root = hny_be_parse_json (backend, batch, first, count, response);
    if (!root)
        return;
    json_t *data = json_object_get (root, "responseData");
    json_t *text = json_object_get (data, "translatedText");
    json_t *rstatus = json_object_get (root, "responseStatus");
    if (status >= 200 && status < 300 && json_is_string (text)
        && (!rstatus || json_integer_value (rstatus) == 200)) {
        hny_batch_set_tgt (batch, first, json_string_value (text), json_string_length (text));
    }
    else {
        /* {"status":"error","code":400,"message":..,"explanation":".."} */
        json_t *code = json_object_get (root, "code");
        json_t *explanation = json_object_get (root, "explanation");
        json_t *message = json_object_get (root, "message");
        long error_code = json_is_integer (code) ? (long) json_integer_value (code) : status;
        if (json_is_integer (rstatus) && json_integer_value (rstatus) != 200 && !json_is_integer (code))
            error_code = (long) json_integer_value (rstatus);
        /* A 2xx answer without a translation is unusable: a glitch of
           the server, retried (hny_be_common.h). */
        hny_seg_class_t cls = error_code < 300 ? HNY_SEG_TRANSIENT : s_classify (error_code);
        if (error_code < 300)
            error_code = HNY_BE_UNUSABLE;
        const char *why = json_is_string (explanation) ? json_string_value (explanation)
                        : json_is_string (message) ? json_string_value (message)
                        : status >= 200 && status < 300 ? "no responseData.translatedText"
                        : "error";
        char *reason = hny_sprintf ("apertium: %ld %.200s", error_code, why);
        hny_batch_set_error (batch, first, cls, (int) error_code, reason);
        free (reason);
    }
    json_decref (root);
}

const hny_backend_type_t hny_backend_apertium = {
    .name = "apertium",
    .translate_local = NULL,
    .check_pair = s_check_pair,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
};
