using Loom.Core.Runtime;

namespace Loom.Core.Tests.Runtime;

public sealed class StepOutputProcessorTests
{
    private readonly SecretMasker masker = new();
    private readonly StepOutputProcessor processor;

    public StepOutputProcessorTests() => processor = new StepOutputProcessor(masker);

    [Fact]
    public void Plain_lines_are_shown_masked()
    {
        masker.Add("hunter2");
        Assert.Equal(new StepLine(StepLineKind.Text, "pw is ***"), processor.Process("pw is hunter2"));
    }

    [Fact]
    public void Unknown_commands_are_shown_as_text()
        => Assert.Equal(new StepLine(StepLineKind.Text, "::frobnicate::x"), processor.Process("::frobnicate::x"));

    [Fact]
    public void Command_names_are_case_insensitive()
        => Assert.Equal(StepLineKind.GroupStart, processor.Process("::GROUP::Build").Kind);

    [Fact]
    public void Add_mask_hides_its_line_and_masks_what_follows()
    {
        var result = processor.Process("::add-mask::s3cr3t-value");
        Assert.Equal(StepLineKind.Hidden, result.Kind);
        Assert.Equal("", result.Text);
        Assert.Equal("s3cr3t-value", result.NewMask);
        Assert.Equal("got ***", processor.Process("got s3cr3t-value").Text);
    }

    [Fact]
    public void Add_mask_of_a_multi_line_value_masks_each_line()
    {
        processor.Process("::add-mask::line-one%0Aline-two");
        Assert.Equal("***", processor.Process("line-one").Text);
        Assert.Equal("***", processor.Process("line-two").Text);
    }

    [Fact]
    public void Add_mask_of_a_blank_value_warns()
    {
        var result = processor.Process("::add-mask::  ");
        Assert.Equal(AnnotationLevel.Warning, result.Annotation!.Level);
        Assert.True(masker.IsEmpty);
    }

    [Fact]
    public void Error_becomes_an_annotation_with_its_position()
    {
        var result = processor.Process("::error file=src/a.cs,line=3,endLine=3,col=5,endColumn=9,title=Oops::Bad thing");
        Assert.Equal(StepLineKind.Annotation, result.Kind);
        Assert.Equal(new Annotation(AnnotationLevel.Error, "Bad thing")
        {
            File = "src/a.cs",
            Line = 3,
            EndLine = 3,
            Column = 5,
            EndColumn = 9,
            Title = "Oops",
        }, result.Annotation);
    }

    [Fact]
    public void Warning_and_notice_have_their_levels()
    {
        Assert.Equal(AnnotationLevel.Warning, processor.Process("::warning::w").Annotation!.Level);
        Assert.Equal(AnnotationLevel.Notice, processor.Process("::notice::n").Annotation!.Level);
    }

    [Fact]
    public void Annotation_texts_are_masked()
    {
        masker.Add("hunter2");
        var annotation = processor.Process("::error title=hunter2::leaked hunter2").Annotation!;
        Assert.Equal("leaked ***", annotation.Message);
        Assert.Equal("***", annotation.Title);
    }

    [Theory]
    [InlineData("endLine=5", 5, 5, null, null)]
    [InlineData("line=2,endColumn=7", 2, null, 7, 7)]
    [InlineData("col=3", null, null, null, null)]
    [InlineData("line=2,endLine=4,col=3", 2, 4, null, null)]
    [InlineData("line=4,endLine=2", null, null, null, null)]
    [InlineData("line=4,col=9,endColumn=2", 4, null, null, null)]
    [InlineData("line=x,col=1", null, null, null, null)]
    public void Inconsistent_positions_are_dropped_as_in_the_runner(string properties, int? line, int? endLine, int? column, int? endColumn)
    {
        var annotation = processor.Process($"::warning {properties}::m").Annotation!;
        Assert.Equal((line, endLine, column, endColumn), (annotation.Line, annotation.EndLine, annotation.Column, annotation.EndColumn));
    }

    [Fact]
    public void Debug_group_and_endgroup()
    {
        Assert.Equal(new StepLine(StepLineKind.Debug, "detail"), processor.Process("::debug::detail"));
        Assert.Equal(new StepLine(StepLineKind.GroupStart, "Build it"), processor.Process("::group::Build it"));
        Assert.Equal(new StepLine(StepLineKind.GroupEnd, ""), processor.Process("::endgroup::"));
    }

    [Fact]
    public void Stop_commands_turns_commands_into_text_until_the_token()
    {
        Assert.Equal(StepLineKind.Text, processor.Process("::stop-commands::pause1").Kind);
        Assert.Equal(new StepLine(StepLineKind.Text, "::add-mask::visible"), processor.Process("::add-mask::visible"));
        Assert.Equal(StepLineKind.Text, processor.Process("::error::not an error").Kind);
        Assert.Equal(StepLineKind.Text, processor.Process("::PAUSE1::").Kind);
        Assert.Equal(StepLineKind.Annotation, processor.Process("::error::an error again").Kind);
        Assert.True(masker.IsEmpty);
    }

    [Fact]
    public void A_long_stop_token_is_masked()
    {
        var result = processor.Process("::stop-commands::a-long-random-token");
        Assert.Equal("::stop-commands::***", result.Text);
        Assert.Equal("a-long-random-token", result.NewMask);
        Assert.Equal("::***::", processor.Process("::a-long-random-token::").Text);
    }

    [Theory]
    [InlineData("::stop-commands::")]
    [InlineData("::stop-commands::pause-logging")]
    [InlineData("::stop-commands::error")]
    public void An_unsafe_stop_token_fails_the_step_and_does_not_stop(string line)
    {
        var result = processor.Process(line);
        Assert.True(result.FailsStep);
        Assert.Equal(AnnotationLevel.Error, result.Annotation!.Level);
        Assert.Equal(StepLineKind.Annotation, processor.Process("::error::still a command").Kind);
    }

    [Theory]
    [InlineData("::set-env name=A::b")]
    [InlineData("::add-path::/opt/bin")]
    public void Disabled_commands_fail_the_step_as_in_github(string line)
    {
        var result = processor.Process(line);
        Assert.True(result.FailsStep);
        Assert.Equal(AnnotationLevel.Error, result.Annotation!.Level);
    }

    [Theory]
    [InlineData("::set-output name=a::b")]
    [InlineData("::save-state name=a::b")]
    public void Deprecated_output_commands_warn_and_are_ignored(string line)
    {
        var result = processor.Process(line);
        Assert.False(result.FailsStep);
        Assert.Equal(AnnotationLevel.Warning, result.Annotation!.Level);
    }
}
