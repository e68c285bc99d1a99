/* SPDX-License-Identifier: MIT */
/* Whether the node runs CRI-O: see include/remedy/crio-config.h. */
#include "remedy/crio-config.h"

#include <errno.h>

#include "remedy/context.h"

int crio_node_present(Context *c) {
        static const char * const paths[] = { CRIO_CONFIG_PATH, CRIO_CONFIG_DIR, "/usr/bin/crio", "/usr/local/bin/crio", NULL };
        for (const char * const *p = paths; *p; p++) {
                FileKind kind;
                mode_t mode;
                int r = ctx_stat(c, *p, &kind, &mode);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r >= 0 && kind != FILE_ABSENT)
                        return 1;
        }
        return 0;
}
