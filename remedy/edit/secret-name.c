/* SPDX-License-Identifier: MIT */
/*
 * Which names name a credential: the one vocabulary of every masking rule (keys in YAML, TOML,
 * JSON and env files, variables in Environment=, command-line flags, parameters in JSON).
 * Matching is by suffix, case and '-'/'_' ignored, so that client-key-data, clientKeyData and
 * CLIENT_KEY_DATA are one name, and tokenFile or client-key (paths) are none.
 */
#include <string.h>
#include <strings.h>

#include "remedy/macro.h"
#include "secret-mask.h"

bool secret_name(const char *name, size_t len) {
        static const char *const suffixes[] = {
                "password", "passwd", "passphrase", "secret", "token", "keydata", "privatekey",
                "certificatekey", "encryptionkey", "signingkey", "secretkey", "accesskey", "apikey",
                ".key",
        };
        static const char *const names[] = { "auth", "creds", ".dockerconfigjson", "dockerconfigjson", ".dockercfg" };
        char n[64];
        size_t k = sizeof n - 1;

        /* SSH_KEY=, LICENSE_KEY=: an environment variable named for a key holds one. A lower-case
         * "key" (a taint's, a TOML table's) names nothing secret. */
        if (len > 4 && memcmp(name + len - 4, "_KEY", 4) == 0)
                return true;

        /* Compare case-insensitively and ignore '-' and '_': clientKeyData, client-key-data and
         * CLIENT_KEY_DATA are the same key. Of a very long name only the end counts. */
        n[k] = 0;
        for (size_t i = len; i > 0 && k > 0; i--)
                if (name[i - 1] != '-' && name[i - 1] != '_')
                        n[--k] = (char) (name[i - 1] >= 'A' && name[i - 1] <= 'Z' ? name[i - 1] - 'A' + 'a' : name[i - 1]);
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(n + k, names[i]))
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++)
                if (endswith(n + k, suffixes[i]))
                        return true;
        return false;
}

bool secret_flag_name(const char *name, size_t len) {
        static const char secret[] = "secret";

        /* A flag's value is on a command line that ps shows, and in the logs of whoever ran it:
         * --client-secret-value, --secret-access-key as well as the names above. */
        if (secret_name(name, len))
                return true;
        for (size_t i = 0; i + sizeof secret - 1 <= len; i++)
                if (strncasecmp(name + i, secret, sizeof secret - 1) == 0)
                        return true;
        return false;
}

bool secret_flag(const char *s, size_t size, bool *ret_has_value) {
        const char *eq;
        if (size < 3 || s[0] != '-' || s[1] != '-')
                return false;
        eq = memchr(s, '=', size);
        if (ret_has_value)
                *ret_has_value = eq != NULL;
        return secret_flag_name(s + 2, eq ? (size_t) (eq - s - 2) : size - 2);
}
