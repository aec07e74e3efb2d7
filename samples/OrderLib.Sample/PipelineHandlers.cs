using System.Globalization;

namespace OrderLib.Sample;

/// <summary>What the sample is told on the command line: where to write its files, and which job to fail on purpose (none when null).</summary>
internal sealed record SampleSettings(string OutputDirectory, string? FailJob);

/// <summary>The input the sample's trigger gives every run of its pipeline run: the day the pipeline processes.</summary>
/// <param name="Day">The day, <c>yyyy-MM-dd</c>.</param>
internal sealed record SampleInput(string Day)
{
    /// <summary>The label of the sample's pipeline runs.</summary>
    public const string Label = "sample";

    /// <summary>The day the sample processes.</summary>
    public const string SampleDay = "2026-11-29";

    /// <summary>The day of the run's input, or <see cref="SampleDay"/> when the run has none (enqueued by hand).</summary>
    public static string DayOf(JobExecutionContext context) => context.GetInput<SampleInput>()?.Day ?? SampleDay;
}

/// <summary>What each step records as its output: what it did, which its dependents' handlers read.</summary>
/// <param name="Did">The step's one-line summary.</param>
internal sealed record StepOutput(string Did);

/// <summary>One step of the sample pipeline: a job and the jobs it depends on.</summary>
/// <param name="Name">The job's name.</param>
/// <param name="Description">The job's description.</param>
/// <param name="DependsOn">The names of the jobs it depends on.</param>
internal sealed record PipelineStep(string Name, string Description, string[] DependsOn);

/// <summary>
/// The sample's work, one handler per job: small but real file processing in the output directory, deterministic (the
/// same input files and results every time; only the e-mail's Date header comes from the clock).
/// extract-orders and extract-customers → transform → report → email.
/// </summary>
internal sealed class PipelineHandlers(SampleSettings settings, TimeProvider time)
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly (string Name, string Country)[] Customers =
    [
        ("Ada Lovelace", "GB"), ("Grace Hopper", "US"), ("Alan Turing", "GB"), ("Edsger Dijkstra", "NL"),
        ("Barbara Liskov", "US"), ("Niklaus Wirth", "CH"), ("Margaret Hamilton", "US"), ("Donald Knuth", "US"),
    ];

    private readonly string directory = settings.OutputDirectory;

    /// <summary>The pipeline, upstream jobs before the jobs that depend on them.</summary>
    public static IReadOnlyList<PipelineStep> Steps { get; } =
    [
        new("extract-orders", "Extract the day's orders to orders.csv", []),
        new("extract-customers", "Extract the customer list to customers.csv", []),
        new("transform", "Join orders with customers and total them per customer", ["extract-orders", "extract-customers"]),
        new("report", "Write the revenue summary report.txt", ["transform"]),
        new("email", "Put the report in an e-mail, report.eml", ["report"]),
    ];

    private string OrdersCsv => Path.Combine(directory, "orders.csv");

    private string CustomersCsv => Path.Combine(directory, "customers.csv");

    private string TotalsCsv => Path.Combine(directory, "customer-totals.csv");

    private string ReportTxt => Path.Combine(directory, "report.txt");

    private string ReportEml => Path.Combine(directory, "report.eml");

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="context"/>'s run: prints what it does and what its upstream jobs
    /// recorded, fails on purpose when the job is <see cref="SampleSettings.FailJob"/>, records the work's summary as the
    /// run's output, and throws when the work fails (the worker reports the run Failed).
    /// </summary>
    public async Task RunAsync(JobExecutionContext context, Func<CancellationToken, Task<string>> work, CancellationToken cancellationToken)
    {
        var jobName = context.JobName;
        Console.WriteLine($"started   {jobName,-18} run {context.RunId}, attempt {context.Attempt}, as {context.WorkerId}, input {context.Input?.Json ?? "none"}");
        foreach (var upstream in await context.GetUpstreamOutputsAsync(cancellationToken))
        {
            Console.WriteLine($"upstream  {jobName,-18} <- {upstream.JobName}: {upstream.Output?.Deserialize<StepOutput>()?.Did ?? "no output"}");
        }

        try
        {
            if (jobName == settings.FailJob)
            {
                throw new InvalidOperationException($"{jobName} failed on purpose (Sample:FailJob={settings.FailJob}).");
            }

            var did = await work(cancellationToken);
            context.SetOutput(new StepOutput(did));
            Console.WriteLine($"succeeded {jobName,-18} {did}");
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            Console.WriteLine($"FAILED    {jobName,-18} {error.Message}");
            throw;
        }
    }

    /// <summary>extract-orders: writes orders.csv; says what it did.</summary>
    public async Task<string> ExtractOrdersAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var lines = new List<string> { "order_id,customer_id,amount" };
        for (var i = 1; i <= 60; i++)
        {
            var amount = 10m + (i * 3719 % 9000 / 100m);
            lines.Add(string.Create(Invariant, $"{1000 + i},{(i * 5 % Customers.Length) + 1},{amount:0.00}"));
        }

        await File.WriteAllLinesAsync(OrdersCsv, lines, cancellationToken);
        return $"wrote {lines.Count - 1} orders to {OrdersCsv}";
    }

    /// <summary>extract-customers: writes customers.csv; says what it did.</summary>
    public async Task<string> ExtractCustomersAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var lines = Customers.Select((c, i) => string.Create(Invariant, $"{i + 1},{c.Name},{c.Country}")).Prepend("customer_id,name,country");
        await File.WriteAllLinesAsync(CustomersCsv, lines, cancellationToken);
        return $"wrote {Customers.Length} customers to {CustomersCsv}";
    }

    /// <summary>transform: totals the orders per customer in customer-totals.csv; says what it did.</summary>
    public async Task<string> TransformAsync(CancellationToken cancellationToken)
    {
        var customers = (await ReadCsvAsync(CustomersCsv, cancellationToken)).ToDictionary(row => row[0], row => (Name: row[1], Country: row[2]));
        var orders = await ReadCsvAsync(OrdersCsv, cancellationToken);
        var totals = orders
            .GroupBy(row => customers.TryGetValue(row[1], out var customer)
                ? customer
                : throw new InvalidDataException($"Order {row[0]} names customer {row[1]}, who is not in {CustomersCsv}."))
            .Select(g => (Customer: g.Key, Orders: g.Count(), Total: g.Sum(row => decimal.Parse(row[2], Invariant))))
            .OrderByDescending(t => t.Total)
            .ThenBy(t => t.Customer.Name, StringComparer.Ordinal)
            .Select(t => string.Create(Invariant, $"{t.Customer.Name},{t.Customer.Country},{t.Orders},{t.Total:0.00}"))
            .Prepend("name,country,orders,total");
        await File.WriteAllLinesAsync(TotalsCsv, totals, cancellationToken);
        return $"totalled {orders.Count} orders for {customers.Count} customers in {TotalsCsv}";
    }

    /// <summary>report: writes report.txt for <paramref name="day"/>; says what it did.</summary>
    public async Task<string> ReportAsync(string day, CancellationToken cancellationToken)
    {
        var totals = (await ReadCsvAsync(TotalsCsv, cancellationToken))
            .Select(row => (Name: row[0], Country: row[1], Orders: int.Parse(row[2], Invariant), Total: decimal.Parse(row[3], Invariant)))
            .ToList();
        var lines = new List<string>
        {
            "Revenue report for " + day,
            new string('=', "Revenue report for ".Length + day.Length),
            string.Create(Invariant, $"{totals.Sum(t => t.Orders)} orders from {totals.Count} customers, revenue {totals.Sum(t => t.Total):N2}"),
            "",
            "Top customers:",
        };
        lines.AddRange(totals.Take(3).Select((t, i) => string.Create(Invariant, $"  {i + 1}. {t.Name,-18} {t.Country}  {t.Orders,2} orders  {t.Total,9:N2}")));
        lines.Add("");
        lines.Add("Revenue by country:");
        lines.AddRange(totals
            .GroupBy(t => t.Country)
            .Select(g => (Country: g.Key, Total: g.Sum(t => t.Total)))
            .OrderByDescending(c => c.Total)
            .Select(c => string.Create(Invariant, $"  {c.Country}  {c.Total,9:N2}")));
        await File.WriteAllLinesAsync(ReportTxt, lines, cancellationToken);
        return $"wrote {ReportTxt} ({lines[2]})";
    }

    /// <summary>email: puts report.txt in report.eml; says what it did.</summary>
    public async Task<string> EmailAsync(CancellationToken cancellationToken)
    {
        var report = await File.ReadAllLinesAsync(ReportTxt, cancellationToken);
        string[] headers =
        [
            "From: OrderLib sample <orderlib-sample@example.com>",
            "To: Sales <sales@example.com>",
            "Subject: " + report[0],
            "Date: " + time.GetUtcNow().ToString("r", Invariant),
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
        ];

        // RFC 5322: CRLF line ends, an empty line between the headers and the body.
        await File.WriteAllTextAsync(ReportEml, string.Join("\r\n", [.. headers, "", .. report, ""]), cancellationToken);
        return $"wrote {ReportEml} to sales@example.com";
    }

    /// <summary>Reads a CSV file written by an earlier step, without its header line.</summary>
    private static async Task<List<string[]>> ReadCsvAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} is missing: the step that writes it has not run.", path);
        }

        var lines = await File.ReadAllLinesAsync(path, cancellationToken);
        return lines.Skip(1).Select(line => line.Split(',')).ToList();
    }
}
