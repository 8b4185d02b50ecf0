using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Flyte.Abstractions.Runners;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>The ordered status publication both runners use: in order, off the caller's thread, never backwards.</summary>
public sealed class AttemptStatusPublisherTests
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Publishing_returns_at_once_while_the_sink_is_busy_and_the_statuses_arrive_in_order_afterwards()
    {
        var sink = new GatedSink();
        var publisher = new AttemptStatusPublisher(sink, NullLogger.Instance);

        // The sink blocks its thread on the first call: had Publish run it on the caller's thread, this would hang.
        publisher.Publish(Status(AttemptPhase.Pending)).Should().BeTrue();
        await sink.Entered.Task.WaitAsync(s_deadline);
        publisher.Publish(Status(AttemptPhase.Running)).Should().BeTrue();
        publisher.Publish(Status(AttemptPhase.Succeeded)).Should().BeTrue();
        sink.Received.Should().ContainSingle("the later statuses wait for the first to be delivered");

        sink.Release.Set();
        await publisher.Delivered.WaitAsync(s_deadline);

        sink.Received.Select(s => s.Phase).Should().Equal(AttemptPhase.Pending, AttemptPhase.Running, AttemptPhase.Succeeded);
    }

    [Fact]
    public async Task A_status_that_would_move_the_attempt_backwards_or_replace_its_verdict_is_not_sent()
    {
        var sink = new RecordingSink();
        var publisher = new AttemptStatusPublisher(sink, NullLogger.Instance);

        var sent = new[]
        {
            publisher.Publish(Status(AttemptPhase.Running)),
            publisher.Publish(Status(AttemptPhase.Pending)),
            publisher.Publish(Status(AttemptPhase.Running)),
            publisher.Publish(Status(AttemptPhase.Failed, "exit code 1")),
            publisher.Publish(Status(AttemptPhase.Lost, "the pod was deleted before its task finished")),
            publisher.Publish(Status(AttemptPhase.Running)),
        };
        await publisher.Delivered.WaitAsync(s_deadline);

        sent.Should().Equal(true, false, false, true, false, false);
        sink.Of("a1").Select(s => (s.Phase, s.Error)).Should().Equal((AttemptPhase.Running, null), (AttemptPhase.Failed, "exit code 1"));
    }

    [Fact]
    public async Task A_sink_that_fails_does_not_stop_the_statuses_after_it()
    {
        var sink = new RecordingSink { Fail = true };
        var publisher = new AttemptStatusPublisher(sink, NullLogger.Instance);

        publisher.Publish(Status(AttemptPhase.Running));
        publisher.Publish(Status(AttemptPhase.Succeeded));
        await publisher.Delivered.WaitAsync(s_deadline);

        sink.Of("a1").Select(s => s.Phase).Should().Equal(AttemptPhase.Running, AttemptPhase.Succeeded);
    }

    [Fact]
    public async Task Under_concurrent_publishers_each_attempt_reaches_the_sink_one_call_at_a_time_moving_forward_to_one_verdict()
    {
        const int attempts = 200;
        const int racers = 6;
        var sink = new OverlapDetectingSink();
        var publishers = Enumerable.Range(0, attempts).Select(_ => new AttemptStatusPublisher(sink, NullLogger.Instance)).ToArray();
        AttemptPhase[] phases = [AttemptPhase.Pending, AttemptPhase.Running, AttemptPhase.Succeeded, AttemptPhase.Failed, AttemptPhase.Lost, AttemptPhase.Terminated];

        // Like a watch, a relist, a launch and a timer seeing the same pods: every racer publishes every attempt's
        // statuses, each in its own order.
        using var start = new Barrier(racers);
        var threads = Enumerable.Range(0, racers).Select(racer => Task.Factory.StartNew(
            () =>
            {
                var random = new Random(racer);
                start.SignalAndWait(s_deadline);
                for (var i = 0; i < attempts; i++)
                {
                    foreach (var phase in phases.OrderBy(_ => random.Next()))
                    {
                        publishers[i].Publish(new AttemptStatus($"a{i}", phase, Error: $"racer {racer}"));
                    }
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();
        await Task.WhenAll(threads).WaitAsync(s_deadline);
        await Task.WhenAll(publishers.Select(p => p.Delivered)).WaitAsync(s_deadline);

        sink.Overlaps.Should().Be(0, "one attempt's statuses are delivered one at a time");
        for (var i = 0; i < attempts; i++)
        {
            var received = sink.Of($"a{i}");
            received.Should().NotBeEmpty();
            received.Zip(received.Skip(1)).All(pair => pair.First.Precedes(pair.Second))
                .Should().BeTrue($"each status moves a{i} forward, but it received {string.Join(", ", received.Select(s => s.Phase))}");
            received.Count(s => s.IsTerminal).Should().Be(1);
            received[^1].IsTerminal.Should().BeTrue();
        }
    }

    private static AttemptStatus Status(AttemptPhase phase, string? error = null) => new("a1", phase, Error: error);

    /// <summary>Blocks its calling thread on the first status until released.</summary>
    private sealed class GatedSink : IAttemptStatusSink
    {
        public ManualResetEventSlim Release { get; } = new();

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<AttemptStatus> Received { get; } = new();

        public Task OnAttemptChangedAsync(AttemptStatus status)
        {
            Received.Enqueue(status);
            if (Entered.TrySetResult())
            {
                Release.Wait(s_deadline);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>Records statuses and counts calls for one attempt that overlapped, giving way mid-call to widen the window.</summary>
    private sealed class OverlapDetectingSink : IAttemptStatusSink
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<AttemptStatus>> _received = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, int> _inFlight = new(StringComparer.Ordinal);
        private int _overlaps;

        public int Overlaps => Volatile.Read(ref _overlaps);

        public IReadOnlyList<AttemptStatus> Of(string attemptId) =>
            _received.TryGetValue(attemptId, out var queue) ? [.. queue] : [];

        public async Task OnAttemptChangedAsync(AttemptStatus status)
        {
            if (_inFlight.AddOrUpdate(status.AttemptId, 1, (_, n) => n + 1) > 1)
            {
                Interlocked.Increment(ref _overlaps);
            }

            _received.GetOrAdd(status.AttemptId, _ => new()).Enqueue(status);
            await Task.Yield();
            _inFlight.AddOrUpdate(status.AttemptId, 0, (_, n) => n - 1);
        }
    }
}
