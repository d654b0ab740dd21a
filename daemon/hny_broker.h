/*  hny_broker.h: honyakud's event loop. Two ROUTER sockets (front for
    clients, back for workers), the job pipeline (prepare -> translation
    memory -> translate batches -> record), credit-based dispatch with
    leases and heartbeats, and group commit of each loop pass to the store.

    proto/PROTOCOL.md is the conversation; hny_store.h the durable state. */
#ifndef HNY_BROKER_H
#define HNY_BROKER_H

#include "hny_store.h"
#include "hny_supervisor.h"

#include <honyaku/config.h>

#include <signal.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _hny_broker_t hny_broker_t;

/* Bind front and back (endpoints as given, already resolved), and load the
   store's unfinished work (resume: leased tasks go back to the queue).
   config, store and supervisor (may be NULL) are borrowed and must outlive
   the broker. Returns NULL and sets *error (caller owns) on failure. */
hny_broker_t *hny_broker_new (hny_config_t *config, hny_store_t *store, const char *front,
                              const char *back, hny_supervisor_t *supervisor, char **error);
void hny_broker_destroy (hny_broker_t **self_p);

/* Serve until *signals says to stop: 0 serve, 1 drain (stop accepting,
   hand back leased work, leave within a deadline), 2 or more: leave now.
   Returns 0 on a clean exit, -1 on a fatal store error. */
int hny_broker_run (hny_broker_t *self, volatile sig_atomic_t *signals);

#ifdef __cplusplus
}
#endif
#endif
