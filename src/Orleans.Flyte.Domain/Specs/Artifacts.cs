using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>The formats a <c>file&lt;F&gt;</c> or <c>directory&lt;F&gt;</c> may name. A closed list, so a typo
/// (<c>file&lt;onxx&gt;</c>) is a 400 at registration instead of two types that never match.</summary>
public static class ArtifactFormats
{
    public static readonly IReadOnlyList<string> Known =
    [
        "bin", "csv", "h5", "jpeg", "json", "jsonl", "npy", "npz", "onnx", "parquet", "pickle", "png", "pt", "safetensors",
        "tar", "tfrecord", "txt", "yaml", "zip",
    ];

    public static bool IsKnown(string format) => Known.Contains(format, StringComparer.Ordinal);
}

/// <summary>
/// A <c>file</c> or <c>directory</c> value: where the artifact store keeps the bytes, addressed by their SHA-256, as it
/// appears in inputs and outputs (and so in the events): <c>{"uri":"artifact://files/&lt;sha256&gt;","sha256":"…","size":N}</c>,
/// plus <c>"format"</c> when the type names one. A directory's hash is that of its manifest (each file's relative path,
/// size and hash, sorted), its size the sum of its files.
/// </summary>
public sealed record ArtifactReference(string Sha256, long Size, bool IsDirectory, string? Format = null)
{
    public const string FilePrefix = "artifact://files/";
    public const string DirectoryPrefix = "artifact://directories/";

    public string Uri => (IsDirectory ? DirectoryPrefix : FilePrefix) + Sha256;

    /// <summary>The place under the store's root, with '/' separators: <c>files/&lt;sha256&gt;</c> or <c>directories/&lt;sha256&gt;</c>.</summary>
    public string RelativePath => Uri["artifact://".Length..];

    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["uri"] = Uri, ["sha256"] = Sha256, ["size"] = Size };
        if (Format is not null)
        {
            obj["format"] = Format;
        }

        return obj;
    }

    public static bool IsSha256(string? text) =>
        text is { Length: 64 } && text.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');

    /// <summary>Reads a reference; false for anything else (a path string, a hash that does not match its uri, …).</summary>
    public static bool TryRead(JsonNode? node, [NotNullWhen(true)] out ArtifactReference? reference)
    {
        reference = null;
        if (node is not JsonObject obj
            || obj["uri"] is not JsonValue uriValue || uriValue.GetValueKind() != JsonValueKind.String
            || obj["sha256"] is not JsonValue hashValue || hashValue.GetValueKind() != JsonValueKind.String
            || obj["size"] is not JsonValue sizeValue || !sizeValue.TryGetValue<long>(out var size) || size < 0)
        {
            return false;
        }

        var uri = uriValue.GetValue<string>();
        var hash = hashValue.GetValue<string>();
        var format = obj["format"] is JsonValue f && f.GetValueKind() == JsonValueKind.String ? f.GetValue<string>() : null;
        bool directory;
        if (uri == FilePrefix + hash)
        {
            directory = false;
        }
        else if (uri == DirectoryPrefix + hash)
        {
            directory = true;
        }
        else
        {
            return false;
        }

        if (!IsSha256(hash) || (format is not null && !ArtifactFormats.IsKnown(format)))
        {
            return false;
        }

        reference = new ArtifactReference(hash, size, directory, format);
        return true;
    }
}
