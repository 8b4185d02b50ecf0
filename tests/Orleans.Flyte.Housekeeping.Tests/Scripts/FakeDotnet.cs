namespace Orleans.Flyte.Housekeeping.Tests.Scripts;

/// <summary>
/// Stands in for the .NET SDK on PATH when a test runs scripts/run or scripts/test: what those scripts do around the
/// SDK (PostgreSQL, signals, exit status, results, temporary folders) is under test, not the silo or the test run.
/// It records what it was asked into <see cref="Folder"/>: <c>run-started</c> (the connection string it got),
/// <c>run-stopped</c> (when SIGTERM ended it), <c>test-tmpdir</c> (the TMPDIR of the test run).
/// </summary>
internal sealed class FakeDotnet
{
    private const string Script = """
        #!/usr/bin/env bash
        set -eu
        dir="${FAKE_DOTNET_DIR:?}"
        # Each record appears whole (written aside, then renamed): a test polling for the file never reads it half-written.
        record() { printf '%s\n' "$2" >"$dir/.$1.tmp" && mv -f "$dir/.$1.tmp" "$dir/$1"; }
        case "${1:-}" in
            run)
                record run-started "${ConnectionStrings__Postgres:-}"
                if [ -n "${FAKE_DOTNET_EXIT:-}" ]; then exit "$FAKE_DOTNET_EXIT"; fi
                trap 'record run-stopped TERM; exit 0' TERM
                while :; do sleep 0.1; done
                ;;
            test)
                record test-tmpdir "${TMPDIR:-}"
                results=
                while [ $# -gt 0 ]; do
                    if [ "$1" = --results-directory ]; then results="$2"; fi
                    shift
                done
                for trx in "$dir"/trx/*.trx; do
                    if [ -f "$trx" ]; then cp "$trx" "$results/"; fi
                done
                exit "${FAKE_DOTNET_EXIT:-0}"
                ;;
            *) exit 0 ;;
        esac
        """;

    public FakeDotnet(string folder)
    {
        Folder = folder;
        var bin = Directory.CreateDirectory(Path.Combine(folder, "bin")).FullName;
        var dotnet = Path.Combine(bin, "dotnet");
        File.WriteAllText(dotnet, Script.ReplaceLineEndings("\n") + "\n");
        if (!OperatingSystem.IsWindows()) // the scripts are bash; this keeps the analyzer honest
        {
            File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        }
        Directory.CreateDirectory(Path.Combine(folder, "trx"));
        Environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{bin}:{System.Environment.GetEnvironmentVariable("PATH")}",
            ["FAKE_DOTNET_DIR"] = folder,
        };
    }

    public string Folder { get; }

    /// <summary>PATH with the fake first, and where it records.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; }

    public string? Recorded(string file) => File.Exists(Path.Combine(Folder, file)) ? File.ReadAllText(Path.Combine(Folder, file)).Trim() : null;

    /// <summary>A TRX file the fake `dotnet test` will leave in the results directory, with these counters.</summary>
    public void AddTestResults(string name, int passed, int failed = 0, int skipped = 0)
    {
        var total = passed + failed + skipped;
        File.WriteAllText(Path.Combine(Folder, "trx", name + ".trx"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun id="{Guid.NewGuid()}" name="{name}" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <ResultSummary outcome="{(failed > 0 ? "Failed" : "Completed")}">
                <Counters total="{total}" executed="{passed + failed}" passed="{passed}" failed="{failed}" error="0" timeout="0" aborted="0" inconclusive="0" passedButRunAborted="0" notRunnable="0" notExecuted="{skipped}" disconnected="0" warning="0" completed="0" inProgress="0" pending="0" />
              </ResultSummary>
            </TestRun>
            """);
    }
}
