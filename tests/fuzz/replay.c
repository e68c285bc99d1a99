/* SPDX-License-Identifier: MIT */
/*
 * Runs a fuzz target's LLVMFuzzerTestOneInput() over files, as a TAP unit test: each argument is a
 * file or a directory of files (its regular files, sorted). Each input is handed over in a buffer
 * of exactly its size, so that the sanitizers see a read past its end as they would under
 * libFuzzer. A crash, a sanitizer report or a broken promise (fuzz_check) ends the test with
 * the input's name on stderr. No inputs at all is a failure: a target whose seeds went missing
 * must not pass by testing nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static unsigned count, failed;

static void tap(bool good, const char *path, const char *why) {
        count++;
        failed += !good;
        printf("%sok %u - %s%s%s\n", good ? "" : "not ", count, path, why ? ": " : "", why ?: "");
        fflush(stdout);
}

static int replay_file(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ uint8_t *data = NULL;
        struct stat st;

        if (!f || fstat(fileno(f), &st) < 0)
                return -errno;
        /* Exactly the file's bytes (malloc(0) may give NULL: the target still gets a pointer). */
        data = malloc((size_t) st.st_size ?: 1);
        if (!data)
                abort();
        if (fread(data, 1, (size_t) st.st_size, f) != (size_t) st.st_size)
                return -EIO;
        /* Named before it runs: a crash is reported by the sanitizer, not by us. */
        fprintf(stderr, "replaying %s\n", path);
        (void) LLVMFuzzerTestOneInput(data, (size_t) st.st_size);
        return 0;
}

static void replay(const char *path) {
        struct dirent **names;
        struct stat st;
        int n, r;

        if (stat(path, &st) < 0) {
                tap(false, path, strerror(errno));
                return;
        }
        if (!S_ISDIR(st.st_mode)) {
                r = replay_file(path);
                tap(r >= 0, path, r < 0 ? strerror(-r) : NULL);
                return;
        }

        n = scandir(path, &names, NULL, alphasort);
        if (n < 0) {
                tap(false, path, strerror(errno));
                return;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *child = NULL;
                struct stat cst;

                if (asprintf(&child, "%s/%s", path, names[i]->d_name) < 0)
                        abort();
                /* Hidden files are not inputs: a regression corpus may keep a .gitkeep. */
                if (names[i]->d_name[0] != '.' && stat(child, &cst) == 0 && S_ISREG(cst.st_mode))
                        replay(child);
                free(names[i]);
        }
        free(names);
}

int main(int argc, char *argv[]) {
        for (int i = 1; i < argc; i++)
                replay(argv[i]);
        if (count == 0)
                tap(false, "inputs", "none given");
        printf("1..%u\n", count);
        return failed > 0;
}
