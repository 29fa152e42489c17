using CsCheck;

namespace Loom.Core.Tests.Parsing;

/// <summary>One fuzz case: the text given to the loader and how it was made, for the test output.</summary>
public sealed record FuzzInput(string Text, string Description)
{
    public override string ToString() => $"{Description}: \"{Escape(Text.Length > 300 ? Text[..300] + "..." : Text)}\"";

    private static string Escape(string text) => string.Concat(text.Select(c => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        '"' => "\\\"",
        '\\' => "\\\\",
        < ' ' or (>= '\x7F' and <= '\x9F') or (>= '\uD800' and <= '\uDFFF') or '\uFFFE' or '\uFFFF' => $"\\u{(int)c:X4}",
        _ => c.ToString(),
    }));
}

/// <summary>A change to a valid workflow: at character, line or token level. Positions wrap around the text.</summary>
public abstract record Mutation
{
    public abstract string Apply(string text);

    protected static int Wrap(int position, int length) => length == 0 ? 0 : position % length;

    protected static string[] Lines(string text) => text.Split('\n');
}

public sealed record ReplaceChar(int At, char With) : Mutation
{
    public override string Apply(string text) => text.Length == 0 ? With.ToString() : string.Concat(text.AsSpan(0, Wrap(At, text.Length)), With.ToString(), text.AsSpan(Wrap(At, text.Length) + 1));
}

public sealed record InsertToken(int At, string Token) : Mutation
{
    public override string Apply(string text) => text.Insert(Wrap(At, text.Length + 1), Token);
}

public sealed record DeleteRange(int At, int Length) : Mutation
{
    public override string Apply(string text)
    {
        var start = Wrap(At, text.Length);
        return text.Remove(start, Math.Min(Length, text.Length - start));
    }
}

public sealed record ReplaceToken(int Nth, string Token) : Mutation
{
    public override string Apply(string text)
    {
        var words = text.Split(' ');
        words[Wrap(Nth, words.Length)] = Token;
        return string.Join(' ', words);
    }
}

public sealed record DuplicateLine(int Line) : Mutation
{
    public override string Apply(string text)
    {
        var lines = Lines(text).ToList();
        var at = Wrap(Line, lines.Count);
        lines.Insert(at, lines[at]);
        return string.Join('\n', lines);
    }
}

public sealed record DeleteLine(int Line) : Mutation
{
    public override string Apply(string text)
    {
        var lines = Lines(text).ToList();
        lines.RemoveAt(Wrap(Line, lines.Count));
        return string.Join('\n', lines);
    }
}

public sealed record SwapLines(int First, int Second) : Mutation
{
    public override string Apply(string text)
    {
        var lines = Lines(text);
        var (a, b) = (Wrap(First, lines.Length), Wrap(Second, lines.Length));
        (lines[a], lines[b]) = (lines[b], lines[a]);
        return string.Join('\n', lines);
    }
}

public sealed record Reindent(int Line, int By) : Mutation
{
    public override string Apply(string text)
    {
        var lines = Lines(text);
        var at = Wrap(Line, lines.Length);
        lines[at] = By >= 0 ? new string(' ', By) + lines[at] : lines[at].TrimStart();
        return string.Join('\n', lines);
    }
}

/// <summary>Generators of loader input: mutated valid workflows and random YAML-ish token soup.</summary>
public static class FuzzInputs
{
    private static readonly string[] Seeds =
    [
        """
        name: ci
        on: push
        env: { DOTNET_NOLOGO: "1", N: 1, B: true }
        defaults: { run: { shell: bash, working-directory: src } }
        max-parallel: 2
        jobs:
          build:
            runs-on: [linux]
            timeout-minutes: 0.5
            steps:
              - id: ver
                run: echo "v=1" >> "$LOOM_OUTPUT"
              - run: |
                  make
                  make test
                if: ${{ always() }}
          test:
            needs: build
            continue-on-error: true
            steps: [{ run: make test, env: { A: b } }]
        """,
        """
        x-steps: &steps
          - name: compile
            run: dotnet build
            shell: sh
          - run: >
              folded
              text
        jobs:
          a: { steps: *steps, if: success() && !cancelled() }
          b: { steps: *steps, needs: [a] }
          c:
            needs: [a, b]
            steps:
              - run: 'single ''quoted'''
                timeout-minutes: 2
                working-directory: "dir with spaces"
        """,
        "jobs:\n  one:\n    steps:\n      - run: true\n",
        """
        ---
        name: "quoted \u00e9 \t"
        run-name: ignored
        permissions: read-all
        jobs:
          deploy:
            name: Deploy
            runs-on: linux
            needs: [test]
            if: failure() || (always() && !success())
            steps:
              - { id: d, run: "./deploy.sh", continue-on-error: false }
          test:
            steps:
              - run: ./test.sh
        ...
        """,
    ];

    private static readonly string[] Tokens =
    [
        "- ", ": ", ":", "\n", "\n  ", "  ", "\t", "\r\n", "[", "]", "{", "}", ",", "? ", "|", ">", "|-", ">+2", "'", "\"", "\\",
        "#", " # c", "---\n", "...\n", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "&a ", "*a", "&b ", "*b", "!!str ", "!!map ", "!t ", "<<: *a\n",
        "${{ ", " }}", "${{ github.ref }}", "success()", "failure()", "always()", "&&", "||", "!", "(", ")",
        "jobs", "steps", "run", "needs", "if", "env", "name", "runs-on", "timeout-minutes", "continue-on-error", "defaults",
        "shell", "working-directory", "max-parallel", "uses", "with", "strategy", "x-ext", "on", "id", "build", "test", "a",
        "1", "0", "-1", "0.05", "1e309", "true", "no", "null", "~", "\"\"", "''", "é", "😀", "\u00A0", "\u2028", "\u0085", "\uFEFF",
    ];

    private static readonly Gen<string> Token = Gen.OneOf(Tokens);

    private static readonly Gen<char> PrintableChar = Gen.Frequency(
        (3, Gen.Char[' ', '~']),
        (2, Gen.Char["\n\t\r-:[]{},#&*!|>'\"%@`?"]));

    /// <summary>Mostly text, sometimes a control character, surrogate half or non-character.</summary>
    private static readonly Gen<char> AnyChar = Gen.Frequency(
        (8, PrintableChar),
        (1, Gen.Char['\0', '\x1F']),
        (1, Gen.Char['\x7F', '\uFFFF']));

    private static readonly Gen<int> Position = Gen.Int[0, 1 << 16];

    private static readonly Gen<Mutation> AnyMutation = Gen.Frequency<Mutation>(
        (4, Gen.Select(Position, AnyChar, (at, c) => (Mutation)new ReplaceChar(at, c))),
        (4, Gen.Select(Position, Token, (at, t) => (Mutation)new InsertToken(at, t))),
        (2, Gen.Select(Position, Gen.Int[1, 40], (at, n) => (Mutation)new DeleteRange(at, n))),
        (4, Gen.Select(Position, Token, (at, t) => (Mutation)new ReplaceToken(at, t))),
        (1, Position.Select(at => (Mutation)new DuplicateLine(at))),
        (1, Position.Select(at => (Mutation)new DeleteLine(at))),
        (1, Gen.Select(Position, Position, (a, b) => (Mutation)new SwapLines(a, b))),
        (1, Gen.Select(Position, Gen.Int[-1, 6], (at, by) => (Mutation)new Reindent(at, by))));

    public static readonly Gen<FuzzInput> Mutated = Gen.Select(Gen.Int[0, Seeds.Length - 1], AnyMutation.Array[1, 5], (seed, mutations) =>
        new FuzzInput(mutations.Aggregate(Seeds[seed], (text, m) => m.Apply(text)), $"seed {seed} with {string.Join(", ", mutations.Select(m => m.ToString()))}"));

    public static readonly Gen<FuzzInput> Soup = Gen.Frequency(
            (30, Token),
            (10, Gen.String[Gen.Char['a', 'z'], 1, 12]),
            (5, PrintableChar.Select(c => c.ToString())),
            (1, AnyChar.Select(c => c.ToString())))
        .Array[0, 300]
        .Select(parts => new FuzzInput(string.Concat(parts), $"{parts.Length} random tokens"));

    private static readonly Gen<string> Scalar = Gen.OneOf(
        "x", "1", "0", "-2", "0.05", "true", "false", "yes", "~", "''", "build", "test", "deploy", "echo hi", "'${{ x }}'",
        "success() && !cancelled()", "always(", "\"a\\nb\"", "'{PropertyName}'", "linux", "&s x", "*s", "!!str 5");

    private static readonly Gen<string> JobId = Gen.OneOf("build", "test", "deploy", "buld", "1bad", "'a b'");

    private static readonly Gen<string> AnyValue = Value(2);

    private static readonly Gen<string> FieldValue = Gen.Frequency(
        (6, Scalar),
        (2, Scalar.Array[0, 3].Select(items => "[" + string.Join(", ", items) + "]")),
        (1, AnyValue));

    private static readonly Gen<string> Step = Gen.Frequency(
        (8, Entries(Gen.OneOf("id", "name", "run", "run", "shell", "working-directory", "env", "if", "timeout-minutes", "continue-on-error", "uses", "with", "x-a", "Run"), 5)
            .Select(entries => "{" + entries + "}")),
        (1, Scalar));

    private static readonly Gen<string> Job = Gen.Select(
        Entries(Gen.OneOf("name", "runs-on", "needs", "needs", "if", "env", "defaults", "timeout-minutes", "continue-on-error", "strategy", "permissions", "x-a", "nedds"), 4),
        Gen.Frequency((6, Step.Array[0, 4].Select(steps => "[" + string.Join(", ", steps) + "]")), (1, FieldValue)),
        (entries, steps) => "{" + entries + "steps: " + steps + "}");

    /// <summary>Well-formed flow YAML shaped like a workflow, so the reader and validators see more than syntax errors.</summary>
    public static readonly Gen<FuzzInput> Structured = Gen.Select(
        Entries(Gen.OneOf("name", "env", "defaults", "max-parallel", "on", "run-name", "concurrency", "x-a", "nme"), 3),
        Gen.Select(JobId, Job).Array[0, 4],
        (entries, jobs) => new FuzzInput("{" + entries + "jobs: {" + string.Join(", ", jobs.Select(j => $"{j.Item1}: {j.Item2}")) + "}}", "structured"));

    public static readonly Gen<FuzzInput> Any = Gen.Frequency((3, Mutated), (1, Soup), (2, Structured));

    /// <summary>Flow mapping entries, each followed by ", ".</summary>
    private static Gen<string> Entries(Gen<string> key, int max) =>
        Gen.Select(key, FieldValue).Array[0, max].Select(entries => string.Concat(entries.Select(e => $"{e.Item1}: {e.Item2}, ")));

    private static Gen<string> Value(int depth)
    {
        if (depth == 0)
            return Scalar;
        var inner = Value(depth - 1);
        return Gen.Frequency(
            (2, Scalar),
            (2, Gen.Select(Gen.OneOf("A", "B", "run", "shell", "x"), inner).Array[0, 3].Select(entries => "{" + string.Join(", ", entries.Select(e => $"{e.Item1}: {e.Item2}")) + "}")),
            (1, inner.Array[0, 3].Select(items => "[" + string.Join(", ", items) + "]")));
    }
}
