using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Domain.Audit;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.EventSourcing;
using Orleans.Flyte.Testing;

namespace Orleans.Flyte.Grains.Tests.Audit;

/// <summary>
/// Tampering with the stored history, done the way an intruder with database access would (SQL on <c>mt_events</c>), is
/// found by verify and named: an edited body, an edited principal, a deleted, an inserted or two swapped events; a deleted
/// stream and a truncated tail through a digest saved before.
/// </summary>
public sealed class AuditVerifyTests : IAsyncLifetime
{
    private const string Tenant = "quant/development";
    private static readonly StreamAddress s_train = new(Tenant, "task/quant/development/train");
    private static readonly StreamAddress s_other = new(Tenant, "task/quant/development/score");

    private EventStoreHost _store = null!;

    private IEventStreamStore Store => _store.Services.GetRequiredService<IEventStreamStore>();

    private IAuditLog Audit => _store.Services.GetRequiredService<IAuditLog>();

    public async Task InitializeAsync()
    {
        _store = await EventStoreHost.StartAsync("audit");
        await Store.AppendAsync(s_train, 0, EventHashChain.Genesis, [.. Enumerable.Range(1, 5).Select(i => Registered("train", $"v{i}"))]);
        await Store.AppendAsync(s_other, 0, EventHashChain.Genesis, [Registered("score", "v1"), Registered("score", "v2")]);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    [Fact]
    public async Task An_untouched_history_verifies_intact_and_matches_its_own_digest()
    {
        var digest = await Audit.DigestAsync(Tenant);

        var report = await Audit.VerifyAsync(Tenant, digest);

        report.Intact.Should().BeTrue();
        report.Streams.Should().Be(2);
        report.Events.Should().Be(7);
        (report.Current?.Digest).Should().Be(digest.Digest);
    }

    [Fact]
    public async Task An_edited_body_is_named_at_its_version()
    {
        await Sql("update {events} set data = jsonb_set(data, '{Version}', '\"v9\"') where stream_id = @s and version = 3", s_train.Key);

        (await Single()).Should().Match<StreamDamage>(d => d.Stream == s_train.Key && d.FirstBrokenVersion == 3 && d.Damage == ChainDamage.EditedBody);
    }

    [Fact]
    public async Task An_edited_principal_is_named_as_edited_metadata()
    {
        await Sql("update {events} set data = jsonb_set(data, '{Meta,Principal}', '\"mallory\"') where stream_id = @s and version = 2", s_train.Key);

        (await Single()).Should().Match<StreamDamage>(d => d.FirstBrokenVersion == 2 && d.Damage == ChainDamage.EditedMetadata);
    }

    [Fact]
    public async Task A_deleted_event_is_named_missing()
    {
        await Sql("delete from {events} where stream_id = @s and version = 3", s_train.Key);

        (await Single()).Should().Match<StreamDamage>(d => d.FirstBrokenVersion == 3 && d.Damage == ChainDamage.Missing);
    }

    [Fact]
    public async Task A_deleted_event_with_the_later_versions_renumbered_is_named_missing()
    {
        await Sql("delete from {events} where stream_id = @s and version = 3", s_train.Key);
        await Sql("update {events} set version = version - 1 where stream_id = @s and version > 3", s_train.Key);

        (await Single()).Should().Match<StreamDamage>(d => d.FirstBrokenVersion == 3 && d.Damage == ChainDamage.Missing);
    }

    [Fact]
    public async Task An_inserted_event_is_named_inserted()
    {
        // Make room after version 2, then copy version 1 of the other stream (a well-formed event, a stranger here) into it.
        await Sql("update {events} set version = version + 100 where stream_id = @s and version > 2", s_train.Key);
        await Sql("update {events} set version = version - 99 where stream_id = @s and version > 100", s_train.Key);
        await Sql(
            """
            insert into {events} (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, headers, is_archived)
            select nextval(pg_get_serial_sequence('{events}', 'seq_id')), gen_random_uuid(), @s, 3, data, type, timestamp, tenant_id, mt_dotnet_type, headers, is_archived
            from {events} where stream_id = 'task/quant/development/score' and version = 1
            """,
            s_train.Key);

        (await Single()).Should().Match<StreamDamage>(d => d.FirstBrokenVersion == 3 && d.Damage == ChainDamage.Inserted);
    }

    [Fact]
    public async Task Two_swapped_events_are_named_reordered()
    {
        await Sql("update {events} set version = -1 where stream_id = @s and version = 3", s_train.Key);
        await Sql("update {events} set version = 3 where stream_id = @s and version = 4", s_train.Key);
        await Sql("update {events} set version = 4 where stream_id = @s and version = -1", s_train.Key);

        (await Single()).Should().Match<StreamDamage>(d => d.FirstBrokenVersion == 3 && d.Damage == ChainDamage.Reordered);
    }

    [Fact]
    public async Task A_deleted_stream_is_found_through_a_saved_digest()
    {
        var saved = await Audit.DigestAsync(Tenant);
        await Sql("delete from {events} where stream_id = @s", s_other.Key);
        await Sql("delete from {streams} where id = @s", s_other.Key);

        var report = await Audit.VerifyAsync(Tenant, saved);

        report.Intact.Should().BeFalse();
        report.Broken.Should().BeEmpty("what is left of the history is a valid chain: only the digest can tell");
        report.AgainstDigest.Should().ContainSingle(f => f.Damage == DigestDamage.StreamDeleted && f.Stream == s_other.Key);
    }

    [Fact]
    public async Task A_truncated_tail_is_found_through_a_saved_digest()
    {
        var saved = await Audit.DigestAsync(Tenant);
        await Sql("delete from {events} where stream_id = @s and version > 3", s_train.Key);
        await Sql("update {streams} set version = 3 where id = @s", s_train.Key);

        var report = await Audit.VerifyAsync(Tenant, saved);

        report.Broken.Should().BeEmpty();
        report.AgainstDigest.Should().Contain(f => f.Damage == DigestDamage.Truncated && f.Stream == s_train.Key);
        (await Audit.VerifyAsync(Tenant, null)).Intact.Should().BeTrue("without the digest a cut tail leaves a valid chain");
    }

    [Fact]
    public async Task A_saved_digest_that_was_edited_to_hide_a_deletion_is_itself_named()
    {
        var saved = await Audit.DigestAsync(Tenant);
        await Sql("delete from {events} where stream_id = @s", s_other.Key);

        var report = await Audit.VerifyAsync(Tenant, saved with { Streams = [.. saved.Streams.Where(h => h.Stream != s_other.Key)] });

        report.AgainstDigest.Should().Contain(f => f.Damage == DigestDamage.DigestAltered);
    }

    [Fact]
    public async Task A_verify_in_parts_walks_every_stream_once_and_finds_what_one_verify_finds()
    {
        // 1,200 more streams: with no time to spare, each part checks one group of 500 and names where the next starts.
        await Task.WhenAll(Enumerable.Range(0, 1200).Select(i =>
            Store.AppendAsync(new StreamAddress(Tenant, $"task/quant/development/t{i:D4}"), 0, EventHashChain.Genesis, [Registered($"t{i:D4}", "v1")])));
        var saved = await Audit.DigestAsync(Tenant);
        await Sql("delete from {events} where stream_id = @s", "task/quant/development/t0100");
        await Sql("update {events} set data = jsonb_set(data, '{Version}', '\"v9\"') where stream_id = @s", "task/quant/development/t1100");

        var parts = new List<VerifyReport>();
        string? cursor = null;
        do
        {
            var part = await Audit.VerifyAsync(Tenant, saved, cursor, TimeSpan.Zero);
            parts.Add(part);
            cursor = part.Next;
        }
        while (cursor is not null && parts.Count < 10);

        parts.Should().HaveCount(3, "1,201 streams remain, 500 a part");
        parts.Sum(p => p.Events).Should().Be(1206);
        parts.Sum(p => p.Streams).Should().Be(1201);
        parts.SelectMany(p => p.Broken).Should().ContainSingle(d => d.Stream == "task/quant/development/t1100" && d.Damage == ChainDamage.EditedBody);
        parts.SelectMany(p => p.AgainstDigest).Should().ContainSingle(f => f.Stream == "task/quant/development/t0100" && f.Damage == DigestDamage.StreamDeleted);
        parts[^1].Current.Should().NotBeNull("the last part carries the digest to keep");
        parts.Take(2).Should().OnlyContain(p => p.Current == null && p.Next != null);
        var whole = await Audit.VerifyAsync(Tenant, saved);
        whole.Broken.Should().BeEquivalentTo(parts.SelectMany(p => p.Broken));
        whole.AgainstDigest.Should().BeEquivalentTo(parts.SelectMany(p => p.AgainstDigest));
    }

    private async Task<StreamDamage> Single()
    {
        var report = await Audit.VerifyAsync(Tenant, null);
        report.Intact.Should().BeFalse();
        report.Broken.Should().ContainSingle();
        return report.Broken[0];
    }

    private async Task Sql(string sql, string stream)
    {
        await using var connection = new NpgsqlConnection(_store.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql.Replace("{events}", "flyte.mt_events").Replace("{streams}", "flyte.mt_streams"), connection);
        command.Parameters.AddWithValue("s", stream);
        (await command.ExecuteNonQueryAsync()).Should().BeGreaterThan(0, sql);
    }

    private static TaskVersionRegistered Registered(string name, string version) =>
        new("quant", "development", name, version, $$"""{"version":"{{version}}"}""", "hash-" + version)
        {
            Meta = new EventMetadata(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), "alice@example.com", "req-1", null),
        };
}
