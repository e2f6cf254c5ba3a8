using System.Globalization;
using System.Text;

namespace Acclimate.Demos;

/// <summary>Fingerprints and number formatting shared by the demos' tables and reports.</summary>
public static class DemoFormat
{
    /// <summary>A short content hash (what a stage was built on).</summary>
    public static string Fingerprint(string text) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16].ToLowerInvariant();

    /// <summary>A double in its shortest exact form (100000, 1E-05).</summary>
    public static string F(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A number for prose: plain decimals (0.00002, not 2E-05).</summary>
    public static string Prose(double value) => value.ToString("0.##########", CultureInfo.InvariantCulture);

    public static string Ppl(double? value) => value is double v ? v.ToString(v >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture) : "-";

    public static string Pct(double value) => value.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture);

    public static string Acc(double value) => (value * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";

    public static string Fixed(double value, int digits = 4) => value.ToString("F" + digits, CultureInfo.InvariantCulture);

    /// <summary>A p-value: three decimals, or "&lt; 0.001".</summary>
    public static string P(double? p) => p is not double v ? "-" : v < 0.001 ? "< 0.001" : v.ToString("F3", CultureInfo.InvariantCulture);

    public static string Duration(double seconds) =>
        seconds < 120 ? seconds.ToString("F0", CultureInfo.InvariantCulture) + " s" : $"{(int)(seconds / 60)} min {(int)(seconds % 60):D2} s";
}
