/*  hny_be_common.h: what the HTTP backend types (deepl, google,
    libretranslate, openai; apertium for the classification) share, so that
    each type file holds only its API's shapes: the profile glossary as
    per-instance state, language checks, the JSON body of a response and
    the array of translations in it, and taking one translation (with
    glossary placeholders put back) into the batch.

    One classification for answers that cannot be used (proto/PROTOCOL.md
    §13): a 2xx answer that is cut, not JSON, an HTML page, invalid UTF-8,
    empty, of the wrong shape or with the wrong number of items is a glitch
    of the service or of the way back, so these helpers fail it `transient`
    with code 502 and the broker retries it within `retries`. What fails
    the same way every time (an unsupported pair, a segment too large, a
    model's answer cut at max_tokens or with commentary) stays `permanent`
    and is the type's own call. */
#ifndef HNY_BE_COMMON_H
#define HNY_BE_COMMON_H

#include "hny_backend.h"
#include "hny_glossary.h"
#include "hny_json.h"

#include <honyaku/proto.h>
#include <jansson.h>
#include <stddef.h>

/* The code of an unusable answer (class HNY_SEG_TRANSIENT). */
#define HNY_BE_UNUSABLE 502

/* ------------------------------------------------------------ glossary */

/* Load the profile's glossary into *glossary: NULL when the profile names
   none. Returns 0, or -1 with *error (caller owns) "profile NAME: why". */
int hny_be_glossary_load (hny_backend_t *backend, hny_glossary_t **glossary, char **error);

/* init/fini of the vtable for types whose only state is the glossary:
   init loads it (hny_be_glossary_load) into a state of the backend, fini
   frees that state. Returns 0 or -1 with *error (caller owns). */
int hny_be_glossary_init (hny_backend_t *backend, char **error);
void hny_be_glossary_fini (hny_backend_t *backend);
/* The glossary loaded by hny_be_glossary_init (borrowed); NULL when none. */
hny_glossary_t *hny_be_glossary (const hny_backend_t *backend);

/* When segment index is exactly one glossary term, set the term's target
   as its translation and return 1 (it is not sent: a bare placeholder
   would only come back as itself); else 0. glossary may be NULL. */
int hny_be_whole_term (const hny_glossary_t *glossary, hny_batch_t *batch, size_t index);
/* local of the vtable for types whose state is hny_be_glossary_init's. */
int hny_be_glossary_local (hny_backend_t *backend, hny_batch_t *batch, size_t index);

/* ----------------------------------------------------------- languages */

/* check_pair of the vtable for services that take BCP-47-like codes as
   they are ("en", "zh-CN"): 2 to 16 letters and '-'. On refusal returns
   -1 with *reason (caller owns) naming the profile and the pair. */
int hny_be_check_pair_bcp47 (hny_backend_t *backend, const char *from, const char *to,
                             char **reason);
/* The same, also taking '_' ("pt_BR"): for an LLM, which reads either. */
int hny_be_check_pair_loose (hny_backend_t *backend, const char *from, const char *to,
                             char **reason);

/* ------------------------------------------------------------- answers */

/* The JSON object of a response body (any status). When the body is
   empty, an HTML page, invalid UTF-8, cut or otherwise not a JSON object,
   fails segments [first, first + count) with a reason naming the profile
   and what was wrong, and returns NULL: for a 2xx status transient 502
   (an unusable answer), else the type's class of the status with the
   status as code. Caller owns the result. */
json_t *hny_be_parse_json (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                           const hny_http_response_t *response);
/* The same with cJSON (hny_json.h: RFC 8259 and UTF-8 checked, a
   duplicate name's last value kept), for the answers read on every
   request (DeepL's). Caller owns the result (cJSON_Delete). */
cJSON *hny_be_parse_cjson (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                           const hny_http_response_t *response);

/* Check that items is an array of exactly count translations; else fail
   segments [first, first + count) transient 502 with "SERVICE answered N
   translations for M texts" (a lone string counts as one) and return -1.
   service is the API's name on the reason ("DeepL"). */
int hny_be_check_items (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                        const json_t *items, const char *service);
int hny_be_check_citems (hny_backend_t *backend, hny_batch_t *batch, size_t first, size_t count,
                         const cJSON *items, const char *service);

/* Append segments [first, first + count) to out as a JSON array of
   strings for a request, each with the glossary's terms replaced by
   placeholders when glossary is not NULL (hny_glossary_protect), then
   written as XML when xml is 1 (hny_be_xml_out; the request says
   tag_handling). The bytes are those json_dumps would write of the same
   strings (hny_json_put_str): a batch's sources are UTF-8, checked when
   they were added (hny_batch_add), and so is what protect and XML make of
   them. Returns as hny_buf_add (-1 once out is past its cap). */
int hny_be_put_texts (hny_buf_t *out, const hny_glossary_t *glossary, const hny_batch_t *batch,
                      size_t first, size_t count, int xml);

/* Take the translation text of segment index: when text is not a JSON
   string, fail it transient 502 ("SERVICE translation K has no text", k =
   its place in the answer); else, read back from XML first when xml is 1
   (hny_be_xml_in: the request went as hny_be_put_texts with xml 1),
   hny_be_take_string. Returns 0 when the segment is translated, else -1. */
int hny_be_take_text (hny_backend_t *backend, const hny_glossary_t *glossary, hny_batch_t *batch,
                      size_t index, size_t k, const json_t *text, const char *service, int xml);
/* The same for a cJSON answer (hny_be_parse_cjson). */
int hny_be_take_ctext (hny_backend_t *backend, const hny_glossary_t *glossary, hny_batch_t *batch,
                       size_t index, size_t k, const cJSON *text, const char *service, int xml);
/* Set [text, text + len) as the translation of segment index: when
   glossary is not NULL, with the terms put back into the placeholders
   hny_be_put_texts made for this segment; a placeholder the service lost,
   repeated or broke costs its term and adds a warning to the segment
   (hny_glossary_restore), never the segment. Returns 0 when the segment
   is translated (invalid UTF-8 fails it), else -1. */
int hny_be_take_string (hny_backend_t *backend, const hny_glossary_t *glossary,
                        hny_batch_t *batch, size_t index, const char *text, size_t len);

/* ---------------------------------------------------------- XML markup */

/* For services with XML tag handling (DeepL's tag_handling=xml), so that
   inline markup travels as tags the service keeps instead of ⟦n⟧ text.

   Segment index's text for the request: text (its src, or the src with
   glossary placeholders) XML-escaped (& < >), and when the segment has
   markup (hny_batch_markup) its ⟦n⟧ ... ⟦/n⟧ as <b id="n">, <i id="n">,
   <a id="n"> ... </b>, </i>, </a>: the element's own name (the service
   may treat them as inline), its number to map it back (the service may
   reorder elements), no href (restored from the source, never sent).
   Caller owns the result. */
char *hny_be_xml_out (const hny_batch_t *batch, size_t index, const char *text, size_t len);

/* A translation in that XML back to placeholder text: an element with
   id="n" becomes ⟦n⟧ ... ⟦/n⟧ (a closing tag closes the innermost open
   element of its name, so a crossing shows as crossed placeholders and
   hny_batch_set_tgt drops the markup with a warning), other tags are
   dropped, the five XML entities and numeric references are decoded.
   Caller owns the result; *out_len gets its length. */
char *hny_be_xml_in (const char *xml, size_t len, size_t *out_len);

#endif
