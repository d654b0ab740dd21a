/*  hny_be_openai.c: the `openai` backend type, for OpenAI-compatible chat
    completions (`POST {url}/v1/chat/completions`: OpenAI, llama.cpp's
    server, vLLM, Ollama; shared/backends.md).

    One segment per request by default (these servers batch internally;
    throughput comes from concurrency). A profile may set max_texts > 1:
    the segments then go as a numbered group "1. ..\n2. .." (newlines inside
    a segment folded to spaces) and the answer must come back as exactly
    that many numbered lines, else the whole group fails. The system prompt
    names the pair, asks for the translation only, carries the glossary
    terms that occur in the text and the segment's context (marked as not
    to be translated); one request has one context (takes_context).

    A model's answer is never trusted as is: `finish_reason: "length"` (cut
    by max_tokens: the same request is cut the same way), an empty answer,
    a wrong number of lines or items, and commentary are failures, not
    translations: permanent when the same request would fail the same way
    (cut at max_tokens, commentary), transient 502 when the answer is
    unusable (no content, empty, wrong number of lines or items;
    hny_be_common.h). A leading "Sure! Here is the translation:" line, a
    "Translation:" label, code fences and quotes the source did not have
    are stripped; commentary that remains fails the segment.

    Cost: the answer's usage.prompt_tokens and completion_tokens go into
    the RESULT ("tokens"), for every 2xx answer, usable or not (the tokens
    were spent). A segment that is exactly a glossary term is answered
    with the term's target, without a request. */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S_TOKENS_FLOOR   256            /* max_tokens never below this */
#define S_TOKENS_CEIL    16384          /* nor above this */
#define S_PROMPT_TERMS   200            /* glossary terms in one prompt */

static const char *const s_names[][2] = {
    { "ja", "Japanese" }, { "en", "English" }, { "es", "Spanish" }, { "fr", "French" },
    { "de", "German" }, { "zh", "Chinese" }, { "ko", "Korean" }, { "it", "Italian" },
    { "pt", "Portuguese" }, { "ru", "Russian" }, { "nl", "Dutch" }, { "pl", "Polish" },
    { "ar", "Arabic" }, { "sv", "Swedish" }, { "da", "Danish" }, { "fi", "Finnish" },
    { "nb", "Norwegian" }, { "cs", "Czech" }, { "tr", "Turkish" }, { "uk", "Ukrainian" },
    { "el", "Greek" }, { "he", "Hebrew" }, { "hi", "Hindi" }, { "id", "Indonesian" },
    { "th", "Thai" }, { "vi", "Vietnamese" }, { "hu", "Hungarian" }, { "ro", "Romanian" },
};

/* Lines of commentary models put around translations. */
static const char *const s_chatter[] = {
    "sure", "certainly", "of course", "here is", "here's", "here are", "below is",
    "the translation", "translation:", "translated text", "okay", "ok,", "i'm sorry",
    "i am sorry", "i cannot", "i can't", "as an ai", "note:", "(note", "explanation:",
};

/* The English name of a language code ("ja", "pt-BR"); the code itself when unknown. */
static const char *
s_lang_name (const char *code)
{
    size_t base = strcspn (code, "-_");
    for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++)
        if (strlen (s_names[i][0]) == base && strncasecmp (code, s_names[i][0], base) == 0)
            return s_names[i][1];
    return code;
}

static int
s_init (hny_backend_t *backend, char **error)
{
    const hny_profile_t *profile = hny_backend_profile (backend);
    if (!profile->model || !*profile->model) {
        *error = hny_sprintf ("profile %s: type openai needs a model", hny_backend_name (backend));
        return -1;
    }
    return hny_be_glossary_init (backend, error);
}

/* Tokens a text may take: ~4 ASCII bytes a token, ~1 token per other character. */
static size_t
s_tokens (const char *s, size_t len)
{
    size_t ascii = 0, other = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) s[i];
        if (c < 0x80)
            ascii++;
        else if ((c & 0xC0) != 0x80)
            other++;
    }
    return (ascii + 3) / 4 + other;
}

/* The system prompt. The target language comes first, in the first
   sentence ("into Japanese"), where every reader finds it. Caller owns. */
static char *
s_prompt (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count)
{
    const hny_glossary_t *glossary = hny_be_glossary (backend);
    const char *from = hny_batch_from (batch), *to = hny_batch_to (batch);
    const char *context = hny_batch_context (batch, first);
    /* the fixed sentences (under 1 KiB), the terms listed and the context */
    hny_buf_t buf = HNY_BUF_INIT (1024 + S_PROMPT_TERMS * (2 * HNY_GLOSSARY_MAX_TERM + 8)
                                  + (context ? strlen (context) : 0));
    char *line = hny_sprintf ("Translate the user's text into %s (%s) from %s (%s).",
                              s_lang_name (to), to, s_lang_name (from), from);
    hny_buf_adds (&buf, line);
    free (line);
    hny_buf_adds (&buf, " Output only the translation: no notes, no explanations, no preamble,"
                  " no quotes around it. Keep placeholders, markup, numbers and URLs exactly"
                  " as they are.");
    if (count > 1) {
        line = hny_sprintf (" The text is a numbered list of %zu segments. Answer with the same"
                            " numbered list: %zu lines, each \"N. \" and the translation of"
                            " segment N, in order, nothing else.", count, count);
        hny_buf_adds (&buf, line);
        free (line);
    }
    if (glossary) {
        size_t n = hny_glossary_size (glossary);
        unsigned char *used = hny_calloc (n, 1);
        size_t marked = 0;
        for (size_t i = first; i < first + count; i++)
            marked += hny_glossary_mark_used (glossary, hny_batch_src (batch, i),
                                              hny_batch_src_len (batch, i), used);
        if (marked > 0) {
            hny_buf_adds (&buf, "\nUse these translations for these terms (source => target):");
            size_t listed = 0;
            for (size_t i = 0; i < n && listed < S_PROMPT_TERMS; i++) {
                if (!used[i])
                    continue;
                hny_buf_adds (&buf, "\n- ");
                hny_buf_adds (&buf, hny_glossary_source (glossary, i));
                hny_buf_adds (&buf, " => ");
                hny_buf_adds (&buf, hny_glossary_target (glossary, i));
                listed++;
            }
        }
        free (used);
    }
    if (context && *context) {
        hny_buf_adds (&buf, "\nThe text before it, for context only (do not translate it, do not"
                      " repeat it):\n<<<\n");
        hny_buf_adds (&buf, context);
        hny_buf_adds (&buf, "\n>>>");
    }
    return buf.data;
}

static int
s_build (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
         hny_backend_req_t *req, char **reason)
{
    const hny_profile_t *profile = hny_backend_profile (backend);
    /* the sources, each after a "N. " of at most 32 bytes */
    size_t user_max = 1;
    for (size_t i = first; i < first + count; i++)
        user_max += hny_batch_src_len (batch, i) + 32;
    hny_buf_t user = HNY_BUF_INIT (user_max);
    hny_buf_add (&user, "", 0);
    size_t tokens = 0;
    for (size_t i = first; i < first + count; i++) {
        const char *src = hny_batch_src (batch, i);
        size_t len = hny_batch_src_len (batch, i);
        tokens += s_tokens (src, len) + (count > 1 ? 4 : 0);
        if (count == 1) {
            hny_buf_add (&user, src, len);
            break;
        }
        char number[32];
        snprintf (number, sizeof number, "%s%zu. ", i > first ? "\n" : "", i - first + 1);
        hny_buf_adds (&user, number);
        size_t at = user.len;
        hny_buf_add (&user, src, len);
        for (size_t k = at; k < user.len; k++)
            if (user.data[k] == '\n' || user.data[k] == '\r')
                user.data[k] = ' ';
    }
    size_t max_tokens = 3 * tokens + 16;
    if (max_tokens < S_TOKENS_FLOOR)
        max_tokens = S_TOKENS_FLOOR;
    if (max_tokens > S_TOKENS_CEIL)
        max_tokens = S_TOKENS_CEIL;
    char *prompt = s_prompt (backend, batch, first, count);
    json_t *body = json_pack ("{ss s[{ssss}{ssss}] si si sb}", "model", profile->model,
                              "messages", "role", "system", "content", prompt,
                              "role", "user", "content", user.data,
                              "temperature", 0, "max_tokens", (int) max_tokens, "stream", 0);
    free (prompt);
    free (user.data);
    if (!body) {
        *reason = hny_strdup ("openai: cannot build the request");
        return -1;
    }
    req->url = hny_sprintf ("%s/v1/chat/completions", hny_backend_url (backend));
    hny_backend_req_json (req, body);
    json_decref (body);
    if (*hny_backend_key (backend))
        hny_backend_req_header (req, "Authorization: Bearer %s", hny_backend_key (backend));
    return 0;
}

static hny_seg_class_t
s_classify (long status)
{
    return hny_backend_classify_default (status);
}

/* ------------------------------------------------------ reading answers */

static int
s_is_space_line (const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace ((unsigned char) s[i]))
            return 0;
    return 1;
}

/* Does the text start (after blanks) with a chatter phrase? */
static int
s_starts_chatter (const char *s, size_t len)
{
    while (len && isspace ((unsigned char) *s))
        s++, len--;
    for (size_t i = 0; i < sizeof s_chatter / sizeof s_chatter[0]; i++) {
        size_t n = strlen (s_chatter[i]);
        if (len >= n && strncasecmp (s, s_chatter[i], n) == 0
            && (len == n || !isalpha ((unsigned char) s[n]) || !isalpha ((unsigned char) s[n - 1])))
            return 1;
    }
    return 0;
}

/* A quote pair around the whole text: ", “”, 「」, 『』, '. */
static size_t
s_quote_len (const char *s, size_t len, size_t *close_len)
{
    static const char *const pairs[][2] = {
        { "\"", "\"" }, { "\xE2\x80\x9C", "\xE2\x80\x9D" }, { "\xE3\x80\x8C", "\xE3\x80\x8D" },
        { "\xE3\x80\x8E", "\xE3\x80\x8F" }, { "'", "'" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        size_t a = strlen (pairs[i][0]), b = strlen (pairs[i][1]);
        if (len > a + b && memcmp (s, pairs[i][0], a) == 0
            && memcmp (s + len - b, pairs[i][1], b) == 0) {
            *close_len = b;
            return a;
        }
    }
    return 0;
}

/* Trim blanks at both ends of [*s, *s + *len). */
static void
s_trim (const char **s, size_t *len)
{
    while (*len && isspace ((unsigned char) **s))
        (*s)++, (*len)--;
    while (*len && isspace ((unsigned char) (*s)[*len - 1]))
        (*len)--;
}

/* Clean a model's answer for a source text: code fences, a leading
   commentary line, a "Translation:" label, quotes the source lacks. Sets
   [*out, *out + *out_len) inside content. Returns 0, or -1 with *why (a
   static string) when commentary remains. */
static int
s_clean (const char *content, size_t len, const char *src, size_t src_len, const char **out,
         size_t *out_len, const char **why)
{
    const char *s = content;
    s_trim (&s, &len);
    /* ```lang\n...\n``` */
    if (len >= 6 && strncmp (s, "```", 3) == 0 && memcmp (s + len - 3, "```", 3) == 0) {
        const char *nl = memchr (s, '\n', len);
        if (nl && nl < s + len - 3) {
            len = (size_t) (s + len - 3 - (nl + 1));
            s = nl + 1;
            s_trim (&s, &len);
        }
    }
    const char *src_s = src;
    size_t src_trim = src_len;
    s_trim (&src_s, &src_trim);
    int src_chatty = s_starts_chatter (src_s, src_trim);
    /* "Sure! Here is the translation:\n..." */
    const char *nl = memchr (s, '\n', len);
    if (!src_chatty && nl && s_starts_chatter (s, (size_t) (nl - s))) {
        const char *end = nl;
        while (end > s && isspace ((unsigned char) end[-1]))
            end--;
        if (end > s && (end[-1] == ':' || memchr (s, ':', (size_t) (end - s)))) {
            len -= (size_t) (nl + 1 - s);
            s = nl + 1;
            s_trim (&s, &len);
        }
    }
    /* "Translation: ..." on one line */
    static const char *const labels[] = { "Translation:", "Translated text:", "Japanese:",
                                          "English:" };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        size_t n = strlen (labels[i]);
        if (len > n && strncasecmp (s, labels[i], n) == 0
            && !(src_trim >= n && strncasecmp (src_s, labels[i], n) == 0)) {
            s += n, len -= n;
            s_trim (&s, &len);
            break;
        }
    }
    size_t close = 0, src_close = 0;
    size_t open = s_quote_len (s, len, &close);
    if (open && !s_quote_len (src_s, src_trim, &src_close)) {
        s += open;
        len -= open + close;
        s_trim (&s, &len);
    }
    if (!src_chatty && s_starts_chatter (s, len)) {
        *why = "the model answered with commentary, not a translation";
        return -1;
    }
    for (const char *p = s; p < s + len;) {
        const char *e = memchr (p, '\n', (size_t) (s + len - p));
        size_t n = e ? (size_t) (e - p) : (size_t) (s + len - p);
        if (p > s && s_starts_chatter (p, n) && !src_chatty) {
            *why = "the model added notes to the translation";
            return -1;
        }
        p += n + (e ? 1 : 0);
    }
    *out = s;
    *out_len = len;
    return 0;
}

static size_t
s_line_count (const char *s, size_t len)
{
    size_t lines = 0;
    for (const char *p = s; p < s + len;) {
        const char *e = memchr (p, '\n', (size_t) (s + len - p));
        size_t n = e ? (size_t) (e - p) : (size_t) (s + len - p);
        if (!s_is_space_line (p, n))
            lines++;
        p += n + (e ? 1 : 0);
    }
    return lines;
}

/* One segment's answer; in a group (item) its lines were folded into one. */
static void
s_parse_single (hny_backend_t *backend, hny_batch_t *batch, size_t i, const char *content,
                size_t len, int item)
{
    const char *src = hny_batch_src (batch, i);
    size_t src_len = hny_batch_src_len (batch, i);
    const char *out = NULL, *why = NULL;
    size_t out_len = 0;
    if (s_clean (content, len, src, src_len, &out, &out_len, &why) != 0) {
        hny_backend_fail (backend, batch, i, 1, HNY_SEG_PERMANENT, 502, "%s", why);
        return;
    }
    if (out_len == 0) {
        hny_backend_fail (backend, batch, i, 1, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "the model answered nothing but commentary");
        return;
    }
    /* A translation has the source's lines; more means repeats or notes. */
    size_t want = item ? 1 : s_line_count (src, src_len), got = s_line_count (out, out_len);
    if (want == 0)
        want = 1;
    if (got != want) {
        hny_backend_fail (backend, batch, i, 1, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "the model answered %zu lines for a source of %zu", got, want);
        return;
    }
    hny_batch_set_tgt (batch, i, out, out_len);
}

/* "N. text" lines back into segments [first, first + count). */
static void
s_parse_group (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
               const char *content, size_t len)
{
    const char **starts = hny_calloc (count, sizeof *starts);
    size_t *lens = hny_calloc (count, sizeof *lens);
    size_t items = 0, stray = 0;
    const char *why = NULL;
    for (const char *p = content; p < content + len && !why;) {
        const char *e = memchr (p, '\n', (size_t) (content + len - p));
        size_t n = e ? (size_t) (e - p) : (size_t) (content + len - p);
        const char *line = p;
        size_t line_len = n;
        p += n + (e ? 1 : 0);
        s_trim (&line, &line_len);
        if (line_len == 0 || strncmp (line, "```", 3) == 0)
            continue;
        size_t digits = 0, number = 0;
        while (digits < line_len && digits < 6 && isdigit ((unsigned char) line[digits]))
            number = number * 10 + (size_t) (line[digits++] - '0');
        if (digits == 0 || digits + 1 > line_len || line[digits] != '.') {
            /* commentary before the list is dropped; anything else is wrong */
            if (items == 0 && s_starts_chatter (line, line_len))
                continue;
            stray++;
            continue;
        }
        if (number != items + 1 || items == count) {
            items = count + 1;          /* out of order or too many */
            break;
        }
        line += digits + 1, line_len -= digits + 1;
        s_trim (&line, &line_len);
        starts[items] = line;
        lens[items] = line_len;
        items++;
    }
    if (items != count || stray > 0)
        hny_backend_fail (backend, batch, first, count, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "the model answered %s%zu numbered items for %zu segments",
                          stray ? "stray lines and " : "", items > count ? items - 1 : items,
                          count);
    else {
        for (size_t k = 0; k < count; k++)
            s_parse_single (backend, batch, first + k, starts[k], lens[k], 1);
    }
    free (starts);
    free (lens);
}

static void
s_parse (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
         const hny_http_response_t *response)
{
    long status = response->status;
    json_t *root = hny_be_parse_json (backend, batch, first, count, response);
    if (!root)
        return;
    if (status < 200 || status >= 300) {
        json_t *error = json_object_get (root, "error");
        json_t *message = json_object_get (error, "message");
        json_t *code = json_object_get (error, "code");
        const char *msg = json_is_string (message) ? json_string_value (message)
                        : json_is_string (error) ? json_string_value (error) : "";
        hny_seg_class_t cls = s_classify (status);
        /* OpenAI answers an exhausted quota with 429 insufficient_quota. */
        if (status == 429 && ((json_is_string (code)
                               && strcmp (json_string_value (code), "insufficient_quota") == 0)
                              || strstr (msg, "quota")))
            cls = HNY_SEG_PAUSED;
        hny_backend_fail (backend, batch, first, count, cls, (int) status,
                          "OpenAI-compatible HTTP %ld: %.200s", status, msg);
        json_decref (root);
        return;
    }
    /* Tokens are spent whatever the answer is worth: count them first. */
    json_t *usage = json_object_get (root, "usage");
    json_t *prompt = json_object_get (usage, "prompt_tokens");
    json_t *completion = json_object_get (usage, "completion_tokens");
    if (json_is_integer (prompt) || json_is_integer (completion))
        hny_batch_add_tokens (batch, json_integer_value (prompt), json_integer_value (completion));
    json_t *choice = json_array_get (json_object_get (root, "choices"), 0);
    json_t *content = json_object_get (json_object_get (choice, "message"), "content");
    json_t *finish = json_object_get (choice, "finish_reason");
    if (!json_is_string (content)) {
        hny_backend_fail (backend, batch, first, count, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "no choices[0].message.content in the answer");
    }
    else if (json_is_string (finish) && strcmp (json_string_value (finish), "length") == 0)
        hny_backend_fail (backend, batch, first, count, HNY_SEG_PERMANENT, 502,
                          "the answer was cut at max_tokens (finish_reason \"length\"); not"
                          " stored");
    else if (json_is_string (finish) && strcmp (json_string_value (finish), "stop") != 0)
        hny_backend_fail (backend, batch, first, count, HNY_SEG_PERMANENT, 502,
                          "the answer ended with finish_reason \"%.32s\"",
                          json_string_value (finish));
    else if (s_is_space_line (json_string_value (content), json_string_length (content)))
        /* an empty answer is a glitch of the server more often than of the input */
        hny_backend_fail (backend, batch, first, count, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "the model answered nothing");
    else if (count == 1)
        s_parse_single (backend, batch, first, json_string_value (content),
                        json_string_length (content), 0);
    else
        s_parse_group (backend, batch, first, count, json_string_value (content),
                       json_string_length (content));
    json_decref (root);
}

const hny_backend_type_t hny_backend_openai = {
    .name = "openai",
    .check_pair = hny_be_check_pair_loose,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .init = s_init,
    .fini = hny_be_glossary_fini,
    .local = hny_be_glossary_local,
};
