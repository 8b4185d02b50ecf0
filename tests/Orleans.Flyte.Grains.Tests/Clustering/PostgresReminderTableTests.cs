using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Flyte.Grains.Clustering;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Tests.Clustering;

/// <summary>The <see cref="IReminderTable"/> contract Orleans' reminder service relies on, against real PostgreSQL.</summary>
public sealed class PostgresReminderTableTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private static readonly DateTime _start = new(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

    [Fact]
    public async Task Upsert_read_and_remove_honour_etags()
    {
        var table = await NewTable();
        var grain = Grain("etags");

        var first = await table.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(1)));
        var read = await table.ReadRow(grain, "tick");
        var second = await table.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(2)));

        first.Should().NotBeNullOrEmpty();
        read.Should().BeEquivalentTo(Reminder(grain, "tick", TimeSpan.FromMinutes(1)), o => o.Excluding(r => r.ETag));
        read!.ETag.Should().Be(first);
        second.Should().NotBe(first, "every write gets a new etag");
        (await table.ReadRow(grain, "tick"))!.Period.Should().Be(TimeSpan.FromMinutes(2));

        (await table.RemoveRow(grain, "tick", first!)).Should().BeFalse("the etag is stale");
        (await table.ReadRow(grain, "tick")).Should().NotBeNull();
        (await table.RemoveRow(grain, "tick", second!)).Should().BeTrue();
        (await table.ReadRow(grain, "tick")).Should().BeNull();
        (await table.RemoveRow(grain, "tick", second!)).Should().BeFalse("it is gone");
    }

    [Fact]
    public async Task An_etag_from_before_a_remove_never_matches_the_reminder_written_again()
    {
        var table = await NewTable();
        var grain = Grain("reborn");
        var old = await table.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(1)));
        (await table.RemoveRow(grain, "tick", old!)).Should().BeTrue();

        await table.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(1)));

        (await table.RemoveRow(grain, "tick", old!)).Should().BeFalse();
        (await table.RemoveRow(grain, "tick", "not-an-etag")).Should().BeFalse();
    }

    [Fact]
    public async Task ReadRows_of_a_grain_returns_all_its_reminders_and_no_others()
    {
        var table = await NewTable();
        var grain = Grain("several");
        await table.UpsertRow(Reminder(grain, "a", TimeSpan.FromMinutes(1)));
        await table.UpsertRow(Reminder(grain, "b", TimeSpan.FromMinutes(1)));
        await table.UpsertRow(Reminder(Grain("other"), "a", TimeSpan.FromMinutes(1)));

        var rows = await table.ReadRows(grain);

        rows.Reminders.Select(r => r.ReminderName).Should().BeEquivalentTo(["a", "b"]);
        rows.Reminders.Should().OnlyContain(r => r.GrainId == grain);
        (await table.ReadRows(Grain("none"))).Reminders.Should().BeEmpty();
    }

    [Fact]
    public async Task Range_reads_follow_the_ring_begin_exclusive_end_inclusive_and_wrap_around()
    {
        var table = await NewTable();
        var grains = Enumerable.Range(0, 40).Select(i => Grain("ring-" + i)).ToList();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(1)));
        }

        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToList();
        (uint Begin, uint End)[] ranges =
        [
            (hashes[5], hashes[20]),                  // ordinary range, both bounds on stored hashes
            (hashes[5] - 1, hashes[5]),               // exactly one grain
            (hashes[30], hashes[10]),                 // wraps past the top of the ring
            (hashes[^1], hashes[0]),                  // wraps, holding exactly the first grain
            (0, uint.MaxValue),                       // everything but hash 0
            (hashes[12], hashes[12]),                 // begin == end: the whole ring
            (uint.MaxValue, 0),                       // wraps, holding only hash 0 (none here)
        ];

        foreach (var (begin, end) in ranges)
        {
            var expected = grains.Where(g => InRange(g.GetUniformHashCode(), begin, end));
            var rows = await table.ReadRows(begin, end);
            rows.Reminders.Select(r => r.GrainId).Should().BeEquivalentTo(expected, $"range ({begin}, {end}]");
        }

        (await table.ReadRows(hashes[5], hashes[20])).Reminders.Should().HaveCount(15);
        (await table.ReadRows(hashes[30], hashes[10])).Reminders.Should().HaveCount(9 + 11);
    }

    [Fact]
    public async Task Services_sharing_a_database_never_see_each_other()
    {
        var mine = await NewTable();
        var theirs = await NewTable();
        var grain = Grain("shared");
        await mine.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(1)));
        var theirEtag = await theirs.UpsertRow(Reminder(grain, "tick", TimeSpan.FromMinutes(9)));

        await mine.TestOnlyClearTable();

        (await mine.ReadRow(grain, "tick")).Should().BeNull();
        (await mine.ReadRows(0, 0)).Reminders.Should().BeEmpty();
        (await theirs.ReadRow(grain, "tick"))!.ETag.Should().Be(theirEtag);
        (await theirs.ReadRows(0, 0)).Reminders.Should().ContainSingle();
    }

    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private async Task<PostgresReminderTable> NewTable()
    {
        var serviceId = "reminders-" + Guid.NewGuid().ToString("N")[..12];
        var table = new PostgresReminderTable(database.Orleans, Options.Create(new ClusterOptions { ClusterId = "any", ServiceId = serviceId }));
        await table.StartAsync();
        return table;
    }

    private static GrainId Grain(string key) => GrainId.Create("reminder-test", key);

    private static ReminderEntry Reminder(GrainId grain, string name, TimeSpan period) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = _start,
        Period = period,
    };
}
