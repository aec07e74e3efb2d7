using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OrderLib.Tests.Hosting;

/// <summary>The hosted retention service (<c>AddRetention</c>, <see cref="OrderLibRetention"/>) over the in-memory store, on a fake clock.</summary>
public sealed class RetentionTests
{
    private const string Acme = "acme";
    private const string Beta = "beta";
    private static readonly DateTimeOffset Start = RetentionHarness.Start;
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Test]
    public async Task A_pass_runs_at_start_and_then_every_interval_pruning_each_client_and_logging_its_report()
    {
        await using var harness = RetentionHarness.Create(r =>
        {
            r.Interval = Hour;
            r.MaxAge = Day;
            r.KeepLatestPerJob = 1;
        });
        var report = await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded);
        var export = await harness.JobWithRunsAsync(Beta, "export", RunStatus.Failed, RunStatus.Cancelled, RunStatus.Succeeded);
        harness.Time.Advance(Day + Minute);

        await harness.StartAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Is.EqualTo(new[] { RunStatus.Succeeded }));
            Assert.That(await harness.StatusesAsync(Beta, export), Is.EqualTo(new[] { RunStatus.Succeeded }));
            Assert.That(harness.RetentionLines, Has.One.EqualTo(
                "Information OrderLib retention: client 'acme': deleted 2 run(s) (2 succeeded, 0 failed, 0 cancelled) of 1 job(s), finished before 2026-02-02T12:01:00.0000000+00:00, in 1 batch(es) taking 00:00:00"));
            Assert.That(harness.RetentionLines, Has.One.EqualTo(
                "Information OrderLib retention: client 'beta': deleted 2 run(s) (0 succeeded, 1 failed, 1 cancelled) of 1 job(s), finished before 2026-02-02T12:01:00.0000000+00:00, in 1 batch(es) taking 00:00:00"));
            Assert.That(harness.Store.Prunes.Select(p => p.Client.Value), Is.EqualTo(new[] { Acme, Beta }));
            Assert.That(harness.Store.Prunes.Select(p => p.Request).Distinct(), Is.EqualTo(new[] { new PruneRequest(Start + Minute, KeepLatestPerJob: 1) }));
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { Hour }));
        });

        // A newer run of the report: the one kept so far is no longer among the newest one, and goes at the next pass.
        await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded);
        await harness.AdvanceAsync(Hour - TimeSpan.FromSeconds(1));
        Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(2), "not an interval yet");
        await harness.AdvanceAsync(TimeSpan.FromSeconds(1));

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Is.EqualTo(new[] { RunStatus.Succeeded }));
            Assert.That(harness.RetentionLines, Has.Some.StartsWith("Information OrderLib retention: client 'acme': deleted 1 run(s) (1 succeeded, 0 failed, 0 cancelled) of 1 job(s), finished before 2026-02-02T13:01:00"));
            Assert.That(harness.RetentionLines, Has.One.EqualTo(
                "Debug OrderLib retention: client 'beta': nothing finished before 2026-02-02T13:01:00.0000000+00:00 to delete (1 batch(es) taking 00:00:00)"));
            Assert.That(harness.Store.ListCalls, Is.EqualTo(2));
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { Hour, Hour }));
        });
    }

    [Test]
    public async Task A_service_serving_some_clients_prunes_only_theirs_without_listing_the_clients()
    {
        await using var harness = RetentionHarness.Create(r => r.Clients = [Beta]);
        var report = await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded, RunStatus.Succeeded);
        var export = await harness.JobWithRunsAsync(Beta, "export", RunStatus.Succeeded, RunStatus.Succeeded);
        harness.Time.Advance(TimeSpan.FromDays(31));

        await harness.StartAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(2));
            Assert.That(await harness.StatusesAsync(Beta, export), Has.Length.EqualTo(1));
            Assert.That(harness.Store.ListCalls, Is.Zero);
            Assert.That(harness.Store.Prunes.Select(p => p.Client.Value), Is.EqualTo(new[] { Beta }));
        });
    }

    [Test]
    public async Task An_unavailable_database_is_logged_as_a_warning_and_the_next_interval_tries_again()
    {
        await using var harness = RetentionHarness.Create(r => r.Interval = Hour);
        var report = await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded, RunStatus.Succeeded);
        harness.Time.Advance(TimeSpan.FromDays(31));
        harness.Store.BeUnavailableFor(1);

        await harness.StartAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(2));
            Assert.That(harness.RetentionLines, Has.One.EqualTo(
                "Warning OrderLib retention: the database is unavailable (The database cannot be reached (test).); the pass stops, the next starts in 01:00:00"));
            Assert.That(harness.RetentionLines.Where(l => l.StartsWith("Error ", StringComparison.Ordinal)), Is.Empty, "an outage is not an error of the service");
        });

        await harness.AdvanceAsync(Hour);
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(1), "pruned at the next interval");
            Assert.That(harness.Service.ExecuteTask!.IsCompleted, Is.False, "still running");
        });
    }

    [Test]
    public async Task A_client_whose_prune_fails_is_logged_as_an_error_and_the_other_clients_are_still_pruned()
    {
        await using var harness = RetentionHarness.Create(r => r.Interval = Hour);
        var report = await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded, RunStatus.Succeeded);
        var export = await harness.JobWithRunsAsync(Beta, "export", RunStatus.Succeeded, RunStatus.Succeeded);
        harness.Time.Advance(TimeSpan.FromDays(31));
        harness.Store.FailingClient = new ClientId(Acme);

        await harness.StartAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(2));
            Assert.That(await harness.StatusesAsync(Beta, export), Has.Length.EqualTo(1));
            Assert.That(harness.RetentionLines, Has.One.EqualTo(
                "Error OrderLib retention: client 'acme': pruning failed; the pass goes on with the other clients | InvalidOperationException: pruning acme broke"));
        });

        harness.Store.FailingClient = null;
        await harness.AdvanceAsync(Hour);
        Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Pauses_between_batches_use_the_clock_and_the_next_pass_starts_one_interval_after_the_last_began()
    {
        await using var harness = RetentionHarness.Create(r =>
        {
            r.Interval = Hour;
            r.BatchSize = 1;
            r.PauseBetweenBatches = Minute;
        });
        var report = await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded, RunStatus.Failed, RunStatus.Succeeded);
        harness.Time.Advance(TimeSpan.FromDays(31));

        await harness.StartAsync(); // the first batch, then a pause
        Assert.That(await harness.StatusesAsync(Acme, report), Is.EqualTo(new[] { RunStatus.Failed, RunStatus.Succeeded }));
        for (var i = 0; i < 3; i++)
        {
            await harness.AdvanceAsync(Minute);
        }

        Assert.Multiple(async () =>
        {
            Assert.That(await harness.StatusesAsync(Acme, report), Is.EqualTo(new[] { RunStatus.Succeeded }));
            Assert.That(harness.RetentionLines, Has.Some.EndsWith("deleted 2 run(s) (1 succeeded, 1 failed, 0 cancelled) of 1 job(s), finished before 2026-02-03T12:00:00.0000000+00:00, in 4 batch(es) taking 00:03:00"));
            Assert.That(harness.Time.Sleeps, Is.EqualTo(new[] { Minute, Minute, Minute, Hour - (3 * Minute) }));
        });
    }

    [Test]
    public async Task Stopping_during_a_pause_between_batches_returns_promptly_and_keeps_what_was_deleted()
    {
        await using var harness = RetentionHarness.Create(r =>
        {
            r.BatchSize = 1;
            r.PauseBetweenBatches = Hour;
        });
        var report = await harness.JobWithRunsAsync(Acme, "report", RunStatus.Succeeded, RunStatus.Succeeded, RunStatus.Succeeded);
        harness.Time.Advance(TimeSpan.FromDays(31));
        await harness.StartAsync();

        var clock = Stopwatch.StartNew();
        await harness.Service.StopAsync(CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            Assert.That(harness.Service.ExecuteTask!.IsCompletedSuccessfully, Is.True);
            Assert.That(harness.Time.Sleeping, Is.Zero, "the pause was cancelled");
            Assert.That(await harness.StatusesAsync(Acme, report), Has.Length.EqualTo(2), "the first batch's deletion stays");
            Assert.That(harness.RetentionLines, Has.Some.EqualTo("Information OrderLib retention stopped"));
            Assert.That(harness.RetentionLines.Where(l => l.Contains("client 'acme'", StringComparison.Ordinal)), Is.Empty, "no report of a pass cut short");
        });
    }

    private static readonly (string Option, Action<OrderLibRetentionOptions> Break)[] InvalidOptions =
    [
        ("Clients", o => o.Clients = []),
        ("Clients", o => o.Clients = [" "]),
        ("Interval", o => o.Interval = TimeSpan.Zero),
        ("Interval", o => o.Interval = TimeSpan.FromDays(8)),
        ("MaxAge", o => o.MaxAge = TimeSpan.FromSeconds(-1)),
        ("MaxAge", o => o.MaxAge = TimeSpan.MaxValue),
        ("KeepLatestPerJob", o => o.KeepLatestPerJob = -1),
        ("BatchSize", o => o.BatchSize = 0),
        ("BatchSize", o => o.BatchSize = PruneRequest.MaxBatchSize + 1),
        ("PauseBetweenBatches", o => o.PauseBetweenBatches = TimeSpan.FromMilliseconds(-1)),
        ("PauseBetweenBatches", o => o.PauseBetweenBatches = TimeSpan.FromHours(2)),
    ];

    private static IEnumerable<TestCaseData> InvalidOptionCases() =>
        InvalidOptions.Select((c, i) => new TestCaseData(i).SetArgDisplayNames($"{c.Option}#{i}"));

    [TestCaseSource(nameof(InvalidOptionCases))]
    public async Task Invalid_options_stop_the_service_from_starting_with_a_message_naming_the_option(int index)
    {
        var (option, breakIt) = InvalidOptions[index];
        await using var harness = RetentionHarness.Create(breakIt);

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(() => harness.Service.StartAsync(CancellationToken.None));
        Assert.That(error!.Message, Does.StartWith("OrderLib retention option " + option));
    }

    [Test]
    public void A_retention_service_without_a_store_does_not_start()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddOrderLib().AddRetention();
        using var host = builder.Build();

        var error = Assert.ThrowsAsync<OrderLibConfigurationException>(() => host.StartAsync());
        Assert.That(error!.Message, Does.Contain("AddRetention needs a store"));
    }

    [Test]
    public void Default_options_prune_every_client_hourly_of_runs_finished_30_days_ago_in_batches_of_1000()
    {
        var options = new OrderLibRetentionOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.Clients, Is.Null);
            Assert.That(options.Interval, Is.EqualTo(Hour));
            Assert.That(options.MaxAge, Is.EqualTo(TimeSpan.FromDays(30)));
            Assert.That(options.KeepLatestPerJob, Is.Zero);
            Assert.That(options.BatchSize, Is.EqualTo(1000));
            Assert.That(options.PauseBetweenBatches, Is.EqualTo(TimeSpan.Zero));
        });
    }
}
