/* SPDX-License-Identifier: MIT */
#pragma once

/*
 * SHA-256 (OpenSSL's libcrypto) as lowercase hex, for manifests and playbook identity. For data
 * that arrives in pieces (archives streamed in and out), use a Sha256 hasher:
 *
 *     _cleanup_(sha256_freep) Sha256 *h = NULL;
 *     r = sha256_new(&h); ... sha256_update(h, buf, n); ... sha256_final_hex(h, hex);
 */

#include <stddef.h>

#include "remedy/macro.h"

#define SHA256_HEX_SIZE 65   /* 64 hex digits and NUL */

typedef struct Sha256 Sha256;

int sha256_new(Sha256 **ret);
Sha256 *sha256_free(Sha256 *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(Sha256 *, sha256_free);
int sha256_update(Sha256 *h, const void *data, size_t size);
int sha256_final_hex(Sha256 *h, char ret[static SHA256_HEX_SIZE]);

void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]);
/* Hashes the whole file behind fd from its current offset. Returns 0 or negative errno. */
int sha256_fd_hex(int fd, char ret[static SHA256_HEX_SIZE]);
