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
   A tcp:// endpoint uses CURVE when the config has curve_key_file and the
   allow-list of its side (allowed_clients for the front, allowed_workers
   for the back); without them it is refused, unless it is a loopback
   address and insecure_tcp_loopback is set (a warning is logged). ipc://
   socket files are made 0600, the front one 0660 for socket_group when
   set (hny_access.h; a group it cannot be given fails).
   config, store and supervisor (may be NULL) are borrowed and must outlive
   the broker. Returns NULL and sets *error (caller owns) on failure. */
hny_broker_t *hny_broker_new (hny_config_t *config, hny_store_t *store, const char *front,
                              const char *back, hny_supervisor_t *supervisor, char **error);
void hny_broker_destroy (hny_broker_t **self_p);

/* SIGHUP: when *flag becomes non-zero the loop clears it and reloads the
   configuration file (hny_config_path of the config given to new), applying
   what can change at runtime: log_level (unless keep_log_level), profile
   limits (concurrency, rate, chars_per_minute, max_texts, max_bytes,
   retries, retry_base_ms), max_jobs_in_flight, lease_ms and the CURVE
   allow-lists. The rest is logged as needing a restart. A file that does
   not load is logged and the running configuration stays. flag is
   borrowed (a signal handler sets it). */
void hny_broker_set_reload (hny_broker_t *self, volatile sig_atomic_t *flag, int keep_log_level);

/* The read end of a self-pipe the signal handlers write a byte to: the
   loop polls it with its sockets and empties it, so a signal never waits
   for the poll's timeout. fd is borrowed (non-blocking); -1: none. */
void hny_broker_set_wake_fd (hny_broker_t *self, int fd);

/* Serve until *signals says to stop: 0 serve, 1 drain (stop accepting,
   hand back leased work, leave within a deadline), 2 or more: leave now.
   Returns 0 on a clean exit, -1 on a fatal store error. */
int hny_broker_run (hny_broker_t *self, volatile sig_atomic_t *signals);

#ifdef __cplusplus
}
#endif
#endif
