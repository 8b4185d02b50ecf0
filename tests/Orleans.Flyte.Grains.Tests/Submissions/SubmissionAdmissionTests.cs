using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Flyte.Grains.Submissions;

namespace Orleans.Flyte.Grains.Tests.Submissions;

/// <summary>Fair admission of submissions: a bounded number at once, one queue per caller, served round-robin.</summary>
public sealed class SubmissionAdmissionTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-03T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private SubmissionAdmission Admission(int concurrent, int perCaller = 100, int total = 1000) =>
        new(Options.Create(new SubmissionAdmissionOptions { MaxConcurrent = concurrent, MaxWaitingPerCaller = perCaller, MaxWaiting = total }), _clock);

    [Fact]
    public async Task Admits_up_to_the_limit_at_once_and_queues_the_rest_until_a_turn_ends()
    {
        var admission = Admission(concurrent: 2);
        var first = await admission.EnterAsync("alice");
        var second = await admission.EnterAsync("alice");
        var third = admission.EnterAsync("alice");

        first.Turn.Should().NotBeNull();
        second.Turn.Should().NotBeNull();
        third.IsCompleted.Should().BeFalse("two turns are taken and the limit is two");
        admission.Waiting.Should().Be(1);

        first.Turn!.Dispose();
        var admitted = await third;
        admitted.Turn.Should().NotBeNull();
        admitted.Refusal.Should().BeNull();
        admission.Running.Should().Be(2, "the ended turn went to the waiting submission, not back to the pool");
        admission.Waiting.Should().Be(0);

        second.Turn!.Dispose();
        admitted.Turn!.Dispose();
        admission.Running.Should().Be(0);
    }

    [Fact]
    public async Task Waiting_callers_are_served_round_robin_so_a_burst_does_not_hold_back_another_caller()
    {
        var admission = Admission(concurrent: 1);
        var holder = await admission.EnterAsync("sweeper");
        var sweep = Enumerable.Range(0, 5).Select(i => (Who: $"sweeper#{i}", Entry: admission.EnterAsync("sweeper").AsTask())).ToList();
        var alice = (Who: "alice", Entry: admission.EnterAsync("alice").AsTask());
        var bob = (Who: "bob", Entry: admission.EnterAsync("bob").AsTask());
        var waiting = sweep.Append(alice).Append(bob).ToList();

        var order = new List<string>();
        var turn = holder.Turn!;
        for (var served = 0; served < waiting.Count; served++)
        {
            var pending = waiting.Where(w => !order.Contains(w.Who)).ToList();
            admission.Waiting.Should().Be(pending.Count, "nothing is admitted before a turn ends");
            turn.Dispose();
            var done = await Task.WhenAny(pending.Select(w => w.Entry));
            order.Add(pending.Single(w => w.Entry == done).Who);
            turn = (await done).Turn!;
        }

        turn.Dispose();
        order.Should().Equal("sweeper#0", "alice", "bob", "sweeper#1", "sweeper#2", "sweeper#3", "sweeper#4");
        admission.Running.Should().Be(0);
    }

    [Fact]
    public async Task A_caller_whose_queue_is_full_is_refused_with_a_retry_hint_while_others_still_queue()
    {
        var admission = Admission(concurrent: 1, perCaller: 2);
        var holder = await admission.EnterAsync("sweeper");
        var queued = new[] { admission.EnterAsync("sweeper").AsTask(), admission.EnterAsync("sweeper").AsTask() };

        var refused = await admission.EnterAsync("sweeper");
        refused.Turn.Should().BeNull();
        refused.Refusal!.Message.Should().Contain("2 of your submissions are already waiting").And.Contain("the most one caller may have waiting is 2");
        refused.Refusal.RetryAfter.Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(1)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(1));

        var alice = admission.EnterAsync("alice");
        alice.IsCompleted.Should().BeFalse("alice's own queue has room: she waits, she is not refused");
        admission.Waiting.Should().Be(3);

        holder.Turn!.Dispose();
        (await queued[0]).Turn!.Dispose();
        (await alice).Turn!.Dispose();
        var again = admission.EnterAsync("sweeper");
        again.IsCompleted.Should().BeFalse("with room in its queue again the sweeper waits instead of being refused");
        (await queued[1]).Turn!.Dispose();
        (await again).Turn!.Dispose();
        admission.Running.Should().Be(0);
        admission.Waiting.Should().Be(0);
    }

    [Fact]
    public async Task Everyone_is_refused_once_the_silo_queue_is_full()
    {
        var admission = Admission(concurrent: 1, perCaller: 2, total: 3);
        var holder = await admission.EnterAsync("a");
        var queued = new[] { admission.EnterAsync("a").AsTask(), admission.EnterAsync("b").AsTask(), admission.EnterAsync("c").AsTask() };

        var refused = await admission.EnterAsync("d");

        refused.Refusal!.Message.Should().Contain("3 submissions are already waiting on this server (at most 3)");
        holder.Turn!.Dispose();
        foreach (var entry in queued)
        {
            (await entry).Turn!.Dispose();
        }

        admission.Running.Should().Be(0);
    }

    [Fact]
    public async Task The_retry_hint_is_how_long_the_callers_queue_takes_at_the_rate_turns_were_handed_out()
    {
        var admission = Admission(concurrent: 1, perCaller: 10);

        // Two turns in one second: a drain rate of 2 per second.
        (await admission.EnterAsync("a")).Turn!.Dispose();
        (await admission.EnterAsync("a")).Turn!.Dispose();
        _clock.Advance(TimeSpan.FromSeconds(1));
        var holder = await admission.EnterAsync("a");
        var queued = Enumerable.Range(0, 10).Select(_ => admission.EnterAsync("a").AsTask()).ToList();

        var refused = await admission.EnterAsync("a");

        refused.Refusal!.RetryAfter.Should().Be(TimeSpan.FromSeconds(5), "ten waiting at two per second drain in five seconds");
        holder.Turn!.Dispose();
        foreach (var entry in queued)
        {
            (await entry).Turn!.Dispose();
        }
    }

    [Fact]
    public async Task Ending_a_turn_twice_hands_on_one_turn_only()
    {
        var admission = Admission(concurrent: 1);
        var first = await admission.EnterAsync("a");
        var second = admission.EnterAsync("a").AsTask();
        var third = admission.EnterAsync("a").AsTask();

        first.Turn!.Dispose();
        first.Turn.Dispose();

        (await second).Turn.Should().NotBeNull();
        admission.Waiting.Should().Be(1, "the second dispose of the same turn must not admit another submission");
        admission.Running.Should().Be(1);
        (await second).Turn!.Dispose();
        (await third).Turn!.Dispose();
        admission.Running.Should().Be(0);
    }

    [Fact]
    public async Task A_wait_given_up_leaves_the_queue_and_never_gets_a_turn()
    {
        var admission = Admission(concurrent: 1);
        var holder = await admission.EnterAsync("a");
        using var deadline = new CancellationTokenSource();
        var givenUp = admission.EnterAsync("a", deadline.Token).AsTask();
        var next = admission.EnterAsync("b").AsTask();
        admission.Waiting.Should().Be(2);

        await deadline.CancelAsync();

        await givenUp.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        admission.Waiting.Should().Be(1, "the wait given up no longer counts");
        holder.Turn!.Dispose();
        var turn = (await next).Turn!;
        admission.Running.Should().Be(1, "the turn went to the live wait, not the one given up");
        admission.Waiting.Should().Be(0);
        turn.Dispose();
        admission.Running.Should().Be(0);
    }

    [Fact]
    public async Task A_caller_whose_waits_were_all_given_up_drops_out_of_the_rotation()
    {
        var admission = Admission(concurrent: 1, perCaller: 2);
        var holder = await admission.EnterAsync("a");
        using var deadline = new CancellationTokenSource();
        var givenUp = new[] { admission.EnterAsync("a", deadline.Token).AsTask(), admission.EnterAsync("a", deadline.Token).AsTask() };
        await deadline.CancelAsync();
        foreach (var wait in givenUp)
        {
            await wait.Invoking(t => t).Should().ThrowAsync<OperationCanceledException>();
        }

        var again = admission.EnterAsync("a");
        again.IsCompleted.Should().BeFalse("its queue has room again, so the caller waits instead of being refused");
        holder.Turn!.Dispose();
        (await again).Turn!.Dispose();
        admission.Running.Should().Be(0);
        admission.Waiting.Should().Be(0);
    }

    [Theory]
    [InlineData(0, 10, 100)]
    [InlineData(4, -1, 100)]
    [InlineData(4, 100, 10)]
    public void Limits_that_make_no_sense_are_refused_at_start(int concurrent, int perCaller, int total)
    {
        var start = () => Admission(concurrent, perCaller, total);

        start.Should().Throw<OptionsValidationException>().WithMessage("*Flyte:Submissions*MaxConcurrent*");
    }
}
