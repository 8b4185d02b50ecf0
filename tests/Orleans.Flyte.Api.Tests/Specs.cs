namespace Orleans.Flyte.Api.Tests;

/// <summary>Specs as an ML engineer would write them (the ARCHITECTURE.md sketch).</summary>
internal static class Specs
{
    public const string PrepareData = """
        name: prepare-data
        version: v1
        container: { image: registry.local/ml/prepare:1.0, command: [python, prepare.py] }
        resources: { cpu: "2", memory: 8Gi }
        inputs: { date: string }
        outputs: { path: string }
        """;

    public const string TrainModel = """
        name: train-model
        version: v3
        container: { image: registry.local/ml/train:1.4, command: [python, train.py], env: {SEED: "7"} }
        resources: { cpu: "4", memory: 32Gi, gpu: { profile: mig-5g.40gb, count: 1 } }
        inputs:  { dataset: string, epochs: int }
        outputs: { model_uri: string }
        retries: 2
        timeout: 2h
        cache: { enabled: true, version: "1" }
        """;

    /// <summary>The same task as <see cref="TrainModel"/>, as JSON with keys in another order.</summary>
    public const string TrainModelJson = """
        {
          "version": "v3",
          "name": "train-model",
          "timeout": "2h",
          "retries": 2,
          "cache": { "version": "1", "enabled": true },
          "outputs": { "model_uri": "string" },
          "inputs": { "epochs": "int", "dataset": "string" },
          "resources": { "memory": "32Gi", "cpu": "4", "gpu": { "count": 1, "profile": "mig-5g.40gb" } },
          "container": { "env": { "SEED": "7" }, "command": ["python", "train.py"], "image": "registry.local/ml/train:1.4" }
        }
        """;

    public const string TrainAlpha = """
        name: train-alpha
        version: v3
        inputs: { start_date: string, epochs: int }
        nodes:
          - id: prepare
            task: prepare-data@v1
            inputs: { date: "{{ inputs.start_date }}" }
          - id: train
            task: train-model
            inputs: { dataset: "{{ nodes.prepare.outputs.path }}", epochs: "{{ inputs.epochs }}" }
        outputs: { model: "{{ nodes.train.outputs.model_uri }}" }
        """;
}
