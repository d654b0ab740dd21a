/*  ts_http.c: request accessors, replies, each API's error shape, and the
    faults that every API shows the same way. */
#include "ts_http.h"

#include "honyaku/util.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
ts_request_header (const ts_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_HEADER_KIND, name);
}

const char *
ts_request_query (const ts_request_t *req, const char *name)
{
    return MHD_lookup_connection_value (req->conn, MHD_GET_ARGUMENT_KIND, name);
}

int
ts_request_query_count (const ts_request_t *req)
{
    return MHD_get_connection_values (req->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);
}

int
ts_request_is_json (const ts_request_t *req)
{
    const char *type = ts_request_header (req, "Content-Type");
    if (!type || strncasecmp (type, "application/json", 16) != 0)
        return 0;
    return type[16] == '\0' || type[16] == ';' || type[16] == ' ';
}

void
ts_reply_init (ts_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    reply->status = 500;
    reply->content_type = "application/json";
    reply->retry_after = -1;
}

void
ts_reply_clear (ts_reply_t *reply)
{
    free (reply->body);
    reply->body = NULL;
    reply->body_len = 0;
}

void
ts_reply_json (ts_reply_t *reply, int status, json_t *json)
{
    ts_reply_clear (reply);
    reply->status = status;
    reply->content_type = "application/json";
    reply->body = json_dumps (json, JSON_COMPACT);
    if (!reply->body)
        abort ();   /* jansson only fails on out-of-memory here */
    reply->body_len = strlen (reply->body);
    json_decref (json);
}

/* Google's canonical status names for the codes we send. */
static const char *
s_google_status (int status)
{
    switch (status) {
        case 400: return "INVALID_ARGUMENT";
        case 401: return "UNAUTHENTICATED";
        case 403: return "PERMISSION_DENIED";
        case 404: return "NOT_FOUND";
        case 405: return "INVALID_ARGUMENT";
        case 413: return "INVALID_ARGUMENT";
        case 429: return "RESOURCE_EXHAUSTED";
        case 503: return "UNAVAILABLE";
        default: return "INTERNAL";
    }
}

void
ts_reply_error (ts_reply_t *reply, ts_api_t api, int status, const char *message)
{
    json_t *body = NULL;
    switch (api) {
        case TS_API_DEEPL:
            body = json_pack ("{ss}", "message", message);
            break;
        case TS_API_GOOGLE: {
            const char *reason = status == 429 ? "rateLimitExceeded"
                               : status == 403 ? "forbidden"
                               : status >= 500 ? "backendError" : "invalid";
            body = json_pack ("{s{sisss[{ssssss}]ss}}", "error", "code", status, "message", message,
                              "errors", "message", message, "domain", "global", "reason", reason,
                              "status", s_google_status (status));
            break;
        }
        case TS_API_OPENAI: {
            const char *type = status == 429 ? "requests"
                             : status >= 500 ? "server_error" : "invalid_request_error";
            const char *code = status == 401 ? "invalid_api_key"
                             : status == 429 ? "rate_limit_exceeded"
                             : status == 404 ? "model_not_found" : NULL;
            body = json_pack ("{s{sssssnso}}", "error", "message", message, "type", type, "param",
                              "code", code ? json_string (code) : json_null ());
            break;
        }
        default:
            body = json_pack ("{ss}", "error", message);
            break;
    }
    ts_reply_json (reply, status, body);
}

int
ts_fault_reply (ts_reply_t *reply, ts_api_t api, ts_fault_t fault, const ts_faults_t *faults)
{
    switch (fault) {
        case TS_FAULT_429:
            ts_reply_error (reply, api, 429,
                            api == TS_API_LIBRE ? "Slowdown: 1 per 1 second" : "Too many requests");
            reply->retry_after = faults->retry_after;
            return 1;
        case TS_FAULT_456:
            /* The quota answer differs per API: DeepL 456, Google 403 daily
               limit, OpenAI 429 insufficient_quota, LibreTranslate 403. */
            if (api == TS_API_DEEPL)
                ts_reply_error (reply, api, 456, "Quota Exceeded");
            else if (api == TS_API_GOOGLE)
                ts_reply_error (reply, api, 403, "Daily Limit Exceeded");
            else if (api == TS_API_OPENAI)
                ts_reply_error (reply, api, 429, "You exceeded your current quota");
            else
                ts_reply_error (reply, api, 403, "Quota exceeded");
            return 1;
        case TS_FAULT_500:
            ts_reply_error (reply, api, 500, "Internal server error");
            return 1;
        case TS_FAULT_503:
            ts_reply_error (reply, api, 503, "Service unavailable");
            reply->retry_after = faults->retry_after;
            return 1;
        case TS_FAULT_RESET:
            reply->send = TS_SEND_RESET;
            return 1;
        case TS_FAULT_HANG:
            reply->send = TS_SEND_HANG;
            return 1;
        case TS_FAULT_HTML: {
            static const char page[] =
                "<!DOCTYPE html>\n<html><head><title>Service Temporarily Unavailable</title></head>\n"
                "<body><h1>Service Temporarily Unavailable</h1>\n"
                "<p>The upstream server is busy. Please try again later.</p></body></html>\n";
            ts_reply_clear (reply);
            reply->status = 200;
            reply->content_type = "text/html; charset=utf-8";
            reply->body = hny_strdup (page);
            reply->body_len = strlen (page);
            return 1;
        }
        default:
            return 0;
    }
}

void
ts_fault_finish (ts_reply_t *reply, ts_fault_t fault, const ts_faults_t *faults)
{
    switch (fault) {
        case TS_FAULT_TRUNCATED:
            reply->send = TS_SEND_TRUNCATED;
            break;
        case TS_FAULT_HUGE:
            reply->send = TS_SEND_HUGE;
            reply->huge_bytes = faults->huge_bytes;
            break;
        case TS_FAULT_MALFORMED:
            /* Cut the JSON in the middle: valid UTF-8 is not promised. */
            if (reply->body_len > 1)
                reply->body_len /= 2;
            reply->body[reply->body_len] = '\0';
            break;
        case TS_FAULT_EMPTY:
            reply->body_len = 0;
            reply->body[0] = '\0';
            break;
        default:
            break;
    }
}

json_t *
ts_request_json (const ts_request_t *req, ts_api_t api, ts_reply_t *reply)
{
    json_error_t err;
    json_t *root = json_loadb (req->body, req->body_len, 0, &err);
    if (!root || !json_is_object (root)) {
        ts_state_violation (req->state, "%s %s: body is not a JSON object (%s)", ts_api_name (api),
                            req->path, root ? "other JSON value" : err.text);
        ts_reply_error (reply, api, 400, "Invalid request: expected a JSON object");
        json_decref (root);
        return NULL;
    }
    return root;
}
