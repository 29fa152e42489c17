using System.Security.Cryptography;
using System.Text;
using Loom.Core.Expressions;

namespace Loom.Core.Tests.Expressions;

/// <summary><c>hashFiles</c> on real files in a temporary workspace.</summary>
public sealed class HashFilesTests : IDisposable
{
    private readonly string workspace = Directory.CreateTempSubdirectory("loom-hashfiles-").FullName;

    public HashFilesTests()
    {
        Write("package-lock.json", "lock");
        Write("src/app/package-lock.json", "nested lock");
        Write("src/app/main.cs", "class A;");
        Write("src/.hidden/x.cs", "hidden");
        Write("node_modules/dep/package-lock.json", "dependency");
        Write("Gemfile.lock", "gems");
    }

    public void Dispose() => Directory.Delete(workspace, recursive: true);

    private void Write(string relativePath, string content)
    {
        var path = Path.Combine(workspace, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private string Hash(string arguments) =>
        Eval.Text($"hashFiles({arguments})", EvaluationContext.Empty.WithWorkspace(workspace));

    /// <summary>GitHub's definition: SHA-256 over the files' SHA-256 digests, files in sorted path order.</summary>
    private string Expected(params string[] relativePaths)
    {
        var digests = relativePaths.Order(StringComparer.Ordinal)
            .SelectMany(p => SHA256.HashData(File.ReadAllBytes(Path.Combine(workspace, p))))
            .ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(digests));
    }

    [Fact]
    public void Globstar_matches_at_any_depth_including_the_root() => Assert.Equal(
        Expected("package-lock.json", "src/app/package-lock.json", "node_modules/dep/package-lock.json"),
        Hash("'**/package-lock.json'"));

    [Fact]
    public void Several_patterns_hash_the_union() => Assert.Equal(
        Expected("Gemfile.lock", "package-lock.json"),
        Hash("'package-lock.json', '*.lock'"));

    [Fact]
    public void An_exclamation_mark_excludes() => Assert.Equal(
        Expected("package-lock.json", "src/app/package-lock.json"),
        Hash("'**/package-lock.json', '!node_modules/**'"));

    [Fact]
    public void Star_and_question_mark_stay_within_one_name()
    {
        Assert.Equal(Expected("src/app/main.cs"), Hash("'src/*/m??n.cs'"));
        Assert.Equal("", Hash("'*.cs'"));
    }

    [Fact]
    public void Dot_files_are_included_and_a_folder_pattern_takes_its_contents()
    {
        Assert.Equal(Expected("src/.hidden/x.cs", "src/app/main.cs"), Hash("'src/**/*.cs'"));
        Assert.Equal(Expected("src/.hidden/x.cs"), Hash("'src/.hidden'"));
    }

    [Fact]
    public void Character_classes_match_one_character() => Assert.Equal(Expected("Gemfile.lock"), Hash("'[FG]emfile.loc[a-k]'"));

    [Fact]
    public void An_absolute_pattern_inside_the_workspace_works() =>
        Assert.Equal(Expected("Gemfile.lock"), Hash($"'{workspace}/Gemfile.lock'"));

    [Fact]
    public void No_match_gives_the_empty_string()
    {
        Assert.Equal("", Hash("'**/*.nothing'"));
        Assert.Equal("", Hash("'/etc/passwd'"));
    }

    [Fact]
    public void The_hash_changes_with_the_content()
    {
        var before = Hash("'Gemfile.lock'");
        File.WriteAllText(Path.Combine(workspace, "Gemfile.lock"), "changed", Encoding.UTF8);
        Assert.NotEqual(before, Hash("'Gemfile.lock'"));
    }

    [Fact]
    public void A_hostile_pattern_is_fast()
    {
        Write(new string('a', 200) + ".txt", "a");
        var pattern = string.Concat(Enumerable.Repeat("*a", 60)) + "b";
        Assert.Equal("", Hash($"'{pattern}'"));
    }

    [Fact]
    public void Without_a_workspace_or_with_a_bad_class_it_is_an_evaluation_error()
    {
        Assert.Contains("no workspace", Eval.EvaluationError("hashFiles('*')").Message);
        var error = Assert.Throws<ExpressionEvaluationException>(() => Hash("'[z-a]'"));
        Assert.StartsWith("hashFiles: invalid pattern '[z-a]'", error.Message);
    }
}
