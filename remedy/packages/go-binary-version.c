/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes version of a Go binary, from its build information and the strings its linker
 * wrote: see go-binary-version.h for the rule and why it holds.
 *
 * The file is a node's, so hostile: every offset and size read from it is checked against the
 * file's size and the caps below before it is used, and nothing is mapped.
 */
#include "remedy/go-binary-version.h"

#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remedy/macro.h"

#define SECTION_HEADERS_MAX (1024 * 1024)
#define BUILDINFO_MAX (1024 * 1024)
#define RODATA_MAX (256 * 1024 * 1024)
#define VERSION_MAX 128

static const char buildinfo_magic[] = "\xff Go buildinf:";   /* 14 bytes */

typedef struct Section {
        uint64_t addr, offset, size;
        uint32_t type;
} Section;

typedef struct Elf {
        int fd;
        uint64_t file_size;
        bool big_endian, is_64;
        Section *sections;
        size_t n_sections;
        char *names;          /* .shstrtab */
        size_t names_size;
        uint32_t *name_offsets;
} Elf;

static void elf_done(Elf *e) {
        free(e->sections);
        free(e->names);
        free(e->name_offsets);
}

static uint64_t get_uint(const uint8_t *p, size_t size, bool big_endian) {
        uint64_t v = 0;
        for (size_t i = 0; i < size; i++)
                v |= (uint64_t) p[big_endian ? size - 1 - i : i] << (8 * i);
        return v;
}

/* Reads exactly size bytes at offset, which must lie inside the file. */
static int read_at(const Elf *e, uint64_t offset, size_t size, void *buf) {
        if (offset > e->file_size || size > e->file_size - offset)
                return -EBADMSG;
        for (size_t done = 0; done < size;) {
                ssize_t n = pread(e->fd, (uint8_t *) buf + done, size - done, (off_t) (offset + done));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EBADMSG;   /* shrank while being read */
                done += (size_t) n;
        }
        return 0;
}

static int read_alloc(const Elf *e, uint64_t offset, uint64_t size, size_t max, uint8_t **ret) {
        if (size > max)
                return -EFBIG;
        _cleanup_free_ uint8_t *buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        int r = read_at(e, offset, (size_t) size, buf);
        if (r < 0)
                return r;
        buf[size] = 0;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The ELF header and section headers, with their names. -EMEDIUMTYPE when fd is no ELF file. */
static int elf_open(int fd, Elf *e) {
        uint8_t ident[EI_NIDENT];
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EMEDIUMTYPE;
        *e = (Elf) { .fd = fd, .file_size = (uint64_t) st.st_size };
        if (read_at(e, 0, sizeof ident, ident) < 0 || memcmp(ident, ELFMAG, SELFMAG) != 0 ||
            (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) ||
            (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB))
                return -EMEDIUMTYPE;
        e->is_64 = ident[EI_CLASS] == ELFCLASS64;
        e->big_endian = ident[EI_DATA] == ELFDATA2MSB;

        uint8_t header[sizeof(Elf64_Ehdr)];
        size_t header_size = e->is_64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
        if ((r = read_at(e, 0, header_size, header)) < 0)
                return -EMEDIUMTYPE;
#define FIELD(type32, type64, f)                                                                                 \
        get_uint(header + (e->is_64 ? offsetof(type64, f) : offsetof(type32, f)),                              \
                 e->is_64 ? sizeof(((type64 *) 0)->f) : sizeof(((type32 *) 0)->f), e->big_endian)
        uint64_t shoff = FIELD(Elf32_Ehdr, Elf64_Ehdr, e_shoff);
        uint64_t shentsize = FIELD(Elf32_Ehdr, Elf64_Ehdr, e_shentsize);
        uint64_t shnum = FIELD(Elf32_Ehdr, Elf64_Ehdr, e_shnum);
        uint64_t shstrndx = FIELD(Elf32_Ehdr, Elf64_Ehdr, e_shstrndx);
#undef FIELD
        size_t want = e->is_64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
        if (shnum == 0 || shentsize < want || shstrndx >= shnum || shnum * shentsize > SECTION_HEADERS_MAX)
                return -EBADMSG;   /* no section headers to find .go.buildinfo by */

        _cleanup_free_ uint8_t *table = NULL;
        if ((r = read_alloc(e, shoff, shnum * shentsize, SECTION_HEADERS_MAX, &table)) < 0)
                return r;
        if (!(e->sections = calloc(shnum, sizeof(Section))) || !(e->name_offsets = calloc(shnum, sizeof(uint32_t))))
                return -ENOMEM;
        e->n_sections = shnum;
        for (size_t i = 0; i < shnum; i++) {
                const uint8_t *h = table + i * shentsize;
#define FIELD(f)                                                                                                 \
        get_uint(h + (e->is_64 ? offsetof(Elf64_Shdr, f) : offsetof(Elf32_Shdr, f)),                           \
                 e->is_64 ? sizeof(((Elf64_Shdr *) 0)->f) : sizeof(((Elf32_Shdr *) 0)->f), e->big_endian)
                e->name_offsets[i] = (uint32_t) FIELD(sh_name);
                e->sections[i] = (Section) {
                        .type = (uint32_t) FIELD(sh_type),
                        .addr = FIELD(sh_addr),
                        .offset = FIELD(sh_offset),
                        .size = FIELD(sh_size),
                };
#undef FIELD
        }
        const Section *names = &e->sections[shstrndx];
        if ((r = read_alloc(e, names->offset, names->size, SECTION_HEADERS_MAX, (uint8_t **) &e->names)) < 0)
                return r;
        e->names_size = (size_t) names->size;
        return 0;
}

static const Section *elf_section(const Elf *e, const char *name) {
        for (size_t i = 0; i < e->n_sections; i++)
                if (e->name_offsets[i] < e->names_size && streq(e->names + e->name_offsets[i], name) &&
                    e->sections[i].type != SHT_NOBITS)
                        return &e->sections[i];
        return NULL;
}

/* The bytes at a virtual address, from the section that holds them (the pointer format). */
static int elf_read_vaddr(const Elf *e, uint64_t addr, uint64_t size, size_t max, uint8_t **ret) {
        for (size_t i = 0; i < e->n_sections; i++) {
                const Section *s = &e->sections[i];
                if (s->type == SHT_NOBITS || s->addr == 0 || addr < s->addr || addr - s->addr > s->size ||
                    size > s->size - (addr - s->addr))
                        continue;
                return read_alloc(e, s->offset + (addr - s->addr), size, max, ret);
        }
        return -EBADMSG;
}

/* A Go varint-prefixed string at *p (Go 1.18+ inline build information). */
static int read_inline_string(const uint8_t **p, const uint8_t *end, const uint8_t **ret, size_t *ret_size) {
        uint64_t n = 0;
        for (unsigned shift = 0;; shift += 7) {
                if (*p >= end || shift > 28)
                        return -EBADMSG;
                uint8_t b = *(*p)++;
                n |= (uint64_t) (b & 0x7f) << shift;
                if (!(b & 0x80))
                        break;
        }
        if (n > (uint64_t) (end - *p))
                return -EBADMSG;
        *ret = *p;
        *ret_size = (size_t) n;
        *p += n;
        return 0;
}

/* The module information string of the build information, NUL-terminated, without Go's 16-byte
 * sentinels (runtime/debug's modinfo framing). */
static int buildinfo_modinfo(const Elf *e, char **ret) {
        const Section *s = elf_section(e, ".go.buildinfo");
        _cleanup_free_ uint8_t *data = NULL;
        const uint8_t *mod = NULL;
        size_t mod_size = 0;
        _cleanup_free_ uint8_t *pointed = NULL;
        int r;

        if (!s || s->size < 32)
                return -ENODATA;
        if ((r = read_alloc(e, s->offset, s->size, BUILDINFO_MAX, &data)) < 0)
                return r;
        if (memcmp(data, buildinfo_magic, 14) != 0)
                return -ENODATA;
        unsigned ptr_size = data[14], flags = data[15];
        if (flags & 0x2) {   /* Go 1.18+: the version and the modinfo follow, inline */
                const uint8_t *p = data + 32, *end = data + s->size, *version;
                size_t version_size;
                if ((r = read_inline_string(&p, end, &version, &version_size)) < 0 ||
                    (r = read_inline_string(&p, end, &mod, &mod_size)) < 0)
                        return r;
        } else {             /* older: pointers to the two Go string headers {data, len} */
                bool big = flags & 0x1;
                if ((ptr_size != 4 && ptr_size != 8) || 16 + 2 * ptr_size > s->size)
                        return -EBADMSG;
                uint64_t header_addr = get_uint(data + 16 + ptr_size, ptr_size, big);
                _cleanup_free_ uint8_t *header = NULL;
                if ((r = elf_read_vaddr(e, header_addr, 2 * ptr_size, 16, &header)) < 0)
                        return r;
                uint64_t addr = get_uint(header, ptr_size, big), len = get_uint(header + ptr_size, ptr_size, big);
                if ((r = elf_read_vaddr(e, addr, len, BUILDINFO_MAX, &pointed)) < 0)
                        return r;
                mod = pointed;
                mod_size = (size_t) len;
        }
        /* debug/buildinfo: a modinfo without its sentinels' framing is no modinfo. */
        if (mod_size < 33 || mod[mod_size - 17] != '\n')
                return -ENODATA;
        char *m = strndup((const char *) mod + 16, mod_size - 32);
        if (!m)
                return -ENOMEM;
        *ret = m;
        return 0;
}

/* The rest of the line "key\tREST" of modinfo, or NULL. */
static const char *modinfo_field(const char *modinfo, const char *key, size_t *ret_size) {
        size_t key_len = strlen(key);
        for (const char *line = modinfo; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t) (nl - line) : strlen(line);
                if (len > key_len && strncmp(line, key, key_len) == 0 && line[key_len] == '\t') {
                        *ret_size = len - key_len - 1;
                        return line + key_len + 1;
                }
                line = nl ? nl + 1 : NULL;
        }
        return NULL;
}

static bool is_version_char(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' ||
               c == '+';
}

/* The length of a "v1.MINOR.PATCH[-pre][+build]" at p (bounded by end), 0 when there is none. */
static size_t kubernetes_version_length(const char *p, const char *end) {
        const char *q = p;
        if (end - q < 6 || strncmp(q, "v1.", 3) != 0)
                return 0;
        q += 3;
        for (unsigned part = 0; part < 2; part++) {
                const char *digits = q;
                while (q < end && q - digits < 4 && *q >= '0' && *q <= '9')
                        q++;
                if (q == digits || q - digits > 3)
                        return 0;
                if (part == 0) {
                        if (q >= end || *q != '.')
                                return 0;
                        q++;
                }
        }
        if (q < end && (*q == '-' || *q == '+'))
                while (q < end && q - p <= VERSION_MAX && is_version_char(*q))
                        q++;
        if (q - p > VERSION_MAX)
                return 0;
        return (size_t) (q - p);
}

/* Rule 3: the one distinct NUL-terminated version string of .rodata. */
static int rodata_version(const Elf *e, char **ret) {
        const Section *s = elf_section(e, ".rodata");
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ char *found = NULL;
        int r;

        if (!s)
                return 0;
        if ((r = read_alloc(e, s->offset, s->size, RODATA_MAX, &data)) < 0)
                return r;
        const char *p = (const char *) data, *end = p + s->size;
        while ((p = memmem(p, (size_t) (end - p), "v1.", 3))) {
                size_t len = kubernetes_version_length(p, end);
                if (len > 0 && p + len < end && p[len] == '\0') {
                        if (!found) {
                                if (!(found = strndup(p, len)))
                                        return -ENOMEM;
                        } else if (strlen(found) != len || strncmp(found, p, len) != 0)
                                return 0;   /* two different versions: no rule picks one */
                }
                p += len > 0 ? len : 1;
        }
        if (!found)
                return 0;
        *ret = TAKE_PTR(found);
        return 1;
}

int go_binary_kubernetes_version(int fd, const char *main_package, char **ret_version, const char **ret_how) {
        _cleanup_(elf_done) Elf e = {};
        _cleanup_free_ char *modinfo = NULL;
        const char *v;
        size_t size;
        int r;

        *ret_version = NULL;
        r = elf_open(fd, &e);
        if (r == -EMEDIUMTYPE || r == -EBADMSG || r == -EFBIG)
                return 0;   /* not an ELF file we can read: a script, a stand-in */
        if (r < 0)
                return r;
        r = buildinfo_modinfo(&e, &modinfo);
        if (r == -ENODATA || r == -EBADMSG || r == -EFBIG)
                return 0;   /* no Go build information */
        if (r < 0)
                return r;
        if (!(v = modinfo_field(modinfo, "path", &size)) || size != strlen(main_package) ||
            strncmp(v, main_package, size) != 0)
                return 0;   /* another program */

        if ((v = modinfo_field(modinfo, "mod", &size))) {
                /* "k8s.io/kubernetes\tv1.33.1": the module path, then its version. */
                const char *tab = memchr(v, '\t', size);
                const char *end = v + size;
                if (tab) {
                        const char *version = tab + 1;
                        const char *version_end = memchr(version, '\t', (size_t) (end - version));
                        size_t len = (size_t) ((version_end ? version_end : end) - version);
                        if (len > 0 && kubernetes_version_length(version, version + len) == len) {
                                if (!(*ret_version = strndup(version, len)))
                                        return -ENOMEM;
                                *ret_how = "the main module's version in its Go build information";
                                return 1;
                        }
                }
        }
        r = rodata_version(&e, ret_version);
        if (r == -EBADMSG || r == -EFBIG)
                return 0;   /* a .rodata outside the file, or too large to read: no version */
        if (r > 0)
                *ret_how = "the version string its build gave the Go linker (-X ...version.gitVersion)";
        return r;
}
