/* SPDX-License-Identifier: MIT */
/*
 * Rollback of a tampered transaction must be refused with nothing written anywhere: a wrong
 * checksum, a truncated or garbage archive, and archives crafted here with libarchive (with the
 * manifest's size and SHA-256 updated to match, so that the entry checks themselves are tested)
 * holding "../escape", an absolute path, a symlink followed by an entry through it, an entry the
 * manifest does not list, or content that is not what the manifest recorded. Crafted archives
 * start with the genuine entries, so "nothing written" also shows that validation finishes
 * before the first write. Needs root (rollback restores owners).
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "remedy/backup.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

#define BIG_SIZE (512U * 1024U)

static char *tmp, *root_dir, *store_dir, *outside_dir;
static BackupStore *store;
static Root *root;
static char *txn_id, *archive_path, *original_archive, *big_content;
static size_t original_size;

static char *join(const char *a, const char *b) {
        char *p;
        if (asprintf(&p, "%s%s", a, b) < 0)
                abort();
        return p;
}

/* Every object below dir, sorted, with mode, owner, mtime, size and content or link target. */
static void snapshot_walk(const char *dir, const char *rel, FILE *f) {
        struct dirent **names;
        int n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                abort();
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                _cleanup_free_ char *path = NULL, *relpath = NULL;
                struct stat st;

                if (!streq(name, ".") && !streq(name, "..")) {
                        if (asprintf(&path, "%s/%s", dir, name) < 0 || asprintf(&relpath, "%s/%s", rel, name) < 0 ||
                            lstat(path, &st) < 0)
                                abort();
                        fprintf(f, "%s %o %u:%u %lld.%09ld %lld", relpath, (unsigned) st.st_mode, (unsigned) st.st_uid,
                                (unsigned) st.st_gid, (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                                (long long) st.st_size);
                        if (S_ISREG(st.st_mode)) {
                                _cleanup_free_ char *data = read_file(path, NULL);
                                fprintf(f, " [%s]", data);
                        } else if (S_ISLNK(st.st_mode)) {
                                char target[4096];
                                ssize_t k = readlink(path, target, sizeof target - 1);
                                if (k < 0)
                                        abort();
                                fprintf(f, " -> %.*s", (int) k, target);
                        }
                        fputc('\n', f);
                        if (S_ISDIR(st.st_mode))
                                snapshot_walk(path, relpath, f);
                }
                free(names[i]);
        }
        free(names);
}

/* The whole temporary directory but the store: the node, the sentinel beside it, and anything
 * an escaping write could have created next to them. */
static char *snapshot(void) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        if (!f)
                abort();
        snapshot_walk(root_dir, "/root", f);
        snapshot_walk(outside_dir, "/outside", f);
        {
                struct dirent **names;
                int n = scandir(tmp, &names, NULL, alphasort);
                for (int i = 0; i < n; i++) {
                        fprintf(f, "top: %s\n", names[i]->d_name);
                        free(names[i]);
                }
                free(names);
        }
        fclose(f);
        return out;
}

typedef struct Crafted {
        const char *name;
        bool symlink;
        const char *data;   /* content, or the symlink target */
} Crafted;

/* Writes the store's archive anew: the genuine entries (all but drop_original) when
 * copy_original, followed by extra. The caller fixes up the manifest. */
static void craft_archive(bool copy_original, const char *drop_original, const Crafted *extra, size_t n_extra) {
        _cleanup_free_ char *orig = join(tmp, "/original.tar.zst");
        struct archive *out = archive_write_new(), *in = archive_read_new();
        struct archive_entry *e;

        write_file(orig, original_archive, original_size);
        if (archive_write_set_format_pax(out) != ARCHIVE_OK || archive_write_add_filter_zstd(out) != ARCHIVE_OK ||
            archive_write_open_filename(out, archive_path) != ARCHIVE_OK)
                abort();
        archive_read_support_format_tar(in);
        archive_read_support_filter_zstd(in);
        if (archive_read_open_filename(in, orig, 10240) != ARCHIVE_OK)
                abort();
        while (copy_original && archive_read_next_header(in, &e) == ARCHIVE_OK) {
                char buf[4096];
                la_ssize_t k;
                if (drop_original && streq(archive_entry_pathname(e), drop_original))
                        continue;
                if (archive_write_header(out, e) != ARCHIVE_OK)
                        abort();
                while ((k = archive_read_data(in, buf, sizeof buf)) > 0)
                        if (archive_write_data(out, buf, (size_t) k) != k)
                                abort();
        }
        archive_read_free(in);

        for (size_t i = 0; i < n_extra; i++) {
                e = archive_entry_new();
                archive_entry_set_pathname(e, extra[i].name);
                archive_entry_set_mode(e, extra[i].symlink ? AE_IFLNK | 0777 : AE_IFREG | 0644);
                archive_entry_set_mtime(e, 1700000000, 0);
                if (extra[i].symlink)
                        archive_entry_set_symlink(e, extra[i].data);
                else
                        archive_entry_set_size(e, (la_int64_t) strlen(extra[i].data));
                if (archive_write_header(out, e) != ARCHIVE_OK)
                        abort();
                if (!extra[i].symlink &&
                    archive_write_data(out, extra[i].data, strlen(extra[i].data)) != (la_ssize_t) strlen(extra[i].data))
                        abort();
                archive_entry_free(e);
        }
        if (archive_write_close(out) != ARCHIVE_OK)
                abort();
        archive_write_free(out);
        unlink(orig);
}

/* Makes the manifest describe whatever is in the store now, as a tamperer with write access
 * to the manifest would. */
static void match_manifest_to_archive(Manifest *m) {
        size_t size;
        _cleanup_free_ char *data = read_file(archive_path, &size);
        m->archive_size = size;
        sha256_hex(data, size, m->archive_sha256);
}

static void restore_original_archive(void) {
        write_file(archive_path, original_archive, original_size);
        if (chmod(archive_path, 0600) < 0)
                abort();
}

static Manifest *load(void) {
        Manifest *m = NULL;
        if (backup_store_load(store, txn_id, &m, NULL) < 0)
                abort();
        return m;
}

static void add_entry(Manifest *m, const char *path, const char *kind, const char *content) {
        ManifestEntry *e = realloc(m->entries, sizeof(ManifestEntry) * (m->n_entries + 1));
        if (!e)
                abort();
        m->entries = e;
        e = &m->entries[m->n_entries++];
        *e = (ManifestEntry) { .path = strdup(path), .existed = true, .kind = strdup(kind) };
        if (content)
                sha256_hex(content, strlen(content), e->sha256);
}

/* Rolls back m and checks the refusal: the error, the reason, and nothing written anywhere. */
static void expect_refused(Manifest *m, int want, const char *reason, const char *what) {
        _cleanup_free_ char *before = snapshot(), *after = NULL, *error = NULL;
        _cleanup_(manifest_freep) Manifest *on_disk = NULL;
        int r;

        r = txn_rollback(store, root, m, NULL, NULL, NULL, &error);
        is_int(r, want, "%s: refused", what);
        ok(error && strstr(error, reason), "%s: reason \"%s\"", what, strempty(error));
        after = snapshot();
        is_str(after, before, "%s: nothing written on the node or outside it", what);
        on_disk = load();
        ok(on_disk->state == TXN_APPLYING, "%s: state unchanged", what);
}

static void setup(void) {
        _cleanup_strv_free_ char **paths = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL;
        _cleanup_free_ char *p = NULL;
        static const TxnInfo info = { .command = "apply tamper", .remedy_version = "0.1.0", .root_path = "/" };

        tmp = make_temp_dir("backup-tamper");
        root_dir = join(tmp, "/root");
        store_dir = join(tmp, "/store");
        outside_dir = join(tmp, "/outside");
        if (mkdir(root_dir, 0755) < 0 || mkdir(outside_dir, 0755) < 0)
                abort();
        p = join(outside_dir, "/sentinel");
        write_file(p, "sentinel\n", 9);
        free(p);
        p = join(root_dir, "/etc");
        if (mkdir(p, 0755) < 0)
                abort();
        free(p);
        p = join(root_dir, "/etc/app");
        if (mkdir(p, 0755) < 0)
                abort();
        free(p);
        p = join(root_dir, "/etc/app/config.toml");
        write_file(p, "original config\n", 16);
        free(p);
        /* Large and incompressible, so that the archive spans many reads and a cut lands inside
         * the data rather than in what libarchive reads when it opens the archive. */
        {
                char *big = big_content = malloc(BIG_SIZE + 1);
                uint32_t x = 12345;
                if (!big)
                        abort();
                for (size_t i = 0; i < BIG_SIZE; i++) {
                        x = x * 1103515245 + 12345;
                        big[i] = (char) ('!' + (x >> 16) % 90);
                }
                big[BIG_SIZE] = 0;
                p = join(root_dir, "/etc/app/other.conf");
                write_file(p, big, BIG_SIZE);
        }

        if (backup_store_open(store_dir, true, &store) < 0 || root_open(root_dir, &root) < 0)
                abort();
        if (strv_extend(&paths, "/etc/app/config.toml") < 0 || strv_extend(&paths, "/etc/app/other.conf") < 0 ||
            strv_extend(&paths, "/etc/app/new.conf") < 0)
                abort();
        if (txn_create(store, root, &info, paths, &m) < 0 || txn_set_state(store, m, TXN_APPLYING, NULL) < 0)
                abort();
        txn_id = strdup(m->id);
        if (asprintf(&archive_path, "%s/%s", store_dir, m->archive) < 0)
                abort();
        original_archive = read_file(archive_path, &original_size);

        /* What apply did before the "crash". */
        free(p);
        p = join(root_dir, "/etc/app/config.toml");
        write_file(p, "changed config\n", 15);
        free(p);
        p = join(root_dir, "/etc/app/other.conf");
        write_file(p, "truncated by apply\n", 19);
        free(p);
        p = join(root_dir, "/etc/app/new.conf");
        write_file(p, "new\n", 4);
}

static void test_checksums(void) {
        _cleanup_(manifest_freep) Manifest *m = load();

        m->archive_sha256[0] = m->archive_sha256[0] == '0' ? '1' : '0';
        expect_refused(m, -EBADMSG, "does not match the manifest's", "wrong SHA-256");
        m = manifest_free(m);

        m = load();
        m->archive_size++;
        expect_refused(m, -EBADMSG, "size", "wrong size");
        m = manifest_free(m);

        /* Truncated: the manifest still describes the full archive. */
        m = load();
        if (truncate(archive_path, (off_t) original_size / 2) < 0)
                abort();
        expect_refused(m, -EBADMSG, "size", "truncated archive");
        m = manifest_free(m);
        /* Truncated, and the manifest made to match: the archive itself is corrupt, wherever it
         * was cut (inside the zstd frame header, in the first entry, in the last block). */
        for (size_t cut = 1; cut <= 4; cut++) {
                _cleanup_free_ char *what = NULL;
                off_t size = cut == 4 ? (off_t) original_size - 1 : (off_t) (original_size * cut / 4);

                restore_original_archive();
                if (truncate(archive_path, size) < 0 || asprintf(&what, "archive cut at %jd of %zu bytes, manifest matching",
                                                                  (intmax_t) size, original_size) < 0)
                        abort();
                m = load();
                match_manifest_to_archive(m);
                expect_refused(m, -EBADMSG, "corrupt archive: Truncated", what);
                m = manifest_free(m);
        }

        m = load();
        write_file(archive_path, "this is not an archive at all\n", 30);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "cannot be read as a zstd-compressed tar archive", "garbage archive");
        restore_original_archive();
}

static void test_crafted(void) {
        _cleanup_free_ char *escape_abs = join(outside_dir, "/sentinel");
        _cleanup_(manifest_freep) Manifest *m = NULL;

        m = load();
        craft_archive(true, NULL, (const Crafted[]) { { "../escape", false, "pwned\n" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "\"..\"", "entry \"../escape\"");
        m = manifest_free(m);

        m = load();
        craft_archive(true, NULL, (const Crafted[]) { { escape_abs, false, "pwned\n" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "absolute path", "absolute entry");
        m = manifest_free(m);

        m = load();
        craft_archive(true, NULL, (const Crafted[]) { { "etc/app/./config.toml", false, "pwned\n" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "\"..\"", "entry with \".\"");
        m = manifest_free(m);

        m = load();
        craft_archive(true, NULL, (const Crafted[]) { { "etc//app/config.toml", false, "pwned\n" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "not a canonical path", "non-canonical entry");
        m = manifest_free(m);

        m = load();
        craft_archive(true, NULL, (const Crafted[]) { { "etc/app/extra.conf", false, "pwned\n" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "not in the manifest", "entry not in the manifest");
        m = manifest_free(m);

        /* The symlink escape, with a manifest that lists both entries, so that only the check on
         * entries nested under another one stands between the archive and the sentinel. */
        m = load();
        craft_archive(true, NULL,
                      (const Crafted[]) { { "etc/app/evil", true, outside_dir }, { "etc/app/evil/sentinel", false, "pwned\n" } },
                      2);
        add_entry(m, "/etc/app/evil", "symlink", NULL);
        add_entry(m, "/etc/app/evil/sentinel", "file", "pwned\n");
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "lies under /etc/app/evil", "symlink then an entry through it");
        m = manifest_free(m);

        m = load();
        craft_archive(true, NULL,
                      (const Crafted[]) { { "etc/app/evil", true, "../../../outside" }, { "etc/app/evil/x", false, "pwned\n" } },
                      2);
        add_entry(m, "/etc/app/evil", "symlink", NULL);
        add_entry(m, "/etc/app/evil/x", "file", "pwned\n");
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "lies under", "relative symlink then an entry through it");
        m = manifest_free(m);

        /* Another transaction's archive: well-formed, but not the content the manifest recorded. */
        m = load();
        craft_archive(true, "etc/app/config.toml", (const Crafted[]) { { "etc/app/config.toml", false, "other\n" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "does not match the manifest's SHA-256", "content swapped");
        m = manifest_free(m);

        m = load();
        craft_archive(true, "etc/app/other.conf", NULL, 0);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "missing from the archive", "entry missing");
        m = manifest_free(m);

        m = load();
        craft_archive(true, "etc/app/other.conf", (const Crafted[]) { { "etc/app/other.conf", true, "/etc/shadow" } }, 1);
        match_manifest_to_archive(m);
        expect_refused(m, -EBADMSG, "is not a file", "file replaced by a symlink");
        restore_original_archive();
}

/* The node side: a parent directory replaced by a symlink to outside the root. */
static void test_planted_symlink(void) {
        _cleanup_(manifest_freep) Manifest *m = load();
        _cleanup_free_ char *app = join(root_dir, "/etc/app"), *real = join(root_dir, "/etc/app.real");

        if (rename(app, real) < 0 || symlink(outside_dir, app) < 0)
                abort();
        expect_refused(m, -ELOOP, "symlink", "parent directory replaced by a symlink");
        if (unlink(app) < 0 || rename(real, app) < 0)
                abort();
}

/* The untampered transaction still rolls back: the refusals above were the checks, not a broken
 * setup. */
static void test_genuine(void) {
        _cleanup_(manifest_freep) Manifest *m = load();
        _cleanup_free_ char *error = NULL, *config = join(root_dir, "/etc/app/config.toml"), *data = NULL,
                            *created = join(root_dir, "/etc/app/new.conf"),
                            *other = join(root_dir, "/etc/app/other.conf");

        is_int(txn_rollback(store, root, m, NULL, NULL, NULL, &error), 0, "genuine archive rolls back (%s)",
               strempty(error));
        data = read_file(config, NULL);
        is_str(data, "original config\n", "content restored");
        free(data);
        data = read_file(other, NULL);
        ok(streq(data, big_content), "512 KiB file restored byte for byte");
        ok(access(created, F_OK) < 0, "created file removed");
}

int main(void) {
        if (geteuid() != 0) {
                ok(false, "test-backup-tamper must run as root");
                return tap_done();
        }
        setup();
        test_checksums();
        test_crafted();
        test_planted_symlink();
        test_genuine();

        backup_store_free(store);
        root_free(root);
        rm_rf(tmp);
        free(tmp);
        free(root_dir);
        free(store_dir);
        free(outside_dir);
        free(txn_id);
        free(archive_path);
        free(original_archive);
        free(big_content);
        return tap_done();
}
