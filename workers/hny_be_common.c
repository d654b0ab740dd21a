/*  hny_be_common.c: the pieces the HTTP backend types share (glossary
    state, language checks, reading JSON answers and their translations);
    see hny_be_common.h for the classification of unusable answers. */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_LANG_MAX 16 /* bytes of a language code */

/* The state of a type whose only state is the glossary. */
typedef struct {
    hny_glossary_t *glossary; /* NULL when the profile has none */
} s_state_t;

int
hny_be_glossary_load (hny_backend_t *backend, hny_glossary_t **glossary, char **error)
{
    *glossary = NULL;
    const char *path = hny_backend_profile (backend)->glossary;
    if (!path || !*path)
        return 0;
    char *why = NULL;
    *glossary = hny_glossary_load (path, &why);
    if (!*glossary) {
        *error = hny_sprintf ("profile %s: %s", hny_backend_name (backend), why);
        free (why);
        return -1;
    }
    return 0;
}

int
hny_be_glossary_init (hny_backend_t *backend, char **error)
{
    s_state_t *state = hny_calloc (1, sizeof *state);
    hny_backend_set_state (backend, state);
    return hny_be_glossary_load (backend, &state->glossary, error);
}

void
hny_be_glossary_fini (hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    if (state)
        hny_glossary_destroy (&state->glossary);
    free (state);
    hny_backend_set_state (backend, NULL);
}

hny_glossary_t *
hny_be_glossary (const hny_backend_t *backend)
{
    s_state_t *state = hny_backend_state (backend);
    return state ? state->glossary : NULL;
}

int
hny_be_whole_term (const hny_glossary_t *glossary, hny_batch_t *batch, size_t index)
{
    if (!glossary)
        return 0;
    long entry = hny_glossary_whole (glossary, hny_batch_src (batch, index),
                                     hny_batch_src_len (batch, index));
    if (entry < 0)
        return 0;
    /* Sent as a placeholder it would come back as one: say it ourselves. */
    const char *target = hny_glossary_target (glossary, (size_t) entry);
    hny_batch_set_tgt (batch, index, target, strlen (target));
    return 1;
}

int
hny_be_glossary_local (hny_backend_t *backend, hny_batch_t *batch, size_t index)
{
    return hny_be_whole_term (hny_be_glossary (backend), batch, index);
}

/* 2 to S_LANG_MAX letters, '-' and the characters of extra. */
static int
s_lang_ok (const char *code, const char *extra)
{
    size_t len = code ? strlen (code) : 0;
    if (len < 2 || len > S_LANG_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!isalpha ((unsigned char)code[i]) && code[i] != '-' && !strchr (extra, code[i]))
            return 0;
    return 1;
}

static int
s_check_pair (hny_backend_t *backend, const char *from, const char *to, const char *extra,
              char **reason)
{
    if (!s_lang_ok (from, extra) || !s_lang_ok (to, extra)) {
        *reason = hny_sprintf ("%s: unusable language pair \"%.16s\" -> \"%.16s\"",
                               hny_backend_name (backend), from ? from : "", to ? to : "");
        return -1;
    }
    return 0;
}

int
hny_be_check_pair_bcp47 (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    return s_check_pair (backend, from, to, "", reason);
}

int
hny_be_check_pair_loose (hny_backend_t *backend, const char *from, const char *to, char **reason)
{
    return s_check_pair (backend, from, to, "_", reason);
}

/* What is wrong with a response body before any JSON is read: NULL when
   it may be JSON (body and size set to it), else the reason's words. */
static const char *
s_body_unusable (const hny_http_response_t *response, const char **body, size_t *size)
{
    *body = response->body ? response->body : "";
    *size = response->body ? response->body_size : 0;
    size_t lead = 0;
    while (lead < *size && isspace ((unsigned char) (*body)[lead]))
        lead++;
    if (lead == *size)
        return "an empty body";
    if ((*body)[lead] == '<')
        return "an HTML page instead of JSON (a proxy or gateway?)";
    if (!hny_utf8_valid (*body, *size))
        return "a body that is not valid UTF-8";
    return NULL;
}

/* Fail segments [first, first + count) for a response that is not a JSON
   object: what (the body's fault) or else error (the parser's). */
static void
s_answer_fail (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
               const hny_http_response_t *response, const char *what, const char *error)
{
    long status = response->status;
    int ok = status >= 200 && status < 300;
    hny_seg_class_t cls = ok ? HNY_SEG_TRANSIENT : hny_backend_type (backend)->classify (status);
    int code = ok ? HNY_BE_UNUSABLE : (int)status;
    if (what)
        hny_backend_fail (backend, batch, first, count, cls, code, "HTTP %ld with %s", status,
                          what);
    else
        hny_backend_fail (backend, batch, first, count, cls, code,
                          "HTTP %ld with a body that is not a JSON object: %s", status, error);
}

json_t *
hny_be_parse_json (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                   const hny_http_response_t *response)
{
    const char *body;
    size_t size;
    const char *what = s_body_unusable (response, &body, &size);
    json_error_t jerr;
    json_t *root = what ? NULL : json_loadb (body, size, 0, &jerr);
    if (json_is_object (root))
        return root;
    s_answer_fail (backend, batch, first, count, response, what, root ? "another JSON value" : jerr.text);
    json_decref (root);
    return NULL;
}

cJSON *
hny_be_parse_cjson (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                    const hny_http_response_t *response)
{
    const char *body;
    size_t size;
    const char *what = s_body_unusable (response, &body, &size);
    char error [HNY_JSON_ERROR_MAX];
    /* the HTTP engine capped the body, s_body_unusable checked its UTF-8;
       a duplicate name: the last one, as jansson */
    cJSON *root = what ? NULL : hny_json_parse (body, size, SIZE_MAX, HNY_JSON_DEPTH_MAX, HNY_JSON_UTF8_OK,
                                                error);
    if (cJSON_IsObject (root))
        return root;
    s_answer_fail (backend, batch, first, count, response, what, root ? "another JSON value" : error);
    cJSON_Delete (root);
    return NULL;
}

/* Fail segments [first, first + count): the answer held got translations. */
static int
s_items_fail (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count, size_t got,
              const char *service)
{
    hny_backend_fail (backend, batch, first, count, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                      "%s answered %zu translations for %zu texts", service, got, count);
    return -1;
}

int
hny_be_check_items (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                    const json_t *items, const char *service)
{
    if (json_is_array (items) && json_array_size (items) == count)
        return 0;
    size_t got = json_is_array (items) ? json_array_size (items) : json_is_string (items) ? 1 : 0;
    return s_items_fail (backend, batch, first, count, got, service);
}

int
hny_be_check_citems (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                     const cJSON *items, const char *service)
{
    size_t got = cJSON_IsArray (items) ? (size_t) cJSON_GetArraySize (items) : cJSON_IsString (items) ? 1 : 0;
    if (cJSON_IsArray (items) && got == count)
        return 0;
    return s_items_fail (backend, batch, first, count, got, service);
}

/* The segment's src with placeholders for the glossary's terms, or NULL
   when no term occurs; *terms and *nterms as hny_glossary_protect. */
static char *
s_protect (const hny_glossary_t *glossary, const hny_batch_t *batch, size_t index, size_t **terms,
           size_t *nterms)
{
    *terms = NULL;
    *nterms = 0;
    if (!glossary)
        return NULL;
    return hny_glossary_protect (glossary, hny_batch_src (batch, index),
                                 hny_batch_src_len (batch, index), terms, nterms);
}

int
hny_be_put_texts (hny_buf_t *out, const hny_glossary_t *glossary, const hny_batch_t *batch,
                  size_t first, size_t count, int xml)
{
    hny_buf_add (out, "[", 1);
    for (size_t i = first; i < first + count; i++) {
        size_t *terms, nterms;
        char *protected = s_protect (glossary, batch, i, &terms, &nterms);
        const char *src = protected ? protected : hny_batch_src (batch, i);
        size_t len = protected ? strlen (protected) : hny_batch_src_len (batch, i);
        char *text = xml ? hny_be_xml_out (batch, i, src, len) : NULL;
        if (i > first)
            hny_buf_add (out, ",", 1);
        if (text)
            hny_json_put_str (out, text, strlen (text));
        else
            hny_json_put_str (out, src, len);
        free (text);
        free (protected);
        free (terms);
    }
    return hny_buf_add (out, "]", 1);
}

int
hny_be_take_text (hny_backend_t *backend, const hny_glossary_t *glossary, hny_batch_t *batch,
                  size_t index, size_t k, const json_t *text, const char *service, int xml)
{
    if (!json_is_string (text)) {
        hny_backend_fail (backend, batch, index, 1, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "%s translation %zu has no text", service, k);
        return -1;
    }
    size_t len = json_string_length (text);
    char *plain = xml ? hny_be_xml_in (json_string_value (text), len, &len) : NULL;
    int rc = hny_be_take_string (backend, glossary, batch, index,
                                 plain ? plain : json_string_value (text), len);
    free (plain);
    return rc;
}

int
hny_be_take_ctext (hny_backend_t *backend, const hny_glossary_t *glossary, hny_batch_t *batch,
                   size_t index, size_t k, const cJSON *text, const char *service, int xml)
{
    size_t len;
    const char *value = hny_json_str (text, &len);
    if (!value) {
        hny_backend_fail (backend, batch, index, 1, HNY_SEG_TRANSIENT, HNY_BE_UNUSABLE,
                          "%s translation %zu has no text", service, k);
        return -1;
    }
    char *plain = xml ? hny_be_xml_in (value, len, &len) : NULL;
    int rc = hny_be_take_string (backend, glossary, batch, index, plain ? plain : value, len);
    free (plain);
    return rc;
}

int
hny_be_take_string (hny_backend_t *backend, const hny_glossary_t *glossary, hny_batch_t *batch,
                    size_t index, const char *text, size_t len)
{
    (void) backend;
    size_t *terms, nterms;
    char *protected = s_protect (glossary, batch, index, &terms, &nterms);
    if (!protected)
        hny_batch_set_tgt (batch, index, text, len);
    else {
        /* A lost or broken placeholder costs the term, not the segment:
           the translation is kept with a warning, like lost markup. */
        char *warning = NULL;
        char *restored = hny_glossary_restore (glossary, terms, nterms, text, len, &warning);
        hny_batch_set_tgt_warning (batch, index, restored, strlen (restored), warning);
        free (restored);
        free (warning);
        free (protected);
        free (terms);
    }
    return hny_batch_class (batch, index) == HNY_SEG_OK ? 0 : -1;
}

/* ---------------------------------------------------------- XML markup */

#define S_TOK_OPEN  "\xE2\x9F\xA6"     /* ⟦ */
#define S_TOK_CLOSE "\xE2\x9F\xA7"     /* ⟧ */
#define S_TOK_LEN   3
#define S_XML_DEPTH HNY_MARKUP_MAX_ELEMENTS

/* The element names of a markup, in the order of its placeholders: the
   n-th opening tag of its inline form is element n (hny_batch_markup),
   read back by the one reader of that form. Returns how many were found
   (at most max). */
static size_t
s_kinds (const hny_markup_t *markup, char *kinds, size_t max)
{
    size_t len = 0, size = 0, count = 0;
    hny_markup_text (markup, &len);
    char *inline_form = hny_markup_render (markup, 0, len, &size);
    hny_inline_t *parsed = hny_inline_parse (inline_form, size);
    for (size_t i = 0; i < hny_inline_count (parsed) && count < max; i++) {
        const hny_inline_token_t *t = hny_inline_token (parsed, i);
        if (t->kind == HNY_INLINE_OPEN)
            kinds[count++] = t->tag == HNY_INLINE_B ? 'b' : t->tag == HNY_INLINE_I ? 'i' : 'a';
    }
    hny_inline_destroy (&parsed);
    free (inline_form);
    return count;
}

/* Append text XML-escaped. */
static void
s_xml_escape (hny_buf_t *buf, const char *text, size_t len)
{
    const char *run = text, *end = text + len;
    for (const char *p = text; p < end; p++) {
        const char *rep = *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : NULL;
        if (!rep)
            continue;
        hny_buf_add (buf, run, (size_t) (p - run));
        hny_buf_adds (buf, rep);
        run = p + 1;
    }
    hny_buf_add (buf, run, (size_t) (end - run));
}

/* A token ⟦n⟧ or ⟦/n⟧ at text[at]: its length, number and closing flag; 0 when none. */
static size_t
s_token_at (const char *text, size_t len, size_t at, size_t *n, int *closing)
{
    if (len - at < 2 * S_TOK_LEN + 1 || memcmp (text + at, S_TOK_OPEN, S_TOK_LEN) != 0)
        return 0;
    size_t q = at + S_TOK_LEN, digits = 0;
    *closing = q < len && text[q] == '/';
    q += (size_t) *closing;
    *n = 0;
    while (q < len && text[q] >= '0' && text[q] <= '9' && digits < 4)
        *n = *n * 10 + (size_t) (text[q++] - '0'), digits++;
    if (digits == 0 || len - q < S_TOK_LEN || memcmp (text + q, S_TOK_CLOSE, S_TOK_LEN) != 0)
        return 0;
    return q + S_TOK_LEN - at;
}

char *
hny_be_xml_out (const hny_batch_t *batch, size_t index, const char *text, size_t len)
{
    /* a byte escapes to 5 at most ("&amp;"); a token (7 bytes or more) becomes
       a tag of at most 13 ("<a id=\"9999\">") */
    hny_buf_t buf = HNY_BUF_INIT (5 * len + 1);
    hny_buf_add (&buf, "", 0);
    const hny_markup_t *markup = hny_batch_markup (batch, index);
    if (!markup) {
        s_xml_escape (&buf, text, len);
        return buf.data;
    }
    char kinds[S_XML_DEPTH];
    size_t nkinds = s_kinds (markup, kinds, sizeof kinds);
    size_t pos = 0, run = 0;
    while (pos < len) {
        size_t n;
        int closing;
        size_t tlen = s_token_at (text, len, pos, &n, &closing);
        if (tlen == 0) {
            pos++;
            continue;
        }
        s_xml_escape (&buf, text + run, pos - run);
        /* The src of a segment with markup holds no other ⟦: these are its tokens. */
        char kind = n >= 1 && n <= nkinds ? kinds[n - 1] : 'b';
        char tag[32];
        if (closing)
            snprintf (tag, sizeof tag, "</%c>", kind);
        else
            snprintf (tag, sizeof tag, "<%c id=\"%zu\">", kind, n);
        hny_buf_adds (&buf, tag);
        pos = run = pos + tlen;
    }
    s_xml_escape (&buf, text + run, len - run);
    return buf.data;
}

/* Append code point cp as UTF-8; 0 when it is not a character XML allows. */
static int
s_put_utf8 (hny_buf_t *buf, unsigned long cp)
{
    char u[4];
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    size_t n = hny_utf8_put (cp, u);
    hny_buf_add (buf, u, n);
    return 1;
}

/* Decode the entity at xml[at] (a '&') onto buf; returns its length, or 0
   when it is none (the '&' is then text). */
static size_t
s_entity_in (hny_buf_t *buf, const char *xml, size_t len, size_t at)
{
    static const struct { const char *name; const char *text; } named[] = {
        { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" }, { "&quot;", "\"" }, { "&apos;", "'" }
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen (named[i].name);
        if (len - at >= n && memcmp (xml + at, named[i].name, n) == 0) {
            hny_buf_adds (buf, named[i].text);
            return n;
        }
    }
    if (len - at < 4 || xml[at + 1] != '#')
        return 0;
    int hex = xml[at + 2] == 'x' || xml[at + 2] == 'X';
    size_t q = at + 2 + (size_t) hex, digits = 0;
    unsigned long cp = 0;
    while (q < len && digits < 8 && (hex ? isxdigit ((unsigned char) xml[q])
                                         : isdigit ((unsigned char) xml[q]))) {
        char c = xml[q++];
        cp = cp * (hex ? 16 : 10)
             + (unsigned long) (isdigit ((unsigned char) c) ? c - '0' : (tolower (c) - 'a' + 10));
        digits++;
    }
    if (digits == 0 || q >= len || xml[q] != ';' || !s_put_utf8 (buf, cp))
        return 0;
    return q + 1 - at;
}

/* The number in an id="n" (or id='n') attribute of [tag, tag + len); 0 when none. */
static size_t
s_tag_id (const char *tag, size_t len)
{
    for (size_t i = 0; i + 4 < len; i++) {
        if (memcmp (tag + i, "id=", 3) != 0 || (i > 0 && !isspace ((unsigned char) tag[i - 1])))
            continue;
        char quote = tag[i + 3];
        if (quote != '"' && quote != '\'')
            continue;
        size_t n = 0, digits = 0;
        for (size_t q = i + 4; q < len && isdigit ((unsigned char) tag[q]) && digits < 4; q++)
            n = n * 10 + (size_t) (tag[q] - '0'), digits++;
        return n;
    }
    return 0;
}

char *
hny_be_xml_in (const char *xml, size_t len, size_t *out_len)
{
    /* entities and opening tags shrink; "</b>" (4 bytes) becomes at most
       "⟦/9999⟧" (11) */
    hny_buf_t buf = HNY_BUF_INIT (3 * len + 1);
    hny_buf_add (&buf, "", 0);
    struct { size_t n; char kind; } stack[S_XML_DEPTH];
    size_t depth = 0, pos = 0;
    while (pos < len) {
        char c = xml[pos];
        if (c == '&') {
            size_t n = s_entity_in (&buf, xml, len, pos);
            if (n == 0)
                hny_buf_add (&buf, "&", 1);
            pos += n ? n : 1;
            continue;
        }
        if (c != '<') {
            size_t run = pos;
            while (pos < len && xml[pos] != '<' && xml[pos] != '&')
                pos++;
            hny_buf_add (&buf, xml + run, pos - run);
            continue;
        }
        const char *gt = memchr (xml + pos, '>', len - pos);
        if (!gt) {
            hny_buf_add (&buf, xml + pos, len - pos);       /* not a tag: text */
            break;
        }
        const char *tag = xml + pos + 1;
        size_t tlen = (size_t) (gt - tag);
        pos = (size_t) (gt - xml) + 1;
        int closing = tlen > 0 && tag[0] == '/';
        int empty = tlen > 0 && tag[tlen - 1] == '/';
        const char *name = tag + closing;
        size_t nlen = 0;
        while (nlen < tlen - (size_t) closing && (isalnum ((unsigned char) name[nlen])
                                                  || name[nlen] == '_' || name[nlen] == '-'))
            nlen++;
        char kind = nlen == 1 && (name[0] == 'b' || name[0] == 'i' || name[0] == 'a') ? name[0] : 0;
        char token[32];
        if (closing) {
            /* the innermost open element of that name, wherever it is */
            size_t k = depth;
            while (k > 0 && stack[k - 1].kind != kind)
                k--;
            if (k == 0 || !kind)
                continue;
            if (stack[k - 1].n > 0) {
                snprintf (token, sizeof token, S_TOK_OPEN "/%zu" S_TOK_CLOSE, stack[k - 1].n);
                hny_buf_adds (&buf, token);
            }
            memmove (&stack[k - 1], &stack[k], (depth - k) * sizeof stack[0]);
            depth--;
            continue;
        }
        size_t n = kind ? s_tag_id (tag, tlen) : 0;
        if (n > 0) {
            snprintf (token, sizeof token, S_TOK_OPEN "%zu" S_TOK_CLOSE, n);
            hny_buf_adds (&buf, token);
        }
        if (empty) {
            if (n > 0) {
                snprintf (token, sizeof token, S_TOK_OPEN "/%zu" S_TOK_CLOSE, n);
                hny_buf_adds (&buf, token);
            }
        }
        else if (kind && depth < S_XML_DEPTH) {
            stack[depth].n = n;
            stack[depth].kind = kind;
            depth++;
        }
    }
    *out_len = buf.len;
    return buf.data;
}
