/* Names the calling thread ("ferry-writer", "ferry-drift", ...), as top -H, perf and gdb show
 * it. At most 15 characters; a longer name is cut. Never fails (a name that cannot be set leaves
 * the inherited one). */
#ifndef FERRY_CORE_THREAD_NAME_H
#define FERRY_CORE_THREAD_NAME_H

void thread_name_set(const char *name);

#endif
