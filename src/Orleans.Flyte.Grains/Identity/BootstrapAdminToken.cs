using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions;
using Orleans.Flyte.Abstractions.Identity;
using Orleans.Flyte.Domain.Identity;
using Orleans.Runtime;

namespace Orleans.Flyte.Grains.Identity;

/// <summary>
/// A new installation's first administrator: when <see cref="IdentityOptions.BootstrapTokenFile"/> is set and the file does
/// not exist, a platform API token bound to cluster-admin is created once the silo is active and written there, readable by
/// its owner only. The log names the file, never the token. Losing the file and starting again makes a new token with a new
/// name (names are never reused) and leaves the old one valid until an administrator revokes it.
/// </summary>
public sealed class BootstrapAdminToken(IOptions<IdentityOptions> options, IGrainFactory grains, TimeProvider clock, ILogger<BootstrapAdminToken> log)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public const string Name = "bootstrap-admin";
    public const string Component = "bootstrap";

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(BootstrapAdminToken), ServiceLifecycleStage.Active, CreateAsync);

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        if (options.Value.BootstrapTokenFile is not { Length: > 0 } file)
        {
            return;
        }

        var path = Path.GetFullPath(file);
        if (File.Exists(path))
        {
            log.LogInformation("Admin token: {Path}", path);
            return;
        }

        CallContext.Set(CallContext.System(Component), null);
        var tokens = grains.GetGrain<IApiTokensGrain>(IApiTokensGrain.Key);
        var name = Name;
        for (var n = 2; await tokens.NameTaken(name); n++)
        {
            name = $"{Name}-{n}";
        }

        var (text, id, hash) = ApiTokenText.Generate();
        var token = await tokens.Create(new NewApiToken(id, name, CallContext.System(Component), null, hash))
            ?? throw new InvalidOperationException($"Another silo created the API token '{name}' at the same time; start again.");
        await grains.GetGrain<IRoleBindingsGrain>(IRoleBindingsGrain.Key).Grant(
            token.Principal, Roles.ClusterAdmin, AccessScope.Cluster, $"bootstrap administrator of the installation, {clock.GetUtcNow():u}");

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        var stream = OperatingSystem.IsWindows()
            ? new FileStream(temporary, FileMode.Create, FileAccess.Write)
            : new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
        await using (stream)
        {
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text + "\n"), cancellationToken);
        }

        File.Move(temporary, path, overwrite: false);
        log.LogInformation(
            "Created the bootstrap cluster-admin API token '{Name}' and wrote it to {Path} (mode 0600). Pass it as " +
            "-H \"Authorization: Bearer $(cat {Path})\" or ORLEANS_FLYTE_TOKEN; create your own tokens and role bindings with it.",
            name, path, path);
    }
}
