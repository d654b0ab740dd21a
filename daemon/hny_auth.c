/*  hny_auth.c: honyakud's ZAP handler and CURVE allow-lists (hny_auth.h).

    A ZAP request is at most 7 frames: version "1.0", request id, domain,
    peer address, routing id, mechanism, and for CURVE the client's 32-byte
    public key. The answer is version, request id, status code, status text,
    user id (the key's label, or its Z85 text) and empty metadata. */
#include "hny_auth.h"

#include <honyaku/config.h>
#include <honyaku/util.h>

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_ZAP_ENDPOINT  "inproc://zeromq.zap.01"
#define S_FRAMES_MAX    8
#define S_FRAME_MAX     256             /* bytes kept of one frame */
#define S_FILE_MAX      (1024 * 1024)   /* bytes of an allow-list file */
#define S_LABEL_MAX     64
#define S_BATCH_MAX     64              /* requests answered per call */

typedef struct {
    char key [HNY_CURVE_KEY_LEN];
    char label [S_LABEL_MAX + 1];
} s_entry_t;

typedef struct {
    s_entry_t *entries;
    size_t count;
} s_list_t;

struct _hny_auth_t {
    void *sock;
    s_list_t front, back;
};

hny_auth_t *
hny_auth_new (void *ctx, char **error)
{
    assert (ctx && error);
    hny_auth_t *self = hny_calloc (1, sizeof *self);
    self->sock = zmq_socket (ctx, ZMQ_REP);
    int zero = 0;
    if (self->sock)
        zmq_setsockopt (self->sock, ZMQ_LINGER, &zero, sizeof zero);
    if (!self->sock || zmq_bind (self->sock, S_ZAP_ENDPOINT) != 0) {
        *error = hny_sprintf ("cannot start the ZAP handler on %s: %s", S_ZAP_ENDPOINT,
                              zmq_strerror (errno));
        hny_auth_destroy (&self);
        return NULL;
    }
    return self;
}

void
hny_auth_destroy (hny_auth_t **self_p)
{
    assert (self_p);
    hny_auth_t *self = *self_p;
    if (!self)
        return;
    if (self->sock)
        zmq_close (self->sock);
    free (self->front.entries);
    free (self->back.entries);
    free (self);
    *self_p = NULL;
}

void *
hny_auth_socket (hny_auth_t *self)
{
    return self->sock;
}

/* Parse one allow-list file into list; 0 or -1 with *error. */
static int
s_list_read (const char *path, s_list_t *list, char **error)
{
    list->entries = NULL;
    list->count = 0;
    if (!path)
        return 0;
    char *data = NULL;
    size_t size = 0;
    if (hny_file_read (path, S_FILE_MAX, &data, &size) != 0) {
        *error = hny_sprintf ("allow-list %s: %s", path,
                              errno == EFBIG ? "larger than 1 MiB" : strerror (errno));
        return -1;
    }
    int rc = 0, lineno = 0;
    char *line = data;
    while (line && rc == 0) {
        lineno++;
        char *next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        while (*line == ' ' || *line == '\t')
            line++;
        char *end = line + strlen (line);
        while (end > line && (end [-1] == '\r' || end [-1] == ' ' || end [-1] == '\t'))
            *--end = 0;
        if (*line && *line != '#') {
            char key [HNY_CURVE_KEY_LEN];
            size_t len = strcspn (line, " \t");
            const char *label = line + len + strspn (line + len, " \t");
            if (len != HNY_CURVE_KEY_LEN - 1) {
                *error = hny_sprintf ("allow-list %s:%d: expected a 40-character Z85 public key",
                                      path, lineno);
                rc = -1;
                break;
            }
            memcpy (key, line, len);
            key [len] = 0;
            if (!hny_curve_key_valid (key)) {
                *error = hny_sprintf ("allow-list %s:%d: not a Z85 key", path, lineno);
                rc = -1;
            }
            else if (list->count == HNY_AUTH_KEYS_MAX) {
                *error = hny_sprintf ("allow-list %s: more than %d keys", path, HNY_AUTH_KEYS_MAX);
                rc = -1;
            }
            else {
                list->entries = hny_realloc (list->entries, (list->count + 1) * sizeof *list->entries);
                s_entry_t *e = &list->entries [list->count++];
                memcpy (e->key, key, sizeof e->key);
                snprintf (e->label, sizeof e->label, "%.*s", S_LABEL_MAX, label);
            }
        }
        line = next;
    }
    free (data);
    if (rc) {
        free (list->entries);
        list->entries = NULL;
        list->count = 0;
    }
    return rc;
}

int
hny_auth_load (hny_auth_t *self, const char *front_path, const char *back_path, char **error)
{
    assert (self && error);
    s_list_t front, back;
    if (s_list_read (front_path, &front, error))
        return -1;
    if (s_list_read (back_path, &back, error)) {
        free (front.entries);
        return -1;
    }
    free (self->front.entries);
    free (self->back.entries);
    self->front = front;
    self->back = back;
    return 0;
}

static const s_entry_t *
s_find (const s_list_t *list, const char *key)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp (list->entries [i].key, key) == 0)
            return &list->entries [i];
    return NULL;
}

/* Receive one multipart request; returns the frame count, or -1 when none. */
static int
s_recv (void *sock, char frames [S_FRAMES_MAX][S_FRAME_MAX + 1], size_t sizes [S_FRAMES_MAX])
{
    int count = 0, more = 1;
    while (more) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, sock, count ? 0 : ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            return count ? count : -1;
        }
        if (count < S_FRAMES_MAX) {
            size_t size = zmq_msg_size (&msg);
            sizes [count] = size;
            if (size > S_FRAME_MAX)
                size = S_FRAME_MAX;
            memcpy (frames [count], zmq_msg_data (&msg), size);
            frames [count][size] = 0;
        }
        count++;
        more = zmq_msg_more (&msg);
        zmq_msg_close (&msg);
    }
    return count;
}

static void
s_reply (void *sock, const char *request_id, size_t id_size, const char *status,
         const char *text, const char *user)
{
    zmq_send (sock, "1.0", 3, ZMQ_SNDMORE);
    zmq_send (sock, request_id, id_size, ZMQ_SNDMORE);
    zmq_send (sock, status, strlen (status), ZMQ_SNDMORE);
    zmq_send (sock, text, strlen (text), ZMQ_SNDMORE);
    zmq_send (sock, user, strlen (user), ZMQ_SNDMORE);
    zmq_send (sock, "", 0, 0);
}

void
hny_auth_handle (hny_auth_t *self)
{
    static char frames [S_FRAMES_MAX][S_FRAME_MAX + 1];
    size_t sizes [S_FRAMES_MAX] = { 0 };
    for (int n = 0; n < S_BATCH_MAX; n++) {
        int count = s_recv (self->sock, frames, sizes);
        if (count < 0)
            return;
        /* REP must answer every request, even a malformed one. */
        if (count < 6 || strcmp (frames [0], "1.0") != 0 || sizes [1] > S_FRAME_MAX) {
            hny_warn ("ZAP: malformed request (%d frames): refused", count);
            s_reply (self->sock, count > 1 ? frames [1] : "", count > 1 && sizes [1] <= S_FRAME_MAX
                     ? sizes [1] : 0, "500", "malformed request", "");
            continue;
        }
        const char *domain = frames [2], *address = frames [3], *mechanism = frames [5];
        if (strcmp (mechanism, "NULL") == 0) {
            s_reply (self->sock, frames [1], sizes [1], "200", "OK", "");
            continue;
        }
        const s_list_t *list = strcmp (domain, HNY_AUTH_DOMAIN_FRONT) == 0 ? &self->front
                             : strcmp (domain, HNY_AUTH_DOMAIN_BACK) == 0 ? &self->back : NULL;
        const char *who = list == &self->back ? "worker" : "client";
        if (strcmp (mechanism, "CURVE") != 0 || count < 7 || sizes [6] != 32 || !list) {
            hny_warn ("refused a %s from %s: mechanism %.16s, domain \"%.16s\"", who, address,
                      mechanism, domain);
            s_reply (self->sock, frames [1], sizes [1], "400", "not allowed", "");
            continue;
        }
        char key [HNY_CURVE_KEY_LEN];
        zmq_z85_encode (key, (const uint8_t *) frames [6], 32);
        const s_entry_t *entry = s_find (list, key);
        if (!entry) {
            hny_warn ("refused a %s from %s: key %.8s... is not in allowed_%ss", who, address,
                      key, who);
            s_reply (self->sock, frames [1], sizes [1], "400", "key not allowed", "");
            continue;
        }
        hny_debug ("admitted a %s from %s: key %.8s...%s%s", who, address, key,
                   entry->label [0] ? " " : "", entry->label);
        s_reply (self->sock, frames [1], sizes [1], "200", "OK", entry->label [0] ? entry->label : key);
    }
}
