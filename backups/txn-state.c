/* SPDX-License-Identifier: MIT */
/*
 * A transaction's identity and state as values: the ID syntax and the state names. Changing a
 * running transaction's state is txn-update.c's, which saves it to the store.
 */
#include "remedy/backup.h"

#define TXN_ID_MAX 64

static const char *const txn_state_names[_TXN_STATE_MAX] = {
        [TXN_PREPARED] = "prepared",
        [TXN_APPLYING] = "applying",
        [TXN_APPLIED] = "applied",
        [TXN_FAILED] = "failed",
        [TXN_ROLLED_BACK] = "rolled-back",
        [TXN_ABANDONED] = "abandoned",
};

const char *txn_state_to_string(TxnState s) {
        if ((unsigned) s >= _TXN_STATE_MAX)
                return NULL;
        return txn_state_names[s];
}

int txn_state_from_string(const char *s) {
        if (!s)
                return -EINVAL;
        for (int i = 0; i < _TXN_STATE_MAX; i++)
                if (streq(s, txn_state_names[i]))
                        return i;
        return -EINVAL;
}

bool txn_state_unresolved(TxnState s) {
        return s == TXN_PREPARED || s == TXN_APPLYING || s == TXN_FAILED;
}

bool txn_id_is_valid(const char *id) {
        size_t n;

        if (!id)
                return false;
        n = strlen(id);
        if (n == 0 || n > TXN_ID_MAX)
                return false;
        /* Letters, digits and '-', not leading: a plain file name that cannot be an option. */
        if (id[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
                        return false;
        }
        return true;
}
