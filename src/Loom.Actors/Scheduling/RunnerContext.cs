using System.Runtime.InteropServices;
using Loom.Core.Expressions;

namespace Loom.Actors.Scheduling;

/// <summary>The <c>runner</c> context (spec §4) with GitHub's spellings: os Linux/macOS/Windows, arch X64/ARM64/...</summary>
public static class RunnerContext
{
    public static readonly ExpressionValue Value = ExpressionValue.FromStrings(new Dictionary<string, string>
    {
        ["os"] = OperatingSystem.IsLinux() ? "Linux" : OperatingSystem.IsMacOS() ? "macOS" : OperatingSystem.IsWindows() ? "Windows" : RuntimeInformation.OSDescription,
        ["arch"] = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "X64",
            Architecture.X86 => "X86",
            Architecture.Arm => "ARM",
            Architecture.Arm64 => "ARM64",
            var other => other.ToString().ToUpperInvariant(),
        },
        ["temp"] = Path.GetTempPath().TrimEnd('/'),
        ["name"] = Environment.MachineName,
    });
}
