using System.Diagnostics;
using System.Text;
using Loom.Core.Parsing;
using Loom.Core.Planning;
using Xunit.Abstractions;

namespace Loom.Core.Tests.Parsing;

/// <summary>Spec §7: no input may crash, hang or exhaust memory. Time bounds here are hang guards, not benchmarks.</summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private const string Jobs = "jobs: { a: { steps: [ { run: x } ] } }\n";

    private static string[] Errors(string yaml, ParseLimits? limits = null)
    {
        var watch = Stopwatch.StartNew();
        var result = WorkflowLoader.Load("w.yml", yaml, limits);
        Assert.True(watch.Elapsed < HangGuard, $"took {watch.Elapsed}");
        return result.Errors.Select(e => e.ToString()).ToArray();
    }

    /// <summary>
    /// What loading up to the node limit may allocate in all, an upper bound on the heap's growth whenever the GC
    /// runs: about 400 bytes a node, mostly YamlDotNet's tokens and events, which die young. Without the limit these
    /// inputs took 12-36 s and 1.2-2.6 GB.
    /// </summary>
    private const long MaxNodeLimitAllocation = 1536L * 1024 * 1024;

    /// <summary>Errors, and the bytes this thread allocated while loading, printed with the time taken.</summary>
    private (string[] Errors, long Allocated) ErrorsAndAllocation(string yaml)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var errors = Errors(yaml);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        output.WriteLine($"{yaml.Length / 1024 / 1024} MiB: {watch.ElapsedMilliseconds} ms, allocated {allocated / 1024 / 1024} MiB, heap after the last GC {GC.GetGCMemoryInfo().HeapSizeBytes / 1024 / 1024} MiB");
        return (errors, allocated);
    }

    [Fact]
    public void Limit_messages_name_the_limit_and_its_flag()
    {
        var limits = ParseLimits.Default;

        Assert.Equal("file is larger than the 64 MiB limit (--max-file-size)", LimitMessages.FileTooLarge(limits));
        Assert.Equal("scalar longer than the 1 MiB limit (--max-scalar-size)", LimitMessages.ScalarTooLong(limits));
        Assert.Equal("nesting deeper than 64 (--max-depth)", LimitMessages.TooDeep(limits));
        Assert.Equal("more than 1000000 nodes reached through aliases (--max-alias-nodes)", LimitMessages.TooManyAliasNodes(limits));
        Assert.Equal("more than 2500000 YAML nodes (--max-nodes)", LimitMessages.TooManyNodes(limits));
        Assert.Equal("more than 100000 jobs (--max-jobs)", LimitMessages.TooManyJobs(limits));
    }

    [Fact]
    public void Billion_laughs_stops_at_the_alias_limit()
    {
        var yaml = new StringBuilder("x-0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 10; i++)
            yaml.Append($"x-{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n");
        yaml.Append(Jobs);

        // Level k holds 1 + 9 * size(k-1) nodes: the aliases of lines 2-6 reach 672 588 nodes, line 7's first alias 597 871 more.
        Assert.Equal(["w.yml:7:11: error: more than 1000000 nodes reached through aliases (--max-alias-nodes)"], Errors(yaml.ToString()));
    }

    [Fact]
    public void Aliases_within_the_limit_are_shared_not_copied()
    {
        var yaml = "x-0: &a [1, 2, 3]\nx-1: [*a, *a]\n" + Jobs;

        Assert.Empty(Errors(yaml, new ParseLimits { MaxAliasNodes = 8 }));
        Assert.Equal(["w.yml:2:11: error: more than 7 nodes reached through aliases (--max-alias-nodes)"], Errors(yaml, new ParseLimits { MaxAliasNodes = 7 }));
    }

    [Theory]
    [InlineData("[", "", 72)]
    [InlineData("{a: ", "", 261)]
    [InlineData("[", "]", 72)]
    public void Deep_flow_nesting_stops_at_the_depth_limit(string open, string close, int column)
    {
        var yaml = "x-deep: " + string.Concat(Enumerable.Repeat(open, 10_000)) + "1" + string.Concat(Enumerable.Repeat(close, 10_000)) + "\n" + Jobs;

        // The workflow mapping is level 1, so the 64th bracket is the 65th level.
        Assert.Equal([$"w.yml:1:{column}: error: nesting deeper than 64 (--max-depth)"], Errors(yaml));
    }

    [Fact]
    public void Deep_block_mappings_stop_at_the_depth_limit()
    {
        var yaml = string.Concat(Enumerable.Range(0, 10_000).Select(i => new string(' ', i) + "a:\n"));

        Assert.Equal(["w.yml:65:65: error: nesting deeper than 64 (--max-depth)"], Errors(yaml));
    }

    [Fact]
    public void Deep_block_sequences_stop_at_the_depth_limit()
    {
        var yaml = string.Concat(Enumerable.Repeat("- ", 10_000)) + "x\n";

        Assert.Equal(["w.yml:1:129: error: nesting deeper than 64 (--max-depth)"], Errors(yaml));
    }

    [Fact]
    public void Deep_nesting_within_a_raised_limit_does_not_overflow_the_stack()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 10_000)) + string.Concat(Enumerable.Repeat("]", 10_000));
        var yaml = $"x-deep: &deep {deep}\nx-again: *deep\nenv: *deep\n" + Jobs;

        // An alias is the anchored node itself, so the error points at the anchor.
        Assert.Equal(["w.yml:1:9: error: 'env' must be a mapping of names to values"], Errors(yaml, new ParseLimits { MaxDepth = int.MaxValue }));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("\"", "\"")]
    [InlineData("'", "'")]
    [InlineData("|\n          ", "")]
    public void A_50_MB_scalar_stops_at_the_scalar_limit_in_bounded_memory(string before, string after)
    {
        var yaml = "jobs:\n  a:\n    steps:\n      - run: " + before + new string('x', 50_000_000) + after + "\n";
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        var errors = Errors(yaml);

        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.Equal(["w.yml:4:14: error: scalar longer than the 1 MiB limit (--max-scalar-size)"], errors);
        Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated / 1024 / 1024} MiB");
    }

    [Fact]
    public void A_scalar_just_over_the_limit_is_reported_at_its_start()
    {
        var yaml = "jobs:\n  a:\n    steps:\n      - run: '" + new string('é', 600_000) + "'\n";

        Assert.Equal(["w.yml:4:14: error: scalar longer than the 1 MiB limit (--max-scalar-size)"], Errors(yaml));
    }

    [Fact]
    public void Long_comments_and_many_small_scalars_are_not_mistaken_for_a_long_scalar()
    {
        var yaml = "# " + new string('c', 5_000_000) + "\n"
            + "x-list: [" + string.Join(", ", Enumerable.Repeat("item", 500_000)) + "]\n"
            + "x-blank:" + new string(' ', 3_000_000) + "\n" + new string('\n', 2_000_000)
            + Jobs;

        Assert.Empty(Errors(yaml));
    }

    [Fact]
    public void A_50_MB_file_is_read_and_stopped_at_the_scalar_limit()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var writer = new StreamWriter(path))
            {
                writer.Write("jobs:\n  a:\n    steps:\n      - run: ");
                writer.Write(new string('x', 50_000_000));
                writer.Write('\n');
            }
            var watch = Stopwatch.StartNew();

            var result = WorkflowLoader.LoadFile(path);

            Assert.True(watch.Elapsed < HangGuard);
            Assert.Equal($"{path}:4:14: error: scalar longer than the 1 MiB limit (--max-scalar-size)", Assert.Single(result.Errors).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_file_over_the_size_limit_is_not_read()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, Jobs + new string('#', 2000));

            var result = WorkflowLoader.LoadFile(path, new ParseLimits { MaxFileBytes = 1024 });

            Assert.Equal($"{path}:1:1: error: file is larger than the 1 KiB limit (--max-file-size)", Assert.Single(result.Errors).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_device_without_a_length_is_read_only_up_to_the_limit()
    {
        if (!File.Exists("/dev/zero"))
            return;

        var result = WorkflowLoader.LoadFile("/dev/zero", new ParseLimits { MaxFileBytes = 1024 });

        Assert.Equal("/dev/zero:1:1: error: file is larger than the 1 KiB limit (--max-file-size)", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void Text_over_the_size_limit_is_an_error_at_1_1() =>
        Assert.Equal(["w.yml:1:1: error: file is larger than the 100 bytes limit (--max-file-size)"],
            Errors(Jobs + new string('#', 100), new ParseLimits { MaxFileBytes = 100 }));

    [Fact]
    public void Random_binary_garbage_is_not_utf8()
    {
        var bytes = new byte[100_000];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0xFF;
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);

            var result = WorkflowLoader.LoadFile(path);

            Assert.Equal($"{path}:1:1: error: file is not UTF-8 text (invalid byte 0xFF)", Assert.Single(result.Errors).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Invalid_utf8_is_reported_at_its_line_and_column()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [.. "jobs:\n  é"u8, 0xC3, 0x28]);

            Assert.Equal($"{path}:2:4: error: file is not UTF-8 text (invalid byte 0xC3)", Assert.Single(WorkflowLoader.LoadFile(path).Errors).ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("jobs:\0", "1:6", "U+0000")]
    [InlineData("name: a\u0007b\n", "1:8", "U+0007")]
    [InlineData("name: a\n\n  \u009Fb", "3:3", "U+009F")]
    [InlineData("name: \uFFFF", "1:7", "U+FFFF")]
    public void Control_characters_and_broken_text_are_an_error(string text, string at, string character) =>
        Assert.Equal([$"w.yml:{at}: error: invalid character {character}: a workflow file must be UTF-8 text"], Errors(text));

    [Fact]
    public void An_unpaired_surrogate_is_an_error() =>
        Assert.Equal(["w.yml:2:7: error: invalid character U+DC00: a workflow file must be UTF-8 text"], Errors("x: \uD83D\uDE00\nname: \uDC00\uD800x"));

    [Fact]
    public void Random_characters_never_throw()
    {
        var random = new Random(11);
        for (var i = 0; i < 200; i++)
        {
            var chars = new char[random.Next(1, 2000)];
            for (var c = 0; c < chars.Length; c++)
                chars[c] = (char)random.Next(0, 0x3000);

            Assert.NotEmpty(Errors(new string(chars)));
        }
    }

    [Fact]
    public void One_hundred_thousand_jobs_validate_and_plan()
    {
        var watch = Stopwatch.StartNew();

        var result = WorkflowLoader.Load("w.yml", GeneratedWorkflow.WithJobs(100_000));
        var plan = JobGraph.Build(result.Workflow!.Jobs.Select(j => new JobNode(j.Id, j.Needs)).ToArray());

        Assert.True(watch.Elapsed < HangGuard, $"took {watch.Elapsed}");
        Assert.Empty(result.Errors);
        Assert.Equal(100_000, plan.Graph!.Count);
    }

    [Fact]
    public void Ten_thousand_jobs_load_and_plan()
    {
        var yaml = GeneratedWorkflow.WithJobs(10_000);
        var watch = Stopwatch.StartNew();

        var result = WorkflowLoader.Load("w.yml", yaml);
        var plan = JobGraph.Build(result.Workflow!.Jobs.Select(j => new JobNode(j.Id, j.Needs)).ToArray());

        output.WriteLine($"10 000 jobs ({yaml.Length / 1024} KiB) loaded and planned in {watch.ElapsedMilliseconds} ms");
        Assert.True(watch.Elapsed < HangGuard);
        Assert.Equal(10_000, plan.Graph!.Count);
    }

    [Fact]
    public void A_31_million_node_flow_list_stops_at_the_node_limit()
    {
        // 59 MiB, under the 64 MiB file limit: the file size alone does not bound the tree.
        var yaml = new StringBuilder("x-list: [", 62_000_100);
        yaml.Insert(yaml.Length, "a,", 31_000_000).Append("a]\n").Append(Jobs);

        var (errors, allocated) = ErrorsAndAllocation(yaml.ToString());

        // Root mapping, its key and the list are nodes 1-3, so item 2 499 998 (column 10 + 2 * 2 499 997) is node 2 500 001.
        Assert.Equal(["w.yml:1:5000004: error: more than 2500000 YAML nodes (--max-nodes)"], errors);
        Assert.True(allocated < MaxNodeLimitAllocation, $"allocated {allocated / 1024 / 1024} MiB");
    }

    [Fact]
    public void A_5_million_entry_env_stops_at_the_node_limit()
    {
        var yaml = new StringBuilder("env:\n", 65_000_000);
        for (var i = 0; i < 5_000_000; i++)
            yaml.Append(" K").Append(i).Append(": v\n");
        yaml.Append(Jobs);

        var (errors, allocated) = ErrorsAndAllocation(yaml.ToString());

        // Root, 'env' and its mapping are nodes 1-3; entry j's key is node 4 + 2j, its value 5 + 2j: the value of K1249998, line 1 250 000.
        Assert.Equal(["w.yml:1250000:12: error: more than 2500000 YAML nodes (--max-nodes)"], errors);
        Assert.True(allocated < MaxNodeLimitAllocation, $"allocated {allocated / 1024 / 1024} MiB");
    }

    [Fact]
    public void The_default_node_limit_admits_100_000_jobs_with_margin()
    {
        // 17 nodes a job (16 for the first, which needs nothing) and 5 around them: 1 700 001, the last being 'echo 99999'.
        Assert.Equal(
            ["w.yml:600001:14: error: more than 1700000 YAML nodes (--max-nodes)"],
            Errors(GeneratedWorkflow.WithJobs(100_000), new ParseLimits { MaxNodes = 1_700_000 }));
        Assert.True(ParseLimits.Default.MaxNodes > 1_700_001 * 1.4);
    }

    [Fact]
    public void Nodes_reached_through_aliases_do_not_count_as_nodes_of_the_file()
    {
        var yaml = "x-a: &a [1, 2, 3, 4, 5, 6, 7, 8]\nx-b: [*a, *a, *a]\n" + Jobs;

        // Line 1 holds the root and 10 more nodes, line 2 two (the aliases, reaching 27 nodes, are not counted here), line 3 nine.
        Assert.Empty(Errors(yaml, new ParseLimits { MaxNodes = 22 }));
        Assert.Equal(["w.yml:3:30: error: more than 21 YAML nodes (--max-nodes)"], Errors(yaml, new ParseLimits { MaxNodes = 21 }));
    }

    [Fact]
    public void Extreme_limits_do_not_break_the_loader()
    {
        var bomb = new StringBuilder("x-0: &a0 [lol, lol]\n");
        for (var i = 1; i < 70; i++)
            bomb.Append($"x-{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n");
        var limits = new ParseLimits { MaxFileBytes = long.MaxValue, MaxScalarBytes = int.MaxValue, MaxDepth = int.MaxValue, MaxAliasNodes = long.MaxValue, MaxJobs = -1 };

        Assert.Equal(["w.yml:71:9: error: more than -1 jobs (--max-jobs)"], Errors(bomb + Jobs, limits));
        Assert.Equal(["w.yml:1:1: error: file is larger than the -1 bytes limit (--max-file-size)"], Errors(Jobs, new ParseLimits { MaxFileBytes = -1 }));
    }

    [Fact]
    public void More_jobs_than_the_limit_is_an_error_at_the_first_one_over() => Assert.Equal(
        ["w.yml:62:3: error: more than 10 jobs (--max-jobs)"],
        Errors(GeneratedWorkflow.WithJobs(11), new ParseLimits { MaxJobs = 10 }));
}
