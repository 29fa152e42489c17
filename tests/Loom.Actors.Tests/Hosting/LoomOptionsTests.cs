using Akka.Hosting;
using FluentValidation;
using Loom.Actors.Hosting;
using Loom.Core.Parsing;
using Microsoft.Extensions.DependencyInjection;

namespace Loom.Actors.Tests.Hosting;

public sealed class LoomOptionsTests
{
    [Fact]
    public void The_defaults_are_valid()
    {
        // WithLoom does not validate the default limits: they must stay valid.
        Assert.True(new LoomOptionsValidator().Validate(new LoomOptions()).IsValid);
        Assert.Equal(ParseLimits.Default, new LoomOptions().Limits);
        // Nor the embedded store's default settings.
        Assert.True(new LoomOptionsValidator().Validate(new LoomOptions { Persistence = LoomPersistenceOptions.Embedded("ws/.loom") }).IsValid);
    }

    [Fact]
    public void WithLoom_refuses_an_embedded_store_with_a_host_journal()
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "loom-options");
        var error = Assert.Throws<ValidationException>(() =>
            builder.WithLoom(o => o.Persistence = LoomPersistenceOptions.Embedded("/ws/.loom") with { JournalPluginId = "akka.persistence.journal.mine" }));
        Assert.Contains("Journal Plugin Id", error.Message);
    }

    [Fact]
    public void WithLoom_refuses_limits_out_of_range()
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "loom-options");
        var error = Assert.Throws<ValidationException>(() => builder.WithLoom(o => o.Limits = o.Limits with { MaxDepth = 1 }));
        Assert.Contains("Max Depth", error.Message);
    }

    [Fact]
    public void WithLoom_accepts_other_valid_limits()
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "loom-options");
        builder.WithLoom(o => o.Limits = o.Limits with { MaxJobs = 5, MaxDepth = 10_000 });
    }
}
