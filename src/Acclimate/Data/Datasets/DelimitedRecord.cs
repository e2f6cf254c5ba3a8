namespace Acclimate.Data.Datasets;

/// <summary>One record of a CSV/TSV file: its fields and the line it starts on (a quoted field may span lines).</summary>
internal sealed record DelimitedRecord(IReadOnlyList<string> Fields, int LineNumber);
