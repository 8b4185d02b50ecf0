using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Domain.Tests.Specs;

internal static class SpecSamples
{
    /// <summary>The task from ARCHITECTURE.md ("Specs"), as written there.</summary>
    public const string ArchitectureTaskYaml = """
        # task
        name: train-model
        version: v3
        container: { image: registry.local/ml/train:1.4, command: [python, train.py], env: {SEED: "7"} }
        resources: { cpu: "4", memory: 32Gi, gpu: { profile: mig-5g.40gb, count: 1 } }
        inputs:  { dataset: string, epochs: int }
        outputs: { model_uri: string }
        retries: 2
        timeout: 2h
        cache: { enabled: true, version: "1" }   # same task version + inputs -> reuse outputs
        """;

    /// <summary>The same task in JSON: other key order, long forms, another way to write the timeout and profile.</summary>
    public const string ArchitectureTaskJson = """
        {
          "version": "v3", "name": "train-model", "timeout": "PT2H", "retries": 2,
          "cache": { "version": "1", "enabled": true },
          "outputs": { "model_uri": { "type": "string" } },
          "inputs": { "epochs": { "type": "int" }, "dataset": "string" },
          "resources": { "memory": "32Gi", "cpu": "4", "gpu": { "count": 1, "profile": "nvidia.com/mig-5g.40gb" } },
          "container": { "env": { "SEED": "7" }, "command": ["python", "train.py"], "image": "registry.local/ml/train:1.4", "args": [] }
        }
        """;

    /// <summary>The sketch task with YAML shorthand (unquoted numbers, bare profile).</summary>
    public const string TrainModelYaml = """
        name: train-model
        version: v3
        container: { image: registry.local/ml/train:1.4, command: [python, train.py], env: {SEED: 7} }
        resources: { cpu: 4, memory: 32Gi, gpu: { profile: 5g.40gb, count: 1 } }
        inputs:  { dataset: string, epochs: int }
        outputs: { model_uri: string }
        retries: 2
        timeout: 2h
        cache: { enabled: true, version: "1" }
        """;

    public const string PrepareDataYaml = """
        name: prepare-data
        version: v1
        container: { image: registry.local/ml/prepare:1.0, command: [python, prepare.py] }
        inputs: { date: string }
        outputs: { path: string, rows: int, shards: list<string> }
        """;

    /// <summary>The workflow from ARCHITECTURE.md ("Specs"), as written there.</summary>
    public const string TrainAlphaYaml = """
        # workflow
        name: train-alpha
        version: v3
        inputs: { start_date: string, epochs: int }
        nodes:
          - id: prepare
            task: prepare-data@v1
            inputs: { date: "{{ inputs.start_date }}" }
          - id: train
            task: train-model@v3
            inputs: { dataset: "{{ nodes.prepare.outputs.path }}", epochs: "{{ inputs.epochs }}" }
        outputs: { model: "{{ nodes.train.outputs.model_uri }}" }
        """;

    public const string TrainAlphaJson = """
        {
          "outputs": { "model": "{{nodes.train.outputs.model_uri}}" },
          "nodes": [
            { "task": "prepare-data@v1", "id": "prepare", "inputs": { "date": "{{inputs.start_date}}" } },
            { "inputs": { "epochs": "{{ inputs.epochs }}", "dataset": "{{  nodes.prepare.outputs.path  }}" }, "id": "train", "task": "train-model@v3", "after": [] }
          ],
          "failure_policy": "fail-fast",
          "inputs": { "epochs": { "type": "int" }, "start_date": "string" },
          "version": "v3",
          "name": "train-alpha"
        }
        """;

    public static TaskSpec Task(string yaml)
    {
        var read = TaskSpecReader.Read(Document(yaml));
        read.Errors.Should().BeEmpty();
        return read.Value ?? throw new InvalidOperationException("sample task did not read");
    }

    public static System.Text.Json.Nodes.JsonObject Document(string text, SpecFormat format = SpecFormat.Auto)
    {
        var parsed = SpecDocument.Parse(text, format);
        parsed.Errors.Should().BeEmpty();
        return parsed.Value ?? throw new InvalidOperationException("sample did not parse");
    }

    /// <summary>The sample with one piece of text replaced; fails the test if the piece is not there.</summary>
    public static string Change(string sample, string find, string replace)
    {
        sample.Should().Contain(find, "the test must change the sample");
        return sample.Replace(find, replace, StringComparison.Ordinal);
    }

    public static string Describe(IEnumerable<SpecError> errors) => string.Join(" | ", errors.Select(e => $"{e.Pointer}: {e.Message}"));
}
