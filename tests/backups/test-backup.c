/* SPDX-License-Identifier: MIT */
/*
 * The backup store and transactions on a real temporary node tree: files with xattrs (user.* and
 * trusted.*), a POSIX ACL, odd modes and a non-root owner, a symlink, and a file created in new
 * directories. After create -> change -> rollback the tree must be identical, metadata included.
 * Needs root (chown, trusted.* xattrs). The manifest format and opening the store are tested in
 * test-backup-store.c.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "backup-test-node.h"
#include "remedy/backup.h"
#include "remedy/strv.h"
#include "tap.h"
#include "test-util.h"

static char *tmp, *store_dir;

static int collect_items(const RestoreItem *item, void *userdata) {
        FILE *f = userdata;
        fprintf(f, "%d %s %s", (int) item->action, item->path, item->kind);
        if (item->action == RESTORE_FILE)
                fprintf(f, " %o %u:%u [%.*s]", (unsigned) item->archived_mode, (unsigned) item->archived_uid,
                        (unsigned) item->archived_gid, (int) item->archived_size,
                        item->archived_data ? item->archived_data : "(null)");
        fputc('\n', f);
        return 0;
}

static void test_transaction(void) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL, *loaded = NULL;
        _cleanup_strv_free_ char **paths = txn_paths();
        _cleanup_free_ char *before = NULL, *damaged = NULL, *after = NULL, *again = NULL, *items = NULL,
                            *archive_path = NULL, *manifest_path = NULL, *error = NULL;
        size_t items_len = 0;
        FILE *f;
        int r;

        make_tree();
        before = snapshot(root_dir);
        ok(strstr(before, "/etc/app/config.toml 100640 1234:1234 1600000000.111111111") &&
                   strstr(before, "system.posix_acl_access=") && strstr(before, "trusted.secret=74307") &&
                   strstr(before, "/usr/bin/tool 104755 0:0 1500000000.000000005") &&
                   strstr(before, "/etc/app/current 120777 1234:0 1600000002.000000222 11 -> config.toml"),
           "snapshot sees mode, owner, mtime, ACL, xattrs and link targets");

        if (backup_store_open(store_dir, true, &s) < 0 || root_open(root_dir, &root) < 0)
                abort();
        r = txn_create(s, root, txn_info(), paths, &m);
        is_int(r, 0, "txn_create");
        if (r < 0)
                return;
        {
                _cleanup_free_ char *after_create = snapshot(root_dir);
                is_str(after_create, before, "txn_create changes nothing on the node");
        }

        is_int(m->state, TXN_PREPARED, "new transaction is prepared");
        is_int(m->n_entries, 5, "duplicates ignored: 5 entries");
        is_str(m->entries[0].path, "/etc/app/config.toml", "entries sorted");
        is_str(m->entries[0].kind, "file", "config is a file");
        {
                size_t size;
                _cleanup_free_ char *p = node("/etc/app/config.toml"), *data = read_file(p, &size);
                char sha[SHA256_HEX_SIZE];
                sha256_hex(data, size, sha);
                is_str(m->entries[0].sha256, sha, "content hash recorded");
        }
        is_str(m->entries[1].kind, "symlink", "current is a symlink");
        is_str(m->entries[2].path, "/etc/app/new.d/sub/created.conf", "created path");
        ok(!m->entries[2].existed && streq(m->entries[2].kind, "absent"), "created path did not exist");
        /* Every ancestor, parents first: the rollback of a rollback may make one again. */
        is_int(m->n_dirs, 7, "dirs: /, /etc, /etc/app, new.d, new.d/sub, /usr, /usr/bin");
        ok(m->n_dirs == 7 && streq(m->dirs[0].path, "/") && m->dirs[0].existed && streq(m->dirs[1].path, "/etc"),
           "ancestors recorded up to the root");
        ok(m->n_dirs == 7 && streq(m->dirs[2].path, "/etc/app") && m->dirs[2].existed &&
                   m->dirs[2].mtime.tv_sec == 1600000100 && m->dirs[2].mtime.tv_nsec == 999999999,
           "parent mtime recorded");
        ok(m->n_dirs == 7 && streq(m->dirs[3].path, "/etc/app/new.d") && !m->dirs[3].existed &&
                   streq(m->dirs[4].path, "/etc/app/new.d/sub") && !m->dirs[4].existed,
           "missing directories recorded, parents first");
        is_str(m->playbooks[0].param_names[0], "image", "playbook params");
        is_str(m->root, root_dir, "root recorded");

        if (asprintf(&archive_path, "%s/%s", store_dir, m->archive) < 0 ||
            asprintf(&manifest_path, "%s/%s.json", store_dir, m->id) < 0)
                abort();
        ok(mode_is(store_dir, 0700), "store is 0700");
        ok(mode_is(archive_path, 0600), "archive is 0600");
        ok(mode_is(manifest_path, 0600), "manifest is 0600");

        /* The archive as written: relative names, pax metadata, xattrs and the ACL. */
        {
                struct archive *a = archive_read_new();
                struct archive_entry *e;
                _cleanup_strv_free_ char **names = NULL;
                bool xattr_user = false, xattr_trusted = false;
                int acl_entries = 0;

                archive_read_support_format_all(a);
                archive_read_support_filter_all(a);
                is_int(archive_read_open_filename(a, archive_path, 10240), ARCHIVE_OK, "archive opens");
                is_int(archive_filter_code(a, 0), ARCHIVE_FILTER_ZSTD, "archive is zstd-compressed");
                while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
                        if (strv_extend(&names, archive_entry_pathname(e)) < 0)
                                abort();
                        if (streq(archive_entry_pathname(e), "etc/app/config.toml")) {
                                const char *xn;
                                const void *xv;
                                size_t xs;
                                archive_entry_xattr_reset(e);
                                while (archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK) {
                                        xattr_user |= streq(xn, "user.note") && xs == 5 && memcmp(xv, "hello", 5) == 0;
                                        xattr_trusted |= streq(xn, "trusted.secret");
                                }
                                acl_entries = archive_entry_acl_reset(e, ARCHIVE_ENTRY_ACL_TYPE_ACCESS);
                                is_int(archive_entry_uid(e), OWNER, "owner archived as a number");
                        }
                }
                ok(archive_format(a) == ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, "archive is pax");
                archive_read_free(a);
                _cleanup_free_ char *joined = NULL;
                for (size_t i = 0; names && names[i]; i++) {
                        char *j = NULL;
                        if (asprintf(&j, "%s%s%s", strempty(joined), i ? "," : "", names[i]) < 0)
                                abort();
                        free(joined);
                        joined = j;
                }
                is_str(joined, "etc/app/config.toml,etc/app/current,etc/app/removed.conf,usr/bin/tool",
                       "archive holds the existing paths as relative names");
                ok(xattr_user && xattr_trusted, "user.* and trusted.* xattrs archived");
                ok(acl_entries >= 5, "ACL archived (%d entries)", acl_entries);
        }

        is_int(backup_store_load(s, m->id, &loaded, &error), 0, "manifest loads from the store");
        ok(loaded && loaded->archive_size == m->archive_size && streq(loaded->archive_sha256, m->archive_sha256),
           "archive size and SHA-256 persisted");
        is_int(txn_verify(s, m, &error), 0, "txn_verify accepts the archive (%s)", strempty(error));

        is_int(txn_set_state(s, m, TXN_APPLYING, NULL), 0, "prepared -> applying");
        damage_tree();
        is_int(txn_set_state(s, m, TXN_FAILED, "restart failed"), 0, "applying -> failed");
        is_int(txn_set_state(s, m, TXN_APPLYING, NULL), -EINVAL, "failed -> applying refused");
        loaded = manifest_free(loaded);
        is_int(backup_store_load(s, m->id, &loaded, NULL), 0, "reload");
        ok(loaded && loaded->state == TXN_FAILED && streq_ptr(loaded->error, "restart failed"),
           "state and error persisted");
        is_int(txn_add_unit(s, m, "containerd.service", "enabled", "active"), 1, "unit recorded");
        is_int(txn_add_unit(s, m, "containerd.service", "disabled", "inactive"), 0, "first record of a unit kept");
        loaded = manifest_free(loaded);
        is_int(backup_store_load(s, m->id, &loaded, NULL), 0, "reload");
        ok(loaded && loaded->n_units == 1 && streq(loaded->units[0].unit_file_state, "enabled"), "unit persisted");

        /* Dry run: everything reported, nothing written. */
        damaged = snapshot(root_dir);
        ok(!streq(damaged, before), "the damage shows in the snapshot");
        f = open_memstream(&items, &items_len);
        r = txn_rollback(s, root, m, &(RollbackOptions) { .dry_run = true }, collect_items, f, &error);
        fclose(f);
        is_int(r, 0, "dry-run rollback (%s)", strempty(error));
        _cleanup_free_ char *after_dry = snapshot(root_dir);
        is_str(after_dry, damaged, "dry run writes nothing");
        is_str(items,
               "1 /etc/app/config.toml file 640 1234:1234 [[plugins]\nsandbox_image = \"registry.k8s.io/pause:3.6\"\n]\n"
               "1 /etc/app/current symlink 777 1234:0 [config.toml]\n"
               "2 /etc/app/new.d/sub/created.conf absent\n"
               "1 /etc/app/removed.conf file 640 0:0 [remove me\n]\n"
               "1 /usr/bin/tool file 4755 0:0 [\177ELF]\n"
               "3 /etc/app/new.d/sub directory\n"
               "3 /etc/app/new.d directory\n"
               "4 /etc/app directory\n"
               "4 /usr/bin directory\n",
               "dry run reports every item with archived content");
        is_int(m->state, TXN_FAILED, "dry run leaves the state");

        r = txn_rollback(s, root, m, NULL, NULL, NULL, &error);
        is_int(r, 0, "rollback (%s)", strempty(error));
        after = snapshot(root_dir);
        is_str(after, before, "tree identical after rollback: content, mode, owner, mtime, xattrs, ACL");
        {
                _cleanup_free_ char *created = node("/etc/app/new.d");
                ok(access(created, F_OK) < 0 && errno == ENOENT, "created directories removed");
        }
        loaded = manifest_free(loaded);
        is_int(backup_store_load(s, m->id, &loaded, NULL), 0, "reload");
        ok(loaded && loaded->state == TXN_ROLLED_BACK, "rolled-back persisted");

        /* Idempotent: a second rollback finds everything in place. */
        free(items);
        items = NULL;
        f = open_memstream(&items, &items_len);
        r = txn_rollback(s, root, m, NULL, collect_items, f, &error);
        fclose(f);
        is_int(r, 0, "second rollback");
        again = snapshot(root_dir);
        is_str(again, before, "tree still identical");
        is_str(items,
               "0 /etc/app/config.toml file\n0 /etc/app/current symlink\n0 /etc/app/new.d/sub/created.conf absent\n"
               "0 /etc/app/removed.conf file\n0 /usr/bin/tool file\n",
               "second rollback: everything unchanged");
}

static size_t count_store_files(void) {
        struct dirent **names;
        int n = scandir(store_dir, &names, NULL, NULL);
        if (n < 0)
                abort();
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return (size_t) n;
}

/* Paths txn_create() must refuse, leaving nothing in the store. */
static void test_create_refusals(void) {
        static const struct {
                const char *path;
                int error;
                const char *what;
        } bad[] = {
                { "/etc/app", -EEXIST, "a directory" },
                { "/etc/app/../app/config.toml", -EINVAL, "a path with \"..\"" },
                { "etc/app/config.toml", -EINVAL, "a relative path" },
                { "/etc/app-link/config.toml", -EINVAL, "a path through a symlink" },
                { "/", -EINVAL, "the root" },
        };
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_free_ char *link = node("/etc/app-link");
        size_t before;

        if (backup_store_open(store_dir, false, &s) < 0 || root_open(root_dir, &root) < 0)
                abort();
        if (symlink("app", link) < 0)
                abort();
        before = count_store_files();
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(manifest_freep) Manifest *m = NULL;
                char *paths[] = { (char *) "/etc/app/config.toml", (char *) bad[i].path, NULL };
                is_int(txn_create(s, root, txn_info(), paths, &m), bad[i].error, "txn_create refuses %s", bad[i].what);
        }
        is_int(count_store_files(), before, "refused transactions leave nothing in the store");
        unlink(link);
}

/* A crash mid-apply: a fresh process loads the manifest (state applying) and rolls back. */
static void test_crash_recovery(void) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL, *found = NULL;
        _cleanup_strv_free_ char **paths = txn_paths();
        _cleanup_free_ char *before = snapshot(root_dir), *after = NULL, *error = NULL, *id = NULL;

        if (backup_store_open(store_dir, false, &s) < 0 || root_open(root_dir, &root) < 0)
                abort();
        if (txn_create(s, root, txn_info(), paths, &m) < 0 || txn_set_state(s, m, TXN_APPLYING, NULL) < 0)
                abort();
        id = strdup(m->id);
        m = manifest_free(m);
        {
                _cleanup_free_ char *cfg = node("/etc/app/config.toml");
                write_file(cfg, "half", 4);
                node_mkdir("/etc/app/new.d");
                node_mkdir("/etc/app/new.d/sub");
                /* Killed inside atomic writes: their temporary files are left beside the targets. */
                node_write("/etc/app/.#remedy.config.toml.0123456789abcdef", "half-written", 0600);
                node_write("/etc/app/new.d/sub/.#remedy.created.conf.fedcba9876543210", "x", 0644);
                /* Not the transaction's: keep.conf is not in it, and this one is not remedy's pattern. */
                node_write("/etc/app/.#remedy.keep.conf.0123456789abcdef", "other", 0644);
                node_write("/etc/app/.#remedy.config.toml.notours", "other", 0644);
        }

        is_int(backup_store_find_unresolved(s, &found), 1, "crashed transaction is unresolved");
        is_str(found ? found->id : NULL, id, "the newest unresolved one");
        is_int(txn_rollback(s, root, found, NULL, NULL, NULL, &error), 0, "rollback after crash (%s)", strempty(error));
        {
                _cleanup_free_ char *other = node("/etc/app/.#remedy.keep.conf.0123456789abcdef"),
                                    *notours = node("/etc/app/.#remedy.config.toml.notours");
                ok(unlink(other) == 0 && unlink(notours) == 0, "temporary files of other paths left alone");
                node_mtime("/etc/app", 1600000100, 999999999);
        }
        after = snapshot(root_dir);
        is_str(after, before, "tree restored after crash");
        found = manifest_free(found);
        is_int(backup_store_find_unresolved(s, &found), 0, "nothing unresolved any more");
}

static int count_items(const RestoreItem *item, void *userdata) {
        (*(int *) userdata)++;
        return 0;
}

/* Prepared means nothing was changed yet: rollback only marks it. */
static void test_prepared(void) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_(manifest_freep) Manifest *m = NULL, *loaded = NULL;
        _cleanup_strv_free_ char **paths = txn_paths();
        _cleanup_free_ char *cfg = node("/etc/app/config.toml"), *data = NULL, *error = NULL;
        int visited = 0;

        if (backup_store_open(store_dir, false, &s) < 0 || root_open(root_dir, &root) < 0)
                abort();
        if (txn_create(s, root, txn_info(), paths, &m) < 0)
                abort();
        write_file(cfg, "changed by the operator\n", 24);
        is_int(txn_rollback(s, root, m, NULL, count_items, &visited, &error), 0, "rollback of a prepared transaction");
        is_int(visited, 0, "nothing to do");
        data = read_file(cfg, NULL);
        is_str(data, "changed by the operator\n", "node untouched");
        is_int(backup_store_load(s, m->id, &loaded, NULL), 0, "reload");
        ok(loaded && loaded->state == TXN_ABANDONED, "marked abandoned: it never began");
}

static void test_lock(void) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        pid_t holder = -1, child;
        int status;

        if (backup_store_open(store_dir, false, &s) < 0)
                abort();
        is_int(backup_store_lock(s, &holder), 0, "lock taken");

        child = fork();
        if (child < 0)
                abort();
        if (child == 0) {
                BackupStore *cs = NULL;
                pid_t h = 0;
                int r;

                if (backup_store_open(store_dir, false, &cs) < 0)
                        _exit(10);
                r = backup_store_lock(cs, &h);
                backup_store_free(cs);
                _exit(r == -EBUSY && h == getppid() ? 0 : r == -EBUSY ? 2 : 1);
        }
        if (waitpid(child, &status, 0) < 0)
                abort();
        ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "a second process gets -EBUSY with the holder's pid, without blocking (exit %d)", WEXITSTATUS(status));

        s = backup_store_free(s);
        if (backup_store_open(store_dir, false, &s) < 0)
                abort();
        is_int(backup_store_lock(s, &holder), 0, "lock free again after the holder closed the store");
        {
                _cleanup_free_ char *lock = NULL, *content = NULL, *want = NULL;
                if (asprintf(&lock, "%s/lock", store_dir) < 0 || asprintf(&want, "%d\n", (int) getpid()) < 0)
                        abort();
                content = read_file(lock, NULL);
                is_str(content, want, "lock file holds the holder's pid");
        }
}

static void test_list_prune(void) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_(root_freep) Root *root = NULL;
        _cleanup_strv_free_ char **paths = NULL, **removed = NULL, **ids = NULL;
        _cleanup_(manifest_freep) Manifest *newest = NULL, *unresolved = NULL;
        Manifest **list = NULL;
        size_t n = 0;
        int r;

        if (backup_store_open(store_dir, false, &s) < 0 || root_open(root_dir, &root) < 0)
                abort();
        if (strv_extend(&paths, "/etc/app/keep.conf") < 0)
                abort();

        /* Five more, back to back (several within one second); the second oldest stays failed. */
        for (int i = 0; i < 5; i++) {
                _cleanup_(manifest_freep) Manifest *m = NULL;
                if (txn_create(s, root, txn_info(), paths, &m) < 0)
                        abort();
                if (txn_set_state(s, m, TXN_APPLYING, NULL) < 0 ||
                    txn_set_state(s, m, i == 1 ? TXN_FAILED : TXN_APPLIED, NULL) < 0)
                        abort();
                if (strv_extend(&ids, m->id) < 0)
                        abort();
        }

        r = backup_store_list(s, &list, &n);
        is_int(r, 0, "list");
        is_int(n, 8, "eight transactions");
        bool sorted = true;
        for (size_t i = 1; i < n; i++)
                sorted = sorted && strcmp(list[i - 1]->id, list[i]->id) < 0;
        ok(sorted, "listed oldest first, IDs unique");
        ok(n == 8 && streq(list[7]->id, ids[4]), "newest last");
        manifest_list_free(list, n);

        is_int(backup_store_load(s, NULL, &newest, NULL), 0, "load newest");
        is_str(newest ? newest->id : NULL, ids[4], "newest by ID");
        is_int(backup_store_find_unresolved(s, &unresolved), 1, "an unresolved one");
        is_str(unresolved ? unresolved->id : NULL, ids[1], "the failed one");

        r = backup_store_prune(s, 2, &removed);
        is_int(r, 5, "pruned all but 2 and the unresolved one");
        ok(!strv_contains(removed, ids[1]) && !strv_contains(removed, ids[3]) && !strv_contains(removed, ids[4]),
           "kept the newest two and the unresolved one");
        r = backup_store_list(s, &list, &n);
        is_int(n, 3, "three left");
        manifest_list_free(list, r >= 0 ? n : 0);
        {
                _cleanup_free_ char *gone = NULL;
                if (asprintf(&gone, "%s/%s.tar.zst", store_dir, ids[0]) < 0)
                        abort();
                ok(access(gone, F_OK) < 0, "pruned archive removed");
        }

        /* A manifest that does not parse is named. */
        {
                _cleanup_free_ char *bad = NULL, *error = NULL;
                if (asprintf(&bad, "%s/20000101T000000Z-000000.json", store_dir) < 0)
                        abort();
                write_file(bad, "{", 1);
                is_int(backup_store_list_full(s, &list, &n, &error), -EBADMSG, "broken manifest: -EBADMSG");
                ok(error && startswith(error, "20000101T000000Z-000000.json: "), "error names the file: %s",
                   strempty(error));
                unlink(bad);
        }
        is_int(backup_store_load(s, "../etc", &newest, NULL), -EINVAL, "ID with a slash refused");
}

int main(void) {
        if (geteuid() != 0) {
                /* chown and trusted.* xattrs are what this test is about. */
                ok(false, "test-backup must run as root");
                return tap_done();
        }
        tmp = make_temp_dir("backup");
        if (asprintf(&root_dir, "%s/root", tmp) < 0 || asprintf(&store_dir, "%s/store", tmp) < 0)
                abort();
        if (mkdir(root_dir, 0755) < 0)
                abort();

        test_transaction();
        test_create_refusals();
        test_crash_recovery();
        test_prepared();
        test_lock();
        test_list_prune();

        rm_rf(tmp);
        free(tmp);
        free(root_dir);
        free(store_dir);
        return tap_done();
}
