/* SPDX-License-Identifier: MIT */
#include "remedy/hash.h"

#include <openssl/evp.h>
#include <stdlib.h>

#include "remedy/fileio.h"

struct Sha256 {
        EVP_MD_CTX *ctx;
};

int sha256_new(Sha256 **ret) {
        Sha256 *h = calloc(1, sizeof(Sha256));
        if (!h)
                return -ENOMEM;
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
                sha256_free(h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

Sha256 *sha256_free(Sha256 *h) {
        if (h) {
                EVP_MD_CTX_free(h->ctx);
                free(h);
        }
        return NULL;
}

int sha256_update(Sha256 *h, const void *data, size_t size) {
        return EVP_DigestUpdate(h->ctx, data, size) == 1 ? 0 : -EIO;
}

int sha256_final_hex(Sha256 *h, char ret[static SHA256_HEX_SIZE]) {
        static const char digits[] = "0123456789abcdef";
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;

        if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
                return -EIO;
        for (unsigned i = 0; i < n; i++) {
                ret[2 * i] = digits[md[i] >> 4];
                ret[2 * i + 1] = digits[md[i] & 15];
        }
        ret[2 * n] = 0;
        return 0;
}

void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_(sha256_freep) Sha256 *h = NULL;

        /* These fail only when OpenSSL cannot allocate: nothing sensible is left to do. */
        if (sha256_new(&h) < 0 || sha256_update(h, data, size) < 0 || sha256_final_hex(h, ret) < 0)
                abort();
}

int sha256_fd_hex(int fd, char ret[static SHA256_HEX_SIZE]) {
        _cleanup_(sha256_freep) Sha256 *h = NULL;
        unsigned char buf[65536];
        int r;

        if ((r = sha256_new(&h)) < 0)
                return r;
        for (;;) {
                ssize_t k = loop_read(fd, buf, sizeof buf);
                if (k < 0)
                        return (int) k;
                if (k == 0)
                        break;
                if ((r = sha256_update(h, buf, (size_t) k)) < 0)
                        return r;
        }
        return sha256_final_hex(h, ret);
}
