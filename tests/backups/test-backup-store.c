/* SPDX-License-Identifier: MIT */
/*
 * The backup store before any transaction: the manifest's JSON form (a good fixture, its round
 * trip, and refused ones with their reasons) and opening the store directory safely. Needs root
 * (chown). The transactions themselves are tested in test-backup.c.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup-test-node.h"
#include "remedy/backup.h"
#include "tap.h"
#include "test-util.h"

static char *tmp;

static void test_manifest_fixtures(void) {
        static const struct {
                const char *file, *reason;
        } bad[] = {
                { "bad-format.json", "format: unsupported manifest format 3" },
                { "bad-after-kind.json", "entries[0].after.kind: unknown kind \"fifo\"" },
                { "bad-after-sha.json", "entries[0].after.sha256: not a SHA-256" },
                { "bad-reverts.json", "reverts: \"../x\" is not a transaction ID" },
                { "bad-missing-reverts.json", "reverts: missing" },
                { "bad-missing-state.json", "state: missing" },
                { "bad-state.json", "state: unknown state \"half-done\"" },
                { "bad-dotdot.json", "entries[0].path: \"/etc/containerd/../shadow\" is not a canonical absolute path" },
                { "bad-relative.json", "entries[0].path: \"etc/containerd/config.toml\" is not a canonical" },
                { "bad-double-slash.json", "dirs[0].path: \"/etc//containerd\" is not a canonical" },
                { "bad-archive-name.json", "archive.name: \"../../etc/shadow\" is not" },
                { "bad-sha.json", "archive.sha256: not a SHA-256" },
                { "bad-kind.json", "entries[0].kind: unknown kind \"fifo\"" },
                { "bad-existed.json", "entries[1].existed: contradicts kind \"absent\"" },
                { "bad-duplicate.json", "entries[3].path: \"/etc/containerd/config.toml\" listed twice" },
                { "bad-id.json", "id: \"../x\" is not a transaction ID" },
                { "bad-size-type.json", "archive.size: expected int" },
                { "bad-nsec.json", "dirs[0].mtime.nsec: out of range" },
                { "bad-syntax.json", "4:3: " },
                { "bad-truncated.json", "unexpected end of manifest" },
                { "bad-trailing.json", "46:1: " },
        };
        _cleanup_(manifest_freep) Manifest *m = NULL, *m2 = NULL;
        _cleanup_free_ char *data = NULL, *json = NULL, *json2 = NULL, *error = NULL;
        size_t size;
        int r;

        data = read_fixture("backups/manifest-good.json", &size);
        r = manifest_from_json(data, size, &m, &error);
        is_int(r, 0, "manifest-good.json parses (%s)", strempty(error));
        if (r < 0)
                return;
        is_str(m->id, "20261121T233600Z-01e240", "id");
        is_int(m->state, TXN_FAILED, "state failed");
        is_str(m->root, "/mnt/node", "root");
        is_str(m->error, "restart of containerd.service failed: exit-code", "error");
        ok(m->journal_cursor == NULL, "null journal_cursor is NULL");
        is_int(m->archive_size, 10240, "archive size");
        is_int(m->n_playbooks, 1, "one playbook");
        is_str(m->playbooks[0].param_values[0], "registry.k8s.io/pause:3.9", "param value");
        is_str(m->playbooks[0].param_values[1], "", "empty param value kept");
        is_int(m->n_entries, 3, "three entries");
        ok(!m->entries[1].existed && streq(m->entries[1].kind, "absent"), "created entry");
        is_str(m->entries[2].kind, "symlink", "symlink entry");
        is_int(m->n_dirs, 4, "four dirs");
        is_int(m->dirs[0].mtime.tv_nsec, 123456789, "dir mtime nsec");
        ok(!m->dirs[2].existed, "created dir");
        is_str(m->units[0].active_state, "active", "unit state");
        ok(txn_state_unresolved(m->state), "failed is unresolved");

        is_int(manifest_to_json(m, &json), 0, "serialises");
        is_int(manifest_from_json(json, strlen(json), &m2, NULL), 0, "serialised form parses");
        is_int(manifest_to_json(m2, &json2), 0, "serialises again");
        is_str(json2, json, "round trip is stable");

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(manifest_freep) Manifest *b = NULL;
                _cleanup_free_ char *name = NULL, *bdata = NULL, *reason = NULL;

                if (asprintf(&name, "backups/%s", bad[i].file) < 0)
                        abort();
                bdata = read_fixture(name, &size);
                r = manifest_from_json(bdata, size, &b, &reason);
                is_int(r, -EBADMSG, "%s refused", bad[i].file);
                ok(reason && strstr(reason, bad[i].reason), "%s: reason \"%s\"", bad[i].file, strempty(reason));
        }

        /* A NUL byte inside the JSON text. */
        {
                _cleanup_(manifest_freep) Manifest *b = NULL;
                _cleanup_free_ char *reason = NULL;
                is_int(manifest_from_json("{\"format\": 1}\0x", 15, &b, &reason), -EBADMSG, "NUL byte refused");
        }
}

static void test_store_open(void) {
        _cleanup_(backup_store_freep) BackupStore *s = NULL;
        _cleanup_free_ char *loose = NULL, *link = NULL, *deep = NULL;

        if (asprintf(&loose, "%s/loose", tmp) < 0 || asprintf(&link, "%s/link", tmp) < 0 ||
            asprintf(&deep, "%s/a/b/store", tmp) < 0)
                abort();

        is_int(backup_store_open(deep, false, &s), -ENOENT, "missing store without create: -ENOENT");
        is_int(backup_store_open(deep, true, &s), 0, "store created with its parents");
        ok(mode_is(deep, 0700), "new store is 0700 and ours");
        s = backup_store_free(s);

        if (mkdir(loose, 0777) < 0 || chmod(loose, 0777) < 0)
                abort();
        is_int(backup_store_open(loose, false, &s), -EPERM, "world-writable store refused without create");
        is_int(backup_store_open(loose, true, &s), -EPERM, "and with create");
        ok(mode_is(loose, 0777), "and never chmodded: an existing directory is someone's");

        /* /tmp-like: a sticky world-writable directory; below it only what is ours. */
        _cleanup_free_ char *shared = NULL, *under_shared = NULL, *open_dir = NULL, *under_open = NULL;
        if (asprintf(&shared, "%s/shared", tmp) < 0 || asprintf(&under_shared, "%s/shared/store", tmp) < 0 ||
            asprintf(&open_dir, "%s/open", tmp) < 0 || asprintf(&under_open, "%s/open/store", tmp) < 0 ||
            mkdir(shared, 0777) < 0 || chmod(shared, 01777) < 0 || mkdir(open_dir, 0777) < 0 || chmod(open_dir, 0777) < 0)
                abort();
        is_int(backup_store_open(under_shared, true, &s), 0, "a new store of ours under a sticky shared directory");
        s = backup_store_free(s);
        if (chown(under_shared, OWNER, OWNER) < 0)
                abort();
        is_int(backup_store_open(under_shared, true, &s), -EPERM, "one another user made there first is refused");
        is_int(backup_store_open(under_open, true, &s), -EPERM, "a store under a world-writable, not sticky directory is refused");
        ok(access(under_open, F_OK) < 0, "and not created");

        if (symlink(loose, link) < 0)
                abort();
        ok(backup_store_open(link, false, &s) < 0 && !s, "store through a symlink refused");

        if (chown(loose, OWNER, OWNER) < 0)
                abort();
        is_int(backup_store_open(loose, false, &s), -EPERM, "store owned by another uid refused");
}

int main(void) {
        if (geteuid() != 0) {
                /* chown is what test_store_open() is about. */
                ok(false, "test-backup-store must run as root");
                return tap_done();
        }
        tmp = make_temp_dir("backup-store");

        test_manifest_fixtures();
        test_store_open();

        rm_rf(tmp);
        free(tmp);
        return tap_done();
}
