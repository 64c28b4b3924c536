/* Open-addressing index of recent predictions; see recent_index.h. */
#include "state/recent_index.h"

#include <stdlib.h>

uint32_t recent_index_hash(const char *id)
{
    uint32_t h = 2166136261u;
    for (; *id; id++)
        h = (h ^ (unsigned char)*id) * 16777619u;
    return h;
}

bool recent_index_init(recent_index *ix, uint32_t cells)
{
    ix->cells = NULL;
    ix->mask = 0;
    if (cells < 2 || (cells & (cells - 1)) != 0)
        return false;
    ix->cells = calloc(cells, sizeof *ix->cells);
    if (ix->cells == NULL)
        return false;
    ix->mask = cells - 1;
    return true;
}

void recent_index_free(recent_index *ix)
{
    free(ix->cells);
    ix->cells = NULL;
}

void recent_index_insert(recent_index *ix, uint32_t hash, uint32_t slot)
{
    uint32_t i = hash & ix->mask;
    while (ix->cells[i].slot_plus_1 != 0)
        i = (i + 1) & ix->mask;
    ix->cells[i] = (recent_index_cell){.hash = hash, .slot_plus_1 = slot + 1};
}

/* Whether home lies cyclically in (hole, at]: then the entry at `at` may not move to hole. */
static bool home_between(uint32_t hole, uint32_t home, uint32_t at)
{
    return hole <= at ? hole < home && home <= at : hole < home || home <= at;
}

/* Empties cell hole and moves later entries of its cluster back so every entry stays reachable
 * from its home cell without crossing an empty one. */
static void close_hole(recent_index *ix, uint32_t hole)
{
    uint32_t at = hole;
    for (;;) {
        at = (at + 1) & ix->mask;
        if (ix->cells[at].slot_plus_1 == 0)
            break;
        if (home_between(hole, ix->cells[at].hash & ix->mask, at))
            continue;
        ix->cells[hole] = ix->cells[at];
        hole = at;
    }
    ix->cells[hole] = (recent_index_cell){0};
}

void recent_index_remove(recent_index *ix, uint32_t hash, uint32_t slot)
{
    for (uint32_t i = hash & ix->mask; ix->cells[i].slot_plus_1 != 0; i = (i + 1) & ix->mask)
        if (ix->cells[i].hash == hash && ix->cells[i].slot_plus_1 == slot + 1) {
            close_hole(ix, i);
            return;
        }
}

void recent_index_prefetch(const recent_index *ix, uint32_t hash)
{
    __builtin_prefetch(&ix->cells[hash & ix->mask], 1, 3);
}

uint32_t recent_index_first(const recent_index *ix, uint32_t hash)
{
    return hash & ix->mask;
}

bool recent_index_next(const recent_index *ix, uint32_t hash, uint32_t *cursor, uint32_t *slot)
{
    for (uint32_t i = *cursor; ix->cells[i].slot_plus_1 != 0; i = (i + 1) & ix->mask)
        if (ix->cells[i].hash == hash) {
            *slot = ix->cells[i].slot_plus_1 - 1;
            *cursor = (i + 1) & ix->mask;
            return true;
        }
    return false;
}
