using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Kubernetes;

/// <summary>
/// Keeps the runner's view of its pods current, one loop per namespace it has used: list, then watch from the list's
/// resourceVersion (with a server-side timeout, then resumed from the last resourceVersion seen); a 410 Gone, whether an
/// HTTP status or the ERROR event the API server really sends, or any failure makes it list again (after
/// <see cref="KubernetesOptions.WatchRetryDelay"/> for failures). Every listed and watched pod goes to the
/// <see cref="IPodWatchListener"/>, and after each list the attempts whose pod is missing from it are reported vanished,
/// so a resync loses nothing: not a transition, not a pod deleted while nobody watched.
/// </summary>
internal sealed class PodWatch(IKubernetes client, KubernetesOptions options, IPodWatchListener listener, TimeProvider clock, ILogger log)
    : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task>> _namespaces = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private int _resyncs;

    /// <summary>How many times a watch was answered 410 Gone and the namespace listed again.</summary>
    public int Resyncs => Volatile.Read(ref _resyncs);

    /// <summary>Starts watching <paramref name="ns"/> unless that runs already (or the watch is stopped).</summary>
    public void Ensure(string ns)
    {
        if (!_namespaces.ContainsKey(ns))
        {
            // GetOrAdd may run its factory twice under a race; only the stored Lazy is ever started, so one loop per namespace.
            _ = _namespaces.GetOrAdd(ns, n => new Lazy<Task>(() => Task.Run(() => WatchAsync(n, _stopping.Token)))).Value;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await Task.WhenAll(_namespaces.Values.Select(watch => watch.Value));
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _stopping.Dispose();
    }

    /// <summary>List, then watch from the list's resourceVersion until the watch expires; list again on 410 Gone or an
    /// error. The list is what makes a resync lose nothing: every pod's current state is applied, and an attempt whose pod
    /// is missing from it is lost.</summary>
    private async Task WatchAsync(string ns, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var listedAt = clock.GetUtcNow();
                var list = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: PodNames.Selector, cancellationToken: stopping);
                var present = new HashSet<string>(StringComparer.Ordinal);
                foreach (var pod in list.Items)
                {
                    pod.Metadata.NamespaceProperty ??= ns;
                    if (listener.Observe(pod, deleted: false) is { } status)
                    {
                        present.Add(status.AttemptId);
                    }
                }

                ReportVanished(ns, present, listedAt);
                var resourceVersion = list.Metadata?.ResourceVersion;
                while (!stopping.IsCancellationRequested)
                {
                    var gone = false;
                    void OnError(Exception ex)
                    {
                        if (ex is KubernetesException { Status.Code: 410 })
                        {
                            gone = true;
                        }
                        else
                        {
                            log.LogWarning(ex, "Pod watch in {Namespace}: error event", ns);
                        }
                    }

                    var events = client.CoreV1.WatchListNamespacedPodAsync(
                        ns,
                        labelSelector: PodNames.Selector,
                        resourceVersion: resourceVersion,
                        allowWatchBookmarks: true,
                        timeoutSeconds: options.WatchTimeoutSeconds,
                        onError: OnError,
                        cancellationToken: stopping);
                    await foreach (var (type, pod) in events.WithCancellation(stopping))
                    {
                        resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
                        if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                        {
                            pod.Metadata!.NamespaceProperty ??= ns;
                            listener.Observe(pod, deleted: type == WatchEventType.Deleted);
                        }
                    }

                    if (gone)
                    {
                        break;
                    }
                }

                Interlocked.Increment(ref _resyncs);
                log.LogInformation("Pod watch in {Namespace} expired (410 Gone): listing again", ns);
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Gone)
            {
                Interlocked.Increment(ref _resyncs);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                log.LogWarning(ex, "Pod watch in {Namespace} failed; listing again in {Delay}", ns, options.WatchRetryDelay);
                try
                {
                    await Task.Delay(options.WatchRetryDelay, clock, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Attempts of <paramref name="ns"/> that were under way before the list began but have no pod in it: their
    /// pod was deleted while nobody watched.</summary>
    private void ReportVanished(string ns, HashSet<string> present, DateTimeOffset listedAt)
    {
        foreach (var attempt in listener.Attempts)
        {
            if (attempt.VanishedFrom(ns, present, listedAt))
            {
                listener.Vanished(attempt);
            }
        }
    }
}
