using System.Globalization;

namespace Kandinsky.Lab.Tests.IO;

/// <summary>What Linux's /proc says about this process: memory of one mapping, bytes one thread has read.</summary>
public static class ProcSelf
{
    /// <summary>Resident bytes of the mapping containing <paramref name="address"/> (/proc/self/smaps).</summary>
    public static long MappingRssBytes(long address)
    {
        bool inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && long.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, null, out long start)
                && long.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, null, out long end))
            {
                inside = address >= start && address < end;
                continue;
            }
            if (inside && line.StartsWith("Rss:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"no mapping contains 0x{address:x}");
    }

    /// <summary>
    /// Bytes the calling thread has read through read-like system calls so far (rchar of /proc/thread-self/io):
    /// per thread, so tests running in parallel do not count.
    /// </summary>
    public static long ThreadReadBytes()
    {
        foreach (var line in File.ReadLines("/proc/thread-self/io"))
            if (line.StartsWith("rchar:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
        throw new InvalidOperationException("/proc/thread-self/io has no rchar line");
    }
}
