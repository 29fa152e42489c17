// The kernel's floor for the peer benchmark's jobs, without Loom or .NET: N spawns of /usr/bin/true
// with this process's environment, P threads each doing posix_spawn + waitpid in turn.
//   gcc -O2 -pthread -o /tmp/spawn-floor tests/Loom.Benchmarks/spawn-floor.c
//   /tmp/spawn-floor 3000 2 0     # 3000 jobs, P=2, no extra descriptors
//   /tmp/spawn-floor 3000 2 140   # with 140 O_CLOEXEC descriptors open, as in a .NET process
//   /tmp/spawn-floor 3000 2 0 step  # each spawned as Loom starts a step: a session of its own, every signal
//                                   # at its default and none blocked, stdin /dev/null, stdout and stderr on a
//                                   # pipe, a working directory (what a step costs before any of Loom's own work)
//   /tmp/spawn-floor 3000 2 0 vfork # the same start as src/Loom.Actors/Execution/loom_spawn.c makes it: vfork on
//                                   # the caller's stack, no child stack mapped per spawn
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <signal.h>

extern char **environ;
static int per_thread;
static int as_step;
static int by_vfork;
static int dev_null = -1;
static posix_spawnattr_t step_attributes;

// loom_spawn.c's child, in short: a session, the signals this process uses at their default (none here but SIGPIPE,
// which .NET ignores), the descriptors, the directory, no signal blocked, exec.
static void spawn_by_vfork(char **argv, int output)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = vfork();
    if (pid == 0) {
        setsid();
        signal(SIGPIPE, SIG_DFL);
        dup2(dev_null, 0);
        dup2(output, 1);
        dup2(output, 2);
        if (chdir("/tmp") != 0)
            _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(argv[0], argv, environ);
        _exit(127);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        perror("vfork");
        exit(1);
    }
}

static void spawn_one(void)
{
    char *argv[] = {"/usr/bin/true", NULL};
    pid_t pid;
    int status, fds[2] = {-1, -1};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (as_step || by_vfork) {
        if (pipe2(fds, O_CLOEXEC) != 0) {
            perror("pipe2");
            exit(1);
        }
    }
    if (by_vfork) {
        spawn_by_vfork(argv, fds[1]);
        close(fds[0]);
        close(fds[1]);
        posix_spawn_file_actions_destroy(&actions);
        return;
    }
    if (as_step) {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
        posix_spawn_file_actions_addchdir_np(&actions, "/tmp");
    }
    if (posix_spawn(&pid, argv[0], &actions, as_step ? &step_attributes : NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid) {
        perror("spawn");
        exit(1);
    }
    posix_spawn_file_actions_destroy(&actions);
    if (as_step) {
        close(fds[0]);
        close(fds[1]);
    }
}

static void *chain(void *unused)
{
    for (int i = 0; i < per_thread; i++)
        spawn_one();
    return unused;
}

static double micros(struct timeval t) { return t.tv_sec * 1e6 + t.tv_usec; }

int main(int argc, char **argv)
{
    if (argc != 4 && !(argc == 5 && (strcmp(argv[4], "step") == 0 || strcmp(argv[4], "vfork") == 0))) {
        fprintf(stderr, "usage: %s JOBS THREADS EXTRA_FDS [step|vfork]\n", argv[0]);
        return 2;
    }
    as_step = argc == 5 && strcmp(argv[4], "step") == 0;
    by_vfork = argc == 5 && strcmp(argv[4], "vfork") == 0;
    dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    sigset_t signals;
    posix_spawnattr_init(&step_attributes);
    posix_spawnattr_setflags(&step_attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    sigemptyset(&signals);
    posix_spawnattr_setsigmask(&step_attributes, &signals);
    sigfillset(&signals);
    posix_spawnattr_setsigdefault(&step_attributes, &signals);
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
    printf("%d jobs, P=%d, %d extra fds%s: %.1f us/job wall, parent CPU %.1f us/job, children CPU %.1f us/job\n", done, threads, fds, as_step ? ", as steps" : by_vfork ? ", as steps by vfork" : "",
           wall / done, (micros(self.ru_utime) + micros(self.ru_stime)) / done,
           (micros(children.ru_utime) + micros(children.ru_stime)) / done);
    return 0;
}
