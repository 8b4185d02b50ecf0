using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace Orleans.Flyte.Api.Metrics;

/// <summary>
/// Exports one host's instruments of one <see cref="Meter"/> into a prometheus-net registry, under their own names (the
/// engine names them the Prometheus way). Only instruments of meters made by <paramref name="scope"/> are taken, so two
/// platforms in one process (tests) keep their figures apart. Counters become counters, histograms histograms with the
/// instrument's advised buckets, observable gauges gauges read at each scrape (their series are replaced each time, so a
/// slice that is given back or a schedule that stopped disappears).
/// </summary>
/// <remarks>Instruments created before this listener starts are picked up, but values recorded before it are not: start it
/// before the silo (<c>MapOrleansFlyteApi</c> runs before the host's services start).</remarks>
public sealed class MeterExport : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly MetricFactory _factory;
    private readonly ConcurrentBag<Exported> _gauges = [];

    public MeterExport(CollectorRegistry registry, object scope, string meterName)
    {
        ArgumentNullException.ThrowIfNull(registry);
        _factory = Prometheus.Metrics.WithCustomRegistry(registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (string.Equals(instrument.Meter.Name, meterName, StringComparison.Ordinal) && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                var exported = new Exported(_factory, instrument);
                if (exported.IsGauge)
                {
                    _gauges.Add(exported);
                }

                listener.EnableMeasurementEvents(instrument, exported);
            }
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Exported)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Exported)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Exported)state!).Record(value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(() =>
        {
            foreach (var gauge in _gauges)
            {
                gauge.Clear();
            }

            _listener.RecordObservableInstruments();
        });
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>One instrument's Prometheus side, made on its first measurement (when its label names are known).</summary>
    private sealed class Exported(MetricFactory factory, Instrument instrument)
    {
        private readonly Lock _gate = new();
        private volatile Collector? _collector;
        private string[] _labels = [];

        public bool IsGauge { get; } = instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal)
            || instrument.GetType().Name.StartsWith("UpDownCounter", StringComparison.Ordinal)
            || instrument.GetType().Name.StartsWith("Gauge", StringComparison.Ordinal);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var collector = _collector ?? Create(tags);
            var values = new string[_labels.Length];
            for (var i = 0; i < tags.Length && i < values.Length; i++)
            {
                // Instruments are recorded with their tags in one order; look the name up only if a caller differs.
                values[i] = string.Equals(tags[i].Key, _labels[i], StringComparison.Ordinal)
                    ? tags[i].Value?.ToString() ?? string.Empty
                    : Find(tags, _labels[i]);
            }

            for (var i = tags.Length; i < values.Length; i++)
            {
                values[i] = Find(tags, _labels[i]);
            }

            switch (collector)
            {
                case Counter counter:
                    counter.WithLabels(values).Inc(value);
                    break;
                case Histogram histogram:
                    histogram.WithLabels(values).Observe(value);
                    break;
                case Gauge gauge when instrument.GetType().Name.StartsWith("UpDownCounter", StringComparison.Ordinal):
                    gauge.WithLabels(values).Inc(value);
                    break;
                case Gauge gauge:
                    gauge.WithLabels(values).Set(value);
                    break;
            }
        }

        /// <summary>Drops every series of an observable gauge before it is read again.</summary>
        public void Clear()
        {
            if (_collector is Gauge gauge && !instrument.GetType().Name.StartsWith("UpDownCounter", StringComparison.Ordinal))
            {
                foreach (var labels in gauge.GetAllLabelValues().ToList())
                {
                    gauge.RemoveLabelled(labels);
                }
            }
        }

        private static string Find(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
        {
            foreach (var tag in tags)
            {
                if (string.Equals(tag.Key, name, StringComparison.Ordinal))
                {
                    return tag.Value?.ToString() ?? string.Empty;
                }
            }

            return string.Empty;
        }

        private Collector Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                labels[i] = tags[i].Key;
            }

            lock (_gate)
            {
                if (_collector is { } made)
                {
                    return made;
                }

                _labels = labels;
                var help = instrument.Description ?? instrument.Name;
                Collector collector = instrument switch
                {
                    Counter<long> or Counter<double> or Counter<int> => factory.CreateCounter(instrument.Name, help, labels),
                    Histogram<double> h => factory.CreateHistogram(instrument.Name, help, labels, new HistogramConfiguration
                    {
                        Buckets = h.Advice?.HistogramBucketBoundaries is { Count: > 0 } b ? [.. b] : Histogram.ExponentialBuckets(0.005, 2, 16),
                    }),
                    _ => factory.CreateGauge(instrument.Name, help, labels),
                };
                _collector = collector;
                return collector;
            }
        }
    }
}
