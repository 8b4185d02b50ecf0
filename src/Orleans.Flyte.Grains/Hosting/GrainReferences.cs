namespace Orleans.Flyte.Grains.Hosting;

/// <summary>
/// String-keyed grain references on the engine's hot paths. <c>GetGrain&lt;T&gt;(key)</c> resolves the interface's
/// <see cref="GrainInterfaceType"/> again on every call, reading the interface's attributes by reflection: about 4% of
/// the silo's CPU at full load, where every task node makes one reference to its task grain and one back to its
/// workflow. The types are resolved once per interface (they depend only on the interface and the loaded grain
/// classes, so every silo in a process agrees) and each reference is then made from its id directly.
/// <para>
/// The resolved pair is published as one object: held as a nullable struct it was written field by field, and a thread
/// reading it while another first wrote it could see it present with a default interface type, get an untyped
/// reference and fail its cast (seen at a silo's start: a workflow's first nodes not started until the next
/// supervision tick).
/// </para>
/// </summary>
public static class GrainReferences
{
    public static T Get<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        var types = Volatile.Read(ref Types<T>.Resolved);
        if (types is null)
        {
            types = Resolve<T>(grains);
            Volatile.Write(ref Types<T>.Resolved, types);
        }

        return (T)grains.GetGrain(GrainId.Create(types.Grain, key), types.Interface);
    }

    private static ResolvedTypes Resolve<T>(IGrainFactory grains) where T : IGrainWithStringKey
    {
        var probe = (GrainReference)(object)grains.GetGrain<T>("type-probe");
        return new ResolvedTypes(probe.GrainId.Type, probe.InterfaceType);
    }

    private sealed record ResolvedTypes(GrainType Grain, GrainInterfaceType Interface);

    private static class Types<T>
    {
        public static ResolvedTypes? Resolved;
    }
}
