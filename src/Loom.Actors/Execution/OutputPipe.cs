using System.Buffers;

namespace Loom.Actors.Execution;

/// <summary>
/// Reads a step's output pipe (non-blocking, Loom's end only) into lines. The reactor reports
/// readiness; reading and <c>onLine</c> run as a pool work item, one at a time, in order. A
/// pipe that just hangs up with nothing left to deliver ends right on the reactor thread, which
/// spares the pool a wake-up for every step without output.
/// </summary>
internal sealed unsafe class OutputPipe(int fd) : Reactor.IHandler, IThreadPoolWorkItem
{
    public interface IListener
    {
        /// <summary>The reader is about to wait for more output (called after arming).</summary>
        void OnWaiting();

        /// <summary>All output was delivered, or <paramref name="error"/> came from <c>onLine</c>.</summary>
        void OnEnded(Exception? error, bool onPoolThread);
    }

    private const int ReadBufferBytes = 16 * 1024;

    /// <summary>Loom's end of the pipe.</summary>
    public int Fd => fd;

    private LineSplitter lines = null!;
    private IListener listener = null!;
    private ulong token;
    private readonly Lock fdGate = new();
    private bool closed;
    private int armed;
    private volatile bool stopped;

    /// <summary>True while the reader waits for readiness.</summary>
    public bool IsWaiting => Volatile.Read(ref armed) == 1;

    // Interest in EPOLLIN from the start: an event collected without it would report a pipe that
    // still holds data as a bare hang-up. Events before Start find the pipe unarmed and are dropped.
    public bool Register(out int error)
    {
        error = Reactor.Shared.Add(fd, this, out token);
        return error == 0;
    }

    /// <summary>Starts reading: everything from here on happens off the caller's thread.</summary>
    public void Start(LineSplitter splitter, IListener owner)
    {
        lines = splitter;
        listener = owner;
        Arm();
    }

    /// <summary>Gives up on end of stream (a process outside the step's session holds the pipe).</summary>
    public void Stop()
    {
        stopped = true;
        if (Interlocked.Exchange(ref armed, 0) == 1)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Stops watching (if it was registered) and closes Loom's end.</summary>
    public void Close()
    {
        lock (fdGate)
        {
            closed = true;
            if (token != 0)
                Reactor.Shared.Remove(fd, token);
            Libc.close(fd);
        }
    }

    public void OnReady(uint events)
    {
        if (Interlocked.Exchange(ref armed, 0) != 1)
            return;
        // A pipe reports hang-up without "readable" only when it is empty and every writer is gone.
        if ((events & (Libc.EPOLLIN | Libc.EPOLLHUP)) == Libc.EPOLLHUP && !lines.HasPending)
        {
            lines.Release();
            listener.OnEnded(null, onPoolThread: false);
            return;
        }
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        bool ended;
        Exception? error = null;
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBufferBytes);
        try
        {
            ended = Drain(buffer);
            if (ended)
                lines.Complete();
        }
        catch (Exception e)
        {
            ended = true;
            error = e;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (!ended)
        {
            Arm();
            return;
        }
        lines.Release();
        listener.OnEnded(error, onPoolThread: true);
    }

    // Reads what is there; true at end of stream (or when stopped), false when it must wait.
    private bool Drain(byte[] buffer)
    {
        fixed (byte* start = buffer)
        {
            while (!stopped)
            {
                var read = Libc.read(fd, start, buffer.Length);
                if (read > 0)
                {
                    lines.Push(buffer.AsSpan(0, (int)read));
                    continue;
                }
                if (read == 0)
                    return true;
                var error = Libc.LastError;
                if (error == Libc.EAGAIN)
                    return false;
                if (error != Libc.EINTR)
                    return true;
            }
            return true;
        }
    }

    private void Arm()
    {
        // Armed before the re-arm, so that its event is not dropped; but then the event can be handled, the output end and
        // the fd be closed before the re-arm: under the gate, or the re-arm could hit another step's pipe that got the
        // same fd number and move its events to this pipe's token (that step's output was lost and it ended 2 s late).
        lock (fdGate)
        {
            if (closed)
                return;
            Interlocked.Exchange(ref armed, 1);
            Reactor.Shared.Arm(fd, token);
        }
        if (stopped)
            Stop();
        else
            listener.OnWaiting();
    }
}
