using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Loom.Actors.Execution;

/// <summary>
/// One background thread in <c>epoll_wait</c> for every running step's output pipe and pidfd, so
/// a step costs no thread of its own. Watches are one-shot; handlers run on this thread and must
/// only make a few non-blocking calls and hand off (they never run user code).
/// </summary>
internal sealed unsafe class Reactor
{
    public interface IHandler
    {
        /// <summary>Called on the reactor thread with the epoll event bits.</summary>
        void OnReady(uint events);
    }

    private const int MaxEvents = 64;

    // struct epoll_event is packed (12 bytes) on x86-64 only.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    // After the layout fields: static initialisers run in order and the thread reads them.
    public static readonly Reactor Shared = new();

    private readonly int epoll;
    private readonly ConcurrentDictionary<ulong, IHandler> handlers = new();
    private long lastToken;

    private Reactor()
    {
        epoll = Libc.epoll_create1(Libc.O_CLOEXEC);
        if (epoll < 0)
            throw new InvalidOperationException($"epoll_create1 failed: {Libc.Describe(Libc.LastError)}");
        new Thread(Run) { IsBackground = true, Name = "Loom step reactor" }.UnsafeStart();
    }

    /// <summary>
    /// Adds <paramref name="fd"/>, armed. <paramref name="token"/> is set before its first event can
    /// come (pass the handler's field), and is 0 when this fails; returns 0 or the errno.
    /// </summary>
    public int Add(int fd, IHandler handler, out ulong token)
    {
        token = (ulong)Interlocked.Increment(ref lastToken);
        handlers[token] = handler;
        var error = Control(Libc.EPOLL_CTL_ADD, fd, token, armed: true);
        if (error != 0)
        {
            handlers.TryRemove(token, out _);
            token = 0;
        }
        return error;
    }

    /// <summary>Asks for one more readiness event on <paramref name="fd"/> (delivered at once if it is ready now).</summary>
    public void Arm(int fd, ulong token) => Control(Libc.EPOLL_CTL_MOD, fd, token, armed: true);

    /// <summary>Stops watching; call before closing the fd. A late event for the token is dropped.</summary>
    public void Remove(int fd, ulong token)
    {
        Control(Libc.EPOLL_CTL_DEL, fd, token, armed: false);
        handlers.TryRemove(token, out _);
    }

    private int Control(int operation, int fd, ulong token, bool armed)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = Libc.EPOLLONESHOT | (armed ? Libc.EPOLLIN : 0);
        *(ulong*)(ev + DataOffset) = token;
        return Libc.epoll_ctl(epoll, operation, fd, ev) == 0 ? 0 : Libc.LastError;
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EventSize));
        while (true)
        {
            var count = Libc.epoll_wait(epoll, events, MaxEvents, -1);
            for (var i = 0; i < count; i++)
            {
                var ev = events + i * EventSize;
                if (handlers.TryGetValue(*(ulong*)(ev + DataOffset), out var handler))
                    handler.OnReady(*(uint*)ev);
            }
        }
    }
}
