using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Flyte.Testing;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>
/// A test silo that reads it was declared dead stops its own host; Orleans' default would end the whole test process
/// (<c>Environment.FailFast</c>), and every test running in it.
/// </summary>
public sealed class TestSiloFatalErrorTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task A_test_silo_told_it_is_dead_stops_its_own_host_and_the_test_process_goes_on()
    {
        var work = ScratchDirectories.Create("fatal-work");
        try
        {
            using var silo = await PostgresSilo.StartAsync(database.ConnectionString, "fatal-" + Guid.NewGuid().ToString("N")[..8], work);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var whenStopped = silo.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(() => stopped.TrySetResult());

            // What Orleans' membership does when the table says this silo is dead.
            silo.Services.GetRequiredService<IFatalErrorHandler>().OnFatalException(this, "I have been told I am dead, so this silo will stop!");

            await stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            ScratchDirectories.Delete(work);
        }
    }
}
