/*  fuzz_proto.c: fuzz target for hny_msg_decode, the codec's parser of
    untrusted frames.

    Input format: a sequence of frames, each a 3-byte little-endian length
    followed by that many bytes (clipped to what is left); at most 8 frames.
    Built with -DHNY_FUZZ=ON (clang, libFuzzer) it is a plain fuzz target;
    otherwise main() runs N deterministic cases (argv[1], default 200000):
    random bytes, valid messages, and valid messages mutated byte-wise and
    frame-wise, and checks the decoder's invariants on each. */

#include "honyaku/metrics.h"
#include "honyaku/proto.h"
#include "honyaku/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_FRAMES 8

#include "fuzz_require.h"

static long s_decoded [2];      /* [0] invalid, [1] valid: main checks both happen */

/* Decode one input and check what must hold for any input. */
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const uint8_t *frames [S_MAX_FRAMES];
    size_t sizes [S_MAX_FRAMES];
    size_t count = 0;
    size_t pos = 0;
    while (pos < size && count < S_MAX_FRAMES) {
        size_t len = 0;
        for (int i = 0; i < 3 && pos < size; i++)
            len |= (size_t) data [pos++] << (8 * i);
        if (len > size - pos)
            len = size - pos;
        frames [count] = data + pos;
        sizes [count] = len;
        count++;
        pos += len;
    }
    hny_msg_t *msg = hny_msg_decode (frames, sizes, count);
    S_REQUIRE (msg);
    hny_msg_id_t id = hny_msg_id (msg);
    s_decoded [id != HNY_MSG_INVALID]++;
    if (id == HNY_MSG_INVALID) {
        int status = hny_msg_error_status (msg);
        S_REQUIRE (status == 400 || status == 413 || status == 501 || status == 505);
        S_REQUIRE (hny_msg_error_reason (msg) && *hny_msg_error_reason (msg));
        S_REQUIRE (!hny_msg_has_body (msg));
        hny_msg_t *reply = hny_msg_new_rejected (msg, status, hny_msg_error_reason (msg));
        S_REQUIRE (hny_msg_id (reply) == HNY_MSG_REJECTED);
        /* What the broker answers must pass the client's codec. */
        char *text = json_dumps (hny_msg_header (reply), JSON_COMPACT);
        S_REQUIRE (text);
        const uint8_t *rframes [] = { (const uint8_t *) HNY_PROTO_SIGNATURE,
                                      (const uint8_t *) "REJECTED", (const uint8_t *) text };
        size_t rsizes [] = { strlen (HNY_PROTO_SIGNATURE), 8, strlen (text) };
        hny_msg_t *back = hny_msg_decode (rframes, rsizes, 3);
        S_REQUIRE (hny_msg_id (back) == HNY_MSG_REJECTED);
        hny_msg_destroy (&back);
        free (text);
        hny_msg_destroy (&reply);
    }
    else {
        S_REQUIRE (hny_msg_command_name (id) != NULL);
        S_REQUIRE (json_is_object (hny_msg_header (msg)));
        S_REQUIRE (count == 3 || count == 4);
        S_REQUIRE (hny_msg_has_body (msg) == (count == 4));
        size_t body_size = 0;
        const uint8_t *body = hny_msg_body (msg, &body_size);
        if (count == 4) {
            S_REQUIRE (body && body_size == sizes [3]);
            S_REQUIRE (body_size == 0 || memcmp (body, frames [3], body_size) == 0);
        }
        /* The header must serialize again. */
        char *text = json_dumps (hny_msg_header (msg), JSON_COMPACT);
        S_REQUIRE (text);
        free (text);
        (void) hny_msg_get_int (msg, "status", 0);
        /* Defined string fields never hold U+0000: C callers read them
           as C strings. */
        static const struct { hny_msg_id_t id; const char *field; } defined [] = {
            { HNY_MSG_INVALID, "req" },     /* every message */
            { HNY_MSG_SUBMIT, "from" }, { HNY_MSG_SUBMIT, "key" }, { HNY_MSG_WAIT, "job" },
            { HNY_MSG_FETCH, "job" }, { HNY_MSG_STATUS, "job" }, { HNY_MSG_DONE, "job" },
            { HNY_MSG_REJECTED, "reason" }, { HNY_MSG_TASK, "task" }, { HNY_MSG_RESULT, "task" },
            { HNY_MSG_DISCONNECT, "reason" },
        };
        for (size_t i = 0; i < sizeof defined / sizeof defined [0]; i++) {
            if (defined [i].id != HNY_MSG_INVALID && defined [i].id != id)
                continue;
            json_t *value = json_object_get (hny_msg_header (msg), defined [i].field);
            if (json_is_string (value))
                S_REQUIRE (strlen (json_string_value (value)) == json_string_length (value));
        }
        /* A STATS reply, whatever it holds, renders as Prometheus text
           (honyaku stats --format prometheus prints the broker's reply). */
        if (id == HNY_MSG_STATS) {
            hny_buf_t out = HNY_BUF_INIT (HNY_METRICS_TEXT_MAX);
            S_REQUIRE (hny_metrics_render (hny_msg_header (msg), &out) == 0);
            S_REQUIRE (out.len == 0 || out.data [out.len - 1] == '\n');
            hny_buf_free (&out);
        }
    }
    hny_msg_destroy (&msg);
    return 0;
}

#ifndef HNY_FUZZING

#include "fuzz_rand.h"

/* Valid messages as frame lists (signature implied). */
static const char *const s_seeds [][3] = {
    { "SUBMIT", "{\"from\":\"en\",\"to\":\"es\",\"backend\":\"pseudo\",\"key\":\"k\",\"lenient\":false,"
                "\"metadata\":{\"a\":[1,{\"b\":null}]},\"req\":1}", "<p>Hello.</p>" },
    { "ACCEPTED", "{\"job\":\"1\",\"key\":\"k\",\"existing\":true,\"state\":\"queued\"}", NULL },
    { "REJECTED", "{\"status\":404,\"reason\":\"no such job\",\"job\":\"9\"}", NULL },
    { "STATUS", "{\"job\":\"1\"}", NULL },
    { "STATUS", "{\"status\":200,\"jobs\":{\"done\":2},\"version\":\"0.1.0\"}", NULL },
    { "WAIT", "{\"job\":\"1\",\"timeout_ms\":100}", NULL },
    { "DONE", "{\"status\":200,\"job\":\"1\",\"state\":\"done\"}", NULL },
    { "FETCH", "{\"job\":\"1\",\"req\":\"abc\"}", NULL },
    { "RECORD", "{\"status\":200,\"job\":\"1\"}", "{\"schema\":\"honyaku.record/1\"}" },
    { "LIST", "{\"after\":\"3\",\"limit\":10,\"state\":\"done\"}", NULL },
    { "LISTING", "{\"status\":200,\"jobs\":[{\"job\":\"1\",\"key\":\"k\",\"state\":\"done\"}],\"next\":\"1\"}", NULL },
    { "STATS", "{}", NULL },
    { "STATS", "{\"status\":200,\"profiles\":{\"pseudo\":{\"requests\":1}}}", NULL },
    { "STATS", "{\"status\":200,\"since\":5,\"jobs\":{\"done\":2},\"profiles\":{\"p\":{\"workers\":1,"
               "\"paused\":\"p: \\\"q\\\"\",\"http\":{\"200\":3},\"latency\":{\"le\":[0.1,1],\"counts\":[1,2],"
               "\"count\":3,\"sum\":0.5}}},\"job_seconds\":{\"done\":{\"le\":[1],\"counts\":[1],\"count\":2,"
               "\"sum\":3}}}", NULL },
    { "READY", "{\"credit\":8,\"backends\":[\"pseudo\",\"apertium\"],\"name\":\"w\",\"pid\":1}", NULL },
    { "TASK", "{\"task\":\"t\",\"kind\":\"translate\",\"lease_ms\":1000,\"profile\":\"pseudo\","
              "\"from\":\"en\",\"to\":\"es\"}", "{\"segments\":[{\"id\":0,\"src\":\"Hi \\u00e9\"}]}" },
    { "RESULT", "{\"task\":\"t\",\"status\":200}", "{\"segments\":[]}" },
    { "RESULT", "{\"task\":\"t\",\"status\":503,\"reason\":\"down\"}", NULL },
    { "HEARTBEAT", "{}", NULL },
    { "HEARTBEAT", "{\"heartbeat_ms\":1000,\"tasks\":[\"T1.1\",\"T2.3\"]}", NULL },
    { "HEARTBEAT", "{\"x\":{\"k\\u0000\":[1e400,99999999999999999999]},\"y\":\"\\u0000\"}", NULL },
    { "STATUS", "{\"status\":200,\"job\":\"1\",\"key\":\"k\",\"state\":\"done\",\"segments\":2,"
                "\"done\":2,\"failed\":0,\"created\":1,\"backend\":\"pseudo\"}", NULL },
    { "DISCONNECT", "{\"reason\":\"bye\"}", NULL },
};
#define S_SEED_COUNT (sizeof s_seeds / sizeof s_seeds [0])

static size_t
s_put_frame (uint8_t *out, size_t pos, size_t cap, const void *data, size_t len)
{
    if (pos + 3 + len > cap)
        return pos;
    out [pos++] = (uint8_t) (len & 0xFF);
    out [pos++] = (uint8_t) ((len >> 8) & 0xFF);
    out [pos++] = (uint8_t) ((len >> 16) & 0xFF);
    memcpy (out + pos, data, len);
    return pos + len;
}

static const char *const s_tokens [] = {
    "{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0", "\\u0000", "\\ud800",
    "\xC3\x28", "\xF0\x9F\x98\x80", "\"status\":", "\"job\":", "\"req\":", "[[[[[[[[", "9223372036854775808",
    "\"k\\u0000\":", "\"heartbeat_ms\":", "\"tasks\":[", "\"metadata\":{", "1e400,"
};

int
main (int argc, char **argv)
{
    long cases = argc > 1 ? strtol (argv [1], NULL, 10) : 200000;
    enum { CAP = 8192 };
    uint8_t *buf = hny_malloc (CAP);
    /* Every seed decodes as is: the fuzzer starts from real messages. */
    for (size_t i = 0; i < S_SEED_COUNT; i++) {
        size_t len = 0;
        len = s_put_frame (buf, len, CAP, HNY_PROTO_SIGNATURE, strlen (HNY_PROTO_SIGNATURE));
        len = s_put_frame (buf, len, CAP, s_seeds [i][0], strlen (s_seeds [i][0]));
        len = s_put_frame (buf, len, CAP, s_seeds [i][1], strlen (s_seeds [i][1]));
        if (s_seeds [i][2])
            len = s_put_frame (buf, len, CAP, s_seeds [i][2], strlen (s_seeds [i][2]));
        const uint8_t *frames [4];
        size_t sizes [4];
        size_t count = 0;
        for (size_t p = 0; p < len; ) {
            sizes [count] = buf [p] | (size_t) buf [p + 1] << 8 | (size_t) buf [p + 2] << 16;
            frames [count++] = buf + p + 3;
            p += 3 + sizes [count - 1];
        }
        hny_msg_t *msg = hny_msg_decode (frames, sizes, count);
        if (hny_msg_id (msg) == HNY_MSG_INVALID) {
            fprintf (stderr, "fuzz_proto: seed %zu (%s) does not decode: %s\n", i, s_seeds [i][0],
                     hny_msg_error_reason (msg));
            return 1;
        }
        hny_msg_destroy (&msg);
    }
    for (long n = 0; n < cases; n++) {
        size_t len = 0;
        int mode = (int) s_below (10);
        if (mode == 0) {
            /* Pure noise. */
            len = s_below (300);
            for (size_t i = 0; i < len; i++)
                buf [i] = (uint8_t) s_rand ();
        }
        else {
            const char *const *seed = s_seeds [s_below (S_SEED_COUNT)];
            len = s_put_frame (buf, len, CAP, HNY_PROTO_SIGNATURE, strlen (HNY_PROTO_SIGNATURE));
            len = s_put_frame (buf, len, CAP, seed [0], strlen (seed [0]));
            /* Frame-wise: splice tokens into the header. */
            char header [2048];
            size_t hlen = strlen (seed [1]);
            memcpy (header, seed [1], hlen);
            if (mode >= 7) {
                int edits = 1 + (int) s_below (4);
                for (int e = 0; e < edits; e++) {
                    const char *token = s_tokens [s_below (sizeof s_tokens / sizeof s_tokens [0])];
                    size_t tlen = strlen (token);
                    size_t at = s_below (hlen + 1);
                    if (hlen + tlen >= sizeof header)
                        break;
                    memmove (header + at + tlen, header + at, hlen - at);
                    memcpy (header + at, token, tlen);
                    hlen += tlen;
                }
            }
            len = s_put_frame (buf, len, CAP, header, hlen);
            if (seed [2] || s_below (8) == 0)
                len = s_put_frame (buf, len, CAP, seed [2] ? seed [2] : "x", seed [2] ? strlen (seed [2]) : 1);
            if (s_below (16) == 0)
                len = s_put_frame (buf, len, CAP, "extra", 5);
            /* Byte-wise: flip, insert, delete, truncate (lengths included). */
            if (mode >= 2 && mode <= 6) {        /* mode 1: the seed as is */
                int edits = 1 + (int) s_below (6);
                for (int e = 0; e < edits && len > 0; e++) {
                    size_t at = s_below (len);
                    switch (s_below (4)) {
                        case 0: buf [at] ^= (uint8_t) (1u << s_below (8)); break;
                        case 1: buf [at] = (uint8_t) s_rand (); break;
                        case 2: if (len < CAP) {
                                    memmove (buf + at + 1, buf + at, len - at);
                                    buf [at] = (uint8_t) s_rand ();
                                    len++;
                                }
                                break;
                        default: memmove (buf + at, buf + at + 1, len - at - 1); len--; break;
                    }
                }
                if (s_below (10) == 0)
                    len = s_below (len + 1);
            }
        }
        /* Exact-size copy so that ASan sees any read past the input. */
        uint8_t *input = hny_malloc (len ? len : 1);
        memcpy (input, buf, len);
        LLVMFuzzerTestOneInput (input, len);
        free (input);
    }
    free (buf);
    printf ("fuzz_proto: %ld cases: %ld decoded, %ld rejected, no crash\n",
            cases, s_decoded [1], s_decoded [0]);
    /* A decoder that rejects (or accepts) everything is broken too. */
    if (cases >= 1000 && (s_decoded [1] < cases / 20 || s_decoded [0] < cases / 20)) {
        fprintf (stderr, "fuzz_proto: implausible split of outcomes\n");
        return 1;
    }
    return 0;
}
#endif
