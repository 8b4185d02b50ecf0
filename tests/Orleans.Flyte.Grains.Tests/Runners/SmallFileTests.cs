using System.Text;
using Orleans.Flyte.Grains.Runners.Local;

namespace Orleans.Flyte.Grains.Tests.Runners;

/// <summary>The runner's small-file writes: in place (the same file, so ext4 neither frees nor flushes its block), exactly
/// the new content whatever was there before, and a no-replace rename that never replaces.</summary>
public sealed class SmallFileTests : IDisposable
{
    private readonly string _root = Orleans.Flyte.Testing.ScratchDirectories.Create("small-file");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Overwrite_keeps_the_same_file_and_leaves_exactly_the_new_content()
    {
        var path = Path.Combine(_root, "status.json");
        SmallFile.Overwrite(path, "{\"phase\":\"Succeeded\",\"error\":\"a long earlier content\"}");
        using var earlier = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        SmallFile.Overwrite(path, "4242 17");

        File.ReadAllText(path).Should().Be("4242 17", "a shorter content is cut to its length");
        ReadAll(earlier).Should().Be("4242 17", "a handle opened before sees the new content: it is the same file, not a new one");
        SmallFile.Overwrite(path, "a longer content than the one before");
        File.ReadAllText(path).Should().Be("a longer content than the one before");
    }

    [Fact]
    public void Blanking_leaves_nothing_readable_of_what_was_there_and_the_next_overwrite_exactly_its_content()
    {
        var path = Path.Combine(_root, ".reusable");
        File.WriteAllText(path, "{\"phase\":\"Succeeded\",\"outputsJson\":\"{\\\"secret\\\":1}\"}");

        SmallFile.Blank(path);

        File.ReadAllBytes(path).Should().OnlyContain(b => b == 0);
        SmallFile.Overwrite(path, "4242 17");
        File.ReadAllText(path).Should().Be("4242 17");
    }

    [Fact]
    public void Overwriting_only_an_existing_file_creates_none()
    {
        var path = Path.Combine(_root, ".reusable");

        SmallFile.TryOverwriteExisting(path, "1 2").Should().BeFalse();
        File.Exists(path).Should().BeFalse();
        File.WriteAllText(path, "an earlier, longer status");
        SmallFile.TryOverwriteExisting(path, "1 2").Should().BeTrue();
        File.ReadAllText(path).Should().Be("1 2");
    }

    [Fact]
    public void A_no_replace_move_never_replaces_an_existing_file()
    {
        var source = Path.Combine(_root, "status.json.tmp");
        var destination = Path.Combine(_root, "status.json");
        File.WriteAllText(source, "lost");
        File.WriteAllText(destination, "succeeded");

        SmallFile.MoveNoReplace(source, destination).Should().BeFalse();
        File.ReadAllText(destination).Should().Be("succeeded", "the first final status stands");
        File.ReadAllText(source).Should().Be("lost");

        File.Delete(destination);
        SmallFile.MoveNoReplace(source, destination).Should().BeTrue();
        File.ReadAllText(destination).Should().Be("lost");
        File.Exists(source).Should().BeFalse();
    }

    [Fact]
    public void A_move_of_a_file_that_is_not_there_says_so_and_one_that_is_replaces_the_destination()
    {
        var pid = Path.Combine(_root, "pid");
        var temp = Path.Combine(_root, "status.json.tmp");

        SmallFile.TryMove(pid, temp).Should().BeFalse();
        File.Exists(temp).Should().BeFalse();
        File.WriteAllText(pid, "1 2");
        File.WriteAllText(temp, "old");
        SmallFile.TryMove(pid, temp).Should().BeTrue();
        File.ReadAllText(temp).Should().Be("1 2");
        File.Exists(pid).Should().BeFalse();
    }

    [Fact]
    public void Reading_a_prefix_reads_at_most_the_limit_and_null_for_no_file()
    {
        var path = Path.Combine(_root, "outputs.json");

        SmallFile.ReadPrefix(path, 10).Should().BeNull();
        File.WriteAllText(path, "0123456789abcdef");
        Encoding.UTF8.GetString(SmallFile.ReadPrefix(path, 10)!).Should().Be("0123456789");
        Encoding.UTF8.GetString(SmallFile.ReadPrefix(path, 100)!).Should().Be("0123456789abcdef");
        File.WriteAllText(path, string.Empty);
        SmallFile.ReadPrefix(path, 10).Should().BeEmpty();
    }

    private static string ReadAll(FileStream stream)
    {
        stream.Position = 0;
        using var reader = new StreamReader(stream, leaveOpen: true);
        return reader.ReadToEnd();
    }
}
