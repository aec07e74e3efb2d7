using System.Globalization;

namespace OrderLib.Benchmarks;

/// <summary>What to run, from the command line. <see cref="Usage"/> lists every option.</summary>
internal sealed class BenchSettings
{
    public const string Usage = """
        OrderLib claim + complete benchmark.

        dotnet run -c Release --project benchmarks/OrderLib.Benchmarks -- [options]

          --provider LIST     sqlite, postgres (comma-separated)                default: sqlite,postgres
          --scenario LIST     what to measure (comma-separated)                 default: queue,dag
                                queue        independent ready runs, WorkerRunService claim + one report per run
                                dag          layered DAG enqueued by Runs.TriggerAsync, drained like queue
                                raw          hand-written reference queue (no OrderLib code): claim --raw-batch
                                             per statement (FOR UPDATE SKIP LOCKED / BEGIN IMMEDIATE), complete
                                             them in ONE statement (unnest / json_each); every drain case is
                                             also reported as a ratio to it
                                hosted       the queue drained by one hosted worker (generic host, AddWorker)
                                hosted-dag   the DAG drained by one hosted worker (--hosted-slots, --hosted-batch)
                                claim        ClaimAsync(100) latency, 1 worker, per history size
                                trigger      Runs.TriggerAsync of the DAG (no runs yet), --repeat times
                                add-dep      Dependencies.AddAsync on a --add-dep-layers x --add-dep-width graph
                                predecessor  --pred-jobs jobs defined through the API (one bulk call, then per
                                             call for comparison), triggered, run to the end
                                define       --define-jobs jobs + --define-edges edges in one Jobs.DefineGraphAsync
                                             on a fresh database, next to a hand-written reference (PostgreSQL:
                                             binary COPY; SQLite: prepared INSERTs), --repeat times
                                idle         PostgreSQL, notifications Listen and PollOnly, --repeat times each:
                                             statements/s of an idle hosted worker; enqueue through another
                                             store (own data source) -> handler start
                                sync         SQLite: the hosted drain with synchronous FULL and NORMAL, each
                                             round both, NORMAL/FULL ratio per round
                                queries      history searches through IOrderLib.History on a copy of the history
                                             template (every filter, common combinations, orderings, a second page,
                                             totals, job searches, statistics), each next to a hand-written SQL
                                             reference of the same shape, --query-calls calls per round; the export
                                             of every run vs a raw reader; the plans of OrderLib's SQL (docs/queries.md)
                                dashboard    every dashboard page over HTTP (loopback Kestrel) on a copy of the history
                                             template, server time per page next to a hand-written reference page
                                             (newest 50 runs, one plain statement), --query-calls calls per round
                                prune        History.PruneAsync of 90 % of the history while the hosted drain runs,
                                             next to the hosted drain alone, alternated each round
                                index-cost   the queue drain (--hosted-slots workers x --hosted-batch) on the template as
                                             migrated and on a copy without the history indexes (ix_job_runs_client_*), alternated
                                             each round; and the history migration's own time on the history template
          --issue             the throughput-issue set (docs/benchmarks.md): every scenario above, drains at
                              history 10000 only (claim at 10000 and 1000000), workers 16, batch 100,
                              --repeat 3, --no-explain, --quiet-wait 20, --noisy-retries 1
          --repeat N          measure each drain case, claim probe, trigger and predecessor N times
                              (drain cases in rounds: raw, queue, hosted, dag, raw, ...)  default: 1
          --drain-history LIST  history sizes at which raw/queue/hosted/dag run   default: every --history
          --history LIST      finished runs already in job_runs before each scenario
                                                                                default: 10000,1000000
          --history-jobs N    jobs the history is spread over                   default: 1000
          --workers LIST      concurrent workers (queue scenario)               default: 1,4,16
          --batch LIST        claim limit per ClaimAsync (queue scenario)       default: 1,100
          --runs N            ready runs enqueued (one per job) for the queue scenario, and drained
                              by its batch>1 cases                              default: 20000
          --runs-batch1 N     runs drained by the batch=1 cases (out of the --runs queued)
                                                                                default: same as --runs
          --dag-layers N      DAG layers below the root                         default: 20
          --dag-width N       jobs per DAG layer (each depends on 1 or 2 jobs of the layer above)
                                                                                default: 1000
          --dag-workers LIST  workers for the DAG scenario                      default: 16
          --dag-batch LIST    claim limit for the DAG scenario                  default: 100
          --raw-workers LIST  workers of the raw reference                      default: 16
          --raw-batch N       runs the raw reference claims per statement        default: 100
          --hosted-slots N    hosted worker Concurrency                          default: 16
          --hosted-batch N    hosted worker BatchSize                            default: 100
          --hosted-reports N  hosted worker CompletionConcurrency (reports in flight)
                                                                        default: the library's
          --claim-calls N     claims timed by the claim scenario                 default: 50
          --add-dep-layers N  layers of the add-dep graph (plus a root)          default: 100
          --add-dep-width N   jobs per layer of the add-dep graph                default: 1000
          --add-dep-calls N   AddAsync calls timed                               default: 200
          --pred-jobs N       predecessor workload: jobs                         default: 500
          --pred-layer N      jobs per layer (each later job depends on 1-2 of the layer above)
                                                                                default: 50
          --pred-seed N       random seed of the edges                           default: 42
          --pred-workers N    workers running it (claim + report)                default: 4
          --pred-batch N      their claim limit                                  default: 50
          --define-jobs N     define scenario: jobs                              default: 100000
          --define-edges N    define scenario: edges                             default: 200000
          --define-layer N    define scenario: jobs per layer (edges go one layer up)
                                                                                default: 1000
          --idle-seconds N    idle window of the idle scenario                   default: 10
          --idle-enqueues N   enqueues timed by the idle scenario                default: 50
          --query-calls N     timed calls of each query shape per round (queries)  default: 30
          --prune-pause MS    the prune scenario's PruneRequest.PauseBetweenBatches, in ms   default: 0
          --fill MODE         how the queue template gets its ready runs: "sql" enqueues --api-sample runs
                              through Runs.EnqueueAsync (timed) and the rest with one set-based INSERT,
                              checked column by column against the API's rows; "api" enqueues them all
                              through Runs.EnqueueAsync                         default: sql
          --api-sample N      runs enqueued through the API in --fill sql      default: 500
          --enqueue-workers N concurrent Runs.EnqueueAsync callers              default: 4
          --quiet-below F     before each case, wait until other processes use less than this share of
                              the CPU (measured over 2 s)                       default: 0.10
          --quiet-wait S      wait at most S seconds for that (0: never wait)   default: 180
          --noisy-above F     a case during which other processes used more than this share of the CPU
                              is measured again                                  default: 0.15
          --noisy-retries N   at most N times (0: never repeat)                 default: 2
          --no-explain        skip EXPLAIN of the claim on PostgreSQL
          --out FILE          also write the report (markdown) to FILE
          --work-dir DIR      where SQLite files and the throwaway PostgreSQL cluster live
                                                                                default: /tmp/orderlib-bench-<random>
          --quick             smoke run: history 1000,10000; 2000 runs; workers 1,4; DAG 5x200
          --help              this text

        PostgreSQL: a throwaway cluster is started from initdb/pg_ctl (fsync=off), unless the environment
        variable ORDERLIB_BENCH_POSTGRES holds an Npgsql connection string of a server where the user may
        create and drop databases.
        """;

    public IReadOnlyList<string> Providers { get; private set; } = ["sqlite", "postgres"];

    /// <summary>The history issue's scenarios (docs/queries.md); <c>--issue</c> (the throughput issue's set) leaves them out.</summary>
    public static readonly string[] HistoryScenarios = ["queries", "prune", "index-cost", "dashboard"];

    public static readonly string[] AllScenarios = ["queue", "dag", "raw", "hosted", "hosted-dag", "claim", "trigger", "add-dep", "predecessor", "define", "idle", "sync", .. HistoryScenarios];

    public IReadOnlyList<string> Scenarios { get; private set; } = ["queue", "dag"];

    public int Repeat { get; private set; } = 1;

    public IReadOnlyList<int>? DrainHistories { get; private set; }

    public IReadOnlyList<int> RawWorkers { get; private set; } = [16];

    public int RawBatch { get; private set; } = 100;

    public int HostedSlots { get; private set; } = 16;

    public int HostedBatch { get; private set; } = 100;

    public int? HostedReports { get; private set; }

    public int ClaimCalls { get; private set; } = 50;

    public int AddDepLayers { get; private set; } = 100;

    public int AddDepWidth { get; private set; } = 1000;

    public int AddDepCalls { get; private set; } = 200;

    public int PredJobs { get; private set; } = 500;

    public int PredLayer { get; private set; } = 50;

    public int PredSeed { get; private set; } = 42;

    public int PredWorkers { get; private set; } = 4;

    public int PredBatch { get; private set; } = 50;

    public int DefineJobs { get; private set; } = 100_000;

    public int DefineEdges { get; private set; } = 200_000;

    public int DefineLayer { get; private set; } = 1000;

    public int IdleSeconds { get; private set; } = 10;

    public int IdleEnqueues { get; private set; } = 50;

    public int QueryCalls { get; private set; } = 30;

    public int PrunePauseMs { get; private set; }

    public bool Issue { get; private set; }

    /// <summary>Whether the drain scenarios run at this history size.</summary>
    public bool DrainsAt(int history) => DrainHistories is null || DrainHistories.Contains(history);

    public bool Has(string scenario) => Scenarios.Contains(scenario);

    public IReadOnlyList<int> Histories { get; private set; } = [10_000, 1_000_000];

    public int HistoryJobs { get; private set; } = 1000;

    public IReadOnlyList<int> Workers { get; private set; } = [1, 4, 16];

    public IReadOnlyList<int> Batches { get; private set; } = [1, 100];

    public int Runs { get; private set; } = 20_000;

    public int? RunsBatch1 { get; private set; }

    public int DagLayers { get; private set; } = 20;

    public int DagWidth { get; private set; } = 1000;

    public IReadOnlyList<int> DagWorkers { get; private set; } = [16];

    public IReadOnlyList<int> DagBatches { get; private set; } = [100];

    public int EnqueueWorkers { get; private set; } = 4;

    public string Fill { get; private set; } = "sql";

    public int ApiSample { get; private set; } = 500;

    public bool Explain { get; private set; } = true;

    public double QuietBelow { get; private set; } = 0.10;

    public int QuietWaitSeconds { get; private set; } = 180;

    public double NoisyAbove { get; private set; } = 0.15;

    public int NoisyRetries { get; private set; } = 2;

    public bool Quick { get; private set; }

    public bool Help { get; private set; }

    public string? OutputPath { get; private set; }

    public string? WorkDirectory { get; private set; }

    /// <summary>Runs drained by a case with the given claim limit.</summary>
    public int RunsFor(int batch) => batch == 1 ? Math.Min(RunsBatch1 ?? Runs, Runs) : Runs;

    /// <summary>Parses the arguments; throws <see cref="ArgumentException"/> with a message for the user.</summary>
    public static BenchSettings Parse(IReadOnlyList<string> args)
    {
        var settings = new BenchSettings();
        if (args.Contains("--quick"))
        {
            settings.Quick = true;
            settings.Histories = [1000, 10_000];
            settings.Runs = 2000;
            settings.Workers = [1, 4];
            settings.DagLayers = 5;
            settings.DagWidth = 200;
            settings.DagWorkers = [4];
            settings.DagBatches = [100];
        }

        if (args.Contains("--issue"))
        {
            settings.Issue = true;
            settings.Scenarios = [.. AllScenarios.Except(HistoryScenarios)];
            settings.Histories = [10_000, 1_000_000];
            settings.DrainHistories = [10_000];
            settings.Workers = [16];
            settings.Batches = [100];
            settings.Repeat = 3;
            settings.Explain = false;
            settings.QuietWaitSeconds = 20;
            settings.NoisyRetries = 1;
        }

        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value()
            {
                if (i + 1 >= args.Count)
                {
                    throw new ArgumentException($"{name} needs a value.");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--quick" or "--issue":
                    break;
                case "--repeat":
                    settings.Repeat = Number(Value(), name, minimum: 1);
                    break;
                case "--drain-history":
                    settings.DrainHistories = Numbers(Value(), name, minimum: 0);
                    break;
                case "--raw-workers":
                    settings.RawWorkers = Numbers(Value(), name, minimum: 1);
                    break;
                case "--raw-batch":
                    settings.RawBatch = Number(Value(), name, minimum: 1, maximum: 10_000);
                    break;
                case "--hosted-slots":
                    settings.HostedSlots = Number(Value(), name, minimum: 1);
                    break;
                case "--hosted-batch":
                    settings.HostedBatch = Number(Value(), name, minimum: 1);
                    break;
                case "--hosted-reports":
                    settings.HostedReports = Number(Value(), name, minimum: 1, maximum: 16);
                    break;
                case "--claim-calls":
                    settings.ClaimCalls = Number(Value(), name, minimum: 1);
                    break;
                case "--add-dep-layers":
                    settings.AddDepLayers = Number(Value(), name, minimum: 3);
                    break;
                case "--add-dep-width":
                    settings.AddDepWidth = Number(Value(), name, minimum: 2);
                    break;
                case "--add-dep-calls":
                    settings.AddDepCalls = Number(Value(), name, minimum: 1);
                    break;
                case "--pred-jobs":
                    settings.PredJobs = Number(Value(), name, minimum: 1);
                    break;
                case "--pred-layer":
                    settings.PredLayer = Number(Value(), name, minimum: 1);
                    break;
                case "--pred-seed":
                    settings.PredSeed = Number(Value(), name, minimum: 0);
                    break;
                case "--pred-workers":
                    settings.PredWorkers = Number(Value(), name, minimum: 1);
                    break;
                case "--pred-batch":
                    settings.PredBatch = Number(Value(), name, minimum: 1, maximum: 1000);
                    break;
                case "--define-jobs":
                    settings.DefineJobs = Number(Value(), name, minimum: 2);
                    break;
                case "--define-edges":
                    settings.DefineEdges = Number(Value(), name, minimum: 0);
                    break;
                case "--define-layer":
                    settings.DefineLayer = Number(Value(), name, minimum: 1);
                    break;
                case "--idle-seconds":
                    settings.IdleSeconds = Number(Value(), name, minimum: 1);
                    break;
                case "--idle-enqueues":
                    settings.IdleEnqueues = Number(Value(), name, minimum: 1);
                    break;
                case "--query-calls":
                    settings.QueryCalls = Number(Value(), name, minimum: 1);
                    break;
                case "--prune-pause":
                    settings.PrunePauseMs = Number(Value(), name, minimum: 0);
                    break;
                case "--help" or "-h":
                    settings.Help = true;
                    break;
                case "--provider":
                    settings.Providers = Words(Value(), name, ["sqlite", "postgres"]);
                    break;
                case "--scenario":
                    settings.Scenarios = Words(Value(), name, AllScenarios);
                    break;
                case "--history":
                    settings.Histories = Numbers(Value(), name, minimum: 0);
                    break;
                case "--history-jobs":
                    settings.HistoryJobs = Number(Value(), name, minimum: 1);
                    break;
                case "--workers":
                    settings.Workers = Numbers(Value(), name, minimum: 1);
                    break;
                case "--batch":
                    settings.Batches = Numbers(Value(), name, minimum: 1, maximum: 1000);
                    break;
                case "--runs":
                    settings.Runs = Number(Value(), name, minimum: 1);
                    break;
                case "--runs-batch1":
                    settings.RunsBatch1 = Number(Value(), name, minimum: 1);
                    break;
                case "--dag-layers":
                    settings.DagLayers = Number(Value(), name, minimum: 1);
                    break;
                case "--dag-width":
                    settings.DagWidth = Number(Value(), name, minimum: 1);
                    break;
                case "--dag-workers":
                    settings.DagWorkers = Numbers(Value(), name, minimum: 1);
                    break;
                case "--dag-batch":
                    settings.DagBatches = Numbers(Value(), name, minimum: 1, maximum: 1000);
                    break;
                case "--fill":
                    settings.Fill = Words(Value(), name, ["sql", "api"])[0];
                    break;
                case "--api-sample":
                    settings.ApiSample = Number(Value(), name, minimum: 1);
                    break;
                case "--enqueue-workers":
                    settings.EnqueueWorkers = Number(Value(), name, minimum: 1);
                    break;
                case "--quiet-below":
                    settings.QuietBelow = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var share) && share is > 0 and <= 1
                        ? share
                        : throw new ArgumentException("--quiet-below takes a share between 0 and 1, e.g. 0.1.");
                    break;
                case "--quiet-wait":
                    settings.QuietWaitSeconds = Number(Value(), name, minimum: 0);
                    break;
                case "--noisy-above":
                    settings.NoisyAbove = double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out var noisy) && noisy is > 0 and <= 1
                        ? noisy
                        : throw new ArgumentException("--noisy-above takes a share between 0 and 1, e.g. 0.15.");
                    break;
                case "--noisy-retries":
                    settings.NoisyRetries = Number(Value(), name, minimum: 0);
                    break;
                case "--no-explain":
                    settings.Explain = false;
                    break;
                case "--out":
                    settings.OutputPath = Value();
                    break;
                case "--work-dir":
                    settings.WorkDirectory = Value();
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{name}'. Try --help.");
            }
        }

        return settings;
    }

    /// <summary>The settings as one line, for the report.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"providers={string.Join(',', Providers)} scenarios={string.Join(',', Scenarios)} history={string.Join(',', Histories)} " +
        $"history-jobs={HistoryJobs} workers={string.Join(',', Workers)} batch={string.Join(',', Batches)} runs={Runs} " +
        $"runs-batch1={RunsFor(1)} dag={DagLayers}x{DagWidth}+root dag-workers={string.Join(',', DagWorkers)} " +
        $"dag-batch={string.Join(',', DagBatches)} fill={Fill} api-sample={ApiSample} enqueue-workers={EnqueueWorkers} " +
        $"quiet-below={QuietBelow} quiet-wait={QuietWaitSeconds} noisy-above={NoisyAbove} noisy-retries={NoisyRetries} repeat={Repeat} " +
        $"drain-history={(DrainHistories is null ? "all" : string.Join(',', DrainHistories))} raw={string.Join(',', RawWorkers)}x{RawBatch} hosted={HostedSlots}x{HostedBatch}{(HostedReports is { } reports ? $"/{reports}reports" : "")} " +
        $"claim-calls={ClaimCalls} add-dep={AddDepLayers}x{AddDepWidth}:{AddDepCalls} pred={PredJobs}/{PredLayer}:seed{PredSeed}:{PredWorkers}x{PredBatch} " +
        $"define={DefineJobs}/{DefineEdges}/{DefineLayer} " +
        $"idle={IdleSeconds}s/{IdleEnqueues} query-calls={QueryCalls} prune-pause={PrunePauseMs}ms{(Quick ? " (quick)" : string.Empty)}{(Issue ? " (issue)" : string.Empty)}");

    private static string[] Words(string value, string option, string[] allowed)
    {
        var words = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(w => w.ToLowerInvariant())
            .Distinct()
            .ToArray();
        var unknown = words.Where(w => !allowed.Contains(w)).ToArray();
        if (words.Length == 0 || unknown.Length > 0)
        {
            throw new ArgumentException($"{option} takes {string.Join(", ", allowed)}; got '{value}'.");
        }

        return words;
    }

    private static int[] Numbers(string value, string option, int minimum, int maximum = int.MaxValue)
    {
        var numbers = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => Number(n, option, minimum, maximum))
            .Distinct()
            .ToArray();
        if (numbers.Length == 0)
        {
            throw new ArgumentException($"{option} needs at least one number.");
        }

        return numbers;
    }

    private static int Number(string value, string option, int minimum, int maximum = int.MaxValue)
    {
        var text = value.Replace("_", string.Empty, StringComparison.Ordinal);
        var multiplier = 1;
        if (text.EndsWith('k') || text.EndsWith('K'))
        {
            multiplier = 1000;
            text = text[..^1];
        }
        else if (text.EndsWith('m') || text.EndsWith('M'))
        {
            multiplier = 1_000_000;
            text = text[..^1];
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ||
            (long)number * multiplier < minimum || (long)number * multiplier > maximum)
        {
            throw new ArgumentException($"{option}: '{value}' is not a number from {minimum} to {maximum}.");
        }

        return number * multiplier;
    }
}
