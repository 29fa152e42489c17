namespace Loom.Core.Model;

/// <summary>How a job or step ended (spec §5). Names are written lower-case everywhere users see them.</summary>
public enum Result
{
    Success,
    Failure,
    Cancelled,
    Skipped,
}

public static class ResultNames
{
    public static string ToWire(this Result result) => result switch
    {
        Result.Success => "success",
        Result.Failure => "failure",
        Result.Cancelled => "cancelled",
        Result.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(result), result, null),
    };
}
