/* SPDX-License-Identifier: MIT */
/*
 * secret_mask_json(): every --json document passes here on its way out (report_print_json()), so
 * that no verb has to remember which of its members may hold a secret. A string alone is masked
 * as secret_mask() masks it; its place can make it a secret as a whole, which a string alone
 * cannot show: the value of "registry_password" in a parameter list, "value" beside
 * "flag": "token", the word after "--token" in an argv array.
 */
#include <string.h>

#include "remedy/macro.h"
#include "remedy/secret-mask.h"
#include "secret-mask.h"

#define REDACTED "<redacted>"

static void mask_value(json_object *v, bool secret);

static bool names_secret(json_object *v, bool flag) {
        if (!json_object_is_type(v, json_type_string))
                return false;
        const char *s = json_object_get_string(v);
        size_t n = (size_t) json_object_get_string_len(v);
        return flag ? secret_flag_name(s, n) : secret_name(s, n);
}

static void mask_string(json_object *v, bool secret) {
        const char *s = json_object_get_string(v);

        if (secret) {
                if (*s)
                        (void) json_object_set_string(v, REDACTED);
                return;
        }
        _cleanup_free_ char *masked = secret_mask(s);
        /* Out of memory: the whole string, rather than what it might hold. */
        if (!masked)
                (void) json_object_set_string(v, REDACTED);
        else if (!streq(masked, s))
                (void) json_object_set_string(v, masked);
}

static void mask_object(json_object *o, bool secret) {
        bool pair_secret = false;

        /* {"name": "API_TOKEN", "value": ...}, {"flag": "token", "value": ...} */
        json_object_object_foreach(o, name, v)
                if (((streq(name, "name") || streq(name, "key")) && names_secret(v, false)) ||
                    (streq(name, "flag") && names_secret(v, true)))
                        pair_secret = true;
        json_object_object_foreach(o, key, value) {
                if (streq(key, "diff"))
                        continue;
                mask_value(value, secret || secret_name(key, strlen(key)) || (pair_secret && streq(key, "value")));
        }
}

static void mask_array(json_object *a, bool secret) {
        bool flag_value = false;

        for (size_t i = 0; i < json_object_array_length(a); i++) {
                json_object *v = json_object_array_get_idx(a, i);
                bool has_value = false;

                mask_value(v, secret || flag_value);
                flag_value = json_object_is_type(v, json_type_string) &&
                             secret_flag(json_object_get_string(v), (size_t) json_object_get_string_len(v), &has_value) &&
                             !has_value;
        }
}

static void mask_value(json_object *v, bool secret) {
        switch (json_object_get_type(v)) {
        case json_type_string:
                mask_string(v, secret);
                break;
        case json_type_object:
                mask_object(v, secret);
                break;
        case json_type_array:
                mask_array(v, secret);
                break;
        default:
                /* Numbers and booleans: a secret is never one in what remedy prints. */
                break;
        }
}

void secret_mask_json(json_object *o) {
        if (o)
                mask_value(o, false);
}
