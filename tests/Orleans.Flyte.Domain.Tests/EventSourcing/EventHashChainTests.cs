using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.EventSourcing;

/// <summary>
/// The hash chain's bytes may never change: every stored event was linked with them, and verify recomputes them. The links
/// are now written straight from the serialized event; these hold them equal to the way every stored chain was linked
/// (the event's JSON tree, written canonically, joined into a string) over random text in every kind of field.
/// </summary>
public sealed class EventHashChainTests
{
    private static readonly JsonSerializerOptions s_web = new(JsonSerializerDefaults.Web);

    [Fact]
    public void Links_and_metadata_hashes_are_the_bytes_stored_chains_were_linked_with()
    {
        Gen.Select(Gen.String, Gen.String, Gen.String, Gen.Long[0, long.MaxValue], Gen.Int, Gen.Bool)
            .Sample((text, key, other, version, number, flag) =>
            {
                foreach (var e in Events(text, key, other, number, flag))
                {
                    var stream = $"execution/{key}";
                    Same(() => EventHashChain.Link(EventHashChain.Genesis, stream, version, e), () => ReferenceLink(EventHashChain.Genesis, stream, version, e));
                    Same(() => EventHashChain.MetadataHash(e), () => ReferenceMetadataHash(e));
                }
            }, iter: 2_000);
    }

    [Fact]
    public void A_known_event_links_to_a_known_hash()
    {
        var e = new NodeReady("train", """{"lr":0.001,"name":"é \u2028 <b>"}""")
        {
            Meta = new EventMetadata(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero), "alice@example.com", "c-1", "because") { OnBehalfOf = "bob" },
        };

        EventHashChain.Link(EventHashChain.Genesis, "execution/x", 3, e).Should().Be(ReferenceLink(EventHashChain.Genesis, "execution/x", 3, e));
        EventHashChain.MetadataHash(e).Should().Be(ReferenceMetadataHash(e));
    }

    /// <summary>Equal answers, or both refuse (text no JSON writer can encode).</summary>
    private static void Same(Func<string> actual, Func<string> reference)
    {
        string? expected = null;
        Exception? refused = null;
        try
        {
            expected = reference();
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or JsonException)
        {
            refused = ex;
        }

        if (refused is null)
        {
            actual().Should().Be(expected);
        }
        else
        {
            actual.Should().Throw<Exception>();
        }
    }

    private static IEnumerable<DomainEvent> Events(string text, string key, string other, int number, bool flag)
    {
        var meta = new EventMetadata(DateTimeOffset.UnixEpoch.AddSeconds(Math.Abs(number % 2_000_000_000)), text, flag ? key : null, flag ? null : other)
        {
            OnBehalfOf = flag ? other : null,
        };
        var dictionary = new Dictionary<string, string> { [key] = text, [other + "z"] = key, ["a" + text] = other };
        var node = new PlanNode(key, $"{text}@v1", other, dictionary, [text, other]);
        var plan = new ExecutionPlan(text, other, flag, flag ? TimeSpan.FromSeconds(number & 0xFFFF) : null, [node], dictionary);
        yield return new ExecutionAccepted(key, text, other, plan, JsonObjectText(text, other), key, flag ? text : null, flag, null, other,
            flag ? key : null, flag ? meta.At : null, dictionary, number % 200, flag ? null : new ExecutionParent(key, text)) { Meta = meta };
        yield return new NodeReady(text, JsonObjectText(key, other)) { Meta = meta };
        yield return new AttemptFailed(number, AttemptFailure.Lost, text, flag ? number : null, flag) { Meta = meta };
        yield return new ExecutionFailed(other) { Meta = meta };
    }

    private static string JsonObjectText(string key, string value) => new JsonObject { [key] = value, ["n"] = 1.5e-3 }.ToJsonString();

    private static string ReferenceLink(string previousHash, string streamKey, long version, DomainEvent e)
    {
        var node = JsonSerializer.SerializeToNode(e, e.GetType(), s_web) ?? new JsonObject();
        var payload = string.Join('\n', previousHash, streamKey, version.ToString(CultureInfo.InvariantCulture), e.GetType().Name, CanonicalJson.Serialize(node));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(payload)));
    }

    private static string ReferenceMetadataHash(DomainEvent e)
    {
        var node = JsonSerializer.SerializeToNode(e.Meta, s_web) ?? new JsonObject();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson.Serialize(node))));
    }
}
