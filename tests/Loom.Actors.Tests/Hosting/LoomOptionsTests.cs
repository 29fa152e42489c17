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

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void WithLoom_refuses_a_group_commit_window_out_of_range(int milliseconds)
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "loom-options");
        var error = Assert.Throws<ValidationException>(() =>
            builder.WithLoom(o => o.Persistence = LoomPersistenceOptions.Embedded("/ws/.loom") with { GroupCommit = TimeSpan.FromMilliseconds(milliseconds) }));
        Assert.Contains("Group Commit", error.Message);
    }

    [Fact]
    public void A_group_commit_window_of_a_fraction_of_a_millisecond_reaches_the_journal()
    {
        // What WithLoomPersistence writes for a window of 1.5 ms, read back as the journal reads its section.
        var section = Akka.Configuration.ConfigurationFactory.ParseString("path = \"/ws/.loom/journal.db\", group-commit = 1.5ms");
        Assert.Equal(TimeSpan.FromMilliseconds(1.5), Loom.Actors.Persistence.SqlitePluginSettings.From(section).GroupCommit);
        Assert.Equal(TimeSpan.FromMilliseconds(2), Loom.Actors.Persistence.SqlitePluginSettings.From(Akka.Configuration.ConfigurationFactory.ParseString("path = \"/j.db\"")).GroupCommit);
    }

    [Theory]
    [InlineData("/ws/.loom", "Host=db;Database=loom", "Sqlite Folder")]
    [InlineData(null, "", "Postgres Connection String")]
    [InlineData(null, "Database=loom", "naming a host")]
    [InlineData(null, "Host=db;Nonsense=1", "naming a host")]
    public void WithLoom_refuses_a_postgres_store_set_wrongly(string? folder, string connectionString, string message)
    {
        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "loom-options");
        var error = Assert.Throws<ValidationException>(() =>
            builder.WithLoom(o => o.Persistence = new LoomPersistenceOptions { SqliteFolder = folder, PostgresConnectionString = connectionString }));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_postgres_store_is_valid_and_brings_its_own_plugins()
    {
        var persistence = new LoomPersistenceOptions { PostgresConnectionString = "Host=db;Port=5433;Username=loom;Database=runs" };
        Assert.True(new LoomPersistenceOptionsValidator().Validate(persistence).IsValid);
        Assert.Equal("akka.persistence.journal.loom-postgres", persistence.EffectiveJournalPluginId);
        Assert.Equal("akka.persistence.snapshot-store.loom-postgres", persistence.EffectiveSnapshotPluginId);
        Assert.Equal(LoomPersistenceOptions.PostgresQueryPluginId, persistence.OwnQueryPluginId);
        var withHostJournal = persistence with { JournalPluginId = "akka.persistence.journal.mine" };
        Assert.Contains(new LoomPersistenceOptionsValidator().Validate(withHostJournal).Errors, e => e.PropertyName == "JournalPluginId");
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
