using System.Security.Cryptography;
using Orleans.Flyte.Abstractions.Artifacts;

namespace Orleans.Flyte.Grains.Tests.Runners;

public sealed class ArtifactStoreTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "artifact-store-tests", Guid.NewGuid().ToString("N"));

    public ArtifactStoreTests() => Directory.CreateDirectory(_scratch);

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private ArtifactStore Store(long max = 1024 * 1024) =>
        new(new ArtifactStoreOptions { Root = Path.Combine(_scratch, "store"), MaxArtifactBytes = max });

    private string Write(string relative, string content)
    {
        var path = Path.Combine(_scratch, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task A_file_is_stored_under_its_sha256_once()
    {
        var store = Store();
        var first = await store.PutFileAsync(Write("a.onnx", "weights"), "onnx");
        var again = await store.PutFileAsync(Write("b.onnx", "weights"), "onnx");

        first.Sha256.Should().Be(Convert.ToHexStringLower(SHA256.HashData("weights"u8.ToArray())));
        first.Size.Should().Be(7);
        again.Should().Be(first, "the same bytes are the same artifact");
        File.ReadAllText(store.PathOf(first)).Should().Be("weights");
        Directory.GetFiles(Path.Combine(store.Root, "files")).Should().HaveCount(1);
        Directory.GetFileSystemEntries(Path.Combine(store.Root, "incoming")).Should().BeEmpty("nothing staged is left behind");
    }

    [Fact]
    public async Task A_directory_is_addressed_by_its_contents_not_by_how_it_was_written()
    {
        var store = Store();
        Write("one/b/x.csv", "1,2");
        Write("one/a.csv", "3");
        Write("two/a.csv", "3");
        Write("two/b/x.csv", "1,2");

        var one = await store.PutDirectoryAsync(Path.Combine(_scratch, "one"), "parquet");
        var two = await store.PutDirectoryAsync(Path.Combine(_scratch, "two"), "parquet");

        two.Should().Be(one);
        one.IsDirectory.Should().BeTrue();
        one.Size.Should().Be(4);
        File.ReadAllText(Path.Combine(store.PathOf(one), "b", "x.csv")).Should().Be("1,2");

        Write("two/b/x.csv", "1,3");
        (await store.PutDirectoryAsync(Path.Combine(_scratch, "two"), "parquet")).Sha256.Should().NotBe(one.Sha256);
    }

    [Fact]
    public async Task An_artifact_over_the_limit_is_refused_and_nothing_is_stored()
    {
        var store = Store(max: 4);
        var file = () => store.PutFileAsync(Write("big.bin", "12345"), null);
        (await file.Should().ThrowAsync<ArtifactTooLargeException>()).Which.Message.Should().Contain("4 bytes");

        Write("dir/a", "123");
        Write("dir/b", "45");
        var directory = () => store.PutDirectoryAsync(Path.Combine(_scratch, "dir"), null);
        (await directory.Should().ThrowAsync<ArtifactTooLargeException>()).Which.Limit.Should().Be(4);

        Directory.Exists(Path.Combine(store.Root, "files")).Should().BeFalse();
        Directory.Exists(Path.Combine(store.Root, "directories")).Should().BeFalse();
        Directory.GetFileSystemEntries(Path.Combine(store.Root, "incoming")).Should().BeEmpty();
    }
}
