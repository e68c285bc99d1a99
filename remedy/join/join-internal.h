/* SPDX-License-Identifier: MIT */
#pragma once

/* What the join check's files share; not part of remedy's interface. */

#include "remedy/join-check.h"

/* Seconds a TLS handshake or an HTTP answer may take once connected. */
#define JOIN_IO_TIMEOUT_SEC 5
/* A clock this far from the API server's is a finding (issue 15: "a skew above a minute"). */
#define JOIN_CLOCK_SKEW_MAX_SEC 60

struct addrinfo;

/* A TCP connection to one address, within a few seconds, its socket blocking again with I/O
 * timeouts: the socket, or -errno (-ETIMEDOUT). */
int join_connect_address(const struct addrinfo *ai);

/* A TCP connection to j->host:j->port (the first address that connects): 0 with *ret_fd, or
 * -errno. */
int join_connect(JoinCheck *j, int *ret_fd);

/* The TLS layer: the server's certificate against the kubeconfig's CA, the local clock and the
 * URL's host. */
int join_check_tls(JoinCheck *j);

/* The request layers: GET /version, then (a node's certificate) GET /api/v1/nodes/NAME; sets
 * j->server_date from the last answer. */
int join_check_requests(JoinCheck *j);

/* The words of l with sep between them; "" for an empty l, NULL when out of memory. */
char *join_words(char * const *l, const char *sep);
