/* SPDX-License-Identifier: MIT */
/*
 * What must hold before remedy changes a node: no other remedy works on it (the node's lock,
 * whichever backup store either uses, then the store's own), and no transaction is left
 * half-applied in any store that has held one for this node. A transaction that was prepared and
 * never began changed nothing: it is marked abandoned here rather than blocking the node.
 */
#include "remedy/engine.h"

#include <string.h>

#include "engine-internal.h"
#include "remedy/log.h"

int node_guard_lock(Root *root, BackupStore *store, int *ret_fd, char **ret_error) {
        pid_t holder = 0;
        int k;

        k = node_lock(root->path, ret_fd, &holder);
        if (k >= 0)
                k = backup_store_lock(store, &holder);
        if (k == -EBUSY) {
                if (holder > 0)
                        set_error(ret_error, "another remedy (pid %d) is working on this node; try again when it has finished",
                                  (int) holder);
                else
                        set_error(ret_error, "another remedy is working on this node; try again when it has finished");
                return k;
        }
        if (k < 0)
                set_error(ret_error, "cannot lock the node (/run/remedy) or the backup store %s: %s", backup_store_path(store),
                          strerror(-k));
        return k;
}

bool node_guard_store_is_default(const Root *root, const BackupStore *store) {
        _cleanup_free_ char *dflt = backup_store_default_path(root->path);
        return dflt && streq(backup_store_path(store), dflt);
}

/* Marks a prepared transaction abandoned, in whichever store it is. */
static int abandon(BackupStore *current, const char *where, Manifest *m) {
        _cleanup_(backup_store_freep) BackupStore *other = NULL;
        BackupStore *s = current;
        int k;

        if (where) {
                if ((k = backup_store_open(where, false, &other)) < 0 || (k = backup_store_lock(other, NULL)) < 0)
                        return k;
                s = other;
        }
        return txn_set_state(s, m, TXN_ABANDONED, NULL);
}

int node_guard_unresolved(Root *root, BackupStore *store, char **ret_error) {
        for (;;) {
                _cleanup_(manifest_freep) Manifest *m = NULL;
                _cleanup_free_ char *where = NULL, *error = NULL;
                int k;

                k = node_find_unresolved(root, store, &m, &where, &error);
                if (k < 0) {
                        set_error(ret_error, "cannot read the backup store%s%s: %s", where ? " " : "", strempty(where),
                                  error ? error : strerror(-k));
                        return k;
                }
                if (k == 0)
                        return 0;

                if (m->state != TXN_PREPARED) {
                        set_error(ret_error,
                                  "transaction %s was left %s (remedy was interrupted); nothing is applied until it is "
                                  "resolved: run \"remedy%s%s rollback %s\"",
                                  m->id, txn_state_to_string(m->state), where ? " --backup-dir=" : "", strempty(where),
                                  m->id);
                        return -EBUSY;
                }
                k = abandon(store, where, m);
                if (k < 0) {
                        set_error(ret_error, "transaction %s was prepared and never began, but cannot be marked abandoned: %s",
                                  m->id, strerror(-k));
                        return k;
                }
                log_notice("Transaction %s was prepared but never began (remedy stopped before changing anything): "
                           "marked abandoned.", m->id);
        }
}
