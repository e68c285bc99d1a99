/* SPDX-License-Identifier: MIT */
/*
 * Pass 1 of rollback, and txn_verify(): the archive is checked against the manifest before the
 * node is looked at. First the whole file (size and SHA-256, as recorded when it was written),
 * then every entry as libarchive reads it: a canonical relative name, a path the manifest lists
 * as existing, of the listed kind, with the listed content hash, each once, nothing nested under
 * another entry. A tampered or truncated archive is refused here, before any plan is made.
 */
#include "verify.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "remedy/fileio.h"


int restore_init(Restore *rs, const Manifest *m, char **ret_error) {
        *rs = (Restore) { .m = m, .ret_error = ret_error };
        rs->archived = calloc(m->n_entries + 1, sizeof(Archived));
        if (!rs->archived)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_entries; i++) {
                int r = str_index_put(&rs->by_name, m->entries[i].path + 1, i);
                if (r < 0)
                        return r;
                rs->archived[i].entry = &m->entries[i];
        }
        return 0;
}

void restore_done(Restore *r) {
        if (r->archived)
                for (size_t i = 0; i < r->m->n_entries; i++)
                        free(r->archived[i].data);
        free(r->archived);
        str_index_free(r->by_name);
}

int restore_fail(char **ret_error, int error, const char *fmt, ...) {
        va_list ap;

        if (ret_error && !*ret_error) {
                va_start(ap, fmt);
                if (vasprintf(ret_error, fmt, ap) < 0)
                        *ret_error = NULL;
                va_end(ap);
        }
        return error;
}

int restore_open_archive(BackupStore *s, const Manifest *m, char **ret_error) {
        _cleanup_close_ int fd = -EBADF;
        char sha256[SHA256_HEX_SIZE];
        struct stat st;
        int r;

        fd = openat(backup_store_fd(s), m->archive, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return restore_fail(ret_error, -errno, "%s: %s", m->archive, strerror(errno));
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return restore_fail(ret_error, -EBADMSG, "%s: not a regular file", m->archive);
        if ((uint64_t) st.st_size != m->archive_size)
                return restore_fail(ret_error, -EBADMSG, "%s: size %jd does not match the manifest's %ju", m->archive,
                                    (intmax_t) st.st_size, (uintmax_t) m->archive_size);
        r = sha256_fd_hex(fd, sha256);
        if (r < 0)
                return r;
        if (!streq(sha256, m->archive_sha256))
                return restore_fail(ret_error, -EBADMSG, "%s: SHA-256 %s does not match the manifest's %s", m->archive,
                                    sha256, m->archive_sha256);
        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        return TAKE_FD(fd);
}

int restore_open_reader(int fd, struct archive **ret) {
        _cleanup_(archive_read_freep) struct archive *a = archive_read_new();

        if (!a)
                return -ENOMEM;
        /* Exactly what txn_create() writes: tar through zstd, nothing else. */
        if (archive_read_support_format_tar(a) != ARCHIVE_OK || archive_read_support_filter_zstd(a) != ARCHIVE_OK)
                return -EIO;
        if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
                return -EBADMSG;
        *ret = TAKE_PTR(a);
        return 0;
}

ssize_t restore_find_entry(const Restore *rs, const char *name) {
        size_t i;
        return name && str_index_get(rs->by_name, name, &i) ? (ssize_t) i : -1;
}

/* Archive names are node paths without the leading '/': relative, canonical, no "..". */
static int check_entry_name(const char *name, char **ret_error) {
        _cleanup_free_ char *absolute = NULL, *normalized = NULL;

        if (!name || !*name)
                return restore_fail(ret_error, -EBADMSG, "archive entry without a name");
        if (name[0] == '/')
                return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\": absolute path", name);
        if (asprintf(&absolute, "/%s", name) < 0)
                return -ENOMEM;
        if (path_normalize(absolute, &normalized) < 0)
                return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\": \".\" or \"..\" in the path", name);
        if (!streq(normalized, absolute))
                return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\": not a canonical path", name);
        return 0;
}

static int read_entry_data(struct archive *a, Archived *ar, int64_t size, bool keep, char **ret_error) {
        _cleanup_(sha256_freep) Sha256 *h = NULL;
        _cleanup_free_ char *data = NULL;
        char sha256[SHA256_HEX_SIZE], buf[65536];
        size_t total = 0;
        int r;

        if ((r = sha256_new(&h)) < 0)
                return r;
        keep = keep && size >= 0 && (uint64_t) size <= NODE_FILE_MAX;
        if (keep) {
                data = malloc((size_t) size + 1);
                if (!data)
                        return -ENOMEM;
        }
        for (;;) {
                la_ssize_t k = archive_read_data(a, buf, sizeof buf);
                if (k < 0)
                        return restore_fail(ret_error, -EBADMSG, "%s: corrupt archive: %s", ar->entry->path,
                                            strempty(archive_error_string(a)));
                if (k == 0)
                        break;
                if ((int64_t) (total + (size_t) k) > size)
                        return restore_fail(ret_error, -EBADMSG, "%s: more data than its header says", ar->entry->path);
                if (keep)
                        memcpy(data + total, buf, (size_t) k);
                total += (size_t) k;
                if ((r = sha256_update(h, buf, (size_t) k)) < 0)
                        return r;
        }
        if ((int64_t) total != size)
                return restore_fail(ret_error, -EBADMSG, "%s: truncated in the archive", ar->entry->path);
        if ((r = sha256_final_hex(h, sha256)) < 0)
                return r;
        if (!streq(sha256, ar->entry->sha256))
                return restore_fail(ret_error, -EBADMSG, "%s: archived content does not match the manifest's SHA-256",
                                    ar->entry->path);
        if (keep) {
                data[total] = 0;
                ar->data = TAKE_PTR(data);
                ar->data_size = total;
        }
        return 0;
}

int restore_validate_archive(Restore *rs, int fd, bool keep_data) {
        _cleanup_(archive_read_freep) struct archive *a = NULL;
        const Manifest *m = rs->m;
        char **ret_error = rs->ret_error;
        int r;

        r = restore_open_reader(fd, &a);
        if (r < 0)
                return restore_fail(ret_error, r, "%s: cannot be read as a zstd-compressed tar archive", m->archive);

        for (;;) {
                struct archive_entry *entry;
                const char *name;
                Archived *ar;
                ssize_t i;

                r = archive_read_next_header(a, &entry);
                if (r == ARCHIVE_EOF)
                        break;
                if (r != ARCHIVE_OK)
                        return restore_fail(ret_error, -EBADMSG, "%s: corrupt archive: %s", m->archive,
                                            strempty(archive_error_string(a)));

                name = archive_entry_pathname(entry);
                r = check_entry_name(name, ret_error);
                if (r < 0)
                        return r;
                i = restore_find_entry(rs, name);
                if (i < 0 || !m->entries[i].existed)
                        return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\" is not in the manifest", name);
                ar = &rs->archived[i];
                if (ar->seen)
                        return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\" appears twice", name);
                ar->seen = true;

                if (archive_entry_hardlink(entry))
                        return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\" is a hard link", name);
                ar->symlink = archive_entry_filetype(entry) == AE_IFLNK;
                if (archive_entry_filetype(entry) != (streq(ar->entry->kind, "file") ? AE_IFREG : AE_IFLNK))
                        return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\" is not a %s as the manifest says",
                                            name, ar->entry->kind);
                ar->mode = archive_entry_perm(entry);
                ar->uid = (uid_t) archive_entry_uid(entry);
                ar->gid = (gid_t) archive_entry_gid(entry);
                ar->mtime = (struct timespec) { archive_entry_mtime(entry), archive_entry_mtime_nsec(entry) };
                ar->size = archive_entry_size(entry);

                if (ar->symlink) {
                        const char *target = archive_entry_symlink(entry);
                        if (!target || !*target)
                                return restore_fail(ret_error, -EBADMSG, "archive entry \"%s\": symlink without a target",
                                                    name);
                        ar->data = strdup(target);
                        if (!ar->data)
                                return -ENOMEM;
                        ar->data_size = strlen(target);
                } else {
                        r = read_entry_data(a, ar, archive_entry_size(entry), keep_data, ret_error);
                        if (r < 0)
                                return r;
                }
        }

        for (size_t i = 0; i < m->n_entries; i++) {
                if (m->entries[i].existed && !rs->archived[i].seen)
                        return restore_fail(ret_error, -EBADMSG, "%s: missing from the archive", m->entries[i].path);
                /* Nothing can live under a file or symlink: an entry below another one would be
                 * written through what the first one restores. Each ancestor is looked up. */
                _cleanup_free_ char *up = path_dirname(m->entries[i].path);
                while (up && !streq(up, "/")) {
                        size_t j;
                        if (str_index_get(rs->by_name, up + 1, &j))
                                return restore_fail(ret_error, -EBADMSG, "%s: lies under %s", m->entries[i].path,
                                                    m->entries[j].path);
                        char *next = path_dirname(up);
                        free(up);
                        up = next;
                }
                if (!up)
                        return -ENOMEM;
        }
        return 0;
}

int txn_verify(BackupStore *s, const Manifest *m, char **ret_error) {
        _cleanup_(restore_done) Restore rs = {};
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!s || !m)
                return -EINVAL;
        if (ret_error)
                *ret_error = NULL;
        r = restore_init(&rs, m, ret_error);
        if (r < 0)
                return r;
        fd = restore_open_archive(s, m, ret_error);
        if (fd < 0)
                return fd;
        return restore_validate_archive(&rs, fd, false);
}
