/* SPDX-License-Identifier: MIT */
#pragma once

/* SHA-256 (OpenSSL's libcrypto) as lowercase hex, for manifests and playbook identity. */

#include <stddef.h>

#define SHA256_HEX_SIZE 65   /* 64 hex digits and NUL */

void sha256_hex(const void *data, size_t size, char ret[static SHA256_HEX_SIZE]);
/* Hashes the whole file behind fd from its current offset. Returns 0 or negative errno. */
int sha256_fd_hex(int fd, char ret[static SHA256_HEX_SIZE]);
