using Microsoft.Extensions.Hosting;

namespace OrderLib.Tests.WorkerProcess;

/// <summary>Stops the host gracefully when standard input reaches its end (the parent closed the pipe or died).</summary>
internal sealed class StopWhenStandardInputCloses(IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Console reads block; a pool thread waits for the end of input and is abandoned if the host stops first.
        var endOfInput = Task.Run(
            static () =>
            {
                while (Console.In.ReadLine() is not null)
                {
                }
            },
            CancellationToken.None);
        await Task.WhenAny(endOfInput, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
        if (endOfInput.IsCompleted)
        {
            lifetime.StopApplication();
        }
    }
}
