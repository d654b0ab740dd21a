/*  hny_be_libre.c: the `libretranslate` backend type (`POST {url}/translate`;
    shared/backends.md): JSON `{"q":[..],"source","target","format":"text",
    "api_key"?}` answered by `{"translatedText":[..]}`. Self-hosted servers
    set their own batch and character limits (LT_BATCH_LIMIT,
    LT_CHAR_LIMIT): a profile's max_texts and max_bytes can fit them
    exactly (the backend table has the defaults), and a 400 "exceeds ...
    limit" halves the request like a 413. Errors are `{"error": ".."}`:
    400 is permanent with the server's message, 403 (key, quota) pauses,
    429 ("Slowdown") is transient. Glossary terms are protected with
    placeholders (hny_glossary.h); a segment that is exactly one term is
    answered by the glossary without a request. The code points sent are
    reported as billed (hosted LibreTranslate bills them; billing in the
    backend table). */
#include "hny_be_common.h"

#include <honyaku/util.h>

#include <stdlib.h>
#include <string.h>

static int
s_build (hny_backend_t *backend, const hny_batch_t *batch, size_t first, size_t count,
         hny_backend_req_t *req, char **reason)
{
    hny_buf_t body = HNY_BUF_INIT (HNY_PROTO_BODY_MAX);
    hny_buf_adds (&body, "{");
    hny_json_put_key (&body, "q", 1);
    hny_be_put_texts (&body, hny_be_glossary (backend), batch, first, count, 0);
    hny_json_put_member (&body, "source", hny_batch_from (batch), 0);
    hny_json_put_member (&body, "target", hny_batch_to (batch), 0);
    hny_json_put_member (&body, "format", "text", 0);
    if (*hny_backend_key (backend))
        hny_json_put_member (&body, "api_key", hny_backend_key (backend), 0);
    hny_buf_adds (&body, "}");
    req->url = hny_sprintf ("%s/translate", hny_backend_url (backend));
    hny_backend_req_json_text (req, &body);   /* the key in the body is wiped by the dispatch */
    return 0;
}

static hny_seg_class_t
s_classify (long status)
{
    if (status == 403 || status == 401)
        return HNY_SEG_PAUSED;
    if (status == 408 || status == 429 || (status >= 500 && status <= 599))
        return HNY_SEG_TRANSIENT;
    return HNY_SEG_PERMANENT;
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
        hny_backend_fail (backend, batch, first, count, s_classify (status), (int) status,
                          "LibreTranslate HTTP %ld: %.200s", status,
                          json_is_string (error) ? json_string_value (error) : "");
        json_decref (root);
        return;
    }
    json_t *items = json_object_get (root, "translatedText");
    if (hny_be_check_items (backend, batch, first, count, items, "LibreTranslate") == 0)
        for (size_t k = 0; k < count; k++)
            hny_be_take_text (backend, hny_be_glossary (backend), batch, first + k, k,
                              json_array_get (items, k), "LibreTranslate", 0);
    json_decref (root);
}

/* "Invalid request: request (N) exceeds text limit (M)" / "... character limit". */
static int
s_too_large (const hny_http_response_t *response)
{
    return response->status == 400 && response->body && strstr (response->body, "exceeds")
           && strstr (response->body, "limit");
}

const hny_backend_type_t hny_backend_libre = {
    .name = "libretranslate",
    .check_pair = hny_be_check_pair_bcp47,
    .build = s_build,
    .parse = s_parse,
    .classify = s_classify,
    .init = hny_be_glossary_init,
    .fini = hny_be_glossary_fini,
    .too_large = s_too_large,
    .local = hny_be_glossary_local,
};
