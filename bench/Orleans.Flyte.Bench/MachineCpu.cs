using System.Globalization;

namespace Orleans.Flyte.Bench;

/// <summary>
/// CPU seconds from <c>/proc</c>: the whole machine's busy and stolen time (<c>/proc/stat</c>), this process's own and its
/// reaped children's (<c>/proc/self/stat</c>), so a figure can say what else shared the cores.
/// </summary>
internal readonly record struct MachineCpu(double Total, double Busy, double Steal, double Self, double Children)
{
    private const double Tick = 100.0; // USER_HZ

    public static MachineCpu Read()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture) / Tick).ToArray();
        // user nice system idle iowait irq softirq steal [guest guest_nice, already counted in user and nice]
        var total = cpu.Take(8).Sum();
        var idle = cpu[3] + cpu[4];
        var steal = cpu[7];
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double Field(int number) => double.Parse(fields[number - 3], CultureInfo.InvariantCulture) / Tick;
        return new MachineCpu(total, total - idle - steal, steal, Field(14) + Field(15), Field(16) + Field(17));
    }

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) =>
        new(a.Total - b.Total, a.Busy - b.Busy, a.Steal - b.Steal, a.Self - b.Self, a.Children - b.Children);
}
