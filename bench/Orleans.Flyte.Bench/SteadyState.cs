using System.Diagnostics;
using System.Runtime;

namespace Orleans.Flyte.Bench;

/// <summary>
/// Figures are for a silo that has been running a while: the JIT compiles each hot method three times with dynamic PGO
/// (quick, instrumented, optimized), on a background thread that a busy two-core machine starves, so a cold run spends a
/// large share of its CPU compiling (0.3-1 ms per task in the engine benches). The warm-up repeats a round of the same
/// workload until a round leaves the JIT with little to compile. BENCH_WARMUP=0 skips the extra rounds (a cold start).
/// </summary>
internal static class SteadyState
{
    public static bool Skipped => Environment.GetEnvironmentVariable("BENCH_WARMUP") is "0";

    /// <summary>Runs <paramref name="round"/> until the JIT compiles fewer than 100 methods in one (at most 8 rounds);
    /// returns how many rounds ran.</summary>
    public static async Task<int> WarmUp(Func<Task> round)
    {
        if (Skipped)
        {
            return 0;
        }

        var compiled = await JitSettled();
        for (var rounds = 1; ; rounds++)
        {
            await round();
            var after = await JitSettled();
            if (after - compiled < 100 || rounds == 8)
            {
                return rounds;
            }

            compiled = after;
        }
    }

    /// <summary>Waits until the JIT's count of compiled methods holds still for half a second (at most 10 s): the
    /// background compiler catches up once the machine is idle.</summary>
    public static async Task<long> JitSettled()
    {
        var deadline = Stopwatch.StartNew();
        var count = JitInfo.GetCompiledMethodCount();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(500);
            var now = JitInfo.GetCompiledMethodCount();
            if (now - count < 5)
            {
                return now;
            }

            count = now;
        }

        return count;
    }

    /// <summary>What the JIT did since <paramref name="before"/>, as one line of a bench's output.</summary>
    public static string JitSince((TimeSpan Time, long Methods) before, int units, string unit)
    {
        var (time, methods) = Jit();
        var compiling = (time - before.Time).TotalMilliseconds;
        return $"{compiling:F0} ms compiling {methods - before.Methods} methods ({compiling / units:F2} ms per {unit})";
    }

    public static (TimeSpan Time, long Methods) Jit() => (JitInfo.GetCompilationTime(), JitInfo.GetCompiledMethodCount());
}
