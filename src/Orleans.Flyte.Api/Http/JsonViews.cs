using System.Text.Json.Serialization.Metadata;

namespace Orleans.Flyte.Api.Http;

/// <summary>How views are written as JSON beyond the serializer's defaults.</summary>
public static class JsonViews
{
    /// <summary>
    /// Drops properties that are sequences of value tuples: System.Text.Json writes a tuple as an empty object, so such a
    /// convenience property (the inventory's <c>Slices</c>, a view over <c>Devices</c>) came out as <c>[{},{},…]</c>.
    /// The domain types keep them: stored events are hashed as they serialize today.
    /// </summary>
    public static void DropTupleSequences(JsonTypeInfo type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            if (IsTupleSequence(type.Properties[i].PropertyType))
            {
                type.Properties.RemoveAt(i);
            }
        }
    }

    private static bool IsTupleSequence(Type type) =>
        type != typeof(string) && type.GetInterfaces().Append(type).Any(i =>
            i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            && i.GetGenericArguments()[0] is { IsValueType: true, IsGenericType: true } element
            && element.FullName?.StartsWith("System.ValueTuple`", StringComparison.Ordinal) == true);
}
