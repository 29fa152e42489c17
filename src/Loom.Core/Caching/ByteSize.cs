using System.Globalization;

namespace Loom.Core.Caching;

/// <summary>A byte count for people: "512 B", "3.1 KiB", "1.0 GiB".</summary>
public static class ByteSize
{
    private static readonly string[] Units = ["KiB", "MiB", "GiB", "TiB"];

    public static string Format(long bytes)
    {
        if (bytes < 1024)
            return $"{bytes} B";
        double value = bytes;
        var unit = -1;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString("0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
