using System.Collections.Concurrent;
using System.Diagnostics;

namespace OrderLib.Tests.MultiProcess;

/// <summary>
/// One running <c>OrderLib.Tests.WorkerProcess</c>: started with <c>dotnet &lt;dll&gt; args</c>, its output kept (the
/// last lines) for diagnostics, stopped gracefully by closing its standard input or killed with SIGKILL.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private const int KeptLines = 200;
    private const string DllName = "OrderLib.Tests.WorkerProcess.dll";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private WorkerProcess(string workerId, Process process)
    {
        WorkerId = workerId;
        _process = process;
    }

    public string WorkerId { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string OutputTail => string.Join('\n', _output);

    /// <summary>
    /// The worker process's entry assembly: next to the test assembly (the test project references the worker project,
    /// so the build copies it there with its runtimeconfig and deps files), or in the worker project's own output folder.
    /// </summary>
    public static string LocateDll()
    {
        var testDirectory = TestContext.CurrentContext.TestDirectory;
        var nextToTests = Path.Combine(testDirectory, DllName);
        if (File.Exists(nextToTests) && File.Exists(Path.ChangeExtension(nextToTests, ".runtimeconfig.json")))
        {
            return nextToTests;
        }

        // tests/OrderLib.Tests/bin/<configuration>/<tfm> -> tests/OrderLib.Tests.WorkerProcess/bin/<configuration>/<tfm>
        var tfm = new DirectoryInfo(testDirectory);
        var configuration = tfm.Parent;
        var testProject = configuration?.Parent?.Parent;
        if (testProject?.Parent is { } testsFolder)
        {
            var ownOutput = Path.Combine(testsFolder.FullName, "OrderLib.Tests.WorkerProcess", "bin", configuration!.Name, tfm.Name, DllName);
            if (File.Exists(ownOutput))
            {
                return ownOutput;
            }
        }

        Assert.Fail($"{DllName} was found neither in {testDirectory} nor in the worker project's bin folder; build OrderLib.sln first.");
        return null!;
    }

    /// <summary>Starts <c>dotnet &lt;dll&gt; &lt;arguments&gt;</c> with extra environment variables.</summary>
    public static WorkerProcess Start(string dll, string workerId, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet",
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var worker = new WorkerProcess(workerId, process);
        process.OutputDataReceived += (_, e) => worker.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => worker.Keep(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start the worker process {workerId}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Kills the process at once (SIGKILL), with any children, and waits for it to be gone.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit(10_000);
    }

    /// <summary>Closes the process's standard input, which makes it stop gracefully; kills it if it is still running after <paramref name="timeout"/>.</summary>
    /// <returns>True when it exited by itself.</returns>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited)
        {
            return true;
        }

        _process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return false;
        }
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // never started or already gone
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > KeptLines && _output.TryDequeue(out _))
        {
        }
    }
}
