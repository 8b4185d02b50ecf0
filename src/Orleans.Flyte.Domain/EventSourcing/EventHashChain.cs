using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.EventSourcing;

/// <summary>
/// Links each event of a stream to the one before it: hash(n) = SHA-256(hash(n-1), stream, version, type,
/// canonical JSON of the event including its metadata). Editing, inserting or deleting a stored event
/// breaks every later link, which <c>verify</c> detects. The hash is over the canonical form of the
/// deserialized event, so it does not depend on how PostgreSQL's jsonb reorders keys.
/// </summary>
public static class EventHashChain
{
    /// <summary>The "previous hash" of a stream's first event.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web);

    public static string EventTypeName(DomainEvent @event) => @event.GetType().Name;

    /// <summary>
    /// SHA-256 of the canonical JSON of the event's metadata alone. Stored beside the link (not part of it, so chains written
    /// before it still verify): when a link does not match, comparing this tells an edited principal, time or reason
    /// from an edited body.
    /// </summary>
    public static string MetadataHash(DomainEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var node = JsonSerializer.SerializeToNode(@event.Meta, s_options) ?? new JsonObject();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson.Serialize(node))));
    }

    public static string Link(string previousHash, string streamKey, long version, DomainEvent @event)
    {
        var node = JsonSerializer.SerializeToNode(@event, @event.GetType(), s_options) ?? new JsonObject();
        var payload = string.Join(
            '\n',
            previousHash,
            streamKey,
            version.ToString(CultureInfo.InvariantCulture),
            EventTypeName(@event),
            CanonicalJson.Serialize(node));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));
    }
}
