using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// A deterministic JSON text for a JSON tree: object keys sorted ordinally at every level, no whitespace.
/// Equal trees give equal text, so a hash of it identifies content whatever the source format or key order.
/// </summary>
public static class CanonicalJson
{
    private static readonly JsonWriterOptions s_writer = new() { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(JsonNode? node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, s_writer))
        {
            Write(writer, node);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>
    /// Writes <paramref name="element"/> canonically: the same text <see cref="Serialize(JsonNode?)"/> gives for the
    /// tree parsed from it (keys sorted ordinally by their unescaped names, leaves written as they are), without building
    /// that tree.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, JsonElement element)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(writer, element);
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    /// <summary>
    /// An object's members sorted by name. Names written plainly in the source (printable ASCII, no escape: every name our
    /// serializer writes) sort and are written as their raw UTF-8 bytes, which for ASCII is the same order as ordinal
    /// string comparison and the same text; any other name set falls back to the unescaped strings. The members are held
    /// in a pooled array: no list, no name strings (a fifth of what the event store allocated went to these).
    /// </summary>
    private static void WriteObject(Utf8JsonWriter writer, JsonElement element)
    {
        var members = System.Buffers.ArrayPool<JsonProperty>.Shared.Rent(16);
        var count = 0;
        var plain = true;
        try
        {
            foreach (var property in element.EnumerateObject())
            {
                if (count == members.Length)
                {
                    var larger = System.Buffers.ArrayPool<JsonProperty>.Shared.Rent(count * 2);
                    members.AsSpan(0, count).CopyTo(larger);
                    System.Buffers.ArrayPool<JsonProperty>.Shared.Return(members, clearArray: true);
                    members = larger;
                }

                members[count++] = property;
                plain = plain && IsPlain(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property));
            }

            var sorted = members.AsSpan(0, count);
            if (plain)
            {
                sorted.Sort(static (a, b) => System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(a)
                    .SequenceCompareTo(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(b)));
            }
            else
            {
                sorted.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            }

            writer.WriteStartObject();
            foreach (var property in sorted)
            {
                if (plain)
                {
                    writer.WritePropertyName(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property));
                }
                else
                {
                    writer.WritePropertyName(property.Name);
                }

                Write(writer, property.Value);
            }

            writer.WriteEndObject();
        }
        finally
        {
            System.Buffers.ArrayPool<JsonProperty>.Shared.Return(members, clearArray: true);
        }
    }

    /// <summary>Printable ASCII without a quote or a backslash: the raw name is the name, byte for character.</summary>
    private static bool IsPlain(ReadOnlySpan<byte> name) =>
        !name.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E) && name.IndexOfAny((byte)'"', (byte)'\\') < 0;

    /// <summary>A writer with the options <see cref="Serialize(JsonNode?)"/> uses.</summary>
    public static Utf8JsonWriter Writer(System.Buffers.IBufferWriter<byte> output) => new(output, s_writer);

    public static string Sha256(string canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));

    private static void Write(Utf8JsonWriter writer, JsonNode? node)
    {
        switch (node)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonObject obj:
                writer.WriteStartObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(key);
                    Write(writer, value);
                }

                writer.WriteEndObject();
                break;
            case JsonArray array:
                writer.WriteStartArray();
                foreach (var item in array)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}

/// <param name="Existing">The stored value as canonical JSON; null where the stored document has no such field.</param>
/// <param name="Submitted">The submitted value as canonical JSON; null where the submitted document has no such field.</param>
public sealed record SpecDifference(string Pointer, string? Existing, string? Submitted);

/// <summary>Leaf-level differences between two JSON trees, for 409 responses that show what changed.</summary>
public static class SpecDiff
{
    /// <remarks>
    /// Objects present on both sides are compared field by field and lists item by item; a field or item present on
    /// one side only is one difference holding its whole value. A null argument means "no document".
    /// </remarks>
    public static IReadOnlyList<SpecDifference> Compare(JsonNode? existing, JsonNode? submitted)
    {
        var differences = new List<SpecDifference>();
        Walk(string.Empty, (existing, existing is not null), (submitted, submitted is not null), differences);
        return [.. differences.OrderBy(d => d.Pointer, StringComparer.Ordinal)];
    }

    private static void Walk(string pointer, (JsonNode? Node, bool Present) a, (JsonNode? Node, bool Present) b, List<SpecDifference> differences)
    {
        if (a.Node is JsonObject oa && b.Node is JsonObject ob)
        {
            foreach (var key in oa.Select(p => p.Key).Union(ob.Select(p => p.Key), StringComparer.Ordinal))
            {
                var inA = oa.TryGetPropertyValue(key, out var va);
                var inB = ob.TryGetPropertyValue(key, out var vb);
                Walk(JsonPointer.Append(pointer, key), (va, inA), (vb, inB), differences);
            }

            return;
        }

        if (a.Node is JsonArray la && b.Node is JsonArray lb)
        {
            for (var i = 0; i < Math.Max(la.Count, lb.Count); i++)
            {
                Walk(JsonPointer.Append(pointer, i), (i < la.Count ? la[i] : null, i < la.Count), (i < lb.Count ? lb[i] : null, i < lb.Count), differences);
            }

            return;
        }

        var left = a.Present ? CanonicalJson.Serialize(a.Node) : null;
        var right = b.Present ? CanonicalJson.Serialize(b.Node) : null;
        if (!string.Equals(left, right, StringComparison.Ordinal))
        {
            differences.Add(new SpecDifference(pointer, left, right));
        }
    }
}
