using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Orleans.Flyte.Kubernetes.Tests;

/// <summary>
/// A stand-in for the Kubernetes API server, for what the runner and node discovery use: pods (create, get, list,
/// watch, delete, log) and nodes (list, watch), with resourceVersions, 404/409 Status objects, and watches that answer
/// 410 Gone (an ERROR event carrying a Status, as the real server does) when asked to resume from a compacted
/// resourceVersion. Tests play the kubelet and scheduler: they move pods through phases and change nodes.
/// </summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Ns, string Name), V1Pod> _pods = [];
    private readonly Dictionary<string, V1Node> _nodes = new(StringComparer.Ordinal);
    private readonly List<Event> _history = [];
    private readonly List<Watcher> _watchers = [];
    private readonly Dictionary<(string Ns, string Name), string> _logs = [];
    private readonly List<JsonObject> _createdBodies = [];
    private WebApplication _app = null!;
    private long _resourceVersion = 100;
    private long _oldestWatchable;
    private int _goneAnswers;
    private int _podLists;
    private int _creates;

    public string Host { get; private set; } = string.Empty;

    /// <summary>Every pod body the runner POSTed, exactly as sent.</summary>
    public IReadOnlyList<JsonObject> CreatedBodies
    {
        get
        {
            lock (_gate)
            {
                return _createdBodies.ToList();
            }
        }
    }

    public int GoneAnswers => Volatile.Read(ref _goneAnswers);

    public int PodLists => Volatile.Read(ref _podLists);

    /// <summary>POSTs of pods, including those answered 409.</summary>
    public int CreateCalls => Volatile.Read(ref _creates);

    public int ActiveWatches
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var api = new FakeKubernetesApi();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/api/v1/namespaces/{ns}/pods", (string ns, HttpContext context) => api.CreatePod(ns, context));
        app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns, HttpContext context) => api.ListOrWatch("Pod", ns, context));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}", (string ns, string name) => api.GetPod(ns, name));
        app.MapDelete("/api/v1/namespaces/{ns}/pods/{name}", (string ns, string name) => api.DeletePod(ns, name));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", (string ns, string name) => api.PodLog(ns, name));
        app.MapGet("/api/v1/nodes", (HttpContext context) => api.ListOrWatch("Node", null, context));
        await app.StartAsync();
        api._app = app;
        api.Host = app.Urls.Single();
        return api;
    }

    public IKubernetes Client() => new k8s.Kubernetes(new KubernetesClientConfiguration { Host = Host });

    public IReadOnlyList<V1Pod> Pods()
    {
        lock (_gate)
        {
            return _pods.Values.Select(Clone).ToList();
        }
    }

    public V1Pod? Pod(string ns, string name)
    {
        lock (_gate)
        {
            return _pods.TryGetValue((ns, name), out var pod) ? Clone(pod) : null;
        }
    }

    /// <summary>Plays the kubelet: changes a pod and tells watchers (MODIFIED).</summary>
    public void UpdatePod(string ns, string name, Action<V1Pod> change)
    {
        lock (_gate)
        {
            var pod = _pods[(ns, name)];
            change(pod);
            Emit("Pod", WatchEventType.Modified, pod);
        }
    }

    public void SetLog(string ns, string name, string text)
    {
        lock (_gate)
        {
            _logs[(ns, name)] = text;
        }
    }

    /// <summary>Adds a pod as if someone else (an earlier silo) had created it, without recording it as created here.</summary>
    public void PutPod(V1Pod pod)
    {
        lock (_gate)
        {
            var key = (pod.Metadata.NamespaceProperty, pod.Metadata.Name);
            var type = _pods.ContainsKey(key) ? WatchEventType.Modified : WatchEventType.Added;
            _pods[key] = pod;
            Emit("Pod", type, pod);
        }
    }

    public void PutNode(V1Node node)
    {
        lock (_gate)
        {
            var type = _nodes.ContainsKey(node.Metadata.Name) ? WatchEventType.Modified : WatchEventType.Added;
            _nodes[node.Metadata.Name] = Clone(node);
            Emit("Node", type, _nodes[node.Metadata.Name]);
        }
    }

    public void DeleteNode(string name)
    {
        lock (_gate)
        {
            if (_nodes.Remove(name, out var node))
            {
                Emit("Node", WatchEventType.Deleted, node);
            }
        }
    }

    /// <summary>
    /// Ends every watch and compacts the history, so resuming from any resourceVersion seen so far is answered 410 Gone;
    /// <paramref name="meanwhile"/> then changes things that only a fresh list can reveal (no watcher is there to see it).
    /// </summary>
    public void ExpireWatches(Action? meanwhile = null)
    {
        lock (_gate)
        {
            _oldestWatchable = _resourceVersion + 1;
            _history.Clear();
            foreach (var watcher in _watchers)
            {
                watcher.Lines.Writer.TryComplete();
            }

            _watchers.Clear();
            meanwhile?.Invoke();
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Lines.Writer.TryComplete();
            }
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> CreatePod(string ns, HttpContext context)
    {
        Interlocked.Increment(ref _creates);
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var pod = KubernetesJson.Deserialize<V1Pod>(body);
        lock (_gate)
        {
            _createdBodies.Add(JsonNode.Parse(body)!.AsObject());
            if (_pods.ContainsKey((ns, pod.Metadata.Name)))
            {
                return StatusResult(409, "AlreadyExists", $"pods \"{pod.Metadata.Name}\" already exists");
            }

            pod.Metadata.NamespaceProperty = ns;
            pod.Metadata.Uid = Guid.NewGuid().ToString();
            pod.Metadata.CreationTimestamp = DateTime.UtcNow;
            pod.Status = new V1PodStatus { Phase = "Pending" };
            _pods[(ns, pod.Metadata.Name)] = pod;
            Emit("Pod", WatchEventType.Added, pod);
            return Json(pod, 201);
        }
    }

    private IResult GetPod(string ns, string name)
    {
        lock (_gate)
        {
            return _pods.TryGetValue((ns, name), out var pod) ? Json(pod, 200) : NotFound(name);
        }
    }

    private IResult DeletePod(string ns, string name)
    {
        lock (_gate)
        {
            if (!_pods.Remove((ns, name), out var pod))
            {
                return NotFound(name);
            }

            _logs.Remove((ns, name));
            Emit("Pod", WatchEventType.Deleted, pod);
            return Json(pod, 200);
        }
    }

    private IResult PodLog(string ns, string name)
    {
        lock (_gate)
        {
            return _pods.ContainsKey((ns, name))
                ? Results.Text(_logs.GetValueOrDefault((ns, name)) ?? string.Empty, "text/plain")
                : NotFound(name);
        }
    }

    private async Task ListOrWatch(string kind, string? ns, HttpContext context)
    {
        var query = context.Request.Query;
        var selector = Selector(query["labelSelector"].ToString());
        if (string.Equals(query["watch"], "true", StringComparison.OrdinalIgnoreCase))
        {
            await Watch(kind, ns, selector, query, context);
            return;
        }

        string json;
        lock (_gate)
        {
            var version = Math.Max(_resourceVersion, _oldestWatchable).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (kind == "Pod")
            {
                Interlocked.Increment(ref _podLists);
                var items = _pods.Values.Where(p => p.Metadata.NamespaceProperty == ns && Matches(selector, p.Metadata.Labels)).ToList();
                json = KubernetesJson.Serialize(new V1PodList { ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta { ResourceVersion = version }, Items = items });
            }
            else
            {
                json = KubernetesJson.Serialize(new V1NodeList { ApiVersion = "v1", Kind = "NodeList", Metadata = new V1ListMeta { ResourceVersion = version }, Items = _nodes.Values.ToList() });
            }
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(json);
    }

    private async Task Watch(string kind, string? ns, Dictionary<string, string?> selector, IQueryCollection query, HttpContext context)
    {
        var from = long.TryParse(query["resourceVersion"], out var v) ? v : (long?)null;
        var timeout = int.TryParse(query["timeoutSeconds"], out var t) ? TimeSpan.FromSeconds(t) : TimeSpan.FromMinutes(30);
        var watcher = new Watcher(kind, ns, selector);
        context.Response.ContentType = "application/json";
        lock (_gate)
        {
            if (from is { } start && start != 0 && start < _oldestWatchable)
            {
                Interlocked.Increment(ref _goneAnswers);
                watcher.Lines.Writer.TryWrite(Line("ERROR", StatusJson(410, "Expired", $"too old resource version: {start} ({_oldestWatchable})")));
                watcher.Lines.Writer.TryComplete();
            }
            else
            {
                foreach (var e in _history.Where(e => e.ResourceVersion > (from ?? long.MaxValue) && watcher.Wants(e)))
                {
                    watcher.Lines.Writer.TryWrite(e.Line);
                }

                _watchers.Add(watcher);
            }
        }

        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        expiry.CancelAfter(timeout);
        try
        {
            await context.Response.StartAsync(expiry.Token);
            await foreach (var line in watcher.Lines.Reader.ReadAllAsync(expiry.Token))
            {
                await context.Response.WriteAsync(line + "\n", expiry.Token);
                await context.Response.Body.FlushAsync(expiry.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Watch timeout or client gone: the stream ends.
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(watcher);
            }
        }
    }

    private void Emit(string kind, WatchEventType type, IKubernetesObject<V1ObjectMeta> obj)
    {
        obj.Metadata.ResourceVersion = (++_resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var e = new Event(_resourceVersion, kind, obj.Metadata.NamespaceProperty, obj.Metadata.Labels?.ToDictionary() ?? [], Line(type.ToString().ToUpperInvariant(), KubernetesJson.Serialize(obj)));
        _history.Add(e);
        foreach (var watcher in _watchers.Where(w => w.Wants(e)))
        {
            watcher.Lines.Writer.TryWrite(e.Line);
        }
    }

    private static string Line(string type, string objectJson) => $"{{\"type\":\"{type}\",\"object\":{objectJson}}}";

    private static Dictionary<string, string?> Selector(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(term => term.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length == 2 ? parts[1] : null);

    private static bool Matches(Dictionary<string, string?> selector, IDictionary<string, string>? labels) =>
        selector.All(s => labels is not null && labels.TryGetValue(s.Key, out var value) && (s.Value is null || s.Value == value));

    private static IResult Json(object obj, int code) => Results.Text(KubernetesJson.Serialize(obj), "application/json", statusCode: code);

    private static IResult NotFound(string name) => StatusResult(404, "NotFound", $"\"{name}\" not found");

    private static IResult StatusResult(int code, string reason, string message) =>
        Results.Text(StatusJson(code, reason, message), "application/json", statusCode: code);

    /// <summary>A metav1.Status, written by hand: KubernetesClient's V1Status converter only reads.</summary>
    private static string StatusJson(int code, string reason, string message) =>
        new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = message, ["reason"] = reason, ["code"] = code }.ToJsonString();

    private static T Clone<T>(T obj) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(obj));

    private sealed record Event(long ResourceVersion, string Kind, string? Namespace, Dictionary<string, string> Labels, string Line);

    private sealed class Watcher(string kind, string? ns, Dictionary<string, string?> selector)
    {
        public Channel<string> Lines { get; } = Channel.CreateUnbounded<string>();

        public bool Wants(Event e) => e.Kind == kind && (ns is null || e.Namespace == ns) && Matches(selector, e.Labels);
    }
}
