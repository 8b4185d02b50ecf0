using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.LaunchPlans;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.EventSourcing;

namespace Orleans.Flyte.Grains.Tests.EventSourcing;

/// <summary>
/// The loop behind <c>EventSourcedGrain.DecideAndRecord</c> with the real launch plan decider, over one stream played out
/// in memory: another writer can append first, as a second activation does in a split brain, and then the stream is
/// re-read. The real race on real silos and PostgreSQL is in <c>LaunchPlanRaceTests</c> and the two-silo schedule tests.
/// </summary>
public sealed class ConditionalRecordingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly ScheduleSpec SkipEveryTen = LaunchPlanSpecReader.Read(SpecDocument.Parse(
        "name: p\nversion: v1\nworkflow: w@v1\nschedule: { cron: \"*/10 * * * *\", overlap: skip }").Value!).Value!.Schedule!;

    [Fact]
    public async Task A_lost_race_learns_again_and_decides_again_on_the_re_read_state()
    {
        var stream = new RacedStream();
        stream.OtherWriterAppendsFirst(Fired(10));
        var learned = 0;

        var step = await Tick(stream, minute: 10, learn: () => learned++);

        step.Fires.Should().BeEmpty("the other activation already fired instant 10");
        learned.Should().Be(2, "facts learned for the stale state may not hold for the fresh one");
        stream.Stored.OfType<LaunchPlanFired>().Should().ContainSingle().Which.ExecutionId.Should().Be("v1-10");
    }

    [Fact]
    public async Task A_decision_that_records_nothing_writes_nothing_and_runs_no_before_write_step()
    {
        var stream = new RacedStream();
        var beforeWrites = 0;

        var step = await Tick(stream, minute: 5, beforeWrite: () => beforeWrites++);

        step.Should().BeEquivalentTo(new ScheduleStep(true, [], T0.AddMinutes(10)));
        stream.Writes.Should().Be(0);
        beforeWrites.Should().Be(0);
    }

    [Fact]
    public async Task What_must_be_durable_before_the_events_is_done_before_every_write_of_them()
    {
        var stream = new RacedStream();
        stream.OtherWriterAppendsFirst(new LaunchPlanPaused("v1"), new LaunchPlanResumed("v1"));
        var beforeWrites = 0;

        var step = await Tick(stream, minute: 10, beforeWrite: () => beforeWrites++);

        step.Fires.Should().ContainSingle("the resume happened before instant 10");
        beforeWrites.Should().Be(2, "once before the lost write and once before the won one");
    }

    [Fact]
    public async Task A_stream_that_moved_while_the_grain_was_learning_is_decided_on_again_before_anything_is_written()
    {
        var stream = new RacedStream();
        var first = true;

        var step = await Tick(stream, minute: 10, learn: () =>
        {
            if (first)
            {
                first = false;
                stream.Append(Fired(10)); // e.g. an interleaved call of a reentrant grain
            }
        });

        step.Fires.Should().BeEmpty();
        stream.Writes.Should().Be(0, "the stale decision was never written");
    }

    [Fact]
    public async Task Contention_that_never_ends_stops_after_a_bounded_number_of_decisions_with_an_exception_naming_the_grain()
    {
        var decisions = 0;

        var act = () => ConditionalRecording.DecideAndRecord<LaunchPlanState, bool, LaunchPlanEvent, bool>(
            "launchplan/lab/development/nightly", "lab/development:launchplan/lab/development/nightly",
            () => (new LaunchPlanState(), 0),
            _ => Task.FromResult(true),
            (_, _) =>
            {
                decisions++;
                return Decision<LaunchPlanEvent, bool>.Record(true, new LaunchPlanPaused("v1"));
            },
            beforeWrite: null,
            recordIfUnchanged: _ => Task.FromResult(false));

        (await act.Should().ThrowAsync<StreamContentionException>())
            .Which.Message.Should().Contain("launchplan/lab/development/nightly").And.Contain($"{ConditionalRecording.MaxAttempts} times");
        decisions.Should().Be(ConditionalRecording.MaxAttempts);
    }

    private static Task<ScheduleStep> Tick(RacedStream stream, int minute, Action? learn = null, Action? beforeWrite = null) =>
        ConditionalRecording.DecideAndRecord<LaunchPlanState, PreviousRun?, LaunchPlanEvent, ScheduleStep>(
            "launchplan/lab/development/nightly",
            "lab/development:launchplan/lab/development/nightly",
            () => (stream.State, stream.Position),
            state =>
            {
                learn?.Invoke();
                return Task.FromResult(state.LastFire is { } last ? new PreviousRun(last.ExecutionId, Running: true) : null);
            },
            (state, previous) => LaunchPlanSchedule.Decide(state, LaunchPlanSchedule.Firing(state, _ => SkipEveryTen), T0.AddMinutes(minute),
                TimeSpan.FromMinutes(1), previous, (version, at) => $"{version}-{(int)(at - T0).TotalMinutes}"),
            beforeWrite is null ? null : () =>
            {
                beforeWrite();
                return Task.CompletedTask;
            },
            stream.RecordIfUnchanged);

    private static LaunchPlanFired Fired(int minute) => new("v1", T0.AddMinutes(minute), $"v1-{minute}", false, null);

    /// <summary>One launch plan stream with v1 active since T0; what a won write appends, and what the other writer appends first.</summary>
    private sealed class RacedStream
    {
        private readonly Queue<LaunchPlanEvent[]> _others = new();

        public RacedStream() => Append(
            new LaunchPlanVersionRegistered("lab", "development", "nightly", "v1", "{}", "h", "w@v1", "{}",
                new ExecutionPlan("w", "v1", false, null, [], new Dictionary<string, string>())),
            new LaunchPlanActivated("v1", null));

        public LaunchPlanState State { get; } = new();

        public int Position => Stored.Count;

        public List<LaunchPlanEvent> Stored { get; } = [];

        public int Writes { get; private set; }

        public void OtherWriterAppendsFirst(params LaunchPlanEvent[] events) => _others.Enqueue(events);

        public void Append(params LaunchPlanEvent[] events)
        {
            foreach (var e in events.Select(e => e with { Meta = new EventMetadata(T0, "test", null, null) }))
            {
                Stored.Add(e);
                State.Apply(e);
            }
        }

        /// <summary>Loses when the other writer is due to append first (the grain then sees the stream with its events).</summary>
        public Task<bool> RecordIfUnchanged(IReadOnlyList<LaunchPlanEvent> events)
        {
            if (_others.TryDequeue(out var other))
            {
                Append(other);
                return Task.FromResult(false);
            }

            Writes++;
            Append([.. events]);
            return Task.FromResult(true);
        }
    }
}
