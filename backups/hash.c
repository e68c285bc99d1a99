/* SPDX-License-Identifier: MIT */
#include "remedy/hash.h"

#include <openssl/evp.h>

#include "remedy/fileio.h"
#include "remedy/macro.h"

static void hex(const unsigned char *d, unsigned n, char *ret) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned i = 0; i < n; i++) {
                ret[2 * i] = digits[d[i] >> 4];
                ret[2 * i + 1] = digits[d[i] & 15];
        }
        ret[2 * n] = 0;
}

void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        /* EVP_Digest() with SHA-256 fails only on allocation failure inside OpenSSL. */
        if (EVP_Digest(data, size, md, &n, EVP_sha256(), NULL) != 1)
                abort();
        hex(md, n, ret);
}

int sha256_fd_hex(int fd, char ret[static SHA256_HEX_SIZE]) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
        unsigned n = 0;
        int r = 0;

        if (!ctx)
                return -ENOMEM;
        if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
                r = -EIO;
                goto finish;
        }
        for (;;) {
                ssize_t k = loop_read(fd, buf, sizeof buf);
                if (k < 0) {
                        r = (int) k;
                        goto finish;
                }
                if (k == 0)
                        break;
                if (EVP_DigestUpdate(ctx, buf, (size_t) k) != 1) {
                        r = -EIO;
                        goto finish;
                }
        }
        if (EVP_DigestFinal_ex(ctx, md, &n) != 1) {
                r = -EIO;
                goto finish;
        }
        hex(md, n, ret);
finish:
        EVP_MD_CTX_free(ctx);
        return r;
}
