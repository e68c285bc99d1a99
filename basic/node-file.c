/* SPDX-License-Identifier: MIT */
/* NodeFile, a node path's kind and content as a reader sees it: see include/remedy/node-fs.h. */
#include "remedy/node-fs.h"

#include <stdlib.h>
#include <string.h>

NodeFile *node_file_free(NodeFile *f) {
        if (!f)
                return NULL;
        free(f->path);
        free(f->data);
        free(f);
        return NULL;
}

NodeFile *node_file_copy(const NodeFile *f) {
        NodeFile *c = calloc(1, sizeof(NodeFile));
        if (!c)
                return NULL;
        *c = *f;
        c->path = strdup(f->path);
        c->data = NULL;
        if (f->data) {
                c->data = malloc(f->size + 1);
                if (c->data) {
                        memcpy(c->data, f->data, f->size);
                        c->data[f->size] = 0;
                }
        }
        if (!c->path || (f->data && !c->data))
                return node_file_free(c);
        return c;
}

const char *file_kind_name(FileKind k) {
        static const char *const names[] = {
                [FILE_ABSENT] = "absent",       [FILE_REGULAR] = "file",  [FILE_SYMLINK] = "symlink",
                [FILE_DIRECTORY] = "directory", [FILE_OTHER] = "special file",
        };
        return k < ELEMENTSOF(names) ? names[k] : "unknown";
}
