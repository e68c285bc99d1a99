/* SPDX-License-Identifier: MIT */
/*
 * fstab parsing (libmount line by line, systemd's unit names for swap) on arbitrary bytes as
 * /etc/fstab, and the same bytes as /proc/swaps. Every swap entry's line lies inside the file;
 * commenting the entries out (what swap-off does) leaves a file with no swap entry, and every
 * other line as it was.
 */
#include <string.h>

#include "fuzz.h"
#include "remedy/fstab.h"
#include "remedy/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        _cleanup_strv_free_ char **notes = NULL, **notes2 = NULL, **paths = NULL;
        _cleanup_free_ char *out = NULL, *s = fuzz_strndup(data, size);
        FstabSwap *swaps = NULL, *swaps2 = NULL;
        size_t n = 0, n2 = 0, out_size = 0;

        if (fstab_swaps(text, size, &swaps, &n, &notes) < 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                fuzz_check(swaps[i].start <= swaps[i].end && swaps[i].end <= size, "swap %zu: [%zu, %zu) in %zu bytes",
                           i, swaps[i].start, swaps[i].end, size);
                fuzz_check(swaps[i].source && swaps[i].node && swaps[i].unit, "swap %zu is named", i);
                fuzz_check(endswith(swaps[i].unit, ".swap"), "swap %zu: unit %s", i, swaps[i].unit);
        }

        if (fstab_comment_out(text, size, swaps, n, &out, &out_size) >= 0) {
                fuzz_check(out_size == size + n, "commenting out %zu lines adds %zu bytes, not %zu", n, n,
                           out_size - size);
                fuzz_check(fstab_swaps(out, out_size, &swaps2, &n2, &notes2) >= 0, "the commented file parses");
                fuzz_check(n2 == 0, "no swap entry left, %zu are\n%s", n2, out);
                fstab_swaps_free(swaps2, n2);
        }
        fstab_swaps_free(swaps, n);

        (void) proc_swaps_parse(s, &paths);
        return 0;
}
