/* SPDX-License-Identifier: MIT */
/*
 * The backup manifest parser (backups/manifest-parse.c, json-c) on arbitrary bytes as a
 * transaction's manifest.json: rollback acts on what it reads, so a refused manifest must be
 * refused cleanly (no leak, a reason), and an accepted one must serialise to JSON that parses
 * to the same serialisation (the round trip the store relies on when it updates a manifest).
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(manifest_freep) Manifest *m = NULL, *m2 = NULL;
        _cleanup_free_ char *error = NULL, *error2 = NULL, *json = NULL, *json2 = NULL;
        int r;

        r = manifest_from_json((const char *) data, size, &m, &error);
        if (r < 0) {
                fuzz_check(!m, "no manifest on failure");
                fuzz_check(r != -EBADMSG || error, "refused without a reason");
                return 0;
        }
        fuzz_check(manifest_to_json(m, &json) >= 0, "an accepted manifest serialises");
        r = manifest_from_json(json, strlen(json), &m2, &error2);
        fuzz_check(r >= 0, "its serialisation parses: %s\n%s", strempty(error2), json);
        fuzz_check(manifest_to_json(m2, &json2) >= 0, "and serialises again");
        fuzz_check(streq(json, json2), "the round trip is stable\n%s\n%s", json, json2);
        return 0;
}
