/* SPDX-License-Identifier: MIT */
/*
 * The updates of a transaction's manifest: its state, along the transitions allowed, what it left
 * each path as when it finished, the units it recorded, and its return to "applied" when the
 * rollback that reverted it is rolled back itself. Each is saved to the store durably before it counts, and the
 * manifest in memory is left as it was when the save fails, so that it always equals the disk.
 */
#include "remedy/backup.h"

static bool txn_state_transition_allowed(TxnState from, TxnState to) {
        if (from == to)
                return true;
        switch (from) {
        case TXN_PREPARED:
                return true;
        case TXN_APPLYING:
                return to == TXN_APPLIED || to == TXN_FAILED || to == TXN_ROLLED_BACK;
        case TXN_APPLIED:
                return to == TXN_FAILED || to == TXN_ROLLED_BACK;
        case TXN_FAILED:
                return to == TXN_ROLLED_BACK;
        default:
                return false;
        }
}

int txn_set_state(BackupStore *s, Manifest *m, TxnState state, const char *error) {
        _cleanup_free_ char *new_error = NULL, *old_error = NULL;
        TxnState old_state;
        int r;

        if (!s || !m || (unsigned) state >= _TXN_STATE_MAX)
                return -EINVAL;
        if (!txn_state_transition_allowed(m->state, state))
                return -EINVAL;
        if (error) {
                new_error = strdup(error);
                if (!new_error)
                        return -ENOMEM;
        }

        old_state = m->state;
        old_error = m->error;
        m->state = state;
        m->error = TAKE_PTR(new_error);
        r = backup_store_save(s, m);
        if (r < 0) {
                /* Keep the in-memory manifest equal to what is on disk. */
                new_error = m->error;
                m->error = TAKE_PTR(old_error);
                m->state = old_state;
                return r;
        }
        return 0;
}

int txn_add_unit(BackupStore *s, Manifest *m, const char *name, const char *unit_file_state, const char *active_state) {
        ManifestUnit *units;
        int r;

        if (!s || !m || !name || !*name || strchr(name, '/'))
                return -EINVAL;
        /* The first record is the state before the transaction; later ones would be ours. */
        for (size_t i = 0; i < m->n_units; i++)
                if (streq(m->units[i].name, name))
                        return 0;

        units = realloc(m->units, sizeof(ManifestUnit) * (m->n_units + 1));
        if (!units)
                return -ENOMEM;
        m->units = units;
        units[m->n_units] = (ManifestUnit) {
                .name = strdup(name),
                .unit_file_state = strdup(strempty(unit_file_state)),
                .active_state = strdup(strempty(active_state)),
        };
        m->n_units++;
        if (!units[m->n_units - 1].name || !units[m->n_units - 1].unit_file_state ||
            !units[m->n_units - 1].active_state)
                r = -ENOMEM;
        else
                r = backup_store_save(s, m);
        if (r < 0) {
                m->n_units--;
                free(units[m->n_units].name);
                free(units[m->n_units].unit_file_state);
                free(units[m->n_units].active_state);
                return r;
        }
        return 1;
}

int txn_add_kernel(BackupStore *s, Manifest *m, const char *kind, const char *name, const char *before) {
        ManifestKernel *kernel;
        int r;

        if (!s || !m || !kind || !name || !*name)
                return -EINVAL;
        /* The first record is the value before the transaction; a later one would be ours. */
        for (size_t i = 0; i < m->n_kernel; i++)
                if (streq(m->kernel[i].kind, kind) && streq(m->kernel[i].name, name))
                        return 0;

        kernel = realloc(m->kernel, sizeof(ManifestKernel) * (m->n_kernel + 1));
        if (!kernel)
                return -ENOMEM;
        m->kernel = kernel;
        kernel[m->n_kernel] = (ManifestKernel) {
                .kind = strdup(kind),
                .name = strdup(name),
                .before = strdup(strempty(before)),
        };
        m->n_kernel++;
        if (!kernel[m->n_kernel - 1].kind || !kernel[m->n_kernel - 1].name || !kernel[m->n_kernel - 1].before)
                r = -ENOMEM;
        else
                r = backup_store_save(s, m);
        if (r < 0) {
                m->n_kernel--;
                free(kernel[m->n_kernel].kind);
                free(kernel[m->n_kernel].name);
                free(kernel[m->n_kernel].before);
                return r;
        }
        return 1;
}

int txn_finish(BackupStore *s, Root *root, Manifest *m, TxnState state, const char *error) {
        int r;

        if (!s || !root || !m || (state != TXN_APPLIED && state != TXN_FAILED))
                return -EINVAL;
        /* A path that cannot be read now stays unknown: rollback then restores it as before. */
        _cleanup_(root_parent_done) RootParent parent = ROOT_PARENT_INIT;
        for (size_t i = 0; i < m->n_entries; i++) {
                path_state_done(&m->entries[i].after);
                r = path_state_read_via(root, &parent, m->entries[i].path, &m->entries[i].after);
                if (r == -ENOMEM)
                        return r;
        }
        return txn_set_state(s, m, state, error);
}

int txn_reinstate(BackupStore *s, Manifest *m) {
        _cleanup_free_ char *by = NULL;
        int r;

        if (!s || !m || m->state != TXN_ROLLED_BACK)
                return -EINVAL;
        by = TAKE_PTR(m->rolled_back_by);
        m->state = TXN_APPLIED;
        r = backup_store_save(s, m);
        if (r < 0) {
                m->state = TXN_ROLLED_BACK;
                m->rolled_back_by = TAKE_PTR(by);
        }
        return r;
}
