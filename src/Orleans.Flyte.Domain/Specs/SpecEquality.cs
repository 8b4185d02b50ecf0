namespace Orleans.Flyte.Domain.Specs;

internal static class SpecEquality
{
    public static bool Dictionaries<TValue>(IReadOnlyDictionary<string, TValue> a, IReadOnlyDictionary<string, TValue> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && EqualityComparer<TValue>.Default.Equals(p.Value, other));
}
