/* Folder and configuration fingerprints; see fingerprint.h. */
#include "serving/fingerprint.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

uint64_t fingerprint_bytes(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211u;
    return h;
}

static uint64_t entry_fingerprint(const char *dir, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    memset(&st, 0, sizeof st);
    if (snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path)
        (void)stat(path, &st); /* a dangling link or a race: zeros, still a change */
    uint64_t fields[] = {(uint64_t)st.st_mode,        (uint64_t)st.st_size,
                         (uint64_t)st.st_ino,         (uint64_t)st.st_dev,
                         (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec,
                         (uint64_t)st.st_ctim.tv_sec, (uint64_t)st.st_ctim.tv_nsec};
    uint64_t h = fingerprint_bytes(FINGERPRINT_SEED, name, strlen(name) + 1);
    return fingerprint_bytes(h, fields, sizeof fields);
}

uint64_t fingerprint_dir(const char *path)
{
    DIR *dir = opendir(path);
    if (dir == NULL)
        return 0x6d697373696e67u; /* "missing" */
    uint64_t sum = 0, count = 0;
    struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        sum += entry_fingerprint(path, ent->d_name); /* a sum: readdir's order does not matter */
        count++;
    }
    closedir(dir);
    return fingerprint_bytes(sum, &count, sizeof count);
}

static uint64_t node_fingerprint(uint64_t h, const ynode *node)
{
    if (node == NULL)
        return fingerprint_bytes(h, "-", 1);
    h = fingerprint_bytes(h, &node->kind, sizeof node->kind);
    if (node->kind == YNODE_SCALAR)
        return fingerprint_bytes(h, node->scalar, strlen(node->scalar) + 1);
    for (size_t i = 0; i < node->n; i++) {
        if (node->kind == YNODE_MAP)
            h = fingerprint_bytes(h, node->keys[i], strlen(node->keys[i]) + 1);
        h = node_fingerprint(h, node->items[i]);
    }
    return fingerprint_bytes(h, &node->n, sizeof node->n);
}

uint64_t fingerprint_load_config(const ynode *model_yaml)
{
    uint64_t h = node_fingerprint(FINGERPRINT_SEED, ynode_get(model_yaml, "backend"));
    h = node_fingerprint(h, ynode_get(model_yaml, "options"));
    /* The monitor's settings are read at load too: a change reloads the version. */
    h = node_fingerprint(h, ynode_get(model_yaml, "validation"));
    h = node_fingerprint(h, ynode_get(model_yaml, "drift"));
    /* So are the scheduler's: a reload gives the version its new queue and instances. */
    h = node_fingerprint(h, ynode_get(model_yaml, "instances"));
    return node_fingerprint(h, ynode_get(model_yaml, "batching"));
}
