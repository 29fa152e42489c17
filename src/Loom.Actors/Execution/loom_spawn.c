// Starts a step's program as Spawner.cs describes, with vfork: the child runs on the caller's stack until its exec,
// so there is no child stack to map and unmap per step (glibc's posix_spawn maps one, and the unmap interrupts every
// other core running one of Loom's threads) nor the file actions' descriptor checks. Built into libloomspawn.so beside
// Loom.Actors.dll, and linked into the native loom (src/Loom.Cli); where no C compiler was found, Spawner.cs uses
// posix_spawn.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// A start record (ProcessLedger.cs): the child's pid in PID_DIGITS, a space, and in TICKS_DIGITS the clock tick
// (CLOCK_BOOTTIME in /proc's start-time unit) by which it had started; both zero-padded decimal, '-' until written.
#define PID_DIGITS 10
#define TICKS_DIGITS 19

// The kernel's own sigaction and a 64-bit signal set: libc's refuse its internal signals (32 and 33), which must be
// reset as well.
struct kernel_sigaction
{
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static long set_mask(const uint64_t *set, uint64_t *old)
{
    return syscall(SYS_rt_sigprocmask, SIG_SETMASK, set, old, sizeof(uint64_t));
}

// dup2, or where the two are the same descriptor, keep it open across the exec (dup2 would leave FD_CLOEXEC set).
static int move_fd(int from, int to)
{
    if (from != to)
        return dup2(from, to);
    int flags = fcntl(to, F_GETFD);
    return flags < 0 ? -1 : fcntl(to, F_SETFD, flags & ~FD_CLOEXEC);
}

// Raises the version when the signature of a function here changes; SpawnHelper.cs checks it before the first spawn.
int loom_spawn_version(void)
{
    return 3;
}

static void write_digits(char *field, int width, uint64_t value)
{
    for (int i = width - 1; i >= 0; i--, value /= 10)
        field[i] = (char)('0' + value % 10);
}

static void fill_placeholder(char *field, int width)
{
    for (int i = 0; i < width; i++)
        field[i] = '-';
}

// The signals (bit N-1 for signal N) whose disposition in this process is not the default: ignored, or handled.
uint64_t loom_signals_in_use(void)
{
    uint64_t in_use = 0;
    for (int signal = 1; signal <= 64; signal++)
    {
        struct kernel_sigaction action;
        if (syscall(SYS_rt_sigaction, signal, NULL, &action, sizeof(uint64_t)) == 0 && action.handler != SIG_DFL)
            in_use |= (uint64_t)1 << (signal - 1);
    }
    return in_use;
}

// The vforked child, up to its exec: a function of its own, so that its variables live in a frame below the caller's,
// whose variables (the saved mask) the parent reads when it resumes.
static __attribute__((noinline, noreturn)) void start_child(const char *path, char *const argv[], char *const envp[],
                                                            const char *cwd, int stdin_fd, int output_fd,
                                                            uint64_t signals_in_use, char *start_record,
                                                            long ticks_per_second, volatile int *error)
{
    if (setsid() < 0)
        goto failed;
    // Ignored signals would survive the exec (.NET ignores SIGPIPE, a parent may have ignored others); handlers would
    // not, but one must not run here, on Loom's memory, for a signal that came before the exec. One rt_sigaction per
    // signal in use instead of one for each of the 64 (~10 us of CPU per step).
    uint64_t pending = 0;
    syscall(SYS_rt_sigpending, &pending, sizeof(uint64_t));
    uint64_t reset = signals_in_use | pending;
    struct kernel_sigaction default_action = {0};
    for (int signal = 1; signal <= 64; signal++)
        if ((reset >> (signal - 1)) & 1)
            syscall(SYS_rt_sigaction, signal, &default_action, NULL, sizeof(uint64_t));
    int input = stdin_fd >= 0 ? stdin_fd : open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (input < 0 || move_fd(input, 0) < 0 || move_fd(output_fd, 1) < 0 || move_fd(output_fd, 2) < 0)
        goto failed;
    if (chdir(cwd) < 0)
        goto failed;
    if (start_record != NULL)
    {
        // Written before the exec, so that a loom killed while it waits to run again still has the process on record;
        // the tick first, then the pid, whose digits make the record whole.
        struct timespec now;
        clock_gettime(CLOCK_BOOTTIME, &now);
        uint64_t ticks = (uint64_t)now.tv_sec * ticks_per_second + now.tv_nsec / (1000000000 / ticks_per_second);
        write_digits(start_record + PID_DIGITS + 1, TICKS_DIGITS, ticks);
        write_digits(start_record, PID_DIGITS, (uint64_t)getpid());
    }
    uint64_t none = 0;
    set_mask(&none, NULL);
    execve(path, argv, envp);
    // Nothing started under the pid on record.
    if (start_record != NULL)
        fill_placeholder(start_record, PID_DIGITS);
failed:
    *error = errno != 0 ? errno : ECHILD;
    _exit(127);
}

// Starts PATH with ARGV and ENVP in a new session, in CWD, stdin from STDIN_FD (/dev/null opened in the child when it
// is -1), stdout and stderr on OUTPUT_FD, none blocked and every signal at its default disposition: those in
// SIGNALS_IN_USE (loom_signals_in_use) and any pending in the child are reset, the rest are at their default already.
// START_RECORD, unless NULL, gets the child's pid and a bound on its start (above) before the exec, and its pid's
// placeholder back if the exec fails. Returns 0 and the pid, or the errno of what failed (the child's setup or exec
// included, as posix_spawn does).
int loom_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd, int stdin_fd, int output_fd,
               uint64_t signals_in_use, char *start_record, int *pid)
{
    static long ticks_per_second;
    if (ticks_per_second == 0)
        ticks_per_second = sysconf(_SC_CLK_TCK);
    // Nothing of Loom's may run in the child while it shares Loom's memory: every signal stays blocked until the
    // dispositions are reset.
    uint64_t all = ~(uint64_t)0, old = 0;
    set_mask(&all, &old);
    volatile int child_error = 0;
    pid_t child = vfork();
    if (child == 0)
        start_child(path, argv, envp, cwd, stdin_fd, output_fd, signals_in_use, start_record, ticks_per_second,
                    &child_error);
    int fork_error = errno;
    set_mask(&old, NULL);
    if (child < 0)
        return fork_error;
    if (child_error != 0)
    {
        // The child has exited: reap it, so that no zombie is left.
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        {
        }
        return child_error;
    }
    *pid = child;
    return 0;
}
