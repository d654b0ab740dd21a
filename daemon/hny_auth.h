/*  hny_auth.h: honyakud's ZAP handler (ZeroMQ RFC 27) for CURVE endpoints.

    A REP socket on inproc://zeromq.zap.01 in the broker's context, polled
    by the broker loop. Sockets that use CURVE carry a ZAP domain: "front"
    (clients) or "back" (workers); each domain has its own allow-list of
    client public keys. A key that is not in the list of its domain is
    refused (status 400) and the refusal is logged with the key's first 8
    Z85 characters only. The NULL mechanism (ipc:// endpoints) is accepted:
    there the socket file's permissions are the guard. */
#ifndef HNY_AUTH_H
#define HNY_AUTH_H

#ifdef __cplusplus
extern "C" {
#endif

#define HNY_AUTH_DOMAIN_FRONT   "front"
#define HNY_AUTH_DOMAIN_BACK    "back"
#define HNY_AUTH_KEYS_MAX       10000       /* keys in one allow-list file */

typedef struct _hny_auth_t hny_auth_t;

/* Bind the ZAP handler in ctx (borrowed; must outlive it). Must be done
   before any CURVE socket of ctx binds. Returns NULL and sets *error
   (caller owns) on failure. */
hny_auth_t *hny_auth_new (void *ctx, char **error);
void hny_auth_destroy (hny_auth_t **self_p);

/* The REP socket, for the caller's zmq_poll (borrowed). */
void *hny_auth_socket (hny_auth_t *self);

/* Load the allow-lists of both domains (a NULL path: that domain admits
   nobody). Files hold one Z85 public key per line, optionally followed by
   a label; blank lines and '#' comments are skipped. Both lists are
   replaced only when both files are good; otherwise the old ones stay and
   *error (caller owns) says why. Returns 0 or -1. */
int hny_auth_load (hny_auth_t *self, const char *front_path, const char *back_path, char **error);

/* Answer every ZAP request waiting on the socket (never blocks). */
void hny_auth_handle (hny_auth_t *self);

#ifdef __cplusplus
}
#endif
#endif
