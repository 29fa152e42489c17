using System.Runtime.InteropServices;
using Loom.Cli.Commands;

namespace Loom.Cli;

/// <summary>
/// The README's build makes <c>loom</c> a native executable (NativeAOT: a one-job run takes ~0.08 s instead of ~0.23 s,
/// and each job less CPU) and puts the same program for .NET's JIT runtime beside it as <c>loom-jit</c>. The
/// commands that need the JIT runtime are handed to <c>loom-jit</c> in place (<c>execv</c>: same process id, same
/// arguments, environment, terminal and exit code): a cluster's persistence (Akka.Persistence.Sql's linq2db builds its
/// queries from compiled expressions), its remoting (Akka.Remote and Akka.Cluster load their types by name), and the
/// web view (ASP.NET Core). Every other command runs natively; the CLI's end-to-end tests run the native build.
/// </summary>
internal static partial class NativeLauncher
{
    public const string JitName = "loom-jit";

    /// <summary>
    /// True in the native build (compiled with <c>LOOM_NATIVE</c>). Not <c>RuntimeFeature.IsDynamicCodeSupported</c>: on the
    /// JIT runtime that reads its switch once, and <see cref="LocalRuntime"/> must be the first to read it.
    /// </summary>
#if LOOM_NATIVE
    public static readonly bool IsNative = true;
#else
    public static readonly bool IsNative = false;
#endif

    public static bool NeedsJit(string command, string[] arguments) =>
        command is ServeCommand.StepWatchdogCommand
        || LocalRuntime.TalksToACluster(command, arguments)
        || arguments.Any(a => a == WebView.Flag || WebView.ValueOptions.Any(o => a == o || a.StartsWith(o + "=", StringComparison.Ordinal)));

    /// <summary>Replaces this process with <c>loom-jit</c>; returns only if that cannot be done, with the exit code to use.</summary>
    public static int HandOver(string[] arguments)
    {
        var jit = Path.Combine(AppContext.BaseDirectory, JitName);
        // A native loom-jit (a copy made by hand) would hand over to itself forever.
        if (!File.Exists(jit) || Path.GetFileName(Environment.ProcessPath) == JitName)
        {
            Console.Error.WriteLine($"loom: error: '{arguments[0]}' runs on .NET's JIT runtime: it needs {jit}, the JIT build of loom, beside this native one (dotnet publish src/Loom.Cli -c Release -o DIR makes both)");
            return ExitCodes.Usage;
        }
        var argv = new nint[arguments.Length + 2];
        try
        {
            argv[0] = Marshal.StringToCoTaskMemUTF8(jit);
            for (var i = 0; i < arguments.Length; i++)
                argv[i + 1] = Marshal.StringToCoTaskMemUTF8(arguments[i]);
            execv(argv[0], argv);
            Console.Error.WriteLine($"loom: error: cannot start {jit}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            return ExitCodes.Failure;
        }
        finally
        {
            foreach (var pointer in argv)
                Marshal.FreeCoTaskMem(pointer);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int execv(nint path, [In] nint[] argv);
}
