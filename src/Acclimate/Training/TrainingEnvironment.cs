namespace Acclimate.Training;

/// <summary>Facts about the machine that training options default from.</summary>
public static class TrainingEnvironment
{
    /// <summary>
    /// Physical cores (hyper-threads not counted): distinct (physical id, core id) pairs in
    /// /proc/cpuinfo on Linux; elsewhere, or if that file says nothing usable, the logical count.
    /// Intra-op parallelism in libtorch gains little from a core's second hyper-thread.
    /// </summary>
    public static int PhysicalCoreCount()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
            {
                var cores = new HashSet<(string, string)>();
                string physical = "0", core = "";
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    var colon = line.IndexOf(':');
                    if (colon < 0)
                    {
                        if (core.Length > 0) cores.Add((physical, core));
                        physical = "0"; core = "";
                        continue;
                    }
                    var key = line[..colon].Trim();
                    var value = line[(colon + 1)..].Trim();
                    if (key == "physical id") physical = value;
                    else if (key == "core id") core = value;
                }
                if (core.Length > 0) cores.Add((physical, core));
                // A container's CPU quota can be below the core count; never exceed what the runtime may use.
                if (cores.Count > 0) return Math.Min(cores.Count, Environment.ProcessorCount);
            }
        }
        catch (IOException)
        {
            // Unreadable cpuinfo: fall back to the logical count below.
        }
        return Environment.ProcessorCount;
    }

    /// <summary>The thread count an option asks for: itself when positive, else the physical cores.</summary>
    public static int ThreadsFor(int requested) => requested > 0 ? requested : PhysicalCoreCount();
}
