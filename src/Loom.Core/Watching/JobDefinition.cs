using System.Buffers;
using System.Text;
using System.Text.Json;
using Loom.Core.Model;

namespace Loom.Core.Watching;

/// <summary>
/// A job's definition as canonical text (JSON): every field that affects how it runs, with the workflow's
/// <c>env</c>, <c>defaults</c> and name as they reach it, maps in key order, and no source position, so two texts
/// are equal exactly when the job would run the same. Records are not compared with <c>Equals</c> because their
/// lists and maps compare by reference.
/// </summary>
public static class JobDefinition
{
    public static string Canonical(Workflow workflow, Job job)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("workflow", workflow.Name); // the loom.workflow context
            json.WriteString("id", job.Id);
            json.WriteString("name", job.DisplayName);
            Strings(json, "needs", job.Needs);
            json.WriteString("if", job.If.Text);
            Map(json, "env", Inherited(workflow.Env, job.Env));
            json.WriteString("shell", job.Defaults.Shell ?? workflow.Defaults.Shell);
            json.WriteString("working-directory", job.Defaults.WorkingDirectory ?? workflow.Defaults.WorkingDirectory);
            Setting(json, "timeout-minutes", job.TimeoutMinutes);
            Setting(json, "continue-on-error", job.ContinueOnError);
            Strings(json, "runs-on", job.RunsOn);
            Map(json, "outputs", job.Outputs);
            Strategy(json, job.Strategy);
            Retry(json, job.Retry);
            Strings(json, "inputs", job.Inputs);
            Strings(json, "produces", job.Produces);
            json.WriteBoolean("cache", job.Cache);
            Concurrency(json, job.Concurrency);
            json.WriteStartArray("steps");
            foreach (var step in job.Steps)
                Step(json, step);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Step(Utf8JsonWriter json, Step step)
    {
        json.WriteStartObject();
        json.WriteString("id", step.Id);
        json.WriteString("name", step.Name);
        json.WriteString("run", step.Run);
        json.WriteString("shell", step.Shell);
        json.WriteString("working-directory", step.WorkingDirectory);
        Map(json, "env", step.Env);
        json.WriteString("if", step.If.Text);
        if (step.TimeoutMinutes is { } timeout)
            Setting(json, "timeout-minutes", timeout);
        Setting(json, "continue-on-error", step.ContinueOnError);
        json.WriteEndObject();
    }

    /// <summary>A job's env over the workflow's, as its steps see it.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Inherited(IReadOnlyDictionary<string, string> workflow, IReadOnlyDictionary<string, string> job) =>
        workflow.Where(e => !job.ContainsKey(e.Key)).Concat(job);

    private static void Strategy(Utf8JsonWriter json, Strategy? strategy)
    {
        if (strategy is null)
            return;
        json.WriteStartObject("strategy");
        Setting(json, "fail-fast", strategy.FailFast);
        if (strategy.MaxParallel is { } maxParallel)
            Setting(json, "max-parallel", maxParallel);
        if (strategy.Matrix is { } matrix)
        {
            json.WritePropertyName("matrix");
            Data(json, matrix);
        }
        json.WriteEndObject();
    }

    /// <summary>Matrix data in written order (it decides the order of the cells); scalars keep whether they were quoted.</summary>
    private static void Data(Utf8JsonWriter json, DataNode node)
    {
        switch (node)
        {
            case DataScalar scalar:
                json.WriteStringValue((scalar.Plain ? "plain:" : "quoted:") + scalar.Text);
                break;
            case DataList list:
                json.WriteStartArray();
                foreach (var item in list.Items)
                    Data(json, item);
                json.WriteEndArray();
                break;
            case DataMap map:
                json.WriteStartArray();
                foreach (var (key, value) in map.Entries)
                {
                    json.WriteStringValue(key);
                    Data(json, value);
                }
                json.WriteEndArray();
                break;
        }
    }

    private static void Retry(Utf8JsonWriter json, RetryPolicy? retry)
    {
        if (retry is null)
            return;
        json.WriteStartObject("retry");
        json.WriteNumber("max-attempts", retry.MaxAttempts);
        json.WriteNumber("backoff-seconds", retry.BackoffSeconds);
        json.WriteEndObject();
    }

    private static void Concurrency(Utf8JsonWriter json, ConcurrencyGroup? concurrency)
    {
        if (concurrency is null)
            return;
        json.WriteStartObject("concurrency");
        json.WriteString("group", concurrency.Group);
        Setting(json, "cancel-in-progress", concurrency.CancelInProgress);
        json.WriteEndObject();
    }

    private static void Setting<T>(Utf8JsonWriter json, string name, Setting<T> setting)
    {
        json.WriteString(name, setting.Expression ?? Convert.ToString(setting.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void Strings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
            json.WriteStringValue(value);
        json.WriteEndArray();
    }

    private static void Map(Utf8JsonWriter json, string name, IEnumerable<KeyValuePair<string, string>> entries)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            json.WriteString(key, value);
        json.WriteEndObject();
    }
}
