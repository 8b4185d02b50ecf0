namespace Orleans.Flyte.Grains.Hosting;

/// <summary>
/// String-keyed grain references on the engine's hot paths. <c>GetGrain&lt;T&gt;(key)</c> resolves the interface's
/// <see cref="GrainInterfaceType"/> again on every call, reading the interface's attributes by reflection: about 4% of
/// the silo's CPU at full load, where every task node makes one reference to its task grain and one back to its
/// workflow. The types are resolved once per interface (they depend only on the interface and the loaded grain
/// classes, so every silo in a process agrees) and each reference is then made from its id directly.
/// </summary>
public static class GrainReferences
{
    public static T Get<T>(this IGrainFactory grains, string key) where T : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(grains);
        var (grainType, interfaceType) = Types<T>.Resolved ??= Resolve<T>(grains);
        return (T)grains.GetGrain(GrainId.Create(grainType, key), interfaceType);
    }

    private static (GrainType, GrainInterfaceType) Resolve<T>(IGrainFactory grains) where T : IGrainWithStringKey
    {
        var probe = (GrainReference)(object)grains.GetGrain<T>("type-probe");
        return (probe.GrainId.Type, probe.InterfaceType);
    }

    private static class Types<T>
    {
        public static (GrainType, GrainInterfaceType)? Resolved;
    }
}
