/* SPDX-License-Identifier: MIT */
/* Build helper: writes a C file defining `const char NAME[]` and `const size_t NAME_size` with
 * the bytes of INPUT, so shipped data is compiled into the binary. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
        if (argc != 4) {
                fprintf(stderr, "usage: %s NAME INPUT OUTPUT\n", argv[0]);
                return 2;
        }
        FILE *in = fopen(argv[2], "rb");
        if (!in) {
                perror(argv[2]);
                return 1;
        }
        FILE *out = fopen(argv[3], "w");
        if (!out) {
                perror(argv[3]);
                return 1;
        }
        fprintf(out, "#include <stddef.h>\nextern const char %s[];\nextern const size_t %s_size;\nconst char %s[] = {", argv[1],
                argv[1], argv[1]);
        size_t n = 0;
        int c;
        while ((c = fgetc(in)) != EOF)
                fprintf(out, "%s0x%02x,", n++ % 16 == 0 ? "\n" : "", (unsigned) c);
        fprintf(out, "0x00\n};\nconst size_t %s_size = %zu;\n", argv[1], n);
        if (ferror(in) || fclose(out) != 0) {
                fprintf(stderr, "failed to write %s\n", argv[3]);
                return 1;
        }
        fclose(in);
        return 0;
}
