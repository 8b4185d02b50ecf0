using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>The store's side of artifact collection: what a pass may remove, and that a writer of the same bytes is never
/// left holding a reference to removed bytes.</summary>
public sealed class ArtifactRemovalTests : IDisposable
{
    private static readonly DateTime s_old = DateTime.UtcNow.AddDays(-3);
    private readonly string _scratch = Orleans.Flyte.Testing.ScratchDirectories.Create("artifact-removal");
    private readonly ArtifactStore _store;

    public ArtifactRemovalTests()
    {
        _store = new ArtifactStore(new ArtifactStoreOptions { Root = Path.Combine(_scratch, "store") });
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static DateTime Cutoff => DateTime.UtcNow.AddDays(-1);

    private async Task<ArtifactReference> Stored(string text, bool old = true)
    {
        var path = Path.Combine(_scratch, Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(path, text);
        var reference = await _store.PutFileAsync(path, null);
        if (old)
        {
            File.SetLastWriteTimeUtc(_store.PathOf(reference), s_old);
        }

        return reference;
    }

    [Fact]
    public async Task Only_artifacts_that_are_unreferenced_and_older_than_the_grace_period_are_removed()
    {
        var referenced = await Stored("referenced");
        var garbage = await Stored("garbage!");
        var fresh = await Stored("fresh", old: false);
        var directorySource = Path.Combine(_scratch, "tree");
        Directory.CreateDirectory(directorySource);
        await File.WriteAllTextAsync(Path.Combine(directorySource, "a"), "abc");
        var tree = await _store.PutDirectoryAsync(directorySource, null);
        Directory.SetLastWriteTimeUtc(_store.PathOf(tree), s_old);

        var removal = _store.RemoveUnreferenced(h => h == referenced.Sha256, Cutoff, max: 100);

        removal.Should().Be(new ArtifactRemoval(Objects: 2, Bytes: "garbage!".Length + 3, Kept: 2, Complete: true));
        _store.Contains(referenced).Should().BeTrue();
        _store.Contains(fresh).Should().BeTrue("within the grace period, referenced or not");
        _store.Contains(garbage).Should().BeFalse();
        _store.Contains(tree).Should().BeFalse();
        Directory.GetFileSystemEntries(Path.Combine(_store.Root, "trash")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_pass_removes_at_most_its_bound_and_the_next_pass_carries_on()
    {
        for (var i = 0; i < 5; i++)
        {
            await Stored($"garbage-{i}");
        }

        var first = _store.RemoveUnreferenced(_ => false, Cutoff, max: 2);
        var second = _store.RemoveUnreferenced(_ => false, Cutoff, max: 10);

        first.Objects.Should().Be(2);
        first.Complete.Should().BeFalse();
        second.Objects.Should().Be(3);
        second.Complete.Should().BeTrue();
    }

    [Fact]
    public async Task Storing_or_naming_an_old_artifact_again_starts_its_grace_period_again()
    {
        var uploaded = await Stored("uploaded long ago");
        var named = await Stored("named by a submission");

        (await Stored("uploaded long ago", old: false)).Should().Be(uploaded);
        _store.Touch(named).Should().BeTrue();
        var removal = _store.RemoveUnreferenced(_ => false, Cutoff, max: 10);

        removal.Objects.Should().Be(0);
        _store.Contains(uploaded).Should().BeTrue("the same bytes stored again are in use again");
        _store.Contains(named).Should().BeTrue();
        _store.Touch(new ArtifactReference(new string('0', 64), 1, IsDirectory: false)).Should().BeFalse("nothing to touch");
    }

    [Fact]
    public async Task Bytes_stored_again_after_a_pass_removed_them_are_there_again()
    {
        var gone = await Stored("removed then needed");
        _store.RemoveUnreferenced(_ => false, Cutoff, max: 10).Objects.Should().Be(1);

        var again = await Stored("removed then needed", old: false);

        again.Should().Be(gone);
        _store.Contains(again).Should().BeTrue();
    }

    [Fact]
    public async Task Staging_leftovers_older_than_the_grace_period_are_removed()
    {
        await Stored("anything", old: false);
        var leftover = Path.Combine(_store.Root, "incoming", "crashed-copy");
        await File.WriteAllTextAsync(leftover, "half");
        File.SetLastWriteTimeUtc(leftover, s_old);

        _store.RemoveUnreferenced(_ => false, Cutoff, max: 10);

        File.Exists(leftover).Should().BeFalse();
    }
}
