/* Thread names for tools; see thread_name.h. */
#define _GNU_SOURCE
#include "core/thread_name.h"

#include <pthread.h>
#include <string.h>

void thread_name_set(const char *name)
{
    char cut[16];
    size_t len = strnlen(name, sizeof cut - 1);
    memcpy(cut, name, len);
    cut[len] = '\0';
    (void)pthread_setname_np(pthread_self(), cut); /* only fails for a too long name */
}
