// The kernel's floor for the peer benchmark's jobs, without Loom or .NET: N spawns of /usr/bin/true
// with this process's environment, P threads each doing posix_spawn + waitpid in turn.
//   gcc -O2 -pthread -o /tmp/spawn-floor tests/Loom.Benchmarks/spawn-floor.c
//   /tmp/spawn-floor 3000 2 0     # 3000 jobs, P=2, no extra descriptors
//   /tmp/spawn-floor 3000 2 140   # with 140 O_CLOEXEC descriptors open, as in a .NET process
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;
static int per_thread;

static void *chain(void *unused)
{
    char *argv[] = {"/usr/bin/true", NULL};
    for (int i = 0; i < per_thread; i++) {
        pid_t pid;
        int status;
        if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid) {
            perror("spawn");
            exit(1);
        }
    }
    return unused;
}

static double micros(struct timeval t) { return t.tv_sec * 1e6 + t.tv_usec; }

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s JOBS THREADS EXTRA_FDS\n", argv[0]);
        return 2;
    }
    int jobs = atoi(argv[1]), threads = atoi(argv[2]), fds = atoi(argv[3]);
    if (threads < 1 || threads > 64)
        return 2;
    for (int i = 0; i < fds; i++)
        open("/usr/bin/true", O_RDONLY | O_CLOEXEC);
    per_thread = jobs / threads;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pthread_t workers[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&workers[i], NULL, chain, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(workers[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    int done = per_thread * threads;
    double wall = (end.tv_sec - start.tv_sec) * 1e6 + (end.tv_nsec - start.tv_nsec) / 1e3;
    printf("%d jobs, P=%d, %d extra fds: %.1f us/job wall, parent CPU %.1f us/job, children CPU %.1f us/job\n", done, threads, fds,
           wall / done, (micros(self.ru_utime) + micros(self.ru_stime)) / done,
           (micros(children.ru_utime) + micros(children.ru_stime)) / done);
    return 0;
}
